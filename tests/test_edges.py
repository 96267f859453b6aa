"""What validation accepts, the model can run: scenarios at the edges of the schema.

`edge_scenarios` takes a small valid scenario and sets a few of its numbers to the edges of
what the schema allows, key by key, read from the schema itself (so a key added later is
covered too): each bound, the smallest and largest finite floats in range, tiny and huge
values, zero. Every mechanism ends up at its bounds in some example. For each one, either
validation refuses it (one line per problem, like any bad input) or the run finishes, short,
without an internal error and with its books balanced.

Before issue 14, infinite delays, profile weights like 1e308 and duplicate unit names passed
validation and crashed the run; a rate of 1e12 or an infinite drain limit ran without end.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

import annotated_types as at
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sim import run
from sim.scenario import (
    Demand,
    Managers,
    People,
    Policies,
    Reorganisation,
    RequestType,
    RunSettings,
    SatisfactionSettings,
    ScenarioError,
    Task,
    WorkforceGroup,
    parse_scenario,
)

TINY = (sys.float_info.min * sys.float_info.epsilon, 1e-300, 1e-9)
"""The smallest positive float (5e-324, subnormal), and two more small ones."""
HUGE = (1e9, 1e300, sys.float_info.max)

BASE: dict[str, Any] = {
    "name": "edges",
    "run": {"days": 4, "warmup_days": 1, "hours_per_day": 8.0, "drain_limit_days": 3.0},
    "demand": {
        "requests_per_day": 30.0,
        "request_types": [
            {
                "name": "question",
                "share": 0.6,
                "expected_hours": 4.0,
                "tasks": [{"skill": "billing", "hours": 0.5}],
            },
            {
                "name": "problem",
                "share": 0.4,
                "expected_hours": 8.0,
                "tasks": [{"skill": "tech", "hours": 1.0}, {"skill": "billing", "hours": 0.3}],
            },
        ],
    },
    "workforce": [
        {"skill": "billing", "headcount": 4, "other_skills": {"tech": 0.5}},
        {"skill": "tech", "headcount": 3},
    ],
    "structure": {"kind": "cross_functional", "teams": 2},
}
"""A small organisation of two skills and two teams (runs in a fraction of a second)."""

SHORT_RUN = {"days": (2, 6), "warmup_days": (0, 1), "drain_limit_days": (TINY[0], 5.0)}
"""The run's length stays short (the point is the values, not the horizon)."""


def bounds(model: type[BaseModel], name: str) -> tuple[float, float, bool]:
    """(low, high, whole numbers) of a numeric field, from its schema constraints."""
    field = model.model_fields[name]
    low, high = -math.inf, math.inf
    for rule in field.metadata:
        if isinstance(rule, at.Ge):
            low = float(rule.ge)
        elif isinstance(rule, at.Gt):
            low = math.nextafter(float(rule.gt), math.inf)
        elif isinstance(rule, at.Le):
            high = float(rule.le)
        elif isinstance(rule, at.Lt):
            high = math.nextafter(float(rule.lt), -math.inf)
    return low, high, field.annotation is int


def edge_values(model: type[BaseModel], name: str) -> list[float | int]:
    """The edge values of a numeric field: its bounds and the extremes in between."""
    low, high, whole = bounds(model, name)
    if whole:
        low, high = int(max(low, 0)), int(min(high, 10**6))
        return sorted({low, low + 1, high, (low + high) // 2})
    values = {low, high, 0.0, 1.0, *TINY, *HUGE, *(-v for v in TINY)}
    return sorted(v for v in values if low <= v <= high and math.isfinite(v))


def edges(model: type[BaseModel], name: str) -> st.SearchStrategy[float | int]:
    return st.sampled_from(edge_values(model, name))


NUMERIC = {
    section: [n for n, f in model.model_fields.items() if f.annotation in (int, float)]
    for section, model in (
        ("run", RunSettings),
        ("demand", Demand),
        ("policies", Policies),
        ("people", People),
        ("managers", Managers),
        ("satisfaction", SatisfactionSettings),
    )
}
MODELS = {
    "run": RunSettings,
    "demand": Demand,
    "policies": Policies,
    "people": People,
    "managers": Managers,
    "satisfaction": SatisfactionSettings,
}


@st.composite
def edge_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """BASE with one to eight numbers at an edge (and maybe a reorganisation at the edges)."""
    raw = copy.deepcopy(BASE)
    places = [(s, n) for s, names in NUMERIC.items() for n in names]
    places += [
        ("workforce", n)
        for n in ("headcount", "customer_orientation", "baseline_engagement", "hourly_cost")
    ]
    places += [("task", "hours"), ("type", "expected_hours"), ("other", "proficiency")]
    places += [("profile", "hourly_profile"), ("profile", "weekly_profile"), ("event", "event")]
    for section, name in draw(st.lists(st.sampled_from(places), min_size=1, max_size=8)):
        if section in MODELS:
            if section == "run" and name in SHORT_RUN:
                low, high = SHORT_RUN[name]
                value = draw(st.sampled_from([low, high]))
            else:
                value = draw(edges(MODELS[section], name))
            raw.setdefault(section, {})[name] = value
        elif section == "workforce":
            group = draw(st.sampled_from(raw["workforce"]))
            group[name] = draw(edges(WorkforceGroup, name))
        elif section == "task":
            kind = draw(st.sampled_from(raw["demand"]["request_types"]))
            draw(st.sampled_from(kind["tasks"]))["hours"] = draw(edges(Task, "hours"))
        elif section == "type":
            kind = draw(st.sampled_from(raw["demand"]["request_types"]))
            kind["expected_hours"] = draw(edges(RequestType, "expected_hours"))
        elif section == "other":
            value = draw(st.sampled_from([0.05, 1.0, 0.0500001]))
            raw["workforce"][0]["other_skills"]["tech"] = value
        elif section == "profile":
            length = 8 if name == "hourly_profile" else draw(st.integers(1, 7))
            weight = st.sampled_from([0.0, 1.0, *TINY, *HUGE])
            raw["demand"][name] = draw(st.lists(weight, min_size=length, max_size=length))
        else:
            raw["events"] = [
                {
                    "day": 2,
                    "structure": {"kind": "functional"},
                    "role_slowdown": draw(edges(Reorganisation, "role_slowdown")),
                    "engagement_dip": draw(edges(Reorganisation, "engagement_dip")),
                    "policies": {
                        "handoff_delay_hours": draw(edges(Policies, "handoff_delay_hours"))
                    },
                }
            ]
    run_settings = raw["run"]
    run_settings["warmup_days"] = min(run_settings["warmup_days"], run_settings["days"] - 1)
    if raw.get("events") and not run_settings["warmup_days"] <= 2 < run_settings["days"]:
        run_settings.update(days=4, warmup_days=1)
    return raw


EDGE_SETTINGS = settings(
    max_examples=int(os.environ.get("SIM_EDGE_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.slow
@EDGE_SETTINGS
@given(raw=edge_scenarios(), seed=st.integers(0, 2**32 - 1))
def test_what_validation_accepts_runs(raw: dict[str, Any], seed: int) -> None:
    try:
        scenario = parse_scenario(raw, source="<edges>")
    except ScenarioError as exc:  # refused: one line per problem, nothing more to check
        assert exc.problems and all(p.startswith("<edges>: ") for p in exc.problems)
        return
    with endless_after(120):  # a run that never ends fails instead of hanging the suite
        result = run(scenario, seed=seed)  # BooksError (a bug), or any error, fails the test
    k = result.kpis
    assert k["arrived"] == k["resolved"] + k["abandoned"] + k["open_at_end"]


@contextlib.contextmanager
def endless_after(seconds: int) -> Iterator[None]:
    """Raise `TimeoutError` in the block after `seconds` (SIGALRM: the main thread only)."""

    def stop(signum, frame):
        raise TimeoutError(f"the run did not end within {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_the_edges_cover_every_numeric_key() -> None:
    """Every number of every section is drawn at its edges (a key added later is too), and
    the smallest and largest finite values are among them where the range allows."""
    for section, names in NUMERIC.items():
        assert names, section
        for name in names:
            low, high, whole = bounds(MODELS[section], name)
            values = edge_values(MODELS[section], name)
            assert len(values) >= 2, (section, name)
            if not whole and high == math.inf:
                assert sys.float_info.max in values, (section, name)
            if not whole and low <= TINY[0] <= high:
                assert TINY[0] in values, (section, name)
