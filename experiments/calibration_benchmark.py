"""Benchmark of `sim calibrate`: how long a 100,000-event log takes, on 2 worker processes.

    .venv/bin/python experiments/calibration_benchmark.py             # a generated 100k-event log
    .venv/bin/python experiments/calibration_benchmark.py --quick     # 10k events (smoke test)
    .venv/bin/python experiments/calibration_benchmark.py --log LOG --map MAP   # any log

The generated log is simulated by the model itself (`sim.run` with `events=True`): 10 teams of
8 people, 20 request types (one, two and three teams, some ping-pong), 90% right first time,
around the clock; its start times are dropped, so that touch times are estimated from when each
person was free, as in most ticket exports (the heavier path). The clock is wall time of the
whole `sim calibrate` command in a subprocess (reading, discovery, writing the scenario; then
with the fidelity check: 5 replications of the model and of the baseline on 2 workers),
because that is what a user waits for. The machine may be shared: the figure moves with load.
Exits 0 whatever the figures: PASS/MISS is information, not a test.
"""

from __future__ import annotations

import argparse
import gzip
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0
MAP = """
[columns]
case = "case"
activity = "outcome"
timestamp = "end_time"
team = "unit"
resource = "resource"

[states]
waiting = ["not resolved"]
"""


def generated_scenario(events: int):
    """A scenario whose event log has about `events` rows."""
    from sim.scenario import parse_scenario

    teams = [f"Team {i + 1}" for i in range(10)]
    types = []
    for team in teams:
        types.append({"name": f"{team} only", "share": 0.05, "tasks": [(team, 0.3)]})
    for i in range(8):
        route = [teams[i], teams[(i + 3) % 10]]
        types.append(
            {"name": " -> ".join(route), "share": 0.05, "tasks": [(t, 0.4) for t in route]}
        )
    for i in range(2):
        route = [teams[i], teams[i + 5], teams[i]]
        types.append(
            {"name": " -> ".join(route), "share": 0.05, "tasks": [(t, 0.25) for t in route]}
        )
    tasks_per_case = sum(t["share"] * len(t["tasks"]) for t in types) / 0.9
    per_day = 900.0
    days = max(7, math.ceil(events / (per_day * tasks_per_case)))
    raw = {
        "name": "calibration benchmark",
        "run": {"days": days, "warmup_days": 0, "hours_per_day": 24, "seed": 1},
        "demand": {
            "requests_per_day": per_day,
            "work_distribution": "lognormal",
            "work_cv": 1.2,
            "callback_delay_hours": 24.0,
            "request_types": [
                {
                    "name": t["name"],
                    "share": t["share"],
                    "expected_hours": 8.0,
                    "tasks": [{"skill": s, "hours": h} for s, h in t["tasks"]],
                }
                for t in types
            ],
        },
        "workforce": [{"skill": team, "headcount": 8} for team in teams],
        "policies": {
            "handoff_delay_hours": 1.0,
            "handoff_info_loss": 0.0,
            "misrouting": 0.0,
            "help_across_units": 0.0,
            "first_contact_resolution": 0.9,
            "engagement_effect": 0.0,
            "customer_metric_weight": 1.0,
        },
        "managers": {"encounters_per_week": 0.0},
    }
    return parse_scenario(raw, "<benchmark>")


def generate(path: Path, events: int) -> int:
    from sim.runner import run

    log = run(generated_scenario(events), events=True, sample_every_hours=None).events
    assert log is not None
    log = log.drop(columns=["start_time", "start", "enqueue"])
    path.write_bytes(gzip.compress(log.to_csv(index=False).encode("utf-8"), mtime=0))
    return len(log)


def timed(args: list[str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "sim", "calibrate", *args], capture_output=True, text=True
    )
    return time.perf_counter() - start, out.returncode, out.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 events instead of 100,000")
    parser.add_argument("--log", type=Path, help="time this log instead of a generated one")
    parser.add_argument("--map", type=Path, help="its --map file")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if options.log is None:
            log, mapping = tmp / "events.csv.gz", tmp / "map.toml"
            mapping.write_text(MAP, encoding="utf-8")
            started = time.perf_counter()
            rows = generate(log, 10_000 if options.quick else 100_000)
            print(f"generated {rows:,} events in {time.perf_counter() - started:.1f} s")
        else:
            log, mapping = options.log, options.map
            print(f"log: {log}")
        base = [str(log), "--out", str(tmp / "as-is.toml")]
        if mapping is not None:
            base += ["--map", str(mapping)]
        runs = {
            "discovery only (--holdout 0)": [*base, "--holdout", "0"],
            "with fidelity (5 reps, 2 workers)": [*base, "--reps", "5", "--workers", "2"],
        }
        print(f"{'case':<36} {'seconds':>8}  target  result")
        for label, args in runs.items():
            seconds, status, stderr = timed(args)
            if status != 0:
                print(f"{label:<36} failed (exit {status}): {stderr.strip().splitlines()[-1]}")
                continue
            verdict = "PASS" if seconds < TARGET_SECONDS else "MISS"
            print(f"{label:<36} {seconds:8.1f}  < {TARGET_SECONDS:.0f} s  {verdict}")
        summary = [line for line in stderr.splitlines() if " events in " in line]
        if summary:
            print(summary[-1])
    print("(wall-clock time on a machine that may be shared with other work)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
