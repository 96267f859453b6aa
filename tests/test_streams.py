"""A stream's seed is numpy's SeedSequence spawn, computed without building one per stream
(`sim.streams.stream_seed`): the same number for every seed and key, so every stream of every
run is what it was."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.streams import BRANCHES, REQUESTS, stream_seed


def numpy_seed(seed: int, *key: int) -> int:
    words = np.random.SeedSequence(seed, spawn_key=key).generate_state(2)
    return int(words[0]) << 32 | int(words[1])


@settings(max_examples=300, deadline=None)
@given(
    seed=st.one_of(st.integers(0, 2**32), st.integers(0, 2**200)),
    key=st.lists(st.one_of(st.integers(0, 40), st.integers(0, 2**70)), max_size=4),
)
def test_stream_seed_is_numpys_seed_sequence(seed: int, key: list[int]) -> None:
    assert stream_seed(seed, *key) == numpy_seed(seed, *key)


def test_the_streams_runs_use_are_numpys() -> None:
    for seed in (0, 1, 42, 2**31 - 1, 2**63 + 5):
        for number in (0, 1, 7, 1_000_003):
            assert stream_seed(seed, REQUESTS, number) == numpy_seed(seed, REQUESTS, number)
            assert stream_seed(seed, BRANCHES, number, 2) == numpy_seed(seed, BRANCHES, number, 2)


def test_negative_seeds_and_keys_are_refused_as_numpy_refuses_them() -> None:
    for seed, key in ((-1, (REQUESTS, 3)), (5, (REQUESTS, -3))):
        with pytest.raises(ValueError):
            numpy_seed(seed, *key)
        with pytest.raises(ValueError):
            stream_seed(seed, *key)
