"""The cyclic garbage collector while a model simulates: rarer young passes.

CPython's collector walks its youngest generation every 700 net allocations of tracked objects
(lists, tuples, bound methods, requests), and the middle one every tenth of those. A run
allocates a few such objects per event (agenda entries, bound methods, request draws) and frees
them by reference counting; it makes no cyclic garbage (the collector found none in the presets
at x5 and x100). So those passes are pure cost, and a pass costs more per object the larger the
model: at x100 (4,000 people) a young pass took 2.7 ms on average against 0.5 ms at x5, and the
collector took about a fifth of the run's time against a few per cent (benchmark x100 vs x5).

While a model simulates or its clock is advanced (`OrgModel.run_until`: the classroom's live
models), the youngest generation's threshold is `YOUNG_THRESHOLD` instead of 700: most objects
are freed before a pass comes, and the passes that come are rarer. The policy is bounded: the
collector stays on with CPython's rules for the older generations, so cyclic garbage, should a
mechanism ever make some, is still collected, after at most `YOUNG_THRESHOLD` allocations (tens
of requests' worth of memory) instead of 700. The thresholds the process had are restored when
the last model simulating in it finishes (a dashboard may simulate in threads).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 100_000
"""Net allocations of tracked objects between two young passes while a model simulates."""

_lock = threading.Lock()
_active = 0
_saved: tuple[int, ...] = ()


@contextmanager
def rare_young_passes() -> Iterator[None]:
    """Raise the young generation's threshold for the duration (nests; thread-safe)."""
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            young = _saved[0] and max(YOUNG_THRESHOLD, _saved[0])  # 0: automatic passes off
            gc.set_threshold(young, *_saved[1:])
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                gc.set_threshold(*_saved)
