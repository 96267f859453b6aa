"""Compare-page benchmark: how long the leadership comparison takes for its default, 2 scenarios
(the functional and cross-functional presets) x 10 replications x 60 working days, on the
process pool the page uses (2 workers).

    .venv/bin/python experiments/dashboard_compare_benchmark.py               # all (about 2 min)
    .venv/bin/python experiments/dashboard_compare_benchmark.py --no-browser  # (a)-(c) only
    .venv/bin/python experiments/dashboard_compare_benchmark.py --quick       # 2 reps x 10 days

Figures (wall time; the machine's other load counts too, so the script prints the load average
and, from (a), what the same work would take on 2 idle cores):

(a) The simulation alone: one run of each preset, serially in this process (CPU seconds per
    run), and the ideal on 2 idle cores: every run's CPU time / 2.
(b) `sim.replications.compare` on a fresh 2-worker `local_executor`, as the page calls it:
    cold (the first pool of a process also starts the fork server, which imports `sim`) and
    warm (a second pool; the fork server lives as long as the process).
(c) The charts: `sim.report`'s five figures drawn to PNG, as the page does after the runs
    (`sim.dashboard.compare.run.draw_figures`); and the HTML report a download builds.
(d) In a browser: ``sim dashboard``, headless Chromium at 1280x720 on /compare,
    click "Run the comparison" with the defaults and time until the KPI table is shown; twice
    (cold server, then warm). This is the figure to quote.

Target: 20 s or less for the page (d). Exits 0 whatever the figures: PASS/MISS is information.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

from _dashboard_bench import browser_missing, chromium_page, load_average

TARGET_S = 20.0


def presets(days: int):
    from sim.dashboard.compare.scenarios import list_presets, with_run_length

    by_key = {p.key: p.scenario for p in list_presets()}
    scenarios = [by_key["functional.toml"], by_key["cross-functional.toml"]]
    names = ["Functional departments", "Cross-functional teams"]
    return with_run_length(scenarios, names, days), names


def serial_runs(days: int) -> list[float]:
    """(a) CPU seconds of one run of each preset, in this process."""
    from sim.runner import run

    scenarios, _ = presets(days)
    run(scenarios[0], seed=99, sample_every_hours=None)  # warm imports and caches
    out = []
    for scenario in scenarios:
        t0 = time.process_time()
        run(scenario, seed=1, sample_every_hours=None)
        out.append(time.process_time() - t0)
    return out


def pooled_compare(days: int, reps: int):
    """(b) Wall seconds of `compare` on a fresh 2-worker pool, and the comparison."""
    from sim.executors import local_executor
    from sim.replications import compare

    scenarios, names = presets(days)
    t0 = time.perf_counter()
    with local_executor(2) as pool:
        comparison = compare(scenarios, reps=reps, executor=pool, names=names)
    return time.perf_counter() - t0, comparison


def drawing(comparison) -> tuple[float, float]:
    """(c) Seconds to draw the page's figures, and to build the HTML report."""
    from sim.dashboard.compare.run import draw_figures
    from sim.report import render_report

    t0 = time.perf_counter()
    draw_figures(comparison)
    t1 = time.perf_counter()
    render_report(comparison)
    return t1 - t0, time.perf_counter() - t1


def browser_runs(days: int, reps: int, times: int) -> list[float] | str:
    """(d) Seconds from the click on "Run the comparison" to the KPI table, in Chromium."""
    missing = browser_missing()
    if missing is not None:
        return missing
    from playwright.sync_api import expect

    out = []
    with chromium_page() as (page, url):
        for _ in range(times):
            page.goto(url + "compare")
            expect(page.get_by_text("Compare organisations")).to_be_visible(timeout=90_000)
            for label, value in (("Replications", reps), ("Working days", days)):
                box = page.get_by_label(label, exact=True)
                box.fill(str(value))
                box.press("Enter")
            time.sleep(0.5)  # let the server take the numbers
            t0 = time.perf_counter()
            page.get_by_role("button", name="Run the comparison").click()
            expect(page.locator(".compare-kpis table")).to_be_visible(timeout=300_000)
            out.append(time.perf_counter() - t0)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 reps x 10 days (smoke test)")
    parser.add_argument("--no-browser", action="store_true", help="skip (d)")
    args = parser.parse_args()
    reps, days = (2, 10) if args.quick else (10, 60)
    runs = 2 * reps
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{load_average()}; 2 scenarios x {reps} replications x {days} days = {runs} runs"
    )
    summary: list[tuple[str, float, str]] = []

    print("\n(a) one run of each preset, serially in this process")
    cpu = serial_runs(days)
    for name, seconds in zip(("functional", "cross-functional"), cpu, strict=True):
        print(f"  {name:34} {seconds:6.2f} CPU s")
    ideal = statistics.mean(cpu) * runs / 2
    print(f"  ideal for {runs} runs on 2 idle cores: {ideal:.1f} s")
    summary.append(("(a) simulation only, ideal on 2 idle cores", ideal, "info"))

    print("\n(b) sim.replications.compare on a fresh 2-worker pool (as the page)")
    cold, comparison = pooled_compare(days, reps)
    warm, _ = pooled_compare(days, reps)
    print(f"  cold (fork server starts){cold:18.1f} s\n  warm{warm:39.1f} s")
    summary.append(("(b) compare(), cold process", cold, "info"))
    summary.append(("(b) compare(), warm process", warm, "info"))

    print("\n(c) charts")
    figures, report = drawing(comparison)
    print(f"  the page's five figures (PNG){figures:14.1f} s")
    print(f"  the HTML report (download){report:16.1f} s")
    summary.append(("(b)+(c) page work, warm, no browser", warm + figures, ""))

    if not args.no_browser:
        print("\n(d) headless Chromium: click Run -> KPI table shown")
        result = browser_runs(days, reps, times=2)
        if isinstance(result, str):
            print("  " + result)
        else:
            for label, seconds in zip(("cold server", "warm server"), result, strict=True):
                print(f"  {label:34} {seconds:6.1f} s")
                summary.append((f"(d) browser, {label}", seconds, ""))

    print(f"\nload average now {load_average()}")
    print(f"summary (target: the page finishes within {TARGET_S:g} s)")
    for label, seconds, kind in summary:
        verdict = kind or ("PASS" if seconds <= TARGET_S else "MISS")
        print(f"  {label:48} {seconds:6.1f} s  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
