"""The people side and behaviour: direction and plausible size of the known effects.

Each test checks that an effect from the literature (docs/domain-notes.md §1.9, §3, §5, §7.15-7.23)
comes out of the model with the right sign and a plausible size, on fixed seeds with enough
replications (and common random numbers where scenarios are compared) to be stable. These are not
exact validation targets (see test_validation.py for those), except where the theory is exact.

Time unit: the working hour. Scenarios built here use 24-hour "days" where the clock only
matters for queueing, and 8-hour days where daily people dynamics matter.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from sim.queueing import mmc
from sim.runner import RunResult, run
from sim.satisfaction import satisfaction_score
from sim.scenario import NEUTRAL, SatisfactionSettings, Scenario, load_scenario, parse_scenario
from sim.structure import build_units, offered_utilisation

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def preset(name: str, **overrides: Any) -> Scenario:
    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    return scenario.with_overrides(**overrides) if overrides else scenario


def simulate(scenario: Scenario, seed: int, counterfactual: bool = True) -> RunResult:
    return run(scenario, seed=seed, sample_every_hours=None, counterfactual=counterfactual)


def neutral_raw(**sections: Any) -> dict[str, Any]:
    """The [policies], [people] and [managers] tables with every mechanism neutral."""
    return {
        "policies": {**NEUTRAL["policies"], **sections.get("policies", {})},
        "people": {**NEUTRAL["people"], **sections.get("people", {})},
        "managers": {**NEUTRAL["managers"], **sections.get("managers", {})},
    }


def r_squared(y: Sequence[float], x: Sequence[float]) -> float:
    return float(np.corrcoef(y, x)[0, 1] ** 2)


# ---------------------------------------------------------------------------------------------
# 1. Break-even generalist slowdown s* falls as load rises (docs/domain-notes.md §1.9, §7.16)
#
# The toy Jackson model of §1.9: silos = 4 functional units of 5 specialists (mu = 1, FCR 0.9
# per contact, exponential callback delay D = 8), 30% of requests need a second skill (a handoff
# to the second silo). Generalists do a whole request in one contact (work 1 h, or 2 h for a
# two-skill request: mean 1.3 h) with a secondary proficiency 1/s, so their work is s times
# slower, and get it right with the same FCR 0.9 per contact. Everything else is neutral.


TOY_SKILLS = ("A", "B", "C", "D")
TOY_FCR = 0.9
TOY_CALLBACK_HOURS = 8.0
TOY_SEEDS = (11, 12, 13)
TOY_DAYS = 150


def toy_scenario(load: float, slowdown: float | None = None, teams: int = 1) -> Scenario:
    """Silos (`slowdown` None) or generalists (one pool of 20, or `teams` teams of 5) at silo
    load `load` (busy share of the specialists, rework included)."""
    rate = load * 20 * TOY_FCR / 1.3
    generalists = slowdown is not None
    types = [
        {
            "name": a,
            "share": 0.7 / 4,
            "expected_hours": 4.0,
            "tasks": [{"skill": "whole" if generalists else a, "hours": 1.0}],
        }
        for a in TOY_SKILLS
    ]
    for a, b in itertools.permutations(TOY_SKILLS, 2):
        tasks = (
            [{"skill": "whole", "hours": 2.0}]
            if generalists
            else [{"skill": a, "hours": 1.0}, {"skill": b, "hours": 1.0}]
        )
        types.append({"name": a + b, "share": 0.3 / 12, "expected_hours": 8.0, "tasks": tasks})
    workforce = [
        {
            "skill": a,
            "headcount": 5,
            "baseline_engagement": 1.0,
            "other_skills": {"whole": 1.0 / slowdown} if generalists else {},
        }
        for a in TOY_SKILLS
    ]
    if not generalists:
        structure: dict[str, Any] = {"kind": "functional"}
    elif teams == 1:
        units = [{"name": "pool", "members": dict.fromkeys(TOY_SKILLS, 5), "serves": ["whole"]}]
        structure = {"kind": "custom", "units": units}
    else:
        assert teams == 4
        units = [{"name": f"team {a}", "members": {a: 5}, "serves": ["whole"]} for a in TOY_SKILLS]
        structure = {"kind": "custom", "units": units}
    raw = {
        "name": "toy Jackson model",
        "run": {
            "days": TOY_DAYS,
            "warmup_days": 10,
            "hours_per_day": 24.0,
            "drain_limit_days": 60.0,
        },
        "demand": {
            "requests_per_day": rate * 24.0,
            "work_distribution": "exponential",
            "patience_hours": 0.0,
            "callback_delay_hours": TOY_CALLBACK_HOURS,
            "request_types": types,
        },
        "workforce": workforce,
        "structure": structure,
        **neutral_raw(policies={"first_contact_resolution": TOY_FCR}),
    }
    return parse_scenario(raw, source="toy")


def toy_resolution(result: RunResult) -> float:
    """Mean resolution time, with each request's callback delays replaced by their expectation
    D x repeat contacts. The delay is exponential and drawn independently of everything else, so
    by Wald's identity the estimate is unbiased; it removes most of the callback noise."""
    if not result.stable:
        return math.inf
    done = result.requests[~result.requests["abandoned"]]
    hours = (
        done["resolution_hours"]
        - done["callback_hours"]
        + TOY_CALLBACK_HOURS * done["repeat_contacts"]
    )
    return float(hours.mean())


@functools.cache
def toy_mean(load: float, slowdown: float | None = None, teams: int = 1) -> float:
    """Mean over the replications; the same seeds for every variant (common random numbers)."""
    scenario = toy_scenario(load, slowdown, teams)
    return float(np.mean([toy_resolution(simulate(scenario, seed)) for seed in TOY_SEEDS]))


def break_even(load: float, teams: int, start: float, step: float) -> tuple[float, list]:
    """s* where the generalists' mean resolution time equals the silos': walk from `start` in
    `step`s until the gap changes sign, then interpolate linearly. Returns s* and the points.
    If generalists lose even at s = 1, s* <= 1 is reported as 1."""
    silo = toy_mean(load)
    points: list[tuple[float, float]] = []

    def gap(s: float) -> float:
        value = toy_mean(load, round(s, 4), teams) - silo
        points.append((round(s, 4), round(value, 4)))
        return value

    s, g = start, gap(start)
    if g < 0:
        while g < 0:
            prev = (s, g)
            s += step
            assert s * load < 1.0, f"no break-even below capacity: {points}"
            g = gap(s)
    else:
        while g >= 0:
            prev = (s, g)
            if s <= 1.0:
                return 1.0, points
            s = max(1.0, s - step)
            g = gap(s)
    (s0, g0), (s1, g1) = sorted([prev, (s, g)])
    if math.isinf(g1):
        return s0, points
    return s0 + (s1 - s0) * (-g0) / (g1 - g0), points


@pytest.mark.slow
def test_silo_baseline_is_the_jackson_network_of_the_toy_model() -> None:
    """The silo side is an exact Jackson network (4 M/M/5 + an infinite-server callback
    node): 3.86 h at load 0.85 (docs/domain-notes.md §1.9, §7.16)."""
    visits = toy_scenario(0.85).demand.requests_per_day / 24.0 * 1.3 / TOY_FCR / 4
    exact = 1.3 / TOY_FCR * mmc(visits, 1.0, 5).sojourn
    exact += 1.3 * (1 / TOY_FCR - 1) * TOY_CALLBACK_HOURS
    assert exact == pytest.approx(3.86, abs=0.01)
    measured = toy_mean(0.85)
    print(f"silo resolution at load 0.85: {measured:.3f} (exact {exact:.3f})")
    assert measured == pytest.approx(exact, rel=0.06)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("teams", "low_start", "high_start", "table"),
    [
        pytest.param(1, 1.2, 1.1, (1.23, 1.12), id="pooled-20"),
        pytest.param(4, 1.1, 1.0, (1.13, 1.02), id="teams-of-5"),
    ],
)
def test_break_even_slowdown_falls_with_load(
    teams: int, low_start: float, high_start: float, table: tuple[float, float]
) -> None:
    """The slowdown generalists can afford shrinks as utilisation rises (§1.9 table: pooled-20
    1.23 at load 0.5 and 1.12 at 0.85; teams of 5 1.13 and 1.02)."""
    low, low_points = break_even(0.5, teams, low_start, 0.1)
    high, high_points = break_even(0.85, teams, high_start, 0.05)
    report = (
        f"teams={teams}: s*(0.5) = {low:.3f} (table {table[0]}), gaps {low_points}; "
        f"s*(0.85) = {high:.3f} (table {table[1]}), gaps {high_points}"
    )
    print(report)
    assert high < low - 0.05, report
    # plausible sizes: near the analytic toy model, and below the capacity bound 1/load
    assert low == pytest.approx(table[0], abs=0.07), report
    assert high == pytest.approx(table[1], abs=0.05), report
    assert high < 1 / 0.85, report


@pytest.mark.slow
def test_pooled_generalists_afford_more_slowdown_than_small_teams() -> None:
    """Pooling 20 generalists beats 4 teams of 5 at the same slowdown (§1.9: s* 1.23 vs 1.13
    at load 0.5, 1.12 vs 1.02 at 0.85)."""
    for load, s in ((0.5, 1.2), (0.85, 1.0)):
        pooled, teams = toy_mean(load, s, 1), toy_mean(load, s, 4)
        print(f"load {load}, s {s}: pooled-20 {pooled:.3f} h, teams of 5 {teams:.3f} h")
        assert pooled < teams


# ---------------------------------------------------------------------------------------------
# 2. Local-metric incentives raise transfers and repeat contacts (§5.7, §7.23)


@pytest.mark.slow  # statistical: long runs
def test_local_metrics_raise_transfers_and_repeat_contacts() -> None:
    """w = 0.0-0.1 (local KPIs) vs w = 0.9-1.0 (customer metrics) on the functional preset,
    same customers (seeds) in every variant (Kerr 1975; Burton & Obel 1988)."""
    base = preset("functional", **{"run.days": 30})
    table: dict[float, list[dict[str, Any]]] = {}
    for w in (0.0, 0.1, 0.9, 1.0):
        scenario = base.with_overrides(**{"policies.customer_metric_weight": w})
        table[w] = [simulate(scenario, seed).kpis for seed in (1, 2)]
    for key in ("transfers_per_request", "repeat_contacts_per_request"):
        values = {w: [round(k[key], 4) for k in runs] for w, runs in table.items()}
        print(key, values)
        for seed_index in range(2):
            local = [table[w][seed_index][key] for w in (0.0, 0.1)]
            customer = [table[w][seed_index][key] for w in (0.9, 1.0)]
            assert min(local) > max(customer), f"{key}: {values}"
    local_t = np.mean([k["transfers_per_request"] for w in (0.0, 0.1) for k in table[w]])
    cust_t = np.mean([k["transfers_per_request"] for w in (0.9, 1.0) for k in table[w]])
    local_r = np.mean([k["repeat_contacts_per_request"] for w in (0.0, 0.1) for k in table[w]])
    cust_r = np.mean([k["repeat_contacts_per_request"] for w in (0.9, 1.0) for k in table[w]])
    # plausible sizes: transfer-out needs local metrics, premature closure adds repeat contacts
    assert all(k["transfers_per_request"] == 0 for k in table[1.0])
    assert 0.02 < local_t < 0.3 and cust_t < 0.02
    assert 1.5 < local_r / cust_r < 5
    # and the customer pays for it
    for seed_index in range(2):
        assert table[0.0][seed_index]["csat_mean"] < table[1.0][seed_index]["csat_mean"]


# ---------------------------------------------------------------------------------------------
# 3. Reorganisation J-curve: dip, recovery, crossover later with slower learning (§5.6, §7.17)
#
# 40 people in 4 skills (10 each), every one able to do every skill at full proficiency, so the
# only cost of the switch is the role slowdown (1.3, decaying on the learning curve). Silos at
# load 0.85 with a costly handoff (4 h mean transfer); 30% of requests need two skills. In
# steady state the cross-functional teams win (no handoffs); right after the switch they are
# slower and queues build. Every other mechanism is neutral, so learning alone drives recovery.

REORG_DAY = 20
REORG_DAYS = 70
REORG_SEEDS = (1, 2, 3, 4, 5, 6)
REORG_RATES = (0.8, 0.85, 0.95)


def reorg_scenario(learning_rate: float) -> Scenario:
    per_skill, load = 10, 0.85
    rate = load * 4 * per_skill / 1.3
    types = [
        {"name": a, "share": 0.7 / 4, "expected_hours": 4.0, "tasks": [{"skill": a, "hours": 1.0}]}
        for a in TOY_SKILLS
    ]
    types += [
        {
            "name": a + b,
            "share": 0.3 / 12,
            "expected_hours": 8.0,
            "tasks": [{"skill": a, "hours": 1.0}, {"skill": b, "hours": 1.0}],
        }
        for a, b in itertools.permutations(TOY_SKILLS, 2)
    ]
    raw = {
        "name": "reorganisation",
        "run": {"days": REORG_DAYS, "warmup_days": 5, "hours_per_day": 8.0},
        "demand": {
            "requests_per_day": rate * 8.0,
            "work_distribution": "exponential",
            "patience_hours": 0.0,
            "callback_delay_hours": 0.0,
            "request_types": types,
        },
        "workforce": [
            {
                "skill": a,
                "headcount": per_skill,
                "baseline_engagement": 1.0,
                "other_skills": {b: 1.0 for b in TOY_SKILLS if b != a},
            }
            for a in TOY_SKILLS
        ],
        "structure": {"kind": "functional"},
        **neutral_raw(
            policies={"handoff_delay_hours": 4.0}, people={"learning_rate": learning_rate}
        ),
        "events": [
            {
                "day": REORG_DAY,
                "structure": {"kind": "cross_functional", "teams": 4},
                "role_slowdown": 1.3,
            }
        ],
    }
    return parse_scenario(raw, source="reorganisation")


@functools.cache
def reorg_runs(learning_rate: float) -> tuple[RunResult, ...]:
    scenario = reorg_scenario(learning_rate)
    return tuple(simulate(scenario, seed) for seed in REORG_SEEDS)


def extra_customer_hours(result: RunResult):
    """Cumulative customer-hours of the reorganisation minus not reorganising, by day."""
    days = result.daily.set_index("day")
    without = result.counterfactual.set_index("day")
    span = slice(REORG_DAY, REORG_DAYS - 1)
    return (days.loc[span, "customer_hours"] - without.loc[span, "customer_hours"]).cumsum()


def paid_back_day(result: RunResult) -> float:
    """First day from which the reorganisation stays paid back to the horizon (inf: never)."""
    extra = extra_customer_hours(result)
    ahead = extra.to_numpy() < 0
    stays = np.flip(np.logical_and.accumulate(np.flip(ahead)))
    return float(extra.index[stays][0]) if stays.any() else math.inf


def window_mean(result: RunResult, first: int, last: int, counterfactual: bool = False) -> float:
    frame = result.counterfactual if counterfactual else result.daily
    days = frame.set_index("day")
    return float(days.loc[first:last, "resolution_hours_mean"].mean())


@pytest.mark.slow
def test_reorganisation_dip_recovery_and_crossover() -> None:
    summary = {}
    for rate in REORG_RATES:
        runs = reorg_runs(rate)
        summary[rate] = {
            "dip": [round(r.kpis["reorg_dip"], 3) for r in runs],
            "first 2 weeks / baseline": [
                round(window_mean(r, REORG_DAY, REORG_DAY + 9) / r.kpis["reorg_baseline_hours"], 3)
                for r in runs
            ],
            "first 2 weeks / counterfactual": [
                round(
                    window_mean(r, REORG_DAY, REORG_DAY + 9)
                    / window_mean(r, REORG_DAY, REORG_DAY + 9, counterfactual=True),
                    3,
                )
                for r in runs
            ],
            "last 3 weeks / baseline": [
                round(
                    window_mean(r, REORG_DAYS - 15, REORG_DAYS - 1)
                    / r.kpis["reorg_baseline_hours"],
                    3,
                )
                for r in runs
            ],
            "last 3 weeks / counterfactual": [
                round(
                    window_mean(r, REORG_DAYS - 15, REORG_DAYS - 1)
                    / window_mean(r, REORG_DAYS - 15, REORG_DAYS - 1, counterfactual=True),
                    3,
                )
                for r in runs
            ],
            "paid back from day": [paid_back_day(r) for r in runs],
            "reorg_crossover_day": [r.kpis["reorg_crossover_day"] for r in runs],
        }
    for rate, rows in summary.items():
        print(f"learning rate {rate}: {rows}")

    default = summary[0.85]
    # the dip (default learning): worse than the baseline, and than not reorganising, on
    # average over the first 10 days (a lucky seed may pay it back within them)
    assert np.mean(default["dip"]) > 1.05, default
    assert np.mean(default["first 2 weeks / baseline"]) > 1.05, default
    assert np.mean(default["first 2 weeks / counterfactual"]) > 1.05, default
    # recovery with learning: the new steady state beats the old one
    assert np.mean(default["last 3 weeks / baseline"]) < 1.0, default
    assert np.mean(default["last 3 weeks / counterfactual"]) < 1.0, default
    fast, slow = summary[0.8], summary[0.95]
    assert max(fast["last 3 weeks / counterfactual"]) < 1.0, fast
    # slower learning: a deeper dip, and the crossover later or never
    assert np.mean(slow["dip"]) > np.mean(default["dip"]) > np.mean(fast["dip"])
    assert np.mean(slow["first 2 weeks / baseline"]) > np.mean(default["first 2 weeks / baseline"])
    assert np.mean(default["first 2 weeks / baseline"]) > np.mean(fast["first 2 weeks / baseline"])
    assert all(day < REORG_DAYS for day in fast["paid back from day"]), fast
    assert all(day is not None for day in fast["reorg_crossover_day"]), fast
    for quick, late in zip(fast["paid back from day"], slow["paid back from day"], strict=True):
        assert quick < late, summary
    assert np.median(fast["paid back from day"]) < np.median(default["paid back from day"])
    assert np.median(default["paid back from day"]) <= np.median(slow["paid back from day"])
    assert all(math.isinf(day) for day in slow["paid back from day"]), slow


@pytest.mark.slow
def test_crossover_day_means_the_change_has_paid_back() -> None:
    for rate in REORG_RATES:
        for seed, result in zip(REORG_SEEDS, reorg_runs(rate), strict=True):
            day = result.kpis["reorg_crossover_day"]
            end = float(extra_customer_hours(result).iloc[-1])
            assert day is None or end < 0, (
                f"learning rate {rate}, seed {seed}: reorg_crossover_day {day} but the "
                f"reorganisation is {end:+.0f} customer-hours behind at the horizon"
            )


# ---------------------------------------------------------------------------------------------
# 4. Loss aversion in satisfaction (§3.1, §7.18) and effort (§7.21): pure function


def score(resolution_hours: float, handoffs: int = 0, repeats: int = 0, **kw: Any) -> float:
    settings = kw.pop("settings", SatisfactionSettings())
    return satisfaction_score(
        resolution_hours=resolution_hours,
        expected_hours=10.0,
        handoffs=handoffs,
        repeat_contacts=repeats,
        warmth=kw.pop("warmth", 0.0),
        noise=0.0,
        abandoned=kw.pop("abandoned", False),
        settings=settings,
    )


@pytest.mark.parametrize("surprise", [0.1, 0.2, 0.4])
def test_shortfall_hurts_more_than_an_equal_surprise_pleases(surprise: float) -> None:
    met = score(10.0)
    gain = score(10.0 * (1 - surprise)) - met
    drop = met - score(10.0 * (1 + surprise))
    print(f"±{surprise:.0%}: gain {gain:.3f}, drop {drop:.3f}, ratio {drop / gain:.2f}")
    assert gain > 0 and drop > 0
    assert drop / gain > 1
    assert drop / gain == pytest.approx(2.0, rel=0.25)


def test_effort_and_abandonment_lower_satisfaction() -> None:
    """Every transfer and every repeat contact costs satisfaction (Dixon et al. 2010); a repeat
    costs more than a transfer; abandoning is the worst outcome."""
    base = score(8.0, warmth=0.5)
    assert score(8.0, handoffs=1, warmth=0.5) < base
    assert score(8.0, handoffs=2, warmth=0.5) < score(8.0, handoffs=1, warmth=0.5)
    assert score(8.0, repeats=1, warmth=0.5) < score(8.0, handoffs=1, warmth=0.5)
    assert score(8.0, abandoned=True) <= min(score(30.0, handoffs=3, repeats=3), base)


# ---------------------------------------------------------------------------------------------
# 5. FCR, not AHT, drives satisfaction (Feinberg et al. 2000; §3.3, §7.20)


def fcr_aht_scenario(fcr: float, aht_factor: float) -> Scenario:
    """The functional preset with per-task FCR `fcr` and every task's work x `aht_factor`;
    arrivals scaled so that the offered load stays that of the preset."""
    raw = preset("functional").model_dump()
    raw["run"]["days"] = 20
    raw["policies"]["first_contact_resolution"] = fcr
    raw["demand"]["requests_per_day"] *= (fcr / 0.9) / aht_factor
    for rtype in raw["demand"]["request_types"]:
        for task in rtype["tasks"]:
            task["hours"] *= aht_factor
    return parse_scenario(raw, source="fcr vs aht")


@pytest.mark.slow
def test_fcr_explains_csat_better_than_handle_time() -> None:
    design = np.random.default_rng(7)
    rows = []
    for i in range(24):
        fcr, factor = design.uniform(0.7, 1.0), design.uniform(0.5, 1.5)
        k = simulate(fcr_aht_scenario(fcr, factor), seed=100 + i).kpis
        aht = k["work_hours_mean"] / k["contacts_per_request"]
        rows.append((k["csat_mean"], k["fcr"], k["work_hours_mean"], aht, k["utilisation"]))
    csat, fcr, work, aht, utilisation = np.array(rows).T
    r2_fcr, r2_work, r2_aht = r_squared(csat, fcr), r_squared(csat, work), r_squared(csat, aht)
    z = [(v - v.mean()) / v.std() for v in (csat, fcr, aht)]
    beta = np.linalg.lstsq(np.c_[np.ones(len(csat)), z[1], z[2]], z[0], rcond=None)[0]
    slope = stats.linregress(fcr, csat).slope
    per_point = slope * 0.01 / csat.mean()
    report = (
        f"R² fcr {r2_fcr:.3f}, work_hours_mean {r2_work:.3f}, AHT per contact {r2_aht:.3f}; "
        f"standardized beta fcr {beta[1]:.3f}, AHT {beta[2]:.3f}; +1 pp FCR -> "
        f"{per_point:+.2%} CSAT; utilisation {utilisation.min():.2f}-{utilisation.max():.2f}"
    )
    print(report)
    assert utilisation.max() - utilisation.min() < 0.15, report  # load held (roughly) constant
    assert r2_fcr > 0.6, report
    assert r2_fcr > 3 * r2_work and r2_fcr > 3 * r2_aht, report
    assert beta[1] > 0 and abs(beta[1]) > 3 * abs(beta[2]), report
    assert 0.002 < per_point < 0.03, report  # SQM: about +1% CSAT per point of FCR


# ---------------------------------------------------------------------------------------------
# 6. Engagement and unit CSAT correlate at unit level (Harter et al. 2002: r ~ 0.3; §7.22)


def many_units_scenario(design_seed: int, units: int = 30) -> Scenario:
    """A functional organisation of `units` small departments (3-6 people) that differ in
    baseline engagement, customer orientation, work, customer expectations and load (0.55-0.8).
    Every people mechanism at its default."""
    design = np.random.default_rng(design_seed)
    engagement = np.linspace(0.35, 0.95, units)
    design.shuffle(engagement)
    orientation = design.uniform(0.3, 0.9, units)
    headcount = design.integers(3, 7, units)
    hours = design.uniform(0.3, 1.2, units)
    load = design.uniform(0.55, 0.8, units)
    expected = design.uniform(2.0, 16.0, units)

    def build(rate: np.ndarray) -> Scenario:
        shares = rate / rate.sum()
        types = [
            {
                "name": f"type {i}",
                "share": float(shares[i]),
                "expected_hours": float(expected[i]),
                "tasks": [{"skill": f"skill {i}", "hours": float(hours[i])}],
            }
            for i in range(units)
        ]
        types[-1]["share"] = 1.0 - sum(t["share"] for t in types[:-1])
        raw = {
            "name": "many units",
            "run": {"days": 30, "warmup_days": 5, "hours_per_day": 8.0},
            "demand": {"requests_per_day": float(rate.sum() * 8.0), "request_types": types},
            "workforce": [
                {
                    "skill": f"skill {i}",
                    "headcount": int(headcount[i]),
                    "baseline_engagement": float(engagement[i]),
                    "customer_orientation": float(orientation[i]),
                }
                for i in range(units)
            ],
            "structure": {"kind": "functional"},
        }
        return parse_scenario(raw, source="many units")

    first = build(load * headcount / hours)
    offered = offered_utilisation(first, build_units(first))
    estimate = np.array([offered[f"skill {i}"] for i in range(units)])
    return build(load * headcount / hours * load / estimate)


@pytest.mark.slow
def test_unit_engagement_and_csat_correlate() -> None:
    engagement, csat, per_design = [], [], []
    for design_seed in (1, 2, 3):
        units = simulate(many_units_scenario(design_seed), seed=design_seed).units
        assert units["utilisation"].max() < 0.95
        r = float(np.corrcoef(units["engagement_mean"], units["csat_mean"])[0, 1])
        per_design.append(round(r, 3))
        engagement += units["engagement_mean"].tolist()
        csat += units["csat_mean"].tolist()
    pooled = float(np.corrcoef(engagement, csat)[0, 1])
    print(f"unit-level r(engagement, CSAT): per design {per_design}, pooled {pooled:.3f}")
    assert min(per_design) > 0.1
    assert 0.1 < pooled < 0.9


# ---------------------------------------------------------------------------------------------
# 7. Neutral people side leaves validation mode untouched; counterfactual sanity


def mmc_scenario(
    people: dict[str, Any] | None,
    managers: dict[str, Any] | None,
    events: list[dict[str, Any]] | None = None,
    days: int = 300,
) -> Scenario:
    """M/M/5 at rho 0.8 (lambda 4/h, 1 h work), every policy neutral, nobody warm (customer
    orientation 0, so engagement cannot reach the customer either)."""
    raw: dict[str, Any] = {
        "name": "M/M/5",
        "run": {"days": days, "warmup_days": 10, "hours_per_day": 24.0, "drain_limit_days": 60.0},
        "demand": {
            "requests_per_day": 4.0 * 24.0,
            "work_distribution": "exponential",
            "patience_hours": 0.0,
            "callback_delay_hours": 0.0,
            "request_types": [
                {
                    "name": "question",
                    "share": 1.0,
                    "expected_hours": 1.0,
                    "tasks": [{"skill": "service", "hours": 1.0}],
                }
            ],
        },
        "workforce": [
            {
                "skill": "service",
                "headcount": 5,
                "baseline_engagement": 1.0,
                "customer_orientation": 0.0,
            }
        ],
        "policies": dict(NEUTRAL["policies"]),
    }
    if people is not None:
        raw["people"] = people
    if managers is not None:
        raw["managers"] = managers
    if events:
        raw["events"] = events
    return parse_scenario(raw, source="mmc")


def same(a: Any, b: Any) -> bool:
    """Bit-identical, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


PEOPLE_KPIS = ("engagement_mean", "burnout_share", "tie_density")
KNOBS_WITHOUT_A_MECHANISM = {
    "people": {"overload_threshold": 0.3, "burnout_threshold": 0.9, "burnout_days": 1},
    "managers": {
        "support": 1.0,
        "encounter_hours": 4.0,
        "encounter_size": 5,
        "initial_tie": 0.9,
        "tie_gain": 0.9,
        "tie_use_gain": 0.5,
        "tie_decay": 0.5,
    },
}
"""Settings that only shape a mechanism NEUTRAL switches off: they must change nothing."""


def test_neutral_people_side_leaves_validation_mode_unchanged() -> None:
    neutral = simulate(mmc_scenario(NEUTRAL["people"], NEUTRAL["managers"], days=60), seed=5)
    # every non-neutral default of [people] and [managers], where it cannot act (one unit, one
    # skill at full proficiency, engagement without effect on work or on the customer)
    defaults = simulate(mmc_scenario(None, None, days=60), seed=5)
    # NEUTRAL plus the settings of switched-off mechanisms set far from their defaults
    knobs = simulate(
        mmc_scenario(
            {**NEUTRAL["people"], **KNOBS_WITHOUT_A_MECHANISM["people"]},
            {**NEUTRAL["managers"], **KNOBS_WITHOUT_A_MECHANISM["managers"]},
            days=60,
        ),
        seed=5,
    )
    assert neutral.stable and len(neutral.requests) > 4000
    for key, value in neutral.kpis.items():
        assert same(value, knobs.kpis[key]), f"{key}: {value!r} vs {knobs.kpis[key]!r}"
        if key not in PEOPLE_KPIS:
            assert same(value, defaults.kpis[key]), f"{key}: {value!r} vs {defaults.kpis[key]!r}"
    for other in (defaults, knobs):
        for column in ("arrived", "closed", "queue_hours", "work_hours", "csat"):
            np.testing.assert_array_equal(neutral.requests[column], other.requests[column])


@pytest.mark.slow
def test_neutral_validation_mode_matches_erlang_c() -> None:
    """Sixteen replications: with four, the interval's own precision check (half-width under
    10% of the target) failed for 7 of 10 blocks of four seeds, with any random streams; with
    sixteen it holds by a wide margin, and the mean must meet a narrower interval."""
    scenario = mmc_scenario(NEUTRAL["people"], NEUTRAL["managers"])
    theory = mmc(4.0, 1.0, 5)
    runs = [simulate(scenario, seed).kpis for seed in range(1, 17)]
    for key, target in (
        ("wait_hours_mean", theory.wait),
        ("resolution_hours_mean", theory.sojourn),
    ):
        values = [k[key] for k in runs]
        mean = float(np.mean(values))
        sd = np.std(values, ddof=1)
        half = stats.t.ppf(0.975, len(values) - 1) * sd / np.sqrt(len(values))
        report = f"{key}: {mean:.4f} ± {half:.4f} vs Erlang C {target:.4f}"
        print(report)
        assert abs(mean - target) <= half or abs(mean / target - 1) <= 0.03, report
        assert half < 0.1 * target, report


def test_counterfactual_is_the_run_without_the_event() -> None:
    """`counterfactual` is the same customers without the reorganisation; a reorganisation
    that changes nothing (validation mode, same structure, no slowdown, no engagement dip)
    leaves every customer's outcome unchanged, so it never pays back nor costs anything."""
    people, managers = NEUTRAL["people"], NEUTRAL["managers"]
    noop = {"day": 30, "role_slowdown": 1.0, "engagement_dip": 0.0}
    plain = simulate(mmc_scenario(people, managers, days=60), seed=3)
    with_event = simulate(mmc_scenario(people, managers, [noop], days=60), seed=3)
    assert with_event.counterfactual is not None
    assert with_event.counterfactual.equals(plain.daily)
    assert plain.counterfactual is None and "reorg_dip" not in plain.kpis
    for column in ("id", "arrived", "closed", "queue_hours", "work_hours", "csat"):
        np.testing.assert_array_equal(with_event.requests[column], plain.requests[column])
    extra = with_event.daily["customer_hours"] - plain.daily["customer_hours"]
    assert np.nanmax(extra.abs().to_numpy()) == 0.0
    assert with_event.kpis["reorg_crossover_day"] is None


# ---------------------------------------------------------------------------------------------
# Encounters take time and build ties; burnout needs sustained overload (§5.8, §5.11)


@pytest.mark.slow  # statistical: long runs
def test_encounters_take_time_and_build_ties() -> None:
    base = preset("functional", **{"run.days": 30})
    per_week, size, hours = 5.0, 2, 1.0
    units = len(build_units(base).units)
    # participant-hours per working hour of the whole staff
    share = units * per_week * 2 * size * hours / (5 * base.run.hours_per_day * base.headcount)
    for seed in (1, 2):
        off = simulate(base.with_overrides(**{"managers.encounters_per_week": 0.0}), seed).kpis
        on = simulate(
            base.with_overrides(
                **{
                    "managers.encounters_per_week": per_week,
                    "managers.encounter_size": size,
                    "managers.encounter_hours": hours,
                }
            ),
            seed,
        ).kpis
        report = (
            f"seed {seed}: utilisation {off['utilisation']:.4f} -> {on['utilisation']:.4f} "
            f"(encounter share {share:.4f}); tie density {off['tie_density']:.3f} -> "
            f"{on['tie_density']:.3f}"
        )
        print(report)
        rise = on["utilisation"] - off["utilisation"]
        assert 0.3 * share < rise < share + 0.01, report
        assert on["tie_density"] > off["tie_density"] + 0.2, report


@pytest.mark.slow
def test_burnout_under_sustained_overload_only() -> None:
    """60 days of the functional preset: none burn out at its usual load (about 0.78); under
    sustained overload (utilisation about 0.99, customers abandoning) many do (17.5% and more:
    since issue 10 customers' feedback is kinder, a repeat contact being penalised once)."""
    moderate = preset("functional", **{"run.drain_limit_days": 1.0})
    overloaded = moderate.with_overrides(**{"demand.requests_per_day": 300.0})
    for seed in (1, 2):
        calm, busy = simulate(moderate, seed).kpis, simulate(overloaded, seed).kpis
        report = (
            f"seed {seed}: utilisation {calm['utilisation']:.3f} / {busy['utilisation']:.3f}, "
            f"engagement {calm['engagement_mean']:.3f} / {busy['engagement_mean']:.3f}, "
            f"burnout {calm['burnout_share']:.3f} / {busy['burnout_share']:.3f}"
        )
        print(report)
        assert calm["utilisation"] < 0.85 and busy["utilisation"] > 0.95, report
        assert calm["burnout_share"] == 0.0, report
        assert busy["burnout_share"] > 0.1, report
        assert busy["engagement_mean"] < calm["engagement_mean"] - 0.1, report


def test_a_task_s_own_first_contact_resolution_replaces_the_policy_s():
    """One step right half the time, the other always (policy FCR 1): about one repeat contact
    per request, all of them at the first step (a geometric number of tries, mean 1)."""
    raw = {
        "name": "per-step FCR",
        "run": {"days": 200, "warmup_days": 5, "hours_per_day": 24},
        "demand": {
            "requests_per_day": 24,
            "work_distribution": "exponential",
            "callback_delay_hours": 1,
            "request_types": [
                {
                    "name": "two steps",
                    "share": 1,
                    "expected_hours": 8,
                    "tasks": [
                        {"skill": "a", "hours": 0.5, "first_contact_resolution": 0.5},
                        {"skill": "b", "hours": 0.5},
                    ],
                }
            ],
        },
        "workforce": [{"skill": "a", "headcount": 3}, {"skill": "b", "headcount": 3}],
        **neutral_raw(),
    }
    result = simulate(parse_scenario(raw), seed=4)
    k = result.kpis
    assert k["repeat_contacts_per_request"] == pytest.approx(1.0, abs=0.08)
    assert k["fcr"] == pytest.approx(0.5, abs=0.03)
    raw["demand"]["request_types"][0]["tasks"][0].pop("first_contact_resolution")
    assert simulate(parse_scenario(raw), seed=4).kpis["repeat_contacts_per_request"] == 0
