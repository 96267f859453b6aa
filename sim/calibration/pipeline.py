"""`calibrate`: from a log file to a validated "as is" scenario and its fidelity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.calibration.cases import Timeline, build_timeline
from sim.calibration.discovery import Calibration, FitWindow, discover
from sim.calibration.fidelity import (
    Fidelity,
    held_out_window,
    holdout_cut,
    measure,
    simulate,
)
from sim.calibration.mapping import LogError, LogMapping
from sim.calibration.readers import read_log
from sim.calibration.writer import to_scenario
from sim.scenario import Scenario

MIN_TEST_CASES = 2

Progress = Callable[[int, int], None]


@dataclass
class Calibrated:
    timeline: Timeline
    calibration: Calibration
    scenario: Scenario
    fidelity: Fidelity | None


def load_timeline(path: Path, mapping: LogMapping) -> Timeline:
    """Read and take apart a log; `LogError` when it cannot be calibrated from."""
    return timeline_of(read_log(path, mapping), mapping, str(path))


def timeline_of(table: pd.DataFrame, mapping: LogMapping, source: str) -> Timeline:
    """Take apart a canonical event table (`sim.calibration.readers`); `LogError` when it
    cannot be calibrated from."""
    timeline = build_timeline(table, mapping.states)
    if len(timeline.cases) < 2:
        raise LogError(
            [
                f"{source}: column {mapping.columns.team!r}: only {len(timeline.cases)} case "
                "names a team (allowed: at least 2 cases with a team)"
            ]
        )
    return timeline


def fit(
    timeline: Timeline,
    source: str,
    holdout: float,
    start_delays: bool = True,
    person_shifts: bool = False,
    fit_window: FitWindow = "auto",
) -> tuple[Calibration, pd.Timestamp]:
    """Discover the scenario on the cases that arrived before the cut (all of them when
    `holdout` is 0), in the stretch `fit_window` chooses; the cut is the midnight after which
    about `holdout` of the cases arrived."""
    cases = timeline.cases
    if holdout > 0:
        cut = holdout_cut(timeline, holdout)
        later = int((cases["arrival"] >= cut).sum())
        if later < MIN_TEST_CASES or later == len(cases):
            raise LogError(
                [
                    f"{source}: holdout {holdout:g}: the test window would hold {later} of "
                    f"{len(cases)} cases (allowed: a holdout leaving cases on both sides of a "
                    "midnight; a holdout of 0 fits on every case without a fidelity check)"
                ]
            )
    else:
        cut = (cases["arrival"].max() + pd.Timedelta(days=1)).normalize()
    return discover(timeline, cut, source, start_delays, person_shifts, fit_window), cut


def calibrate(
    path: Path,
    mapping: LogMapping,
    holdout: float = 0.2,
    reps: int = 5,
    seed: int = 1,
    workers: int = 1,
    progress: Progress | None = None,
    start_delays: bool = True,
    person_shifts: bool = False,
    fit_window: FitWindow = "auto",
) -> Calibrated:
    """Fit on the earlier cases (all of them when `holdout` is 0) and, with a holdout,
    measure the fidelity on the later ones with `reps` replications."""
    timeline = load_timeline(path, mapping)
    calibration, cut = fit(timeline, str(path), holdout, start_delays, person_shifts, fit_window)
    scenario = to_scenario(calibration, str(path))
    fidelity = None
    if holdout > 0:
        from sim.replications import replication_seeds

        window, seeds = held_out_window(timeline, cut), replication_seeds(seed, reps)
        fidelity = measure(scenario, timeline, window, seeds, _runner(workers, progress))
    return Calibrated(timeline, calibration, scenario, fidelity)


def _runner(workers: int, progress: Progress | None):
    def run_all(jobs: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        done = 0
        if progress is not None:
            progress(0, len(jobs))
        if workers == 1:
            out = []
            for job in jobs:
                out.append(simulate(*job))
                done += 1
                if progress is not None:
                    progress(done, len(jobs))
            return out
        from concurrent.futures import as_completed

        from sim.executors import local_executor

        with local_executor(workers) as pool:
            futures = {pool.submit(simulate, *job): i for i, job in enumerate(jobs)}
            results: dict[int, dict[str, Any]] = {}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                done += 1
                if progress is not None:
                    progress(done, len(jobs))
        return [results[i] for i in range(len(jobs))]

    return run_all
