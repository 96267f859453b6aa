"""Can an organisation keep up, and do two scenarios see the same customers?

A verdict between structures means nothing when one of them cannot keep up with its demand:
its queues grow without bound and every average describes a system that never settles. Nor
does a difference mean much when the scenarios do not serve the same demand. These checks
say so in words a leader can act on:

- `bottleneck(scenario)`: the unit with the highest estimated offered load, its load, and how
  many more people of which skill bring every unit under `KEEP_UP` (0.85);
- `demand_differences(scenarios)`: the demand fields in which scenarios differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.scenario import Scenario
from sim.structure import build_units, offered_utilisation

KEEP_UP = 0.85
"""The offered load under which a unit keeps up with room for the day's ups and downs: the
people side's own overload threshold default (`people.overload_threshold`)."""

MAX_EXTRA_PEOPLE = 1000
"""Where the search for extra people gives up (an organisation short of more than this is
short of far more than staff)."""


@dataclass(frozen=True)
class Bottleneck:
    """The unit that cannot keep up, and the staff that would let it."""

    scenario: str
    unit: str
    load: float
    """Its estimated offered load (work per hour of capacity; 1 = every hour busy)."""
    extra_people: dict[str, int]
    """Skill -> more people of that primary skill that bring every unit under `KEEP_UP`
    (empty when none would, within `MAX_EXTRA_PEOPLE`)."""

    @property
    def keeps_up(self) -> bool:
        return self.load < KEEP_UP

    def sentence(self) -> str:
        if self.keeps_up:
            return (
                f"{self.scenario} keeps up: its busiest unit, {self.unit}, is offered "
                f"{self.load:.0%} of its capacity."
            )
        people = ", ".join(
            f"{n} more {skill} {'person' if n == 1 else 'people'}"
            for skill, n in self.extra_people.items()
        )
        fix = (
            f"; {people} would bring every unit under {KEEP_UP:.0%}"
            if people
            else f"; more people alone do not bring it under {KEEP_UP:.0%} (its coordination "
            "grows with its size: more or smaller units would)"
        )
        return (
            f"{self.scenario} cannot keep up: {self.unit} is offered {self.load:.0%} of its "
            f"capacity{fix}."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "unit": self.unit,
            "offered_load": self.load,
            "extra_people": dict(self.extra_people),
            "sentence": self.sentence(),
        }


def _loads(s: Scenario) -> dict[str, float]:
    return offered_utilisation(s, build_units(s))


def _excess(loads: dict[str, float]) -> float:
    """How far the units are above `KEEP_UP`, summed (0 when every unit keeps up)."""
    return sum(max(0.0, load - KEEP_UP) for load in loads.values())


def _with_one_more(s: Scenario, group: int) -> Scenario:
    workforce = list(s.workforce)
    workforce[group] = workforce[group].model_copy(
        update={"headcount": workforce[group].headcount + 1}
    )
    return s.model_copy(update={"workforce": workforce})


def bottleneck(scenario: Scenario, name: str | None = None) -> Bottleneck:
    """The unit with the highest estimated offered load, and the fewest extra people (one
    at a time, each where it lowers the highest load most) that bring every unit under
    `KEEP_UP`. The estimate is `sim.structure.offered_utilisation`'s: no help across units,
    no abandonment, which is what a unit must manage alone. When one more person of any skill
    no longer lowers the highest load (a team whose coordination grows as fast as its
    capacity), no staffing does: `extra_people` is empty."""
    loads = _loads(scenario)
    unit = max(loads, key=loads.__getitem__)
    current, excess = scenario, _excess(loads)
    extra = dict.fromkeys((g.skill for g in scenario.workforce), 0)
    for _ in range(MAX_EXTRA_PEOPLE):
        if excess == 0:
            break
        options = []
        for i, group in enumerate(current.workforce):
            trial = _with_one_more(current, i)
            options.append((_excess(_loads(trial)), i, group.skill, trial))
        best, _, skill, trial = min(options, key=lambda o: (o[0], o[1]))
        if best >= excess - 1e-12:
            break
        excess, current = best, trial
        extra[skill] += 1
    worst = max(_loads(current).values())
    return Bottleneck(
        scenario=name or scenario.name,
        unit=unit,
        load=loads[unit],
        extra_people={k: v for k, v in extra.items() if v} if worst < KEEP_UP else {},
    )


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}"))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = {}
        for i, item in enumerate(value):
            label = item.get("name", i)
            out.update(_flatten(item, f"{prefix}.{label}"))
        return out
    return {prefix: value}


def demand_differences(scenarios: Sequence[Scenario]) -> list[str]:
    """The `[demand]` fields (dotted, request types by name) whose values are not the same in
    every scenario; empty when every scenario sees the same customers."""
    flat = [_flatten(s.demand.model_dump(), "demand") for s in scenarios]
    keys = list(dict.fromkeys(k for f in flat for k in f))
    return [k for k in keys if len({repr(f.get(k)) for f in flat}) > 1]


def demand_warning(scenarios: Sequence[Scenario], names: Sequence[str]) -> str | None:
    """A warning naming the demand fields that differ (and their values), or None."""
    fields = demand_differences(scenarios)
    if not fields:
        return None
    flat = [_flatten(s.demand.model_dump(), "demand") for s in scenarios]
    shown = []
    for key in fields[:6]:
        values = " vs ".join(f"{f.get(key, '(none)')!s}" for f in flat)
        shown.append(f"{key} ({values})")
    more = f" and {len(fields) - 6} more" if len(fields) > 6 else ""
    return (
        f"{', '.join(names)} do not see the same customers: their demand differs in "
        f"{'; '.join(shown)}{more}. Differences mix the structure with the demand."
    )
