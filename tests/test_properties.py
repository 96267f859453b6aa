"""Property tests: random valid scenarios must keep the books, never lose a request and never
run time backwards, whatever the structure, the policies or the load.

`scenario_dicts` generates raw scenario mappings (as a TOML file would give) covering every
structure kind and every policy across its allowed range, kept small so each run takes a
fraction of a second.
"""

from __future__ import annotations

import math
import os
import re
import time
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import run
from sim.runner import RunResult
from sim.scenario import NEUTRAL, ScenarioError, parse_scenario

SKILLS = ("billing", "technical", "logistics", "contracts")
TIME_TOL = 1e-9

# Scenario strategy ----------------------------------------------------------------------------


def _fraction(low: float = 0.0, high: float = 1.0) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _profile(length: int) -> st.SearchStrategy[list[float]]:
    """Relative weights with at least one positive value (an all-zero profile is invalid)."""
    return st.lists(_fraction(0.0, 3.0), min_size=length, max_size=length).filter(
        lambda values: max(values) > 0
    )


def _policy(neutral: float, mild: tuple[float, float], full: tuple[float, float]):
    """A policy value: its neutral value, a moderate one, or anything in the allowed range.
    The mixture keeps most runs workable (requests do get resolved) while still reaching the
    extremes."""
    return st.one_of(st.just(neutral), _fraction(*mild), _fraction(*full))


@st.composite
def scenario_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A random VALID raw scenario. Every task skill is some group's primary skill, so every
    structure kind can serve every task."""
    kind = draw(st.sampled_from(["functional", "cross_functional", "matrix"]))
    matrix = kind == "matrix"  # needs a pooled skill and a skill left in the teams
    n_skills = draw(st.integers(2 if matrix else 1, 4))
    skills = draw(st.permutations(SKILLS[:n_skills]))
    n_groups = draw(st.integers(2 if matrix else 1, n_skills))
    primaries = list(skills[:n_groups])

    workforce = []
    for skill in primaries:
        candidates = [k for k in skills if k != skill]
        others = draw(st.lists(st.sampled_from(candidates), unique=True)) if candidates else []
        workforce.append(
            {
                "skill": skill,
                "headcount": draw(st.integers(1, 6)),
                # Proficiency in [0.05, 1], the schema's range.
                "other_skills": {
                    k: draw(st.one_of(_fraction(0.3, 1.0), _fraction(0.05, 1.0))) for k in others
                },
                "customer_orientation": draw(_fraction()),
                "baseline_engagement": draw(_policy(1.0, (0.5, 1.0), (0.0, 1.0))),
                "hourly_cost": draw(_fraction(0.0, 100.0)),
            }
        )

    days = draw(st.integers(3, 8))
    hours_per_day = draw(st.one_of(st.integers(4, 10).map(float), _fraction(4.0, 10.0)))
    run_settings = {
        "days": days,
        "warmup_days": draw(st.integers(0, 2)),
        "hours_per_day": hours_per_day,
        "seed": draw(st.integers(0, 2**31)),
        "drain_limit_days": draw(_fraction(0.5, 5.0)),
    }

    n_types = draw(st.integers(1, 4))
    weights = draw(st.lists(st.integers(0, 10), min_size=n_types, max_size=n_types))
    if sum(weights) == 0:
        weights[0] = 1
    request_types = []
    for i, weight in enumerate(weights):
        n_tasks = draw(st.integers(1, 3))
        request_types.append(
            {
                "name": f"type {i}",
                "share": weight / sum(weights),
                "expected_hours": draw(_fraction(0.5, 40.0)),
                "tasks": [
                    {"skill": draw(st.sampled_from(primaries)), "hours": draw(_fraction(0.1, 2.0))}
                    for _ in range(n_tasks)
                ],
            }
        )
    # Arrival rate from a target load on the whole workforce (ignoring rework and routing),
    # capped so that no run sees more than ~450 arrivals.
    headcount = sum(g["headcount"] for g in workforce)
    work_per_request = sum(
        t["share"] * sum(task["hours"] for task in t["tasks"]) for t in request_types
    )
    load = draw(_fraction(0.05, 1.5))
    requests_per_day = min(load * headcount * hours_per_day / work_per_request, 450.0 / days)
    demand: dict[str, Any] = {
        "requests_per_day": max(requests_per_day, 0.5),
        "work_distribution": draw(st.sampled_from(["exponential", "lognormal", "deterministic"])),
        "work_cv": draw(_fraction(0.0, 5.0)),
        "patience_hours": draw(st.one_of(st.just(0.0), _fraction(0.05, 20.0))),
        "callback_delay_hours": draw(st.one_of(st.just(0.0), _fraction(0.05, 16.0))),
        "request_types": request_types,
    }
    if draw(st.booleans()):
        demand["hourly_profile"] = draw(_profile(round(hours_per_day)))
    if draw(st.booleans()):
        demand["weekly_profile"] = draw(st.integers(1, 7).flatmap(_profile))

    structure: dict[str, Any] = {"kind": kind}
    if kind == "cross_functional":
        structure["teams"] = draw(st.integers(1, headcount))
    elif kind == "matrix":
        # A non-empty proper subset of the primary skills, so some people stay in teams.
        shared = draw(
            st.lists(st.sampled_from(primaries), min_size=1, max_size=n_groups - 1, unique=True)
        )
        in_teams = sum(g["headcount"] for g in workforce if g["skill"] not in shared)
        structure["shared_skills"] = shared
        structure["teams"] = draw(st.integers(1, in_teams))

    policies = {
        "handoff_delay_hours": draw(_policy(0.0, (0.0, 1.0), (0.0, 4.0))),
        "handoff_info_loss": draw(_policy(0.0, (0.0, 0.5), (0.0, 5.0))),
        "misrouting": draw(_policy(0.0, (0.0, 0.3), (0.0, 1.0))),
        "misrouting_triage_hours": draw(_policy(0.0, (0.0, 0.3), (0.0, 1.0))),
        "help_across_units": draw(_policy(0.0, (0.0, 0.5), (0.0, 1.0))),
        "first_contact_resolution": draw(_policy(1.0, (0.7, 1.0), (0.0, 1.0))),
        "proficiency_quality_exponent": draw(_policy(0.0, (0.0, 1.5), (0.0, 3.0))),
        "engagement_effect": draw(_policy(0.0, (0.0, 0.3), (0.0, 1.0))),
        "coordination": draw(_policy(0.0, (0.0, 0.05), (0.0, 0.2))),
        "customer_metric_weight": draw(_policy(1.0, (0.0, 1.0), (0.0, 1.0))),
        "cherry_picking": draw(_fraction()),
        "premature_closure": draw(_policy(0.0, (0.0, 0.3), (0.0, 1.0))),
        "help_decline": draw(_fraction()),
    }
    satisfaction = {
        "expectation_met_score": draw(_fraction(1.0, 5.0)),
        "loss_per_expectation": draw(_fraction(0.0, 3.0)),
        "noise_sd": draw(_fraction(0.0, 2.0)),
    }
    run_settings["warmup_days"] = min(run_settings["warmup_days"], days - 1)
    return {
        "name": "property scenario",
        "run": run_settings,
        "demand": demand,
        "workforce": workforce,
        "structure": structure,
        "policies": policies,
        "satisfaction": satisfaction,
    }


SEEDS = st.integers(0, 2**32 - 1)
# ~60 runs of about 10-50 ms per property; raise it for a deeper search, e.g.
# SIM_PROPERTY_EXAMPLES=2000 pytest tests/test_properties.py
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("SIM_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def simulate(raw: dict[str, Any], seed: int) -> RunResult:
    """Parse (the strategy must only produce valid scenarios) and run with the event log.
    `run` raises `BooksError` if the run's own books do not balance."""
    return run(parse_scenario(raw, source="<hypothesis>"), seed=seed, events=True)


# Properties -----------------------------------------------------------------------------------


@pytest.mark.slow  # property-based: SIM_PROPERTY_EXAMPLES (60) whole runs
@PROPERTY_SETTINGS
@given(raw=scenario_dicts(), seed=SEEDS)
def test_books_hold(raw: dict[str, Any], seed: int) -> None:
    r = simulate(raw, seed)
    k = r.kpis
    assert k["arrived"] == k["resolved"] + k["abandoned"] + k["open_at_end"]
    assert k["open_at_end"] >= 0
    assert k["resolved"] == int((~r.requests["abandoned"]).sum())
    assert k["abandoned"] == int(r.requests["abandoned"].sum())
    if k["stable"]:
        assert k["unstable_reason"] is None
        # A stable run drained: every counted request was closed.
        assert k["open_at_end"] == 0
    else:
        assert k["unstable_reason"]
    # Requests left open can only come from a run that hit its drain limit, or that stopped
    # early, clearly unstable (run.backlog_limit_days).
    if k["open_at_end"] > 0:
        reason = k["unstable_reason"]
        assert "still open" in reason or (
            "stopped early" in reason and k["stopped_day"] is not None
        )


@pytest.mark.slow  # property-based: SIM_PROPERTY_EXAMPLES (60) whole runs
@PROPERTY_SETTINGS
@given(raw=scenario_dicts(), seed=SEEDS)
def test_no_request_lost_or_counted_twice(raw: dict[str, Any], seed: int) -> None:
    r = simulate(raw, seed)
    requests, events = r.requests, r.events
    assert events is not None
    assert requests["id"].is_unique
    tasks_of = {
        t["name"]: [task["skill"] for task in t["tasks"]] for t in raw["demand"]["request_types"]
    }
    # Per case: how many rows of each outcome, and the resolved activities in order.
    outcomes = (
        events.groupby(["case", "outcome"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=["resolved", "not resolved", "forwarded", "transferred out"], fill_value=0)
    )
    resolved_steps = events[events["outcome"] == "resolved"].groupby("case")["activity"].agg(list)
    types_seen = events.groupby("case")["request_type"].agg(lambda x: set(x.astype(str)))
    table = (
        requests.set_index("id")
        .join(outcomes, how="left")
        .fillna({"resolved": 0, "not resolved": 0, "forwarded": 0, "transferred out": 0})
    )
    done = table[~table["abandoned"]]
    missing = set(done.index) - set(outcomes.index)
    assert not missing, f"resolved requests with no event-log rows: {sorted(missing)[:5]}"
    for case, row in done.iterrows():
        expected = tasks_of[row["request_type"]]
        # Exactly one 'resolved' row per task of its type, in the order of the tasks.
        assert resolved_steps[case] == expected, (case, resolved_steps[case], expected)
        assert types_seen[case] == {row["request_type"]}
    assert (done["not resolved"] == done["repeat_contacts"]).all()
    # A wrong unit forwards a misrouted request, and the detour of a task transferred out.
    assert (done["transferred out"] == done["transfers"]).all()
    assert (done["forwarded"] == done["misroutes"] + done["transfers"]).all()
    # Every contact (a task started with the customer) ended in a row.
    contacts = done["resolved"] + done["not resolved"] + done["transferred out"]
    assert (contacts == done["contacts"]).all()
    # An abandoned request never finished all of its tasks.
    gave_up = table[table["abandoned"]]
    n_tasks = gave_up["request_type"].map({k: len(v) for k, v in tasks_of.items()})
    assert (gave_up["resolved"] < n_tasks.astype(int)).all()


@pytest.mark.slow  # property-based: SIM_PROPERTY_EXAMPLES (60) whole runs
@PROPERTY_SETTINGS
@given(raw=scenario_dicts(), seed=SEEDS)
def test_time_never_runs_backwards(raw: dict[str, Any], seed: int) -> None:
    r = simulate(raw, seed)
    events = r.events
    assert events is not None
    assert (events["enqueue"] <= events["start"] + TIME_TOL).all()
    assert (events["start"] <= events["end"] + TIME_TOL).all()
    # Per case, rows come in time order and one thing happens at a time: each task (or
    # triage) is queued and started only after the previous one ended.
    previous_end = events.groupby("case")["end"].shift()
    follows = previous_end.notna()
    for column in ("enqueue", "start", "end"):
        late = events.loc[follows, column] < previous_end[follows] - TIME_TOL
        assert not late.any(), events.loc[late[late].index, ["case", column]].head()
    requests = r.requests
    assert (requests["closed"] >= requests["arrived"]).all()
    # Work on a request happens between its arrival and its closing.
    span = events.groupby("case").agg(first=("enqueue", "min"), last=("end", "max"))
    joined = requests.join(span, on="id", how="inner")
    assert (joined["first"] >= joined["arrived"] - TIME_TOL).all()
    assert (joined["last"] <= joined["closed"] + TIME_TOL).all()
    series = r.timeseries["time"].to_numpy()
    assert len(series) > 0
    assert (np.diff(series) >= 0).all()
    s = r.scenario.run
    limit = (s.days + s.drain_limit_days) * s.hours_per_day
    assert series.max() <= limit + TIME_TOL
    assert (requests["closed"] <= limit + TIME_TOL).all()


@pytest.mark.slow  # property-based: SIM_PROPERTY_EXAMPLES (60) whole runs
@PROPERTY_SETTINGS
@given(raw=scenario_dicts(), seed=SEEDS)
def test_time_components_add_up(raw: dict[str, Any], seed: int) -> None:
    r = simulate(raw, seed)
    requests = r.requests
    parts = requests[["queue_hours", "work_hours", "handoff_hours", "callback_hours"]]
    assert (parts >= -TIME_TOL).all().all()
    total = parts.sum(axis=1)
    scale = max(1.0, float(requests["resolution_hours"].max())) if len(requests) else 1.0
    np.testing.assert_allclose(total, requests["resolution_hours"], rtol=0, atol=1e-6 * scale)
    assert (requests["resolution_hours"] >= 0).all()
    counts = requests[["handoffs", "misroutes", "repeat_contacts", "contacts", "helped"]]
    assert (counts >= 0).all().all()
    assert (requests["misroutes"] <= requests["handoffs"]).all()
    done = requests[~requests["abandoned"]]
    # A resolved request had at least one contact per task.
    n_tasks = {t["name"]: len(t["tasks"]) for t in raw["demand"]["request_types"]}
    assert (done["contacts"] >= done["request_type"].map(n_tasks).astype(int)).all()


@pytest.mark.slow  # property-based: SIM_PROPERTY_EXAMPLES (60) whole runs
@PROPERTY_SETTINGS
@given(raw=scenario_dicts(), seed=SEEDS)
def test_scores_and_utilisation_in_range(raw: dict[str, Any], seed: int) -> None:
    r = simulate(raw, seed)
    requests = r.requests
    assert requests["rating"].between(1, 5).all()
    assert requests["rating"].isin([1, 2, 3, 4, 5]).all()
    assert requests["csat"].between(1.0, 5.0).all()
    abandoned_score = r.scenario.satisfaction.abandoned_score
    assert (requests.loc[requests["abandoned"], "csat"] == abandoned_score).all()
    top = 1.0
    assert r.units["utilisation"].between(0.0, top).all(), r.units[["unit", "utilisation"]]
    for unit, value in r.kpis["utilisation_by_unit"].items():
        assert 0.0 <= value <= top, unit
    assert 0.0 <= r.kpis["utilisation"] <= top
    assert r.timeseries["utilisation"].between(0.0, 1.0).all()
    for key in ("abandoned_share", "fcr", "help_share", "csat_top_box", "detractors"):
        value = r.kpis[key]
        assert math.isnan(value) or 0.0 <= value <= 1.0, key


# Overload -------------------------------------------------------------------------------------


def overloaded(load: float = 3.0) -> dict[str, Any]:
    """Every mechanism neutral, one unit of 2 people: offered load is exactly `load`."""
    hours_per_day, people, task_hours = 8.0, 2, 1.0
    return {
        "name": "overloaded",
        "run": {
            "days": 10,
            "warmup_days": 1,
            "hours_per_day": hours_per_day,
            "drain_limit_days": 3.0,
        },
        "demand": {
            "requests_per_day": load * people * hours_per_day / task_hours,
            "work_distribution": "exponential",
            "callback_delay_hours": 0.0,
            "request_types": [
                {
                    "name": "question",
                    "share": 1.0,
                    "expected_hours": 2.0,
                    "tasks": [{"skill": "service", "hours": task_hours}],
                }
            ],
        },
        "workforce": [{"skill": "service", "headcount": people, "baseline_engagement": 1.0}],
        "structure": {"kind": "functional"},
        "policies": dict(NEUTRAL["policies"]),
    }


def test_overload_ends_in_bounded_time_and_is_unstable() -> None:
    raw = overloaded(3.0)
    started = time.perf_counter()
    r = simulate(raw, seed=7)
    elapsed = time.perf_counter() - started
    assert elapsed < 30.0
    k = r.kpis
    assert k["stable"] is False
    assert not r.stable
    reason = k["unstable_reason"]
    assert reason
    assert "capacity" in reason
    assert "still open" in reason
    assert k["open_at_end"] > 0
    assert k["arrived"] == k["resolved"] + k["abandoned"] + k["open_at_end"]
    # The model stopped at the drain limit, not later.
    s = r.scenario.run
    limit = (s.days + s.drain_limit_days) * s.hours_per_day
    assert r.timeseries["time"].max() <= limit
    assert r.requests["closed"].max() <= limit
    # Both employees were saturated through the window.
    assert r.kpis["utilisation"] == pytest.approx(1.0, abs=0.02)
    assert any("capacity" in w for w in r.warnings)


def test_tiny_secondary_proficiency_is_rejected() -> None:
    """A vanishingly small proficiency (which once crashed the load estimate) is bad input."""
    raw = {
        "name": "tiny proficiency",
        "run": {"days": 3, "warmup_days": 0, "hours_per_day": 8.0, "drain_limit_days": 1.0},
        "demand": {
            "requests_per_day": 20.0,
            "request_types": [
                {
                    "name": "a",
                    "share": 1.0,
                    "expected_hours": 4.0,
                    "tasks": [{"skill": "x", "hours": 1.0}],
                }
            ],
        },
        "workforce": [
            {"skill": "x", "headcount": 1},
            {"skill": "y", "headcount": 1, "other_skills": {"x": 1e-300}},
        ],
        "structure": {"kind": "cross_functional", "teams": 2},
    }
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(raw, source="tiny.toml")
    assert caught.value.problems == [
        "tiny.toml: workforce.1.other_skills.x: 1e-300 is out of range (allowed: >= 0.05)"
    ]


def test_saturated_utilisation_is_at_most_one() -> None:
    raw = overloaded(1.0)
    raw["run"] = {
        "days": 8,
        "warmup_days": 1,
        "hours_per_day": 9.461704102698471,
        "drain_limit_days": 1.0,
    }
    raw["workforce"][0]["headcount"] = 1
    raw["demand"]["requests_per_day"] = 28.385112308095415
    raw["demand"]["patience_hours"] = 0.0
    raw["demand"]["request_types"][0]["expected_hours"] = 1.0
    r = simulate(raw, seed=0)
    assert r.units["utilisation"].max() <= 1.0
    assert r.kpis["utilisation"] <= 1.0


# A clearly unstable run stops early (issue 14: at 10 times the load, 12/24/36/60 days took
# 12/30/58/146 s, growing with the backlog) ----------------------------------------------------


def test_a_clearly_unstable_run_stops_early_and_keeps_its_books() -> None:
    raw = overloaded(10.0)
    raw["run"] = {"days": 365, "warmup_days": 2, "hours_per_day": 8.0, "drain_limit_days": 30.0}
    r = simulate(raw, seed=3)
    k = r.kpis
    # 2 people, 160 requests a day: capacity 16 a day, the bound 20 days of it (320), but
    # never below 200 open requests; the backlog grows by 144 a day.
    day = k["stopped_day"]
    assert day is not None and 3 <= day <= 6
    assert k["stable"] is False
    reason = re.search(r"stopped early, at the end of day (\d+) of 365: ([\d,]+) requests were "
                       r"open, more than 20 days of the organisation's capacity \(320 requests; "
                       r"run.backlog_limit_days\): queues grow without bound$",
                       k["unstable_reason"])  # fmt: skip
    assert reason and int(reason[1]) == day and int(reason[2].replace(",", "")) > 320
    assert k["arrived"] == k["resolved"] + k["abandoned"] + k["open_at_end"]
    assert k["open_at_end"] > 0  # counted ones: those of the warm-up are open too
    # Measurements cover the days the run ran, not the year it was meant to.
    assert r.timeseries["time"].max() <= day * 8.0
    assert (r.requests["closed"] <= day * 8.0).all()
    assert k["throughput_per_day"] == pytest.approx(k["resolved"] / (day - 2))
    assert k["utilisation"] == pytest.approx(1.0, abs=0.05)


def test_a_stable_run_near_capacity_never_stops_early() -> None:
    """At 95% utilisation the backlog stays far below 20 days of capacity: no false alarm."""
    raw = overloaded(0.95)
    raw["workforce"][0]["headcount"] = 5
    raw["demand"]["requests_per_day"] = 0.95 * 5 * 8.0
    raw["run"] = {"days": 400, "warmup_days": 5, "hours_per_day": 8.0, "drain_limit_days": 30.0}
    r = simulate(raw, seed=11)
    assert r.kpis["stopped_day"] is None
    assert "stopped early" not in (r.kpis["unstable_reason"] or "")


def test_the_backlog_limit_can_be_switched_off() -> None:
    raw = overloaded(10.0)
    raw["run"] = {
        "days": 12,
        "warmup_days": 1,
        "hours_per_day": 8.0,
        "drain_limit_days": 1.0,
        "backlog_limit_days": 0.0,
    }
    r = simulate(raw, seed=3)
    assert r.kpis["stopped_day"] is None
    assert r.kpis["arrived"] > 1500  # all 12 days of arrivals
    assert "still open" in r.kpis["unstable_reason"]


def test_a_reorganisation_that_overloads_stops_early_with_its_counterfactual() -> None:
    raw = overloaded(10.0)
    raw["workforce"][0]["headcount"] = 4
    raw["run"] = {"days": 60, "warmup_days": 2, "hours_per_day": 8.0, "drain_limit_days": 5.0}
    raw["events"] = [{"day": 10, "policies": {"handoff_delay_hours": 1.0}}]
    r = simulate(raw, seed=5)
    assert r.kpis["stopped_day"] is not None and r.kpis["stopped_day"] < 10
    assert r.counterfactual is not None  # the run without the event stopped too, and is there
