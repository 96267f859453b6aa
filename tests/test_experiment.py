"""Replications and comparisons (`sim.replications`) and the HTML report (`sim.report`).

Statistical hygiene (docs/domain-notes.md §7.24-7.27): seeds come from SeedSequence and extend
without changing earlier ones; replications differ; the process pool gives exactly the serial
results; confidence intervals cover a known queueing-theory mean; comparisons pair replications by
seed (common random numbers), so a scenario compared with itself differs by exactly 0; `--reps auto`
stops when the headline CIs are narrow enough, or says it hit the cap.

Runs are short (10 days; the reorganisation 25 days, 40 among the slow tests) to keep this file well
under a minute.
"""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import load_scenario
from sim.queueing import mmc
from sim.replications import (
    HEADLINE_KPIS,
    REORG_DAILY_COLUMNS,
    Comparison,
    Estimate,
    JCurve,
    compare,
    describe,
    difference_text,
    paired_difference,
    reads_as_relative,
    replicate,
    replication_seeds,
)
from sim.report import write_report
from sim.runner import run
from sim.scenario import NEUTRAL, Scenario, parse_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SHORT = {"run.days": 10, "run.warmup_days": 2, "run.drain_limit_days": 20}
REORG_LENGTHS = [
    pytest.param((25, 12), id="25d"),  # about 0.2 s a run
    pytest.param((40, 15), id="40d", marks=pytest.mark.slow),
]
"""Lesson 5 cut to (days, switch day), warm-up 5: the switch's 10-day window and a week before
it fit in 25 days (the fast lane); 40 days, about 1 s a run, among the slow tests."""


def functional() -> Scenario:
    return load_scenario(SCENARIOS / "functional.toml").with_overrides(**SHORT)


def mm1(arrival_rate: float, service_rate: float, days: int = 15) -> Scenario:
    """Validation mode: one employee, Poisson arrivals, exponential work, every mechanism
    neutral, 24-hour days (so requests_per_day / 24 is lambda per hour)."""
    return parse_scenario(
        {
            "name": "M/M/1",
            "run": {"days": days, "warmup_days": 2, "hours_per_day": 24.0},
            "demand": {
                "requests_per_day": arrival_rate * 24,
                "work_distribution": "exponential",
                "patience_hours": 0.0,
                "callback_delay_hours": 0.0,
                "request_types": [
                    {
                        "name": "question",
                        "share": 1.0,
                        "expected_hours": 1.0,
                        "tasks": [{"skill": "service", "hours": 1.0 / service_rate}],
                    }
                ],
            },
            "workforce": [{"skill": "service", "headcount": 1, "baseline_engagement": 1.0}],
            "structure": {"kind": "functional"},
            "policies": dict(NEUTRAL["policies"]),
        },
        source="M/M/1",
    )


def same(a: object, b: object) -> bool:
    """Equality that treats NaN as equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


@pytest.fixture(scope="module")
def worse() -> Comparison:
    """Functional vs the same organisation with 8-hour handoffs (clearly worse), 3 reps."""
    base = functional()
    slow = base.with_overrides(**{"policies.handoff_delay_hours": 8})
    return compare([base, slow], reps=3, root_seed=11, names=["Functional", "Slow handoffs"])


@pytest.fixture(scope="module")
def worse_report(worse: Comparison, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`worse`'s HTML report, written once into a folder of its own (drawing it takes seconds)."""
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(worse, path)
    return path


@pytest.fixture(scope="module", params=REORG_LENGTHS)
def reorg(request: pytest.FixtureRequest) -> Comparison:
    """Departments vs the same organisation switching to teams on a day of `REORG_LENGTHS`,
    3 reps."""
    days, switch = request.param
    teams = load_scenario(SCENARIOS / "lessons" / "reorganisation.toml").with_overrides(
        **{"run.days": days, "events.0.day": switch, "run.drain_limit_days": 20}
    )
    stay = teams.model_copy(update={"events": []})
    return compare([stay, teams], reps=3, root_seed=4, names=["Departments", "Teams"])


# ---------------------------------------------------------------------------------------------
# Seeds and replications


def test_seeds_are_deterministic_and_extend_stably():
    long = replication_seeds(42, 12)
    assert long == replication_seeds(42, 12)
    assert replication_seeds(42, 5) == long[:5]
    assert replication_seeds(42, 0) == []
    assert len(set(long)) == 12
    assert all(isinstance(s, int) and 0 <= s < 2**32 for s in long)
    assert replication_seeds(43, 5) != long[:5]


def test_replications_differ_and_record_their_seeds():
    seeds = replication_seeds(3, 3)
    reps = replicate(functional(), seeds)
    assert [r.seed for r in reps] == seeds
    assert [r.kpis["seed"] for r in reps] == seeds
    means = [r.kpis["resolution_hours_mean"] for r in reps]
    assert len(set(means)) == 3
    assert len({len(r.resolution_hours) for r in reps}) > 1
    for r in reps:
        assert len(r.csat) == len(r.rating) >= len(r.resolution_hours) > 0
        assert set(np.unique(r.rating)) <= {1, 2, 3, 4, 5}
        assert list(r.units.columns) == ["unit", "headcount", "utilisation"]


@pytest.mark.slow  # starts a process pool
def test_process_pool_gives_exactly_the_serial_results():
    base = functional().with_overrides(**{"run.days": 8})
    other = load_scenario(SCENARIOS / "cross-functional.toml").with_overrides(
        **{**SHORT, "run.days": 8}
    )
    calls: list[tuple[int, int]] = []
    serial = compare([base, other], reps=3, root_seed=5)
    pooled = compare(
        [base, other], reps=3, root_seed=5, workers=2, progress=lambda d, n: calls.append((d, n))
    )
    assert pooled.seeds == serial.seeds
    for reps_s, reps_p in zip(serial.replications, pooled.replications, strict=True):
        for s, p in zip(reps_s, reps_p, strict=True):
            assert s.seed == p.seed
            assert s.kpis.keys() == p.kpis.keys()
            assert all(same(s.kpis[k], p.kpis[k]) for k in s.kpis)
            np.testing.assert_array_equal(s.resolution_hours, p.resolution_hours)
            np.testing.assert_array_equal(s.csat, p.csat)
            np.testing.assert_array_equal(s.rating, p.rating)
            pd.testing.assert_frame_equal(s.units, p.units)
    pd.testing.assert_frame_equal(serial.table(), pooled.table())
    assert calls and calls[-1] == (6, 6)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# ---------------------------------------------------------------------------------------------
# Confidence intervals


def test_ci_covers_the_exact_mm1_wait():
    """M/M/1 at rho = 0.5 (lambda 6/h, mu 12/h): Wq = 1/12 h, W = 1/6 h (Erlang C)."""
    theory = mmc(6.0, 12.0, 1)
    result = compare([mm1(6.0, 12.0)], reps=10, root_seed=2024)
    for key, target in (
        ("wait_hours_mean", theory.wait),
        ("resolution_hours_mean", theory.sojourn),
    ):
        e = result.estimate(key)
        assert e.n == 10
        assert e.ci_low <= target <= e.ci_high, (key, e, target)
        assert e.half_width <= 0.15 * target, f"CI too wide to be a test: {key} {e}"
        # The CI is the textbook t interval.
        values = result.values(key, 0)
        half = stats.t.ppf(0.975, 9) * values.std(ddof=1) / math.sqrt(10)
        assert e.half_width == pytest.approx(half, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Paired differences and sentences


def test_a_scenario_compared_with_itself_differs_by_exactly_zero():
    base = functional()
    result = compare([base, base], reps=3, root_seed=8)
    assert result.names[0] != result.names[1]
    for key in result.kpis():
        d = result.difference(key, 1)
        assert d.diff == 0 and d.ci_low == 0 and d.ci_high == 0, key
        assert not d.clear
        assert d.verdict == "no clear difference"
        assert "no clear difference" in result.sentence(key, 1)
    table = result.table()
    others = table[~table["baseline"]]
    assert (others["diff"] == 0).all()
    assert others["sentence"].str.contains("no clear difference").all()


def test_a_clearly_worse_variant_is_called_worse(worse: Comparison):
    d = worse.difference("resolution_hours_mean", 1)
    assert d.clear and d.diff > 0 and d.ci_low > 0
    assert d.verdict == "worse"
    assert d.rel_pct > 0 and d.rel_ci_low > 0
    sentence = worse.sentence("resolution_hours_mean")
    assert sentence.startswith("Slow handoffs: requests are resolved")
    assert "slower than in Functional" in sentence and "95% CI" in sentence
    assert "faster" not in sentence
    handoff = worse.difference("handoff_hours_mean", 1)
    assert handoff.verdict == "worse"  # 0.25 -> 3.8 h: said from-to, not "+1400%"
    assert "mean time in handoffs up from 0.25 in Functional to" in worse.sentence(
        "handoff_hours_mean"
    )
    csat = worse.difference("csat_mean", 1)
    assert csat.verdict == "worse"
    assert "less satisfied" in worse.sentence("csat_mean")
    # Common random numbers: the same customers arrive in both scenarios...
    assert worse.difference("arrived", 1).diff == 0
    # ...so the paired CI is tighter than the two means' CIs taken together.
    a, b = worse.estimate("resolution_hours_mean", 0), worse.estimate("resolution_hours_mean", 1)
    assert d.ci_high - d.ci_low < (a.half_width + b.half_width) * 2


def test_a_change_from_a_tiny_base_is_said_from_to():
    """ "+1475%" from a base of 75 tells nothing a reader can use; "up from 75 to 1,181" does.
    A percentage stays where it reads well (new value between 5% and 3 times the base)."""
    assert reads_as_relative(10.0, 29.9) and reads_as_relative(10.0, 0.6)
    assert not reads_as_relative(10.0, 31.0) and not reads_as_relative(10.0, 0.4)
    assert not reads_as_relative(0.0, 1.0)
    jump = paired_difference(
        "abandoned", [1181, 1150, 1200, 1190], [75, 70, 80, 74], scenario="B", baseline="A"
    )
    text = describe(jump)
    assert re.fullmatch(
        r"B: abandoned requests up from 75 in A to 1,180 requests "
        r"\(95% CI of the difference \+[\d,]+ to \+[\d,]+ requests\)\.",
        text,
    ), text
    assert "%" not in difference_text(jump)
    queue = paired_difference("wait_hours_mean", [0.15, 0.14, 0.16], [0.01, 0.012, 0.011])
    assert "up from 0.01 in A to 0.15 working hours" in describe(queue)
    gone = paired_difference("misroutes_per_request", [0.0, 0.0, 0.001], [0.024, 0.02, 0.03])
    assert "down from 0.025 in A to 0.000" in describe(gone)
    assert "%" not in difference_text(gone)  # not "−100.0% [−100.0, −100.0]"
    usual = paired_difference("resolution_hours_mean", [6.6, 7.3, 7.9], [10.0, 11.0, 12.0])
    assert "% faster" in describe(usual) and "%" in difference_text(usual)


def test_costs_are_in_the_scenarios_currency(worse: Comparison):
    assert worse.currency == "EUR"
    table = worse.table()
    assert set(table.loc[table["kpi"] == "payroll_per_resolved", "unit"]) == {"EUR per request"}
    cost = paired_difference("payroll_per_resolved", [80.0, 81.0, 79.0], [1.0, 1.2, 0.9])
    assert describe(cost, "USD").endswith(
        "to 80.00 USD (95% CI of the difference +76.9 to +81.1 USD)."
    )
    base = functional().with_overrides(**{"run.days": 6})
    mixed = compare([base, base.with_overrides(**{"run.currency": "USD"})], reps=2)
    assert mixed.currency == "EUR / USD"
    assert any("different currencies (EUR, USD)" in note for note in mixed.notes)


def test_no_kpi_repeats_another(worse: Comparison):
    """Two KPIs that vary from run to run but are equal in every run are one KPI under two
    names (as `promoters` was of `csat_top_box`): a table row that can tell nothing new."""
    runs = worse.runs_table()
    varying = [k for k in worse.kpis() if runs[k].nunique(dropna=False) > 1]
    twins = [
        (a, b)
        for i, a in enumerate(varying)
        for b in varying[i + 1 :]
        if np.allclose(runs[a], runs[b], equal_nan=True)
    ]
    assert len(varying) > 20 and twins == []


def test_sentences_know_direction_and_unit():
    base = [10.0, 11.0, 12.0, 10.5]
    faster = paired_difference(
        "resolution_hours_mean", [6.6, 7.3, 7.9, 6.9], base, scenario="Teams", baseline="Silos"
    )
    text = describe(faster)
    assert re.fullmatch(
        r"Teams: requests are resolved \d+% faster than in Silos \(95% CI \d+–\d+%\)\.", text
    ), text
    assert faster.verdict == "better"
    # Mean relative difference and a delta-method CI around it.
    assert faster.rel_pct == pytest.approx(100 * (np.mean([6.6, 7.3, 7.9, 6.9]) / 10.875 - 1))
    assert faster.rel_ci_low < faster.rel_pct < faster.rel_ci_high < 0

    fcr = paired_difference("fcr", [0.75, 0.74, 0.77, 0.76], [0.70, 0.70, 0.71, 0.70])
    assert "percentage points higher" in describe(fcr) and fcr.verdict == "better"
    csat = paired_difference("csat_mean", [3.9, 3.8, 4.0, 3.9], [4.1, 4.1, 4.2, 4.0])
    assert "less satisfied" in describe(csat) and "1–5 scale" in describe(csat)
    cost = paired_difference("total_cost", [80, 82, 81, 80], [70, 71, 72, 70])
    assert "costs" in describe(cost) and "more" in describe(cost) and cost.verdict == "worse"
    noisy = paired_difference("resolution_hours_mean", [9.0, 13.0, 10.0, 12.5], base)
    assert not noisy.clear
    assert "no clear difference in mean resolution time" in describe(noisy)


# ---------------------------------------------------------------------------------------------
# --reps auto


@pytest.mark.slow  # statistical: replications until the 5% criterion holds (up to 20 runs)
def test_auto_reps_stop_once_the_headline_cis_are_narrow():
    planned: list[int] = []
    result = compare(
        [functional()],
        reps="auto",
        root_seed=1,
        min_reps=3,
        max_reps=20,
        progress=lambda done, total: planned.append(total),
    )
    assert result.n < 20, result.notes
    assert result.criterion_met()
    for key in HEADLINE_KPIS:
        e = result.estimate(key)
        assert e.half_width <= 0.05 * abs(e.mean), key
    assert "stopped at" in result.notes[0]
    # Seeds extend the earlier ones; and one batch earlier the criterion did not hold yet.
    assert result.seeds == replication_seeds(1, result.n)
    assert [n for n, _ in result.history][-1] == result.n
    if len(result.history) > 1:
        assert result.history[-2][1] > 0.05
    assert planned[-1] == result.n


def test_auto_reps_stop_as_soon_as_the_criterion_holds():
    """The stopping rule in brief (the 5% case, with its longer runs, is a slow test)."""
    result = compare([functional()], reps="auto", root_seed=1, min_reps=3, precision=0.5)
    assert result.n == 3 and result.criterion_met()
    assert "stopped at" in result.notes[0]
    assert result.seeds == replication_seeds(1, 3)
    assert [n for n, _ in result.history] == [3]


def test_auto_reps_report_the_cap():
    result = compare([functional()], reps="auto", root_seed=1, max_reps=3, precision=1e-6)
    assert result.n == 3
    assert not result.criterion_met()
    assert any("cap of 3 replications" in note for note in result.notes)


def test_bad_reps_are_refused():
    with pytest.raises(ValueError, match="at least 2"):
        compare([functional()], reps=1)
    with pytest.raises(ValueError, match="whole number"):
        compare([functional()], reps="many")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Tables and the report


def test_table_and_csv(worse: Comparison, tmp_path: Path):
    table = worse.table()
    for column in (
        "kpi",
        "scenario",
        "mean",
        "ci_low",
        "ci_high",
        "diff",
        "diff_ci_low",
        "diff_ci_high",
        "rel_diff_pct",
        "sentence",
        "reps",
        "root_seed",
    ):
        assert column in table.columns
    assert len(table) == 2 * len(worse.kpis())
    assert set(HEADLINE_KPIS) <= set(table["kpi"])
    assert (table["reps"] == 3).all() and (table["root_seed"] == 11).all()
    assert (table["ci_low"] <= table["mean"]).all() and (table["mean"] <= table["ci_high"]).all()
    path = tmp_path / "comparison.csv"
    worse.to_csv(path)
    back = pd.read_csv(path)
    assert list(back.columns) == list(table.columns) and len(back) == len(table)
    runs = worse.runs_table()
    assert list(runs["seed"]) == worse.seeds * 2


def test_report_is_one_self_contained_file(worse_report: Path):
    assert [p.name for p in worse_report.parent.iterdir()] == ["report.html"]
    text = worse_report.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text and "<link" not in text
    sources = re.findall(r"""src=["']([^"']*)["']""", text)
    assert len(sources) >= 5
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert '<img src="data:image/png;base64,' in text
    for key in (*HEADLINE_KPIS, "handoff_hours_mean"):
        assert key in text
    for label in ("Resolution time, mean", "CSAT, mean", "First-contact resolution"):
        assert label in text
    assert "slower than in Functional" in text


# ---------------------------------------------------------------------------------------------
# Reorganisations: the J-curve


def test_a_reorganisation_keeps_its_daily_series(reorg: Comparison):
    stay, teams = reorg.replications
    days = reorg.scenarios[1].run.days
    assert all(r.reorg_daily is None for r in stay)
    for rep in teams:
        daily = rep.reorg_daily
        assert daily is not None
        assert list(daily.columns) == list(REORG_DAILY_COLUMNS)
        assert list(daily["day"]) == list(range(5, days))  # end of warm-up to the horizon
    # Common random numbers: the counterfactual is the run without the event, same seed.
    seed, daily = teams[0].seed, teams[0].reorg_daily
    without = run(reorg.scenarios[0], seed=seed, sample_every_hours=None).daily.set_index("day")
    for column in ("resolution_hours_mean", "customer_hours", "csat_mean"):
        np.testing.assert_allclose(
            daily[f"{column}_without"], without.loc[5 : days - 1, column], rtol=1e-12
        )
    assert daily["customer_hours"].sum() != daily["customer_hours_without"].sum()


def test_j_curve_over_replications(reorg: Comparison):
    curves = reorg.j_curves()
    assert list(curves) == ["Teams"]
    curve = curves["Teams"]
    days, switch = reorg.scenarios[1].run.days, reorg.scenarios[1].events[0].day
    assert (curve.n, curve.switch_day, curve.horizon) == (3, switch, days)
    table = curve.table
    assert list(table["day"]) == list(range(5, days))
    for column in ("resolution_hours", "resolution_hours_without", "csat", "csat_without"):
        for name in (column, f"{column}_ci_low", f"{column}_ci_high"):
            assert name in table.columns
            assert table[name].notna().all(), name
        assert (table[f"{column}_ci_low"] <= table[column] + 1e-12).all()
        assert (table[column] <= table[f"{column}_ci_high"] + 1e-12).all()
    saved = table.set_index("day")["hours_saved"]
    assert saved.loc[: switch - 1].isna().all() and saved.loc[switch:].notna().all()
    assert {"hours_saved_ci_low", "hours_saved_ci_high"} <= set(table.columns)
    # By hand: the 5-day rolling mean 5 days after the switch and the hours saved at the
    # horizon.
    reps = [r.reorg_daily.set_index("day") for r in reorg.replications[1]]
    day = switch + 5
    rolling = np.mean([r.loc[day - 4 : day, "resolution_hours_mean"].mean() for r in reps])
    assert table.set_index("day").loc[day, "resolution_hours"] == pytest.approx(rolling)
    total = np.mean(
        [
            (r.loc[switch:, "outcome_hours_without"] - r.loc[switch:, "outcome_hours"]).sum()
            for r in reps
        ]
    )
    assert saved.loc[days - 1] == pytest.approx(total)
    # Long before the switch, with and without hardly differ (only requests still open at
    # the switch can); after it they do.
    early = table.set_index("day").loc[5:9]
    np.testing.assert_allclose(
        early["resolution_hours"], early["resolution_hours_without"], rtol=0.02
    )
    # Dip, recovery and pay-back as the runs' own KPIs say.
    dip = reorg.estimate("reorg_dip", "Teams")
    assert (curve.dip.mean, curve.dip.ci_low) == pytest.approx((dip.mean, dip.ci_low))
    assert curve.dip.mean > 1
    crossovers = reorg.values("reorg_crossover_day", "Teams")
    assert curve.n_crossover == np.isfinite(crossovers).sum()
    assert curve.crossover_share == pytest.approx(curve.n_crossover / 3)
    if curve.n_crossover:
        assert curve.crossover_median == np.median(crossovers[np.isfinite(crossovers)])
    assert re.fullmatch(
        r"The reorganisation (pays back on day \d+(\.5)? \((median; )?in \d of 3 replications\)"
        rf".*|does not pay back within the horizon \({days} days\) in \d of 3 replications.*)",
        curve.sentence(),
    ), curve.sentence()


def test_j_curve_sentences():
    def curve(crossovers: tuple[int, ...], n: int = 10) -> JCurve:
        return JCurve(
            "Teams", 20, 80, n, pd.DataFrame(), Estimate(n, 1.2, 0.1, 1.1, 1.3), (31,), crossovers
        )

    assert (
        curve((41,) * 10).sentence()
        == "The reorganisation pays back on day 41 (in 10 of 10 replications)."
    )
    assert curve((40, 41, 45)).crossover_median == 41
    assert curve(()).sentence() == (
        "The reorganisation does not pay back within the horizon (80 days) in 10 of 10 "
        "replications."
    )
    assert curve((40, 42, 50)).sentence() == (
        "The reorganisation does not pay back within the horizon (80 days) in 7 of 10 "
        "replications; in the other 3 it pays back on day 42 (median)."
    )
    assert curve((40, 42, 50, 51, 60, 61, 62)).sentence() == (
        "The reorganisation pays back on day 51 (median; in 7 of 10 replications); in the "
        "other 3 it does not pay back within the horizon (80 days)."
    )
    assert "1.20 times the hours to an outcome" in curve(()).dip_sentence()


def test_report_shows_the_j_curve(reorg: Comparison, tmp_path: Path):
    path = tmp_path / "report.html"
    write_report(reorg, path)
    text = path.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text and "<script" not in text
    assert "<h2>Reorganisation: the J-curve</h2>" in text
    assert text.count("J-curve of the reorganisation in Teams") == 1  # the figure's alt text
    figure = re.search(r'<img src="data:image/png;base64,[^"]+" alt="J-curve of', text)
    assert figure is not None
    curve = reorg.j_curves()["Teams"]
    assert html.escape(curve.sentence()) in text
    assert re.search(r"\bpays? back\b", curve.sentence())  # "pays back" or "does not pay back"


def test_no_reorganisation_no_j_curve(worse: Comparison, worse_report: Path):
    assert worse.j_curves() == {}
    assert all(r.reorg_daily is None for reps in worse.replications for r in reps)
    assert "J-curve" not in worse_report.read_text(encoding="utf-8")
