"""The Solara dashboard: classroom, leadership comparison, sweep explorer.

`serve` is what ``sim dashboard`` runs. It checks its options, makes sure Solara's front end is
in the local cache (`sim.dashboard.assets`, so the page works with no internet at all), then
starts the web server (`sim.dashboard.server`: Solara's app behind `sim.dashboard.guard`) as a
child process in a process group of its own, and prints the address once the page answers. A
child keeps the dashboard's threads and widgets out of the caller; its own process group lets
a stop (Ctrl+C, SIGTERM, SIGHUP) end it and everything it started (comparison workers), so no
orphan keeps serving the port.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from sim.signals import Stopped, stop_signals
from sim.terminal import printable

RESULTS_ENV = "SIM_RESULTS_DIR"
"""Where the comparison and sweep pages look for saved results (set by `serve`)."""
RESULTS_DIR = Path("out") / "sweeps"
"""The one default folder of saved sweeps: where ``sim sweep`` saves them (``out/sweeps/NAME``)
and what ``sim dashboard`` shows, both from the folder they are started in."""


def results_dir() -> Path:
    """The results folder of the sweep explorer: ``sim dashboard --results``, else
    `RESULTS_DIR` (which need not exist yet)."""
    value = os.environ.get(RESULTS_ENV)
    return Path(value) if value else RESULTS_DIR.resolve()


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


def _stop(child: subprocess.Popen) -> None:
    """Stop the server and its whole process group: politely, then for good after 10 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)  # whatever did not stop in time
    child.wait()


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    results_dir: str | Path | None = None,
    allow_hosts: Sequence[str] = (),
    pages_per_client: int | None = None,
) -> int:
    """Serve the dashboard until Ctrl+C, SIGTERM or SIGHUP; print its address once it answers.
    Returns an exit status (0 when stopped, 2 for bad arguments, else the server's own).

    Binds to 127.0.0.1 (this machine only) unless `host` says otherwise; port 0 picks a free
    port. The server answers only to its own address and the loopback names, plus
    `allow_hosts` (``NAME`` or ``NAME:PORT``), and keeps at most `pages_per_client` pages
    per client address (`sim.dashboard.guard`).
    """
    from sim.dashboard import assets
    from sim.dashboard.guard import PAGES_PER_CLIENT, parse_allowed_host

    pages_per_client = PAGES_PER_CLIENT if pages_per_client is None else pages_per_client
    env = {
        **os.environ,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no phoning home (and no internet anyway)
        # Plain http on loopback is the intended use: not worth a warning on every visit.
        "PYTHONWARNINGS": "ignore:Cookies with samesite=none:UserWarning",
        # A browser that vanished without closing its page (a laptop lid, a dropped network)
        # keeps its classroom, and a playing one its CPU, for 10 minutes, not Solara's 24 h.
        "SOLARA_KERNEL_CULL_TIMEOUT": os.environ.get("SOLARA_KERNEL_CULL_TIMEOUT", "10m"),
    }
    problems = []
    if results_dir is None:  # the default: shown even before the first sweep made it
        env[RESULTS_ENV] = str(RESULTS_DIR.resolve())
    else:
        folder = Path(results_dir).expanduser().resolve()
        if folder.is_dir():
            env[RESULTS_ENV] = str(folder)
        else:
            problems.append(f"--results: {results_dir}: no such folder")
    for text in allow_hosts:
        try:
            parse_allowed_host(text)
        except ValueError as exc:
            problems.append(f"--allow-host: {exc}")
    if pages_per_client < 1:
        problems.append(f"--pages-per-client: {pages_per_client} is too few (allowed: >= 1)")
    if not problems:
        port, problem = _listen_problem(host, port)
        problems += [problem] if problem else []
    if problems:
        for problem in problems:
            print(printable(f"sim dashboard: {problem}"), file=sys.stderr)
        return 2
    try:
        assets.ensure()
    except assets.AssetsError as exc:
        print(
            f"sim dashboard: warning: {exc}. The page will fetch its front end from the internet.",
            file=sys.stderr,
        )
    command = [
        sys.executable, "-m", "sim.dashboard.server", "--host", host, "--port", str(port),
        "--pages-per-client", str(pages_per_client),
        *(option for name in allow_hosts for option in ("--allow-host", name)),
    ]  # fmt: skip
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"
    child = None
    with stop_signals():
        try:
            child = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, start_new_session=True
            )
            if not _wait_until_up(url, child, timeout=120):
                print("sim dashboard: the dashboard server did not start", file=sys.stderr)
                return child.poll() or 1
            print(f"Dashboard: {url}  (Ctrl+C to stop)", flush=True)
            if shown != host:
                print(f"(listening on every network interface, port {port})", flush=True)
            return child.wait()
        except Stopped as stop:
            print(f"sim dashboard: stopped ({stop.name})", file=sys.stderr)
            return 0
        except KeyboardInterrupt:
            return 0
        finally:
            if child is not None:
                _stop(child)
