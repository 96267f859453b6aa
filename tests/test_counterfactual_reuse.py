"""A reorganisation's counterfactual taken from the run of the organisation as it stands.

A run with a reorganisation is measured against the same scenario without it on the same seed
(`sim.runner.run`). In a comparison of "stay" and "reorganise" the stay side's run of each seed
is that counterfactual, so it is reused (`sim.replications.runs.plan_counterfactuals`): the
numbers must be bit for bit those of each side run on its own, and a scenario that differs in
anything a run reads (a near-twin) must get its own counterfactual.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.runner
from sim import load_scenario
from sim.replications import Comparison, compare
from sim.replications.runs import Replication, plan_counterfactuals
from sim.scenario import Scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def reorganise() -> Scenario:
    """Lesson 5 cut short: departments that become teams on day 10 of 20."""
    return load_scenario(SCENARIOS / "lessons" / "reorganisation.toml").with_overrides(
        **{"run.days": 20, "events.0.day": 10, "run.drain_limit_days": 20}
    )


def stay_of(teams: Scenario) -> Scenario:
    """The organisation as it stands: another name and no lesson, the same run."""
    return teams.model_copy(update={"events": [], "name": "Stay", "lesson": None})


def assert_same(a: Replication, b: Replication) -> None:
    assert a.seed == b.seed
    np.testing.assert_equal(a.kpis, b.kpis)  # NaN equals NaN, everything else exactly
    for name in ("resolution_hours", "csat", "rating"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    pd.testing.assert_frame_equal(a.units, b.units, check_exact=True)
    assert a.warnings == b.warnings
    if a.reorg_daily is None:
        assert b.reorg_daily is None
    else:
        assert b.reorg_daily is not None
        pd.testing.assert_frame_equal(a.reorg_daily, b.reorg_daily, check_exact=True)


def assert_same_outputs(reused: Comparison, alone: Comparison) -> None:
    for ours, theirs in zip(reused.replications, alone.replications, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            assert_same(a, b)
    for table in ("table", "runs_table", "units_table"):
        pd.testing.assert_frame_equal(
            getattr(reused, table)(), getattr(alone, table)(), check_exact=True
        )
    assert reused.sentences() == alone.sentences()
    curves, alone_curves = reused.j_curves(), alone.j_curves()
    assert list(curves) == list(alone_curves) == ["Teams"]
    pd.testing.assert_frame_equal(
        curves["Teams"].table, alone_curves["Teams"].table, check_exact=True
    )
    assert curves["Teams"].sentence() == alone_curves["Teams"].sentence()


@pytest.fixture(scope="module")
def sides() -> tuple[Comparison, Comparison]:
    """Each side compared on its own (the reorganisation runs its own counterfactual)."""
    teams = reorganise()
    return (
        compare([stay_of(teams)], reps=2, root_seed=4, names=["Stay"]),
        compare([teams], reps=2, root_seed=4, names=["Teams"]),
    )


def alone(sides: tuple[Comparison, Comparison], reused: Comparison) -> Comparison:
    """The comparison `reused` would be with every counterfactual run again."""
    stay, teams = sides
    return dataclasses.replace(reused, replications=[stay.replications[0], teams.replications[0]])


def test_a_comparison_reuses_the_stay_runs_bit_for_bit(
    sides: tuple[Comparison, Comparison], monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[Scenario] = []

    class Counted(sim.runner.OrgModel):
        def __init__(self, scenario: Scenario, *args, **kwargs):
            built.append(scenario)
            super().__init__(scenario, *args, **kwargs)

    teams = reorganise()
    monkeypatch.setattr(sim.runner, "OrgModel", Counted)
    progress: list[tuple[int, int]] = []
    reused = compare(
        [stay_of(teams), teams],
        reps=2,
        root_seed=4,
        names=["Stay", "Teams"],
        progress=lambda done, planned: progress.append((done, planned)),
    )
    assert len(built) == 4  # two seeds of each side; no counterfactual run again
    assert progress[-1] == (4, 4) and len(progress) == 4
    assert_same_outputs(reused, alone(sides, reused))


@pytest.mark.slow  # starts a process pool
def test_the_reuse_is_the_same_across_processes(sides: tuple[Comparison, Comparison]) -> None:
    """On a pool the stay run and the reorganisation land in different tasks (one run each)."""
    teams = reorganise()
    reused = compare(
        [stay_of(teams), teams],
        reps=2,
        root_seed=4,
        names=["Stay", "Teams"],
        workers=2,
        max_chunk=1,
    )
    assert_same_outputs(reused, alone(sides, reused))


def jobs(*scenarios: Scenario, seeds: tuple[int, ...] = (1, 2)) -> list[tuple[int, Scenario, int]]:
    return [(i, s, seed) for i, s in enumerate(scenarios) for seed in seeds]


def test_only_a_run_that_is_the_same_is_reused() -> None:
    teams = reorganise()
    stay = stay_of(teams)
    # Stay's seed 1 (job 0) and 2 (job 1) are the counterfactuals of teams' (jobs 2 and 3),
    # whichever comes first, and also of a second reorganisation (another day).
    later = teams.with_overrides(**{"events.0.day": 12})
    assert plan_counterfactuals(jobs(stay, teams, later)).source == {2: 0, 3: 1, 4: 0, 5: 1}
    assert plan_counterfactuals(jobs(teams, stay)).source == {0: 2, 1: 3}
    # Without the stay side, two reorganisations of one organisation share one counterfactual.
    assert plan_counterfactuals(jobs(teams, later)).source == {2: 0, 3: 1}
    # Near-twins: one field a run reads differs, or the seed, or the order of a table's keys.
    for near in (
        stay.with_overrides(**{"demand.requests_per_day": 171}),
        stay.with_overrides(**{"policies.handoff_delay_hours": 8.000001}),
        stay.with_overrides(**{"run.seed": 2}),
        stay.model_copy(update={"workforce": [*stay.workforce[1:], stay.workforce[0]]}),
    ):
        assert plan_counterfactuals(jobs(near, teams)).source == {}, near
    assert plan_counterfactuals([(0, stay, 1), (1, teams, 2)]).source == {}
    assert plan_counterfactuals(jobs(teams)).source == {}


def test_a_near_twin_runs_its_own_counterfactual(sides: tuple[Comparison, Comparison]) -> None:
    """Compared with an organisation that is not quite the one it leaves, a reorganisation's
    numbers are those it has on its own: its counterfactual is its own."""
    teams = reorganise()
    near = stay_of(teams).with_overrides(**{"demand.requests_per_day": 171})
    both = compare([near, teams], reps=2, root_seed=4, names=["Near", "Teams"])
    for a, b in zip(both.replications[1], sides[1].replications[0], strict=True):
        assert_same(a, b)
    assert both.replications[0][0].kpis != sides[0].replications[0][0].kpis
