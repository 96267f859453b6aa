"""Sweep benchmark: throughput against workers, per-run overhead, and memory over a long sweep.

    .venv/bin/python experiments/sweep_benchmark.py            # about 2-3 minutes on 2 cores
    .venv/bin/python experiments/sweep_benchmark.py --quick    # smaller sizes, under a minute
    .venv/bin/python experiments/sweep_benchmark.py --dask     # also a Dask LocalCluster row

(a) Throughput: a sweep of runs of about `--run-seconds` (the functional preset, its length
    calibrated on this machine so one run takes that long) on a warm process pool of 1 and of 2
    workers: runs per minute and the speed-up. Target: >= 1.7x on 2 workers for runs of 1 s+.
    The "worker CPU" column is the CPU time the workers got over workers x wall time: on a
    shared machine it falls below 100% and caps the speed-up whatever the sweep does, so the
    summary also projects the idle-machine speed-up from the CPU time per run (for information).
(b) Overhead: near-empty runs (one working day, few requests) on warm workers. Overhead per run
    = (workers x wall time - the time spent inside the runs) / runs: what the sweep adds to the
    simulation (task transfer, scheduling, Parquet parts, the idle tail). Target: < 50 ms.
(c) Memory: the resident memory of this process (which collects and writes every row) and of
    each worker, sampled every 0.2 s during a long sweep of near-empty runs. Flat means the growth
    from the first tenth of the sweep to its end stays under `MEMORY_GROWTH_MIB`.

Pools are warmed (a small sweep) before any timing, so start-up (forking workers from a server
that imports `sim`) is not counted; it is reported separately. Wall time, not CPU time, is
measured: a speed-up is a wall-time figure. The machine's load average is printed, because other
processes on a shared machine take cores from the workers. Exit status 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from pathlib import Path

import psutil

from sim import load_scenario, run
from sim.executors import dask_executor, local_executor
from sim.progress import ProgressCallback
from sim.sweeps import Sweep, load_runs, load_spec, run_sweep

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONAL = ROOT / "scenarios" / "functional.toml"
SPEEDUP_TARGET = 1.7
OVERHEAD_TARGET_MS = 50.0
MEMORY_GROWTH_MIB = 25.0
MIB = 2**20


def spec(folder: Path, name: str, runs: int, overrides: dict[str, float | int]) -> Sweep:
    """A sweep of `runs` replications of the functional preset with `overrides`."""
    lines = [
        f'name = "benchmark {name}"',
        f'base = "{FUNCTIONAL}"',
        f"replications = {runs}",
        "seed = 1",
        'kpis = ["resolution_hours_mean", "csat_mean", "fcr", "payroll_per_resolved"]',
        "[set]",
        *(f"{key} = {value}" for key, value in overrides.items()),
        "[[factors]]",
        'key = "policies.handoff_delay_hours"',
        "values = [0.5]",
    ]
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_spec(path)


TINY = {"run.days": 1, "run.warmup_days": 0, "demand.requests_per_day": 20}
"""Near-empty runs: one working day of 20 requests (the model is built, run and summarised)."""


def calibrate_days(seconds: float) -> int:
    """Run length (days) for which one functional run takes about `seconds` here, now."""
    base = load_scenario(FUNCTIONAL)
    days = 20
    scenario = base.with_overrides(**{"run.days": days})
    run(scenario, 1)  # warm caches and imports
    took = statistics.median(_timed(lambda: run(scenario, 1)) for _ in range(3))
    return max(days, min(3650, math.ceil(days * seconds / took)))


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def timed_sweep(
    sweep: Sweep,
    executor: Executor,
    folder: Path,
    label: str,
    progress: ProgressCallback | None = None,
) -> dict[str, float]:
    out = folder / label
    cpu_before = _children_cpu()
    result = run_sweep(sweep, out, executor, progress=progress)
    cpu_after = _children_cpu()
    busy = sum(cpu_after[pid] - cpu_before[pid] for pid in cpu_after.keys() & cpu_before.keys())
    runs = load_runs(out)
    parts = len(list((out / "parts").glob("part-*.parquet")))
    inside = float(runs["run_time_s"].sum())
    workers = executor.workers  # type: ignore[attr-defined]  # set by the sim.executors executors
    return {
        "runs": result.ran,
        "wall_s": result.elapsed_s,
        "runs_per_minute": result.runs_per_minute,
        "mean_run_s": inside / result.ran,
        "overhead_ms": 1000 * (workers * result.elapsed_s - inside) / result.ran,
        "runs_per_chunk": result.ran / parts,
        "worker_cpu": busy / (workers * result.elapsed_s),
        "cpu_per_run_s": busy / result.ran,
        "errors": result.errors,
    }


def _children_cpu() -> dict[int, float]:
    """CPU seconds (user + system) used so far by each process this one started, by pid."""
    used = {}
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        used[child.pid] = times.user + times.system
    return used


def warm(executor: Executor, folder: Path, label: str, workers: int) -> float:
    """Start the workers with a small sweep; returns how long that took."""
    start = time.perf_counter()
    run_sweep(spec(folder, f"warm-{label}", 4 * workers, TINY), folder / f"warm-{label}", executor)
    return time.perf_counter() - start


class Sampler:
    """RSS of this process and of its worker processes, every `interval` seconds."""

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.me = psutil.Process()
        self.samples: list[tuple[float, int, dict[int, int]]] = []  # (done share, rss, workers)
        self.done = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def progress(self, done: int, total: int) -> None:
        self.done = done / total if total else 1.0

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            workers = {}
            for child in self.me.children(recursive=True):
                try:
                    workers[child.pid] = child.memory_info().rss
                except psutil.Error:
                    continue
            self.samples.append((self.done, self.me.memory_info().rss, workers))

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def growth(self) -> tuple[float, float, float, float]:
        """(parent MiB early, parent growth MiB, worst worker MiB early, worst worker growth):
        early = the median of the samples taken in the first tenth of the sweep; growth = the
        largest later sample minus early."""
        early = [s for s in self.samples if s[0] <= 0.1] or self.samples[:1]
        parent_early = statistics.median(s[1] for s in early)
        parent_growth = max(s[1] for s in self.samples) - parent_early
        worst_early, worst_growth = 0.0, -math.inf
        pids = set().union(*(s[2] for s in self.samples))
        for pid in pids:
            series = [(d, w[pid]) for d, _, w in self.samples if pid in w]
            first = [rss for d, rss in series if d <= 0.1] or [series[0][1]]
            base = statistics.median(first)
            grown = max(rss for _, rss in series) - base
            if grown > worst_growth:
                worst_early, worst_growth = base, grown
        return parent_early / MIB, parent_growth / MIB, worst_early / MIB, worst_growth / MIB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test)")
    parser.add_argument("--dask", action="store_true", help="also time a Dask LocalCluster")
    parser.add_argument("--run-seconds", type=float, default=1.2, help="length of a run in (a)")
    args = parser.parse_args(argv)
    long_runs = 8 if args.quick else 16
    tiny_runs = 100 if args.quick else 300
    memory_runs = 400 if args.quick else 3000

    print(
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs; "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min)"
    )
    days = calibrate_days(args.run_seconds)
    print(f"(a) runs of ~{args.run_seconds:g} s: the functional preset for {days} working days")

    rows: dict[str, dict[str, float]] = {}
    sampler = Sampler()
    starts: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="sweep-benchmark-") as tmp:
        folder = Path(tmp)
        long_sweep = spec(folder, "long", long_runs, {"run.days": days})
        tiny_sweep = spec(folder, "tiny", tiny_runs, TINY)
        pools: list[tuple[str, int, AbstractContextManager]] = [
            ("pool", 1, local_executor(1)),
            ("pool", 2, local_executor(2)),
        ]
        if args.dask:
            pools.append(("dask", 2, dask_executor(local_workers=2)))
        for kind, workers, pool in pools:
            label = f"{kind}-{workers}"
            with pool as executor:
                starts[label] = warm(executor, folder, label, workers)
                rows[f"{label} long"] = timed_sweep(long_sweep, executor, folder, f"{label}-long")
                rows[f"{label} tiny"] = timed_sweep(tiny_sweep, executor, folder, f"{label}-tiny")
                if kind == "pool" and workers == 2:
                    memory_sweep = spec(folder, "memory", memory_runs, TINY)
                    with sampler:
                        rows["memory"] = timed_sweep(
                            memory_sweep, executor, folder, "memory", sampler.progress
                        )
            print(f"    {label}: warm-up (start workers, first sweep) {starts[label]:.1f} s")

    print()
    header = f"{'sweep':<16}{'runs':>6}{'wall s':>9}{'runs/min':>10}{'run s':>8}"
    print(header + f"{'overhead ms':>13}{'runs/chunk':>12}{'worker CPU':>12}")
    for name, r in rows.items():
        print(
            f"{name:<16}{r['runs']:>6.0f}{r['wall_s']:>9.2f}{r['runs_per_minute']:>10.1f}"
            f"{r['mean_run_s']:>8.3f}{r['overhead_ms']:>13.1f}{r['runs_per_chunk']:>12.1f}"
            f"{r['worker_cpu']:>12.0%}"
        )
    print(
        "worker CPU: CPU time the workers got / (workers x wall time); below ~90% other "
        "processes took cores from them"
    )
    speedup = rows["pool-2 long"]["runs_per_minute"] / rows["pool-1 long"]["runs_per_minute"]
    # What the CPU time allows when every worker has a core of its own: workers x (CPU per run
    # on 1 worker / CPU per run on 2). Informational: it assumes an idle machine.
    projected = 2 * rows["pool-1 long"]["cpu_per_run_s"] / rows["pool-2 long"]["cpu_per_run_s"]
    overhead = max(rows["pool-1 tiny"]["overhead_ms"], rows["pool-2 tiny"]["overhead_ms"])
    parent0, parent_growth, worker0, worker_growth = sampler.growth()
    print(
        f"\n(c) {memory_runs} near-empty runs on 2 workers, {len(sampler.samples)} samples: "
        f"this process {parent0:.0f} MiB early, +{parent_growth:.1f} MiB at most later; "
        f"worst worker {worker0:.0f} MiB early, +{worker_growth:.1f} MiB"
    )
    mean_run = rows["pool-1 long"]["mean_run_s"]
    summary = [
        (
            f"(a) speed-up, 2 workers vs 1 (runs of {mean_run:.2f} s)",
            f"{speedup:.2f}x",
            f">= {SPEEDUP_TARGET}x",
            speedup >= SPEEDUP_TARGET,
        ),
        (
            "(a) projected speed-up on idle cores (from CPU time per run)",
            f"{projected:.2f}x",
            "(info)",
            None,
        ),
        (
            "(b) overhead per run, warm workers (worst of 1, 2)",
            f"{overhead:.1f} ms",
            f"< {OVERHEAD_TARGET_MS:g} ms",
            overhead < OVERHEAD_TARGET_MS,
        ),
        (
            "(c) memory growth, this process",
            f"{parent_growth:.1f} MiB",
            f"< {MEMORY_GROWTH_MIB:g} MiB",
            parent_growth < MEMORY_GROWTH_MIB,
        ),
        (
            "(c) memory growth, worst worker",
            f"{worker_growth:.1f} MiB",
            f"< {MEMORY_GROWTH_MIB:g} MiB",
            worker_growth < MEMORY_GROWTH_MIB,
        ),
    ]
    print(f"\n{'figure':<62}{'value':>9}  {'target':<10}  result")
    for figure, value, target, ok in summary:
        result = "" if ok is None else "PASS" if ok else "MISS"
        print(f"{figure:<62}{value:>9}  {target:<10}  {result}")
    share = rows["pool-2 long"]["worker_cpu"]
    if share < 0.9:
        print(
            f"note: on 2 workers each worker got {share:.0%} of a core (load average now "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs): other processes shared the "
            "cores, so this speed-up understates an idle machine's."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
