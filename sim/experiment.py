"""Replications and scenario comparisons with confidence intervals.

Statistical hygiene as in docs/domain-notes.md §7.24-7.27.

A run is a pure function of (scenario, seed). An experiment runs every scenario with the *same*
replication seeds, so scenario B's k-th run sees the same customers as scenario A's k-th run
(common random numbers). That makes the per-seed differences B - A much less noisy than the
two means on their own, and the confidence interval reported for a comparison is the CI of the
paired *difference*.

    >>> from sim import load_scenario
    >>> from sim.experiment import compare
    >>> a = load_scenario("scenarios/functional.toml")
    >>> b = load_scenario("scenarios/cross-functional.toml")
    >>> result = compare([a, b], reps="auto")
    >>> print(result.sentence("resolution_hours_mean"))
    >>> result.to_csv("comparison.csv")

Seeds come from `numpy.random.SeedSequence(root_seed).spawn(n)` (`replication_seeds`): the
first n seeds of a longer list are the seeds of a shorter one, so adding replications never
changes the earlier ones. The seeds are recorded with every replication and in every table.

Reorganisations: for a run of a scenario with `[[events]]`, `summarise_run` keeps a small
per-day series with and without the reorganisation (`Replication.reorg_daily`), and
`Comparison.j_curves()` averages it over replications: the J-curve of resolution time (5-day
rolling mean, 95% CI band) and the cumulative customer hours saved since the switch, with the
dip, recovery and pay-back (crossover) days (`JCurve`).

Extension point: what is kept of a run is decided by a *summariser* (`summarise_run` by
default), a top-level function ``RunResult -> Replication`` that `replicate` and `compare`
accept. Other transient analyses plug in there by keeping what they need in
`Replication.extra`, without changing how replications are scheduled, seeded or run in
parallel.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from sim.executors import cpu_count, executor_workers, local_executor
from sim.kpis import CATALOGUE, KPI, STATUS_KEYS, format_value, kpi_info
from sim.runner import RunResult, run
from sim.scenario import Scenario

CONFIDENCE = 0.95
HEADLINE_KPIS: tuple[str, ...] = (
    "resolution_hours_mean",
    "csat_mean",
    "fcr",
    "cost_per_resolved",
)
"""The KPIs `reps="auto"` watches: their CI half-width must be within `precision` of the mean."""

_NO_SAMPLING = 1e9
"""`sample_every_hours` for replications: the time series is not kept, so do not sample it."""

ProgressCallback = Callable[[int, int], None]
"""``progress(runs_done, runs_planned)``; `runs_planned` grows when `reps="auto"` adds a batch."""


# --------------------------------------------------------------------------------------------
# Seeds and replications


def replication_seeds(root_seed: int, n: int) -> list[int]:
    """`n` independent replication seeds derived from `root_seed` (SeedSequence spawning).

    Deterministic, and prefix-stable: ``replication_seeds(r, n)[:m] == replication_seeds(r, m)``.
    Each seed is a 32-bit integer (easy to pass back to ``sim run --seed``).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0 (got {n})")
    children = np.random.SeedSequence(int(root_seed)).spawn(n)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


@dataclass(eq=False)
class Replication:
    """What an experiment keeps of one run: KPIs, per-request samples, the unit table."""

    seed: int
    kpis: dict[str, Any]
    resolution_hours: np.ndarray
    """Resolution time (working hours) of each resolved counted request."""
    csat: np.ndarray
    """Satisfaction score (1-5) of each closed counted request, abandoned ones included."""
    rating: np.ndarray
    """Survey rating (whole number 1-5) of each closed counted request."""
    units: pd.DataFrame
    """Per unit: unit, headcount, utilisation."""
    warnings: list[str] = field(default_factory=list)
    reorg_daily: pd.DataFrame | None = None
    """For a run with a reorganisation (None otherwise): one row per arrival day from the end
    of the warm-up to the horizon (`run.days`), columns `REORG_DAILY_COLUMNS`: the customers'
    mean resolution time (hours), their summed resolution time (customer hours) and mean
    CSAT, with the reorganisation and (``*_without``) for the same customers without it."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Whatever a custom summariser adds (see the module docstring)."""

    @property
    def stable(self) -> bool:
        return bool(self.kpis.get("stable", True))


REORG_DAILY_COLUMNS: tuple[str, ...] = (
    "day",
    "resolution_hours_mean",
    "resolution_hours_mean_without",
    "customer_hours",
    "customer_hours_without",
    "csat_mean",
    "csat_mean_without",
)
"""Columns of `Replication.reorg_daily`."""

_REORG_SERIES = ("resolution_hours_mean", "customer_hours", "csat_mean")


def reorganisation_series(result: RunResult) -> pd.DataFrame | None:
    """The per-day series a J-curve needs, from a run with a counterfactual (else None)."""
    if result.counterfactual is None:
        return None
    run_settings = result.scenario.run
    days = pd.DataFrame({"day": np.arange(run_settings.warmup_days, run_settings.days)})
    columns = ["day", *_REORG_SERIES]
    frame = days.merge(result.daily[columns], on="day", how="left").merge(
        result.counterfactual[columns], on="day", how="left", suffixes=("", "_without")
    )
    return frame[list(REORG_DAILY_COLUMNS)].astype({"day": np.int64})


def summarise_run(result: RunResult) -> Replication:
    """The default summariser: keep what comparisons and reports need, drop the big frames
    (for a reorganisation, the small per-day series of `reorganisation_series`)."""
    requests = result.requests
    done = requests[~requests["abandoned"]]
    return Replication(
        seed=int(result.seed),
        kpis=dict(result.kpis),
        resolution_hours=done["resolution_hours"].to_numpy(dtype=np.float64, copy=True),
        csat=requests["csat"].to_numpy(dtype=np.float64, copy=True),
        rating=requests["rating"].to_numpy(dtype=np.int8, copy=True),
        units=result.units[["unit", "headcount", "utilisation"]].reset_index(drop=True),
        warnings=list(result.warnings),
        reorg_daily=reorganisation_series(result),
    )


Summariser = Callable[[RunResult], Replication]


def _run_chunk(
    scenario: Scenario, seeds: Sequence[int], summarise: Summariser
) -> list[Replication]:
    """Worker entry point (top level, so that worker processes can import it)."""
    return [summarise(run(scenario, seed=s, sample_every_hours=_NO_SAMPLING)) for s in seeds]


@contextmanager
def _pool(workers: int, executor: Executor | None) -> Iterator[Executor | None]:
    """The executor to use: the caller's, a fresh `local_executor` (stopped at once on Ctrl-C
    or an error), or None (serial, for ``workers == 1``)."""
    if executor is not None:
        yield executor
        return
    if workers <= 0:
        workers = cpu_count()
    if workers == 1:
        yield None
        return
    with local_executor(workers) as pool:
        yield pool


def _execute(
    jobs: Sequence[tuple[int, Scenario, int]],
    pool: Executor | None,
    summarise: Summariser,
    tick: Callable[[int], None],
) -> dict[tuple[int, int], Replication]:
    """Run (key, scenario, seed) jobs; results by (key, seed). Order-independent, so the
    process pool gives exactly the serial results."""
    out: dict[tuple[int, int], Replication] = {}
    if pool is None:
        for key, scenario, seed in jobs:
            out[(key, seed)] = _run_chunk(scenario, [seed], summarise)[0]
            tick(1)
        return out
    workers = executor_workers(pool)
    size = max(1, min(4, math.ceil(len(jobs) / (4 * workers))))
    chunks: list[tuple[int, Scenario, list[int]]] = []
    for key, scenario, seed in jobs:
        last = chunks[-1] if chunks else None
        if last is not None and last[0] == key and len(last[2]) < size:
            last[2].append(seed)
        else:
            chunks.append((key, scenario, [seed]))
    futures = {
        pool.submit(_run_chunk, sc, seeds, summarise): (key, seeds) for key, sc, seeds in chunks
    }
    try:
        for future in as_completed(futures):
            key, seeds = futures[future]
            for seed, rep in zip(seeds, future.result(), strict=True):
                out[(key, seed)] = rep
            tick(len(seeds))
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return out


def replicate(
    scenario: Scenario,
    seeds: Sequence[int],
    workers: int = 1,
    *,
    executor: Executor | None = None,
    summarise: Summariser = summarise_run,
    progress: ProgressCallback | None = None,
) -> list[Replication]:
    """Run `scenario` once per seed; one `Replication` per seed, in the order of `seeds`.

    ``workers > 1`` runs on a fresh `sim.executors.local_executor` (``workers <= 0``: one per
    CPU); any `concurrent.futures.Executor` (a `local_executor` kept for several calls, or
    `sim.executors.dask_executor`) can be passed instead. Results are identical to a serial
    run. Like every process pool, a script that calls this with ``workers > 1`` needs the
    ``if __name__ == "__main__":`` guard.
    """
    seeds = [int(s) for s in seeds]
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, len(seeds))

    with _pool(workers, executor) as pool:
        results = _execute([(0, scenario, s) for s in seeds], pool, summarise, tick)
    return [results[(0, s)] for s in seeds]


# --------------------------------------------------------------------------------------------
# Statistics


@dataclass(frozen=True)
class Estimate:
    """Mean of one KPI over the replications of one scenario, with its t-based CI."""

    n: int
    mean: float
    sd: float
    ci_low: float
    ci_high: float

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2

    @property
    def rel_half_width(self) -> float:
        """Half-width as a share of |mean| (inf when the mean is 0 and the CI is not)."""
        if not math.isfinite(self.half_width):
            return math.nan
        if self.mean == 0:
            return 0.0 if self.half_width == 0 else math.inf
        return self.half_width / abs(self.mean)


def _t(n: int, confidence: float = CONFIDENCE) -> float:
    return float(stats.t.ppf(0.5 + confidence / 2, n - 1)) if n >= 2 else math.nan


def estimate(values: Sequence[float], confidence: float = CONFIDENCE) -> Estimate:
    """Mean and t-based CI of the finite values (NaN where fewer than 2)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Estimate(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n < 2:
        return Estimate(1, mean, math.nan, math.nan, math.nan)
    sd = float(x.std(ddof=1))
    half = _t(n, confidence) * sd / math.sqrt(n)
    return Estimate(n, mean, sd, mean - half, mean + half)


@dataclass(frozen=True)
class Difference:
    """Paired difference (scenario - baseline) of one KPI over common seeds.

    `rel_*` is the difference relative to the baseline mean, in %, with a delta-method CI
    for the ratio of the two paired means.
    """

    kpi: str
    scenario: str
    baseline: str
    n: int
    diff: float
    ci_low: float
    ci_high: float
    baseline_mean: float
    rel_pct: float
    rel_ci_low: float
    rel_ci_high: float

    @property
    def clear(self) -> bool:
        """True when the CI of the difference excludes zero (a clear difference)."""
        return self.ci_low > 0 or self.ci_high < 0

    @property
    def verdict(self) -> str:
        """'better', 'worse', 'higher', 'lower' or 'no clear difference'."""
        if not self.clear:
            return "no clear difference"
        info = kpi_info(self.kpi)
        if info.better == 0:
            return "higher" if self.diff > 0 else "lower"
        return "better" if (self.diff > 0) == (info.better > 0) else "worse"


def paired_difference(
    kpi: str,
    values: Sequence[float],
    base: Sequence[float],
    *,
    scenario: str = "B",
    baseline: str = "A",
    confidence: float = CONFIDENCE,
) -> Difference:
    """Per-seed differences `values - base` (same seeds in the same order), their mean and CI."""
    x = np.asarray(values, dtype=float)
    b = np.asarray(base, dtype=float)
    if x.shape != b.shape:
        raise ValueError("paired values need the same seeds")
    keep = np.isfinite(x) & np.isfinite(b)
    x, b = x[keep], b[keep]
    d = x - b
    n = len(d)
    nan = math.nan
    if n == 0:
        return Difference(kpi, scenario, baseline, 0, nan, nan, nan, nan, nan, nan, nan)
    e = estimate(d, confidence)
    dbar, bbar, low, high = e.mean, float(b.mean()), e.ci_low, e.ci_high
    if bbar != 0 and n >= 2:
        ratio = dbar / bbar
        # Delta method for R = mean(d) / mean(b), d and b paired by seed.
        cov = np.cov(np.vstack([d, b]), ddof=1)
        var = (cov[0, 0] - 2 * ratio * cov[0, 1] + ratio**2 * cov[1, 1]) / (n * bbar**2)
        rel_half = _t(n, confidence) * math.sqrt(max(var, 0.0))
        rel, rel_low, rel_high = 100 * ratio, 100 * (ratio - rel_half), 100 * (ratio + rel_half)
    elif bbar != 0:
        rel, rel_low, rel_high = 100 * dbar / bbar, nan, nan
    else:
        rel = rel_low = rel_high = nan
    return Difference(kpi, scenario, baseline, n, dbar, low, high, bbar, rel, rel_low, rel_high)


# --------------------------------------------------------------------------------------------
# Plain language


def _decimals(values: Sequence[float], kind: str) -> int:
    """Decimals shared by a number and its CI, so that '6.4–15%' reads '6–15%'."""
    top = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    if kind == "score":
        return 2
    if kind == "percent":
        return 0 if top >= 10 else 1
    return 0 if top >= 100 else 1 if top >= 10 else 2 if top >= 1 else 3


def _group(values: Sequence[float], kind: str, signed: bool = False) -> list[str]:
    places = _decimals(values, kind)
    out = []
    for v in values:
        if not math.isfinite(v):
            out.append("n/a")
            continue
        text = f"{abs(v):,.{places}f}"
        if signed:
            zero = float(text.replace(",", "")) == 0
            text = ("±" if zero else "+" if v > 0 else "−") + text
        out.append(text)
    return out


def _amount(d: Difference, info: KPI) -> tuple[str, str, str]:
    """(amount, CI text for a clear difference, signed estimate and CI for an unclear one)."""
    if info.kind == "share":
        est, low, high, suffix, kind = 100 * d.diff, 100 * d.ci_low, 100 * d.ci_high, "", "percent"
        unit, ci_unit = " percentage points", " pp"
    elif info.kind == "score":
        est, low, high, kind = d.diff, d.ci_low, d.ci_high, "score"
        unit, ci_unit, suffix = " points (on the 1–5 scale)", " points", ""
    elif math.isfinite(d.rel_pct) and math.isfinite(d.rel_ci_low) and d.baseline_mean != 0:
        est, low, high, kind = d.rel_pct, d.rel_ci_low, d.rel_ci_high, "percent"
        unit, ci_unit, suffix = "%", "%", "%"
    else:
        est, low, high, kind = d.diff, d.ci_low, d.ci_high, "value"
        amount_unit = info.amount_unit
        unit = f" {amount_unit}" if amount_unit and not amount_unit.startswith("%") else ""
        ci_unit, suffix = unit, ""
    size, lo, hi = _group([est, *sorted((abs(low), abs(high)))], kind)
    if (low > 0) != (high > 0):  # only possible for the delta-method relative CI
        lo = _group([0.0], kind)[0]
    s_est, s_low, s_high = _group([est, low, high], kind, signed=True)
    return (
        f"{size}{unit}",
        f"{lo}–{hi}{ci_unit}",
        f"{s_est}{suffix or ci_unit}, 95% CI {s_low} to {s_high}{ci_unit}",
    )


def describe(d: Difference) -> str:
    """One plain-language sentence for a paired difference."""
    info = kpi_info(d.kpi)
    if d.n < 2 or not math.isfinite(d.ci_low):
        return f"{d.scenario}: not enough replications to compare {info.noun} with {d.baseline}."
    if d.diff == 0 and d.ci_low == 0 and d.ci_high == 0:
        return (
            f"{d.scenario}: no clear difference in {info.noun} from {d.baseline} "
            "(identical in every replication)."
        )
    amount, ci, estimate_text = _amount(d, info)
    if not d.clear:
        return (
            f"{d.scenario}: no clear difference in {info.noun} from {d.baseline} ({estimate_text})."
        )
    word = info.up if d.diff > 0 else info.down
    body = info.phrase.format(amount=amount, word=word)
    return f"{d.scenario}: {body} than in {d.baseline} (95% CI {ci})."


def difference_text(d: Difference) -> str:
    """A paired difference in a table cell, verdict apart: '−34.1% [−40.2, −28.0]' relative to
    the baseline for most KPIs, '+2.1 pp [...]' for shares, in the KPI's own format where the
    relative CI is undefined or disagrees with the paired one (near 0); 'identical' when it is
    0 in every replication, '–' with too few replications."""
    if d.n < 2 or not math.isfinite(d.ci_low):
        return "–"
    if d.diff == 0 and d.ci_low == 0 and d.ci_high == 0:
        return "identical"
    relative = math.isfinite(d.rel_pct) and math.isfinite(d.rel_ci_low)
    relative = relative and (d.rel_ci_low > 0 or d.rel_ci_high < 0) == d.clear
    if kpi_info(d.kpi).kind == "share":
        return f"{100 * d.diff:+.1f} pp [{100 * d.ci_low:+.1f}, {100 * d.ci_high:+.1f}]"
    if relative:
        return f"{d.rel_pct:+.1f}% [{d.rel_ci_low:+.1f}, {d.rel_ci_high:+.1f}]"

    def signed(value: float) -> str:
        return ("+" if value > 0 else "") + format_value(d.kpi, value)

    return f"{signed(d.diff)} [{signed(d.ci_low)}, {signed(d.ci_high)}]"


# --------------------------------------------------------------------------------------------
# Comparisons


ROLLING_DAYS = 5
"""Window of the J-curve's rolling means (days), as for `reorg_dip` (`sim.metrics`)."""


def _band(matrix: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, ...]:
    """Per column (day) of a replications x days matrix: mean and t-based CI of the finite
    values (NaN where fewer than 2)."""
    finite = np.isfinite(matrix)
    n = finite.sum(axis=0)
    filled = np.where(finite, matrix, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / n
        sq = np.where(finite, (matrix - mean) ** 2, 0.0).sum(axis=0)
        sd = np.sqrt(sq / (n - 1))
    t = np.array([_t(int(k), confidence) for k in n]) if n.size else np.array([])
    half = np.where(n >= 2, t * sd / np.sqrt(np.maximum(n, 1)), np.nan)
    mean = np.where(n >= 1, mean, np.nan)
    return mean, mean - half, mean + half


def _median_day(days: Sequence[float]) -> float | None:
    return float(np.median(days)) if len(days) else None


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def _day(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


@dataclass(frozen=True)
class JCurve:
    """A reorganisation's J-curve over the replications of one scenario (`Comparison.j_curves`).

    `table` has one row per arrival day from the end of the warm-up to the horizon:

    - ``resolution_hours``: the customers' mean resolution time (working hours), 5-day rolling
      mean (trailing, the day and the 4 before), with the reorganisation; ``*_without``: the
      same customers without it; ``csat`` / ``csat_without`` likewise for CSAT (1-5);
    - ``hours_saved``: customer hours saved since the switch against not reorganising,
      cumulated from the switch day to that day (positive: paid back so far; NaN before the
      switch);
    - every column X has its replications' 95% CI in ``X_ci_low`` and ``X_ci_high``.
    """

    scenario: str
    switch_day: int
    horizon: int
    """`run.days`: the last arrival day counted is ``horizon - 1``."""
    n: int
    table: pd.DataFrame
    dip: Estimate
    """`reorg_dip`: the worst 5 days after the switch, x not reorganising (mean, 95% CI)."""
    recovery_days: tuple[int, ...]
    """`reorg_recovery_day` of the replications that recovered within the horizon."""
    crossover_days: tuple[int, ...]
    """`reorg_crossover_day` of the replications that paid back within the horizon."""

    @property
    def n_crossover(self) -> int:
        return len(self.crossover_days)

    @property
    def crossover_share(self) -> float:
        """Share of the replications that paid back within the horizon."""
        return self.n_crossover / self.n if self.n else math.nan

    @property
    def crossover_median(self) -> float | None:
        """Median pay-back day of the replications that paid back (None: none did)."""
        return _median_day(self.crossover_days)

    @property
    def recovery_median(self) -> float | None:
        """Median recovery day of the replications that recovered (None: none did)."""
        return _median_day(self.recovery_days)

    def sentence(self) -> str:
        """Pay-back in words: 'The reorganisation pays back on day 41 (in 10 of 10
        replications).' or '... does not pay back within the horizon (80 days) in 7 of 10
        replications; ...'."""
        n, k = self.n, self.n_crossover
        never = f"does not pay back within the horizon ({self.horizon} days)"
        day = _day(self.crossover_median)
        median = "median; " if len(set(self.crossover_days)) > 1 else ""
        if k == n:
            return (
                f"The reorganisation pays back on day {day} ({median}in {k} of {n} replications)."
            )
        if k == 0:
            return f"The reorganisation {never} in {n} of {n} replications."
        if 2 * k >= n:
            return (
                f"The reorganisation pays back on day {day} ({median}in {k} of {n} "
                f"replications); in the other {n - k} it {never}."
            )
        return (
            f"The reorganisation {never} in {n - k} of {n} replications; in the other {k} it "
            f"pays back on day {day}{' (median)' if median else ''}."
        )

    def dip_sentence(self) -> str:
        """The dip and the recovery in words."""
        d = self.dip
        ci = f" (95% CI {d.ci_low:.2f}–{d.ci_high:.2f})" if math.isfinite(d.ci_low) else ""
        text = (
            f"Its worst {ROLLING_DAYS} days after the switch on day {self.switch_day} take "
            f"{d.mean:.2f} times the customer hours of not reorganising{ci}"
        )
        k = len(self.recovery_days)
        if k == 0:
            return text + "; no 5-day stretch is as fast as not reorganising again by the horizon."
        median = "median; " if len(set(self.recovery_days)) > 1 else ""
        return (
            text + f"; a 5-day stretch is as fast as not reorganising again on day "
            f"{_day(self.recovery_median)} ({median}in {k} of {self.n} replications)."
        )


def j_curve(name: str, scenario: Scenario, replications: Sequence[Replication]) -> JCurve | None:
    """The J-curve of one scenario's replications (None without a reorganisation, or when the
    summariser kept no `Replication.reorg_daily`)."""
    reps = [r for r in replications if r.reorg_daily is not None]
    if not scenario.events or not reps:
        return None
    switch = int(scenario.events[0].day)
    days = reps[0].reorg_daily["day"].to_numpy()
    table = pd.DataFrame({"day": days})
    series: dict[str, list[np.ndarray]] = {}
    for rep in reps:
        daily = rep.reorg_daily.set_index("day").reindex(days)
        for column, source in (
            ("resolution_hours", "resolution_hours_mean"),
            ("resolution_hours_without", "resolution_hours_mean_without"),
            ("csat", "csat_mean"),
            ("csat_without", "csat_mean_without"),
        ):
            rolling = daily[source].rolling(ROLLING_DAYS, min_periods=1).mean()
            series.setdefault(column, []).append(rolling.to_numpy(dtype=float))
        saved = daily["customer_hours_without"].fillna(0.0) - daily["customer_hours"].fillna(0.0)
        saved = saved.where(daily.index >= switch).cumsum()  # NaN before the switch
        series.setdefault("hours_saved", []).append(saved.to_numpy(dtype=float))
    for column, values in series.items():
        mean, low, high = _band(np.vstack(values))
        table[column] = mean
        table[f"{column}_ci_low"] = low
        table[f"{column}_ci_high"] = high

    def days_of(kpi: str) -> tuple[int, ...]:
        values = (r.kpis.get(kpi) for r in reps)
        return tuple(int(v) for v in values if v is not None and math.isfinite(v))

    return JCurve(
        scenario=name,
        switch_day=switch,
        horizon=int(scenario.run.days),
        n=len(reps),
        table=table,
        dip=estimate([_number(r.kpis.get("reorg_dip")) for r in reps]),
        recovery_days=days_of("reorg_recovery_day"),
        crossover_days=days_of("reorg_crossover_day"),
    )


@dataclass
class Comparison:
    """Every scenario run with the same seeds; estimates, paired differences and sentences.

    `replications[i][k]` is scenario i's run with `seeds[k]`.
    """

    names: list[str]
    scenarios: list[Scenario]
    root_seed: int
    seeds: list[int]
    replications: list[list[Replication]]
    reps_mode: str = "fixed"
    precision: float = 0.05
    max_reps: int = 50
    headline: tuple[str, ...] = HEADLINE_KPIS
    notes: list[str] = field(default_factory=list)
    history: list[tuple[int, float]] = field(default_factory=list)
    """`reps="auto"`: (replications, worst headline half-width relative to the mean) per batch."""

    @property
    def n(self) -> int:
        return len(self.seeds)

    @property
    def baseline(self) -> str:
        return self.names[0]

    def kpis(self) -> list[str]:
        """Numeric scalar KPIs present in every run, in catalogue order, then the rest."""
        present: dict[str, None] = {}
        for reps in self.replications:
            for rep in reps:
                for key, value in rep.kpis.items():
                    if key in STATUS_KEYS or isinstance(value, bool):
                        continue
                    if isinstance(value, int | float | np.integer | np.floating):
                        present[key] = None
        known = [k for k in CATALOGUE if k in present]
        return known + [k for k in present if k not in CATALOGUE]

    def values(self, kpi: str, scenario: int | str) -> np.ndarray:
        """One value per seed (NaN where a run lacks it), in seed order."""
        i = self._index(scenario)
        values = (r.kpis.get(kpi) for r in self.replications[i])
        return np.array([math.nan if v is None else float(v) for v in values], dtype=float)

    def estimate(self, kpi: str, scenario: int | str = 0) -> Estimate:
        return estimate(self.values(kpi, scenario))

    def difference(self, kpi: str, scenario: int | str = 1) -> Difference:
        """Paired difference of `scenario` against the baseline (the first scenario)."""
        i = self._index(scenario)
        return paired_difference(
            kpi,
            self.values(kpi, i),
            self.values(kpi, 0),
            scenario=self.names[i],
            baseline=self.names[0],
        )

    def sentence(self, kpi: str, scenario: int | str = 1) -> str:
        """Plain language, e.g. 'B: requests are resolved 34% faster than in A (95% CI
        28–40%).' or 'B: no clear difference in mean resolution time from A (...)'."""
        return describe(self.difference(kpi, scenario))

    def sentences(self, kpis: Sequence[str] | None = None) -> list[str]:
        keys = list(kpis) if kpis is not None else list(self.headline)
        return [self.sentence(k, i) for i in range(1, len(self.names)) for k in keys]

    def criterion_met(self, precision: float | None = None) -> bool:
        """Every headline KPI's CI half-width is within `precision` x |mean| in every scenario."""
        p = self.precision if precision is None else precision
        return not _worst_precision(self, p)[1]

    def table(self) -> pd.DataFrame:
        """Tidy: one row per (KPI, scenario); difference columns are NaN for the baseline."""
        rows = []
        for key in self.kpis():
            info = kpi_info(key)
            for i, name in enumerate(self.names):
                e = self.estimate(key, i)
                row: dict[str, Any] = {
                    "kpi": key,
                    "label": info.label,
                    "unit": info.unit,
                    "scenario": name,
                    "baseline": i == 0,
                    "n": e.n,
                    "mean": e.mean,
                    "sd": e.sd,
                    "ci_low": e.ci_low,
                    "ci_high": e.ci_high,
                    "half_width": e.half_width,
                    "rel_half_width": e.rel_half_width,
                }
                if i == 0:
                    row.update(dict.fromkeys(_DIFF_COLUMNS, math.nan))
                    row.update(clear=False, verdict="", sentence="")
                else:
                    d = self.difference(key, i)
                    row.update(
                        diff=d.diff,
                        diff_ci_low=d.ci_low,
                        diff_ci_high=d.ci_high,
                        rel_diff_pct=d.rel_pct,
                        rel_diff_ci_low=d.rel_ci_low,
                        rel_diff_ci_high=d.rel_ci_high,
                        clear=d.clear,
                        verdict=d.verdict,
                        sentence=describe(d),
                    )
                row.update(reps=self.n, root_seed=self.root_seed)
                rows.append(row)
        return pd.DataFrame(rows)

    def runs_table(self) -> pd.DataFrame:
        """One row per (scenario, seed) with every scalar KPI: the raw replications."""
        keys = self.kpis()
        rows = []
        for name, reps in zip(self.names, self.replications, strict=True):
            for k, rep in enumerate(reps):
                rows.append(
                    {
                        "scenario": name,
                        "replication": k,
                        "seed": rep.seed,
                        "stable": rep.stable,
                        **{key: rep.kpis.get(key, math.nan) for key in keys},
                    }
                )
        return pd.DataFrame(rows)

    def units_table(self) -> pd.DataFrame:
        """Per scenario and unit: headcount and utilisation mean with its CI over seeds."""
        rows = []
        for name, reps in zip(self.names, self.replications, strict=True):
            frame = pd.concat([r.units for r in reps], ignore_index=True)
            for unit, group in frame.groupby("unit", sort=False):
                e = estimate(group["utilisation"])
                rows.append(
                    {
                        "scenario": name,
                        "unit": unit,
                        "headcount": int(group["headcount"].iloc[0]),
                        "utilisation": e.mean,
                        "ci_low": e.ci_low,
                        "ci_high": e.ci_high,
                    }
                )
        return pd.DataFrame(rows)

    def j_curves(self) -> dict[str, JCurve]:
        """Per scenario with a reorganisation (`[[events]]`), its J-curve over the replications
        (`JCurve`: daily resolution time with and without it, the customer hours saved since
        the switch, dip, recovery and pay-back); empty when no scenario reorganises."""
        curves = {}
        for name, scenario, reps in zip(self.names, self.scenarios, self.replications, strict=True):
            curve = j_curve(name, scenario, reps)
            if curve is not None:
                curves[name] = curve
        return curves

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """The tidy `table()` as CSV (seeds: `root_seed` and `reps` columns; see
        `replication_seeds`)."""
        self.table().to_csv(path, index=False)

    def _index(self, scenario: int | str) -> int:
        if isinstance(scenario, str):
            return self.names.index(scenario)
        return int(scenario)


_DIFF_COLUMNS = (
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "rel_diff_pct",
    "rel_diff_ci_low",
    "rel_diff_ci_high",
)


def _worst_precision(c: Comparison, precision: float) -> tuple[float, list[str]]:
    """Worst headline rel. half-width over scenarios, and what misses `precision`."""
    worst, misses = 0.0, []
    for key in c.headline:
        for i, name in enumerate(c.names):
            rel = c.estimate(key, i).rel_half_width
            if not math.isfinite(rel) or rel > precision:
                shown = "undefined" if math.isnan(rel) else f"{100 * rel:.1f}% of the mean"
                misses.append(f"{kpi_info(key).noun} in {name} ({shown})")
            worst = max(worst, rel) if not math.isnan(rel) else math.inf
    return worst, misses


def scenario_names(scenarios: Sequence[Scenario]) -> list[str]:
    """Short, unique names for sentences and tables.

    A prefix every name shares up to a ': ' ("Insurer customer service: functional
    departments", "Insurer customer service: cross-functional teams") is dropped; names that
    are still the same get a number.
    """
    names = [s.name for s in scenarios]
    if len(names) > 1:
        cut, at = -1, names[0].find(": ")
        while at > 0:
            if all(n.startswith(names[0][: at + 2]) for n in names):
                cut = at
            at = names[0].find(": ", at + 1)
        if cut > 0 and all(len(n) > cut + 2 for n in names):
            names = [n[cut + 2 :] for n in names]
            names = [n[0].upper() + n[1:] for n in names]
    return [f"{n} #{i + 1}" if names.count(n) > 1 else n for i, n in enumerate(names)]


def compare(
    scenarios: Sequence[Scenario],
    reps: int | Literal["auto"] = "auto",
    root_seed: int | None = None,
    workers: int = 1,
    *,
    max_reps: int = 50,
    min_reps: int = 5,
    precision: float = 0.05,
    headline: Sequence[str] = HEADLINE_KPIS,
    names: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    executor: Executor | None = None,
    summarise: Summariser = summarise_run,
) -> Comparison:
    """Run every scenario with the same replication seeds and compare them to the first.

    `reps`: a number of replications (>= 2), or "auto": start with `min_reps` and add batches
    until every `headline` KPI's 95% CI half-width is at most `precision` (5%) of its mean in
    every scenario, or `max_reps` is reached (then `Comparison.notes` says so). `root_seed`
    defaults to the first scenario's `run.seed`. `progress(done, planned)` is called after
    every finished run (chunk, on a pool). `workers`/`executor` as in `replicate`.
    """
    if len(scenarios) < 1:
        raise ValueError("compare needs at least one scenario")
    auto = reps == "auto"
    if not auto:
        if isinstance(reps, bool) or not isinstance(reps, int | np.integer):
            raise ValueError(f"reps must be a whole number or 'auto' (got {reps!r})")
        if reps < 2:
            raise ValueError(f"reps must be at least 2 for a confidence interval (got {reps})")
    if max_reps < 2:
        raise ValueError(f"max_reps must be at least 2 (got {max_reps})")
    names = list(names) if names is not None else scenario_names(scenarios)
    if len(names) != len(scenarios) or len(set(names)) != len(names):
        raise ValueError("names must be unique, one per scenario")
    root = int(scenarios[0].run.seed if root_seed is None else root_seed)
    comparison = Comparison(
        names=names,
        scenarios=list(scenarios),
        root_seed=root,
        seeds=[],
        replications=[[] for _ in scenarios],
        reps_mode="auto" if auto else "fixed",
        precision=precision,
        max_reps=max_reps,
        headline=tuple(headline),
    )
    target = min(max(2, min_reps), max_reps) if auto else int(reps)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, target * len(scenarios))

    with _pool(workers, executor) as pool:
        while True:
            new = replication_seeds(root, target)[comparison.n :]
            jobs = [(i, s, seed) for i, s in enumerate(scenarios) for seed in new]
            results = _execute(jobs, pool, summarise, tick)
            for i in range(len(scenarios)):
                comparison.replications[i] += [results[(i, seed)] for seed in new]
            comparison.seeds += new
            worst, misses = _worst_precision(comparison, precision)
            if not auto:
                if misses:
                    comparison.notes.append(
                        f"With {comparison.n} replications, some headline KPIs' 95% CI "
                        f"half-width is above {100 * precision:g}% of the mean: "
                        f"{'; '.join(misses)} (more replications, or --reps auto, narrow it)."
                    )
                break
            comparison.history.append((comparison.n, worst))
            if not misses:
                comparison.notes.append(
                    f"--reps auto: stopped at {comparison.n} replications: every headline "
                    f"KPI's 95% CI half-width is within {100 * precision:g}% of its mean "
                    f"in every scenario (worst {100 * worst:.1f}%)."
                )
                break
            if comparison.n >= max_reps:
                comparison.notes.append(
                    f"--reps auto: reached the cap of {max_reps} replications before every "
                    f"headline KPI's 95% CI half-width was within {100 * precision:g}% of "
                    f"its mean; still wider: {'; '.join(misses)}."
                )
                break
            target = _next_target(comparison.n, worst, precision, max_reps)
    comparison.notes += _stability_notes(comparison)
    return comparison


def _next_target(n: int, worst: float, precision: float, max_reps: int) -> int:
    """Replications for the next batch: the half-width shrinks like 1/sqrt(n), so aim for
    n * (worst / precision)^2, adding at least 2 and at most doubling per batch."""
    wanted = n * (worst / precision) ** 2 if math.isfinite(worst) else 2 * n
    wanted = math.ceil(1.1 * wanted) if math.isfinite(wanted) else 2 * n
    return min(max_reps, max(n + 2, min(2 * n, wanted)))


def _stability_notes(c: Comparison) -> list[str]:
    notes = []
    for name, reps in zip(c.names, c.replications, strict=True):
        bad = [r for r in reps if not r.stable]
        if bad:
            reason = bad[0].kpis.get("unstable_reason") or "unstable"
            notes.append(
                f"{name}: {len(bad)} of {len(reps)} replications were unstable "
                f"(seed {bad[0].seed}: {reason}); its averages describe a system that does "
                "not settle."
            )
    return notes
