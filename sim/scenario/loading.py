"""Loading a scenario: reading TOML, applying overrides, validating, and the checks that need
more than one field.

Loading never shows a traceback to the user: every problem becomes one line
``file: key.path: what is wrong (what is allowed)`` collected in a `ScenarioError`. A scenario
whose structure cannot be built from its workforce, or cannot serve its demand, is an error
too: the loader builds its units (`sim.structure`) to find out.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.calendar import HOURS_PER_WEEK, Week
from sim.files import MAX_TOML_BYTES, read_capped, too_large
from sim.scenario.assumptions import assumption_problems
from sim.scenario.errors import ProblemsError, ScenarioError, describe_errors
from sim.scenario.limits import limit_problems
from sim.scenario.schema import Policies, Scenario, event_scenario
from sim.structure import StructureError, build_units, offered_utilisation

MAX_DEPTH = 20
"""Deepest nesting of tables and lists a TOML input may have (a scenario needs 6)."""


def parse_toml(
    data: bytes, source: str, kind: str = "scenario", error: type[ProblemsError] = ScenarioError
) -> dict[str, Any]:
    """The raw mapping of a `kind` file's bytes, read the same way wherever it comes from (a
    file on the command line, an upload in the dashboard): at most `MAX_TOML_BYTES`, UTF-8,
    with or without the byte-order mark some Windows editors write, nested at most `MAX_DEPTH`
    deep. A problem raises `error` with one line."""
    if len(data) > MAX_TOML_BYTES:
        raise error([too_large(source, MAX_TOML_BYTES, len(data))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error([f"{source}: not a text file (allowed: a TOML {kind} file)"]) from None
    try:
        return _loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error([f"{source}: not valid TOML: {exc}"]) from None
    except _TooDeep:
        raise error([f"{source}: {TOO_DEEP}"]) from None


class _TooDeep(Exception):
    """TOML nested deeper than `MAX_DEPTH`."""


TOO_DEEP = f"nested too deeply (allowed: at most {MAX_DEPTH} levels of tables and lists)"


def _loads(text: str) -> dict[str, Any]:
    """`tomllib.loads`, refusing nesting deeper than `MAX_DEPTH` (`_TooDeep`): deeper still,
    the parser recurses until Python stops it."""
    try:
        raw = tomllib.loads(text)
    except RecursionError:
        raise _TooDeep from None
    if _too_deep(raw):
        raise _TooDeep
    return raw


def _too_deep(value: Any) -> bool:
    """Whether tables and lists nest deeper than `MAX_DEPTH` (walked without recursion)."""
    level = [value]
    for _ in range(MAX_DEPTH + 1):
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def read_toml(
    path: Path, kind: str = "scenario", error: type[ProblemsError] = ScenarioError
) -> dict[str, Any]:
    """The raw mapping of a `kind` file (a scenario, a sweep), read by `parse_toml` (reading
    at most `MAX_TOML_BYTES`); a file that cannot be read or is not TOML raises `error` with
    one line."""
    return parse_toml(read_capped(path, MAX_TOML_BYTES, kind, error), str(path), kind, error)


def load_scenario(
    path: str | Path, overrides: list[str] | tuple[str, ...] = (), *, allow_large: bool = False
) -> Scenario:
    """Read, override (``key.path=value`` strings, as `sim run --set`) and validate a file
    (`parse_scenario`)."""
    path = Path(path)
    source = str(path)
    raw = read_toml(path)
    apply_overrides(raw, overrides, source)
    return parse_scenario(raw, source, allow_large=allow_large)


def parse_scenario(
    raw: dict[str, Any], source: str = "<scenario>", *, allow_large: bool = False
) -> Scenario:
    """Validate a raw mapping (from TOML, a form or an upload) into a `Scenario`. Unless
    `allow_large`, a scenario over the limits of `sim.scenario.limits` (headcount, work per
    run) is refused before anything is built."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(
            [f"{source}: {path}: {message}" for path, message in describe_errors(exc)]
        ) from None
    problems = [] if allow_large else limit_problems(scenario)
    problems = problems or consistency_problems(scenario)
    if problems:
        raise ScenarioError([f"{source}: {path}: {message}" for path, message in problems])
    return scenario


def apply_overrides(raw: dict[str, Any], overrides: list[str] | tuple[str, ...], source: str):
    """Apply ``key.path=value`` strings in place; values are read as TOML, else as text."""
    problems = []
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(f"{source}: --set {item}: expected key.path=value (e.g. run.days=30)")
            continue
        try:
            value = _loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = text.strip()  # not a TOML value: taken as text
        except _TooDeep:
            problems.append(f"{source}: --set {key}: {TOO_DEEP}")
            continue
        try:
            set_path(raw, key.split("."), value)
        except ScenarioError as exc:
            problems += [f"{source}: {p}" for p in exc.problems]
    if problems:
        raise ScenarioError(problems)


def set_path(raw: Any, parts: list[str], value: Any) -> None:
    """Set the value at a dotted key's parts in a raw mapping, in place (lists by index)."""
    node = raw
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                allowed = f"0 to {len(node) - 1}" if node else "none: the list is empty"
                raise ScenarioError([f"{here}: no item {part!r} (allowed: {allowed})"])
            index = int(part)
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            elif part not in node and parts[depth + 1].isdigit():
                raise ScenarioError([f"{here}: not set, so it has no item {parts[depth + 1]}"])
            else:
                node = node.setdefault(part, {})
        else:
            raise ScenarioError([f"{here}: {'.'.join(parts[:depth])} is a value, not a table"])


# --------------------------------------------------------------------------------------------
# Cross-field checks


def consistency_problems(s: Scenario) -> list[tuple[str, str]]:
    """Problems that need more than one field to see. Empty when the scenario is coherent."""
    problems: list[tuple[str, str]] = []
    total = sum(t.share for t in s.demand.request_types)
    if abs(total - 1.0) > 1e-6:
        problems.append(
            ("demand.request_types", f"shares sum to {total:g} (allowed: shares summing to 1)")
        )
    names = [t.name for t in s.demand.request_types]
    for i, name in enumerate(names):
        if names.index(name) != i:
            problems.append((f"demand.request_types.{i}.name", f"{name!r} is used twice"))
    skills = s.skills
    for i, rtype in enumerate(s.demand.request_types):
        for j, task in enumerate(rtype.tasks):
            if task.skill not in skills:
                problems.append(
                    (
                        f"demand.request_types.{i}.tasks.{j}.skill",
                        f"{task.skill!r} is a skill nobody has (allowed: {', '.join(skills)})",
                    )
                )
    primaries = [g.skill for g in s.workforce]
    for i, group in enumerate(s.workforce):
        if primaries.index(group.skill) != i:
            problems.append(
                (f"workforce.{i}.skill", f"{group.skill!r} has two groups (merge them)")
            )
        for skill in group.other_skills:
            if skill == group.skill:
                problems.append(
                    (f"workforce.{i}.other_skills.{skill}", "is the primary skill already")
                )
    hours = s.run.hours_per_day
    profile = s.demand.hourly_profile
    if profile and len(profile) != round(hours):
        problems.append(
            (
                "demand.hourly_profile",
                f"has {len(profile)} values (allowed: one per working hour, {round(hours)})",
            )
        )
    for skill in s.policies.reserve:
        if skill not in skills:
            problems.append(
                (
                    f"policies.reserve.{skill}",
                    f"is a skill nobody has (allowed: {', '.join(skills)})",
                )
            )
    for key, values in (("hourly_profile", profile), ("weekly_profile", s.demand.weekly_profile)):
        if values and max(values) <= 0:
            problems.append((f"demand.{key}", "is all zero (allowed: some positive weight)"))
    problems += _calendar_problems(s)
    problems += _structure_problems(s)
    problems += _event_problems(s)
    problems += assumption_problems(s)
    if not problems:
        problems += _unit_name_problems(s)
    return problems


def _unit_name_problems(s: Scenario) -> list[tuple[str, str]]:
    """`policies.unit_metric_weights` (also in events) must name units the run will have."""
    versions = [s] + [event_scenario(s, event) for event in s.events]
    names = list(dict.fromkeys(u.name for v in versions for u in build_units(v).units))
    problems = []
    keyed = [("policies", s.policies.unit_metric_weights)] + [
        (f"events.{i}.policies", event.policies.get("unit_metric_weights", {}))
        for i, event in enumerate(s.events)
    ]
    for where, weights in keyed:
        for name in weights:
            if name not in names:
                problems.append(
                    (
                        f"{where}.unit_metric_weights.{name}",
                        f"is not a unit of this scenario (allowed: {', '.join(names)})",
                    )
                )
    return problems


def _calendar_problems(s: Scenario) -> list[tuple[str, str]]:
    calendar = s.calendar
    if calendar is None:
        return [
            (f"workforce.{i}.{key}", "needs a [calendar] with its shifts (allowed: empty)")
            for i, group in enumerate(s.workforce)
            for key in ("shift", "shift_headcounts")
            if getattr(group, key)
        ]
    problems: list[tuple[str, str]] = []
    if s.run.hours_per_day != 24:
        problems.append(
            (
                "run.hours_per_day",
                f"is {s.run.hours_per_day:g} (allowed with a [calendar]: 24, the clock runs "
                "in calendar hours)",
            )
        )
    for key in ("hourly_profile", "weekly_profile"):
        if getattr(s.demand, key):
            problems.append(
                (f"demand.{key}", "is not used with a [calendar] (use calendar.arrival_profile)")
            )
    profile = calendar.arrival_profile
    if profile and len(profile) != HOURS_PER_WEEK:
        problems.append(
            (
                "calendar.arrival_profile",
                f"has {len(profile)} values (allowed: {HOURS_PER_WEEK}, one per hour of the "
                "week from Monday 00:00)",
            )
        )
    elif profile and max(profile) <= 0:
        problems.append(("calendar.arrival_profile", "is all zero (allowed: some positive weight)"))
    patterns = {"opening_hours": calendar.opening_hours}
    patterns |= {f"shifts.{name}": hours for name, hours in calendar.shifts.items()}
    for key, hours in patterns.items():
        if Week.from_text(hours).hours <= 0:
            problems.append((f"calendar.{key}", "has no hours (allowed: some hours in the week)"))
    for i, group in enumerate(s.workforce):
        names = ", ".join(calendar.shifts) or "none defined in calendar.shifts"
        if group.shift and group.shift not in calendar.shifts:
            problems.append(
                (f"workforce.{i}.shift", f"{group.shift!r} is not a shift (allowed: {names})")
            )
        for name in group.shift_headcounts:
            if name not in calendar.shifts:
                problems.append(
                    (
                        f"workforce.{i}.shift_headcounts.{name}",
                        f"{name!r} is not a shift (allowed: {names})",
                    )
                )
        counted = sum(group.shift_headcounts.values())
        if counted > group.headcount:
            problems.append(
                (
                    f"workforce.{i}.shift_headcounts",
                    f"counts {counted} people (allowed: up to the group's headcount, "
                    f"{group.headcount})",
                )
            )
    return problems


def _event_problems(s: Scenario) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    last = 0
    for i, event in enumerate(s.events):
        if not s.run.warmup_days <= event.day < s.run.days:
            problems.append(
                (
                    f"events.{i}.day",
                    f"{event.day} is outside the run (allowed: {s.run.warmup_days} to "
                    f"{s.run.days - 1}, after the warm-up and before arrivals stop)",
                )
            )
        if event.day <= last:
            problems.append((f"events.{i}.day", "events must be in increasing day order"))
        last = event.day
        try:
            after = event_scenario(s, event)
        except ValidationError as exc:
            problems += [
                (f"events.{i}.policies.{path}", message)
                for path, message in describe_errors(exc, Policies)
            ]
            continue
        problems += [(f"events.{i}.{path}", m) for path, m in _structure_problems(after)]
    return problems


def _structure_problems(s: Scenario) -> list[tuple[str, str]]:
    try:
        build_units(s)
    except StructureError as exc:
        return list(exc.problems)
    return []


def scenario_warnings(s: Scenario) -> list[str]:
    """Warnings that do not stop a run: offered load at or above capacity, per unit."""
    units = build_units(s)
    loads = offered_utilisation(s, units)
    over = {name: rho for name, rho in loads.items() if rho >= 1.0}
    if not over:
        return []
    listing = ", ".join(f"{name} {rho:.2f}" for name, rho in loads.items())
    return [
        f"offered load may be at or above capacity in {', '.join(over)} "
        f"(estimated utilisation per unit: {listing}; the estimate leaves out help across "
        "units and abandonment); if so, queues grow without bound and the run is marked "
        "unstable"
    ]
