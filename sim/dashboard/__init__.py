"""The Solara dashboard: classroom, leadership comparison, sweep explorer.

`serve` is what ``sim dashboard`` runs. It starts Solara's own server, ``solara run
sim.dashboard.app --production``, as a child process: that is Solara's supported way to serve
an app (its CLI sets up the server, the asset proxy and the per-browser kernels), and a child
process keeps the dashboard's threads and widgets out of the caller. Before that it makes sure
Solara's front end is in the local cache (`sim.dashboard.assets`), so the page works with no
internet at all.
"""

from __future__ import annotations

import errno
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


def _listen_problem(host: str, port: int) -> tuple[int, str | None]:
    """Check, as the server will bind, that `host`:`port` can be listened on. Returns the port
    (a free one for port 0) and what is wrong, for the user (None when nothing is)."""
    if not 0 <= port <= 65535:
        return port, f"--port: {port} is out of range (allowed: 0 to 65535; 0 picks a free port)"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        return port, (
            f"--host: {host!r} is neither an IP address nor a host name this machine can look up "
            f"({reason}; allowed: 127.0.0.1, one of this machine's addresses, 0.0.0.0 for all)"
        )
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return port, f"{host}:{port} is already in use; choose another with --port"
            if exc.errno == errno.EADDRNOTAVAIL:
                return port, (
                    f"--host: {host} is not an address of this machine (allowed: 127.0.0.1, one "
                    "of this machine's addresses, 0.0.0.0 for all)"
                )
            if exc.errno == errno.EACCES:
                return port, (
                    f"--port: {port} needs administrator rights (ports below 1024); choose "
                    "another with --port"
                )
            return port, f"cannot listen on {host}:{port} ({exc.strerror})"
        return probe.getsockname()[1], None


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
            print(f"sim dashboard: --results: {results_dir}: no such folder", file=sys.stderr)
            return 2
        env[RESULTS_ENV] = str(folder)
    port, problem = _listen_problem(host, port)
    if problem:
        print(f"sim dashboard: {problem}", file=sys.stderr)
        return 2
    try:
        assets.ensure()  # progress on stderr
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
