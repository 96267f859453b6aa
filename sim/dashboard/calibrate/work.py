"""Calibrating an uploaded export in the background: discovery, then the fidelity check.

`Calibrator` is a `sim.dashboard.background.Background` job: a thread of its own, so the page
stays responsive, reporting its state through a callback. The heavy parts run on a process
pool of its own behind the server's shared worker slots, like a comparison's runs
(`sim.dashboard.compare.slots`): taking the log apart and discovering the organisation is one
job, each replication of the model and of the naive baseline over the test window is one more.
Cancel stops at once (the pool's workers are killed), and a cancelled or replaced calibration
never reports again. Each user's work is counted in the same budget as their comparisons: the
log's rows for discovery, then the simulation's events for the fidelity check.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Literal

import matplotlib
import pandas as pd

from sim.calibration import LogError, LogMapping
from sim.calibration.cases import Timeline
from sim.calibration.discovery import Calibration
from sim.calibration.fidelity import (
    Fidelity,
    held_out_scenario,
    held_out_window,
    measure,
    naive_baseline,
    simulate,
)
from sim.calibration.options import DEFAULTS, FitOptions
from sim.calibration.pipeline import Calibrated, fit, timeline_of
from sim.calibration.readers import RawLog, canonical_table
from sim.calibration.report import figure_elapsed, render_report
from sim.calibration.writer import scenario_toml, to_scenario
from sim.dashboard.background import Background, Cancelled
from sim.dashboard.boundary import failure_line
from sim.dashboard.calibrate.log import DROPDOWNS
from sim.dashboard.compare.slots import BUDGET, RUN_BUDGET, SLOTS, GatedExecutor, effort
from sim.replications import replication_seeds
from sim.report.style import STYLE, png
from sim.scenario import Scenario, ScenarioError

OPTIONS = {"holdout": "Hold-out share", "fit_window": "Fit window"}
"""The page's names for the fit options with a range (`FitOptions.problems`), where the
command line names its flags."""
DEFAULT_REPS, MIN_REPS, MAX_REPS = 5, 2, 10
WORKERS = 2
SEED = 1

Stage = Literal["idle", "waiting", "fitting", "testing", "drawing", "done", "cancelled", "failed"]


@dataclass(frozen=True, eq=False)  # compared by identity: it holds tables
class Outcome:
    """What a calibration gives the page."""

    calibration: Calibration
    scenario: Scenario
    fidelity: Fidelity | None
    toml: str
    """The "as is" scenario file, with its comments (what ``sim calibrate --out`` writes)."""
    report: str
    """The fidelity report (``sim calibrate --report``), or '' without a fidelity check."""
    elapsed_png: bytes
    """Elapsed-time distributions of the test cases, the model and the baseline (or b'')."""
    notes: tuple[str, ...] = ()
    """Warnings of the discovery and notes of the fidelity check, one line each."""
    options: FitOptions = DEFAULTS
    """How it was fitted (the page's fit options)."""


@dataclass(frozen=True)
class CalibrationState:
    stage: Stage = "idle"
    done: int = 0
    planned: int = 0
    seconds: float = 0.0
    message: str = ""
    problems: tuple[str, ...] = ()
    """Why the log cannot be calibrated from, one line each (stage 'failed')."""
    outcome: Outcome | None = field(default=None, repr=False)

    @property
    def busy(self) -> bool:
        return self.stage in ("waiting", "fitting", "testing", "drawing")

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.planned if self.planned else 0.0


def fit_log(
    log: RawLog, mapping: LogMapping, source: str, options: FitOptions = DEFAULTS
) -> tuple[Timeline, Calibration, pd.Timestamp]:
    """Take the log apart and discover its organisation as `options` say (top level: runs in
    a worker). `LogError` when the options are out of range."""
    problems = options.problems(OPTIONS)
    if problems:
        raise LogError(problems)
    timeline = timeline_of(canonical_table(log, mapping, source, DROPDOWNS), mapping, source)
    calibration, cut = fit(
        timeline,
        source,
        options.holdout,
        options.start_delays,
        options.person_shifts,
        options.fit_window,
    )
    return timeline, calibration, cut


class Calibrator(Background[CalibrationState]):
    """One browser's calibrations. `on_state(CalibrationState)` is called from its thread."""

    def __init__(
        self,
        on_state: Callable[[CalibrationState], None],
        workers: int = WORKERS,
        user: str = "",
    ):
        cancelled = CalibrationState("cancelled", message="Cancelled.")
        super().__init__(on_state, cancelled, workers, user)

    def start(
        self,
        log: RawLog,
        mapping: LogMapping,
        source: str,
        reps: int,
        options: FitOptions = DEFAULTS,
    ) -> str | None:
        """Start calibrating as `options` say (cancelling the one before); None, or the one
        line that says why it cannot start (options out of range, over the user's budget)."""
        problems = options.problems(OPTIONS)
        if problems:  # whatever the page's controls let through
            return "; ".join(problems)
        self.cancel(report_state=False)
        rows = float(len(log.frame))
        problem = BUDGET.reserve(self._user, rows)
        if problem is not None:
            return problem
        self._launch(
            CalibrationState("waiting", message="Starting…"),
            self._work,
            (log, mapping, source, reps, options, rows),
            "calibrate-runner",
        )
        return None

    def _work(
        self,
        generation: int,
        cancel: threading.Event,
        log: RawLog,
        mapping: LogMapping,
        source: str,
        reps: int,
        options: FitOptions,
        reserved: float,
    ) -> None:
        started = time.monotonic()
        # Discovery, then (with a hold-out) the model and the baseline per replication.
        planned = 1 + 2 * reps if options.tested else 1

        def check() -> None:
            if cancel.is_set():
                raise Cancelled

        def emit(stage: Stage, done: int, message: str) -> None:
            check()
            self._emit(
                generation,
                CalibrationState(stage, done, planned, time.monotonic() - started, message),
            )

        try:
            emit("waiting", 0, "Waiting for a free worker…")
            with self._own_pool() as pool:
                check()

                def gate_started() -> None:  # on the gate's thread: report, never raise
                    self._emit(
                        generation,
                        CalibrationState(
                            "fitting",
                            0,
                            planned,
                            time.monotonic() - started,
                            "Taking the log apart and discovering the organisation…",
                        ),
                    )

                with GatedExecutor(pool, SLOTS, self._user, cancel, gate_started) as gate:
                    timeline, calibration, cut = gate.submit(
                        fit_log, log, mapping, source, options
                    ).result()
                    check()
                    scenario = to_scenario(calibration, source)
                    result = Calibrated(timeline, calibration, scenario, None)
                    fidelity: Fidelity | None = None
                    note = [UNTESTED]
                    if options.tested:
                        fidelity, note = self._test(result, cut, reps, gate, emit, reserved)
            emit("drawing", planned, "Drawing the charts…")
            elapsed = b""
            report = ""
            if fidelity is not None:
                result.fidelity = fidelity
                with matplotlib.rc_context(STYLE):
                    elapsed = png(figure_elapsed(fidelity.samples))
                # The report embeds the figure the page shows (drawn once).
                report = render_report(result, source, drawn={"elapsed": elapsed})
            notes = [*calibration.warnings, *(fidelity.notes if fidelity else []), *note]
            outcome = Outcome(
                calibration,
                scenario,
                fidelity,
                scenario_toml(calibration),
                report,
                elapsed,
                tuple(notes),
                options,
            )
            self._emit(
                generation,
                CalibrationState(
                    "done", planned, planned, time.monotonic() - started, "Done.", (), outcome
                ),
            )
        except (LogError, ScenarioError) as exc:
            self._emit(
                generation,
                CalibrationState("failed", message="", problems=tuple(exc.problems)),
            )
        except Exception as exc:
            self._report_failure(generation, cancel, exc, _failed, _failure)
        finally:
            cancel.set()
            BUDGET.release(self._user, reserved)

    def _test(
        self,
        result: Calibrated,
        cut: pd.Timestamp,
        reps: int,
        gate: GatedExecutor,
        emit: Callable[[Stage, int, str], None],
        reserved: float,
    ) -> tuple[Fidelity | None, list[str]]:
        """The fidelity check on the held-out cases, through `gate`; None and the reason
        when it is bigger than this server runs."""
        window = held_out_window(result.timeline, cut)
        model = held_out_scenario(result.scenario, window)
        size = max(
            effort(model), effort(held_out_scenario(naive_baseline(result.scenario), window))
        )
        if size > RUN_BUDGET:
            return None, [
                f"the fidelity check was not run: one run of the test window asks for about "
                f"{size:,.0f} events (allowed on this page: up to {RUN_BUDGET:,}; "
                "sim calibrate on the command line runs it)"
            ]
        events = 2 * reps * size
        refused = BUDGET.reserve(self._user, events)
        if refused is not None:
            return None, [f"the fidelity check was not run: {refused}"]
        total = 1 + 2 * reps
        try:
            emit("testing", 1, f"Simulating the test window: 0 of {2 * reps} runs done")

            def map_runs(jobs: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
                futures = {gate.submit(simulate, *job): i for i, job in enumerate(jobs)}
                out: dict[int, dict[str, Any]] = {}
                for future in as_completed(futures):
                    out[futures[future]] = future.result()
                    emit(
                        "testing",
                        1 + len(out),
                        f"Simulating the test window: {len(out)} of {len(jobs)} runs done",
                    )
                return [out[i] for i in range(len(jobs))]

            seeds = replication_seeds(SEED, reps)
            fidelity = measure(result.scenario, result.timeline, window, seeds, map_runs)
            emit("testing", total, "Comparing with the test cases…")
            return fidelity, []
        finally:
            BUDGET.release(self._user, events)


UNTESTED = (
    "no fidelity check: a hold-out share of 0 fits on every case and keeps none back to "
    "test the model on (as sim calibrate --holdout 0)"
)


def _failed(message: str) -> CalibrationState:
    return CalibrationState("failed", message=message)


def _failure(exc: BaseException) -> str:
    if isinstance(exc, BrokenProcessPool):
        return "The workers stopped unexpectedly (out of memory?). Try a smaller export."
    return failure_line(exc, "calibrating the export")
