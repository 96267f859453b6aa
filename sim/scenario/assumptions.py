"""Assumption ranges: the plausible values of every key whose value is a modelling choice.

Most of a scenario is the organisation's own data (headcounts, demand, hours). The rest are
*modelling choices*: no source gives the number, only the direction of its effect, and the
verdict between structures can hinge on them. Each such key carries a `Plausible` range in the
schema (`sim.scenario.schema`). This module reads them:

- `plausible_ranges()`: every ranged key by its path (``policies.coordination``; keys in lists
  of tables with ``*``: ``workforce.*.baseline_engagement`` sets every group,
  ``events.*.role_slowdown`` every event), with its default and its allowed bounds;
- `assumption_ranges(scenarios)`: the ranges a comparison uses, after the scenarios'
  ``[assumptions]`` tables ("your estimate") replace the defaults;
- `with_assumptions(scenario, values)`: a scenario in one plausible world;
- `markdown_table()`: the table in `docs/scenario-reference.md` (a test keeps it current;
  ``python -m sim.scenario.assumptions`` prints it).

Run settings, the structure, headcounts and costs, patience and demand are inputs, not
assumptions; so are levers a leader sets (encounters, cross-training) and the definitions of a
KPI (the burnout threshold). They carry no range.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from sim.scenario.schema import Plausible, Scenario


@dataclass(frozen=True)
class Range:
    """One assumption: where it is, its plausible range and what it may be at all."""

    path: str
    low: float
    high: float
    default: float
    why: str = ""
    allowed_low: float = -math.inf
    allowed_high: float = math.inf
    estimate: bool = False
    """True when the range is a scenario's own estimate (its ``[assumptions]`` table)."""

    def value(self, u: float) -> float:
        """The value at quantile `u` in [0, 1] of the range (uniform)."""
        return self.low + u * (self.high - self.low)


def _section_type(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The section model a field holds (and whether as a list), or (None, False)."""
    origin = get_origin(annotation)
    candidates = get_args(annotation) if origin is not None else (annotation,)
    listed = origin is list
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate, listed
        inner, _ = _section_type(candidate) if get_origin(candidate) is not None else (None, False)
        if inner is not None:
            return inner, listed or get_origin(candidate) is list
    return None, False


def _bounds(metadata: Iterable[Any]) -> tuple[float, float]:
    low, high = -math.inf, math.inf
    for item in metadata:
        for name in ("ge", "gt"):
            bound = getattr(item, name, None)
            if bound is not None:
                low = max(low, float(bound))
        for name in ("le", "lt"):
            bound = getattr(item, name, None)
            if bound is not None:
                high = min(high, float(bound))
    return low, high


def _walk(model: type[BaseModel], prefix: str) -> Iterator[Range]:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        plausible = next((m for m in info.metadata if isinstance(m, Plausible)), None)
        if plausible is not None:
            low, high = _bounds(info.metadata)
            yield Range(
                path,
                plausible.low,
                plausible.high,
                float(info.default),
                plausible.why,
                low,
                high,
            )
            continue
        section, listed = _section_type(info.annotation)
        if section is not None:
            yield from _walk(section, f"{path}.*." if listed else f"{path}.")


def plausible_ranges() -> dict[str, Range]:
    """Every ranged key of the schema by its path, in schema order."""
    return {r.path: r for r in _walk(Scenario, "")}


def assumption_problems(scenario: Scenario) -> list[tuple[str, str]]:
    """(key path, message) for each entry of the scenario's ``[assumptions]`` that is not a
    ranged key, or whose range is upside down or outside what the key allows."""
    ranges = plausible_ranges()
    problems = []
    for path, (low, high) in scenario.assumptions.items():
        where = f"assumptions.{path}"
        known = ranges.get(path)
        if known is None:
            close = difflib.get_close_matches(path, ranges, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            problems.append(
                (
                    where,
                    f"is not a modelling choice with a range ({hint}allowed: a key of the "
                    "assumption table in docs/scenario-reference.md)",
                )
            )
            continue
        if not all(math.isfinite(v) for v in (low, high)) or low > high:
            problems.append((where, f"[{low:g}, {high:g}] is not a range (allowed: low <= high)"))
        elif low < known.allowed_low or high > known.allowed_high:
            problems.append(
                (
                    where,
                    f"[{low:g}, {high:g}] goes outside what {path} allows "
                    f"({known.allowed_low:g} to {known.allowed_high:g})",
                )
            )
    return problems


class AssumptionConflict(ValueError):
    """Two scenarios of one comparison give the same assumption different estimates."""


def assumption_ranges(
    scenarios: Iterable[Scenario], names: Iterable[str] | None = None
) -> dict[str, Range]:
    """The ranges a comparison of `scenarios` draws its worlds from: the schema's, replaced by
    the scenarios' own ``[assumptions]``. Scenarios may share an estimate or leave it to
    another scenario; two different estimates of one key raise `AssumptionConflict`."""
    scenarios = list(scenarios)
    labels = list(names) if names is not None else [s.name for s in scenarios]
    ranges = plausible_ranges()
    chosen: dict[str, tuple[tuple[float, float], str]] = {}
    for label, s in zip(labels, scenarios, strict=True):
        for path, (low, high) in s.assumptions.items():
            if path in chosen and chosen[path][0] != (low, high):
                other_range, other = chosen[path]
                raise AssumptionConflict(
                    f"assumptions.{path}: {other} estimates [{other_range[0]:g}, "
                    f"{other_range[1]:g}] and {label} [{low:g}, {high:g}]; the worlds of a "
                    "comparison must be the same for every scenario"
                )
            chosen[path] = ((low, high), label)
    for path, ((low, high), _) in chosen.items():
        r = ranges[path]
        ranges[path] = Range(path, low, high, r.default, "your estimate", *_allowed(r), True)
    return ranges


def _allowed(r: Range) -> tuple[float, float]:
    return r.allowed_low, r.allowed_high


def with_assumptions(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """`scenario` with each assumption path set to its value (``*`` = every item of the
    list: every workforce group, every event; none when the list is empty)."""
    raw = scenario.model_dump()
    for path, value in values.items():
        _set(raw, path.split("."), value)
    return Scenario.model_validate(raw)


def _set(node: Any, parts: list[str], value: float) -> None:
    head, rest = parts[0], parts[1:]
    if head == "*":
        for item in node:
            _set(item, rest, value)
    elif not rest:
        node[head] = value
    else:
        _set(node[head], rest, value)


def markdown_table() -> str:
    """The assumption table of `docs/scenario-reference.md`."""
    lines = [
        "| Key | Default | Plausible range | Why this range |",
        "|---|---|---|---|",
    ]
    for r in plausible_ranges().values():
        why = r.why or "around the default, by judgement"
        lines.append(f"| `{r.path}` | {r.default:g} | {r.low:g} – {r.high:g} | {why} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
