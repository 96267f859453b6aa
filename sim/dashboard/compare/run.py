"""Running a leadership comparison in the background, and drawing its results.

`Runner` runs `sim.replications.compare` in a thread of its own on a process pool
(`sim.executors.local_executor`, 2 workers), so the page stays responsive, and reports progress
through a callback. Cancel stops at once: it terminates the pool's workers (`stop_now`), which
makes `compare` raise in the runner's thread, and the progress callback raises as well if a
batch completes meanwhile; the pool's context manager then stops what is left. A run that was
cancelled, or replaced by a newer one, never reports again.

One comparison runs at a time per server (`SLOTS`): the simulation needs whole cores, and a
second leader's run waits its turn ("waiting for another comparison") instead of slowing both.

The figures are `sim.report`'s, the same as in the HTML report, drawn once in the runner's
thread into PNGs (so the page never blocks on matplotlib).
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Literal

import matplotlib
from matplotlib.figure import Figure

from sim.executors import local_executor, stop_now
from sim.replications import Comparison, JCurve, compare
from sim.replications.worlds import run_worlds
from sim.report import render_report
from sim.report.figures import (
    figure_cost,
    figure_csat,
    figure_differences,
    figure_resolution,
    figure_utilisation,
    figure_verdict_map,
)
from sim.report.jcurve import figure_j_curve
from sim.report.style import STYLE
from sim.scenario import Scenario

WORKERS = 2
SLOTS = threading.BoundedSemaphore(1)
"""Comparisons that may run at once in this server process."""
DPI = 100
"""Figure resolution: sim.report's figures are 8.5-11 inches wide, so 850-1100 pixels, with
11-point text at about 15 pixels."""

Status = Literal["idle", "waiting", "running", "drawing", "done", "cancelled", "failed"]


class Cancelled(Exception):
    """The leader pressed Cancel."""


@dataclass(frozen=True)
class Results:
    comparison: Comparison
    figures: dict[str, bytes]
    """'differences', 'resolution', 'csat', 'utilisation', 'cost' -> PNG (missing: no data)."""
    curves: list[tuple[str, JCurve, bytes]]
    """Per scenario with a reorganisation: its name, J-curve and the J-curve figure (PNG)."""
    run_seconds: float
    draw_seconds: float
    days: int

    def table_csv(self) -> str:
        """`Comparison.table()` as CSV: what ``sim compare --csv`` writes."""
        buffer = io.StringIO()
        self.comparison.to_csv(buffer)
        return buffer.getvalue()

    def runs_csv(self) -> str:
        return self.comparison.runs_table().to_csv(index=False)

    def report_html(self) -> str:
        """The same self-contained report as ``sim compare --report``."""
        return render_report(self.comparison)


@dataclass(frozen=True)
class RunState:
    status: Status = "idle"
    done: int = 0
    planned: int = 0
    seconds: float = 0.0
    message: str = ""
    results: Results | None = field(default=None, repr=False)

    @property
    def busy(self) -> bool:
        return self.status in ("waiting", "running", "drawing")

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.planned if self.planned else 0.0


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def draw_figures(
    comparison: Comparison, check: Callable[[], None] = lambda: None
) -> tuple[dict[str, bytes], list[tuple[str, JCurve, bytes]]]:
    """`sim.report`'s figures as PNGs, in the report's style. `check` raises to stop early."""
    figures: dict[str, bytes] = {}
    curves = []
    draw = {
        "differences": figure_differences,
        "resolution": figure_resolution,
        "csat": figure_csat,
        "utilisation": figure_utilisation,
        "cost": figure_cost,
        "worlds": figure_verdict_map,
    }
    # The report's own rc settings (font sizes, no top/right spines, light grid).
    with matplotlib.rc_context(STYLE):
        for key, function in draw.items():
            check()
            fig = function(comparison)
            if fig is not None:
                figures[key] = png(fig)
        for name, curve in comparison.j_curves().items():
            check()
            curves.append((name, curve, png(figure_j_curve(curve))))
    return figures, curves


class Runner:
    """One browser's comparison runs. `on_state(RunState)` is called from the runner's thread."""

    def __init__(self, on_state: Callable[[RunState], None], workers: int = WORKERS):
        self._on_state = on_state
        self._workers = workers
        self._lock = threading.Lock()
        self._generation = 0
        self._cancel = threading.Event()
        self._pool = None
        self._thread: threading.Thread | None = None

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    def start(
        self, scenarios: list[Scenario], names: list[str], reps: int, worlds: int = 0
    ) -> None:
        """Start a comparison (cancelling the one before, if any); with `worlds`, in that many
        plausible worlds too (`sim.replications.worlds`)."""
        self.cancel(report_state=False)
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._cancel = threading.Event()
        planned = len(scenarios) * reps * (1 + worlds)
        self._emit(generation, RunState("waiting", 0, planned, message="Starting…"))
        self._thread = threading.Thread(
            target=self._work,
            args=(generation, self._cancel, list(scenarios), list(names), reps, worlds),
            name="compare-runner",
            daemon=True,
        )
        self._thread.start()

    def cancel(self, report_state: bool = True) -> None:
        """Stop the current comparison at once (its results are lost); it never reports
        again. `report_state`: report "cancelled" (not when the page is going away)."""
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
            self._emit(generation, RunState("cancelled", message="Cancelled."))

    def _emit(self, generation: int, state: RunState) -> None:
        with self._lock:
            current = generation == self._generation
        if current:
            self._on_state(state)

    def _work(
        self,
        generation: int,
        cancel: threading.Event,
        scenarios: list[Scenario],
        names: list[str],
        reps: int,
        worlds: int = 0,
    ) -> None:
        base = len(scenarios) * reps
        planned = base * (1 + worlds)
        started = time.monotonic()

        def check() -> None:
            if cancel.is_set():
                raise Cancelled

        def progress(done: int, total: int, offset: int = 0) -> None:
            check()  # raising here stops compare: its pool is stopped at once
            done, total = offset + done, planned
            self._emit(
                generation,
                RunState(
                    "running",
                    done,
                    total,
                    time.monotonic() - started,
                    f"{done} of {total} runs done"
                    + (f" ({worlds} plausible worlds after the first {base})" if worlds else ""),
                ),
            )

        acquired = False
        try:
            while not (acquired := SLOTS.acquire(timeout=0.25)):
                check()
                self._emit(
                    generation,
                    RunState(
                        "waiting",
                        0,
                        planned,
                        time.monotonic() - started,
                        "Waiting for another comparison on this server to finish…",
                    ),
                )
            started = time.monotonic()
            self._emit(
                generation,
                RunState("running", 0, planned, 0.0, "Starting the simulation workers…"),
            )
            with local_executor(self._workers) as pool:
                with self._lock:
                    self._pool = pool
                check()
                comparison = compare(
                    scenarios, reps=reps, executor=pool, names=names, progress=progress
                )
                if worlds:
                    comparison.worlds = run_worlds(
                        scenarios,
                        comparison.names,
                        worlds,
                        comparison.n,
                        comparison.root_seed,
                        comparison.headline,
                        executor=pool,
                        progress=lambda done, _: progress(done, planned, base),
                    )
            with self._lock:
                self._pool = None
            run_seconds = time.monotonic() - started
            SLOTS.release()
            acquired = False
            self._emit(
                generation,
                RunState("drawing", planned, planned, run_seconds, "Drawing the charts…"),
            )
            drawn = time.monotonic()
            figures, curves = draw_figures(comparison, check)
            results = Results(
                comparison,
                figures,
                curves,
                run_seconds,
                time.monotonic() - drawn,
                scenarios[0].run.days,
            )
            total = time.monotonic() - started
            self._emit(
                generation,
                RunState("done", planned, planned, total, "Done.", results),
            )
        except (Cancelled, CancelledError, BrokenProcessPool) as exc:
            if cancel.is_set():
                self._emit(generation, RunState("cancelled", message="Cancelled."))
            else:
                self._emit(generation, RunState("failed", message=_failure(exc)))
        except Exception as exc:
            self._emit(generation, RunState("failed", message=_failure(exc)))
        finally:
            with self._lock:
                self._pool = None
            if acquired:
                SLOTS.release()


def _failure(exc: BaseException) -> str:
    if isinstance(exc, BrokenProcessPool):
        return (
            "The simulation workers stopped unexpectedly (out of memory?). Try fewer "
            "replications or fewer days."
        )
    return f"The comparison failed: {type(exc).__name__}: {exc}"
