"""Experiments from the command line: `sim compare --reps`, `sim sweep` and `sim sensitivity`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from sim.cli.common import (
    AllowLargeOpt,
    Failed,
    InputError,
    Interrupted,
    WorkersOpt,
    column_names,
    console,
    err,
    output_problems,
    print_json,
    warn,
    workers_problems,
    write,
)
from sim.cli.tables import comparison_table, indices_tables, summary_tables

if TYPE_CHECKING:  # imported where used: `sim --help` and `sim validate` start fast
    from concurrent.futures import Executor

    from sim.scenario import Scenario

# --------------------------------------------------------------------------------------------
# compare --reps

AUTO_MIN_REPS = 5
"""--reps auto: the first batch of replications."""


def parse_reps(text: str, problems: list[str]) -> int | str | None:
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


def compare_replicated(
    paths: Sequence[Path],
    scenarios: Sequence[Scenario],
    reps: int | str,
    workers: int | None,
    seed: int | None,
    report: Path | None,
    csv: Path | None,
    as_json: bool,
    worlds: int | None = None,
) -> None:
    """Replications with common random numbers: the verdict, the table and sentences (or
    JSON), then the report and the CSV table where asked for. With `worlds`, the same
    replications in that many plausible worlds too."""
    from sim.progress import progress_bar
    from sim.replications import compare
    from sim.replications.verdict import comparison_json, verdict_of
    from sim.scenario.assumptions import AssumptionConflict, assumption_ranges

    for path, scenario in zip(paths, scenarios, strict=True):
        warn(str(path), scenario)
    names = column_names(paths, scenarios)
    if worlds is not None:
        try:
            assumption_ranges(scenarios, [str(p) for p in paths])
        except AssumptionConflict as exc:
            raise InputError([f"sim compare: --worlds: {exc}"]) from None
    planned = len(scenarios) * (AUTO_MIN_REPS if reps == "auto" else int(reps))
    with progress_bar("replications", unit="run") as progress:
        progress(0, planned)
        comparison = compare(
            scenarios,
            reps=reps,  # type: ignore[arg-type]  # a number or "auto" (parse_reps)
            root_seed=seed,
            workers=workers if workers is not None else 0,  # 0: one per CPU
            min_reps=AUTO_MIN_REPS,
            names=names,
            progress=progress,
        )
    if worlds is not None:
        with progress_bar("plausible worlds", unit="run") as progress:
            comparison.run_worlds(
                worlds, workers=workers if workers is not None else 0, progress=progress
            )
    verdict = verdict_of(comparison, comparison.worlds)
    if report is not None:
        from sim.report import write_report

        write("--report", report, lambda path: write_report(comparison, path))
    if csv is not None:
        write("--csv", csv, comparison.to_csv)
    if as_json:
        print_json(comparison_json(comparison, verdict))
    else:
        out = console()
        out.print(comparison_table(comparison, width=out.width))
        out.print()
        print_verdict(out, verdict)
        out.print()
        out.print("At the scenarios' own assumptions, KPI by KPI:")
        for sentence in comparison.sentences():
            out.print(escape(sentence), soft_wrap=True)
    for note in comparison.notes:
        err(f"note: {note}")
    for option, written in (("report", report), ("table", csv)):
        if written is not None:
            err(f"{written}: {option} written")


def print_verdict(out: Any, verdict: Any) -> None:
    """The verdict (`sim.replications.verdict.Verdict`) in the terminal: the answer or why
    there is none, the reasons, what it hinges on, the warnings."""
    if verdict.sentence is None:
        out.print("[bold]No verdict[/bold]: a scenario cannot keep up.", soft_wrap=True)
        for found in verdict.bottlenecks:
            out.print("  " + escape(found.sentence()), soft_wrap=True)
    else:
        out.print("[bold]Verdict[/bold]: " + escape(verdict.sentence), soft_wrap=True)
        for reason in verdict.reasons:
            out.print("  - " + escape(reason), soft_wrap=True)
    for warning in verdict.warnings:
        if not warning.startswith("With ") and "replications were unstable" not in warning:
            out.print("[bold]Warning[/bold]: " + escape(warning), soft_wrap=True)


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
    problems = workers_problems(command, "--workers", workers)
    problems += workers_problems(command, "--dask-local", dask_local)
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
def _executor(workers: int | None, dask: str | None, dask_local: int | None) -> Iterator[Executor]:
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
    """--out, else the results folder ``sim dashboard`` shows by default."""
    from sim.dashboard import RESULTS_DIR

    return out if out is not None else RESULTS_DIR / spec.stem


def _run_spec(
    command: str,
    spec: Path,
    out: Path,
    workers: int | None,
    dask: str | None,
    dask_local: int | None,
    resume: bool,
    force_resume: bool,
    allow_large: bool,
    check: Callable[[Any], None] | None = None,
) -> Any:
    """Load the spec, run what is left of it with a progress bar, report how it went."""
    from sim.executors import ExecutorError
    from sim.progress import progress_bar
    from sim.sweeps import SweepInterrupted, load_spec, run_sweep

    problems = _executor_problems(command, workers, dask, dask_local)
    if out.exists() and not out.is_dir():
        problems.append(f"{out}: --out: is a file (allowed: a folder)")
    if problems:
        raise InputError(problems)
    sweep = load_spec(spec, allow_large=allow_large)  # SpecError: one line each, exit 2
    if check is not None:
        check(sweep)
    try:
        with (
            _executor(workers, dask, dask_local) as executor,
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
        raise Interrupted(f"sim {command}: {exc}", exc.status) from None
    except ExecutorError as exc:  # SweepError included: a worker died
        raise Failed(f"sim {command}: {exc}") from None
    for note in result.notes:
        err(note)
    if result.ran == 0:
        err(f"{out}: nothing new to run: all {result.total} runs were already there")
    else:
        err(
            f"{out}: {result.ran} runs in {result.elapsed_s:.1f} s "
            f"({result.runs_per_minute:,.0f} per minute); {result.skipped} were already there"
        )
    if result.errors:
        from sim.sweeps import load_runs

        runs = load_runs(out)
        failed = runs[runs["status"] == "error"]
        first = failed["error"].iloc[0] if len(failed) else "?"
        err(
            f"{out}: warning: {result.errors} runs failed (status 'error' in the parts); "
            f"the first: {first}"
        )
    return sweep


def sweep_command(
    spec: SpecArg,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    dask_local: DaskLocalOpt = None,
    out: OutOpt = None,
    resume: ResumeOpt = False,
    force_resume: ForceResumeOpt = False,
    allow_large: AllowLargeOpt = False,
) -> None:
    """Run a sweep file: every design point x replication, in parallel, saved as Parquet.

    Prints, per KPI, each design point's mean with its 95% confidence interval.
    """
    from sim.sweeps import summarise_sweep

    folder = _sweep_out(spec, out)
    sweep = _run_spec(
        "sweep", spec, folder, workers, dask, dask_local, resume, force_resume, allow_large
    )
    summary = summarise_sweep(folder)
    for note in summary.attrs["notes"]:
        err(note)
    printer = console()
    printer.print(
        f"[bold]{escape(sweep.spec.name)}[/bold]: {len(sweep.points)} design points x "
        f"{len(sweep.seeds)} replications, saved in {escape(str(folder))}"
    )
    for table in summary_tables(summary, sweep.factors, sweep.base.run.currency):
        printer.print(table)


def sensitivity_command(
    spec: SpecArg,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    dask_local: DaskLocalOpt = None,
    out: OutOpt = None,
    resume: ResumeOpt = False,
    force_resume: ForceResumeOpt = False,
    allow_large: AllowLargeOpt = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Where to save the chart of the indices (default: <out>/_sensitivity.png; "
            "underscored, so that Parquet readers skip it).",
            metavar="FILE.png",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Global sensitivity: run a Sobol or Morris sweep file, print and plot the indices."""
    from sim.sweeps import SweepError
    from sim.sweeps.sensitivity import analyse, check_design, plot_indices

    folder = _sweep_out(spec, out)
    problems = output_problems("--plot", plot)
    if plot is not None and plot.suffix.lower() != ".png":
        problems.append(f"{plot}: --plot: is not a .png file (allowed: a file ending in .png)")
    if problems:
        raise InputError(problems)
    sweep = _run_spec(
        "sensitivity",
        spec,
        folder,
        workers,
        dask,
        dask_local,
        resume,
        force_resume,
        allow_large,
        check_design,
    )
    try:
        indices = analyse(folder)
    except SweepError as exc:  # failed runs leave design points without a value
        raise Failed(f"sim sensitivity: {exc}") from None
    printer = console()
    for table in indices_tables(indices):
        printer.print(table)
    target = plot if plot is not None else folder / "_sensitivity.png"
    write("--plot", target, lambda path: plot_indices(indices, path, title=sweep.spec.name))
    err(f"{target}: chart written")
