"""What the commands share: errors and exit codes, output, options and input checks."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from sim.scenario import ProblemsError, Scenario, ScenarioError, load_scenario, scenario_warnings
from sim.terminal import printable

EXIT_OK, EXIT_BUG, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class InputError(ProblemsError):
    """Bad command-line input: `problems` holds one ``file: key.path: message`` line each."""


class Interrupted(Exception):
    """Ctrl-C or a stop signal, with a message that says what was saved; `status` is the exit
    status (130 for Ctrl-C, 128 + the signal's number for SIGTERM and SIGHUP)."""

    def __init__(self, message: str, status: int = EXIT_INTERRUPTED):
        super().__init__(message)
        self.status = status


class Failed(Exception):
    """The work could not go on, through no bug of sim (a worker died): exit 1, one line."""


# --------------------------------------------------------------------------------------------
# Output


def err(line: str) -> None:
    """One line on stderr, unwrapped (no rich console: lines must stay whole for tools);
    nothing when stderr is closed. Control characters are shown, not obeyed (`printable`)."""
    if sys.stderr is None:
        return
    sys.stderr.write(printable(line.rstrip("\n")) + "\n")
    sys.stderr.flush()


def say(line: str) -> None:
    """One line on stdout (a result, such as 'file: ok'), as `err` writes it."""
    sys.stdout.write(printable(line.rstrip("\n")) + "\n")
    sys.stdout.flush()


class _Console(Console):
    """Rich's console, showing control characters in the text it is given instead of passing
    them to the terminal (`printable`); its own styling is unaffected."""

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(printable(text), **options)


def console() -> Console:
    """The console for tables on stdout (every table and sentence `sim` prints)."""
    out = _Console(file=sys.stdout, highlight=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = 200  # pipes and files: do not squeeze side-by-side tables to 80
    return out


def _jsonable(value: Any) -> Any:
    """Plain JSON types: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(_jsonable(obj), allow_nan=False) + "\n")
    sys.stdout.flush()


def write(option: str, path: Path, writer: Callable[[Path], Any]) -> None:
    """Write an output file; a failure is bad input (exit 2), one line."""
    try:
        writer(path)
    except OSError as exc:
        raise InputError([f"{path}: {option}: cannot write ({exc.strerror or exc})"]) from None


# --------------------------------------------------------------------------------------------
# Options

ScenarioArg = Annotated[
    Path, typer.Argument(help="Scenario TOML file.", show_default=False, metavar="SCENARIO")
]
SeedOpt = Annotated[
    int | None, typer.Option("--seed", help="Root seed (default: the scenario's run.seed).")
]
DaysOpt = Annotated[
    int | None, typer.Option("--days", help="Working days of arrivals (same as --set run.days=N).")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a scenario value, e.g. --set policies.misrouting=0 (repeatable).",
        metavar="KEY.PATH=VALUE",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the KPIs as one JSON object.")]
AllowLargeOpt = Annotated[
    bool,
    typer.Option(
        "--allow-large",
        help="Run scenarios over the size limits (more than 100,000 employees, 3,000,000 task "
        "attempts or 50,000,000 person-days in a run): they may take hours and gigabytes.",
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        help="Worker processes on this machine (default: one per CPU).",
        metavar="N",
        show_default=False,
    ),
]


# --------------------------------------------------------------------------------------------
# Input


def overrides(sets: list[str] | None, days: int | None, seed: int | None) -> list[str]:
    """--set items, then --days and --seed (explicit options win)."""
    items = list(sets or [])
    if days is not None:
        items.append(f"run.days={days}")
    if seed is not None:
        items.append(f"run.seed={seed}")
    return items


def load(
    path: Path, changes: list[str], problems: list[str], allow_large: bool = False
) -> Scenario | None:
    """Load one scenario; its problems are appended to `problems` (None when bad)."""
    try:
        return load_scenario(path, changes, allow_large=allow_large)
    except ScenarioError as exc:
        problems += exc.problems
    return None


def warn(source: str, scenario: Scenario) -> None:
    for warning in scenario_warnings(scenario):
        err(f"{source}: warning: {warning}")


def report_unstable(source: str, kpis: Mapping[str, Any]) -> None:
    """Say on stderr when a run did not keep up, or did not settle before its horizon."""
    if not kpis.get("stable", True):
        reason = kpis.get("unstable_reason") or "unknown reason"
        err(f"{source}: warning: unstable run, numbers are not steady-state: {reason}")
    elif kpis.get("steady_state") is False:
        err(
            f"{source}: note: the run did not settle before its horizon (MSER-5 on the daily "
            "time to outcome, engagement and ties): its averages describe a transition; a "
            "longer run.days shows the steady state"
        )


def column_names(paths: Sequence[Path], scenarios: Sequence[Scenario]) -> list[str]:
    """Scenario names as table columns: without the prefix they all share ("Insurer customer
    service: "), see `sim.replications.scenario_names`; made unique (file name, then a
    number) when two are the same."""
    names = [s.name for s in scenarios]
    if len(set(names)) == len(names):
        from sim.replications import scenario_names

        return scenario_names(scenarios)
    for i, name in enumerate(names):
        if names.count(name) > 1:
            names[i] = f"{name} ({paths[i].name})"
    for i, name in enumerate(names):
        if names.count(name) > 1:
            names[i] = f"{name} #{i + 1}"
    return names


def workers_problems(command: str, option: str, workers: int | None) -> list[str]:
    if workers is not None and workers < 1:
        return [f"sim {command}: {option}: {workers} is too few (allowed: a whole number >= 1)"]
    return []


def output_problems(option: str, path: Path | None) -> list[str]:
    """A file we will write: its folder must exist and it must not be a folder."""
    if path is None:
        return []
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return [
            f"{path}: {option}: folder {str(parent)!r} does not exist (allowed: an existing folder)"
        ]
    if path.is_dir():
        return [f"{path}: {option}: is a folder (allowed: a file name)"]
    return []
