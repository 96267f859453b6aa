"""Fixtures and helpers of the dashboard tests: the served app, Debian's Chromium, and the
widget-tree helpers of the tests that render a page without a browser (`solara.render`).

Browser tests (marked `e2e`) start the real app with ``sim dashboard --port 0`` in a
subprocess (a free loopback port) and drive it with Playwright through Debian's ``chromium``
(``playwright install`` cannot download a browser here; ``.ci/install-browser`` installs
Chromium). They skip when there is no Chromium. A failing browser test leaves a screenshot of
the page in ``test-results/dashboard/<test>-failed.png``.

Test modules import the helpers with ``from conftest import ...``.
"""

from __future__ import annotations

import contextlib
import html
import io
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ipyvuetify as v
import ipywidgets as w
import pytest
import solara.server.settings
import solara.widgets

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-results" / "dashboard"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Solara phones home (mixpanel): never from tests.
solara.server.settings.telemetry.mixpanel_enable = False

BAD_SCENARIO = b"""# a scenario with three mistakes
name = "Our organisation"
[demand]
requests_per_day = -5
[[demand.request_types]]
name = "question"
share = 1.0
expected_hours = 8
tasks = [{ skill = "billing", hours = 0.5 }]
[[workforce]]
skill = "billing"
headcount = 0
[structure]
kind = "silos"
"""
"""An upload the compare page must refuse, with one line per mistake: requests_per_day out
of range, a headcount of 0 and an unknown structure kind."""


# --------------------------------------------------------------------------------------------
# A rendered page's widget tree


def wait_until(predicate, timeout: float = 30.0, what: str = "the condition") -> None:
    """Poll `predicate` until it is true; fail after `timeout` seconds. Instead of a sleep that
    guesses how long the page takes, so a loaded machine is slower but not wrong."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


def settled(read, quiet: float = 1.0, timeout: float = 30.0, what: str = "the value"):
    """`read()` once it has not changed for `quiet` seconds (a frame in flight has landed)."""
    deadline = time.monotonic() + timeout
    value, since = read(), time.monotonic()
    while time.monotonic() - since < quiet:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} still changing after {timeout:g} s")
        time.sleep(0.05)
        now = read()
        if now != value:
            value, since = now, time.monotonic()
    return value


def all_widgets(root):
    """Every widget under root, in page order (`rc.find` stops descending at its first
    match)."""
    seen, stack = set(), [root]
    while stack:
        x = stack.pop()
        if isinstance(x, w.Widget):
            if id(x) not in seen:
                seen.add(id(x))
                yield x
                stack.extend(reversed([getattr(x, k) for k in x.keys]))
        elif isinstance(x, list | tuple):
            stack.extend(reversed(x))
        elif isinstance(x, dict):
            stack.extend(reversed(list(x.values())))


def texts(box) -> str:
    """The page's text: templates, widget children (solara.Text, Error, Button) and HTML."""
    parts = []
    for x in all_widgets(box):
        if isinstance(x, v.VuetifyTemplate) and isinstance(x.template, str):
            parts.append(x.template)
        elif isinstance(x, v.Html | v.VuetifyWidget):
            parts += [c for c in x.children if isinstance(c, str)]
        elif isinstance(x, solara.widgets.HTML) and x.unsafe_innerHTML:
            parts.append(html.unescape(x.unsafe_innerHTML))
    return "\n".join(parts)


def feed_upload(box, monkeypatch, widget_type, name: str, data: bytes) -> None:
    """Feed a file through the page's upload widget of `widget_type` as the browser would:
    the front end sets `file_info`, the server reads the file (here from memory, not over the
    websocket)."""
    from ipyvuetify.extra import FileInput

    def get_files(self, timeout=30):
        return [{"name": name, "size": len(data), "file_obj": io.BytesIO(data)}]

    monkeypatch.setattr(FileInput, "get_files", get_files)
    widgets = [x for x in all_widgets(box) if type(x) is widget_type]
    assert len(widgets) == 1
    widgets[0].file_info = [{"name": name, "size": len(data)}]


def buttons(box, label: str) -> list[v.Btn]:
    return [b for b in all_widgets(box) if isinstance(b, v.Btn) and label in b.children]


def button(box, label: str) -> v.Btn:
    found = buttons(box, label)
    assert len(found) == 1, f"{len(found)} buttons labelled {label!r}"
    return found[0]


# --------------------------------------------------------------------------------------------
# The served app in Chromium


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: run .ci/install-browser")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 720}}  # a projector


def first_line(process: subprocess.Popen, timeout: float) -> str:
    """The first line `process` prints on stdout ('' if it exits or `timeout` passes first)."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if select.select([process.stdout], [], [], 0.5)[0]:
            return process.stdout.readline()
    return ""


@contextlib.contextmanager
def dashboard_server(*options: str, timeout: float = 180):
    """``sim dashboard --port 0 OPTIONS``, the command users run, with this process's
    environment; yields its URL once it printed it, and stops it as a service manager would
    (SIGTERM). Its stderr goes to test-results/dashboard/dashboard-<pid>.log."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    with tempfile.TemporaryFile("w+") as log:
        command = [sys.executable, "-m", "sim", "dashboard", "--port", "0", *options]
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True
        )
        try:
            found = re.match(r"Dashboard: (\S+)  ", first_line(server, timeout))
            if found is None:
                log.seek(0)
                raise RuntimeError(f"sim dashboard did not start: {log.read()[-3000:]}")
            yield found.group(1)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
            log.seek(0)
            (SHOTS / f"dashboard-{server.pid}.log").write_text(log.read())


@pytest.fixture(scope="module")
def dashboard_url():
    with dashboard_server() as url:
        yield url


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """After a failed browser test, save what the page showed (fixtures are still alive)."""
    report = yield
    page = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and page is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=SHOTS / f"{item.name}-failed.png", full_page=True)
    return report
