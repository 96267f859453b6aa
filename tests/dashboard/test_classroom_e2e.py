"""The classroom in a real browser: headless Chromium against ``sim dashboard``.

Proves what `solara.render` cannot: the front end loads with no internet (nothing is fetched
from anywhere but the local server, nothing is missing), the page plays, the sliders answer the
keyboard, the page fits a projector (the organisations and the charts on screen without
scrolling, measured on the elements' boxes), each browser has its own organisations, and the
other pages are reachable, with no empty band under the top bar. Screenshots of the main
states, at 1280x720, land in test-results/dashboard/ (for a human to look at).
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from conftest import settled, wait_until
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

FIRST_LOAD_MS = 60_000  # the first page load pulls ~10 MB of JavaScript; slow under load
STATUS = re.compile(r"Day \d+, \d\d:\d\d")
START = "Day 6, 09:00"
"""Lesson 0 opens after its five warm-up days."""


def open_classroom(page: Page, url: str) -> dict[str, list[str]]:
    """Load the classroom; return what the page fetched from elsewhere and what failed."""
    seen: dict[str, list[str]] = {"foreign": [], "failed": [], "errors": []}
    page.on(
        "request",
        lambda r: (
            urlparse(r.url).hostname not in ("127.0.0.1", None)
            and not r.url.startswith(("data:", "blob:"))
            and seen["foreign"].append(r.url)
        ),
    )
    page.on("response", lambda r: r.status >= 400 and seen["failed"].append(f"{r.status} {r.url}"))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.goto(url)
    expect(page.locator(".classroom-status")).to_have_text(START, timeout=FIRST_LOAD_MS)
    expect(page.locator(".org-view svg")).to_have_count(2)
    return seen


def test_classroom_loads_offline_and_plays(page: Page, dashboard_url, shots):
    seen = open_classroom(page, dashboard_url)
    assert seen["foreign"] == [], "the page must work with no internet"
    assert seen["failed"] == [] and seen["errors"] == []
    expect(page.get_by_text("Functional departments").first).to_be_visible()
    expect(page.get_by_text("Cross-functional teams").first).to_be_visible()
    chart = page.locator(".classroom-charts")
    expect(chart).to_be_visible()
    before = chart.get_attribute("src")
    page.screenshot(path=shots / "classroom-start.png")

    page.get_by_role("button", name="Play").click()
    status = page.locator(".classroom-status")
    # Frames advance: the clock moves on, again and again (how fast is the benchmark's
    # business, experiments/dashboard_benchmark.py, not a test's).
    page.wait_for_function(
        """() => { const s = document.querySelector('.classroom-status').innerText;
        window.clocks = window.clocks || new Set(); window.clocks.add(s);
        return window.clocks.size >= 6; }""",
        polling=100,
        timeout=60_000,
    )
    expect(page.locator(".org-view path.handoff").first).to_be_attached()
    expect(page.locator(".org-left .arriving").first).to_be_attached()  # requests in transfer
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    # A frame in flight may still land; after that the clock stands still.
    paused = settled(status.inner_text, quiet=1.0, what="the paused clock")
    assert STATUS.fullmatch(paused) and paused != START
    page.wait_for_timeout(1000)
    assert status.inner_text() == paused
    assert chart.get_attribute("src") != before
    page.screenshot(path=shots / "classroom-playing.png")


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080)])
@pytest.mark.parametrize(
    "lesson", ["Lesson 0: Silos or teams?", "Lesson 4: The manager who creates encounters"]
)
def test_the_classroom_fits_a_projector(page: Page, dashboard_url, shots, width, height, lesson):
    """Every organisation and all four charts on screen without scrolling."""
    page.set_viewport_size({"width": width, "height": height})
    open_classroom(page, dashboard_url)
    if not lesson.startswith("Lesson 0"):
        page.locator(".classroom-aside .v-select").click()
        page.get_by_role("option", name=lesson).click()
        expect(page.locator(".org-view svg")).to_have_count(3)
    page.get_by_role("button", name="Step 1 h").click()
    expect(page.locator(".classroom-status")).to_have_text("Day 6, 10:00")

    def boxes() -> list:
        return [
            page.locator(selector).nth(i).bounding_box()
            for selector in (".org-view svg", ".classroom-charts")
            for i in range(page.locator(selector).count())
        ]

    def on_screen(box) -> bool:
        return (
            box is not None
            and box["height"] > 100
            and box["width"] > 250
            and 0 <= box["x"] <= box["x"] + box["width"] <= width
            and 0 <= box["y"] <= box["y"] + box["height"] <= height
        )

    # The charts arrive after the step (drawn in a thread): wait until the page is laid out,
    # then it must fit (a loaded machine is slower, not wrong).
    wait_until(lambda: len(boxes()) >= 3 and all(on_screen(b) for b in boxes()), 60, "layout")
    laid_out = settled(boxes, quiet=0.5, what="the layout")
    assert all(on_screen(box) for box in laid_out), laid_out
    assert page.evaluate("window.scrollY") == 0
    page.screenshot(path=shots / f"classroom-{len(laid_out) - 1}-sides-{width}x{height}.png")


def test_a_slider_moved_by_keyboard_acts_from_now_on(page: Page, dashboard_url, shots):
    open_classroom(page, dashboard_url)
    page.get_by_role("button", name="Step 1 h").click()
    expect(page.locator(".classroom-status")).to_have_text("Day 6, 10:00")
    load = page.locator(".lever-requests_per_day").get_by_role("slider")
    load.focus()  # keyboard, not pixel maths
    for _ in range(4):
        load.press("ArrowRight")
    expect(page.get_by_text("Load: 204 requests/day (120%)")).to_be_visible()
    expect(page.locator(".classroom-status")).to_have_text("Day 6, 10:00")
    page.get_by_role("button", name="Step 1 h").click()
    expect(page.locator(".classroom-status")).to_have_text("Day 6, 11:00")
    page.screenshot(path=shots / "classroom-lever.png")


def test_each_browser_has_its_own_organisations(page: Page, dashboard_url, context):
    open_classroom(page, dashboard_url)
    other = context.browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    try:
        open_classroom(other, dashboard_url)
        page.get_by_role("button", name="Step 1 h").click()
        expect(page.locator(".classroom-status")).to_have_text("Day 6, 10:00")
        other.reload()
        expect(other.locator(".classroom-status")).to_have_text(START, timeout=FIRST_LOAD_MS)
    finally:
        other.context.close()


def test_the_other_pages_are_reachable(page: Page, dashboard_url):
    open_classroom(page, dashboard_url)
    page.get_by_role("button", name="Leadership comparison").click()
    expect(page.get_by_text("Compare organisations")).to_be_visible()
    page.get_by_role("button", name="Sweep explorer").click()
    expect(page.get_by_role("heading", name="Sweep explorer")).to_be_visible()
    page.get_by_role("button", name="Classroom").click()
    expect(page.locator(".classroom-status")).to_be_visible()
    page.goto(dashboard_url + "sweeps")  # an address typed in, not only a click
    expect(page.get_by_role("heading", name="Sweep explorer")).to_be_visible(timeout=FIRST_LOAD_MS)


@pytest.mark.parametrize("height", [720, 1080])
def test_the_top_bar_keeps_its_height_on_short_pages(page: Page, dashboard_url, shots, height):
    """It stretched to fill the window under a short page (the sweep explorer's landing: 761
    pixels of dark blue at 1440x900)."""
    page.set_viewport_size({"width": 1280 if height == 720 else 1920, "height": height})
    for route, heading in (
        ("sweeps", "Sweep explorer"),
        ("compare", "Compare organisations"),
        ("calibrate", "Calibrate your “as is” from your ticket system"),
    ):
        page.goto(dashboard_url + route)
        expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=FIRST_LOAD_MS)
        bar = page.locator(".v-app-bar")
        # Once the page has settled (Vuetify sizes the bar after its first render), not in
        # between: a stretched bar stays stretched, so this still fails on the old bug.
        box = settled(bar.bounding_box, quiet=0.5, what="the top bar")
        assert box is not None and box["height"] <= 64, box
        page.screenshot(path=shots / f"{route}-landing-{height}.png")
