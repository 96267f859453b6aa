"""Smoke test: `experiments/benchmark.py --quick` runs end to end and prints its summary.

It checks that the benchmark works, not the figures (PASS/MISS depends on the machine).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "experiments" / "benchmark.py"


def benchmark(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.skipif(
    not (ROOT / "scenarios" / "functional.toml").exists(),
    reason="scenarios/functional.toml (benchmark case b) does not exist yet",
)
@pytest.mark.slow  # runs the benchmark script
def test_benchmark_quick_runs_and_prints_summary() -> None:
    done = benchmark("--quick")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Python" in out and "Mesa" in out and "Ciw" in out
    summary = out.split("\nSummary (load average", 1)
    assert len(summary) == 2, out
    table = summary[1]
    for label in (
        "(a) ratio sim/Ciw, M/M/10",
        "(b) sim functional preset",
        "(c) peak RSS",
        "(e) functional x10 against x5",
        "(e) matrix x10 against x5",
        "(f) ratio sim/Ciw, 50-unit network",
    ):
        assert label in table
    assert table.count("PASS") + table.count("MISS") >= 7


@pytest.mark.slow  # runs the benchmark script
def test_benchmark_runs_only_the_cases_asked_for() -> None:
    done = benchmark("--quick", "--cases", "e")
    assert done.returncode == 0, done.stderr
    table = done.stdout.split("\nSummary (load average", 1)[1]
    figures = [line.split()[0] for line in table.splitlines()[2:] if line.strip()]
    assert figures == ["(e)"] * 3, table  # one ratio per preset, nothing else
    wrong = benchmark("--cases", "eg")
    assert wrong.returncode == 2
    assert "--cases takes letters from abcdef" in wrong.stderr
