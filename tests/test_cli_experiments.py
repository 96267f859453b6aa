"""`sim compare --reps`, `sim sweep` and `sim sensitivity`, run for real in subprocesses.

Scenarios are the small CLI test files, run for a few days; sweeps are tiny specs written to
tmp_path (8 runs of 3 days, about 0.1 s each). The whole file takes well under 90 s.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset
import pytest
from from_a_terminal import signals_as_from_a_terminal
from sim_in_process import sim
from sweep_specs import sweep_toml

from sim.sweeps import load_runs
from sim.sweeps.sensitivity import analyse

DATA = Path(__file__).parent / "data" / "cli"
SMALL = DATA / "small.toml"
FUNCTIONAL = DATA / "functional.toml"
CROSS = DATA / "cross.toml"

SWEEP = sweep_toml(
    "tiny sweep",
    SMALL,
    ["resolution_hours_mean", "csat_mean", "fcr"],
    {"policies.handoff_delay_hours": [0.25, 2], "demand.requests_per_day": [30, 40]},
    replications=2,
    seed=3,
    days=3,
)

MORRIS = sweep_toml(
    "tiny morris",
    SMALL,
    ["resolution_hours_mean", "csat_mean", "fcr"],
    {
        "policies.handoff_delay_hours": {"range": [0.0, 4.0]},
        "demand.requests_per_day": {"range": [20, 45], "integer": True},
    },
    replications=1,
    seed=5,
    days=3,
    design={"method": "morris", "samples": 2, "levels": 4},
)


def lines(text: str) -> list[str]:
    """stderr without the progress bar (tqdm redraws it with carriage returns)."""
    return [line for line in text.replace("\r", "\n").splitlines() if line and "%|" not in line]


def parts(out: Path) -> list[Path]:
    return sorted((out / "parts").glob("part-*.parquet"))


# --------------------------------------------------------------------------------------------
# compare --reps


@pytest.mark.slow  # several `sim` processes, each with a pool
def test_compare_with_replications_prints_cis_and_sentences_and_writes_files(tmp_path):
    report, table = tmp_path / "report.html", tmp_path / "table.csv"
    out = sim(
        "compare", FUNCTIONAL, CROSS, "--days", "4", "--reps", "3", "--workers", "2",
        "--report", report, "--csv", table,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "3 replications each" in out.stdout and "root seed" in out.stdout
    header = out.stdout.split("┡")[0]
    assert "Functional silos" in header and "Cross-functional teams" in header
    rows = out.stdout.splitlines()
    at = next(i for i, line in enumerate(rows) if "Resolution time, mean" in line)
    assert rows[at].count("±") == 2  # mean ± 95% CI half-width for each scenario
    assert "[" in rows[at + 1] and "]" in rows[at + 1]  # under it, the paired difference
    sentences = [line for line in out.stdout.splitlines() if line.startswith("Cross-functional")]
    assert len(sentences) == 4  # one per headline KPI
    assert all("95% CI" in sentence for sentence in sentences)
    assert any("service level" in s or "resolved within" in s for s in sentences)
    assert any("outcome" in s for s in sentences)  # the time to outcome, every customer
    # Progress with ETA on stderr, notes and written files too; stdout is tables and sentences.
    assert "replications: 100%" in out.stderr.replace("\r", "\n")
    assert any(line.startswith("note: With 3 replications") for line in lines(out.stderr))
    assert f"{report}: report written" in out.stderr
    assert report.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    frame = pd.read_csv(table)
    assert {"kpi", "scenario", "mean", "ci_low", "ci_high", "diff", "diff_ci_low"} <= set(
        frame.columns
    )
    assert (frame["reps"] == 3).all()
    assert set(frame["scenario"]) == {"Functional silos", "Cross-functional teams"}


@pytest.mark.parametrize(
    ("reps", "expected"),
    [
        ("1", "sim compare: --reps: 1 is too few for a confidence interval"),
        ("x", "sim compare: --reps: 'x' is not a number"),
    ],
)
def test_compare_bad_reps_is_one_line_and_exit_2(reps, expected):
    out = sim("compare", FUNCTIONAL, CROSS, "--reps", reps)
    assert out.returncode == 2
    assert out.stderr.splitlines() == [f"{expected} (allowed: a whole number >= 2, or auto)"], (
        out.stderr
    )
    assert out.stdout == ""


# --------------------------------------------------------------------------------------------
# sweep


@pytest.mark.slow  # several `sim` processes, each with a pool
def test_sweep_writes_parquet_prints_summary_and_resumes(tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text(SWEEP, encoding="utf-8")
    out = tmp_path / "out" / "sweeps" / "tiny"  # the default output folder

    first = sim("sweep", spec.name, "--workers", "2", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    saved = parts(out)
    assert saved and (out / "_manifest.json").is_file()
    runs = pd.read_parquet(out)  # the folder is one dataset: the manifest is skipped
    assert len(runs) == 8 and (runs["status"] == "ok").all()
    assert sorted(runs["run_id"]) == sorted(load_runs(out)["run_id"])
    assert pyarrow.dataset.dataset(out, format="parquet").count_rows() == 8
    assert duckdb.sql(f"SELECT count(*) FROM '{out}/**/*.parquet'").fetchall() == [(8,)]
    # The summary: a table per KPI, a row per design point with its mean and 95% CI.
    assert "4 design points x 2 replications" in first.stdout
    for title in (
        "Resolution time, mean (hours, resolved only)",
        "CSAT, mean",
        "First-contact resolution",
    ):
        assert title in first.stdout
    assert "mean ± 95% CI" in first.stdout
    assert first.stdout.count("±") >= 3 * 4 + 3
    assert "sweep: 100%" in first.stderr.replace("\r", "\n")  # the progress bar
    assert "8 runs in" in first.stderr

    # Resuming a finished sweep runs nothing and writes nothing.
    again = sim("sweep", spec.name, "--resume", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "nothing new to run: all 8 runs were already there" in again.stderr
    assert parts(out) == saved
    assert "Resolution time, mean (hours, resolved only)" in again.stdout

    # Without --resume the folder is not overwritten.
    refused = sim("sweep", spec.name, cwd=tmp_path)
    assert refused.returncode == 2 and "holds a sweep already" in refused.stderr

    # A folder an older sim wrote (manifest.json) still resumes, and is one dataset after.
    (out / "_manifest.json").rename(out / "manifest.json")
    assert len(load_runs(out)) == 8
    upgraded = sim("sweep", spec.name, "--resume", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (out / "_manifest.json").is_file() and not (out / "manifest.json").exists()
    assert len(pd.read_parquet(out)) == 8

    # Code that changed since the sweep started: resume is refused unless forced.
    manifest_path = out / "_manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert set(manifest["code"]) == {"version", "hash"}
    manifest["code"]["hash"] = "0" * 12
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    changed = sim("sweep", spec.name, "--resume", cwd=tmp_path)
    assert changed.returncode == 2
    (line,) = lines(changed.stderr)
    assert line.startswith(f"{Path('out/sweeps/tiny')}: code: the sweep was started by other code")
    assert "--force-resume" in line
    forced = sim("sweep", spec.name, "--force-resume", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert parts(out) == saved
    assert json.loads(manifest_path.read_text(encoding="utf-8"))["resumed_with"]


def test_sweep_input_errors_are_one_line_each(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text(SWEEP.replace("replications = 2", "replication = 2"), encoding="utf-8")
    out = sim("sweep", spec, "--out", tmp_path / "out")
    assert out.returncode == 2
    assert lines(out.stderr) == [
        f"{spec}: replication: unknown key (did you mean 'replications'? allowed: name, "
        "description, base, set, factors, design, replications, seed, kpis)"
    ]
    out = sim("sweep", spec, "--workers", "2", "--dask-local", "2")
    assert out.returncode == 2
    assert lines(out.stderr) == [
        "sim sweep: --dask-local: cannot be combined with --workers (allowed: one of "
        "--workers, --dask, --dask-local)"
    ]


@pytest.mark.slow  # several `sim` processes, each with a pool
def test_ctrl_c_stops_the_sweep_with_a_resume_hint(tmp_path):
    spec = tmp_path / "slow.toml"
    spec.write_text(
        SWEEP.replace("run.days = 3", "run.days = 30").replace(
            "replications = 2", "replications = 4"
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", str(spec), "--workers", "2", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
        preexec_fn=signals_as_from_a_terminal,
    )
    deadline = time.monotonic() + 60
    while not (out / "parts").is_dir() or not parts(out):
        assert process.poll() is None and time.monotonic() < deadline, process.stderr
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    last = lines(stderr)[-1]
    assert last.startswith("sim sweep: interrupted: ") and "of 16 runs are saved" in last
    assert "--resume" in last
    assert "Traceback" not in stderr and stdout == ""


# --------------------------------------------------------------------------------------------
# sensitivity


@pytest.mark.slow  # several `sim` processes, each with a pool
def test_sensitivity_prints_indices_and_writes_the_chart(tmp_path):
    spec = tmp_path / "morris.toml"
    spec.write_text(MORRIS, encoding="utf-8")
    out = tmp_path / "out"
    result = sim("sensitivity", spec, "--workers", "2", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Resolution time, mean (hours, resolved only): morris indices" in result.stdout
    assert "importance μ*" in result.stdout
    assert "policies.handoff_delay_hours" in result.stdout
    assert "demand.requests_per_day" in result.stdout
    png = out / "_sensitivity.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"{png}: chart written" in result.stderr
    assert len(pd.read_parquet(out)) == len(load_runs(out)) > 0  # the chart is skipped too
    # A share KPI (0-1 in the runs) has its effects in percentage points, as its title says.
    assert "First-contact resolution (percentage points): morris indices" in result.stdout
    indices = analyse(out)
    mu_star = indices.set_index(["kpi", "factor"])["mu_star"]
    fcr = result.stdout.split("First-contact resolution (percentage points)")[1]
    shown = [float(m) for m in re.findall(r"│ (?:policies|demand)\S+ +│ +([\d.]+)", fcr)]
    assert shown[0] == pytest.approx(100 * mu_star["fcr"].max(), rel=0.01)
    # From the saved runs alone, to another file.
    other = tmp_path / "indices.png"
    again = sim("sensitivity", spec, "--out", out, "--resume", "--plot", other)
    assert again.returncode == 0, again.stderr
    assert "nothing new to run" in again.stderr
    assert other.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sensitivity_needs_a_sampled_design(tmp_path):
    spec = tmp_path / "factorial.toml"
    spec.write_text(SWEEP, encoding="utf-8")
    out = sim("sensitivity", spec, "--out", tmp_path / "out")
    assert out.returncode == 2
    assert lines(out.stderr) == [
        f"{spec}: design.method: 'factorial' gives no sensitivity indices (allowed: sobol, morris)"
    ]
