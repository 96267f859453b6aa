"""Reproducibility: a run is a pure function of (scenario, seed).

Same scenario and seed give the same numbers bit for bit; different seeds give different
numbers; two scenarios that differ only in structure see the same customers when run with the
same seed (common random numbers); and nothing leaks from one run into the next in the same
process.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim import load_scenario, run
from sim.runner import RunResult
from sim.scenario import Scenario, parse_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SHORT = ["run.days=8", "run.warmup_days=1", "run.drain_limit_days=10"]


def _fallback(kind: str) -> dict[str, Any]:
    """A small scenario with 3 skills and a multi-skill request type (used when the preset
    files are not there)."""
    return {
        "name": f"small {kind}",
        "run": {"days": 8, "warmup_days": 1, "hours_per_day": 8.0, "drain_limit_days": 10.0},
        "demand": {
            "requests_per_day": 40.0,
            "patience_hours": 16.0,
            "request_types": [
                {
                    "name": "simple",
                    "share": 0.6,
                    "expected_hours": 8.0,
                    "tasks": [{"skill": "front", "hours": 0.5}],
                },
                {
                    "name": "complex",
                    "share": 0.4,
                    "expected_hours": 24.0,
                    "tasks": [
                        {"skill": "front", "hours": 0.5},
                        {"skill": "specialist", "hours": 1.0},
                        {"skill": "billing", "hours": 0.5},
                    ],
                },
            ],
        },
        "workforce": [
            {"skill": "front", "headcount": 4, "other_skills": {"billing": 0.6}},
            {"skill": "specialist", "headcount": 3},
            {"skill": "billing", "headcount": 2, "other_skills": {"front": 0.5}},
        ],
        "structure": {"kind": kind, "teams": 2},
    }


def preset(name: str) -> Scenario:
    """scenarios/<name>.toml shortened for speed, or the fallback with the same structure."""
    path = SCENARIOS / f"{name}.toml"
    if path.exists():
        return load_scenario(path, SHORT)
    return parse_scenario(_fallback(name.replace("-", "_")))


@pytest.fixture(scope="module")
def functional() -> Scenario:
    return preset("functional")


@pytest.fixture(scope="module")
def cross_functional() -> Scenario:
    return preset("cross-functional")


def same_value(a: Any, b: Any) -> bool:
    """Exact equality, NaN equal to NaN, recursing into dicts and sequences."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def differing(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if not same_value(a.get(k), b.get(k)))


def assert_same_run(first: RunResult, second: RunResult) -> None:
    assert differing(first.kpis, second.kpis) == []
    pd.testing.assert_frame_equal(first.requests, second.requests, check_exact=True)
    pd.testing.assert_frame_equal(first.units, second.units, check_exact=True)
    pd.testing.assert_frame_equal(first.timeseries, second.timeseries, check_exact=True)
    pd.testing.assert_frame_equal(first.unit_timeseries, second.unit_timeseries, check_exact=True)
    if first.events is not None or second.events is not None:
        assert first.events is not None
        assert second.events is not None
        pd.testing.assert_frame_equal(first.events, second.events, check_exact=True)
    assert first.warnings == second.warnings


def test_same_value_is_nan_aware() -> None:
    assert same_value({"x": math.nan, "y": {"u": 1.0}}, {"x": math.nan, "y": {"u": 1.0}})
    assert not same_value({"x": math.nan}, {"x": 0.0})
    assert not same_value(1, 1.0)
    assert not same_value({"x": 1.0}, {"x": 1.0, "y": 2.0})


def test_same_seed_same_run(functional: Scenario) -> None:
    first = run(functional, seed=11, events=True)
    second = run(functional, seed=11, events=True)
    assert first.kpis["arrived"] > 0
    assert first.kpis["resolved"] > 0
    assert_same_run(first, second)


def test_same_seed_same_run_cross_functional(cross_functional: Scenario) -> None:
    assert_same_run(run(cross_functional, seed=5), run(cross_functional, seed=5))


@pytest.mark.parametrize("kind", ["functional", "cross_functional", "matrix"])
def test_same_seed_same_run_small_scenario(kind: str) -> None:
    """The built-in small scenario (the fallback when the presets are missing)."""
    raw = _fallback(kind)
    if kind == "matrix":
        raw["structure"]["shared_skills"] = ["specialist"]
    scenario = parse_scenario(raw)
    assert_same_run(run(scenario, seed=2, events=True), run(scenario, seed=2, events=True))


def test_seed_defaults_to_the_scenario_seed(functional: Scenario) -> None:
    assert_same_run(run(functional), run(functional, seed=functional.run.seed))


def test_different_seeds_differ(functional: Scenario) -> None:
    a = run(functional, seed=1).kpis
    b = run(functional, seed=2).kpis
    changed = differing(a, b)
    assert "seed" in changed
    assert set(changed) - {"seed"}, "two seeds gave identical KPIs"
    for key in ("resolution_hours_mean", "csat_mean", "utilisation"):
        assert a[key] != b[key], key


def test_common_random_numbers_across_structures(
    functional: Scenario, cross_functional: Scenario
) -> None:
    """Arrivals have their own random stream: with the same seed, a functional and a
    cross-functional organisation serve the same customers (same ids, times and types)."""
    assert functional.demand == cross_functional.demand
    assert functional.workforce == cross_functional.workforce
    assert functional.structure.kind != cross_functional.structure.kind
    seed = 21
    a = run(functional, seed=seed)
    b = run(cross_functional, seed=seed)
    # Counted arrivals depend on the customers only, not on how they are served.
    assert a.kpis["arrived"] == b.kpis["arrived"]
    columns = ["id", "arrived", "request_type"]
    left = a.requests[columns].sort_values("id")
    right = b.requests[columns].sort_values("id")
    both = left.merge(right, on="id", suffixes=("_a", "_b"), validate="one_to_one")
    # Nearly every customer closed in both runs.
    assert len(both) >= 0.9 * min(len(left), len(right)) > 0
    assert (both["arrived_a"] == both["arrived_b"]).all()
    assert (both["request_type_a"].astype(str) == both["request_type_b"].astype(str)).all()
    # ... while what happened to them did differ.
    assert not a.requests["resolution_hours"].equals(b.requests["resolution_hours"])


def test_no_state_leaks_between_runs(functional: Scenario, cross_functional: Scenario) -> None:
    """Running other things in between (another structure, another seed) changes nothing."""
    first = run(functional, seed=3, events=True)
    run(cross_functional, seed=4, events=True)
    run(functional, seed=99)
    again = run(functional, seed=3, events=True)
    assert_same_run(first, again)


def test_scenario_is_not_mutated_by_a_run(functional: Scenario) -> None:
    before = functional.model_dump()
    run(functional, seed=8)
    assert functional.model_dump() == before


@pytest.mark.parametrize(
    ("days", "seed"),
    [
        (20, 1),  # the switch on day 10: its 10-day window fits
        pytest.param(40, 1, marks=pytest.mark.slow),  # the lesson's day 20 of 40: 2 x 40 days
        pytest.param(40, 2, marks=pytest.mark.slow),
    ],
)
def test_a_structural_switch_that_changes_nothing_changes_no_customer(days: int, seed: int) -> None:
    """Common random numbers hold through a structural switch: each process draws from its own
    stream (`sim.streams`), and a reorganisation keeps the units it does not change. So the
    reorganisation lesson with its switch replaced by a placebo (functional to functional, no
    slowdown, no engagement dip, ties kept) gives every customer exactly the outcome they have
    without the switch, and the J-curve reads no effect."""
    path = SCENARIOS / "lessons" / "reorganisation.toml"
    if not path.exists():
        pytest.skip("scenarios/lessons/reorganisation.toml does not exist")
    lesson = load_scenario(path, [f"run.days={days}", f"events.0.day={days // 2}"])
    event = lesson.events[0].model_dump() | {
        "structure": {"kind": "functional"},
        "role_slowdown": 1.0,
        "engagement_dip": 0.0,
        "reset_ties": False,
    }
    placebo = lesson.with_overrides(events=[event])
    switched = run(placebo, seed=seed, events=True)
    plain = run(placebo.model_copy(update={"events": []}), seed=seed, events=True)
    assert len(switched.requests) > 1000
    assert switched.kpis["reorg_dip"] == 1.0
    assert switched.kpis["reorg_crossover_day"] is None
    effect = {k: v for k, v in switched.kpis.items() if not k.startswith("reorg_")}
    assert_same_run(replace(switched, kpis=effect), plain)
    assert switched.daily.equals(plain.daily)


def test_a_switch_keeps_the_units_it_does_not_change() -> None:
    """A matrix that regroups its teams keeps its expert pools as they were: the same unit
    (number, name, books) and the same manager, on the same encounter schedule."""
    from sim.model import OrgModel

    base = preset("matrix")
    if base.structure.kind != "matrix":
        pytest.skip("scenarios/matrix.toml is not there")
    event = {"day": 3, "structure": base.structure.model_dump() | {"teams": 2}}
    model = OrgModel(base.with_overrides(events=[event]), rng=4)
    model.run_until(3 * model.hours_per_day - 0.5)
    pools = {u.name: (u, u.manager) for u in model.units if u.name.endswith(" pool")}
    teams = [u for u in model.units if not u.name.endswith(" pool")]
    model.run_until(3 * model.hours_per_day + 0.5)
    assert pools and all(model.units[u.index] is u for u, _ in pools.values())
    assert all(u.manager is manager for u, manager in pools.values())
    assert set(model.retired_units) == set(teams)
    assert len(model.units) == len(pools) + 2
