"""The `sim` command on small, short scenarios: in this process (`sim_in_process`), and in a real
process where the process is the point (Ctrl-C, a closed stdout: marked slow)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from from_a_terminal import signals_as_from_a_terminal
from rich.console import Console
from sim_in_process import sim

import sim.runner as sim_runner
from sim import load_scenario
from sim.cli import main
from sim.cli.tables import comparison_table, kpi_table
from sim.metrics import EVENT_COLUMNS, BooksError
from sim.replications import compare

DATA = Path(__file__).parent / "data" / "cli"
PRESETS = Path(__file__).parent.parent / "scenarios"
SMALL = DATA / "small.toml"
FUNCTIONAL = DATA / "functional.toml"
CROSS = DATA / "cross.toml"

REQUIRED_KPIS = {
    "arrived",
    "resolved",
    "abandoned",
    "resolution_hours_mean",
    "resolution_hours_p50",
    "resolution_hours_p90",
    "wait_hours_mean",
    "handoffs_per_request",
    "repeat_contacts_per_request",
    "fcr",
    "csat_mean",
    "csat_top_box",
    "utilisation",
    "utilisation_by_unit",
    "payroll_per_resolved",
    "stable",
    "unstable_reason",
    "seed",
}


def test_run_prints_grouped_kpi_table_with_units():
    out = sim("run", SMALL)
    assert out.returncode == 0, out.stderr
    for label in (
        "Volume", "Time", "Quality", "Customers", "Capacity",
        "Arrived (requests)",
        "Throughput (resolved per day)",
        "Resolution time, mean (hours, resolved only)",
        "Resolution time, p50 (hours, resolved only)",
        "Resolution time, p90 (hours, resolved only)",
        "of which in queue (hours)", "of which in handoff",
        "Flow efficiency (%",
        "Handoffs (per request)", "Repeat contacts (per request)",
        "First-contact resolution (%)",
        "CSAT, mean", "CSAT top box (promoters) (%", "Detractors (%",
        "Utilisation, overall (%)", "billing (%)", "tech (%)",
        "Payroll per resolved (EUR per request)",
    ):  # fmt: skip
        assert label in out.stdout, label
    assert "Traceback" not in out.stderr


def test_run_json_and_events(tmp_path):
    """--json is the whole of stdout; --events writes CSV or Parquet; runs are reproducible."""
    kpis = {}
    for suffix in (".csv", ".parquet"):
        target = tmp_path / f"events{suffix}"
        out = sim("run", SMALL, "--json", "--seed", "11", "--days", "4", "--events", target)
        assert out.returncode == 0, out.stderr
        kpis[suffix] = json.loads(out.stdout)  # the whole of stdout is one JSON document
        frame = pd.read_csv(target) if suffix == ".csv" else pd.read_parquet(target)
        assert len(frame) > 0
        assert set(EVENT_COLUMNS) <= set(frame.columns)
        assert (frame["end"] >= frame["start"]).all()
        assert (frame["start"] >= frame["enqueue"]).all()
    result = kpis[".csv"]
    assert result.keys() >= REQUIRED_KPIS
    assert result["seed"] == 11
    assert result["arrived"] == result["resolved"] + result["abandoned"] + result["open_at_end"]
    assert set(result["utilisation_by_unit"]) == {"billing", "tech"}
    assert kpis[".parquet"] == result  # a run is a pure function of (scenario, seed)
    assert result["arrived"] < 40 * 4  # --days 4 (the file says 5) at 40 requests a day


def test_unstable_run_warns_on_stderr_and_json_has_null_for_nan():
    out = sim("run", DATA / "overloaded.toml", "--json")
    assert out.returncode == 0, out.stderr
    kpis = json.loads(out.stdout)
    assert kpis["stable"] is False
    assert kpis["unstable_reason"]
    assert "NaN" not in out.stdout
    assert kpis["resolved"] > 0 or kpis["resolution_hours_mean"] is None
    assert "warning: offered load" in out.stderr
    assert "unstable run" in out.stderr


def test_compare_prints_both_names_side_by_side():
    out = sim("compare", FUNCTIONAL, CROSS, "--days", "6")
    assert out.returncode == 0, out.stderr
    header = next(line for line in out.stdout.splitlines() if line.startswith("┃ KPI"))
    assert "Functional silos" in header
    assert "Cross-functional teams" in header  # scenarios are columns
    assert "Resolution time, mean (hours, resolved only)" in out.stdout
    assert re.search(r"\([+-]\d+\.\d%\)", out.stdout)  # relative difference vs the first


def assert_fits(text: str, width: int, names: list[str]) -> None:
    """Every line within `width`, nothing cut short ("Resolution ti…"), and every word of
    every scenario name there in full."""
    assert all(len(line) <= width for line in text.splitlines()), text
    assert "…" not in text, text
    head = text.split("┡")[0]  # the header rows, scenario names folded at spaces
    for name in names:
        for word in name.split():
            assert word in head, (word, head)


@pytest.mark.parametrize("width", [80, 100])
def test_compare_of_three_presets_fits_the_terminal(width):
    """Three long scenario names in an ordinary terminal: their shared prefix ("Insurer
    customer service: ") goes, names and KPI labels wrap at spaces, numbers stay whole."""
    files = [PRESETS / f for f in ("functional.toml", "cross-functional.toml", "matrix.toml")]
    out = sim("compare", *files, "--days", "6", env={"COLUMNS": str(width)})
    assert out.returncode == 0, out.stderr
    names = ["Functional departments", "Cross-functional teams", "Matrix (teams + expert pools)"]
    assert_fits(out.stdout, width, names)
    labels = " ".join(  # the KPI column, its wrapped lines joined
        line.split("│")[1].strip() for line in out.stdout.splitlines() if line.startswith("│")
    )
    for label in (
        "Resolution time, mean (hours, resolved only)",
        "Resolution time, p50 (hours, resolved only)",
        "Resolution time, p90 (hours, resolved only)",
        "Payroll per resolved (EUR per request)",
    ):
        assert label in labels, label
    assert re.search(r"\d\.\d\d \([+-]\d+\.\d%\)", out.stdout)  # "5.35 (+14.4%)" on one line


def test_replicated_comparison_of_three_presets_fits_80_and_100_columns():
    """One column per scenario, the paired difference under each value: three presets with
    long names fit an ordinary terminal, nothing cut short."""
    short = {"run.days": 5, "run.warmup_days": 1}
    scenarios = [
        load_scenario(PRESETS / f).with_overrides(**short)
        for f in ("functional.toml", "cross-functional.toml", "matrix.toml")
    ]
    comparison = compare(scenarios, reps=2)
    for width in (80, 100):
        table = comparison_table(comparison, width=width)
        console = Console(width=width, record=True, file=io.StringIO())
        console.print(table)
        text = console.export_text()
        assert_fits(text, width, ["Functional departments (baseline)", "Cross-functional teams"])
        assert text.count("unclear") + text.count("better") + text.count("worse") > 20


def test_costs_carry_the_scenario_currency():
    out = sim("run", SMALL, "--days", "4", "--set", "run.currency=USD")
    assert out.returncode == 0, out.stderr
    assert "Payroll per resolved (USD per request)" in out.stdout
    assert "currency units" not in out.stdout
    out = sim("run", SMALL, "--days", "4", "--json")
    assert json.loads(out.stdout)["currency"] == "EUR"  # the default
    out = sim("run", SMALL, "--set", "run.currency=", "--days", "4")
    assert out.returncode == 2 and "run.currency" in out.stderr


def test_compare_json_uses_one_seed_for_all():
    out = sim("compare", FUNCTIONAL, CROSS, SMALL, "--days", "4", "--seed", "5", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["seed"] == 5
    names = [s["name"] for s in result["scenarios"]]
    assert names == ["Functional silos", "Cross-functional teams", "Small"]
    first, second, third = (s["kpis"] for s in result["scenarios"])
    assert first["seed"] == second["seed"] == third["seed"] == 5
    assert first["arrived"] == second["arrived"]  # common random numbers: same customers


def test_validate_ok_files_and_warnings():
    out = sim("validate", SMALL, FUNCTIONAL, DATA / "overloaded.toml")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        f"{SMALL}: ok",
        f"{FUNCTIONAL}: ok",
        f"{DATA / 'overloaded.toml'}: ok",
    ]
    assert out.stderr.startswith(f"{DATA / 'overloaded.toml'}: warning: offered load")


@pytest.mark.slow  # a real process and a real signal
def test_ctrl_c_exits_130_with_one_line():
    """A real SIGINT in the middle of a run (sent once the run has started)."""
    code = (
        "import os, signal, sys, time, sim.runner\n"
        "def slow(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(30)\n"
        "sim.runner.run = slow\n"
        "from sim.cli import main\n"
        f"sys.exit(main(['run', {str(SMALL)!r}]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=signals_as_from_a_terminal,
    )
    assert out.returncode == 130
    assert out.stderr.strip() == "sim: interrupted"
    assert out.stdout == ""


@pytest.mark.slow  # a real process started with its stdout closed
def test_closed_stdout_exits_2_with_one_line():
    """`sim run ... >&-`: nowhere to print to; one line on stderr, no traceback."""
    command = '"$0" -m sim run "$1" --json >&-'
    out = subprocess.run(
        ["bash", "-c", command, sys.executable, str(SMALL)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "standard output is closed" in out.stderr, out.stderr


NASTY = "\x1b]0;pwned\x07\x1b[31mRED\u202e"
"""A name that retitles the terminal window, turns it red and reverses the text after it."""


def test_control_characters_in_names_are_shown_not_obeyed(tmp_path):
    """`--set name=ESC[31mRED` reached the terminal raw, in the table and in every line."""
    env = {"FORCE_COLOR": "1", "COLUMNS": "160"}  # as on a terminal: rich styles the table
    shown = "\\x1b]0;pwned\\x07\\x1b[31mRED\\u202e"
    out = sim("run", SMALL, "--set", f"name={NASTY}", env=env)
    assert out.returncode == 0, out.stderr
    assert NASTY not in out.stdout and "\x07" not in out.stdout and "\u202e" not in out.stdout
    assert shown in out.stdout  # visible, escaped
    assert "\x1b[" in out.stdout  # rich's own colours still work
    out = sim(
        "compare", SMALL, SMALL, "--reps", "2", "--workers", "1", "--set", f"name={NASTY}", env=env
    )  # one worker: no pool to start, the names are the point
    assert out.returncode == 0, out.stderr
    assert NASTY not in out.stdout + out.stderr and shown in out.stdout
    bad = tmp_path / f"{NASTY}.toml"
    out = sim("validate", bad)
    assert out.returncode == 2 and NASTY not in out.stderr
    assert out.stderr == f"{tmp_path}/{shown}.toml: file not found\n"


def test_the_dashboard_log_shows_control_characters(capsys):
    """A Host header anyone can send is logged by the dashboard's server."""
    import logging
    import logging.config

    from sim.dashboard.server import LOGGING

    logging.config.dictConfig(LOGGING)
    logging.getLogger("sim.dashboard").warning("refused Host %s", "\x1b[2Jgone")
    assert capsys.readouterr().err == "sim dashboard: refused Host \\x1b[2Jgone\n"


# In-process: the entry point itself, and failures that need a patched runner.


def test_help(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in ("run", "compare", "validate", "sweep", "sensitivity"):
        assert command in text


def test_console_script_installed():
    script = Path(sys.executable).parent / "sim"
    if not script.exists():
        pytest.skip("package not installed in this interpreter's environment")
    assert "sim.cli" in script.read_text(errors="replace")


@pytest.mark.parametrize("debug", [False, True])
def test_internal_error_exits_1_with_one_line(monkeypatch, capsys, debug):
    def broken(*args, **kwargs):
        raise BooksError("arrived (3) != resolved + abandoned (2)")

    monkeypatch.setattr(sim_runner, "run", broken)
    if debug:
        monkeypatch.setenv("SIM_DEBUG", "1")
    else:
        monkeypatch.delenv("SIM_DEBUG", raising=False)
    assert main(["run", str(SMALL)]) == 1
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert "internal error" in last and "BooksError" in last and "report" in last
    assert ("Traceback" in err) is debug
    if not debug:
        assert len(err.strip().splitlines()) == 1


def test_keyboard_interrupt_in_process(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim_runner, "run", interrupted)
    assert main(["run", str(SMALL)]) == 130
    assert capsys.readouterr().err == "sim: interrupted\n"


def test_kpi_table_takes_name_kpi_pairs():
    nan = float("nan")
    table = kpi_table(
        [
            (
                "A",
                {
                    "resolution_hours_mean": 10.0,
                    "csat_mean": 4.0,
                    "fcr": 0.5,
                    "utilisation_by_unit": {"x": 0.5},
                },
            ),
            (
                "B",
                {
                    "resolution_hours_mean": 12.0,
                    "csat_mean": nan,
                    "fcr": 0.6,
                    "utilisation_by_unit": {"y": 0.25},
                },
            ),
        ],
        title="t",
    )
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(table)
    text = console.export_text()
    assert "12.00 (+20.0%)" in text  # relative difference on time rows
    assert "(+20.0%)" not in text.split("First-contact")[1].splitlines()[0]  # not on FCR
    assert "x (%)" in text and "y (%)" in text  # per-unit rows: union over scenarios
    assert "–" in text  # NaN and missing values
