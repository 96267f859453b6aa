"""A browser's long work in the background: one job at a time per page, stoppable at once.

`Background` is what the comparison's `Runner` and the calibration's `Calibrator` share. A job
runs in a thread of its own, so the page stays responsive, on a process pool of its own (behind
the server's shared slots, `sim.dashboard.compare.slots`), and reports its state through the
page's callback. Starting a job cancels the one before; `cancel` kills the pool's workers at
once. Every job has a *generation*: a job that was cancelled or replaced never reports again,
so a late progress line cannot overwrite a newer state.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

import solara

from sim.executors import LocalExecutor, local_executor, stop_now


def current_user() -> str:
    """Who is asking: the browser's session (every tab of one browser is one user), or a new
    name outside a server (tests render pages without one)."""
    try:
        return solara.get_session_id()
    except RuntimeError:
        return f"page-{uuid.uuid4().hex[:8]}"


class Cancelled(Exception):
    """The user pressed Cancel (raised by a job's own checks between steps)."""


class Background[State]:
    """One browser's jobs of one kind. `on_state(state)` is called from the job's thread."""

    def __init__(
        self,
        on_state: Callable[[State], None],
        cancelled: State,
        workers: int,
        user: str = "",
    ):
        self._on_state = on_state
        self._cancelled = cancelled
        """The state a cancelled job reports."""
        self._workers = workers
        self._user = user or current_user()
        self._lock = threading.Lock()
        self._generation = 0
        self._cancel = threading.Event()
        self._pool: LocalExecutor | None = None
        self._thread: threading.Thread | None = None

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    def _launch(
        self, first: State, work: Callable[..., None], args: tuple[Any, ...], name: str
    ) -> None:
        """Report `first`, then run ``work(generation, cancel, *args)`` in a new thread."""
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._cancel = threading.Event()
        self._emit(generation, first)
        self._thread = threading.Thread(
            target=work, args=(generation, self._cancel, *args), name=name, daemon=True
        )
        self._thread.start()

    def cancel(self, report_state: bool = True) -> None:
        """Stop the current job at once (what it did is lost); it never reports again.
        `report_state`: report the cancelled state (not when the page is going away)."""
        with self._lock:
            running = self._thread is not None and self._thread.is_alive()
            self._cancel.set()
            pool = self._pool
            if running:
                self._generation += 1
            generation = self._generation
        if pool is not None:
            stop_now(pool)
        if report_state and running:
            self._emit(generation, self._cancelled)

    def _report_failure(
        self,
        generation: int,
        cancel: threading.Event,
        exc: Exception,
        failed: Callable[[str], State],
        failure: Callable[[BaseException], str],
    ) -> None:
        """Report what stopped a job: the cancelled state if the user cancelled (the pool's
        workers were killed under it, so its futures fail or are cancelled), else
        `failed(failure(exc))`, one line for the page."""
        stopped = isinstance(exc, (Cancelled, CancelledError, BrokenProcessPool))
        if stopped and cancel.is_set():
            self._emit(generation, self._cancelled)
        else:
            self._emit(generation, failed(failure(exc)))

    def _emit(self, generation: int, state: State) -> None:
        with self._lock:
            current = generation == self._generation
        if current:
            self._on_state(state)

    @contextmanager
    def _own_pool(self) -> Iterator[LocalExecutor]:
        """The job's process pool, where `cancel` finds it while the job uses it."""
        with local_executor(self._workers) as pool:
            with self._lock:
                self._pool = pool
            try:
                yield pool
            finally:
                with self._lock:
                    self._pool = None
