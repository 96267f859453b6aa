"""`Background`: what a job reports when something stops it."""

from __future__ import annotations

import threading
from concurrent.futures.process import BrokenProcessPool

from sim.dashboard.background import Background, Cancelled


def test_a_stop_reads_cancelled_only_when_the_user_cancelled():
    states: list[str] = []
    job = Background(states.append, "cancelled", workers=1, user="test")
    cancel = threading.Event()

    def report(exc: Exception) -> None:
        job._report_failure(0, cancel, exc, lambda m: f"failed: {m}", lambda e: type(e).__name__)

    report(BrokenProcessPool())  # workers died, nobody cancelled: a failure
    cancel.set()
    report(BrokenProcessPool())  # Cancel killed the workers
    report(Cancelled())
    report(ValueError())  # a real error stays one, cancelled or not
    assert states == ["failed: BrokenProcessPool", "cancelled", "cancelled", "failed: ValueError"]
