"""Dashboard benchmark: how many updates per second the classroom plays, two 40-person
organisations side by side (its first lesson: departments with costly handoffs against the
same people in teams), and how soon after Play the silo effect is visible.

    .venv/bin/python experiments/dashboard_benchmark.py               # all of it (about 2 min)
    .venv/bin/python experiments/dashboard_benchmark.py --no-browser  # (a) and (b) only
    .venv/bin/python experiments/dashboard_benchmark.py --quick       # small sizes, smoke test

Figures (wall time: what a trainer sees; the machine's other load counts too, so the script
prints the load average):

(a) One frame's work on the server, by part: advance both organisations by what a frame covers
    at 2 and at 16 working hours per second (at 8 frames a second), draw both organisation
    views (SVG) and the four charts (PNG). Median and 90th percentile over many frames, early
    (day 5) and late (day 200, long chart series).
(b) The whole page, no browser: the Solara page rendered in-process (`solara.render`), one
    "Step 1 h" click at a time: model, views, charts and the widget updates together.
(c) In a browser: ``sim dashboard`` and headless Chromium at 1280x720; press Play and count
    the clock updates the browser receives over 15 s (a MutationObserver on the status line),
    at 2 and at 16 working hours per second. This is the figure to quote.
(d) In the browser, at the default speed: the wall time from pressing Play (after Reset) until
    the silo effect is visible, that is until the right side's resolution time since the start
    differs from the left's by more than the day-to-day noise (the page marks it "vs left,
    better": the 95% CI of the daily paired differences excludes 0); and the simulated day.

Targets: 5 or more updates per second; the effect visible within 2 minutes of pressing Play.
Exits 0 whatever the figures: PASS/MISS is information.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

from _dashboard_bench import browser_missing, chromium_page, load_average

TARGET = 5.0
"""Updates per second the classroom must reach."""
EFFECT_TARGET_S = 120.0
"""Seconds after Play within which the silo effect must be visible."""
CLEAR = ".org-right .score-resolution_hours .score-clear"
"""The right side's resolution time, once its difference from the left is clear."""


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))]


def time_parts(twin_days: float, frames: int, speed: float) -> dict[str, tuple[float, float]]:
    """(a) Milliseconds per frame for each part of the work, after `twin_days` of play."""
    from sim.dashboard.classroom.charts import LiveCharts
    from sim.dashboard.classroom.lessons import list_lessons, load_lesson
    from sim.dashboard.classroom.lineup import Lineup
    from sim.dashboard.classroom.orgview import org_svg

    lesson = load_lesson(list_lessons()[0])
    lineup = Lineup(lesson.sides, lesson.labels)
    charts = LiveCharts()
    lineup.advance(twin_days * lineup.hours_per_day)
    charts.render(lineup.frame())  # the background, drawn once
    hours = speed / 8  # one frame at 8 frames a second
    parts: dict[str, list[float]] = {"advance": [], "views": [], "charts": [], "total": []}
    for _ in range(frames):
        t0 = time.perf_counter()
        frame = lineup.advance(hours)
        t1 = time.perf_counter()
        for side, view in zip(("left", "right"), frame.sides, strict=True):
            org_svg(view, frame.time, side)
        t2 = time.perf_counter()
        charts.render(frame)
        t3 = time.perf_counter()
        for key, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            parts[key].append(value * 1000)
    return {k: percentiles(v) for k, v in parts.items()}


def time_page(steps: int) -> tuple[float, float]:
    """(b) Milliseconds per "Step 1 h" click on the whole page rendered in-process."""
    import ipyvuetify as v
    import solara

    from sim.dashboard.classroom.page import Page

    _, rc = solara.render(Page(), handle_error=False)
    step = next(b for b in rc.find(v.Btn).widgets if any("Step" in str(c) for c in b.children))
    for _ in range(5):
        step.click()
    samples = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step.click()
        samples.append((time.perf_counter() - t0) * 1000)
    rc.close()
    return percentiles(samples)


def browser_rates(seconds: float, speeds: list[str]) -> dict[str, float] | str:
    """(c) Updates per second received by headless Chromium, per speed."""
    missing = browser_missing()
    if missing is not None:
        return missing
    from playwright.sync_api import expect

    rates = {}
    with chromium_page() as (page, url):
        page.goto(url)
        expect(page.locator(".classroom-status")).to_have_text("Day 6, 09:00", timeout=90_000)
        page.evaluate(
            """() => { window.updates = 0;
            new MutationObserver(() => window.updates++).observe(
                document.querySelector('.classroom-status'),
                {subtree: true, childList: true, characterData: true}); }"""
        )
        for speed in speeds:
            page.locator(".speed").get_by_role("button", name=speed, exact=True).click()
            page.get_by_role("button", name="Reset", exact=True).click()
            page.get_by_role("button", name="Play").click()
            time.sleep(2)  # settle
            n0, t0 = page.evaluate("window.updates"), time.monotonic()
            time.sleep(seconds)
            n1, t1 = page.evaluate("window.updates"), time.monotonic()
            rates[speed] = (n1 - n0) / (t1 - t0)
            page.get_by_role("button", name="Pause").click()
    return rates


def time_to_effect(limit: float) -> tuple[float, str] | str:
    """(d) Seconds from Play to a visible silo effect at the default speed, and the day on the
    page's clock then (or why it could not be measured)."""
    missing = browser_missing()
    if missing is not None:
        return missing
    from playwright.sync_api import expect

    from sim.dashboard.classroom.page import DEFAULT_SPEED

    with chromium_page() as (page, url):
        page.goto(url)
        expect(page.locator(".classroom-status")).to_have_text("Day 6, 09:00", timeout=90_000)
        page.locator(".speed").get_by_role("button", name=DEFAULT_SPEED, exact=True).click()
        started = time.monotonic()
        page.get_by_role("button", name="Play").click()
        page.locator(CLEAR).wait_for(timeout=limit * 1000)
        seconds = time.monotonic() - started
        day = page.locator(".classroom-status").inner_text()
        page.get_by_role("button", name="Pause").click()
    return seconds, day


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--no-browser", action="store_true", help="skip (c)")
    args = parser.parse_args()
    frames = 30 if args.quick else 200
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load_average()}"
    )
    summary: list[tuple[str, str, str]] = []

    def report(label: str, ms: float) -> None:
        rate = 1000 / ms
        summary.append((label, f"{rate:.1f}/s", "PASS" if rate >= TARGET else "MISS"))

    print("\n(a) one frame's work on the server, ms (median / p90)")
    print(f"{'case':34} {'advance':>14} {'views':>14} {'charts':>14} {'total':>14}")
    cases: list[tuple[str, float, float]] = [("day 5, 2 h/s", 5, 2.0), ("day 5, 16 h/s", 5, 16.0)]
    if not args.quick:
        cases.append(("day 200, 16 h/s", 200, 16.0))
    for label, days, speed in cases:
        parts = time_parts(days, frames, speed)
        cells = " ".join(f"{m:6.1f} / {p:5.1f}" for m, p in parts.values())
        print(f"{label:34} {cells}")
        report(f"(a) server work per frame, {label}", parts["total"][0])

    print("\n(b) the whole page in-process, one 'Step 1 h' click, ms (median / p90)")
    median, p90 = time_page(15 if args.quick else 60)
    print(f"{'step 1 h':34} {median:6.1f} / {p90:5.1f}")
    report("(b) page render per update, in-process", median)

    if not args.no_browser:
        print("\n(c) updates per second received by headless Chromium (1280x720)")
        rates = browser_rates(5 if args.quick else 15, ["2", "16"])
        if isinstance(rates, str):
            print(rates)
        else:
            for speed, rate in rates.items():
                print(f"{speed + ' working hours/s':34} {rate:6.1f} updates/s")
                summary.append(
                    (
                        f"(c) browser, {speed} h/s",
                        f"{rate:.1f}/s",
                        "PASS" if rate >= TARGET else "MISS",
                    )
                )

        print("\n(d) Play to a visible silo effect (default speed), 1280x720")
        effect = time_to_effect(3 * EFFECT_TARGET_S)
        if isinstance(effect, str):
            print(effect)
        else:
            seconds, day = effect
            print(f"{'seconds after Play':34} {seconds:6.1f} s (the clock then: {day})")
            summary.append(
                (
                    "(d) Play to a visible silo effect",
                    f"{seconds:.0f} s",
                    "PASS" if seconds <= EFFECT_TARGET_S else "MISS",
                )
            )

    print(
        f"\nsummary (targets: {TARGET:g} updates/s or more; effect within {EFFECT_TARGET_S:.0f} s)"
    )
    for label, value, verdict in summary:
        print(f"{label:48} {value:>10}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
