"""The dashboard's web server, the child process `sim.dashboard.serve` starts::

    python -m sim.dashboard.server --host 127.0.0.1 --port 8765 [--allow-host NAME] ...

It serves Solara's Starlette app behind `sim.dashboard.guard.Guard` (Host and Origin checks,
pages per client) with uvicorn. That is Solara's documented way to host an app outside
``solara run`` (set ``SOLARA_APP``, serve ``solara.server.starlette:app``), and the only one
that lets a middleware see every request: ``solara run`` builds its server around Solara's own
app object. The logging matches ``solara run``'s (errors only), and the guard's own warnings
are one line each on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

APP = "sim.dashboard.app"
SHUTDOWN_S = 3
"""How long open pages may hold up a stop (uvicorn otherwise waits for every websocket)."""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {  # what anyone sends (a Host header) is shown, not obeyed, by a terminal
        "plain": {"()": "sim.terminal.PrintableFormatter", "fmt": "%(name)s: %(message)s"},
        "guard": {"()": "sim.terminal.PrintableFormatter", "fmt": "sim dashboard: %(message)s"},
    },
    "handlers": {
        "plain": {"class": "logging.StreamHandler", "formatter": "plain"},
        "guard": {"class": "logging.StreamHandler", "formatter": "guard"},
    },
    "loggers": {
        "sim.dashboard": {"handlers": ["guard"], "level": "WARNING", "propagate": False},
        **{
            name: {"handlers": ["plain"], "level": "ERROR", "propagate": False}
            for name in ("solara", "reacton", "uvicorn", "uvicorn.error", "uvicorn.access")
        },
    },
}


def _stop_with_parent(server) -> None:
    """Stop serving when the `sim dashboard` process that started this one is gone (killed
    without a chance to stop its child): the port must not stay taken by an orphan."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        server.should_exit = True

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    from sim.dashboard.guard import PAGES_PER_CLIENT

    parser = argparse.ArgumentParser(prog="python -m sim.dashboard.server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME[:PORT]")
    parser.add_argument("--pages-per-client", type=int, default=PAGES_PER_CLIENT)
    args = parser.parse_args(argv)

    os.environ["SOLARA_APP"] = APP  # read when Solara's server module is first imported
    import solara.server.settings as settings
    import solara.server.starlette as solara_starlette
    import uvicorn

    from sim.dashboard.guard import Guard

    settings.main.mode = "production"
    app = Guard(solara_starlette.app, args.host, args.port, args.allow_host, args.pages_per_client)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_config=LOGGING,
        access_log=False,
        proxy_headers=False,  # the client address counts pages: nobody may rewrite it
        timeout_graceful_shutdown=SHUTDOWN_S,
    )
    server = uvicorn.Server(config)
    _stop_with_parent(server)
    server.run()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
