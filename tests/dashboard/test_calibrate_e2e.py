"""The calibration flow in a real browser: headless Chromium against ``sim dashboard``.

A leader uploads a ticket export (a helpdesk audit log the tests generate, gzip-compressed),
corrects the proposed column mapping with the dropdowns, calibrates, reads the discovered
organisation and the held-out fidelity, downloads the fidelity report (which embeds the figure
the page shows) and the "as is" scenario (which validates like any scenario), and opens the
comparison of "as is" with "to be" teams of the same people, which runs. Bad and oversized
uploads and a bad mapping are one line each in the page, never a traceback; a running
calibration can be cancelled. The fit options (`sim calibrate`'s) reach the calibration, and
the result says which were used. Screenshots land in test-results/dashboard/.
"""

from __future__ import annotations

import gzip
import subprocess
import sys

import pytest
from calibration_logs import helpdesk_export
from playwright.sync_api import Page, expect

from sim.dashboard.calibrate.log import MAX_LOG_ROWS

pytestmark = pytest.mark.e2e

FIRST_LOAD_MS = 60_000
RUN_MS = 120_000
SHOWN_IMAGE = """async (src) => {
    const bytes = new Uint8Array(await (await fetch(src)).arrayBuffer());
    let text = "";
    for (const byte of bytes) text += String.fromCharCode(byte);
    return btoa(text);
}"""
"""The bytes an <img> shows (a blob: or data: URL), as base64 text."""


@pytest.fixture(scope="module")
def export() -> bytes:
    return gzip.compress(helpdesk_export().to_csv(index=False).encode("utf-8"))


def open_calibrate(page: Page, url: str) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + "calibrate")
    expect(page.get_by_text("Calibrate your “as is” from your ticket system")).to_be_visible(
        timeout=FIRST_LOAD_MS
    )
    return errors


def upload(page: Page, name: str, data: bytes) -> None:
    page.locator(".calibrate-upload input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}]
    )


def choose(page: Page, css_class: str, option: str) -> None:
    """Pick `option` in the Vuetify dropdown with class `css_class`."""
    page.locator(f".{css_class}").click()
    page.locator(".v-menu__content.menuable__content__active .v-list-item").filter(
        has_text=option
    ).first.click()


def test_upload_map_calibrate_download_and_compare(page: Page, dashboard_url, export, shots):
    errors = open_calibrate(page, dashboard_url)
    upload(page, "helpdesk.csv.gz", export)
    expect(page.locator(".calibrate-loaded")).to_contain_text(
        "helpdesk.csv.gz: 1,718 rows, 7 columns", timeout=30_000
    )
    # The proposal from the column names: ServiceNow-like names, not the XES ones.
    expect(page.locator(".calibrate-column-case")).to_contain_text("number")
    expect(page.locator(".calibrate-column-team")).to_contain_text("assignment_group")
    expect(page.locator(".calibrate-column-timestamp")).to_contain_text("sys_updated_at")
    expect(page.locator(".calibrate-states-resolved")).to_contain_text("Resolved")
    # A wrong correction is explained in the page, then put right.
    choose(page, "calibrate-column-timestamp", "incident_state")
    page.get_by_role("button", name="Calibrate", exact=True).click()
    failed = page.locator(".calibrate-failed")
    expect(failed).to_contain_text(
        "helpdesk.csv.gz: column 'incident_state', row 1: 'New' is not a date and time",
        timeout=RUN_MS,
    )
    choose(page, "calibrate-column-timestamp", "sys_updated_at")
    page.screenshot(path=shots / "calibrate-mapping.png", full_page=True)

    page.get_by_role("button", name="Calibrate", exact=True).click()
    expect(page.locator(".calibrate-progress")).to_be_visible()
    targets = page.locator(".calibrate-targets")
    expect(targets).to_be_visible(timeout=RUN_MS)
    expect(page.get_by_text("3 teams, 10 people")).to_be_visible()
    statistics = page.locator(".calibrate-statistics table")
    for text in ("Cases per week", "Elapsed time, median", "Transfers per case", "Target"):
        expect(statistics).to_contain_text(text)
    expect(statistics.locator("td.met, td.missed").first).to_be_visible()
    elapsed = page.locator(".calibrate-page img").first
    expect(elapsed).to_be_visible()  # elapsed-time ECDF
    page.screenshot(path=shots / "calibrate-fidelity.png", full_page=True)

    # The fidelity report offered for download embeds the very figure the page shows (drawn
    # once for both).
    shown = page.evaluate(SHOWN_IMAGE, elapsed.get_attribute("src"))
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the fidelity report (.html)").click()
    assert download.value.suggested_filename == "fidelity-helpdesk.html"
    with open(download.value.path(), encoding="utf-8") as f:
        report = f.read()
    assert len(shown) > 1000 and f'src="data:image/png;base64,{shown}"' in report

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the as-is scenario (.toml)").click()
    assert download.value.suggested_filename == "as-is-helpdesk.toml"
    checked = subprocess.run(
        [sys.executable, "-m", "sim", "validate", download.value.path()],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr

    page.get_by_role("button", name="Compare as is with to be").click()
    expect(page.get_by_text("Compare organisations")).to_be_visible(timeout=30_000)
    entries = page.locator(".compare-entry")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_contain_text("Baseline: As is (calibrated from helpdesk.csv.gz)")
    expect(entries.nth(1)).to_contain_text("To be: 4 cross-functional teams (the same people)")
    box = page.get_by_label("Replications", exact=True)
    box.fill("2")
    box.press("Enter")
    box = page.get_by_label("Working days", exact=True)
    box.fill("10")
    box.press("Enter")
    page.get_by_role("button", name="Run the comparison").click()
    expect(page.locator(".compare-kpis table")).to_be_visible(timeout=RUN_MS)
    page.screenshot(path=shots / "calibrate-compare.png", full_page=True)
    assert errors == []


def test_bad_and_oversized_exports_are_one_line_each(page: Page, dashboard_url):
    errors = open_calibrate(page, dashboard_url)
    problems = page.locator(".calibrate-upload-problems")
    upload(page, "broken.csv.gz", b"\x1f\x8b\x08\x00garbage")
    expect(problems).to_contain_text("broken.csv.gz: a damaged gzip file", timeout=30_000)
    rows = b"case,activity,time\n" + b"c,a,2024-01-01T00:00\n" * (MAX_LOG_ROWS + 1)
    upload(page, "huge.csv.gz", gzip.compress(rows))
    expect(problems).to_contain_text(
        f"huge.csv.gz: too many rows ({MAX_LOG_ROWS + 1:,}; allowed: up to {MAX_LOG_ROWS:,}",
        timeout=30_000,
    )
    bomb = gzip.compress(b"x" * 150_000_000)  # 150 kB that unpacks to 150 MB
    upload(page, "bomb.csv.gz", bomb)
    expect(problems).to_contain_text("bomb.csv.gz: the unpacked file is too large", timeout=30_000)
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "site-packages" not in text
    assert errors == []


def test_cancel_stops_a_running_calibration(page: Page, dashboard_url, export):
    open_calibrate(page, dashboard_url)
    upload(page, "helpdesk.csv.gz", export)
    expect(page.locator(".calibrate-loaded")).to_be_visible(timeout=30_000)
    box = page.get_by_label("Replications", exact=True)
    box.fill("10")
    box.press("Enter")
    page.get_by_role("button", name="Calibrate", exact=True).click()
    status = page.locator(".calibrate-status")
    expect(status).to_contain_text("Simulating the test window", timeout=RUN_MS)
    page.get_by_role("button", name="Cancel", exact=True).click()
    expect(page.get_by_text("Cancelled: nothing was kept.")).to_be_visible(timeout=10_000)
    expect(page.get_by_role("button", name="Calibrate", exact=True)).to_be_enabled()


def test_fit_options_are_checked_then_used_and_named_in_the_result(
    page: Page, dashboard_url, export, shots
):
    errors = open_calibrate(page, dashboard_url)
    upload(page, "helpdesk.csv.gz", export)
    expect(page.locator(".calibrate-loaded")).to_be_visible(timeout=30_000)
    holdout = page.get_by_label("Hold-out share of the latest cases", exact=True)
    expect(holdout).to_be_hidden()  # folded away: the first-time path is unchanged
    page.get_by_text("Fit options (as sim calibrate's)").click()
    expect(holdout).to_have_value("0.2")
    # Out of range: said in the page, and Calibrate starts nothing.
    holdout.fill("0.95")
    holdout.press("Enter")
    problems = page.locator(".calibrate-options-problems")
    expect(problems).to_contain_text("Hold-out share: 0.95 is out of range (allowed: 0 to 0.9)")
    page.get_by_role("button", name="Calibrate", exact=True).click()
    expect(page.locator(".calibrate-run-problems")).to_contain_text("Hold-out share: 0.95")
    expect(page.locator(".calibrate-progress")).to_have_count(0)
    holdout.fill("0.2")
    holdout.press("Enter")
    expect(problems).to_have_count(0)
    expect(page.locator(".calibrate-run-problems")).to_have_count(0)  # not a stale refusal

    choose(page, "calibrate-fit-window", "a number of days")
    days = page.get_by_label("Days", exact=True)
    days.fill("21")
    days.press("Enter")
    page.get_by_text("Start delays: fit each team's delay").click()
    expect(page.locator(".calibrate-start-delays input")).not_to_be_checked()
    box = page.get_by_label("Replications", exact=True)
    box.fill("2")
    box.press("Enter")
    page.screenshot(path=shots / "calibrate-options.png", full_page=True)
    page.get_by_role("button", name="Calibrate", exact=True).click()
    used = page.locator(".calibrate-options-used")
    expect(used).to_contain_text(
        "hold-out 0.2 (tested on the latest 20% of the cases), start delays off, person shifts "
        "off, fit window the last 21 days",
        timeout=RUN_MS,
    )
    expect(used).to_contain_text("sim calibrate --holdout 0.2 --no-start-delays --fit-window 21")
    expect(used).to_contain_text("Fitted on the last 21 days before the test window (chosen)")
    expect(page.locator(".calibrate-targets")).to_be_visible()
    page.screenshot(path=shots / "calibrate-options-result.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the as-is scenario (.toml)").click()
    with open(download.value.path(), encoding="utf-8") as f:
        scenario = f.read()
    assert "[[workforce]]" in scenario and "start_delay_share" not in scenario
    assert errors == []
