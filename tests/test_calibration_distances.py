"""The distances of the process-simulation literature, on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.calibration.distances import (
    absolute_time_distance,
    circadian_distance,
    cycle_time_distance,
    hour_of_week_distance,
    ngram_distance,
)


def times(*texts: str) -> np.ndarray:
    return pd.to_datetime(list(texts)).to_numpy(dtype="datetime64[us]")


def test_ngram_distance_counts_shared_and_missing_ngrams():
    a = [("x", "y"), ("x",)]
    assert ngram_distance(a, a, 2) == 0.0
    assert ngram_distance([("x",)], [("y",)], 2) == 1.0
    # 2-grams with padding: a = {^x, xy, y$, ^x, x$}; b = {^x, x$, ^x, x$}: |2-2| + 1 + 1 + |1-2|
    # over 5 + 4 grams.
    b = [("x",), ("x",)]
    assert ngram_distance(a, b, 2) == pytest.approx(3 / 9)
    assert ngram_distance([], [], 3) == 0.0


def test_cycle_time_distance_is_the_wasserstein_distance_of_whole_hours():
    assert cycle_time_distance(np.array([1.2, 5.9]), np.array([1.0, 5.0])) == 0.0
    assert cycle_time_distance(np.array([0.0, 0.0]), np.array([10.0, 10.0])) == 10.0
    assert np.isnan(cycle_time_distance(np.array([]), np.array([1.0])))


def test_time_distances():
    monday = times("2024-03-04 09:10", "2024-03-04 10:20")
    a_week_later = times("2024-03-11 09:10", "2024-03-11 10:20")
    assert hour_of_week_distance(monday, a_week_later) == 0.0
    assert absolute_time_distance(monday, a_week_later) == 168.0
    assert circadian_distance(monday, a_week_later) == 0.0
    tuesday = times("2024-03-05 09:10")
    # Monday events in one log only, Tuesday events in the other only: 23 each, 0 for the rest.
    assert circadian_distance(monday, tuesday) == pytest.approx(2 * 23 / 7)
    two_hours_later = times("2024-03-04 11:10", "2024-03-04 12:20")
    assert circadian_distance(monday, two_hours_later) == pytest.approx(2 / 7)
    assert hour_of_week_distance(monday, two_hours_later) == 2.0
