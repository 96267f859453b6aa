"""Cold start to a visible silo effect: how long a trainer waits, from a fresh clone to the
classroom showing that the two organisations differ.

    .venv/bin/python experiments/classroom_cold_start.py            # clone this repository
    .venv/bin/python experiments/classroom_cold_start.py --repo URL --keep /tmp/cold

Steps, each timed (wall clock; the machine's other load counts too, so the load average is
printed):

1. ``git clone`` the repository into a new folder, ``python3 -m venv .venv`` and
   ``.venv/bin/pip install -q -e .`` (the README's first command; with pip's cache warm, this
   is mostly pip's own time);
2. ``.venv/bin/sim dashboard --port 0`` in the clone, until it prints its address (the first
   start also fetches Solara's front end unless npm's cache has it);
3. headless Chromium at 1280x720 opens the address, until the classroom shows its clock;
4. Play is pressed (the default lesson and speed), until the silo effect is visible: the
   right side's resolution time since the start differs from the left's by more than the
   day-to-day noise (the page then marks it "vs left": the 95% CI of the daily paired
   differences excludes 0), the same rule as (d) in `dashboard_benchmark.py`.

It needs the browser tests' tools in the running Python (``pip install -e '.[test]'`` and
Chromium, see .ci/install-browser); the clone gets only the project itself. Exits 0 whatever
the figures (the target, the effect within 2 minutes of Play, is printed as PASS or MISS).
"""

from __future__ import annotations

import argparse
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _dashboard_bench import ROOT, browser_missing, load_average
from dashboard_benchmark import CLEAR, EFFECT_TARGET_S

START = "Day 6, 09:00"
"""The classroom's clock when lesson 0 opens (after its five warm-up days)."""


def timed(label: str, command: list[str], cwd: Path) -> float:
    started = time.monotonic()
    subprocess.run(command, cwd=cwd, check=True)
    seconds = time.monotonic() - started
    print(f"{label:46} {seconds:7.1f} s", flush=True)
    return seconds


def address(server: subprocess.Popen, timeout: float) -> str:
    """The URL `sim dashboard` prints on its first line of output."""
    deadline = time.monotonic() + timeout
    assert server.stdout is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([server.stdout], [], [], 0.5)
        if ready:
            line = server.stdout.readline()
            found = re.match(r"Dashboard: (\S+)", line)
            if found:
                return found.group(1)
        if server.poll() is not None:
            break
    raise RuntimeError("sim dashboard printed no address")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", default=str(ROOT), help="what to clone (default: this one)")
    parser.add_argument("--keep", type=Path, help="clone here and keep it (default: a temp dir)")
    args = parser.parse_args()
    missing = browser_missing()
    if missing is not None:
        print(missing)
        return 0
    from conftest import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import expect, sync_playwright

    print(f"load average {load_average()} (a shared machine: other work slows every step)")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="sim-cold-"))
    clone = folder / "sim"
    try:
        timed("1. git clone", ["git", "clone", "-q", args.repo, str(clone)], folder)
        install = timed(
            "   venv + pip install -e . (pip cache warm)",
            ["bash", "-c", "python3 -m venv .venv && .venv/bin/pip install -q -e ."],
            clone,
        )
        started = time.monotonic()
        server = subprocess.Popen(
            [".venv/bin/sim", "dashboard", "--port", "0"],
            cwd=clone,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            url = address(server, 600)
            served = time.monotonic()
            print(f"{'2. sim dashboard until its address':46} {served - started:7.1f} s")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                page.goto(url)
                expect(page.locator(".classroom-status")).to_have_text(START, timeout=180_000)
                shown = time.monotonic()
                print(f"{'3. the page, until the classroom shows':46} {shown - served:7.1f} s")
                page.get_by_role("button", name="Play").click()
                played = time.monotonic()
                page.locator(CLEAR).wait_for(timeout=3 * EFFECT_TARGET_S * 1000)
                visible = time.monotonic()
                day = page.locator(".classroom-status").inner_text()
                print(f"{'4. Play until the silo effect is visible':46} {visible - played:7.1f} s"
                      f"  (the clock then: {day})")  # fmt: skip
                browser.close()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    from_command = visible - started
    print(f"\n{'sim dashboard to a visible effect':46} {from_command:7.1f} s")
    print(f"{'clone + install + the above':46} {from_command + install:7.1f} s (clone not counted)")
    verdict = "PASS" if visible - played <= EFFECT_TARGET_S else "MISS"
    print(f"{'Play to a visible effect':46} {visible - played:7.1f} s  {verdict} "
          f"(target: {EFFECT_TARGET_S:.0f} s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
