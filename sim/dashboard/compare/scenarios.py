"""The scenarios of the leadership comparison: presets, uploads and the leader's form.

No Solara here (the page is `sim.dashboard.compare.page`), so all of it is testable on its own.

- Presets are the ``.toml`` files in the project's ``scenarios/`` and ``scenarios/lessons/``
  (``$SIM_SCENARIOS_DIR`` points elsewhere). They are read once per server and shared: a
  `Scenario` is immutable.
- An upload is parsed as data only, never run as code: at most `MAX_UPLOAD_BYTES`, read by
  `sim.scenario.parse_toml` (as the command line reads a file), then
  `sim.scenario.parse_scenario`. Every problem is one line
  ``file: key.path: what is wrong (allowed)`` (a `ScenarioError`).
- The leader's own organisation, typed into the form, is `sim.dashboard.compare.draft`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePath

from sim.dashboard.scenario_files import scenarios_dir
from sim.replications import structure_label
from sim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario, parse_toml

MAX_UPLOAD_BYTES = 200_000
"""Largest scenario file the page accepts (the presets are 6-10 kB)."""
MIN_SCENARIOS, MAX_SCENARIOS = 2, 4
DEFAULT_PRESETS = ("functional.toml", "cross-functional.toml")
DEFAULT_REPS = 10
DEFAULT_DAYS = 60
MIN_REPS, MAX_REPS = 2, 50
MIN_DAYS, MAX_DAYS = 5, 365
DEFAULT_WORLDS = 0
MIN_WORLDS, MAX_WORLDS = 0, 32
"""Plausible worlds (`sim compare --worlds`): 0 runs the scenarios' own assumptions only."""


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


def summary(scenario: Scenario) -> str:
    """One line a leader recognises: structure, people, demand (the run length is set for
    every scenario alike when the comparison runs)."""
    p = scenario.policies
    changes = any(e.policies for e in scenario.events)
    return (
        f"{structure_label(scenario)} · {scenario.headcount} employees · "
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
                    {"run.days": days, "run.warmup_days": warmup_for(scenario, days)}
                )
            )
        except ScenarioError as exc:
            problems += [f"{name}: {p.partition(': ')[2]}" for p in exc.problems]
    if problems:
        raise ScenarioError(problems)
    return out
