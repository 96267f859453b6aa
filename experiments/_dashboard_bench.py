"""Shared by the dashboard benchmarks (`dashboard_benchmark.py`, `dashboard_compare_benchmark.py`,
`classroom_cold_start.py`, which import it from their own folder): the machine's load, and the
served dashboard in headless Chromium, through the browser tests' server fixture
(tests/dashboard/conftest.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "dashboard"))  # the server fixture, reused


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def browser_missing() -> str | None:
    """Why the browser figures cannot be measured here ("skipped (...)"), or None."""
    try:
        import playwright.sync_api  # noqa: F401
        from conftest import CHROMIUM
    except ImportError as exc:
        return f"skipped ({exc.name} is not installed: pip install -e '.[test]')"
    if not os.path.exists(CHROMIUM):
        return f"skipped (no Chromium at {CHROMIUM}: run .ci/install-browser)"
    return None


@contextmanager
def chromium_page() -> Iterator[tuple[Any, str]]:
    """A page of headless Chromium at 1280x720 (a projector), and the URL of ``sim
    dashboard`` (check `browser_missing` first)."""
    from conftest import CHROMIUM, CHROMIUM_ARGS, dashboard_server
    from playwright.sync_api import sync_playwright

    with dashboard_server() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser.new_page(viewport={"width": 1280, "height": 720}), url
        browser.close()
