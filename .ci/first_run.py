"""CI: what a newcomer's first commands do, in a venv installed WITHOUT the test extra.

    python3 .ci/first_run.py VENV

1. ``sim dashboard`` (the README's first command) prints its address; the page there answers
   HTTP 200; SIGTERM stops it with status 0 and nothing of it keeps serving the port.
2. The README's CLI comparison command, as the README writes it (``.venv/`` read as VENV),
   exits 0 and prints its table.

A dependency only the test extra brings in (networkx once was) fails here, not on a user's
machine. Only the standard library: this runs before anything else is installed.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_S = 600  # the first start downloads the front end (seconds here; minutes on a slow line)


def fail(message: str) -> None:
    print(f"first run: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def readme_command(pattern: str) -> str:
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if re.match(pattern, line.strip()):
            return line.strip()
    fail(f"README.md has no command matching {pattern!r}")
    raise AssertionError  # unreachable


def check_dashboard(venv: Path) -> None:
    started = time.monotonic()
    server = subprocess.Popen(
        [venv / "bin" / "sim", "dashboard", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = ""
    while server.poll() is None and time.monotonic() - started < START_S:
        if select.select([server.stdout], [], [], 1.0)[0]:
            line = server.stdout.readline()
            break
    found = re.match(r"Dashboard: (http://127\.0\.0\.1:\d+/)", line)
    if found is None:
        server.kill()
        fail(f"sim dashboard printed no address (exit {server.wait()}; stdout {line!r})")
    url = found.group(1)
    print(f"first run: sim dashboard answered at {url} after {time.monotonic() - started:.0f} s")
    with urllib.request.urlopen(url, timeout=60) as answer:
        if answer.status != 200 or b"<html" not in answer.read(4096).lower():
            fail(f"{url} answered {answer.status}, not the dashboard's page")
    server.send_signal(signal.SIGTERM)
    try:
        status = server.wait(60)
    except subprocess.TimeoutExpired:
        server.kill()
        fail("sim dashboard did not stop within 60 s of SIGTERM")
    if status != 0:
        fail(f"sim dashboard exited {status} after SIGTERM")
    try:
        urllib.request.urlopen(url, timeout=5)
    except OSError:
        print("first run: SIGTERM stopped it and freed the port")
    else:
        fail(f"{url} still answers after sim dashboard stopped")


def check_compare(venv: Path) -> None:
    command = readme_command(r"^\.venv/bin/sim compare \S+ \S+$")
    argv = command.replace(".venv/", f"{venv}/").split()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or "Resolution" not in done.stdout:
        fail(f"{command} exited {done.returncode}: {done.stderr[-2000:]}")
    print(f"first run: {command}: ok")


def main() -> None:
    venv = Path(sys.argv[1]).resolve()
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    check_dashboard(venv)
    check_compare(venv)


if __name__ == "__main__":
    main()
