"""`sim dashboard`: start the Solara dashboard and print its address."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.dashboard.guard import PAGES_PER_CLIENT


def dashboard_command(
    host: Annotated[
        str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8765,
    results: Annotated[
        Path | None,
        typer.Option(
            help="Folder of saved sweeps for the sweep explorer (default: out/sweeps, where "
            "sim sweep saves them).",
            show_default=False,
        ),
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="Also answer to this host name (NAME, or NAME:PORT for one port), e.g. the "
            "name of a reverse proxy; repeatable. Requests naming any other host, and pages "
            "from any other site, are refused.",
            metavar="NAME",
        ),
    ] = None,
    pages_per_client: Annotated[
        int,
        typer.Option(
            help="Open pages (browser tabs) one client address may keep; past this, its "
            "oldest idle page is closed. Raise it for a classroom behind one address.",
        ),
    ] = PAGES_PER_CLIENT,
) -> int:
    """Start the dashboard (classroom, leadership comparison, sweep explorer); print its
    address. Works offline: the front end is served from a local cache."""
    from sim.dashboard import serve

    return serve(host, port, results, allow_host or (), pages_per_client)
