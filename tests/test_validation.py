"""The simulator in validation mode against exact queueing theory (docs/domain-notes.md §1 and §7).

Validation mode: every behavioural mechanism at its neutral value, Poisson arrivals,
exponential work unless stated otherwise, nobody abandons unless stated otherwise. The model
must then be a pure queueing network, and its numbers must match the exact oracle in
`sim.queueing` (or an exact CTMC solved here).

Acceptance rule for a simulated mean (docs/domain-notes.md §7, the default tolerance): the
theoretical value is inside the 95% t-confidence interval over independent replications, OR the
replication mean is within 3% of it. Each check also bounds the CI half-width, so a test cannot pass
by being too noisy to detect anything. Run lengths were chosen for that half-width, not to make
tests pass.

Time unit: the working hour. Scenarios use 24-hour "days" so that `requests_per_day / 24` is
lambda per hour and a task's `hours` is 1/mu.
"""

from __future__ import annotations

import heapq
import math
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import sparse, stats
from scipy.sparse.linalg import spsolve

from sim import run
from sim.queueing import (
    erlang_k_second_moment,
    jackson_sojourn,
    mg1_wait,
    mmc,
    tandem_sojourn,
)
from sim.runner import RunResult
from sim.scenario import NEUTRAL, Scenario, parse_scenario

HOURS_PER_DAY = 24.0

VALIDATION_DIR = Path(__file__).resolve().parents[1] / "scenarios" / "validation"


@pytest.mark.parametrize("name", ["mmc.toml", "tandem.toml"])
def test_validation_files_switch_every_mechanism_off(name: str) -> None:
    """The shipped validation scenarios show users every neutral value (sim.scenario.NEUTRAL)."""
    raw = tomllib.loads((VALIDATION_DIR / name).read_text(encoding="utf-8"))
    for section, values in NEUTRAL.items():
        assert {k: raw[section][k] for k in values} == values, section
    assert raw["demand"]["work_distribution"] == "exponential"
    assert raw["demand"].get("patience_hours", 0) == 0


# ---------------------------------------------------------------------------------------------
# Scenario building and statistics helpers


def validation_scenario(
    rate: float,
    staff: dict[str, int],
    types: Sequence[tuple[float, Sequence[tuple[str, float]]]],
    *,
    days: int,
    warmup_days: int = 10,
    structure: dict[str, Any] | None = None,
    other_skills: dict[str, dict[str, float]] | None = None,
    demand: dict[str, Any] | None = None,
    policies: dict[str, Any] | None = None,
    people_change: bool = False,
    name: str = "validation",
) -> Scenario:
    """A validation-mode scenario from a few numbers.

    `rate` is lambda per hour; `staff` maps each primary skill to a headcount (one workforce
    group per skill, proficiency 1); `types` lists (share, [(skill, mean hours), ...]) per
    request type. `demand` and `policies` override the validation defaults. With
    `people_change`, the people and managers mechanisms (engagement dynamics, learning,
    encounters, help ties) keep their (non-neutral) defaults.
    """
    other_skills = other_skills or {}
    raw: dict[str, Any] = {
        "name": name,
        "run": {
            "days": days,
            "warmup_days": warmup_days,
            "hours_per_day": HOURS_PER_DAY,
            "drain_limit_days": 60.0,
        },
        "demand": {
            "requests_per_day": rate * HOURS_PER_DAY,
            "work_distribution": "exponential",
            "patience_hours": 0.0,
            "callback_delay_hours": 0.0,
            "request_types": [
                {
                    "name": f"type {i}",
                    "share": share,
                    "expected_hours": 1.0,
                    "tasks": [{"skill": skill, "hours": hours} for skill, hours in tasks],
                }
                for i, (share, tasks) in enumerate(types)
            ],
            **(demand or {}),
        },
        "workforce": [
            {
                "skill": skill,
                "headcount": headcount,
                "baseline_engagement": 1.0,
                "other_skills": other_skills.get(skill, {}),
            }
            for skill, headcount in staff.items()
        ],
        "structure": {"kind": "functional", **(structure or {})},
        "policies": {**NEUTRAL["policies"], **(policies or {})},
    }
    if not people_change:
        raw["people"] = dict(NEUTRAL["people"])
        raw["managers"] = dict(NEUTRAL["managers"])
    return parse_scenario(raw, source=name)


def replicate(scenario: Scenario, seeds: Sequence[int]) -> list[RunResult]:
    """Independent replications (one seed each); every run must be stable and drained."""
    results = []
    for seed in seeds:
        result = run(scenario, seed=seed, sample_every_hours=None)
        assert result.stable, f"{scenario.name} seed {seed}: {result.kpis['unstable_reason']}"
        results.append(result)
    return results


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """Mean and t-based half-width of the `level` confidence interval of the mean."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    assert n >= 3, "need at least 3 replications for a CI"
    half = stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n)
    return float(x.mean()), float(half)


def assert_matches(
    label: str,
    values: Sequence[float],
    target: float,
    *,
    rel: float = 0.03,
    max_rel_half: float = 0.10,
) -> None:
    """Theory inside the 95% t-CI of the replication mean, or within `rel` of it.

    `max_rel_half` bounds the CI half-width relative to the target: a check that is too noisy
    to detect a `max_rel_half`-sized error is a broken check, not a passing one.
    """
    mean, half = t_interval(values)
    error = mean / target - 1.0
    report = (
        f"{label}: simulated {mean:.4f} ± {half:.4f} (95% CI, n={len(values)}) "
        f"vs theory {target:.4f} ({error:+.2%})"
    )
    print(report)
    assert abs(error) <= rel or abs(mean - target) <= half, report
    assert half <= max_rel_half * abs(target), f"CI too wide to be a test: {report}"


def kpi(results: Sequence[RunResult], key: str) -> list[float]:
    return [float(r.kpis[key]) for r in results]


def per_run(results: Sequence[RunResult], fn: Callable[[RunResult], float]) -> list[float]:
    return [float(fn(r)) for r in results]


def p_wait(r: RunResult) -> float:
    """Share of resolved counted requests that waited in a queue at all."""
    done = r.requests[~r.requests["abandoned"]]
    return float((done["queue_hours"] > 0).mean())


def seeds(first: int, n: int) -> list[int]:
    return list(range(first, first + n))


# ---------------------------------------------------------------------------------------------
# Exact references not in sim.queueing


def me2c_wait(arrival_rate: float, mean_service: float, servers: int, cap: int = 400) -> float:
    """Exact mean queue wait of an M/E2/c FCFS queue, from its CTMC (truncated at `cap`).

    State (n, k): n customers in the system, k of the min(n, c) busy servers in phase 1 (the
    others in phase 2). Each phase is exponential with rate 2/mean_service. Solved for the
    stationary distribution with a sparse linear solve; Wq = Lq / lambda (Little).
    """
    nu = 2.0 / mean_service
    c = servers
    index: dict[tuple[int, int], int] = {}
    for n in range(cap + 1):
        for k in range(min(n, c) + 1):
            index[(n, k)] = len(index)
    rows, cols, rates = [], [], []

    def add(src: tuple[int, int], dst: tuple[int, int], rate: float) -> None:
        if rate > 0 and dst in index:
            rows.append(index[src])
            cols.append(index[dst])
            rates.append(rate)

    for (n, k), _ in index.items():
        busy = min(n, c)
        # arrival: a free server starts it in phase 1, else it queues
        add((n, k), (n + 1, k + 1 if n < c else k), arrival_rate)
        # a phase-1 completion moves that server to phase 2
        add((n, k), (n, k - 1), k * nu)
        # a phase-2 completion is a departure; the server takes the next customer if any
        add((n, k), (n - 1, k + 1 if n > c else k), (busy - k) * nu)
    size = len(index)
    q = sparse.csr_matrix((rates, (rows, cols)), shape=(size, size))
    q = q - sparse.diags(np.asarray(q.sum(axis=1)).ravel())
    # pi Q = 0 with sum(pi) = 1: replace one balance equation by the normalisation
    a = q.T.tolil()
    a[0, :] = np.ones(size)
    b = np.zeros(size)
    b[0] = 1.0
    pi = spsolve(a.tocsr(), b)
    assert pi[[index[(cap, k)] for k in range(c + 1)]].sum() < 1e-12, "truncation too small"
    lq = sum(pi[i] * max(n - c, 0) for (n, _), i in index.items())
    return float(lq / arrival_rate)


def erlang_a_abandonment(
    arrival_rate: float, service_rate: float, servers: int, patience_rate: float
) -> float:
    """Exact P(abandon) of the Erlang A (M/M/c+M) queue: theta * Lq / lambda.

    Birth-death chain: birth lambda, death min(n, c)*mu + max(n - c, 0)*theta.
    """
    weights = [1.0]
    n = 0
    while weights[-1] > 1e-16 * max(weights) or n < servers:
        n += 1
        death = min(n, servers) * service_rate + max(n - servers, 0) * patience_rate
        weights.append(weights[-1] * arrival_rate / death)
    p = np.asarray(weights) / sum(weights)
    lq = sum(p[n] * max(n - servers, 0) for n in range(len(p)))
    return float(patience_rate * lq / arrival_rate)


def test_me2c_oracle_matches_pollaczek_khinchine() -> None:
    """The CTMC oracle at c = 1 is the Pollaczek-Khinchine M/E2/1 value, to solver precision."""
    for rate in (0.3, 0.4):
        exact = mg1_wait(rate, 2.0, erlang_k_second_moment(2.0, 2))
        assert me2c_wait(rate, 2.0, 1) == pytest.approx(exact, rel=1e-9)


def test_erlang_a_oracle_patient_limit() -> None:
    """Erlang A with (almost) infinitely patient customers tends to Erlang C's queue length."""
    patient = erlang_a_abandonment(8.0, 1.0, 10, 1e-6)
    assert patient * 8.0 / 1e-6 == pytest.approx(mmc(8.0, 1.0, 10).number_in_queue, rel=1e-3)


# ---------------------------------------------------------------------------------------------
# 1-2. Single queues: M/M/1 and M/M/c (Erlang C)


@pytest.mark.slow
def test_mm1_wait_and_sojourn() -> None:
    """M/M/1, lambda = 0.8, mu = 1: Wq = 4, W = 5, P(wait) = 0.8 (docs/domain-notes.md §7.1)."""
    s = validation_scenario(0.8, {"A": 1}, [(1.0, [("A", 1.0)])], days=3000, warmup_days=20)
    results = replicate(s, seeds(101, 10))
    theory = mmc(0.8, 1.0, 1)
    assert theory.wait == pytest.approx(4.0) and theory.sojourn == pytest.approx(5.0)
    assert_matches("M/M/1 Wq", kpi(results, "wait_hours_mean"), theory.wait)
    assert_matches("M/M/1 W", kpi(results, "resolution_hours_mean"), theory.sojourn)
    assert_matches("M/M/1 P(wait)", per_run(results, p_wait), theory.p_wait)
    assert_matches("M/M/1 utilisation", per_run(results, lambda r: r.units["utilisation"][0]), 0.8)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("servers", "rate", "days"),
    [
        pytest.param(10, 8.0, 800, id="M/M/10 rho=0.8"),
        pytest.param(15, 13.5, 600, id="M/M/15 lambda=13.5 (domain table)"),
    ],
)
def test_mmc_erlang_c(servers: int, rate: float, days: int) -> None:
    """M/M/c: mean queue wait C/(c mu - lambda) and P(wait) = Erlang C (domain notes §7.2).

    Section numbers: docs/domain-notes.md."""
    s = validation_scenario(rate, {"A": servers}, [(1.0, [("A", 1.0)])], days=days)
    results = replicate(s, seeds(201, 6))
    theory = mmc(rate, 1.0, servers)
    # Wq of a multi-server queue is the noisiest KPI (most customers do not wait at all):
    # ~920k customers give a ~7% half-width. P(wait) and W pin the model down much tighter,
    # and test_fcfs_sample_paths checks every single wait exactly.
    assert_matches(
        f"M/M/{servers} Wq", kpi(results, "wait_hours_mean"), theory.wait, max_rel_half=0.12
    )
    assert_matches(f"M/M/{servers} P(wait)", per_run(results, p_wait), theory.p_wait)
    assert_matches(f"M/M/{servers} W", kpi(results, "resolution_hours_mean"), theory.sojourn)


def fcfs_waits(arrived: np.ndarray, work: np.ndarray, servers: int) -> np.ndarray:
    """Queue waits of a FCFS c-server queue from arrival and service times, starting empty
    (Kiefer-Wolfowitz: each customer takes the server that frees up first)."""
    free = [0.0] * servers
    waits = np.empty(len(arrived))
    for i, (a, s) in enumerate(zip(arrived, work, strict=True)):
        start = max(a, heapq.heappop(free))
        waits[i] = start - a
        heapq.heappush(free, start + s)
    return waits


@pytest.mark.parametrize(
    ("servers", "distribution", "cv"),
    [
        pytest.param(1, "lognormal", 1.5, id="M/LN/1"),
        pytest.param(4, "exponential", 1.0, id="M/M/4"),
    ],
)
def test_fcfs_sample_paths(servers: int, distribution: str, cv: float) -> None:
    """Every customer's wait equals the FCFS recursion applied to the run's own arrival and
    work times: an exact, noise-free check of queueing and dispatch (no warm-up, so the run
    starts empty and every request is recorded)."""
    rate = 0.85 * servers
    s = validation_scenario(
        rate,
        {"A": servers},
        [(1.0, [("A", 1.0)])],
        days=100,
        warmup_days=0,
        demand={"work_distribution": distribution, "work_cv": cv},
    )
    r = run(s, seed=11, sample_every_hours=None)
    assert r.stable
    rows = r.requests.sort_values("arrived")
    assert len(rows) == r.kpis["arrived"] > 1000
    expected = fcfs_waits(rows["arrived"].to_numpy(), rows["work_hours"].to_numpy(), servers)
    assert (expected > 0).mean() > 0.3
    np.testing.assert_allclose(rows["queue_hours"].to_numpy(), expected, rtol=0, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# 3. Pooling: k departments of one vs one pool of k, same staff


@pytest.mark.slow
def test_pooling_same_staff() -> None:
    """k = 4 people, each able to do all 4 skills. Functional: 4 departments, each an M/M/1 at
    rho = 0.8 (Wq = 4). One cross-functional team: an M/M/4 (Wq = 0.7455, domain §7.7)."""
    k, per_type = 4, 0.8
    skills = [f"S{i}" for i in range(k)]
    common = {
        "rate": per_type * k,
        "staff": dict.fromkeys(skills, 1),
        "types": [(1.0 / k, [(skill, 1.0)]) for skill in skills],
        "other_skills": {s: {o: 1.0 for o in skills if o != s} for s in skills},
        "days": 1200,
        "warmup_days": 20,
    }
    split = validation_scenario(**common, structure={"kind": "functional"})
    pooled = validation_scenario(**common, structure={"kind": "cross_functional", "teams": 1})
    chosen = seeds(301, 6)
    split_runs, pooled_runs = replicate(split, chosen), replicate(pooled, chosen)

    silo, pool = mmc(per_type, 1.0, 1), mmc(per_type * k, 1.0, k)
    assert pool.wait == pytest.approx(0.7455, abs=1e-4)
    assert_matches("split k x M/M/1 Wq", kpi(split_runs, "wait_hours_mean"), silo.wait)
    assert_matches("split k x M/M/1 W", kpi(split_runs, "resolution_hours_mean"), silo.sojourn)
    assert_matches(
        "pooled M/M/k Wq", kpi(pooled_runs, "wait_hours_mean"), pool.wait, max_rel_half=0.12
    )
    assert_matches("pooled M/M/k W", kpi(pooled_runs, "resolution_hours_mean"), pool.sojourn)
    # every department of the split organisation is its own M/M/1; the team is one unit
    assert all(len(r.units) == k for r in split_runs)
    assert all(len(r.units) == 1 for r in pooled_runs)
    for name in split_runs[0].requests["request_type"].cat.categories:
        waits = per_run(
            split_runs,
            lambda r, n=name: r.requests.loc[r.requests["request_type"] == n, "queue_hours"].mean(),
        )
        assert_matches(f"split department {name} Wq", waits, silo.wait, max_rel_half=0.15)
    # pooled is better, with common random numbers, in every replication
    gains = [
        a.kpis["resolution_hours_mean"] - b.kpis["resolution_hours_mean"]
        for a, b in zip(split_runs, pooled_runs, strict=True)
    ]
    assert min(gains) > 0
    assert_matches("pooling gain in W", gains, silo.sojourn - pool.sojourn, max_rel_half=0.1)


# ---------------------------------------------------------------------------------------------
# 4-5. Tandem (open Jackson network), with and without a handoff delay

TANDEM_RATE = 1.6
TANDEM_STATIONS = [(1.0, 2), (0.5, 4)]
"""Skill A: 2 people, 1 h (rho 0.8); skill B: 4 people, 2 h (rho 0.8)."""


def tandem_scenario(delay: float = 0.0, days: int = 1000) -> Scenario:
    return validation_scenario(
        TANDEM_RATE,
        {"A": 2, "B": 4},
        [(1.0, [("A", 1.0), ("B", 2.0)])],
        days=days,
        policies={"handoff_delay_hours": delay},
    )


@pytest.mark.slow
def test_tandem_jackson_and_handoff_delay() -> None:
    """A then B in a functional structure: time in system = sum of the M/M/c sojourns (domain
    §7.10), and each unit's own sojourn matches its M/M/c. An exponential handoff delay d is an
    infinite-server node between them (its Poisson output keeps B an M/M/c): resolution grows by
    exactly d in expectation, and each request's handoff time averages d."""
    delay = 0.5
    chosen = seeds(401, 6)
    plain = replicate(tandem_scenario(), chosen)
    delayed = replicate(tandem_scenario(delay), chosen)

    total = tandem_sojourn(TANDEM_RATE, TANDEM_STATIONS)
    assert_matches("tandem W", kpi(plain, "resolution_hours_mean"), total)
    for name, (mu, c) in zip(("A", "B"), TANDEM_STATIONS, strict=True):
        station = mmc(TANDEM_RATE, mu, c)
        sojourns = per_run(
            plain, lambda r, n=name: r.units.set_index("unit").loc[n, "mean_sojourn_hours"]
        )
        assert_matches(f"tandem unit {name} sojourn", sojourns, station.sojourn)
    assert kpi(plain, "handoffs_per_request") == [1.0] * len(chosen)

    assert_matches("tandem+delay W", kpi(delayed, "resolution_hours_mean"), total + delay)
    assert_matches("tandem+delay handoff hours", kpi(delayed, "handoff_hours_mean"), delay)
    increase = [
        b.kpis["resolution_hours_mean"] - a.kpis["resolution_hours_mean"]
        for a, b in zip(plain, delayed, strict=True)
    ]
    mean, half = t_interval(increase)
    print(f"tandem delay effect: {mean:.4f} ± {half:.4f} vs d = {delay}")
    assert abs(mean - delay) <= max(half, 0.03 * delay), (mean, half)
    assert half <= 0.5 * delay


# ---------------------------------------------------------------------------------------------
# 6. A cross-functional team doing two exponential stages: M/E2/c


def two_stage_team(servers: int, rate: float, days: int) -> Scenario:
    """One team whose members do A (primary) and B (other skill, proficiency 1); every request
    needs A then B, 1 h each. The same person does both, so service is Erlang-2, mean 2 h."""
    return validation_scenario(
        rate,
        {"A": servers},
        [(1.0, [("A", 1.0), ("B", 1.0)])],
        other_skills={"A": {"B": 1.0}},
        structure={"kind": "cross_functional", "teams": 1},
        days=days,
    )


@pytest.mark.parametrize(
    ("servers", "days"),
    [
        pytest.param(1, 3000, id="M/E2/1", marks=pytest.mark.slow),
        pytest.param(3, 2000, id="M/E2/3", marks=pytest.mark.slow),
    ],
)
def test_cross_functional_team_is_erlang2(servers: int, days: int) -> None:
    """c = 1: Pollaczek-Khinchine with E[S^2] = 1.5 mean^2; c >= 2: exact M/E2/c CTMC."""
    rate = 0.8 * servers / 2.0
    s = two_stage_team(servers, rate, days)
    results = replicate(s, seeds(501, 6))
    if servers == 1:
        theory = mg1_wait(rate, 2.0, erlang_k_second_moment(2.0, 2))
        assert theory == pytest.approx(6.0)
    else:
        theory = me2c_wait(rate, 2.0, servers)
    assert_matches(f"M/E2/{servers} Wq", kpi(results, "wait_hours_mean"), theory)
    assert_matches(f"M/E2/{servers} W", kpi(results, "resolution_hours_mean"), theory + 2.0)
    assert_matches(f"M/E2/{servers} work", kpi(results, "work_hours_mean"), 2.0)
    for r in results:
        assert r.kpis["handoffs_per_request"] == 0
        assert r.kpis["repeat_contacts_per_request"] == 0


def test_cross_functional_team_member_keeps_the_customer() -> None:
    """In the two-stage team, whoever does task A also does task B, straight away."""
    r = run(two_stage_team(3, 1.2, 30), seed=3, events=True, sample_every_hours=None)
    events = r.events
    assert events is not None and len(events) > 1000
    by_case = events.groupby("case")
    complete = by_case["activity"].count() == 2
    assert complete.mean() > 0.99
    assert (by_case["resource"].nunique()[complete] == 1).all()
    second = events[events["activity"] == "B"]
    assert np.allclose(second["start"], second["enqueue"])


# ---------------------------------------------------------------------------------------------
# 7. Little's law in every unit


def _busy_organisation() -> Scenario:
    """Three departments with handoffs (delay, information loss, misrouting), help across
    units, callbacks, abandonment, lognormal work, local-metric behaviour, engagement
    dynamics, learning and manager encounters all switched on."""
    return validation_scenario(
        2.0,
        {"A": 3, "B": 3, "C": 2},
        [
            (0.5, [("A", 0.8), ("B", 0.6)]),
            (0.3, [("B", 0.5), ("C", 0.7), ("A", 0.3)]),
            (0.2, [("C", 0.6)]),
        ],
        other_skills={"A": {"B": 0.6}, "B": {"C": 0.5}, "C": {"A": 0.7}},
        days=120,
        demand={
            "work_distribution": "lognormal",
            "work_cv": 1.2,
            "patience_hours": 4.0,
            "callback_delay_hours": 3.0,
        },
        policies={
            "handoff_delay_hours": 0.3,
            "handoff_info_loss": 0.15,
            "misrouting": 0.1,
            "help_across_units": 0.4,
            "first_contact_resolution": 0.85,
            "proficiency_quality_exponent": 1.0,
            "customer_metric_weight": 0.3,
            "transfer_out": 0.2,
            "engagement_effect": 0.2,
            "coordination": 0.01,
        },
        people_change=True,
    )


@pytest.mark.slow  # statistical: long runs
@pytest.mark.parametrize(
    ("make", "no_help"),
    [
        pytest.param(lambda: tandem_scenario(delay=0.5, days=200), True, id="tandem+delay"),
        pytest.param(lambda: two_stage_team(3, 1.2, 200), True, id="cross-functional"),
        pytest.param(_busy_organisation, False, id="handoffs+help+callbacks"),
        pytest.param(
            lambda: _busy_organisation().with_overrides(
                **{"structure.kind": "cross_functional", "structure.teams": 2}
            ),
            False,
            id="teams+help+callbacks",
        ),
        pytest.param(
            lambda: _busy_organisation().with_overrides(
                events=[{"day": 60, "structure": {"kind": "cross_functional", "teams": 2}}]
            ),
            False,
            id="reorganised mid-run",
        ),
    ],
)
def test_littles_law_in_every_unit(make: Callable[[], Scenario], no_help: bool) -> None:
    """Time-average number in the unit = throughput x mean sojourn, within 1% (domain notes
    §7.6).

    Without help across units, the number in a unit is also its queue plus its busy members,
    which the managers report on a regular clock: the average of those samples is an
    independent estimate of the time-average, and must satisfy Little's law too.
    """
    s = make()
    for seed in (1, 2):
        r = run(s, seed=seed, sample_every_hours=0.25 if no_help else None)
        assert r.stable, r.kpis["unstable_reason"]
        assert len(r.units) >= 1
        for row in r.units.itertuples():
            assert row.visits > 0, f"{row.unit} saw no work"
            assert row.little_ratio == pytest.approx(1.0, abs=0.01), (row.unit, seed)
            flow = row.throughput_per_hour * row.mean_sojourn_hours
            assert row.mean_in_unit / flow == pytest.approx(1.0, abs=0.01), (row.unit, seed)
            if no_help:
                samples = r.unit_timeseries[r.unit_timeseries["unit"] == row.unit]
                present = samples["queue"] + samples["busy"] * row.headcount
                assert present.mean() / flow == pytest.approx(1.0, abs=0.01), (row.unit, seed)
    if make is _busy_organisation:
        k = r.kpis
        assert k["handoffs_per_request"] > 0 and k["help_share"] > 0
        assert k["repeat_contacts_per_request"] > 0 and k["abandoned_share"] > 0
        assert k["misroutes_per_request"] > 0


# ---------------------------------------------------------------------------------------------
# 8. Callbacks: geometric contacts and a Jackson network with feedback


@pytest.mark.slow  # statistical: long runs
def test_callbacks_contacts_and_feedback_network() -> None:
    """First-contact resolution p = 0.8 at proficiency 1, exponent 0: contacts per request
    = 1/p = 1.25 (domain notes §7.11). With an exponential callback delay the organisation is a
    Jackson network with feedback: the unit (M/M/5 at lambda/p) and an infinite-server
    delay node; mean time in system = sum L_j / lambda."""
    p, rate, servers, delay = 0.8, 3.2, 5, 2.0
    s = validation_scenario(
        rate,
        {"A": servers},
        [(1.0, [("A", 1.0)])],
        days=400,
        demand={"callback_delay_hours": delay},
        policies={"first_contact_resolution": p},
    )
    results = replicate(s, seeds(601, 5))
    assert_matches("callbacks contacts/request", kpi(results, "contacts_per_request"), 1 / p)
    assert_matches(
        "callbacks repeats/request", kpi(results, "repeat_contacts_per_request"), (1 - p) / p
    )
    assert_matches(
        "callbacks callback hours", kpi(results, "callback_hours_mean"), delay * (1 - p) / p
    )
    unit = mmc(rate / p, 1.0, servers)
    assert_matches(
        "callbacks unit utilisation",
        per_run(results, lambda r: r.units["utilisation"][0]),
        unit.utilisation,
    )
    network = jackson_sojourn(
        [rate, 0.0], [[0.0, 1 - p], [1.0, 0.0]], [(1.0, servers), (1 / delay, 10_000)]
    )
    assert_matches("callbacks W (Jackson)", kpi(results, "resolution_hours_mean"), network)


# ---------------------------------------------------------------------------------------------
# 9. Erlang A: P(abandon) = theta x mean wait of all arrivals


@pytest.mark.slow
def test_erlang_a_abandonment_identity() -> None:
    """M/M/10+M at offered load 1.0, mean patience 2 h (theta = 0.5): abandonment fraction
    = theta x mean queue wait of all counted arrivals, resolved and abandoned (domain notes
    §7.12);
    and it equals the exact Erlang A birth-death value."""
    rate, servers, patience = 10.0, 10, 2.0
    theta = 1 / patience
    s = validation_scenario(
        rate,
        {"A": servers},
        [(1.0, [("A", 1.0)])],
        days=300,
        demand={"patience_hours": patience},
    )
    results = replicate(s, seeds(701, 5))
    ratios = per_run(
        results, lambda r: r.kpis["abandoned_share"] / (theta * r.requests["queue_hours"].mean())
    )
    assert_matches("Erlang A P(ab) / (theta E[W])", ratios, 1.0, rel=0.02, max_rel_half=0.02)
    exact = erlang_a_abandonment(rate, 1.0, servers, theta)
    assert_matches("Erlang A P(ab)", kpi(results, "abandoned_share"), exact)


# ---------------------------------------------------------------------------------------------
# Work distributions: the mean is the task's hours; M/G/1 waits follow Pollaczek-Khinchine


@pytest.mark.slow  # statistical: long runs
@pytest.mark.parametrize(
    ("distribution", "cv"),
    [
        pytest.param("deterministic", 0.0, id="deterministic"),
        pytest.param("lognormal", 0.5, id="lognormal cv=0.5"),
        pytest.param("lognormal", 1.5, id="lognormal cv=1.5"),
        pytest.param("exponential", 1.0, id="exponential"),
    ],
)
def test_work_distribution_mean(distribution: str, cv: float) -> None:
    """Work hours average the task's `hours` (exactly, when deterministic), with the asked
    coefficient of variation, in a two-skill tandem (both tasks' work adds up)."""
    hours_a, hours_b = 0.5, 0.3
    s = validation_scenario(
        2.0,
        {"A": 2, "B": 1},
        [(1.0, [("A", hours_a), ("B", hours_b)])],
        days=150,
        demand={"work_distribution": distribution, "work_cv": cv},
    )
    results = replicate(s, seeds(851, 4))
    work = [r.requests["work_hours"] for r in results]
    total = hours_a + hours_b
    if distribution == "deterministic":
        for w in work:
            np.testing.assert_allclose(w, total, rtol=1e-9)
        return
    assert_matches(f"{distribution} cv={cv} work mean", [float(w.mean()) for w in work], total)
    # the sum of two independent tasks: Var = (cv h_a)^2 + (cv h_b)^2
    total_cv = cv * math.hypot(hours_a, hours_b) / total
    cvs = [float(w.std() / w.mean()) for w in work]
    assert_matches(f"{distribution} cv={cv} work cv", cvs, total_cv, max_rel_half=0.1)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("distribution", "cv"),
    [pytest.param("deterministic", 0.0, id="M/D/1"), pytest.param("lognormal", 0.5, id="M/LN/1")],
)
def test_mg1_pollaczek_khinchine(distribution: str, cv: float) -> None:
    """M/D/1 and M/LN/1 at rho = 0.8: the queue wait is lambda E[S^2] / (2 (1 - rho)) with
    E[S^2] = h^2 (1 + cv^2)."""
    hours, rate = 0.5, 1.6
    s = validation_scenario(
        rate,
        {"A": 1},
        [(1.0, [("A", hours)])],
        days=2000,
        demand={"work_distribution": distribution, "work_cv": cv},
    )
    results = replicate(s, seeds(801, 6))
    assert_matches(f"M/G/1 ({distribution}) work", kpi(results, "work_hours_mean"), hours)
    theory = mg1_wait(rate, hours, hours**2 * (1 + cv**2))
    assert_matches(f"M/G/1 ({distribution}) Wq", kpi(results, "wait_hours_mean"), theory)
