"""Replications of one scenario: their seeds, what is kept of each run, and running them.

A run is a pure function of (scenario, seed). Seeds come from
`numpy.random.SeedSequence(root_seed).spawn(n)` (`replication_seeds`): the first n seeds of a
longer list are the seeds of a shorter one, so adding replications never changes the earlier
ones. The seeds are recorded with every replication and in every table.

Extension point: what is kept of a run is decided by a *summariser* (`summarise_run` by
default), a top-level function ``RunResult -> Replication`` that `replicate` and
`sim.replications.compare` accept. Other transient analyses plug in there by keeping what they
need in `Replication.extra`, without changing how replications are scheduled, seeded or run in
parallel. For a run with a reorganisation, `summarise_run` keeps the small per-day series a
J-curve needs (`reorganisation_series`).

A reorganisation's counterfactual (the same scenario without its events, same seed) is run
once per plan of runs (`plan_counterfactuals`): the "stay" side of a comparison gives it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.executors import cpu_count, executor_workers, local_executor
from sim.progress import ProgressCallback
from sim.runner import RunResult, counterfactual_key, run
from sim.scenario import Scenario


def replication_seeds(root_seed: int, n: int) -> list[int]:
    """`n` independent replication seeds derived from `root_seed` (SeedSequence spawning).

    Deterministic, and prefix-stable: ``replication_seeds(r, n)[:m] == replication_seeds(r, m)``.
    Each seed is a 32-bit integer (easy to pass back to ``sim run --seed``).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0 (got {n})")
    children = np.random.SeedSequence(int(root_seed)).spawn(n)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


@dataclass(eq=False)
class Replication:
    """What an experiment keeps of one run: KPIs, per-request samples, the unit table."""

    seed: int
    kpis: dict[str, Any]
    resolution_hours: np.ndarray
    """Resolution time (working hours) of each resolved counted request."""
    csat: np.ndarray
    """Satisfaction score (1-5) of each closed counted request, abandoned ones included."""
    rating: np.ndarray
    """Survey rating (whole number 1-5) of each closed counted request."""
    units: pd.DataFrame
    """Per unit: unit, headcount, utilisation."""
    warnings: list[str] = field(default_factory=list)
    reorg_daily: pd.DataFrame | None = None
    """For a run with a reorganisation (None otherwise): one row per arrival day from the end
    of the warm-up to the horizon (`run.days`), columns `REORG_DAILY_COLUMNS`: the customers'
    mean resolution time (hours), their summed resolution time (customer hours) and outcome
    hours (`sim.metrics.outcome_hours`), their mean CSAT, how many arrived and gave up, with the
    reorganisation and (``*_without``) for the same customers without it."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Whatever a custom summariser adds (see the module docstring)."""

    @property
    def stable(self) -> bool:
        return bool(self.kpis.get("stable", True))


REORG_DAILY_COLUMNS: tuple[str, ...] = (
    "day",
    "resolution_hours_mean",
    "resolution_hours_mean_without",
    "customer_hours",
    "customer_hours_without",
    "csat_mean",
    "csat_mean_without",
    "outcome_hours",
    "outcome_hours_without",
    "arrived",
    "arrived_without",
    "abandoned",
    "abandoned_without",
)
"""Columns of `Replication.reorg_daily`."""

_REORG_SERIES = (
    "resolution_hours_mean",
    "customer_hours",
    "csat_mean",
    "outcome_hours",
    "arrived",
    "abandoned",
)


def reorganisation_series(result: RunResult) -> pd.DataFrame | None:
    """The per-day series a J-curve needs, from a run with a counterfactual (else None)."""
    if result.counterfactual is None:
        return None
    run_settings = result.scenario.run
    days = pd.DataFrame({"day": np.arange(run_settings.warmup_days, run_settings.days)})
    columns = ["day", *_REORG_SERIES]
    frame = days.merge(result.daily[columns], on="day", how="left").merge(
        result.counterfactual[columns], on="day", how="left", suffixes=("", "_without")
    )
    return frame[list(REORG_DAILY_COLUMNS)].astype({"day": np.int64})


def summarise_run(result: RunResult) -> Replication:
    """The default summariser: keep what comparisons and reports need, drop the big frames
    (for a reorganisation, the small per-day series of `reorganisation_series`)."""
    requests = result.requests
    done = requests[~requests["abandoned"]]
    return Replication(
        seed=int(result.seed),
        kpis=dict(result.kpis),
        resolution_hours=done["resolution_hours"].to_numpy(dtype=np.float64, copy=True),
        csat=requests["csat"].to_numpy(dtype=np.float64, copy=True),
        rating=requests["rating"].to_numpy(dtype=np.int8, copy=True),
        units=result.units[["unit", "headcount", "utilisation"]].reset_index(drop=True),
        warnings=list(result.warnings),
        reorg_daily=reorganisation_series(result),
    )


Summariser = Callable[[RunResult], Replication]


def _run_chunk(
    scenario: Scenario,
    runs: Sequence[tuple[int, pd.DataFrame | None, bool]],
    summarise: Summariser,
) -> list[tuple[Replication, pd.DataFrame | None]]:
    """Worker entry point (top level, so that worker processes can import it). `runs`: per run,
    the seed, its counterfactual's `daily` table when another job has run it (None: run it
    here), and whether to send back the `daily` table another job reuses (`Plan.keep`)."""
    out = []
    for seed, without, keep in runs:
        result = run(scenario, seed=seed, sample_every_hours=None, without=without)
        out.append((summarise(result), result.daily_without_events if keep else None))
    return out


Job = tuple[int, Scenario, int]
"""(key, scenario, seed): one replication of one scenario (`run_jobs`)."""


@dataclass(frozen=True)
class Plan:
    """Which runs of a list of jobs give another job's counterfactual.

    A run of a scenario with a reorganisation also runs the same scenario without it on the
    same seed (`sim.runner.run`). When the jobs run that scenario without its events on that
    seed anyway (the organisation as it stands, the "stay" side of a comparison), or another
    reorganisation of the same organisation is measured against the same counterfactual, the
    counterfactual is taken from that run instead of simulated again: the same scenario (but
    its labels) and the same seed give the same run, bit for bit (`counterfactual_key`)."""

    jobs: int
    source: dict[int, int]
    """Job index -> the job whose run gives its counterfactual."""

    @property
    def keep(self) -> frozenset[int]:
        """Jobs whose counterfactual another job reuses."""
        return frozenset(self.source.values())

    @property
    def order(self) -> list[int]:
        """Every job, the sources before the jobs that reuse them, else in the jobs' order."""
        return [i for i in range(self.jobs) if i not in self.source] + list(self.source)


def plan_counterfactuals(jobs: Sequence[Job]) -> Plan:
    """The `Plan` of `jobs`: of the jobs with one counterfactual key, the first without events
    (its run *is* the counterfactual) or else the first with events runs it; the jobs with
    events among the others reuse it."""
    keys = [counterfactual_key(scenario, seed) for _, scenario, seed in jobs]
    source: dict[tuple[str, int], int] = {}
    for i, key in enumerate(keys):
        if key not in source or (jobs[source[key]][1].events and not jobs[i][1].events):
            source[key] = i
    return Plan(
        len(jobs),
        {i: source[key] for i, key in enumerate(keys) if jobs[i][1].events and source[key] != i},
    )


@contextmanager
def executor_for(workers: int, executor: Executor | None) -> Iterator[Executor | None]:
    """The executor to use: the caller's, a fresh `local_executor` (stopped at once on Ctrl-C
    or an error), or None (serial, for ``workers == 1``)."""
    if executor is not None:
        yield executor
        return
    if workers <= 0:
        workers = cpu_count()
    if workers == 1:
        yield None
        return
    with local_executor(workers) as pool:
        yield pool


def run_jobs(
    jobs: Sequence[Job],
    pool: Executor | None,
    summarise: Summariser,
    tick: Callable[[int], None],
    max_chunk: int = 4,
) -> dict[tuple[int, int], Replication]:
    """Run (key, scenario, seed) jobs; results by (key, seed). Order-independent, so the
    process pool gives exactly the serial results. A pool's tasks are chunks of at most
    `max_chunk` runs of one scenario. A counterfactual that another job's run gives
    (`plan_counterfactuals`) is not run again: a job that reuses one is sent out once its
    source has finished. `tick(n)`: n more jobs finished."""
    plan = plan_counterfactuals(jobs)
    keep = plan.keep
    kept: dict[int, pd.DataFrame] = {}
    out: dict[tuple[int, int], Replication] = {}

    def task(i: int) -> tuple[int, pd.DataFrame | None, bool]:
        source = plan.source.get(i)
        return jobs[i][2], None if source is None else kept[source], i in keep

    def record(chunk: list[int], results: list[tuple[Replication, pd.DataFrame | None]]) -> None:
        for i, (replication, daily) in zip(chunk, results, strict=True):
            out[(jobs[i][0], jobs[i][2])] = replication
            if daily is not None:
                kept[i] = daily
        tick(len(chunk))

    if pool is None:
        for i in plan.order:
            record([i], _run_chunk(jobs[i][1], [task(i)], summarise))
        return out
    workers = executor_workers(pool)
    size = max(1, min(max_chunk, math.ceil(len(jobs) / (4 * workers))))
    waiting: list[list[int]] = []  # chunks of one scenario, either reusing or not
    for i in plan.order:
        last = waiting[-1] if waiting else None
        if (
            last is not None
            and jobs[last[0]][0] == jobs[i][0]
            and (last[0] in plan.source) == (i in plan.source)
            and len(last) < size
        ):
            last.append(i)
        else:
            waiting.append([i])
    futures: dict[Future, list[int]] = {}

    def ready(chunk: list[int]) -> bool:
        return all(plan.source[i] in kept for i in chunk if i in plan.source)

    def submit_ready() -> None:
        for chunk in [c for c in waiting if ready(c)]:
            waiting.remove(chunk)
            tasks = [task(i) for i in chunk]
            futures[pool.submit(_run_chunk, jobs[chunk[0]][1], tasks, summarise)] = chunk

    try:
        submit_ready()
        while futures:
            finished, _ = wait(futures, return_when=FIRST_COMPLETED)
            for future in finished:
                record(futures.pop(future), future.result())
            submit_ready()
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return out


def replicate(
    scenario: Scenario,
    seeds: Sequence[int],
    workers: int = 1,
    *,
    executor: Executor | None = None,
    summarise: Summariser = summarise_run,
    progress: ProgressCallback | None = None,
) -> list[Replication]:
    """Run `scenario` once per seed; one `Replication` per seed, in the order of `seeds`.

    ``workers > 1`` runs on a fresh `sim.executors.local_executor` (``workers <= 0``: one per
    CPU); any `concurrent.futures.Executor` (a `local_executor` kept for several calls, or
    `sim.executors.dask_executor`) can be passed instead. Results are identical to a serial
    run. Like every process pool, a script that calls this with ``workers > 1`` needs the
    ``if __name__ == "__main__":`` guard.
    """
    seeds = [int(s) for s in seeds]
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, len(seeds))

    with executor_for(workers, executor) as pool:
        results = run_jobs([(0, scenario, s) for s in seeds], pool, summarise, tick)
    return [results[(0, s)] for s in seeds]
