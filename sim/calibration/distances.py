"""Distances between a real log and a simulated one, as the process-simulation literature
defines them (Chapela-Campa et al., "Can I trust my simulation model?", BPM 2023; the
`log-distance-measures` package, Apache-2.0, was read for the definitions, not copied).

Pure functions of plain arrays. The temporal distances are 1-Wasserstein distances
(`scipy.stats.wasserstein_distance`) between hourly-binned samples, in hours; they depend on
the length of the window compared, so compare them only between runs on the same test window,
never across logs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.stats import wasserstein_distance

from sim.calibration.workweek import hour_of_week, hours_since_monday

_PAD = "\x00"
"""Start/end marker of a sequence (no team is called that)."""


def ngram_distance(a: Iterable[Sequence[str]], b: Iterable[Sequence[str]], n: int = 3) -> float:
    """N-gram distribution distance in [0, 1] between two sets of team sequences.

    Each sequence is padded with n - 1 markers at both ends; the distance is the sum of the
    absolute differences of the n-gram counts over the total count of both (0: the same
    n-grams as often; 1: nothing in common). Counts, not shares: the two sets should hold
    about as many sequences (a test window and its simulation do).
    """
    count_a, count_b = _ngrams(a, n), _ngrams(b, n)
    total = sum(count_a.values()) + sum(count_b.values())
    if total == 0:
        return 0.0
    keys = set(count_a) | set(count_b)
    return sum(abs(count_a[k] - count_b[k]) for k in keys) / total


def _ngrams(sequences: Iterable[Sequence[str]], n: int) -> Counter:
    counts: Counter = Counter()
    pad = (_PAD,) * (n - 1)
    for sequence in sequences:
        padded = (*pad, *sequence, *pad)
        counts.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    return counts


def cycle_time_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Cycle-time distribution distance: 1-Wasserstein between case durations binned to whole
    hours, in hours."""
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    return float(wasserstein_distance(np.floor(a), np.floor(b)))


def absolute_time_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Absolute event (or case arrival) distribution distance: 1-Wasserstein between times
    binned to the hour since the earlier of the two first times, in hours."""
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    ha, hb = hours_since_monday(a), hours_since_monday(b)
    origin = np.floor(min(ha.min(), hb.min()))
    return float(wasserstein_distance(np.floor(ha - origin), np.floor(hb - origin)))


def hour_of_week_distance(a: np.ndarray, b: np.ndarray) -> float:
    """1-Wasserstein between the hours of the week (0 = Monday 00-01, ..., 167) of two sets of
    times, in hours: how far the weekly rhythm must move."""
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    return float(wasserstein_distance(hour_of_week(a), hour_of_week(b)))


def circadian_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Circadian event distribution distance: per weekday, 1-Wasserstein between the hours of
    the day, averaged over the 7 weekdays; a weekday with events in only one log scores 23
    (the largest possible), in hours."""
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    wa, wb = hour_of_week(a), hour_of_week(b)
    distances = []
    for day in range(7):
        da = wa[(wa // 24) == day] % 24
        db = wb[(wb // 24) == day] % 24
        if len(da) and len(db):
            distances.append(wasserstein_distance(da, db))
        else:
            distances.append(0.0 if len(da) == len(db) else 23.0)
    return float(np.mean(distances))
