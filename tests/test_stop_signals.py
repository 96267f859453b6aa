"""Stopping `sim sweep` and `sim compare --reps` with real signals, in real processes.

SIGTERM (what ``kill``, ``timeout``, service managers and CI send) must do what Ctrl-C does:
keep the finished runs, say so in one line, leave nothing running. SIGKILL cannot be handled
at all, so the workers must notice by themselves that the process that started them is gone.
Before issue 14, both left the fork server, the workers and the resource tracker alive (about
510 MB) indefinitely, and SIGTERM printed nothing.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sweep_specs import sweep_toml

DATA = Path(__file__).parent / "data" / "cli"
SMALL = DATA / "small.toml"
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def children() -> dict[int, list[int]]:
    """Every process's children, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        if fields[0] != "Z":  # a zombie holds no memory: it only waits to be reaped
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def descendants(pid: int) -> set[int]:
    tree, found, todo = children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of `pids` still running (not gone, not zombies)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if state[state.rindex(")") + 2] != "Z":
            running.add(pid)
    return running


def start(*args: str | Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_workers(process: subprocess.Popen, workers: int, timeout: float = 90) -> set[int]:
    """The process's descendants once `workers` workers (children of its fork server) run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        tree = descendants(process.pid)
        if len(tree) >= 2 + workers:  # the fork server, the resource tracker and the workers
            return tree
        time.sleep(0.1)
    raise AssertionError(f"no {workers} workers after {timeout} s")


def wait_gone(pids: set[int], timeout: float = 15) -> set[int]:
    deadline = time.monotonic() + timeout
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


def sweep_file(tmp_path: Path) -> Path:
    spec = tmp_path / "sweep.toml"
    spec.write_text(
        sweep_toml(
            "slow enough to stop",
            SMALL,
            ["resolution_hours_mean"],
            {"demand.requests_per_day": [30, 35, 40, 45]},
            replications=4,
            seed=3,
            days=40,
        )
    )
    return spec


def rows(out: Path) -> pd.DataFrame:
    files = sorted((out / "parts").glob("part-*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files]) if files else pd.DataFrame()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sweep", "compare"])
def test_sigkill_of_the_parent_takes_its_workers_with_it(tmp_path, kind):
    if kind == "sweep":
        process = start("sweep", sweep_file(tmp_path), "--workers", "2", "--out", tmp_path / "o")
    else:
        process = start("compare", SMALL, SMALL, "--reps", "40", "--days", "40", "--workers", "2")
    tree = wait_for_workers(process, 2)
    process.kill()
    process.wait(10)
    left = wait_gone(tree)
    assert not left, f"still running after the parent was killed: {left}"


@pytest.mark.slow
def test_sigterm_stops_a_sweep_as_ctrl_c_does_and_resume_finishes_it(tmp_path):
    spec, out = sweep_file(tmp_path), tmp_path / "o"
    process = start("sweep", spec, "--workers", "2", "--out", out)
    tree = wait_for_workers(process, 2)
    deadline = time.monotonic() + 90
    while rows(out).empty:  # at least one finished run to keep
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    last = [line for line in stderr.replace("\r", "\n").splitlines() if "%|" not in line][-1]
    assert last.startswith("sim sweep: stopped (SIGTERM): ") and "of 16 runs are saved" in last
    saved = int(last.split(": ")[2].split(" of ")[0])
    assert saved == len(rows(out)) > 0
    assert "Traceback" not in stderr and stdout == ""
    assert not wait_gone(tree)
    resumed = subprocess.run(
        [sys.executable, "-m", "sim", "sweep", str(spec), "--out", str(out), "--resume"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    final = rows(out)
    assert len(final) == 16 and final["run_id"].is_unique


def catches(pid: int, signum: int) -> bool:
    """Whether process `pid` has a handler for `signum` (its SigCgt mask in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def test_sigterm_stops_a_run_with_one_line():
    process = start("run", SMALL, "--days", "3000", "--set", "demand.requests_per_day=200")
    deadline = time.monotonic() + 60
    while not catches(process.pid, signal.SIGTERM):  # until sim has started
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr, stdout) == (143, "sim: stopped (SIGTERM)\n", "")
