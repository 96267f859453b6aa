"""A request type's slow cases (`slow_case_share`): the type's start delays, handoff delays
and failed first contacts drawn together, on the same share of its requests. Neutral at 1
(the default), the averages kept, and the quick cases quicker when the share is smaller."""

from __future__ import annotations

import json

import pytest
from calibration_logs import helpdesk_export, helpdesk_fit

from sim.runner import run
from sim.scenario import load_scenario, parse_scenario

TWO_TEAMS = {
    "name": "two teams",
    "run": {"days": 150, "warmup_days": 10, "hours_per_day": 24.0, "seed": 3},
    "demand": {
        "requests_per_day": 24.0,
        "work_distribution": "exponential",
        "patience_hours": 0.0,
        "callback_delay_hours": 20.0,
        "request_types": [
            {
                "name": "a to b",
                "share": 1.0,
                "expected_hours": 8,
                "tasks": [{"skill": "a", "hours": 0.1}, {"skill": "b", "hours": 0.1}],
            }
        ],
    },
    "workforce": [
        {"skill": "a", "headcount": 4, "start_delay_share": 0.2, "start_delay_hours": 10.0},
        {"skill": "b", "headcount": 4},
    ],
    "policies": {
        "first_contact_resolution": 0.8,
        "handoff_delay_hours": 10.0,
        # Failures and handoffs of their own (premature closure, transfers, misroutes) off:
        "customer_metric_weight": 1.0,
        "misrouting": 0.0,
        "engagement_effect": 0.0,
    },
    "managers": {"encounters_per_week": 0.0},
}


def _with_share(share: float):
    raw = json.loads(json.dumps(TWO_TEAMS))
    raw["demand"]["request_types"][0]["slow_case_share"] = share
    return parse_scenario(raw, "<test>")


@pytest.mark.parametrize("days", [30, pytest.param(150, marks=pytest.mark.slow)])  # two teams'
def test_a_share_of_one_changes_nothing(days: int):
    base = load_scenario("scenarios/functional.toml").with_overrides({"run.days": 12})
    explicit = base.with_overrides({"demand.request_types.0.slow_case_share": 1.0})
    a, b = run(base, 5), run(explicit, 5)
    assert json.dumps(a.kpis, default=str) == json.dumps(b.kpis, default=str)
    two, share_of_one = parse_scenario(TWO_TEAMS, "<test>"), _with_share(1.0)
    c, d = (run(s.with_overrides({"run.days": days}), 5) for s in (two, share_of_one))
    assert json.dumps(c.kpis, default=str) == json.dumps(d.kpis, default=str)


def test_a_type_that_never_resolves_at_first_contact_runs_with_slow_cases():
    """First-contact resolution 0 is a valid scenario: its quick cases (none of the failed
    contacts) divided 0 by 0 and the run died; now they resolve, and the slow ones fail."""
    base = load_scenario("scenarios/functional.toml").with_overrides(
        {
            "run.days": 8,
            "policies.first_contact_resolution": 0.0,
            "demand.request_types.0.slow_case_share": 0.5,
        }
    )
    assert run(base, 1).kpis["resolved"] > 0


def test_slow_cases_carry_the_delays_and_the_quick_ones_none():
    """At 0.25 a quarter of the requests take every delay and failed contact, 4 times as
    likely or as long: the means stay (handoff 10 h and start delay 0.2 x 10 h per request,
    0.25 failures per task), but three requests in four go through untouched, so the median
    elapsed time falls. At 1 every handoff waits, so no request goes through untouched."""
    alike = run(_with_share(1.0), 11).requests
    together = run(_with_share(0.25), 11).requests
    for frame in (alike, together):
        assert not frame["abandoned"].any()
    untouched = {
        name: float(((f["handoff_hours"] < 1e-9) & (f["callback_hours"] == 0)).mean())
        for name, f in (("alike", alike), ("together", together))
    }
    assert untouched["alike"] == 0.0
    assert abs(untouched["together"] - 0.75) < 0.03, untouched
    # The averages are the scenario's either way (within sampling error).
    for column, mean in (("handoff_hours", 10.0), ("repeat_contacts", 0.5)):
        for frame in (alike, together):
            assert abs(frame[column].mean() / mean - 1) < 0.12, (column, frame[column].mean())
    assert abs(together["queue_hours"].mean() / alike["queue_hours"].mean() - 1) < 0.15
    elapsed = {n: (f["closed"] - f["arrived"]).median() for n, f in (("a", alike), ("t", together))}
    assert elapsed["t"] < 0.25 * elapsed["a"], elapsed


def _desk_slow_share(together: bool) -> float:
    frame = helpdesk_export(
        tickets=1500, weeks=12, desk_delay_share=0.3, desk_delay_hours=20, together=together
    )
    scenario = helpdesk_fit(frame, start_delays=True)
    desk_only = next(t for t in scenario["demand"]["request_types"] if t["name"] == "Service Desk")
    return desk_only.get("slow_case_share", 1.0)


def test_calibration_finds_delays_that_come_together():
    """A generated helpdesk where 30% of new tickets wait 20 h before the desk takes them up:
    when those same tickets are the ones that wait for the customer, the desk-only tickets'
    slow share comes out near 0.3; when waiting for the customer is drawn apart from the
    delay, the delays are not concentrated (a share near 1)."""
    together = _desk_slow_share(True)
    apart = _desk_slow_share(False)
    assert 0.2 < together < 0.45, together
    assert apart > 0.75, apart
