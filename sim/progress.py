"""Progress of many runs: the callback replications and sweeps report to, and a bar for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

ProgressCallback = Callable[[int, int], None]
"""``progress(runs_done, runs_planned)``, called as runs finish. `runs_planned` grows when
``compare(reps="auto")`` adds a batch; runs a resumed sweep finds on disk count as done."""


@contextmanager
def progress_bar(description: str = "sweep", unit: str = "run") -> Iterator[ProgressCallback]:
    """A tqdm bar (runs, rate, ETA) on stderr as a `progress(done, total)` callback.

    Runs already on disk when resuming start the bar but do not count towards the rate; a
    total that grows (`sim.replications.compare` with ``reps="auto"``) extends the bar.
    """
    from tqdm import tqdm

    bar: tqdm | None = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, initial=done, desc=description, unit=unit, smoothing=0.1)
            return
        if total != bar.total:
            bar.total = total
            bar.refresh()
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()
