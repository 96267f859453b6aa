"""The Solara dashboard: classroom, leadership comparison, sweep explorer.

`serve` is what ``sim dashboard`` runs. It starts Solara's own server, ``solara run
sim.dashboard.app --production``, as a child process: that is Solara's supported way to serve
an app (its CLI sets up the server, the asset proxy and the per-browser kernels), and a child
process keeps the dashboard's threads and widgets out of the caller. Before that it makes sure
Solara's front end is in the local cache (`sim.dashboard.assets`), so the page works with no
internet at all.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

APP = "sim.dashboard.app"
RESULTS_ENV = "SIM_RESULTS_DIR"
"""Where the comparison and sweep pages look for saved results (set by `serve`)."""


def results_dir() -> Path | None:
    """The results folder given to ``sim dashboard --results``, if any."""
    value = os.environ.get(RESULTS_ENV)
    return Path(value) if value else None


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _wait_until_up(url: str, child: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def serve(host: str = "127.0.0.1", port: int = 8765, results_dir: str | Path | None = None) -> int:
    """Serve the dashboard until Ctrl+C; print its address once it answers. Returns an exit
    status (0 after Ctrl+C, 2 for bad arguments, else the server's own).

    Binds to 127.0.0.1 (this machine only) unless `host` says otherwise; port 0 picks a free
    port.
    """
    from sim.dashboard import assets

    env = {
        **os.environ,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no phoning home (and no internet anyway)
        # Plain http on loopback is the intended use: not worth a warning on every visit.
        "PYTHONWARNINGS": "ignore:Cookies with samesite=none:UserWarning",
        # A browser that vanished without closing its page (a laptop lid, a dropped network)
        # keeps its classroom, and a playing one its CPU, for 10 minutes, not Solara's 24 h.
        "SOLARA_KERNEL_CULL_TIMEOUT": os.environ.get("SOLARA_KERNEL_CULL_TIMEOUT", "10m"),
    }
    if results_dir is not None:
        folder = Path(results_dir).expanduser().resolve()
        if not folder.is_dir():
            print(f"error: --results {results_dir}: no such folder", file=sys.stderr)
            return 2
        env[RESULTS_ENV] = str(folder)
    if port == 0:
        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
    elif not _port_free(host, port):
        print(
            f"error: {host}:{port} is already in use; choose another with --port",
            file=sys.stderr,
        )
        return 2
    try:
        if assets.ensure(log=lambda line: print(line, file=sys.stderr)):
            print("Solara's front end is now cached for offline use.", file=sys.stderr)
    except assets.AssetsError as exc:
        print(
            f"warning: {exc}. The page will fetch its front end from the internet.",
            file=sys.stderr,
        )
    command = [
        sys.executable, "-m", "solara", "run", APP,
        "--host", host, "--port", str(port), "--production", "--no-open",
    ]  # fmt: skip
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    url = f"http://{shown}:{port}/"
    try:
        if not _wait_until_up(url, child, timeout=120):
            if child.poll() is None:
                child.terminate()
            print("error: the dashboard server did not start", file=sys.stderr)
            return child.wait() or 1
        print(f"Dashboard: {url}  (Ctrl+C to stop)", flush=True)
        if shown != host:
            print(f"(listening on every network interface, port {port})", flush=True)
        return child.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
