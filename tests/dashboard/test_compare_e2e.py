"""The leadership comparison in a real browser: headless Chromium against ``sim dashboard``.

Proves what `solara.render` cannot: the page loads at /compare, the replications and days typed
into the page reach the server, a comparison runs on the process pool and its results show,
the CSV downloads, and a file uploaded through the browser's file chooser is validated with
its problems shown in the page. Screenshots land in test-results/dashboard/ (for a human to
look at).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import BAD_SCENARIO
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

FIRST_LOAD_MS = 60_000  # the first page load pulls ~10 MB of JavaScript; slow under load
RUN_MS = 90_000


def open_compare(page: Page, url: str) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + "compare")
    expect(page.get_by_text("Compare organisations")).to_be_visible(timeout=FIRST_LOAD_MS)
    expect(page.locator(".compare-entry")).to_have_count(2)
    return errors


def set_number(page: Page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")  # the page takes a typed number on Enter or when the field is left


def test_run_a_small_comparison(page: Page, dashboard_url, shots):
    errors = open_compare(page, dashboard_url)
    expect(
        page.get_by_text("Baseline: Insurer customer service: functional departments")
    ).to_be_visible()
    page.screenshot(path=shots / "compare-start.png", full_page=True)

    set_number(page, "Replications", "2")
    set_number(page, "Working days", "5")
    page.get_by_role("button", name="Run the comparison").click()
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()

    table = page.locator(".compare-kpis table")
    expect(table).to_be_visible(timeout=RUN_MS)
    expect(page.get_by_text("2 scenarios × 2 replications × 5 working days")).to_be_visible()
    expect(table).to_contain_text("Resolution time, mean")
    expect(table).to_contain_text("mean ± 95% CI")
    expect(page.locator(".compare-sentences li").first).to_be_visible()
    expect(page.locator("img.compare-figure").first).to_be_visible()
    expect(page.get_by_role("button", name="Report (HTML, self-contained)")).to_be_visible()
    page.screenshot(path=shots / "compare-results.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("button", name="KPI table (CSV)").click()
    assert download.value.suggested_filename == "comparison.csv"
    with open(download.value.path(), encoding="utf-8") as f:
        assert f.readline().startswith("kpi,label,unit,scenario,baseline")
    assert errors == []


def test_a_bad_upload_shows_its_problems(page: Page, dashboard_url, shots):
    open_compare(page, dashboard_url)
    chooser = page.locator(".compare-upload input[type=file]")
    chooser.set_input_files(
        files=[{"name": "our-org.toml", "mimeType": "text/plain", "buffer": BAD_SCENARIO}]
    )
    problems = page.locator(".compare-upload-problems")
    expect(problems).to_be_visible(timeout=20_000)
    expect(problems).to_contain_text("This file cannot be used:")
    expect(problems).to_contain_text(
        "our-org.toml: workforce.0.headcount: 0 is out of range (allowed: >= 1)"
    )
    expect(problems).to_contain_text("our-org.toml: structure.kind: 'silos' is not allowed")
    expect(page.locator(".compare-entry")).to_have_count(2)  # nothing added
    problems.scroll_into_view_if_needed()
    page.screenshot(path=shots / "compare-bad-upload.png", full_page=True)


def test_a_nested_file_is_one_line_not_a_traceback(page: Page, dashboard_url):
    """1 kB of nested brackets replaced the whole page with a 193,000-character traceback
    showing server paths (issue 14); now it is one line, and the page keeps working."""
    errors = open_compare(page, dashboard_url)
    bomb = b"name = " + b"[" * 500 + b"]" * 500 + b"\n"
    page.locator(".compare-upload input[type=file]").set_input_files(
        files=[{"name": "bomb.toml", "mimeType": "text/plain", "buffer": bomb}]
    )
    problems = page.locator(".compare-upload-problems")
    expect(problems).to_contain_text(
        "bomb.toml: nested too deeply (allowed: at most 20 levels of tables and lists)",
        timeout=20_000,
    )
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "site-packages" not in text and len(text) < 20_000
    expect(page.locator(".compare-entry")).to_have_count(2)
    expect(page.get_by_role("button", name="Run the comparison")).to_be_enabled()
    assert errors == []


def test_cancel_stops_a_running_comparison(page: Page, dashboard_url, shots):
    open_compare(page, dashboard_url)
    page.get_by_role("button", name="Run the comparison").click()  # 2 x 10 x 60 days
    expect(page.locator(".compare-progress")).to_be_visible()
    status = page.locator(".compare-status")
    expect(status).to_contain_text("of 20 runs done", timeout=RUN_MS)
    page.screenshot(path=shots / "compare-running.png")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("Cancelled: the runs were stopped")).to_be_visible(timeout=5_000)
    expect(page.get_by_role("button", name="Run the comparison")).to_be_enabled()


def test_the_form_adds_a_scenario_explains_a_bad_value_and_downloads(
    page: Page, dashboard_url, shots, tmp_path
):
    open_compare(page, dashboard_url)
    page.get_by_text("…or your own organisation").click()
    set_number(page, "Headcount, claims", "15")
    name = page.get_by_label("Name of the new scenario")
    name.fill("Departments with two more claims staff")
    name.press("Enter")
    page.get_by_role("button", name="Add this scenario").click()
    expect(page.locator(".compare-entry")).to_have_count(3)
    expect(page.get_by_text("Scenario 3: Departments with two more claims staff")).to_be_visible()
    expect(page.get_by_text("42 employees").first).to_be_visible()

    expect(page.get_by_label("Number of teams")).to_be_disabled()  # departments have none
    set_number(page, "Share: billing question", "30")
    problems = page.locator(".compare-form-problems")
    expect(problems).to_contain_text("the shares add up to 112% (allowed: shares adding up")
    expect(page.get_by_role("button", name="Add this scenario")).to_be_disabled()
    problems.scroll_into_view_if_needed()
    page.screenshot(path=shots / "compare-form-problem.png")
    set_number(page, "Share: billing question", "18")
    expect(problems).to_have_count(0)

    # The organisation downloads as a scenario file that `sim validate` accepts.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as a scenario file (TOML)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "departments-with-two-more-claims-staff.toml"
    checked = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(saved)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    page.locator(".compare-form").screenshot(path=shots / "compare-form.png")
