"""The `sim` command: run, compare and validate scenarios, and run experiments, from a terminal.

    sim run scenarios/functional.toml --days 30 --seed 7
    sim compare scenarios/functional.toml scenarios/cross-functional.toml
    sim compare scenarios/functional.toml scenarios/matrix.toml --reps auto --report r.html
    sim validate scenarios/*.toml
    sim sweep experiments/sweeps/demo.toml --workers 2
    sim sensitivity experiments/sweeps/sensitivity.toml --workers 2
    sim calibrate tickets.csv.gz --map tickets-map.toml --out as-is.toml --report fidelity.html

Output contract: tables (rich) or one JSON object on stdout; progress bars, notes, warnings and
problems on stderr, one line each (``file: key.path: what is wrong (what is allowed)``), with
control characters shown, not obeyed (`sim.terminal`). Exit status: 0 ok, 1 internal error (a
bug: please report it) or a failed worker, 2 bad input, 130 interrupted (Ctrl-C), 143 or 129
stopped by SIGTERM or SIGHUP, which stop as Ctrl-C does (`sim.signals`). A Python traceback is
only shown with ``SIM_DEBUG=1``.

The package: this module (the app, `main` and how errors become exit statuses), `common`
(errors, output, options, input checks), `tables` (the rich tables), `run` (run, validate,
compare), `experiments` (compare --reps, sweep, sensitivity) and `calibrate` (an "as is"
scenario from a ticket export). Heavy modules (the model, numpy, pandas) are imported inside
the commands, so that `sim --help` starts fast.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Annotated

import typer

from sim.cli.calibrate import calibrate_command
from sim.cli.common import (
    EXIT_BUG,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Failed,
    Interrupted,
    err,
)
from sim.cli.dashboard import dashboard_command
from sim.cli.experiments import sensitivity_command, sweep_command
from sim.cli.run import compare_command, run_command, validate_command
from sim.scenario import ProblemsError
from sim.signals import Stopped, stop_signals

__all__ = ["app", "main"]

# Click's usage-error base class, found through typer's public API (typer >= 0.20 vendors click).
_ClickException: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)

app = typer.Typer(
    name="sim",
    help="Silos or cross-functional teams? Simulate what a structure does to customers.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import PackageNotFoundError, version

        from sim.core import core

        try:
            number = version("sim")
        except PackageNotFoundError:  # run from a source tree that is not installed
            number = "(not installed)"
        print(f"sim {number}, {core()} core")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and which core runs the model (pure Python or compiled).",
        ),
    ] = False,
) -> None:
    """Options of `sim` itself, before the command."""


app.command("run")(run_command)
app.command("compare")(compare_command)
app.command("validate")(validate_command)
app.command("sweep")(sweep_command)
app.command("sensitivity")(sensitivity_command)
app.command("calibrate")(calibrate_command)
app.command("dashboard")(dashboard_command)


def _one_line(text: str) -> str:
    return "; ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _interrupted(exc: BaseException | None) -> int:
    """Ctrl-C or a stop signal (`Stopped`): one line, and the exit status it calls for."""
    if isinstance(exc, Stopped):
        err(f"sim: stopped ({exc.name})")
        return exc.status
    err("sim: interrupted")
    return EXIT_INTERRUPTED


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `sim` and `python -m sim`; returns the exit status."""
    debug = os.environ.get("SIM_DEBUG") == "1"
    if sys.stdout is None:  # started with stdout closed (`sim run ... >&-`)
        err("sim: standard output is closed: nowhere to print to (to discard it, use >/dev/null)")
        return EXIT_INPUT
    try:
        command = typer.main.get_command(app)
        with stop_signals() as received:  # SIGTERM and SIGHUP stop as Ctrl-C does
            status = command.main(args=argv, prog_name="sim", standalone_mode=False)
    except ProblemsError as exc:  # bad input: a scenario, a sweep file, options
        for line in exc.problems:
            err(line)
        return EXIT_INPUT
    except Interrupted as exc:
        err(_one_line(str(exc)))
        return exc.status
    except Failed as exc:
        err(_one_line(str(exc)))
        return EXIT_BUG
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except _ClickException as exc:  # usage errors: unknown option, missing argument, ...
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "sim"
        message = _one_line(exc.format_message())  # type: ignore[attr-defined]  # click's
        if message:  # empty when the help was shown instead (`sim` with no arguments)
            err(f"{where}: {message} (try '{where} --help')")
        return int(getattr(exc, "exit_code", EXIT_INPUT))
    except Exception as exc:
        if type(exc).__name__ == "Abort":  # click's Abort: Ctrl-C (a signal) or EOF at a prompt
            return _interrupted(exc.__cause__)
        if debug:
            traceback.print_exc()
        err(
            f"sim: internal error: {type(exc).__name__}: {_one_line(str(exc))} -- this is a bug "
            "in sim, please report it with the command line and the scenario file"
            + ("" if debug else " (run with SIM_DEBUG=1 to see the traceback)")
        )
        return EXIT_BUG
    if status == EXIT_INTERRUPTED:  # typer turns Ctrl-C inside a command into Exit(130)
        return _interrupted(received.stop)
    return status if isinstance(status, int) else EXIT_OK
