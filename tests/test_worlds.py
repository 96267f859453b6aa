"""Plausible worlds, the verdict and when there is none (issue 9, items 1-3)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.replications import Comparison, compare
from sim.replications.capacity import KEEP_UP, bottleneck, demand_differences
from sim.replications.verdict import verdict_of
from sim.replications.worlds import Share, latin_hypercube, run_worlds, varied_ranges
from sim.scenario import load_scenario
from sim.structure import build_units, offered_utilisation

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SHORT = ["run.days=12", "run.warmup_days=2"]


def presets(*changes: str):
    return [
        load_scenario(SCENARIOS / f"{name}.toml", [*SHORT, *changes])
        for name in ("functional", "cross-functional")
    ]


@pytest.fixture(scope="module")
def plain() -> Comparison:
    """The two presets, 2 replications, in the scenarios' own world (read, never changed)."""
    return compare(presets(), 2)


def test_a_latin_hypercube_uses_every_stratum_once():
    points = latin_hypercube(8, 3, seed=4)
    assert points.shape == (8, 3)
    for column in points.T:
        assert sorted(np.floor(column * 8).astype(int)) == list(range(8))
    assert np.array_equal(points, latin_hypercube(8, 3, seed=4))


def test_a_share_of_worlds_has_a_wilson_interval():
    low, high = Share(12, 16).ci
    assert low < 0.75 < high and 0.50 < low < 0.51 and 0.89 < high < 0.90
    assert Share(0, 16).ci[0] == 0.0 and Share(16, 16).ci[1] == 1.0
    assert "12 of 16 (75%, 95% CI" in Share(12, 16).text()


def test_keys_the_scenarios_set_differently_are_held_not_varied():
    f, x = presets()
    x = x.with_overrides(**{"policies.handoff_delay_hours": 8.0})
    varied, held = varied_ranges([f, x], ["F", "X"])
    assert "policies.handoff_delay_hours" in held
    paths = [r.path for r in varied]
    assert "policies.coordination" in paths and "policies.handoff_delay_hours" not in paths
    assert not any(p.startswith("events.") for p in paths)  # no scenario reorganises


@pytest.mark.parametrize("run_days", [5, pytest.param(12, marks=pytest.mark.slow)])  # 12 runs
def test_worlds_run_the_same_seeds_and_values_for_every_scenario(plain: Comparison, run_days: int):
    scenarios = presets(f"run.days={run_days}")
    worlds = run_worlds(scenarios, ["F", "X"], 3, 2, 7, ("service_level", "total_cost"))
    assert worlds.n == 3 and len(worlds.seeds) == 2
    for w, world in enumerate(worlds.replications):
        for reps in world:
            assert [r.seed for r in reps] == worlds.seeds
        coordination = worlds.world(w)["policies.coordination"]
        assert 0.0 <= coordination <= 0.02
    shares = worlds.share_best("service_level")
    assert math.isclose(sum(s.k for s in shares.values()), 3)
    assert worlds.differences("total_cost").shape == (3,)
    # The verdict over worlds says in what share of them.
    verdict = verdict_of(plain, worlds)
    assert verdict.sentence.startswith("Across 3 plausible worlds")
    assert " of 3 (" in verdict.sentence
    assert verdict.worlds.as_dict()["n"] == 3


def test_without_worlds_the_verdict_says_it_holds_in_one_world(plain: Comparison):
    verdict = verdict_of(plain)
    assert verdict.sentence.startswith("In 1 plausible world only")
    assert verdict.bottlenecks == [] and all(verdict.stable.values())
    assert any("time in handoffs" in r for r in verdict.reasons)  # the clearest part


def test_no_verdict_for_an_organisation_that_cannot_keep_up():
    f, x = presets()
    swamped = x.with_overrides(**{"demand.requests_per_day": 330.0})
    c = compare([f, swamped], 2)
    verdict = verdict_of(c)
    assert verdict.sentence is None
    assert verdict.stable == {c.names[0]: True, c.names[1]: False}
    (found,) = verdict.bottlenecks
    assert found.load > 1 and found.unit.startswith("Team")
    assert any(
        "do not see the same customers" in w and "requests_per_day" in w for w in verdict.warnings
    )


def test_the_extra_people_bring_every_unit_under_the_threshold():
    f = load_scenario(SCENARIOS / "functional.toml", ["demand.requests_per_day=300"])
    found = bottleneck(f)
    assert found.load > 1 and found.extra_people
    workforce = [
        g.model_copy(update={"headcount": g.headcount + found.extra_people.get(g.skill, 0)})
        for g in f.workforce
    ]
    fixed = f.model_copy(update={"workforce": workforce})
    assert max(offered_utilisation(fixed, build_units(fixed)).values()) < KEEP_UP
    assert "would bring every unit under 85%" in found.sentence()


def test_demand_differences_name_the_fields():
    f, x = presets()
    assert demand_differences([f, x]) == []
    other = x.with_overrides(**{"demand.requests_per_day": 170.0, "demand.patience_hours": 9.0})
    assert demand_differences([f, other]) == ["demand.requests_per_day", "demand.patience_hours"]


# --------------------------------------------------------------------------------------------
# sim compare --worlds --json, and the report, say the same thing


def _cli(capsys, *args):
    import subprocess

    from sim.cli import main

    capsys.readouterr()
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


def test_compare_json_has_the_documented_keys_and_the_report_says_the_same(capsys, tmp_path):
    import html
    import json

    data = ROOT / "tests" / "data" / "cli"
    report = tmp_path / "r.html"
    out = _cli(
        capsys, "compare", data / "functional.toml", data / "cross.toml", "--days", "5",
        "--reps", "2", "--worlds", "2", "--workers", "1", "--json", "--report", report,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    for key in (
        "scenarios",
        "stable",
        "kpis",
        "differences",
        "worlds",
        "verdict",
        "bottlenecks",
        "warnings",
    ):
        assert key in result, key
    a, b = result["scenarios"]
    mean = result["kpis"]["service_level"][a]
    assert set(mean) == {"mean", "ci_low", "ci_high"}
    diff = next(d for d in result["differences"] if d["kpi"] == "total_cost")
    assert set(diff) == {"kpi", "a", "b", "diff", "ci_low", "ci_high", "better", "significant"}
    assert (diff["a"], diff["b"]) == (a, b) and diff["better"] in (a, b, None)
    worlds = result["worlds"]
    assert worlds["n"] == 2 and set(worlds["share_better"]) == set(result["headline"])
    assert isinstance(worlds["hinges_on"], list)
    assert result["verdict"].startswith("Across 2 plausible worlds")
    page = html.unescape(report.read_text(encoding="utf-8"))
    assert result["verdict"] in page
    for warning in result["warnings"]:
        assert warning in page


def test_compare_without_reps_rejects_nothing_new_and_worlds_need_two(capsys):
    data = ROOT / "tests" / "data" / "cli"
    out = _cli(capsys, "compare", data / "functional.toml", data / "cross.toml", "--worlds", "1")
    assert out.returncode == 2
    assert "--worlds: 1 (allowed: a whole number from 2" in out.stderr
