"""Running a sweep: every planned run not yet on disk, on any executor, streamed to Parquet.

Runs travel to the workers in chunks of about `CHUNK_SECONDS` of work, so the cost of a task
(pickling, a round trip, one Parquet part) is small next to the work. Workers import `sim`
once, before the first task. Any `concurrent.futures.Executor` runs a sweep: a local process
pool (`local_executor`) or a Dask cluster (`dask_executor`, through `Client.get_executor()`),
both from `sim.executors`. Ctrl-C or a dead worker loses no finished run.
"""

from __future__ import annotations

import math
import time
import traceback
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.executors import ExecutorError, executor_workers, local_executor
from sim.progress import ProgressCallback
from sim.runner import run
from sim.scenario import Scenario, ScenarioError
from sim.signals import Stopped
from sim.sweeps.design import PlannedRun, Sweep
from sim.sweeps.store import (
    PARTS,
    locked,
    open_output,
    row_schema,
    scan_parts,
    set_aside,
    write_part,
)

CHUNK_SECONDS = 1.0
"""Work per task once run times are known: long enough that a task's cost is noise, short
enough that Ctrl-C loses little and the last tasks balance across workers."""


class SweepError(ExecutorError):
    """The sweep could not go on (a worker died); the finished runs are saved."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, SIGHUP) during a sweep; the finished runs are saved and the message
    says how to resume. `status`: the exit status the stop calls for."""

    def __init__(self, message: str, status: int = 130):
        super().__init__(message)
        self.status = status


def _run_chunk(
    base: Scenario, runs: list[PlannedRun], kpis: tuple[str, ...], allow_large: bool = False
) -> list[dict]:
    """Worker entry point: one row per run. A run that raises becomes an "error" row (a run
    over the size limits too, unless `allow_large`)."""
    rows = []
    for planned in runs:
        row: dict[str, Any] = {
            "run_id": planned.run_id,
            "replication": planned.replication,
            "seed": planned.seed,
            **planned.values,
        }
        start = time.perf_counter()
        try:
            scenario = base.with_overrides(planned.values, allow_large=allow_large)
            # A sweep's KPIs are those of every run (`RUN_KPIS`), never a reorganisation's
            # effect: the counterfactual that measures it would be run for nothing.
            numbers = run(
                scenario, planned.seed, sample_every_hours=None, counterfactual=False
            ).kpis
            row.update({k: numbers[k] for k in kpis}, status="ok", error=None)
        except Exception as exc:
            row.update(status="error", error=_error_text(exc))
        row["run_time_s"] = time.perf_counter() - start
        rows.append(row)
    return rows


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ScenarioError):
        problems = [p.removeprefix("<overrides>: ") for p in exc.problems]
        return "invalid scenario: " + "; ".join(problems)
    where = ""
    if exc.__traceback__ is not None:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f" (at {Path(frame.filename).name}:{frame.lineno} in {frame.name})"
    return f"{type(exc).__name__}: {exc}{where}"


@dataclass(frozen=True)
class SweepResult:
    out_dir: Path
    total: int
    """Distinct runs in the design."""
    skipped: int
    """Runs already on disk when this call started (resume)."""
    ran: int
    errors: int
    """Runs of this call recorded with status "error"."""
    elapsed_s: float
    notes: tuple[str, ...] = ()
    """What was found wrong in the folder and done about it (damaged parts set aside)."""

    @property
    def runs_per_minute(self) -> float:
        return 60 * self.ran / self.elapsed_s if self.elapsed_s > 0 else math.nan


def run_sweep(
    sweep: Sweep,
    out_dir: str | Path,
    executor: Executor | None = None,
    *,
    resume: bool = False,
    force_resume: bool = False,
    progress: ProgressCallback | None = None,
) -> SweepResult:
    """Run every run of `sweep` not yet in `out_dir`, appending rows to Parquet as chunks finish.

    `executor`: any `concurrent.futures.Executor`; its `workers` attribute (set by
    `local_executor` and `dask_executor`) sizes the chunks, else the CPU count is assumed.
    Default: a `local_executor` for this call. A folder that holds a sweep needs
    ``resume=True``, and then must hold *this* sweep, started by the same code
    (`code_version`): else `CodeChanged`, unless ``force_resume=True`` (which implies
    `resume`; the manifest then lists the code of every forced resume under
    ``resumed_with``). Raises `SweepInterrupted` on Ctrl-C and `SweepError` when a worker dies;
    in both cases the finished runs are kept and the same call with ``resume=True`` finishes
    the rest.
    """
    out = Path(out_dir)
    with locked(out):  # one writer per folder: a second `sim sweep` is refused at once
        schema = row_schema(sweep)
        try:
            parts = open_output(out, sweep, resume or force_resume, force_resume)
            found = scan_parts(parts, schema.names, schema)
            set_aside(out, found.damaged)  # their runs are missing now: they run again
        except OSError as exc:  # a full disk, a read-only folder
            raise SweepError(
                f"cannot write to {out} ({exc.strerror or exc}); make room (or choose another "
                "folder) and run the same sweep with --resume"
            ) from None
        notes = tuple(found.notes(out, moved=True))
        planned = sweep.runs()
        done = found.run_ids
        todo = [r for r in planned if r.run_id not in done]
        if executor is None:
            with local_executor() as pool:
                return _execute(sweep, todo, len(planned), out, pool, progress, notes)
        return _execute(sweep, todo, len(planned), out, executor, progress, notes)


def _execute(
    sweep: Sweep,
    todo: list[PlannedRun],
    total: int,
    out: Path,
    executor: Executor,
    progress: ProgressCallback | None,
    notes: tuple[str, ...],
) -> SweepResult:
    schema = row_schema(sweep)
    workers = executor_workers(executor)
    queue = deque(todo)
    pending: set[Future] = set()
    finished, ran, errors, run_seconds = total - len(todo), 0, 0, 0.0
    start = time.perf_counter()

    def chunk_size() -> int:
        if ran == 0:
            return 1
        per_run = max(run_seconds / ran, 1e-3)
        return max(1, min(int(CHUNK_SECONDS / per_run), math.ceil(len(queue) / workers)))

    def submit() -> None:
        # A few chunks per worker in flight: workers never wait, and Ctrl-C has little to cancel.
        while queue and len(pending) < 2 * workers:
            chunk = [queue.popleft() for _ in range(min(chunk_size(), len(queue)))]
            pending.add(
                executor.submit(_run_chunk, sweep.base, chunk, sweep.kpis, sweep.allow_large)
            )

    try:
        if progress is not None:
            progress(finished, total)
        submit()
        while pending:
            ready, _ = wait(pending, return_when=FIRST_COMPLETED)
            failure: BaseException | None = None
            for future in ready:
                pending.discard(future)
                try:
                    rows = future.result()
                except Exception as exc:  # the worker, not the run: runs record their errors
                    failure = failure or exc
                    continue
                try:
                    write_part(out / PARTS, rows, schema)
                except OSError as exc:  # a full disk, a folder gone or made read-only
                    raise SweepError(
                        f"cannot save runs in {out / PARTS} ({exc.strerror or exc}); {finished} "
                        f"of {total} runs are saved; make room and run the same sweep with "
                        "--resume to finish the rest"
                    ) from None
                finished += len(rows)
                ran += len(rows)
                errors += sum(row["status"] == "error" for row in rows)
                run_seconds += sum(row["run_time_s"] for row in rows)
            if failure is not None:
                raise SweepError(
                    f"a worker failed ({type(failure).__name__}: {failure}); {finished} of "
                    f"{total} runs are saved in {out}; run the same sweep with --resume to "
                    "finish the rest"
                ) from failure
            if progress is not None:
                progress(finished, total)
            submit()
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM / SIGHUP (`sim.signals.Stopped`)
        what = f"stopped ({exc.name})" if isinstance(exc, Stopped) else "interrupted"
        raise SweepInterrupted(
            f"{what}: {finished} of {total} runs are saved in {out}; run the same sweep "
            f"with --resume to finish the other {total - finished}",
            exc.status if isinstance(exc, Stopped) else 130,
        ) from None
    finally:
        for future in pending:
            future.cancel()
    elapsed = time.perf_counter() - start
    return SweepResult(out, total, total - len(todo), ran, errors, elapsed, notes)
