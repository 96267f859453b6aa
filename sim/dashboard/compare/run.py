"""Running a leadership comparison in the background, and drawing its results.

`Runner` (a `sim.dashboard.background.Background` job) runs `sim.replications.compare` in a
thread of its own on a process pool (`sim.executors.local_executor`, 2 workers) behind the
server's shared worker slots (`sim.dashboard.compare.slots`: runs take turns fairly between
users, each user has a budget), so the page stays responsive, and reports progress through a
callback. Cancel stops at once: it terminates the pool's workers (`stop_now`), which makes
`compare` raise in the runner's thread, and the progress callback raises as well if a batch
completes meanwhile; the pool's context manager then stops what is left, and the comparison's
slots and budget are freed. A run that was cancelled, or replaced by a newer one, never reports
again.

The figures are `sim.report`'s, the same as in the HTML report, drawn once in the runner's
thread into PNGs (so the page never blocks on matplotlib); the report offered for download
embeds those same PNGs.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Literal

from sim.dashboard.background import Background, Cancelled
from sim.dashboard.boundary import failure_line
from sim.dashboard.compare.slots import BUDGET, SLOTS, GatedExecutor, effort
from sim.replications import Comparison, JCurve, compare
from sim.report import render_report
from sim.report.figures import Drawn, draw_figures
from sim.scenario import Scenario

WORKERS = 2
"""Worker processes of one comparison (they run only while it holds slots)."""

Status = Literal["idle", "waiting", "running", "drawing", "done", "cancelled", "failed"]


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
        """The same self-contained report as ``sim compare --report``, with the figures the
        page shows (not drawn a second time)."""
        return render_report(self.comparison, drawn=Drawn(self.figures, self.curves))


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


class Runner(Background[RunState]):
    """One browser's comparison runs. `on_state(RunState)` is called from the runner's thread."""

    def __init__(
        self, on_state: Callable[[RunState], None], workers: int = WORKERS, user: str = ""
    ):
        super().__init__(on_state, RunState("cancelled", message="Cancelled."), workers, user)

    def start(
        self, scenarios: list[Scenario], names: list[str], reps: int, worlds: int = 0
    ) -> str | None:
        """Start a comparison (cancelling the one before, if any); with `worlds`, in that many
        plausible worlds too (`sim.replications.worlds`). Returns None, or the one line that
        says why it cannot start (over the user's budget)."""
        self.cancel(report_state=False)
        events = reps * (1 + worlds) * sum(effort(s) for s in scenarios)
        problem = BUDGET.reserve(self._user, events)
        if problem is not None:
            return problem
        planned = len(scenarios) * reps * (1 + worlds)
        self._launch(
            RunState("waiting", 0, planned, message="Starting…"),
            self._work,
            (list(scenarios), list(names), reps, worlds, events),
            "compare-runner",
        )
        return None

    def _work(
        self,
        generation: int,
        cancel: threading.Event,
        scenarios: list[Scenario],
        names: list[str],
        reps: int,
        worlds: int = 0,
        events: float = 0.0,
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

        def first_run_started() -> None:
            self._emit(
                generation,
                RunState("running", 0, planned, time.monotonic() - started, "Running…"),
            )

        try:
            others = SLOTS.others(self._user)
            waiting = (
                f"Waiting for a free worker ({others} other "
                f"{'person is' if others == 1 else 'people are'} running comparisons on this "
                "server; runs take turns)…"
            )
            self._emit(
                generation,
                RunState("waiting", 0, planned, 0.0, waiting if others else "Starting…"),
            )
            with self._own_pool() as pool:
                check()
                with GatedExecutor(pool, SLOTS, self._user, cancel, first_run_started) as gate:
                    comparison = compare(
                        scenarios,
                        reps=reps,
                        executor=gate,
                        names=names,
                        progress=progress,
                        max_chunk=1,  # one run per slot: users take turns run by run
                    )
                    if worlds:
                        comparison.run_worlds(
                            worlds,
                            executor=gate,
                            progress=lambda done, _: progress(done, planned, base),
                        )
            run_seconds = time.monotonic() - started
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
        except Exception as exc:
            self._report_failure(generation, cancel, exc, _failed, _failure)
        finally:
            cancel.set()  # whatever is still waiting for a slot gives up
            BUDGET.release(self._user, events)


def _failed(message: str) -> RunState:
    return RunState("failed", message=message)


def _failure(exc: BaseException) -> str:
    if isinstance(exc, BrokenProcessPool):
        return (
            "The simulation workers stopped unexpectedly (out of memory?). Try fewer "
            "replications or fewer days."
        )
    return failure_line(exc, "running the comparison")
