"""`sim.dashboard.serve`: starts the dashboard on loopback, prints its address, stops cleanly."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from from_a_terminal import signals_as_from_a_terminal
from sim_in_process import sim

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = re.compile(r"Dashboard: (http://127\.0\.0\.1:(\d+)/)  \(Ctrl\+C to stop\)\n")
"""The line `serve` prints once the page answers."""
SERVE = "import sys; from sim.dashboard import serve; sys.exit(serve({args}))"


def start(args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SERVE.format(args=args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **{"preexec_fn": signals_as_from_a_terminal, **popen},
    )


def listening(port: int) -> set[str]:
    """IPv4 addresses with a socket listening on `port` (from /proc/net/tcp)."""
    found = set()
    for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = row.split()[1], row.split()[3]
        address, hex_port = local.split(":")
        if int(hex_port, 16) == port and state == "0A":  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


@pytest.mark.slow  # starts a dashboard server
def test_serve_prints_a_loopback_address_that_answers_and_stops_on_ctrl_c():
    server = start("port=0")
    try:
        line = server.stdout.readline()  # printed once the page answers
        match = ADDRESS.fullmatch(line)
        assert match, line + server.stderr.read() if server.poll() is not None else line
        url, port = match.group(1), int(match.group(2))
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert answer.status == 200
        if Path("/proc/net/tcp").exists():  # Linux: what the server listens on
            assert listening(port) == {"127.0.0.1"}, "bound to loopback only"
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(30) == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the Solara child went with it
        try:
            urllib.request.urlopen(url, timeout=1)
        except OSError:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the dashboard still answers after Ctrl+C")


@pytest.mark.slow  # starts serve() in a process of its own, as a user does
def test_serve_refuses_a_busy_port_and_a_missing_results_folder(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = start(f"port={port}")
        _, err = done.communicate(timeout=60)
    assert done.returncode == 2 and "already in use" in err
    done = start(f"port=0, results_dir={str(tmp_path / 'nowhere')!r}")
    _, err = done.communicate(timeout=60)
    assert done.returncode == 2 and "no such folder" in err


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--port", "70000"], "--port: 70000 is out of range (allowed: 0 to 65535"),
        (["--port", "-1"], "--port: -1 is out of range"),
        (["--host", "999.1.1.1"], "--host: '999.1.1.1' is neither an IP address nor a host name"),
        (["--host", "192.0.2.1"], "--host: 192.0.2.1 is not an address of this machine"),
    ],
)
def test_bad_port_or_host_is_one_line_that_names_the_option(options, says):
    done = sim("dashboard", *options, cwd=ROOT)  # refused before any server starts
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"sim dashboard: {says}"), done.stderr
    assert done.stderr.count("\n") == 1 and "in use" not in done.stderr


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow  # starts a dashboard server
@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc (Linux)")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stop_signal_stops_the_server_it_started_too(stop):
    """A service manager's SIGTERM (or a closed terminal's SIGHUP) sent to `sim dashboard`
    alone stops the web server it started, even with a page open, and frees the port."""
    from websockets.sync.client import connect

    server = start("port=0")
    try:
        line = server.stdout.readline()
        match = ADDRESS.fullmatch(line)
        assert match, line + (server.stderr.read() if server.poll() is not None else "")
        url, port = match.group(1), int(match.group(2))
        started = children(server.pid)
        assert started, "the web server runs in a child process"
        with connect(  # an open page: its websocket must not hold the stop up
            f"ws://127.0.0.1:{port}/jupyter/api/kernels/{uuid.uuid4()}/channels?session_id=s",
            additional_headers={"Origin": url.rstrip("/")},
        ):
            server.send_signal(stop)
            assert server.wait(30) == 0
        assert f"stopped ({stop.name})" in server.stderr.read()
    finally:
        if server.poll() is None:
            server.kill()
    deadline = time.monotonic() + 10
    while any(map(alive, started)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(map(alive, started)), "the web server outlived sim dashboard"
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)


@pytest.mark.slow  # starts a dashboard server
def test_nohup_keeps_the_dashboard_serving_after_sighup():
    """``nohup sim dashboard &``: SIGHUP was ignored on purpose, and stays ignored."""
    server = start("port=0", preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    try:
        match = ADDRESS.fullmatch(server.stdout.readline())
        assert match, server.stderr.read() if server.poll() is not None else "no address"
        server.send_signal(signal.SIGHUP)
        time.sleep(2)
        with urllib.request.urlopen(match.group(1), timeout=10) as answer:
            assert answer.status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
