"""The scenarios of the leadership comparison: presets, uploads and the leader's form.

No Solara here (the page is `sim.dashboard.compare.page`), so all of it is testable on its own.

- Presets are the ``.toml`` files in the project's ``scenarios/`` and ``scenarios/lessons/``
  (``$SIM_SCENARIOS_DIR`` points elsewhere). They are read once per server and shared: a
  `Scenario` is immutable.
- An upload is parsed as data only, never run as code: at most `MAX_UPLOAD_BYTES`, read by
  `sim.scenario.parse_toml` (as the command line reads a file), then
  `sim.scenario.parse_scenario`. Every problem is one line
  ``file: key.path: what is wrong (allowed)`` (a `ScenarioError`).
- The form holds the numbers a leader knows (headcount per skill, demand, request mix,
  structure, three policies) and applies them to a preset with `Scenario.with_overrides`, which
  validates like a file; its problems name the form's fields.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path, PurePath
from typing import Any

from sim.dashboard.scenario_files import KIND_LABELS, scenarios_dir
from sim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario, parse_toml

MAX_UPLOAD_BYTES = 200_000
"""Largest scenario file the page accepts (the presets are 6-10 kB)."""
MIN_SCENARIOS, MAX_SCENARIOS = 2, 4
DEFAULT_PRESETS = ("functional.toml", "cross-functional.toml")
DEFAULT_REPS = 10
DEFAULT_DAYS = 60
MIN_REPS, MAX_REPS = 2, 50
MIN_DAYS, MAX_DAYS = 5, 365
FORM_SOURCE = "Form"


# --------------------------------------------------------------------------------------------
# Presets


@dataclass(frozen=True)
class Preset:
    key: str
    """Path under the scenarios folder: ``functional.toml``, ``lessons/reorganisation.toml``."""
    title: str
    """What the picker shows: the scenario's name and its file."""
    scenario: Scenario | None
    problems: tuple[str, ...] = ()
    """Why the file cannot be used (None scenario)."""


@lru_cache(maxsize=4)
def _presets(folder: Path, stamp: tuple[tuple[str, float], ...]) -> tuple[Preset, ...]:
    presets = []
    for key, _ in stamp:
        path = folder / key
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            presets.append(Preset(key, f"{key} (cannot be read)", None, tuple(exc.problems)))
            continue
        presets.append(Preset(key, f"{scenario.name} ({key})", scenario))
    return tuple(presets)


def list_presets(folder: Path | None = None) -> list[Preset]:
    """The presets: ``scenarios/*.toml`` then ``scenarios/lessons/*.toml``, by file name.
    Read again only when a file changes."""
    folder = (folder or scenarios_dir()).resolve()
    paths = [*sorted(folder.glob("*.toml")), *sorted(folder.glob("lessons/*.toml"))]
    stamp = []
    for path in paths:
        try:
            stamp.append((path.relative_to(folder).as_posix(), path.stat().st_mtime))
        except OSError:
            continue
    return list(_presets(folder, tuple(stamp)))


# --------------------------------------------------------------------------------------------
# The chosen scenarios

_ids = itertools.count(1)


@dataclass(frozen=True)
class Entry:
    """One scenario of the comparison and where it came from."""

    scenario: Scenario
    origin: str
    """'preset functional.toml', 'uploaded my-org.toml', 'edited from functional.toml'."""
    id: int = field(default_factory=lambda: next(_ids))


def preset_entry(preset: Preset) -> Entry:
    if preset.scenario is None:
        raise ScenarioError(list(preset.problems))
    return Entry(preset.scenario, f"preset {preset.key}")


def default_entries(presets: list[Preset]) -> list[Entry]:
    """Functional departments against cross-functional teams, else the first two presets."""
    by_key = {p.key: p for p in presets if p.scenario is not None}
    chosen = [by_key[k] for k in DEFAULT_PRESETS if k in by_key]
    if len(chosen) < MIN_SCENARIOS:
        chosen = list(by_key.values())[:MIN_SCENARIOS]
    return [preset_entry(p) for p in chosen]


def kind_label(scenario: Scenario) -> str:
    """'Cross-functional teams, 4 teams'; with a reorganisation, what it becomes and when."""

    def label(structure) -> str:
        text = KIND_LABELS.get(structure.kind, structure.kind)
        if structure.kind in ("cross_functional", "matrix"):
            text += f", {structure.teams} teams"
        return text

    text = label(scenario.structure)
    for event in scenario.events:
        if event.structure is not None:
            text += f" → {label(event.structure).lower()} on day {event.day}"
    return text


def summary(scenario: Scenario) -> str:
    """One line a leader recognises: structure, people, demand (the run length is set for
    every scenario alike when the comparison runs)."""
    p = scenario.policies
    changes = any(e.policies for e in scenario.events)
    return (
        f"{kind_label(scenario)} · {scenario.headcount} employees · "
        f"{scenario.demand.requests_per_day:g} requests/day · handoff delay "
        f"{p.handoff_delay_hours:g} h · help across units {p.help_across_units:.0%} · "
        f"customer weight {p.customer_metric_weight:.0%}"
        + (" · policies change during the run" if changes else "")
    )


# --------------------------------------------------------------------------------------------
# Uploads


def _safe_name(name: str) -> str:
    base = PurePath(str(name).replace("\\", "/")).name or "upload.toml"
    base = "".join(c if c.isprintable() else "?" for c in base)
    return base if len(base) <= 80 else base[:77] + "..."


def parse_upload(filename: str, data: bytes, size: int | None = None) -> Scenario:
    """An uploaded file as a scenario, read as data only (`size`: the file's size, when only
    its start was read). Raises `ScenarioError`."""
    name = _safe_name(filename)
    size = max(len(data), size or 0)
    if size > MAX_UPLOAD_BYTES:
        raise ScenarioError(
            [
                f"{name}: the file is too large ({size / 1000:,.0f} kB; allowed: up to "
                f"{MAX_UPLOAD_BYTES // 1000} kB, a scenario file is a few kB)"
            ]
        )
    raw = parse_toml(data, name)
    return parse_scenario(raw, source=name)


def upload_entry(filename: str, data: bytes, size: int | None = None) -> Entry:
    return Entry(parse_upload(filename, data, size), f"uploaded {_safe_name(filename)}")


# --------------------------------------------------------------------------------------------
# The leader's form


@dataclass(frozen=True)
class FormValues:
    """The numbers a leader knows, as the form shows them (percentages in %)."""

    preset: str
    name: str
    headcount: tuple[tuple[str, int], ...]
    """(primary skill, headcount) per workforce group, in file order."""
    requests_per_day: float
    shares: tuple[tuple[str, float], ...]
    """(request type, share in %) in file order."""
    kind: str
    teams: int
    handoff_delay_hours: float
    help_across_units_pct: float
    customer_metric_weight_pct: float

    def set(self, **changes: Any) -> FormValues:
        return replace(self, **changes)

    def set_headcount(self, index: int, value: int) -> FormValues:
        items = list(self.headcount)
        items[index] = (items[index][0], value)
        return replace(self, headcount=tuple(items))

    def set_share(self, index: int, value: float) -> FormValues:
        items = list(self.shares)
        items[index] = (items[index][0], value)
        return replace(self, shares=tuple(items))

    @property
    def share_total(self) -> float:
        return sum(share for _, share in self.shares)


STRUCTURE_KINDS = ("functional", "cross_functional", "matrix")
"""What the form offers (a preset's own custom structure is kept when it has one)."""


def form_values(preset: Preset) -> FormValues:
    """The form filled with a preset's numbers."""
    s = preset.scenario
    if s is None:
        raise ScenarioError(list(preset.problems))
    return FormValues(
        preset=preset.key,
        name=f"{s.name} (edited)",
        headcount=tuple((g.skill, g.headcount) for g in s.workforce),
        requests_per_day=float(s.demand.requests_per_day),
        shares=tuple((t.name, round(100 * t.share, 6)) for t in s.demand.request_types),
        kind=s.structure.kind,
        teams=s.structure.teams,
        handoff_delay_hours=float(s.policies.handoff_delay_hours),
        help_across_units_pct=round(100 * s.policies.help_across_units, 6),
        customer_metric_weight_pct=round(100 * s.policies.customer_metric_weight, 6),
    )


def form_labels(values: FormValues) -> dict[str, str]:
    """Scenario key -> the form field's label (for the problem lines)."""
    labels = {
        "name": "Name",
        "demand.requests_per_day": "Requests per day",
        "demand.request_types": "Request mix",
        "structure.kind": "Structure",
        "structure.teams": "Number of teams",
        "structure.shared_skills": "Structure (a matrix needs skills to pool: start from a "
        "matrix preset)",
        "policies.handoff_delay_hours": "Handoff delay",
        "policies.help_across_units": "Help across units",
        "policies.customer_metric_weight": "Customer weight in goals",
    }
    for i, (skill, _) in enumerate(values.headcount):
        labels[f"workforce.{i}.headcount"] = f"Headcount, {skill}"
    for i, (name, _) in enumerate(values.shares):
        labels[f"demand.request_types.{i}.share"] = f"Share of '{name}'"
    return labels


def form_overrides(values: FormValues) -> dict[str, Any]:
    overrides: dict[str, Any] = {
        "name": values.name.strip(),
        "demand.requests_per_day": float(values.requests_per_day),
        "policies.handoff_delay_hours": float(values.handoff_delay_hours),
        "policies.help_across_units": float(values.help_across_units_pct) / 100,
        "policies.customer_metric_weight": float(values.customer_metric_weight_pct) / 100,
        "structure.kind": values.kind,
    }
    if values.kind in ("cross_functional", "matrix"):
        overrides["structure.teams"] = int(values.teams)
    for i, (_, count) in enumerate(values.headcount):
        overrides[f"workforce.{i}.headcount"] = int(count)
    for i, (_, share) in enumerate(values.shares):
        overrides[f"demand.request_types.{i}.share"] = float(share) / 100
    return overrides


def _relabel(problem: str, labels: dict[str, str]) -> str:
    """'<overrides>: workforce.0.headcount: 0 is out of range (allowed: >= 1)' ->
    'Form: Headcount, policy (workforce.0.headcount): 0 is out of range (allowed: >= 1)'."""
    _, _, rest = problem.partition(": ")
    path, sep, message = rest.partition(": ")
    if not sep:
        return f"{FORM_SOURCE}: {rest or problem}"
    label = labels.get(path)
    if label is None:  # a key the form does not show: name its nearest shown parent
        parent = next((labels[k] for k in sorted(labels, key=len, reverse=True)
                       if path.startswith(k + ".")), None)  # fmt: skip
        label = parent
    shown = f"{label} ({path})" if label else path
    return f"{FORM_SOURCE}: {shown}: {message}"


def build_from_form(base: Scenario, values: FormValues) -> Scenario:
    """The preset with the form's numbers, validated like a file. Raises `ScenarioError` with
    one line per problem, naming the form's fields."""
    problems = []
    labels = form_labels(values)
    if not values.name.strip():
        problems.append(f"{FORM_SOURCE}: Name (name): is empty (allowed: non-empty text)")
    numbers = {
        "demand.requests_per_day": values.requests_per_day,
        "policies.handoff_delay_hours": values.handoff_delay_hours,
        "policies.help_across_units": values.help_across_units_pct,
        "policies.customer_metric_weight": values.customer_metric_weight_pct,
    }
    for key, number in numbers.items():
        if number is None or not math.isfinite(float(number)):
            problems.append(f"{FORM_SOURCE}: {labels[key]} ({key}): is not a number")
    for key, pct in (
        ("policies.help_across_units", values.help_across_units_pct),
        ("policies.customer_metric_weight", values.customer_metric_weight_pct),
    ):
        if pct is not None and math.isfinite(pct) and not 0 <= pct <= 100:
            problems.append(
                f"{FORM_SOURCE}: {labels[key]} ({key}): {pct:g}% is out of range "
                "(allowed: 0 to 100%)"
            )
    total = values.share_total
    if math.isfinite(total) and abs(total - 100) > 0.01:
        problems.append(
            f"{FORM_SOURCE}: Request mix (demand.request_types): the shares add up to "
            f"{total:g}% (allowed: shares adding up to 100%)"
        )
    if problems:
        raise ScenarioError(problems)
    try:
        return base.with_overrides(**form_overrides(values))
    except ScenarioError as exc:
        raise ScenarioError([_relabel(p, labels) for p in exc.problems]) from None


def form_entry(preset: Preset, values: FormValues) -> Entry:
    if preset.scenario is None:
        raise ScenarioError(list(preset.problems))
    return Entry(build_from_form(preset.scenario, values), f"edited from {preset.key}")


# --------------------------------------------------------------------------------------------
# Run length


def warmup_for(scenario: Scenario, days: int) -> int:
    """The scenario's warm-up, shortened to a fifth of a run it would not leave room in."""
    own = scenario.run.warmup_days
    return own if 2 * own < days else max(1, days // 5)


def with_run_length(scenarios: list[Scenario], names: list[str], days: int) -> list[Scenario]:
    """Every scenario over `days` working days (the same horizon for all). Raises
    `ScenarioError`: one line per problem, starting with the scenario's name."""
    out, problems = [], []
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ScenarioError(
            [f"Working days: {days} is out of range (allowed: {MIN_DAYS} to {MAX_DAYS})"]
        )
    for name, scenario in zip(names, scenarios, strict=True):
        if scenario.run.days == days:
            out.append(scenario)
            continue
        try:
            out.append(
                scenario.with_overrides(
                    **{"run.days": days, "run.warmup_days": warmup_for(scenario, days)}
                )
            )
        except ScenarioError as exc:
            problems += [f"{name}: {p.partition(': ')[2]}" for p in exc.problems]
    if problems:
        raise ScenarioError(problems)
    return out
