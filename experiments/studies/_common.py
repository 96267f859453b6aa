"""Shared helpers of the studies in this folder: command line, scenarios, parallel runs, tables,
figures.

Every study script (`pooling.py`, `cross_training.py`, `break_even.py`, `jcurve.py`) imports
this module from its own folder (a script's folder is first on `sys.path`; the tests put it
there too), so worker processes find the summarisers defined here by name.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd

from sim.executors import local_executor
from sim.replications import estimate, replication_seeds
from sim.runner import RunResult, run
from sim.scenario import NEUTRAL, Scenario, parse_scenario
from sim.sweeps import Sweep, load_spec

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_OUT = HERE / "results"
"""Where the full studies write their figure and table (`--out` to change)."""
QUICK_OUT = ROOT / "out" / "studies-quick"
"""Where `--quick` writes by default (git-ignored), so a smoke run never overwrites results."""

OKABE_ITO = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
]
"""Okabe & Ito (2008) colour-blind-safe palette; lines also differ by marker and dash."""
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
DASHES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1))]


# --------------------------------------------------------------------------------------------
# Command line


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="small run for tests (seconds)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"output folder (default {DEFAULT_OUT.relative_to(ROOT)}, "
        f"or {QUICK_OUT.relative_to(ROOT)} with --quick)",
    )
    p.add_argument(
        "--workers", type=int, default=2, help="worker processes (default 2; 1 = serial)"
    )
    return p


def out_dir(out: Path | None, quick: bool) -> Path:
    folder = Path(out) if out is not None else (QUICK_OUT if quick else DEFAULT_OUT)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def print_checks(verdicts: Sequence[tuple[str, bool, str]]) -> None:
    """One line per (what, passed, numbers) check: PASS or MISS."""
    for what, ok, numbers in verdicts:
        print(f"{'PASS' if ok else 'MISS'}  {what}: {numbers}")


# --------------------------------------------------------------------------------------------
# Scenarios and sweeps


def neutral(section: str, **changes: Any) -> dict[str, Any]:
    """A scenario section with every mechanism at its neutral value (validation mode)."""
    return {**NEUTRAL[section], **changes}


def validation_scenario(
    name: str,
    *,
    days: int,
    warmup_days: int,
    per_hour: float,
    request_types: list[dict[str, Any]],
    workforce: list[dict[str, Any]],
    structure: dict[str, Any],
    policies: dict[str, Any],
    callback_delay_hours: float = 0.0,
    source: str | None = None,
) -> Scenario:
    """Validation mode around the clock: 24-hour days, Poisson arrivals (`per_hour`),
    exponential work, no abandonment, people and managers neutral; `policies` in full."""
    raw = {
        "name": name,
        "run": {
            "days": days,
            "warmup_days": warmup_days,
            "hours_per_day": 24.0,
            "drain_limit_days": 60.0,
        },
        "demand": {
            "requests_per_day": per_hour * 24.0,
            "work_distribution": "exponential",
            "patience_hours": 0.0,
            "callback_delay_hours": callback_delay_hours,
            "request_types": request_types,
        },
        "workforce": workforce,
        "structure": structure,
        "policies": policies,
        "people": neutral("people"),
        "managers": neutral("managers"),
    }
    return parse_scenario(raw, source=name if source is None else source)


def load_sweep(spec: Path, quick: dict[str, int] | None = None) -> Sweep:
    """A study's sweep file; for --quick, `quick` ({"days": ..., "replications": ...}) makes
    its runs shorter and its seeds fewer."""
    sweep = load_spec(spec)
    if quick is None:
        return sweep
    base = sweep.base.with_overrides(**{"run.days": quick["days"]})
    seeds = tuple(replication_seeds(sweep.spec.seed, quick["replications"]))
    return dataclasses.replace(sweep, base=base, seeds=seeds)


# --------------------------------------------------------------------------------------------
# Running many (scenario, seed) jobs on one executor


@contextmanager
def executor(workers: int) -> Iterator[Executor | None]:
    """A local process pool of `workers`, or None (run serially) for 1 worker."""
    if workers > 1:
        with local_executor(workers) as pool:
            yield pool
    else:
        yield None


def kpis_only(result: RunResult) -> dict[str, Any]:
    """Summariser: the run's KPIs (small to send back from a worker)."""
    return dict(result.kpis)


def _job(scenario: Scenario, seed: int, summarise: Callable[[RunResult], Any]) -> Any:
    return summarise(run(scenario, seed, sample_every_hours=None))


def run_jobs(
    jobs: Sequence[tuple[Scenario, int]],
    summarise: Callable[[RunResult], Any] = kpis_only,
    executor: Executor | None = None,
) -> list[Any]:
    """Run every (scenario, seed) job, in parallel when an executor is given; results in job
    order. `summarise` must be a top-level function (workers import it by name)."""
    if executor is None:
        return [_job(s, seed, summarise) for s, seed in jobs]
    futures = [executor.submit(_job, s, seed, summarise) for s, seed in jobs]
    return [f.result() for f in futures]


class Timer:
    """Wall-clock seconds of a study (printed with its table)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start

    def __str__(self) -> str:
        return f"{self.seconds:.0f} s wall"


# --------------------------------------------------------------------------------------------
# Statistics, tables, figures


def mean_ci(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and 95% t-interval (NaN bounds with fewer than 2 finite values)."""
    e = estimate(values)
    return e.mean, e.ci_low, e.ci_high


def within_target(values: Sequence[float], target: float, rel: float = 0.03) -> bool:
    """The default tolerance of docs/domain-notes.md §7: the target inside the 95% CI of the
    mean, or the mean within `rel` of it."""
    mean, low, high = mean_ci(values)
    inside = math.isfinite(low) and low <= target <= high
    return inside or abs(mean / target - 1.0) <= rel


def write_table(frame: pd.DataFrame, path: Path, title: str, floatfmt: str = "{:.4g}") -> None:
    """Write the table as CSV and print it."""
    frame.to_csv(path, index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 50):
        text = frame.to_string(
            index=False, float_format=lambda x: floatfmt.format(x) if np.isfinite(x) else "-"
        )
    print(f"\n{title}\n{text}\n-> {path}")
    sys.stdout.flush()


def save_figure(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    import matplotlib.pyplot as plt

    plt.close(fig)
    print(f"-> {path}")


# --------------------------------------------------------------------------------------------
# Summarisers (top level here, so that worker processes can import them by name)


def wait_summary(result: RunResult) -> dict[str, Any]:
    """Queue waits of a run: mean, P(wait), and the mean wait of the customers who arrived in
    the first and in the last fifth of the measurement window (a growing queue shows as a
    last/first ratio far above 1)."""
    k = result.kpis
    done = result.requests[~result.requests["abandoned"]]
    hours = result.scenario.run.hours_per_day
    low, high = result.scenario.run.warmup_days * hours, result.scenario.run.days * hours
    fifth = (high - low) / 5
    arrived = done["arrived"]
    first = done.loc[arrived < low + fifth, "queue_hours"]
    last = done.loc[arrived >= high - fifth, "queue_hours"]
    return {
        "wait": float(k["wait_hours_mean"]),
        "p_wait": float((done["queue_hours"] > 0).mean()),
        "wait_first_fifth": float(first.mean()),
        "wait_last_fifth": float(last.mean()),
        "help_share": float(k["help_share"]),
        "stable": bool(k["stable"]),
        "unstable_reason": k["unstable_reason"],
        "utilisation_by_unit": dict(k["utilisation_by_unit"]),
    }


def resolution_summary(result: RunResult) -> dict[str, Any]:
    """Mean resolution time and the run's flags (break-even study)."""
    k = result.kpis
    return {
        "resolution": float(k["resolution_hours_mean"]),
        "contacts": float(k["contacts_per_request"]),
        "utilisation": float(k["utilisation"]),
        "stable": bool(k["stable"]),
    }


def jcurve_summary(result: RunResult) -> dict[str, Any]:
    """The reorganisation KPIs and the daily series, with and without the reorganisation."""
    keep = ["day", "resolution_hours_mean", "customer_hours", "arrived"]
    return {
        "kpis": {k: v for k, v in result.kpis.items() if k.startswith("reorg_")}
        | {"stable": bool(result.kpis["stable"])},
        "daily": result.daily[keep].copy(),
        "counterfactual": result.counterfactual[keep].copy(),
    }
