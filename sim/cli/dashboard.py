"""`sim dashboard`: start the Solara dashboard and print its address."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def dashboard_command(
    host: Annotated[
        str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8765,
    results: Annotated[
        Path | None,
        typer.Option(help="Folder of saved sweep results for the sweep explorer."),
    ] = None,
) -> int:
    """Start the dashboard (classroom, leadership comparison, sweep explorer); print its
    address. Works offline: the front end is served from a local cache."""
    from sim.dashboard import serve

    return serve(host, port, results)
