"""`sim calibrate`: a ticket export in, an "as is" scenario and its fidelity out."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sim.cli.common import (
    InputError,
    WorkersOpt,
    console,
    err,
    output_problems,
    print_json,
    workers_problems,
    write,
)

if TYPE_CHECKING:
    from rich.table import Table

    from sim.calibration.fidelity import Fidelity


def _column(flag: str, what: str) -> Any:
    return typer.Option(flag, help=what, metavar="COLUMN", show_default=False)


def calibrate_command(
    log: Annotated[
        Path,
        typer.Argument(
            help="The export: CSV or XES, gzip-compressed or not.",
            show_default=False,
            metavar="LOG",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="Where to write the calibrated scenario.", metavar="FILE"),
    ] = Path("as-is.toml"),
    case: Annotated[
        str | None, _column("--case", "Case id column (default: case:concept:name)")
    ] = None,
    activity: Annotated[
        str | None, _column("--activity", "Activity (or state) column (default: concept:name)")
    ] = None,
    timestamp: Annotated[
        str | None, _column("--timestamp", "Time column (default: time:timestamp)")
    ] = None,
    start: Annotated[
        str | None, _column("--start", "Start time column, for logs with start and end times")
    ] = None,
    team: Annotated[str | None, _column("--team", "Team column (default: org:group)")] = None,
    resource: Annotated[
        str | None, _column("--resource", "Person column, counted (default: org:resource)")
    ] = None,
    lifecycle: Annotated[
        str | None,
        _column("--lifecycle", "start/complete column (default: lifecycle:transition)"),
    ] = None,
    resolved_activity: Annotated[
        str | None,
        typer.Option(
            "--resolved-activity",
            help="The activity that ends the customer's wait (later events such as an "
            "automatic closure do not count).",
            metavar="NAME",
        ),
    ] = None,
    mapping_file: Annotated[
        Path | None,
        typer.Option(
            "--map",
            help="A TOML file mapping columns and states (waiting, resolved, cancelled) and "
            "the time format, for audit logs; flags override it.",
            metavar="FILE",
        ),
    ] = None,
    holdout: Annotated[
        float,
        typer.Option(
            "--holdout",
            help="Share of the latest cases held out to test the fidelity (0: fit on all, "
            "no test).",
        ),
    ] = 0.2,
    reps: Annotated[
        int, typer.Option("--reps", help="Replications of the model and of the baseline.")
    ] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Root seed of the replications.")] = 1,
    workers: WorkersOpt = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Write the fidelity as a self-contained HTML file.", metavar="FILE"
        ),
    ] = None,
    start_delays: Annotated[
        bool,
        typer.Option(
            "--start-delays/--no-start-delays",
            help="Fit each team's delay before it takes up a new case, drawn together with "
            "the customer's waits (see docs/calibration.md).",
        ),
    ] = True,
    person_shifts: Annotated[
        bool,
        typer.Option(
            "--person-shifts",
            help="Give each person their own hours, from when they work in the log (counted "
            "per team, never named; experimental: see docs/calibration.md).",
        ),
    ] = False,
    fit_window: Annotated[
        str,
        typer.Option(
            "--fit-window",
            help="Which stretch before the test window to fit on: auto (every whole week; when "
            "the log is not stationary, the weeks since it last changed), all, or a number of "
            "days (the latest ones).",
            metavar="auto|all|DAYS",
        ),
    ] = "auto",
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the fidelity (and any warnings) as one JSON object."),
    ] = False,
) -> None:
    """Calibrate an "as is" scenario from a ticket export and measure how well it reproduces
    the later, held-out cases (against a naive one-queue baseline and the noise floor)."""
    from sim.calibration.mapping import load_mapping
    from sim.calibration.options import fit_window_choice, fit_window_problem, holdout_problem
    from sim.calibration.pipeline import calibrate
    from sim.calibration.writer import write_scenario
    from sim.progress import progress_bar

    problems = output_problems("--out", out) + output_problems("--report", report)
    problems += workers_problems("calibrate", "--workers", workers)
    held = holdout_problem(holdout)  # the dashboard's calibrate page checks the same
    if held is not None:
        problems.append(f"sim calibrate: --holdout: {held}")
    if reps < 1:
        problems.append(f"sim calibrate: --reps: {reps} is too few (allowed: a whole number >= 1)")
    window = fit_window_choice(fit_window)
    unfit = fit_window_problem(fit_window)
    if unfit is not None:
        problems.append(f"sim calibrate: --fit-window: {unfit}")
    if report is not None and holdout == 0:
        problems.append("sim calibrate: --report: needs a test window (allowed: --holdout > 0)")
    if problems:
        raise InputError(problems)
    mapping = load_mapping(mapping_file).with_flags(
        case=case,
        activity=activity,
        timestamp=timestamp,
        start=start,
        team=team,
        resource=resource,
        lifecycle=lifecycle,
        resolved=resolved_activity,
    )
    began = time.perf_counter()
    with progress_bar("simulating the test window", unit="run") as progress:
        result = calibrate(
            log,
            mapping,
            holdout=holdout,
            reps=reps,
            seed=seed,
            workers=workers if workers is not None else 0,
            progress=progress,
            start_delays=start_delays,
            person_shifts=person_shifts,
            fit_window=window if window is not None else "auto",
        )
    source = str(log)
    timeline = result.timeline
    err(
        f"{source}: {len(timeline.events):,} events in {len(timeline.cases):,} cases, "
        f"{timeline.events['team'].nunique():,} teams, "
        f"{timeline.events['resource'].nunique():,} people "
        f"({time.perf_counter() - began:.1f} s)"
    )
    for warning in result.calibration.warnings:
        err(f"{source}: warning: {warning}")
    write("--out", out, lambda path: write_scenario(result.calibration, path))
    s = result.scenario
    err(
        f"{out}: written ({len(s.demand.request_types)} request types, {len(s.workforce)} teams, "
        f"{s.headcount} people)"
    )
    fidelity = result.fidelity
    for note in fidelity.notes if fidelity is not None else []:
        err(f"{source}: note: {note}")
    if report is not None and fidelity is not None:
        from sim.calibration.report import write_report

        write("--report", report, lambda path: write_report(result, path, source))
        err(f"{report}: fidelity report written")
    if as_json:
        print_json(
            {
                "log": source,
                "scenario": str(out),
                "fit_window": result.calibration.fit_window(),
                "warnings": result.calibration.warnings,
                "fidelity": fidelity.as_dict() if fidelity is not None else None,
            }
        )
    elif fidelity is not None:
        out_console = console()
        for table in fidelity_tables(fidelity):
            out_console.print(table)


def fidelity_tables(fidelity: Fidelity) -> list[Table]:
    """The held-out statistics side by side, and the distances with their noise floors."""
    from rich.table import Table

    from sim.calibration.fidelity import DISTANCES, STATISTICS, TARGETS, format_number

    w = fidelity.window
    title = (
        f"Held-out test window {w.cut:%Y-%m-%d} to {w.last_arrival:%Y-%m-%d} "
        f"({fidelity.test_cases:,} cases; model and baseline: mean of "
        f"{fidelity.replications} runs ± sd)"
    )
    stats = Table(title=title, title_justify="left")
    for name in (
        "Statistic",
        "Log [95% sampling]",
        "Model",
        "Naive baseline",
        "Model error",
        "Target",
    ):
        stats.add_column(name, justify="left" if name == "Statistic" else "right")
    targets = fidelity.targets()
    for key, (label, unit) in STATISTICS.items():
        row = fidelity.statistics[key]
        target = targets.get(key)
        error = (row["model"] - row["log"]) / row["log"] if target and row["log"] else math.nan
        verdict = ""
        if target:
            verdict = f"{'met' if target['met'] else 'missed'} (within {TARGETS[key]:.0%})"
        interval = ""
        if math.isfinite(row["log_low"]):
            interval = (
                f" [{format_number(row['log_low'], unit)}, {format_number(row['log_high'], unit)}]"
            )
        stats.add_row(
            f"{label} ({unit})",
            format_number(row["log"], unit) + interval,
            f"{format_number(row['model'], unit)} ± {format_number(row['model_sd'], unit)}",
            format_number(row["baseline"], unit),
            f"{100 * error:+.0f}%" if math.isfinite(error) else "–",
            verdict,
        )
    table = Table(
        title="Distances from the test cases (lower is better; the noise floor is the distance "
        "between two random halves of the test cases)",
        title_justify="left",
    )
    for name in ("Distance", "Model", "Naive baseline", "Noise floor", "Unit"):
        table.add_column(name, justify="left" if name == "Distance" else "right")
    for key, (label, unit) in DISTANCES.items():
        row = fidelity.distances[key]
        table.add_row(
            label,
            f"{format_number(row['model'], unit)} ± {format_number(row['model_sd'], unit)}",
            format_number(row["baseline"], unit),
            format_number(row["noise_floor"], unit),
            unit,
        )
    cycle = targets["cycle_time"]
    table.caption = (
        "Cycle-time distance below the naive baseline's."
        if cycle["met"]
        else "Cycle-time distance not clearly below the naive baseline's."
    )
    return [stats, table]
