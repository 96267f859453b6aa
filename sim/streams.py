"""Random streams: one per stochastic process, all derived from the run's seed.

A run is a pure function of (scenario, seed), and two scenarios run with the same seed should see
the same customers who meet the same luck, so that a difference between them is the difference
between the organisations (common random numbers). Streams shared by purpose (one for all
outcomes, one for all routing) lose that as soon as the organisations differ: one extra handoff
in one of them shifts every later draw of every customer. So each process has its own stream,
keyed by what it belongs to, and nothing else can consume it:

- **customers** (one for the run): every candidate arrival, in order: the gap before it,
  thinning, type, the work size of each task, patience, satisfaction noise, home-team pick, and
  a block of uniforms that starts the request's own stream;
- **each request** (keyed by its arrival number): routing picks, right first time, premature
  closure, transfer-out, triage and transfer-out work, a failed task's new work size, callback
  and handoff delays, misrouting and the wrong unit, re-routing at a reorganisation;
- **each employee** (keyed by their place in the workforce): their own choices, cherry-picking
  and agreeing to help;
- **each unit's manager** (keyed by the unit's number in the run): encounters, the partner unit
  and the participants;
- **each employee's absences** (keyed by their place in the workforce): whole days away, a
  stream apart from their choices so that switching absence on shifts nothing else;
- **each parallel task** of a fork–join (keyed by its request's number and the task's place):
  what the request's stream does for a task on its own (`Request.branch`).

A request's stream is the block its arrival brought (`REQUEST_DRAWS` uniforms, enough for most
requests) and, if it needs more, a `random.Random` seeded from (seed, its number). A reorganisation
that leaves a unit as it is keeps its manager and stream; employees keep theirs.
"""

from __future__ import annotations

import math
import random
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.scenario import Demand

CUSTOMERS, REQUESTS, PEOPLE, MANAGERS, ABSENCE, BRANCHES = range(6)
"""Stream kinds: the first number of each stream's key."""
REQUEST_DRAWS = 8
"""Uniforms each arrival brings for its request's own stream (more come from its overflow)."""
BLOCK = 1024
"""Candidate arrivals drawn at a time."""


def stream_seed(seed: int, *key: int) -> int:
    """A 64-bit seed for the stream with `key` (its kind, then what it belongs to): distinct keys
    give independent streams (`numpy.random.SeedSequence` spawn keys).

    The value is exactly ``SeedSequence(seed, spawn_key=key).generate_state(2)`` as one number
    (`tests/test_streams.py` checks it against numpy), computed here with the run's part
    hashed once (`_run_pool`), and with the stream's kind, once per run and kind (`_kind_pool`):
    a request that needs more than `REQUEST_DRAWS` uniforms makes one (a fifth of the presets'
    requests), and numpy's object took twice as long as this."""
    if seed < 0 or min(key, default=0) < 0:
        raise ValueError(f"stream seeds and keys are non-negative: {seed}, {key}")
    *pool, h = _kind_pool(seed, key[0]) if key else _run_pool(seed)
    for k in key[1:]:
        h = _mix_in(pool, h, k)
    # generate_state(2): the first two words of the pool, hashed.
    a, b, g = pool[0], pool[1], _INIT_B
    a = ((a ^ g) * ((g * _MULT_B) & _MASK)) & _MASK
    a ^= a >> 16
    g = (g * _MULT_B) & _MASK
    b = ((b ^ g) * ((g * _MULT_B) & _MASK)) & _MASK
    b ^= b >> 16
    return a << 32 | b


# numpy.random.SeedSequence's hash constants (numpy/random/bit_generator.pyx), 32-bit words.
_MASK = 0xFFFFFFFF
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_POOL = 4


def _hash(value: int, h: int) -> tuple[int, int]:
    """numpy's hashmix: `value` hashed with the hash constant `h`, and the constant after it."""
    value ^= h
    h = (h * _MULT_A) & _MASK
    value = (value * h) & _MASK
    return value ^ (value >> 16), h


def _mix(x: int, y: int) -> int:
    """numpy's mix: a pool word `x` with a hashed word `y`."""
    result = (_MIX_L * x - _MIX_R * y) & _MASK
    return result ^ (result >> 16)


def _mix_in(pool: list[int], h: int, value: int) -> int:
    """Mix `value`'s 32-bit words (lowest first) into `pool` as numpy's mix_entropy mixes the
    words after the pool's own; the hash constant after them."""
    while True:
        word = value & _MASK
        for i in range(_POOL):
            x, h = _hash(word, h)
            pool[i] = _mix(pool[i], x)
        value >>= 32
        if not value:
            return h


@lru_cache(maxsize=16)
def _run_pool(seed: int) -> tuple[int, int, int, int, int]:
    """SeedSequence's entropy pool after the run's seed, and the hash constant it left: what
    every stream of the run starts from, before its key is mixed in."""
    seed_words_beyond_pool = seed >> 32 * _POOL
    words = []
    while True:
        words.append(seed & _MASK)
        seed >>= 32
        if not seed:
            break
    words += [0] * (_POOL - len(words))  # as numpy: a missing word hashes as a zero
    h = _INIT_A
    pool = []
    for word in words[:_POOL]:
        x, h = _hash(word, h)
        pool.append(x)
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                x, h = _hash(pool[src], h)
                pool[dst] = _mix(pool[dst], x)
    if len(words) > _POOL:  # a seed of more than 128 bits: its other words, as a key's
        h = _mix_in(pool, h, seed_words_beyond_pool)
    return pool[0], pool[1], pool[2], pool[3], h


@lru_cache(maxsize=16)
def _kind_pool(seed: int, kind: int) -> tuple[int, int, int, int, int]:
    """The pool and hash constant after the run's seed and a stream's kind, the first word of
    its key: the same for every stream of that kind in the run (half the hashing of a
    request's overflow stream, whose key is its kind and its number)."""
    *pool, h = _run_pool(seed)
    h = _mix_in(pool, h, kind)
    return pool[0], pool[1], pool[2], pool[3], h


def own_stream(seed: int, *key: int) -> random.Random:
    """A process's own stream (an employee, a manager, a request's overflow)."""
    return random.Random(stream_seed(seed, *key))


class Customers:
    """The customers of a run: every candidate arrival's draws, in arrival order, in blocks.

    What a customer brings does not depend on the organisation, the policies or the clock: the
    arrival rate only scales the gaps (`gap` is a standard exponential), so the same seed brings
    the same customers, in the same order, to every scenario with the same demand.
    """

    def __init__(self, seed: int, demand: Demand):
        self._rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(CUSTOMERS,)))
        self._tasks = max(len(t.tasks) for t in demand.request_types)
        self._kind = demand.work_distribution
        self._sigma = math.sqrt(math.log1p(demand.work_cv**2))
        self._rows: list[list[float]] = []
        self._sizes: list[list[float]] = []
        self._draws: list[list[float]] = []
        self._next = 0

    def next(self) -> tuple[list[float], list[float], list[float]]:
        """The next candidate: (gap, thinning, type pick, patience, noise, home pick), the work
        size of each task slot (mean 1), and the uniforms of its own stream. Patience and gap
        are standard exponentials; noise is standard normal; the picks are uniform in [0, 1)."""
        if self._next == len(self._rows):
            self._fill()
        i = self._next
        self._next = i + 1
        return self._rows[i], self._sizes[i], self._draws[i]

    def _fill(self) -> None:
        rng = self._rng
        rows = np.column_stack(
            (
                rng.standard_exponential(BLOCK),
                rng.random(BLOCK),
                rng.random(BLOCK),
                rng.standard_exponential(BLOCK),
                rng.standard_normal(BLOCK),
                rng.random(BLOCK),
            )
        )
        shape = (BLOCK, self._tasks)
        if self._kind == "exponential":
            sizes = rng.standard_exponential(shape)
        elif self._kind == "lognormal" and self._sigma > 0:
            sizes = rng.lognormal(-0.5 * self._sigma**2, self._sigma, shape)
        else:
            sizes = np.ones(shape)
        self._rows = rows.tolist()
        self._sizes = sizes.tolist()
        self._draws = rng.random((BLOCK, REQUEST_DRAWS)).tolist()
        self._next = 0


def work_size(kind: str, sigma: float, u1: float, u2: float) -> float:
    """A task's work relative to its mean (mean 1) in the scenario's distribution, from two
    uniforms in [0, 1) (Box-Muller for the lognormal; the exponential uses `u1` only)."""
    if kind == "exponential":
        return -math.log(1.0 - u1)
    if kind == "lognormal" and sigma > 0:
        z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
        return math.exp(-0.5 * sigma * sigma + sigma * z)
    return 1.0


def exponential(mean: float, u: float) -> float:
    """An exponential draw with `mean` from a uniform in [0, 1) (0 when `mean` is 0)."""
    return -mean * math.log(1.0 - u) if mean > 0 else 0.0
