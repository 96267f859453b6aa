"""Run the `sim` command in this process: the same exit status, stdout and stderr a user sees.

Starting `python -m sim` costs ~0.8 s of CPU just to import the command line, so the fast lane
calls `main(argv)` instead wherever the separate process is not what a test is about (arguments,
messages, exit codes, output formats). Tests about the process itself (signals, Ctrl-C, a closed
stdout, process groups, pools, servers) start a real one and are marked `slow`.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from unittest import mock

from sim.cli import main


def sim(
    *args: str | Path, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """`sim ARGS` with its output captured as from a pipe (no terminal size: COLUMNS and LINES
    unset, as in a child started without them), in `cwd` if given."""
    argv = [str(a) for a in args]
    stdout, stderr = io.StringIO(), io.StringIO()
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    with (
        mock.patch.dict(os.environ, {**environ, **(env or {})}, clear=True),
        contextlib.chdir(cwd or Path.cwd()),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        code = main(argv)
    return subprocess.CompletedProcess(["sim", *argv], code, stdout.getvalue(), stderr.getvalue())
