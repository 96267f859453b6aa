"""The `sim` command: run, compare and validate scenarios, and run experiments, from a terminal.

    sim run scenarios/functional.toml --days 30 --seed 7
    sim compare scenarios/functional.toml scenarios/cross-functional.toml
    sim compare scenarios/functional.toml scenarios/matrix.toml --reps auto --report r.html
    sim validate scenarios/*.toml
    sim sweep experiments/sweeps/demo.toml --workers 2
    sim sensitivity experiments/sweeps/sensitivity.toml --workers 2

Output contract: tables (rich) or one JSON object on stdout; progress bars, notes, warnings and
problems on stderr, one line each (``file: key.path: what is wrong (what is allowed)``). Exit
status: 0 ok, 1 internal error (a bug: please report it) or a failed worker, 2 bad input,
130 interrupted. A Python traceback is only shown with ``SIM_DEBUG=1``.
"""

from __future__ import annotations

import json
import math
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from sim.scenario import Scenario, ScenarioError, load_scenario, scenario_warnings

if TYPE_CHECKING:  # imported where used: `sim --help` and `sim validate` start fast
    from concurrent.futures import Executor

    import pandas as pd

    from sim.experiment import Comparison

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


class Interrupted(Exception):
    """Ctrl-C, with a message that says what was saved (exit 130)."""


class Failed(Exception):
    """The work could not go on, through no bug of sim (a worker died): exit 1, one line."""


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


RepsOpt = Annotated[
    str | None,
    typer.Option(
        "--reps",
        help="Replications per scenario, with common random numbers: a number >= 2, or 'auto' "
        "(until the headline KPIs' 95% CIs are within 5% of their means, at most 50). Without "
        "it: one run per scenario.",
        metavar="N|auto",
        show_default=False,
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

AUTO_MIN_REPS = 5
"""--reps auto: the first batch of replications."""


def _parse_reps(text: str, problems: list[str]) -> int | str | None:
    """'auto' or a whole number >= 2; None (and a line in `problems`) otherwise."""
    allowed = "allowed: a whole number >= 2, or auto"
    if text.strip().lower() == "auto":
        return "auto"
    try:
        reps = int(text)
    except ValueError:
        problems.append(f"sim compare: --reps: {text!r} is not a number ({allowed})")
        return None
    if reps < 2:
        problems.append(
            f"sim compare: --reps: {reps} is too few for a confidence interval ({allowed})"
        )
        return None
    return reps


def _workers_problems(command: str, option: str, workers: int | None) -> list[str]:
    if workers is not None and workers < 1:
        return [f"sim {command}: {option}: {workers} is too few (allowed: a whole number >= 1)"]
    return []


def _output_problems(option: str, path: Path | None) -> list[str]:
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


def _write(option: str, path: Path, write: Callable[[Path], Any]) -> None:
    try:
        write(path)
    except OSError as exc:
        raise InputError([f"{path}: {option}: cannot write ({exc.strerror or exc})"]) from None


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
    reps: RepsOpt = None,
    workers: WorkersOpt = None,
    seed: SeedOpt = None,
    days: DaysOpt = None,
    sets: SetOpt = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="With --reps: write a self-contained HTML report.", metavar="FILE"
        ),
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="With --reps: write the tidy table (one row per KPI and scenario) as CSV.",
            metavar="FILE",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run scenarios on the same customers and print their KPIs side by side.

    Without --reps: one run each, with the same seed. With --reps: replications with common
    random numbers, means with 95% confidence intervals, and each scenario's paired difference
    from the first, in numbers and in plain language.
    """
    if len(scenarios) < 2:
        raise typer.BadParameter(
            f"needs at least two scenario files (got {len(scenarios)})", param_hint="SCENARIO..."
        )
    problems: list[str] = []
    replications = _parse_reps(reps, problems) if reps is not None else None
    if reps is None:
        for option, given in (("--workers", workers), ("--report", report), ("--csv", csv)):
            if given is not None:
                problems.append(
                    f"sim compare: {option}: needs replications (allowed: with --reps N or "
                    "--reps auto)"
                )
    problems += _workers_problems("compare", "--workers", workers)
    problems += _output_problems("--report", report) + _output_problems("--csv", csv)
    overrides = _overrides(sets, days, seed)
    loaded = [_load(path, overrides, problems) for path in scenarios]
    if problems:
        raise InputError(problems)
    good = [s for s in loaded if s is not None]
    if replications is None:
        _compare_once(scenarios, good, seed, as_json)
        return
    for path, scenario in zip(scenarios, good, strict=True):
        _warn(str(path), scenario)
    comparison = _compare_replicated(scenarios, good, replications, workers, seed)
    if report is not None:
        from sim.report import write_report

        _write("--report", report, lambda path: write_report(comparison, path))
    if csv is not None:
        _write("--csv", csv, comparison.to_csv)
    if as_json:
        _print_json(
            {
                "root_seed": comparison.root_seed,
                "reps": comparison.n,
                "seeds": comparison.seeds,
                "scenarios": [
                    {"name": name, "file": str(path)}
                    for name, path in zip(comparison.names, scenarios, strict=True)
                ],
                "table": comparison.table().to_dict(orient="records"),
                "sentences": comparison.sentences(),
                "notes": comparison.notes,
            }
        )
    else:
        console = _console()
        console.print(_comparison_table(comparison))
        console.print()
        for sentence in comparison.sentences():
            console.print(escape(sentence), soft_wrap=True)
    for note in comparison.notes:
        _err(f"note: {note}")
    for option, path in (("report", report), ("table", csv)):
        if path is not None:
            _err(f"{path}: {option} written")


def _compare_once(
    paths: Sequence[Path], scenarios: Sequence[Scenario], seed: int | None, as_json: bool
) -> None:
    """One run per scenario, all with the same seed."""
    from sim.runner import run

    common = scenarios[0].run.seed if seed is None else seed
    if seed is None and any(s.run.seed != common for s in scenarios):
        _err(
            f"note: every scenario runs with seed {common} (the first one's), "
            "so that all see the same customers"
        )
    for path, scenario in zip(paths, scenarios, strict=True):
        _warn(str(path), scenario)
    names = _column_names(paths, scenarios)
    columns = []
    for path, scenario, name in zip(paths, scenarios, names, strict=True):
        result = run(scenario, seed=common)
        _report_unstable(str(path), result.kpis)
        columns.append((name, result.kpis))
    if as_json:
        _print_json(
            {
                "seed": common,
                "scenarios": [
                    {"name": name, "file": str(path), "kpis": kpis}
                    for path, (name, kpis) in zip(paths, columns, strict=True)
                ],
            }
        )
        return
    days_text = ", ".join(sorted({str(s.run.days) for s in scenarios}))
    title = f"Comparison  (seed {common} for all, {days_text} days; % vs {names[0]})"
    _console().print(kpi_table(columns, title=title))


def _compare_replicated(
    paths: Sequence[Path],
    scenarios: Sequence[Scenario],
    reps: int | str,
    workers: int | None,
    seed: int | None,
) -> Comparison:
    from sim.experiment import compare, scenario_names
    from sim.sweep import progress_bar

    if len({s.name for s in scenarios}) == len(scenarios):
        names = scenario_names(scenarios)
    else:
        names = _column_names(paths, scenarios)
    planned = len(scenarios) * (AUTO_MIN_REPS if reps == "auto" else int(reps))
    with progress_bar("replications", unit="run") as progress:
        progress(0, planned)
        return compare(
            scenarios,
            reps=reps,  # type: ignore[arg-type]  # a number or "auto" (_parse_reps)
            root_seed=seed,
            workers=workers if workers is not None else 0,  # 0: one per CPU
            min_reps=AUTO_MIN_REPS,
            names=names,
            progress=progress,
        )


def _row_formats() -> dict[str, Row]:
    return {row.key: row for _, rows in KPI_GROUPS for row in rows}


def _kpi_label(key: str, title: bool = False) -> str:
    """The KPI table's label; as a `title`, sub-rows ('  of which in queue') get a full name."""
    from sim.experiment import kpi_info

    row = _row_formats().get(key)
    if row is not None and not (title and row.label.startswith(" ")):
        return row.label
    info = kpi_info(key)
    return f"{info.label} ({info.unit})" if info.unit else info.label


def _kpi_value(key: str, value: float) -> str:
    """A KPI value as the KPI table shows it (shares in %, with the label saying so)."""
    if not math.isfinite(value):
        return "–"
    row = _row_formats().get(key)
    if row is not None:
        return row.fmt(value)
    from sim.experiment import kpi_info

    formats = {"share": _percent, "count": _count, "ratio": _ratio, "score": _score}
    return formats.get(kpi_info(key).kind, _hours)(value)


def _mean_ci(key: str, mean: float, low: float, high: float) -> str:
    if not math.isfinite(mean):
        return "–"
    if not (math.isfinite(low) and math.isfinite(high)):
        return _kpi_value(key, mean)
    return f"{_kpi_value(key, mean)} ± {_kpi_value(key, (high - low) / 2)}"


_VERDICT_STYLE = {"better": "green", "worse": "red", "no clear difference": "dim"}


def _difference_text(comparison: Comparison, key: str, i: int) -> Text:
    """'−34.1% [−40.2, −28.0] better': relative for most KPIs, percentage points for shares;
    'unclear' when the CI of the paired difference contains 0."""
    from sim.experiment import kpi_info

    d = comparison.difference(key, i)
    if d.n < 2 or not math.isfinite(d.ci_low):
        return Text("–")
    if d.diff == 0 and d.ci_low == 0 and d.ci_high == 0:
        return Text("identical", style=_VERDICT_STYLE["no clear difference"])
    # The relative CI (delta method) can disagree with the paired one near 0: then absolute.
    relative = math.isfinite(d.rel_pct) and math.isfinite(d.rel_ci_low)
    relative = relative and (d.rel_ci_low > 0 or d.rel_ci_high < 0) == d.clear
    if kpi_info(key).kind == "share":
        text = f"{100 * d.diff:+.1f} pp [{100 * d.ci_low:+.1f}, {100 * d.ci_high:+.1f}]"
    elif relative:
        text = f"{d.rel_pct:+.1f}% [{d.rel_ci_low:+.1f}, {d.rel_ci_high:+.1f}]"
    else:

        def signed(value: float) -> str:
            return ("+" if value > 0 else "") + _kpi_value(key, value)

        text = f"{signed(d.diff)} [{signed(d.ci_low)}, {signed(d.ci_high)}]"
    verdict = "unclear" if d.verdict == "no clear difference" else d.verdict
    return Text(f"{text} {verdict}", style=_VERDICT_STYLE.get(d.verdict, ""))


def _comparison_table(comparison: Comparison) -> Table:
    """One row per KPI: mean ± 95% CI half-width per scenario, then each scenario's paired
    difference from the baseline with its 95% CI and verdict."""
    keys = comparison.kpis()
    days = ", ".join(sorted({str(s.run.days) for s in comparison.scenarios}))
    title = (
        f"Comparison  ({comparison.n} replications each, common random numbers, root seed "
        f"{comparison.root_seed}, {days} days): mean ± 95% CI, paired difference [95% CI]"
    )
    table = Table(title=escape(title), title_justify="left")
    table.add_column("KPI", min_width=16)  # everything may wrap: narrow terminals fold, not cut
    for name in comparison.names:
        table.add_column(escape(name), justify="right")
    for name in comparison.names[1:]:
        table.add_column(f"{escape(name)} vs {escape(comparison.baseline)}", justify="right")
    groups = [(title, [row.key for row in rows if row.key in keys]) for title, rows in KPI_GROUPS]
    known = {key for _, group in groups for key in group}
    groups.append(("Other", [key for key in keys if key not in known]))
    width = 2 * len(comparison.names) - 1
    first = True
    for group, group_keys in groups:
        if not group_keys:
            continue
        if not first:
            table.add_section()
        first = False
        table.add_row(Text(group, style="bold"), *([""] * width))
        for key in group_keys:
            cells: list[str | Text] = []
            for i in range(len(comparison.names)):
                e = comparison.estimate(key, i)
                cells.append(_mean_ci(key, e.mean, e.ci_low, e.ci_high))
            cells += [_difference_text(comparison, key, i) for i in range(1, len(comparison.names))]
            table.add_row(_kpi_label(key), *cells)
    return table


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
# Sweeps and sensitivity

SpecArg = Annotated[
    Path,
    typer.Argument(
        help="Sweep file (TOML): base scenario, factors, design, replications.",
        show_default=False,
        metavar="SPEC",
    ),
]
DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        help="Run on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786).",
        metavar="ADDRESS",
        show_default=False,
    ),
]
DaskLocalOpt = Annotated[
    int | None,
    typer.Option(
        "--dask-local",
        help="Run on a local Dask cluster of N single-threaded workers.",
        metavar="N",
        show_default=False,
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Output folder (default: out/sweeps/<spec file name>).",
        metavar="DIR",
        show_default=False,
    ),
]
ResumeOpt = Annotated[
    bool,
    typer.Option("--resume", help="Finish the sweep in --out: runs already there are skipped."),
]
ForceResumeOpt = Annotated[
    bool,
    typer.Option(
        "--force-resume",
        help="Resume even though the code changed since the sweep started (runs of two code "
        "versions end up in one sweep).",
    ),
]


def _executor_problems(
    command: str, workers: int | None, dask: str | None, dask_local: int | None
) -> list[str]:
    problems = _workers_problems(command, "--workers", workers)
    problems += _workers_problems(command, "--dask-local", dask_local)
    chosen = [
        option
        for option, value in (
            ("--workers", workers),
            ("--dask", dask),
            ("--dask-local", dask_local),
        )
        if value is not None
    ]
    if len(chosen) > 1:
        problems.append(
            f"sim {command}: {chosen[1]}: cannot be combined with {chosen[0]} (allowed: one of "
            "--workers, --dask, --dask-local)"
        )
    if dask is not None and not dask.strip():
        problems.append(f"sim {command}: --dask: is empty (allowed: an address, tcp://host:8786)")
    return problems


@contextmanager
def _executor(
    command: str, workers: int | None, dask: str | None, dask_local: int | None
) -> Iterator[Executor]:
    """The executor the options ask for; a local pool stops at once on Ctrl-C."""
    from sim.executors import dask_executor, local_executor

    if dask is not None or dask_local is not None:
        started = False
        try:
            with dask_executor(address=dask, local_workers=dask_local) as executor:
                started = True
                yield executor
        except OSError as exc:
            if started:
                raise
            raise Failed(
                f"sim: --dask: cannot reach the Dask scheduler at {dask} ({exc})"
            ) from None
        return
    with local_executor(workers) as pool:
        yield pool


def _sweep_out(spec: Path, out: Path | None) -> Path:
    return out if out is not None else Path("out") / "sweeps" / spec.stem


def _run_spec(
    command: str,
    spec: Path,
    out: Path,
    workers: int | None,
    dask: str | None,
    dask_local: int | None,
    resume: bool,
    force_resume: bool,
    check: Callable[[Any], None] | None = None,
) -> Any:
    """Load the spec, run what is left of it with a progress bar, report how it went."""
    from sim.executors import ExecutorError
    from sim.sweep import SweepInterrupted, load_spec, progress_bar, run_sweep

    problems = _executor_problems(command, workers, dask, dask_local)
    if out.exists() and not out.is_dir():
        problems.append(f"{out}: --out: is a file (allowed: a folder)")
    if problems:
        raise InputError(problems)
    sweep = load_spec(spec)  # SpecError: one line per problem, exit 2
    if check is not None:
        check(sweep)
    try:
        with (
            _executor(command, workers, dask, dask_local) as executor,
            progress_bar(command) as progress,
        ):
            result = run_sweep(
                sweep,
                out,
                executor,
                resume=resume,
                force_resume=force_resume,
                progress=progress,
            )
    except SweepInterrupted as exc:
        raise Interrupted(f"sim {command}: {exc}") from None
    except ExecutorError as exc:  # SweepError included: a worker died
        raise Failed(f"sim {command}: {exc}") from None
    if result.ran == 0:
        _err(f"{out}: nothing new to run: all {result.total} runs were already there")
    else:
        _err(
            f"{out}: {result.ran} runs in {result.elapsed_s:.1f} s "
            f"({result.runs_per_minute:,.0f} per minute); {result.skipped} were already there"
        )
    if result.errors:
        from sim.sweep import load_runs

        runs = load_runs(out)
        failed = runs[runs["status"] == "error"]
        first = failed["error"].iloc[0] if len(failed) else "?"
        _err(
            f"{out}: warning: {result.errors} runs failed (status 'error' in the parts); "
            f"the first: {first}"
        )
    return sweep


def _factor_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _summary_tables(summary: pd.DataFrame, factors: Sequence[str]) -> list[Table]:
    """One table per KPI: a row per design point with its factor values, mean ± 95% CI, n."""
    tables = []
    counted = [c for c in ("errors", "unstable") if c in summary and summary[c].gt(0).any()]
    for kpi, part in summary.groupby("kpi", sort=False):
        table = Table(title=escape(_kpi_label(str(kpi), title=True)), title_justify="left")
        for factor in factors:
            table.add_column(escape(factor), justify="right", no_wrap=True)
        table.add_column("mean ± 95% CI", justify="right", no_wrap=True)
        table.add_column("n", justify="right")
        for column in counted:
            table.add_column(column, justify="right")
        for _, row in part.iterrows():
            table.add_row(
                *[_factor_text(row[f]) for f in factors],
                _mean_ci(str(kpi), row["mean"], row["ci_low"], row["ci_high"]),
                str(int(row["n"])),
                *[str(int(row[c])) for c in counted],
            )
        tables.append(table)
    return tables


@app.command("sweep")
def sweep_command(
    spec: SpecArg,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    dask_local: DaskLocalOpt = None,
    out: OutOpt = None,
    resume: ResumeOpt = False,
    force_resume: ForceResumeOpt = False,
) -> None:
    """Run a sweep file: every design point x replication, in parallel, saved as Parquet.

    Prints, per KPI, each design point's mean with its 95% confidence interval.
    """
    from sim.sweep import summarise

    folder = _sweep_out(spec, out)
    sweep = _run_spec("sweep", spec, folder, workers, dask, dask_local, resume, force_resume)
    console = _console()
    console.print(
        f"[bold]{escape(sweep.spec.name)}[/bold]: {len(sweep.points)} design points x "
        f"{len(sweep.seeds)} replications, saved in {escape(str(folder))}"
    )
    for table in _summary_tables(summarise(folder), sweep.factors):
        console.print(table)


_IMPORTANCE = {"sobol": "ST", "morris": "mu_star"}


def _indices_tables(indices: pd.DataFrame) -> list[Table]:
    """One table per KPI, factors by importance (total index or mu_star), intervals ± 95%."""
    method = indices.attrs.get("method", "sobol" if "S1" in indices else "morris")
    if method == "sobol":
        columns = [
            ("first order S1", "S1", "S1_conf"),
            ("total ST", "ST", "ST_conf"),
        ]
    else:
        columns = [
            ("importance μ*", "mu_star", "mu_star_conf"),
            ("μ (signed)", "mu", None),
            ("σ (interactions)", "sigma", None),
        ]
    tables = []
    for kpi, part in indices.groupby("kpi", sort=False):
        table = Table(
            title=f"{escape(_kpi_label(str(kpi), title=True))}: {method} indices",
            title_justify="left",
        )
        table.add_column("factor", no_wrap=True)
        for label, _, _ in columns:
            table.add_column(label, justify="right", no_wrap=True)
        ordered = part.sort_values(_IMPORTANCE[method], ascending=False, na_position="last")
        for _, row in ordered.iterrows():
            cells = []
            for _, value, conf in columns:
                v = float(row[value])
                text = "–" if not math.isfinite(v) else f"{v:#.3g}".rstrip(".")
                if conf is not None and math.isfinite(v) and math.isfinite(float(row[conf])):
                    text += f" ± {float(row[conf]):#.2g}".rstrip(".")
                cells.append(text)
            table.add_row(escape(str(row["factor"])), *cells)
        tables.append(table)
    return tables


@app.command("sensitivity")
def sensitivity_command(
    spec: SpecArg,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    dask_local: DaskLocalOpt = None,
    out: OutOpt = None,
    resume: ResumeOpt = False,
    force_resume: ForceResumeOpt = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Where to save the chart of the indices (default: <out>/sensitivity.png).",
            metavar="FILE.png",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Global sensitivity: run a Sobol or Morris sweep file, print and plot the indices."""
    from sim.sensitivity import analyse, check_design, plot_indices
    from sim.sweep import SweepError

    folder = _sweep_out(spec, out)
    problems = _output_problems("--plot", plot)
    if plot is not None and plot.suffix.lower() != ".png":
        problems.append(f"{plot}: --plot: is not a .png file (allowed: a file ending in .png)")
    if problems:
        raise InputError(problems)
    sweep = _run_spec(
        "sensitivity", spec, folder, workers, dask, dask_local, resume, force_resume, check_design
    )
    try:
        indices = analyse(folder)
    except SweepError as exc:  # failed runs leave design points without a value
        raise Failed(f"sim sensitivity: {exc}") from None
    console = _console()
    for table in _indices_tables(indices):
        console.print(table)
    target = plot if plot is not None else folder / "sensitivity.png"
    _write("--plot", target, lambda path: plot_indices(indices, path, title=sweep.spec.name))
    _err(f"{target}: chart written")


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
    except Interrupted as exc:
        _err(_one_line(str(exc)))
        return EXIT_INTERRUPTED
    except Failed as exc:
        _err(_one_line(str(exc)))
        return EXIT_BUG
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
