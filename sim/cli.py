"""The `sim` command: run, compare and validate scenarios from a terminal.

    sim run scenarios/functional.toml --days 30 --seed 7
    sim compare scenarios/functional.toml scenarios/cross-functional.toml
    sim validate scenarios/*.toml

Output contract: tables (rich) or one JSON object on stdout; warnings and problems on stderr,
one line each (``file: key.path: what is wrong (what is allowed)``). Exit status: 0 ok,
1 internal error (a bug: please report it), 2 bad input, 130 interrupted. A Python traceback is
only shown with ``SIM_DEBUG=1``.
"""

from __future__ import annotations

import json
import math
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from sim.scenario import Scenario, ScenarioError, load_scenario, scenario_warnings

EXIT_OK, EXIT_BUG, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

# Click's usage-error base class, found through typer's public API (typer >= 0.20 vendors click).
_ClickException: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)
EVENT_LOG_SUFFIXES = (".csv", ".parquet")

app = typer.Typer(
    name="sim",
    help="Silos or cross-functional teams? Simulate what a structure does to customers.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class InputError(Exception):
    """Bad user input: `problems` holds one ``file: key.path: message`` line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# --------------------------------------------------------------------------------------------
# The KPI table


def _count(v: float) -> str:
    return f"{v:,.0f}"


def _hours(v: float) -> str:
    return f"{v:,.2f}"


def _percent(v: float) -> str:
    return f"{100 * v:.1f}"


def _ratio(v: float) -> str:
    return f"{v:.3f}"


def _score(v: float) -> str:
    return f"{v:.2f}"


def _money(v: float) -> str:
    return f"{v:,.2f}"


@dataclass(frozen=True)
class Row:
    """One KPI row: where its value lives, how it is labelled and formatted."""

    key: str
    label: str
    fmt: Callable[[float], str]
    relative: bool = False
    """Show the relative difference against the first column (comparisons)."""
    unit: str | None = None
    """For per-unit rows: the unit's name inside ``kpis[key]`` (a dict)."""
    missing: str = "–"
    """What a null value means for this row."""

    def value(self, kpis: Mapping[str, Any]) -> Any:
        value = kpis.get(self.key)
        if self.unit is not None:
            value = value.get(self.unit) if isinstance(value, Mapping) else None
        return value


KPI_GROUPS: list[tuple[str, list[Row]]] = [
    (
        "Volume",
        [
            Row("arrived", "Arrived (requests)", _count),
            Row("resolved", "Resolved (requests)", _count),
            Row("abandoned", "Abandoned (requests)", _count),
            Row("abandonment_rate", "Abandonment (%)", _percent),
            Row("open_at_end", "Still open at the end (requests)", _count),
            Row("throughput_per_day", "Throughput (resolved per day)", _hours),
        ],
    ),
    (
        "Time",
        [
            Row("resolution_hours_mean", "Resolution time, mean (hours)", _hours, True),
            Row("resolution_hours_p50", "Resolution time, p50 (hours)", _hours, True),
            Row("resolution_hours_p90", "Resolution time, p90 (hours)", _hours, True),
            Row("wait_hours_mean", "  of which in queue (hours)", _hours, True),
            Row("work_hours_mean", "  of which at work (hours)", _hours, True),
            Row("handoff_hours_mean", "  of which in handoff (hours)", _hours, True),
            Row("callback_hours_mean", "  of which awaiting callback (hours)", _hours, True),
            Row("flow_efficiency", "Flow efficiency (% of time at work)", _percent, True),
        ],
    ),
    (
        "Quality",
        [
            Row("handoffs_per_request", "Handoffs (per request)", _ratio),
            Row("transfers_per_request", "Hard tasks transferred out (per request)", _ratio),
            Row("misroutes_per_request", "Misroutes (per request)", _ratio),
            Row("repeat_contacts_per_request", "Repeat contacts (per request)", _ratio),
            Row("fcr", "First-contact resolution (%)", _percent),
            Row("help_share", "Helped by another unit (%)", _percent),
        ],
    ),
    (
        "Customers",
        [
            Row("csat_mean", "CSAT, mean (1-5 scale)", _score, True),
            Row("csat_top_box", "CSAT top box (% rating 5)", _percent, True),
            Row("promoters", "Promoters (%)", _percent, True),
            Row("detractors", "Detractors (% rating 1-3)", _percent, True),
        ],
    ),
    (
        "Capacity",
        [
            Row("utilisation", "Utilisation, overall (%)", _percent),
            # per-unit rows are inserted here (see `_rows`)
            Row("cost_per_resolved", "Cost per resolved (currency per request)", _money),
        ],
    ),
    (
        "People",
        [
            Row("engagement_mean", "Engagement, mean (0-1)", _ratio),
            Row("burnout_share", "Burnt out (% of employees)", _percent),
            Row("tie_density", "Help ties between units, mean (0-1)", _ratio),
        ],
    ),
    (
        "Reorganisation",
        [
            Row("reorg_dip", "Worst day after the switch (x baseline time)", _ratio),
            Row("reorg_recovery_day", "Back to baseline on day", _count, missing="never"),
            Row(
                "reorg_crossover_day",
                "Paid back (vs not reorganising) on day",
                _count,
                missing="never",
            ),
        ],
    ),
]


def _number(value: Any) -> float | None:
    """A finite float, or None for missing / NaN / non-numeric values."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _rows(columns: Sequence[tuple[str, Mapping[str, Any]]]) -> list[tuple[str, list[Row]]]:
    """The groups and rows to show: rows no column has are left out (forward compatible)."""
    units: dict[str, None] = {}
    for _, kpis in columns:
        by_unit = kpis.get("utilisation_by_unit")
        if isinstance(by_unit, Mapping):
            units.update(dict.fromkeys(map(str, by_unit)))
    groups = []
    for title, rows in KPI_GROUPS:
        shown = []
        for row in rows:
            if any(row.key in kpis for _, kpis in columns):
                shown.append(row)
            if row.key == "utilisation":
                shown += [
                    Row("utilisation_by_unit", f"  {name} (%)", _percent, unit=name)
                    for name in units
                ]
        if shown:
            groups.append((title, shown))
    return groups


def _relative(value: float | None, base: float | None) -> str:
    if value is None or base is None or base == 0:
        return ""
    change = (value - base) / abs(base)
    return f" ({100 * change:+.1f}%)"


def kpi_table(
    columns: Sequence[tuple[str, Mapping[str, Any]]], *, title: str | None = None
) -> Table:
    """A KPI table with one column per (name, kpis) pair, grouped and labelled with units.

    With several columns, rows about time and customer satisfaction also show the relative
    difference of each column against the first one (the baseline).
    """
    table = Table(title=escape(title) if title else None, title_justify="left")
    table.add_column("KPI", no_wrap=True)
    for name, _ in columns:
        table.add_column(escape(name), justify="right", no_wrap=True)
    for index, (group, rows) in enumerate(_rows(columns)):
        if index:
            table.add_section()
        table.add_row(Text(group, style="bold"), *([""] * len(columns)))
        for row in rows:
            base = _number(row.value(columns[0][1]))
            cells = []
            for position, (_, kpis) in enumerate(columns):
                value = _number(row.value(kpis))
                cell = row.missing if value is None else row.fmt(value)
                if row.relative and position > 0 and value is not None:
                    cell += _relative(value, base)
                cells.append(cell)
            table.add_row(row.label, *cells)
    return table


# --------------------------------------------------------------------------------------------
# Helpers


def _err(line: str) -> None:
    """One line on stderr, unwrapped (no rich console: lines must stay whole for tools)."""
    sys.stderr.write(line.rstrip("\n") + "\n")
    sys.stderr.flush()


def _console() -> Console:
    console = Console(file=sys.stdout, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 200  # pipes and files: do not squeeze side-by-side tables to 80
    return console


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


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(_jsonable(obj), allow_nan=False) + "\n")
    sys.stdout.flush()


def _overrides(sets: list[str] | None, days: int | None, seed: int | None) -> list[str]:
    """--set items, then --days and --seed (explicit options win)."""
    items = list(sets or [])
    if days is not None:
        items.append(f"run.days={days}")
    if seed is not None:
        items.append(f"run.seed={seed}")
    return items


def _load(path: Path, overrides: list[str], problems: list[str]) -> Scenario | None:
    """Load one scenario; its problems are appended to `problems` (None when bad)."""
    try:
        return load_scenario(path, overrides)
    except ScenarioError as exc:
        problems += exc.problems
    return None


def _events_problems(path: Path) -> list[str]:
    problems = []
    if path.suffix.lower() not in EVENT_LOG_SUFFIXES:
        problems.append(
            f"{path}: --events: {repr(path.suffix) if path.suffix else 'no extension'} "
            "is not a supported format "
            f"(allowed: a file ending in {' or '.join(EVENT_LOG_SUFFIXES)})"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        problems.append(
            f"{path}: --events: folder {str(parent)!r} does not exist (allowed: an existing folder)"
        )
    elif path.is_dir():
        problems.append(f"{path}: --events: is a folder (allowed: a file name)")
    return problems


def _warn(source: str, scenario: Scenario) -> None:
    for warning in scenario_warnings(scenario):
        _err(f"{source}: warning: {warning}")


def _report_unstable(source: str, kpis: Mapping[str, Any]) -> None:
    if not kpis.get("stable", True):
        reason = kpis.get("unstable_reason") or "unknown reason"
        _err(f"{source}: warning: unstable run, numbers are not steady-state: {reason}")


# --------------------------------------------------------------------------------------------
# Commands

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


@app.command("run")
def run_command(
    scenario: ScenarioArg,
    seed: SeedOpt = None,
    days: DaysOpt = None,
    sets: SetOpt = None,
    as_json: JsonOpt = False,
    events: Annotated[
        Path | None,
        typer.Option(
            "--events",
            help="Write the event log (one row per task) to a .csv or .parquet file.",
            metavar="FILE",
        ),
    ] = None,
) -> None:
    """Run one scenario and print its KPIs."""
    from sim.metrics import write_event_log
    from sim.runner import run

    problems = _events_problems(events) if events is not None else []
    loaded = _load(scenario, _overrides(sets, days, seed), problems)
    if problems or loaded is None:
        raise InputError(problems)
    source = str(scenario)
    _warn(source, loaded)
    result = run(loaded, events=events is not None)
    if events is not None:
        assert result.events is not None
        try:
            write_event_log(result.events, str(events))
        except OSError as exc:
            raise InputError(
                [f"{events}: --events: cannot write ({exc.strerror or exc})"]
            ) from None
    _report_unstable(source, result.kpis)
    if as_json:
        _print_json(result.kpis)
        return
    title = f"{loaded.name}  (seed {result.seed}, {loaded.run.days} days)"
    _console().print(kpi_table([(loaded.name, result.kpis)], title=title))
    if events is not None:
        _err(f"{source}: event log written to {events} ({len(result.events)} rows)")


def _column_names(paths: Sequence[Path], scenarios: Sequence[Scenario]) -> list[str]:
    """Scenario names, made unique (file name, then a number) when two are the same."""
    names = [s.name for s in scenarios]
    for i, name in enumerate(names):
        if names.count(name) > 1:
            names[i] = f"{name} ({paths[i].name})"
    for i, name in enumerate(names):
        if names.count(name) > 1:
            names[i] = f"{name} #{i + 1}"
    return names


@app.command("compare")
def compare_command(
    scenarios: Annotated[
        list[Path],
        typer.Argument(
            help="Two or more scenario TOML files; the first is the baseline.",
            show_default=False,
            metavar="SCENARIO...",
        ),
    ],
    seed: SeedOpt = None,
    days: DaysOpt = None,
    sets: SetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run scenarios with the same seed (same customers) and print their KPIs side by side."""
    from sim.runner import run

    if len(scenarios) < 2:
        raise typer.BadParameter(
            f"needs at least two scenario files (got {len(scenarios)})", param_hint="SCENARIO..."
        )
    problems: list[str] = []
    overrides = _overrides(sets, days, seed)
    loaded = [_load(path, overrides, problems) for path in scenarios]
    if problems:
        raise InputError(problems)
    good = [s for s in loaded if s is not None]
    common = good[0].run.seed if seed is None else seed
    if seed is None and any(s.run.seed != common for s in good):
        _err(
            f"note: every scenario runs with seed {common} (the first one's), "
            "so that all see the same customers"
        )
    for path, scenario in zip(scenarios, good, strict=True):
        _warn(str(path), scenario)
    names = _column_names(scenarios, good)
    columns = []
    for path, scenario, name in zip(scenarios, good, names, strict=True):
        result = run(scenario, seed=common)
        _report_unstable(str(path), result.kpis)
        columns.append((name, result.kpis))
    if as_json:
        _print_json(
            {
                "seed": common,
                "scenarios": [
                    {"name": name, "file": str(path), "kpis": kpis}
                    for path, (name, kpis) in zip(scenarios, columns, strict=True)
                ],
            }
        )
        return
    days_text = ", ".join(sorted({str(s.run.days) for s in good}))
    title = f"Comparison  (seed {common} for all, {days_text} days; % vs {names[0]})"
    _console().print(kpi_table(columns, title=title))


@app.command("validate")
def validate_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="Scenario TOML files to check.", show_default=False, metavar="FILE..."),
    ],
) -> None:
    """Check scenario files without running them; every problem is one line on stderr."""
    bad = 0
    for path in files:
        problems: list[str] = []
        scenario = _load(path, [], problems)
        if scenario is None:
            bad += 1
            for line in problems:
                _err(line)
            continue
        sys.stdout.write(f"{path}: ok\n")
        sys.stdout.flush()
        _warn(str(path), scenario)
    if bad:
        raise typer.Exit(EXIT_INPUT)


# --------------------------------------------------------------------------------------------
# Entry point


def _one_line(text: str) -> str:
    return "; ".join(part.strip() for part in str(text).splitlines() if part.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `sim` and `python -m sim`; returns the exit status."""
    debug = os.environ.get("SIM_DEBUG") == "1"
    try:
        command = typer.main.get_command(app)
        status = command.main(args=argv, prog_name="sim", standalone_mode=False)
    except InputError as exc:
        for line in exc.problems:
            _err(line)
        return EXIT_INPUT
    except ScenarioError as exc:
        for line in exc.problems:
            _err(line)
        return EXIT_INPUT
    except KeyboardInterrupt:
        _err("sim: interrupted")
        return EXIT_INTERRUPTED
    except _ClickException as exc:  # usage errors: unknown option, missing argument, ...
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "sim"
        message = _one_line(exc.format_message())
        if message:  # empty when the help was shown instead (`sim` with no arguments)
            _err(f"{where}: {message} (try '{where} --help')")
        return int(getattr(exc, "exit_code", EXIT_INPUT))
    except Exception as exc:
        if type(exc).__name__ == "Abort":  # click's Abort: Ctrl-C or EOF at a prompt
            _err("sim: interrupted")
            return EXIT_INTERRUPTED
        if debug:
            traceback.print_exc()
        _err(
            f"sim: internal error: {type(exc).__name__}: {_one_line(str(exc))} -- this is a bug "
            "in sim, please report it with the command line and the scenario file"
            + ("" if debug else " (run with SIM_DEBUG=1 to see the traceback)")
        )
        return EXIT_BUG
    if status == EXIT_INTERRUPTED:  # typer turns Ctrl-C inside a command into Exit(130)
        _err("sim: interrupted")
    return status if isinstance(status, int) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
