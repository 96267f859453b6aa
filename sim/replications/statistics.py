"""Statistics of replications: a KPI's mean with its t-based confidence interval (`Estimate`),
the paired difference of two scenarios run on the same seeds (`Difference`), and day-by-day
bands for series (`band`).

The CI reported for a comparison is the CI of the *paired* difference: scenario B's k-th run
sees the same customers as scenario A's k-th run (common random numbers), so the per-seed
differences are much less noisy than the two means on their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from sim.kpi_catalogue import kpi_info

CONFIDENCE = 0.95


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


def estimate(values: ArrayLike, confidence: float = CONFIDENCE) -> Estimate:
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
    values: ArrayLike,
    base: ArrayLike,
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


def band(matrix: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, ...]:
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
