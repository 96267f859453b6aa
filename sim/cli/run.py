"""`sim run`, `sim validate` and `sim compare` (one run per scenario; with --reps, see
`sim.cli.experiments`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import (
    EXIT_INPUT,
    AllowLargeOpt,
    DaysOpt,
    InputError,
    JsonOpt,
    ScenarioArg,
    SeedOpt,
    SetOpt,
    WorkersOpt,
    column_names,
    console,
    err,
    load,
    output_problems,
    overrides,
    print_json,
    report_unstable,
    say,
    warn,
    workers_problems,
    write,
)
from sim.cli.experiments import compare_replicated, parse_reps
from sim.cli.tables import kpi_table
from sim.scenario import Scenario

EVENT_LOG_SUFFIXES = (".csv", ".parquet")


def _events_problems(path: Path) -> list[str]:
    problems = []
    if path.suffix.lower() not in EVENT_LOG_SUFFIXES:
        problems.append(
            f"{path}: --events: {repr(path.suffix) if path.suffix else 'no extension'} "
            "is not a supported format "
            f"(allowed: a file ending in {' or '.join(EVENT_LOG_SUFFIXES)})"
        )
    return problems + output_problems("--events", path)


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
    allow_large: AllowLargeOpt = False,
) -> None:
    """Run one scenario and print its KPIs."""
    from sim.metrics import write_event_log
    from sim.runner import run

    problems = _events_problems(events) if events is not None else []
    loaded = load(scenario, overrides(sets, days, seed), problems, allow_large)
    if problems or loaded is None:
        raise InputError(problems)
    source = str(scenario)
    warn(source, loaded)
    result = run(loaded, events=events is not None)
    if events is not None:
        log = result.events
        assert log is not None
        write("--events", events, lambda path: write_event_log(log, str(path)))
    report_unstable(source, result.kpis)
    if as_json:
        print_json(result.kpis)
        return
    stopped = result.kpis.get("stopped_day")
    days = loaded.run.days
    ran = f"stopped early on day {stopped} of {days}" if stopped else f"{days} days"
    title = f"{loaded.name}  (seed {result.seed}, {ran})"
    out = console()
    out.print(kpi_table([(loaded.name, result.kpis)], title=title, width=out.width))
    if events is not None and result.events is not None:
        err(f"{source}: event log written to {events} ({len(result.events)} rows)")


def validate_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="Scenario TOML files to check.", show_default=False, metavar="FILE..."),
    ],
    allow_large: AllowLargeOpt = False,
) -> None:
    """Check scenario files without running them; every problem is one line on stderr."""
    bad = 0
    for path in files:
        problems: list[str] = []
        scenario = load(path, [], problems, allow_large)
        if scenario is None:
            bad += 1
            for line in problems:
                err(line)
            continue
        say(f"{path}: ok")
        warn(str(path), scenario)
    if bad:
        raise typer.Exit(EXIT_INPUT)


MAX_WORLDS = 1000
WORLDS_REPS = 5
"""--worlds without --reps: replications per scenario and world."""

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
    worlds: Annotated[
        int | None,
        typer.Option(
            "--worlds",
            help="Also run every scenario in N plausible worlds (a Latin hypercube over the "
            "assumption ranges of docs/scenario-reference.md, or the scenarios' [assumptions]), "
            "with the same seeds: the share of worlds in which each scenario is best, and the "
            "assumptions the verdict hinges on. With --reps N (default 5).",
            metavar="N",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one JSON object: without --reps the KPIs of each run; with --reps the "
            "comparison (scenarios, stable, kpis, differences, worlds, verdict, bottlenecks, "
            "warnings; see docs/scenario-reference.md).",
        ),
    ] = False,
    allow_large: AllowLargeOpt = False,
) -> None:
    """Run scenarios on the same customers and print their KPIs side by side.

    Without --reps: one run each, with the same seed. With --reps: replications with common
    random numbers, means with 95% confidence intervals, and each scenario's paired difference
    from the first, in numbers and in plain language. With --worlds: the same in N plausible
    worlds, and the verdict in what share of them.
    """
    if len(scenarios) < 2:
        raise typer.BadParameter(
            f"needs at least two scenario files (got {len(scenarios)})", param_hint="SCENARIO..."
        )
    problems: list[str] = []
    replications = parse_reps(reps, problems) if reps is not None else None
    if worlds is not None:
        if not 2 <= worlds <= MAX_WORLDS:
            problems.append(
                f"sim compare: --worlds: {worlds} (allowed: a whole number from 2 to {MAX_WORLDS})"
            )
        if reps is None:
            reps, replications = str(WORLDS_REPS), WORLDS_REPS
    if reps is None:
        for option, given in (("--workers", workers), ("--report", report), ("--csv", csv)):
            if given is not None:
                problems.append(
                    f"sim compare: {option}: needs replications (allowed: with --reps N or "
                    "--reps auto)"
                )
    problems += workers_problems("compare", "--workers", workers)
    problems += output_problems("--report", report) + output_problems("--csv", csv)
    changes = overrides(sets, days, seed)
    loaded = [load(path, changes, problems, allow_large) for path in scenarios]
    if problems:
        raise InputError(problems)
    good = [s for s in loaded if s is not None]
    if replications is None:
        _compare_once(scenarios, good, seed, as_json)
    else:
        compare_replicated(
            scenarios, good, replications, workers, seed, report, csv, as_json, worlds
        )


def _compare_once(
    paths: Sequence[Path], scenarios: Sequence[Scenario], seed: int | None, as_json: bool
) -> None:
    """One run per scenario, all with the same seed (a reorganisation's counterfactual taken
    from the run of the organisation as it stands, when that is one of them)."""
    from sim.replications.runs import run_jobs, summarise_run

    common = scenarios[0].run.seed if seed is None else seed
    if seed is None and any(s.run.seed != common for s in scenarios):
        err(
            f"note: every scenario runs with seed {common} (the first one's), "
            "so that all see the same customers"
        )
    for path, scenario in zip(paths, scenarios, strict=True):
        warn(str(path), scenario)
    names = column_names(paths, scenarios)
    runs = run_jobs(
        [(i, s, common) for i, s in enumerate(scenarios)], None, summarise_run, lambda n: None
    )
    columns = []
    for i, (path, name) in enumerate(zip(paths, names, strict=True)):
        kpis = runs[(i, common)].kpis
        report_unstable(str(path), kpis)
        columns.append((name, kpis))
    if as_json:
        print_json(
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
    out = console()
    out.print(kpi_table(columns, title=title, width=out.width))
