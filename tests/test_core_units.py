"""The model's parts, one at a time: building units, routing a task, picking from a queue, the
learning curve, burnout and what follows it. No run, no statistics: a failure names the part
that broke, in a second.

The whole-run tests (validation against queueing theory, the people side's known effects)
prove that the parts add up; these pin each part's own rule. Units and requests are the real
ones, built from a small scenario with `OrgModel` (which builds its units and people but runs
nothing until asked).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from sim.agents import Employee, learning_curve
from sim.model import OrgModel
from sim.request import Request
from sim.scenario import Scenario, parse_scenario
from sim.structure import Organisation, build_units, offered_utilisation

SKILLS = {"policy": 5, "billing": 4, "claims": 3}
TASK_HOURS = {"policy": 0.5, "billing": 1.0, "claims": 2.0}


def scenario(kind: str = "functional", **structure: Any) -> Scenario:
    """Three skills, twelve people (5 + 4 + 3), a request type per skill and one of two steps."""
    return parse_scenario(
        {
            "name": "parts",
            "run": {"days": 5, "warmup_days": 1},
            "demand": {
                "requests_per_day": 20,
                "request_types": [
                    {
                        "name": s,
                        "share": 0.25,
                        "expected_hours": 4,
                        "tasks": [{"skill": s, "hours": h}],
                    }
                    for s, h in (("policy", 0.5), ("billing", 1.0), ("claims", 2.0))
                ]
                + [
                    {
                        "name": "claim and payout",
                        "share": 0.25,
                        "expected_hours": 8,
                        "tasks": [
                            {"skill": "claims", "hours": 1.0},
                            {"skill": "billing", "hours": 0.5},
                        ],
                    }
                ],
            },
            "workforce": [{"skill": s, "headcount": n} for s, n in SKILLS.items()],
            "structure": {"kind": kind, **structure},
        }
    )


# --------------------------------------------------------------------------------------------
# Building units from one workforce


def test_functional_makes_one_department_per_primary_skill():
    org = build_units(scenario())
    assert [(u.name, len(u.members), set(u.serves)) for u in org.units] == [
        ("policy", 5, {"policy"}),
        ("billing", 4, {"billing"}),
        ("claims", 3, {"claims"}),
    ]
    assert org.homes == () and org.owners == {"policy": (0,), "billing": (1,), "claims": (2,)}


@pytest.mark.parametrize("teams", [1, 2, 3, 4, 5])
def test_teams_are_dealt_like_cards(teams: int):
    """Sizes differ by one at most and each skill is spread as evenly as it can be."""
    org = build_units(scenario("cross_functional", teams=teams))
    sizes = [len(u.members) for u in org.units]
    assert len(sizes) == teams and sum(sizes) == 12 and max(sizes) - min(sizes) <= 1
    for skill, headcount in SKILLS.items():
        per_team = [sum(m.skill == skill for m in u.members) for u in org.units]
        assert sum(per_team) == headcount and max(per_team) - min(per_team) <= 1
    assert org.homes == tuple(range(teams))
    people = sorted(m.index for u in org.units for m in u.members)
    assert people == list(range(12))  # the same twelve people, each once


def test_the_scarcest_skill_is_dealt_first_to_the_weakest_team():
    """The rule of docs/scenario-reference.md, dealt by hand for five teams: claims (3 people)
    first, then billing (4), then policy (5); each person to the team with the least capability
    in their skill, then the least overall, then the fewest members, then the first.
    claims -> T1, T2, T3; billing -> T4, T5 (empty), then T1, T2; policy -> T3, T4, T5 (the
    least overall), then T1, then T2 (sizes 3, 3, 2, 2, 2)."""
    org = build_units(scenario("cross_functional", teams=5))
    skills = [sorted(m.skill for m in u.members) for u in org.units]
    assert skills == [
        ["billing", "claims", "policy"],
        ["billing", "claims", "policy"],
        ["claims", "policy"],
        ["billing", "policy"],
        ["billing", "policy"],
    ]


def test_the_order_of_the_workforce_in_the_file_does_not_change_the_teams():
    forward = build_units(scenario("cross_functional", teams=5))
    s = scenario("cross_functional", teams=5)
    backward = build_units(s.model_copy(update={"workforce": list(reversed(s.workforce))}))

    def team_skills(org: Organisation) -> list[list[str]]:
        return [sorted(m.skill for m in u.members) for u in org.units]

    assert team_skills(backward) == team_skills(forward)


def test_a_matrix_pools_the_shared_skills():
    org = build_units(scenario("matrix", teams=2, shared_skills=["claims"]))
    names = [u.name for u in org.units]
    assert names == ["Team 1", "Team 2", "claims pool"]
    assert all("claims" not in u.serves for u in org.units[:2])
    assert len(org.units[2].members) == 3 and org.owners["claims"] == (2,)
    assert org.pooled == {"claims"} and org.homes == (0, 1)


# --------------------------------------------------------------------------------------------
# Routing


def always(value: float) -> Callable[[], float]:
    """A stand-in for a request's stream that draws `value` every time."""
    return lambda: value


def test_a_task_stays_put_goes_home_or_is_handed_off():
    org = build_units(scenario())
    # In the department that serves the skill: stay.
    assert org.unit_for("billing", current=1, home=None, draw=always(0.0)) == 1
    # Elsewhere: handed off to the owner.
    assert org.unit_for("billing", current=0, home=None, draw=always(0.99)) == 1
    teams = build_units(scenario("cross_functional", teams=3))
    # A team member who lacks nothing keeps it; with no current unit it goes home.
    assert teams.unit_for("claims", current=2, home=0, draw=always(0.5)) == 2
    assert teams.unit_for("claims", current=None, home=1, draw=always(0.5)) == 1
    pooled = build_units(scenario("matrix", teams=2, shared_skills=["claims"]))
    # A pooled skill always goes to its pool, even from home.
    assert pooled.unit_for("claims", current=0, home=0, draw=always(0.0)) == 2


def test_a_team_without_the_skill_hands_off_to_one_of_the_owners_uniformly():
    """Five teams: claims is in teams 0, 1 and 2 only (dealt above); from team 3 a claims task
    goes to the owner the draw picks, a third of [0, 1) each."""
    org = build_units(scenario("cross_functional", teams=5))
    assert org.owners["claims"] == (0, 1, 2)
    picked = [org.unit_for("claims", current=3, home=3, draw=always(u)) for u in (0.1, 0.4, 0.9)]
    assert picked == [0, 1, 2]


def test_copies_of_a_structure_s_units_each_carry_the_load_of_the_original():
    """The offered utilisation estimate walks every place a request can come from to every
    unit it can go to (a task's hours in a unit computed once per unit and task): three copies
    of each department, sharing three times the demand, are each as busy as the original, with
    the handoffs between copies charged like those between the departments."""
    one = scenario()
    org = build_units(one)
    copies = [
        {"name": f"{u.name} {c}", "members": {u.name: len(u.members)}, "serves": sorted(u.serves)}
        for c in (1, 2, 3)
        for u in org.units
    ]
    three = one.with_overrides(
        **{
            "structure": {"kind": "custom", "units": copies},
            "demand.requests_per_day": 3 * one.demand.requests_per_day,
            "workforce": [{"skill": s, "headcount": 3 * n} for s, n in SKILLS.items()],
        }
    )
    offered = offered_utilisation(one, org)
    for name, load in offered_utilisation(three, build_units(three)).items():
        assert load == pytest.approx(offered[name.rsplit(" ", 1)[0]], rel=1e-12)


def test_home_teams_are_drawn_in_proportion_to_their_capability_for_the_demand():
    """By hand, from docs/scenario-reference.md: work hours per request by skill are claims
    0.25 x 2 + 0.25 x 1 = 0.75, billing 0.25 x 1 + 0.25 x 0.5 = 0.375, policy 0.25 x 0.5 =
    0.125 (1.25 in all). Teams 1-2 hold one of the 3 claims, 4 billing and 5 policy people;
    team 3 claims and policy; teams 4-5 billing and policy. Team 1's weight is
    0.75/3 + 0.375/4 + 0.125/5 = 0.36875 of 1.25, 29.5%; team 3: 0.275, 22%; team 4: 0.11875,
    9.5%. Of 1200 evenly spread picks: 354, 354, 264, 114, 114 (headcount would give 3:3:2:2:2)."""
    org = build_units(scenario("cross_functional", teams=5))
    picks = [(i + 0.5) / 1200 for i in range(1200)]
    drawn = Counter(org.home_for(p) for p in picks)
    assert [drawn[t] for t in range(5)] == [354, 354, 264, 114, 114]
    assert build_units(scenario()).home_for(0.3) is None  # departments own no request


def test_equal_teams_are_home_to_equal_shares():
    org = build_units(scenario("cross_functional", teams=1))
    assert {org.home_for(p) for p in (0.0, 0.5, 0.999)} == {0}
    s = scenario("cross_functional", teams=2)
    even = s.model_copy(
        update={"workforce": [w.model_copy(update={"headcount": 4}) for w in s.workforce]}
    )  # 4 + 4 + 4 people: two teams of 2 + 2 + 2
    org = build_units(even)
    drawn = Counter(org.home_for((i + 0.5) / 1000) for i in range(1000))
    assert drawn == {0: 500, 1: 500}


# --------------------------------------------------------------------------------------------
# Picking from a queue


@pytest.fixture
def model() -> OrgModel:
    return OrgModel(scenario(), rng=1)


def waiting(
    model: OrgModel, type_index: int, arrived: float, seq: int, triage: bool = False
) -> Request:
    """A real request of type `type_index`, queued in the unit of its first task (`triage`:
    misrouted there, waiting for that unit's triage)."""
    rtype = model.config.demand.request_types[type_index]
    request = Request(model, seq, type_index, rtype, [1.0] * len(rtype.tasks), math.inf, 0.0,
                      True, arrived, [], 0.0, model.org)  # fmt: skip
    unit = model.units[request.unit]  # departments: the one that serves the first task
    request.triage = triage
    unit.enqueue(request, seq)
    return request


def test_the_oldest_customer_first_or_the_shortest_task_when_cherry_picking(model: OrgModel):
    claims = model.units[2]  # serves claims: "claims" (2 h) and "claim and payout" (1 h)
    worker = next(e for e in model.employees if e.unit is claims)
    long_one = waiting(model, 2, arrived=1.0, seq=1)
    short_one = waiting(model, 3, arrived=2.0, seq=2)
    later_long = waiting(model, 2, arrived=3.0, seq=3)
    assert claims.take(worker, shortest_first=True, triage_hours=0.1) is short_one
    assert claims.take(worker, shortest_first=False, triage_hours=0.1) is long_one
    assert claims.take(worker, shortest_first=False, triage_hours=0.1) is later_long
    assert claims.take(worker, shortest_first=False, triage_hours=0.1) is None


def test_nobody_takes_work_they_cannot_do_and_helpers_never_triage(model: OrgModel):
    claims = model.units[2]
    policy_person = next(e for e in model.employees if e.skill == "policy")
    triaged = waiting(model, 2, arrived=1.0, seq=1, triage=True)
    claim = waiting(model, 2, arrived=2.0, seq=2)
    assert claims.take(policy_person, False, 0.1, helping=True) is None  # no claims skill
    own = next(e for e in model.employees if e.unit is claims)
    assert claims.take(own, False, 0.1, helping=True) is claim  # a helper: never the triage
    assert claims.take(own, False, 0.1) is triaged  # the unit's own: the triage too


# --------------------------------------------------------------------------------------------
# The learning curve


@pytest.mark.parametrize("rate", [0.8, 0.85, 0.9])
def test_each_doubling_of_practice_leaves_the_learning_rate_of_the_gap(rate: float):
    """Wright's curve: after 1 repetition r of the gap is left, after 3 r², after 7 r³."""
    assert learning_curve(0.3, 0, rate) == pytest.approx(0.3)
    for practice, power in ((1, 1), (3, 2), (7, 3)):
        assert learning_curve(0.3, practice, rate) == pytest.approx(0.3 * rate**power)
    assert learning_curve(0.3, 1000, 1.0) == pytest.approx(0.3)  # the neutral rate learns nothing


# --------------------------------------------------------------------------------------------
# Burnout: engagement under overload, then sick days or a resignation


def person(**people: float) -> tuple[OrgModel, Employee]:
    """The small scenario with `people` overrides, built but not run (a 100-day window: the
    days below fall inside it), and its first employee."""
    changes = {f"people.{k}": v for k, v in people.items()}
    model = OrgModel(scenario().with_overrides(**changes, **{"run.days": 100}), 1)
    return model, model.employees[0]


def test_overload_wears_engagement_down_and_a_low_week_is_a_burnout():
    """Full days with no support: engagement falls each day, the days below the threshold are
    counted, and `burnout_days` of them in a row make a burnout. No overload loss: nothing
    falls."""
    for loss in (0.1, 0.0):
        model, e = person(overload_loss=loss, burnout_sickness=0.0)
        people, hours = model.config.people, model.hours_per_day
        trace = []
        for day in range(1, 41):
            e.busy_today = hours  # busy all day
            e.end_day(day * hours, support=0.0, counted=True)
            trace.append((e.engagement, e.low_days, e.burnt_out))
        if not loss:
            assert all(engagement == e.baseline_engagement for engagement, _, _ in trace)
            assert not e.burnt_out and e.low_days == 0
            continue
        engagement = [t[0] for t in trace]
        assert engagement[-1] < people.burnout_threshold < engagement[0] <= e.baseline_engagement
        assert all(b <= a for a, b in itertools.pairwise(engagement))
        # Falling, so below the threshold from some day on, for good: days in a row = days so far.
        low = list(itertools.accumulate(x < people.burnout_threshold for x in engagement))
        assert [t[1] for t in trace] == low
        assert [t[2] for t in trace] == [n >= people.burnout_days for n in low]


def test_a_burning_out_person_goes_off_sick_only_with_burnout_sickness():
    """`burnout_sickness` is a daily chance on top of ordinary sickness (1: certainly); at 0,
    with no other absence, no draw is even made."""
    for sickness, burning_out, away in ((1.0, True, "sick"), (1.0, False, ""), (0.0, True, "")):
        model, e = person(burnout_sickness=sickness)
        e.low_days = model.config.people.burnout_days - (0 if burning_out else 1)
        e.absent_or_back(model.config.people, 2 * model.hours_per_day)
        assert e.absence == away
        assert (e.activity == "off duty") == bool(away) and (e in e.unit.roster) == (not away)
        if not sickness:
            assert e.absence_stream is None


def test_a_burning_out_person_resigns_and_the_new_hire_starts_afresh_and_slower():
    """`burnout_quit`: a daily chance to resign while burning out; the post is then empty for
    `hiring_lag_days` working days (a quit, inside the window), then a new hire takes it at
    baseline engagement, with no practice and `new_hire_slowdown`. At 0, nobody leaves."""
    for quit in (0.2, 0.0):
        model, e = person(burnout_quit=quit, burnout_sickness=0.0, hiring_lag_days=3.0)
        people, hours = model.config.people, model.hours_per_day
        e.low_days, e.engagement = people.burnout_days, 0.1
        day = 2
        while e.absence != "vacant" and day < 100:  # 0.8**98: never by chance
            e.absent_or_back(people, day * hours)
            day += 1
        if not quit:
            assert (e.absence, model.quits, e.activity) == ("", 0, "idle")
            continue
        assert (e.vacant_days, model.quits, e.activity) == (3.0, 1, "off duty")
        for later in (day, day + 1):
            e.absent_or_back(people, later * hours)
            assert e.absence == "vacant" and e not in e.unit.roster
        e.absent_or_back(people, (day + 2) * hours)
        assert e.absence == "" and e.activity != "off duty"
        assert e.engagement == e.baseline_engagement and e.low_days == 0
        assert (e.role_slowdown, e.role_tasks) == (people.new_hire_slowdown, 0)
        assert e.practice == dict.fromkeys(e.partial_skills, 0.0)
