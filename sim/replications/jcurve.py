"""A reorganisation's J-curve over the replications of one scenario.

Each run of a scenario with `[[events]]` is also run without them on the same customers; the
replications keep a small per-day series of both (`Replication.reorg_daily`). `j_curve`
averages it: the resolution time with and without the reorganisation (5-day rolling mean, 95%
CI band), the cumulative customer hours saved since the switch, and the dip, recovery and
pay-back (crossover) days (`JCurve`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import REORG_WINDOW_DAYS
from sim.replications.runs import Replication
from sim.replications.statistics import Estimate, band, estimate
from sim.scenario import Scenario

ROLLING_DAYS = 5
"""Window of the J-curve's rolling means (days), as for `reorg_dip` (`sim.metrics`)."""


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
      same customers without it; ``csat`` / ``csat_without`` likewise for CSAT (1-5, abandoned
      customers included), ``abandoned_share`` / ``*_without`` for the share who gave up;
    - ``hours_saved``: outcome hours saved since the switch against not reorganising (a
      customer who gave up counts at least 4 expected times, `sim.metrics.outcome_hours`),
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
    """`reorg_dip`: the first 10 days after the switch, x not reorganising (mean, 95% CI)."""
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
            f"Its first {REORG_WINDOW_DAYS} days after the switch on day {self.switch_day} take "
            f"{d.mean:.2f} times the hours to an outcome of not reorganising{ci}, counting a "
            "customer who gave up as at least 4 times the time they expected"
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
    kept = [(r, r.reorg_daily) for r in replications if r.reorg_daily is not None]
    reps = [r for r, _ in kept]
    if not scenario.events or not kept:
        return None
    switch = int(scenario.events[0].day)
    days = kept[0][1]["day"].to_numpy()
    table = pd.DataFrame({"day": days})
    series: dict[str, list[np.ndarray]] = {}
    for _, reorg_daily in kept:
        daily = reorg_daily.set_index("day").reindex(days)
        for column, source in (
            ("resolution_hours", "resolution_hours_mean"),
            ("resolution_hours_without", "resolution_hours_mean_without"),
            ("csat", "csat_mean"),
            ("csat_without", "csat_mean_without"),
        ):
            rolling = daily[source].rolling(ROLLING_DAYS, min_periods=1).mean()
            series.setdefault(column, []).append(rolling.to_numpy(dtype=float))
        for suffix in ("", "_without"):
            gave_up = daily[f"abandoned{suffix}"].rolling(ROLLING_DAYS, min_periods=1).sum()
            came = daily[f"arrived{suffix}"].rolling(ROLLING_DAYS, min_periods=1).sum()
            share = (gave_up / came.where(came > 0)).to_numpy(dtype=float)
            series.setdefault(f"abandoned_share{suffix}", []).append(share)
        saved = daily["outcome_hours_without"].fillna(0.0) - daily["outcome_hours"].fillna(0.0)
        saved = saved.where(daily.index >= switch).cumsum()  # NaN before the switch
        series.setdefault("hours_saved", []).append(saved.to_numpy(dtype=float))
    for column, values in series.items():
        mean, low, high = band(np.vstack(values))
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
