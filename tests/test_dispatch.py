"""Dispatch reads indices (`sim.dispatch`) instead of scanning people, queues and units; the
model's event list is a lean heap (`sim.agenda`) in Mesa's order.

These tests check every answer the indices give during real runs against the scan they replace:
the most proficient idle member (ties: the customer's last contact, then longest idle), the
next waiting request an employee takes (oldest customer, or shortest task when cherry-picking),
the best idle helper in another unit, and the other unit with the longest queue of work an
employee can do. And that the agenda keeps Mesa's clock, step and event API working.
"""

from __future__ import annotations

import math
from heapq import heappop
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import load_scenario, run
from sim.agents import Employee
from sim.dispatch import HelpIndex
from sim.model import OrgModel
from sim.request import Request
from sim.scenario import Scenario
from sim.unit import Unit

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


# The scans the indices replace ---------------------------------------------------------------


def scan_best_idle(unit: Unit, skill: str | None, prefer: Employee | None) -> Employee | None:
    best, best_level = None, 0.0
    for employee in unit.idle:  # longest idle first
        level = 1.0 if skill is None else employee.proficiency.get(skill, 0.0)
        if level > best_level or (level == best_level and employee is prefer and level > 0):
            best, best_level = employee, level
    return best


def scan_take(unit: Unit, employee: Employee, shortest: bool, triage_hours: float, helping: bool):
    """The dispatch rule read off the queue: the employee's skill tiers in order (primary
    first, most proficient first, or all alike), triage with the first tier."""
    can = employee.proficiency
    rule = employee.model.config.policies.dispatch
    if rule == "oldest":
        tiers = [set(can)]
    elif rule == "primary_first":
        tiers = [{employee.skill}, set(can) - {employee.skill}]
    else:
        tiers = [{k for k, v in can.items() if v == level} for level in sorted(set(can.values()))]
        tiers.reverse()
    for number, tier in enumerate(tiers):
        chosen, best_hours = None, math.inf
        for request in unit.queue:  # oldest customer first
            skill = request.skill
            if not (skill in tier if skill is not None else not helping and number == 0):
                continue
            if not shortest:
                return request
            hours = triage_hours if request.triage else request.task_hours
            if hours < best_hours:
                chosen, best_hours = request, hours
        if chosen is not None:
            return chosen
    return None


def scan_helper(units: list[Unit], skill: str) -> Employee | None:
    best, best_level = None, 0.0
    for unit in units:
        candidate = scan_best_idle(unit, skill, None)
        if candidate is not None and candidate.proficiency[skill] > best_level:
            best, best_level = candidate, candidate.proficiency[skill]
    return best


def scan_busiest(units: list[Unit], employee: Employee) -> Unit | None:
    can = employee.proficiency
    others = [
        u
        for u in units
        if u is not employee.unit and any(r.skill is not None and r.skill in can for r in u.queue)
    ]
    return max(others, key=lambda u: len(u.queue)) if others else None


class Checks:
    """Wraps the index queries of one model: every answer is compared with the scan."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counts: dict[str, int] = dict.fromkeys(("best", "take", "helper", "busiest"), 0)
        best_idle, take = Unit.best_idle, Unit.take
        helper, busiest = HelpIndex.best_idle, HelpIndex.busiest_for
        checks = self

        def checked_best_idle(unit: Unit, skill: str | None, prefer: Employee | None = None):
            expected = scan_best_idle(unit, skill, prefer)
            got = best_idle(unit, skill, prefer)
            assert got is expected
            checks.counts["best"] += 1
            return got

        def checked_take(
            unit: Unit, employee: Employee, shortest: bool, triage: float, helping: bool = False
        ):
            expected = scan_take(unit, employee, shortest, triage, helping)
            got = take(unit, employee, shortest, triage, helping)
            assert got is expected
            checks.counts["take"] += got is not None
            return got

        def checked_helper(index: HelpIndex, skill: str):
            expected = scan_helper(list(index.units), skill)
            got = helper(index, skill)
            assert got is expected
            checks.counts["helper"] += got is not None
            return got

        def checked_busiest(index: HelpIndex, employee: Employee):
            expected = scan_busiest(list(index.units), employee)
            got = busiest(index, employee)
            assert got is expected
            checks.counts["busiest"] += got is not None
            return got

        monkeypatch.setattr(Unit, "best_idle", checked_best_idle)
        monkeypatch.setattr(Unit, "take", checked_take)
        monkeypatch.setattr(HelpIndex, "best_idle", checked_helper)
        monkeypatch.setattr(HelpIndex, "busiest_for", checked_busiest)


def checked_run(scenario: Scenario, seed: int, monkeypatch: pytest.MonkeyPatch) -> Checks:
    checks = Checks(monkeypatch)
    OrgModel(scenario, rng=seed).simulate()
    return checks


BUSY = {
    "run.days": 12,
    "run.warmup_days": 1,
    "run.drain_limit_days": 5.0,
    "demand.requests_per_day": 235.0,
    "policies.customer_metric_weight": 0.2,
    "policies.help_across_units": 0.8,
    "policies.misrouting": 0.3,
    "people.forgetting": 0.05,
    "people.cross_training_hours_per_week": 2.0,
}
"""Near capacity, local metrics (cherry-picking, transfer-out), much help and misrouting,
forgetting and cross-training: every index is exercised, with part-proficient people."""


@pytest.mark.parametrize(
    ("preset", "rule"),
    [
        ("functional", "primary_first"),
        ("cross-functional", "primary_first"),
        ("matrix", "primary_first"),
        ("cross-functional", "fastest"),
        ("cross-functional", "oldest"),
    ],
)
def test_every_dispatch_choice_matches_the_scan(
    preset: str, rule: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = load_scenario(SCENARIOS / f"{preset}.toml").with_overrides(
        **BUSY, **{"policies.dispatch": rule}
    )
    checks = checked_run(scenario, seed=3, monkeypatch=monkeypatch)
    assert checks.counts["best"] > 1000
    assert checks.counts["take"] > 100
    assert checks.counts["helper"] > 10
    assert checks.counts["busiest"] > 10


def test_choices_match_the_scan_through_a_reorganisation(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario(SCENARIOS / "lessons" / "reorganisation.toml").with_overrides(
        **{"run.days": 30, "policies.customer_metric_weight": 0.2}
    )
    checks = checked_run(scenario, seed=2, monkeypatch=monkeypatch)
    assert checks.counts["take"] > 100
    assert checks.counts["helper"] > 0


def test_choices_match_the_scan_when_help_is_switched_on_mid_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With nobody willing to help, the help index is not kept (`HelpIndex.active`); switched
    on mid-run (the classroom's levers), it is rebuilt from who is idle and what waits then,
    and every helper and busiest unit it names afterwards is the scan's."""
    scenario = load_scenario(SCENARIOS / "functional.toml").with_overrides(
        **{**BUSY, "run.days": 6, "policies.help_across_units": 0.0}
    )
    checks = Checks(monkeypatch)
    model = OrgModel(scenario, rng=4)
    assert not model.help_index.active
    model.run_until(3 * model.hours_per_day)
    assert checks.counts["helper"] == checks.counts["busiest"] == 0
    model.adjust(**{"policies.help_across_units": 0.8})
    assert model.help_index.active
    for skill in sorted({t.skill for r in scenario.demand.request_types for t in r.tasks}):
        model.help_index.best_idle(skill)  # each answer checked against the scan
    for employee in model.employees:  # asked of those with nothing to do at home
        if not employee.unit.queue.has_work_for(employee.proficiency):
            model.help_index.busiest_for(employee)
    model.simulate()
    assert checks.counts["helper"] > 10
    assert checks.counts["busiest"] > 10


# The agenda -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> Scenario:
    return load_scenario(SCENARIOS / "functional.toml").with_overrides(
        **{"run.days": 3, "run.warmup_days": 1}
    )


def test_steps_and_run_until_keep_mesa_clock(small: Scenario) -> None:
    model = OrgModel(small, rng=1)
    model.step()
    assert model.time == 1.0
    assert model.steps == 1
    model.run_until(7.5)
    assert model.time == 7.5
    assert model.steps == 7
    model.run_for(2)
    assert model.time == 9.5
    assert model.arrived > 0


def test_mesa_events_run_in_order_with_the_agenda(small: Scenario) -> None:
    """An event scheduled with Mesa's own API, even from inside a model event, runs at its time
    among the model's events, and sees Mesa's clock at that time."""
    model = OrgModel(small, rng=1)
    seen: list[tuple[str, float]] = []

    class Probe:
        def at_mesa(self) -> None:
            seen.append(("mesa", model.time))

        def arrive(self) -> None:  # wraps the model's arrival event
            seen.append(("arrival", model.time))
            if len(seen) == 1:
                model.schedule_event(self.at_mesa, at=model.time + 1e-9)
            original()

    probe = Probe()
    original = model.arrive
    model.arrive = probe.arrive  # type: ignore[method-assign]
    model.agenda.heap[:] = [
        [t, p, o, probe.arrive if cb == original else cb] for t, p, o, cb in model.agenda.heap
    ]
    model.run_until(4.0)
    first = seen[0][1]
    assert seen[1] == ("mesa", first + 1e-9)
    assert all(a[1] <= b[1] for a, b in pairwise(seen))


def test_a_run_is_the_same_whether_stepped_or_run(small: Scenario) -> None:
    """Advancing the clock in many small slices (as the dashboard does) changes nothing."""
    whole = OrgModel(small, rng=4)
    whole.run_until(20.0)
    sliced = OrgModel(small, rng=4)
    while sliced.time < 20.0:
        sliced.run_until(min(20.0, sliced.time + 0.37))
    assert whole.arrived == sliced.arrived
    assert whole.requests.values == sliced.requests.values
    assert [len(u.queue) for u in whole.units] == [len(u.queue) for u in sliced.units]


EVENTS = st.lists(st.tuples(st.sampled_from([0.0, 0.5, 1.0]), st.sampled_from([1, 5, 10])))


@settings(max_examples=25, deadline=None)
@given(EVENTS)
def test_agenda_order_is_mesas(events: list[tuple[float, int]]) -> None:
    """Time, then priority, then order of scheduling: as Mesa's own event list."""
    from mesa import Model
    from mesa.time import Priority

    from sim.agenda import Agenda

    ours: list[int] = []
    mesa_order: list[int] = []
    agenda = Agenda()
    model = Model(rng=1)

    class Callback:
        def __init__(self, i: int) -> None:
            self.i = i

        def ours(self) -> None:
            ours.append(self.i)

        def mesa(self) -> None:
            mesa_order.append(self.i)

    keep = [Callback(i) for i in range(len(events))]
    for callback, (time, priority) in zip(keep, events, strict=True):
        agenda.at(time, callback.ours, priority)
        model.schedule_event(callback.mesa, at=time, priority=Priority(priority))
    model.run_until(2.0)
    while agenda.heap:
        heappop(agenda.heap)[3]()
    assert ours == mesa_order


def test_queues_and_idle_lists_are_consistent_after_a_run(small: Scenario) -> None:
    result = run(small, seed=5)
    assert result.kpis["arrived"] > 0
    model = OrgModel(small, rng=5)
    model.run_until(16.0)
    for unit in model.units:
        waiting = list(unit.queue)
        assert len(waiting) == len(unit.queue)
        assert all(isinstance(r, Request) and r.queue_seq >= 0 for r in waiting)
        assert all(e.activity == "idle" and e.idle_order >= 0 for e in unit.idle)
        assert all(
            e.idle_order == -1 for e in unit.members if e not in unit.idle and e.unit is unit
        )
