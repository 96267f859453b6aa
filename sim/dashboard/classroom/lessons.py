"""Lessons for the classroom: scenario files with a ``[lesson]`` table (`sim.scenario.Lesson`).

A lesson is one to three files of ``scenarios/lessons/`` that share a ``[lesson]`` number,
title and list of `sides` (its files, left first); each file names its own side. The first
file also holds what the trainer says to the room: what to watch for (`watch`) and why it
happens (`why`). Their numbers are written as ``{a.resolution_hours_mean:.1f}`` (a KPI of a
run of side ``a``, ``b`` or ``c`` with its own settings and seed) and filled in by running
the sides (`lesson_text`), so they are measured, never typed, and stay true when the model
changes. `lesson_problems` checks a folder against this format (the test suite runs it on
``scenarios/lessons/``).

A single file with a reorganisation (``[[events]]``) is shown without it on the left and with
it on the right. A scenario file without a ``[lesson]`` table (a trainer's own) is a lesson of
its own, shown in functional departments on the left and in cross-functional teams on the
right (or in its own structure, when that is not functional).
"""

from __future__ import annotations

import math
import string
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from sim.dashboard.scenario_files import scenarios_dir
from sim.kpi_catalogue import CATALOGUE, STATUS_KEYS, kpi_info
from sim.replications import STRUCTURE_LABELS
from sim.scenario import Lesson, Scenario, ScenarioError, load_scenario, read_toml
from sim.scenario.errors import describe_errors

if TYPE_CHECKING:
    import pandas as pd

SIDE_NAMES = "abc"
"""How a lesson's text names its sides' runs: ``{a.kpi}`` is the left one."""
WITHOUT_EVENTS = "Not reorganised"
"""The left side of a one-file reorganisation lesson."""


@dataclass(frozen=True)
class LessonInfo:
    """What the lesson picker lists: cheap to read (no scenario is validated)."""

    key: str
    title: str
    paths: tuple[Path, ...]
    """The lesson's files, left side first."""
    number: int | None = None


@dataclass(frozen=True)
class OpenLesson:
    """A lesson read and validated, ready to play."""

    key: str
    title: str
    sides: tuple[Scenario, ...]
    """Two or three scenarios, left first."""
    labels: tuple[str, ...]
    watch: str
    """What to watch for, with ``{a.kpi}`` placeholders (`lesson_text` fills them)."""
    why: str


# --------------------------------------------------------------------------------------------
# Listing


def _lesson_table(path: Path) -> tuple[Lesson | None, list[str]]:
    """The file's ``[lesson]`` table (None without one), and its problems."""
    try:
        raw = read_toml(path)
    except ScenarioError as exc:
        return None, list(exc.problems)
    table = raw.get("lesson")
    if table is None:
        return None, []
    try:
        return Lesson.model_validate(table), []
    except ValidationError as exc:
        return None, [f"{path}: lesson.{where}: {what}" for where, what in describe_errors(exc)]


def list_lessons(directory: Path | None = None) -> list[LessonInfo]:
    """The lessons in `directory` (``scenarios/lessons/``) by number, then the files without a
    ``[lesson]`` table, by name."""
    directory = directory or scenarios_dir() / "lessons"
    numbered: dict[int, LessonInfo] = {}
    others: list[LessonInfo] = []
    for path in sorted(directory.glob("*.toml")) if directory.is_dir() else []:
        lesson, problems = _lesson_table(path)
        if lesson is not None:
            if lesson.number not in numbered:
                paths = tuple(directory / name for name in lesson.sides)
                numbered[lesson.number] = LessonInfo(
                    f"lesson-{lesson.number}", _title(lesson), paths, lesson.number
                )
            continue
        title = path.stem.replace("-", " ").replace("_", " ").capitalize()
        if problems:
            title += " (cannot be read)"
        others.append(LessonInfo(path.stem, title, (path,)))
    return [numbered[n] for n in sorted(numbered)] + others


def _title(lesson: Lesson) -> str:
    return f"Lesson {lesson.number}: {lesson.title}"


# --------------------------------------------------------------------------------------------
# Opening


def load_lesson(info: LessonInfo) -> OpenLesson:
    """Read and validate a lesson. Raises `ScenarioError` (one line per problem)."""
    scenarios = [load_scenario(path) for path in info.paths]
    first = scenarios[0]
    notes = first.lesson
    if len(scenarios) > 1:
        labels = tuple(s.lesson.side if s.lesson else s.name for s in scenarios)
    elif first.events:
        without = first.model_copy(update={"events": [], "name": f"{first.name}, not reorganised"})
        scenarios = [without, first]
        labels = (WITHOUT_EVENTS, notes.side if notes else "Reorganised")
    else:
        try:
            scenarios = list(_structures(first))
        except ScenarioError as exc:
            raise ScenarioError([f"{info.paths[0]}: {p}" for p in exc.problems]) from None
        labels = tuple(STRUCTURE_LABELS[s.structure.kind] for s in scenarios)
    return OpenLesson(
        info.key,
        info.title,
        tuple(scenarios),
        labels,
        notes.watch.strip() if notes else "",
        notes.why.strip() if notes else first.description,
    )


def _structures(scenario: Scenario) -> tuple[Scenario, Scenario]:
    """A file without a lesson of its own: functional departments against its own structure
    (cross-functional teams when that is functional too)."""
    kind = scenario.structure.kind
    left = (
        scenario
        if kind == "functional"
        else scenario.with_overrides({"structure.kind": "functional"})
    )
    right = (
        scenario
        if kind != "functional"
        else scenario.with_overrides({"structure.kind": "cross_functional"})
    )
    return left, right


# --------------------------------------------------------------------------------------------
# Numbers in the text, measured


def fields(text: str) -> list[tuple[str, str]]:
    """The ``{side.kpi}`` fields of a lesson text, as (side letter, KPI key)."""
    found = []
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None:
            side, _, key = name.partition(".")
            found.append((side, key))
    return found


class _Number:
    """A KPI value in a lesson text: formatted with the text's spec, or the catalogue's own
    format; a missing value reads as the catalogue says ('never' for a pay-back day)."""

    def __init__(self, key: str, value: Any):
        self.key, self.value = key, value

    def __format__(self, spec: str) -> str:
        value = self.value
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return kpi_info(self.key).missing
        return format(value, spec) if spec else kpi_info(self.key).format(value)


class _Side:
    def __init__(self, kpis: Mapping[str, Any]):
        self._kpis = kpis

    def __getattr__(self, key: str) -> _Number:
        return _Number(key, self._kpis.get(key))


_MEASURED = 32
"""How many lessons' sides the server keeps the numbers of."""


@lru_cache(maxsize=_MEASURED)
def _side_kpis(scenario_json: str) -> dict[str, Any]:
    """The KPIs of one run of a lesson's side, as ``sim run`` prints them (its own seed). A
    reorganisation's counterfactual is the run of a side already measured when that side is
    the same organisation without it (`sim.runner.counterfactual_key`): the left side of a
    one-file reorganisation lesson, run first."""
    from sim.runner import counterfactual_key, run  # the classroom page itself needs no runner

    scenario = Scenario.model_validate_json(scenario_json)
    key = counterfactual_key(scenario, scenario.run.seed)
    result = run(scenario, seed=scenario.run.seed, without=_counterfactuals.get(key))
    if result.daily_without_events is not None:
        _counterfactuals[key] = result.daily_without_events
    while len(_counterfactuals) > _MEASURED:
        del _counterfactuals[next(iter(_counterfactuals))]  # the oldest
    return result.kpis


_counterfactuals: dict[tuple[str, int], pd.DataFrame] = {}
"""The daily table of the organisation without its reorganisation, by counterfactual key, for
the lessons' sides measured lately."""


_runs = threading.Lock()


def lesson_text(
    lesson: OpenLesson, text: str, measure: bool = True, wanted: Callable[[], bool] = lambda: True
) -> str:
    """`text` with its ``{a.kpi}`` numbers measured: each side it names is run once (a second
    or two; cached for the server's life, per scenario). `measure` False: '…' in their place,
    to show while they are being measured. `wanted` is asked before each side's run: once it
    says no (the class has moved on to another lesson), the sides not yet run are not run and
    their numbers stay '…', so a trainer leafing through lessons does not leave a queue of
    runs behind that the lesson on screen waits for."""
    used = {side for side, _ in fields(text)}
    sides: dict[str, _Side | _Pending] = {letter: _Pending() for letter in SIDE_NAMES}
    for letter, scenario in zip(SIDE_NAMES, lesson.sides, strict=False):
        if measure and letter in used:
            with _runs:  # two browsers opening a lesson at once run it once
                if not wanted():
                    break
                sides[letter] = _Side(_side_kpis(scenario.model_dump_json()))
    return text.format(**sides)


class _Pending:
    def __getattr__(self, key: str) -> _Pending:
        return self

    def __format__(self, spec: str) -> str:
        return "…"


# --------------------------------------------------------------------------------------------
# The format, checked


def lesson_problems(directory: Path) -> list[str]:
    """Every way the lesson files in `directory` break the format of this module's docstring
    (one line each; empty when they are fine)."""
    problems: list[str] = []
    tables: dict[str, Lesson] = {}
    for path in sorted(directory.glob("*.toml")):
        lesson, found = _lesson_table(path)
        problems += found
        if lesson is None and not found:
            problems.append(f"{path}: no [lesson] table (see sim.dashboard.classroom.lessons)")
        if lesson is not None:
            tables[path.name] = lesson
    for name, lesson in tables.items():
        where = f"{directory / name}: lesson"
        first = tables.get(lesson.sides[0])
        if name not in lesson.sides:
            problems.append(f"{where}.sides: does not name this file ({lesson.sides})")
        for other in lesson.sides:
            if other not in tables:
                problems.append(f"{where}.sides: {other} is not a lesson file in {directory}")
            elif (tables[other].number, tables[other].title, tables[other].sides) != (
                lesson.number,
                lesson.title,
                lesson.sides,
            ):
                problems.append(f"{where}: number, title and sides differ from {other}'s")
        if first is lesson:
            if not lesson.watch.strip() or not lesson.why.strip():
                problems.append(f"{where}: the first file of a lesson says watch and why")
            problems += _field_problems(where, lesson)
        elif lesson.watch or lesson.why:
            problems.append(
                f"{where}: watch and why belong in the lesson's first file, {lesson.sides[0]}"
            )
    return problems


def _field_problems(where: str, lesson: Lesson) -> list[str]:
    sides = SIDE_NAMES[: max(2, len(lesson.sides))]
    problems = []
    for part in ("watch", "why"):
        try:
            found = fields(getattr(lesson, part))
        except ValueError as exc:
            problems.append(f"{where}.{part}: {exc} (allowed: {{a.kpi_key:.1f}}, braces paired)")
            continue
        for side, key in found:
            if side not in sides:
                problems.append(f"{where}.{part}: {{{side}.…}} is not a side (allowed: {sides})")
            if key not in CATALOGUE and key not in STATUS_KEYS:
                problems.append(f"{where}.{part}: {{{side}.{key}}}: {key!r} is not a KPI")
    return problems
