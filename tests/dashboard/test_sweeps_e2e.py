"""The sweep explorer in a real browser: headless Chromium against ``sim dashboard --results``.

Proves what `solara.render` cannot: the served page lists the sweeps, the drop-down works in
the browser, and the chart arrives as an image. The screenshot is in test-results/dashboard/.
"""

from __future__ import annotations

import pytest
from conftest import dashboard_server
from playwright.sync_api import Page, expect
from test_sweeps_render import STRUCTURE, make_results  # the same tiny real sweeps

pytestmark = pytest.mark.e2e

FIRST_LOAD_MS = 60_000  # the first page load pulls ~10 MB of JavaScript; slow under load


@pytest.fixture(scope="module")
def sweeps_url(tmp_path_factory):
    """The dashboard, served with a results folder of real sweeps."""
    results = make_results(tmp_path_factory.mktemp("sweeps-e2e"))
    with dashboard_server("--results", str(results)) as url:
        yield url


def test_pick_a_sweep_and_see_its_charts(page: Page, sweeps_url, shots):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(sweeps_url + "sweeps")
    expect(page.get_by_text("7 sweeps found: pick one.")).to_be_visible(timeout=FIRST_LOAD_MS)
    page.locator(".sweeps-picker").click()
    page.get_by_role("option", name=f"{STRUCTURE}: Structure x handoff delay x demand").click()

    for chart in ("line", "heatmap", "winner"):
        image = page.locator(f"img.sweeps-{chart}")
        expect(image).to_be_visible(timeout=20_000)
        assert image.evaluate("img => img.naturalWidth") > 400, f"the {chart} chart is drawn"
    expect(page.get_by_text("16 of 16 runs saved", exact=False)).to_be_visible()
    before = page.locator("img.sweeps-line").get_attribute("src")

    page.locator(".sweeps-kpi").click()
    page.get_by_role("option", name="Quality: Handoffs (per request)").click()
    expect(page.locator("img.sweeps-line")).not_to_have_attribute("src", before)
    page.screenshot(path=shots / "sweeps-page.png", full_page=True)
    assert errors == []
