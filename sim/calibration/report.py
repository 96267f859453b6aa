"""The fidelity of a calibration as one self-contained HTML file: the held-out statistics side
by side, the distances with their noise floors, and plots where people would rather look than
read. Inline CSS, figures as base64 PNG (the style of `sim.report`): no scripts, no style
sheets, fonts or images from anywhere else, so it opens offline and can be mailed."""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from sim.calibration.fidelity import (
    DISTANCES,
    STATISTICS,
    TARGETS,
    Fidelity,
    Sample,
    format_number,
)
from sim.calibration.workweek import HOURS_PER_WEEK, hour_of_week
from sim.report.style import CSS as _CSS
from sim.report.style import OKABE_ITO, wrap_inches
from sim.report.style import STYLE as _STYLE
from sim.report.style import base64_text as _base64
from sim.report.style import escape as _e
from sim.report.style import new_figure as _figure
from sim.report.style import png as _png

if TYPE_CHECKING:
    from sim.calibration.pipeline import Calibrated

_n = format_number

SIDES = (("log", "Log (test cases)"), ("model", "Calibrated model"), ("baseline", "Naive baseline"))
COLOURS = {"log": "#000000", "model": OKABE_ITO[0], "baseline": OKABE_ITO[1]}
TOP_ROUTES = 12
ROUTE_INCHES = 3.8
"""The width of a route's label (team names wrapped between words), the rest of the routes
figure's 9.5 inches for the bars: long team names neither run off the figure nor squeeze the
bars away."""


def _interval(row: dict[str, float], unit: str) -> str:
    if not math.isfinite(row["log_low"]):
        return ""
    return (
        f"<br><span class='unit'>[{_n(row['log_low'], unit)}, {_n(row['log_high'], unit)}]</span>"
    )


# Figures ---------------------------------------------------------------------------------------


def figure_elapsed(samples: dict[str, Sample]) -> Figure:
    fig = _figure(8.5, 4.2)
    ax = fig.add_subplot()
    for key, label in SIDES:
        values = np.sort(samples[key].ended)
        if len(values) == 0:
            continue
        shares = np.arange(1, len(values) + 1) / len(values)
        ax.step(np.maximum(values, 0.01), shares, where="post", color=COLOURS[key], label=label)
    ax.set_xscale("log")
    ax.set_xlabel("Elapsed time from arrival to the end of the customer's wait (hours, log scale)")
    ax.set_ylabel("Share of cases ended within")
    ax.legend(frameon=False, loc="lower right")
    return fig


def figure_hour_of_week(samples: dict[str, Sample], what: str) -> Figure:
    fig = _figure(9.5, 3.6)
    ax = fig.add_subplot()
    hours = np.arange(HOURS_PER_WEEK)
    for key, label in SIDES:
        times = getattr(samples[key], what)
        if key == "baseline" and what == "arrivals":
            continue  # the baseline's arrivals are the model's
        counts = np.bincount(hour_of_week(times), minlength=HOURS_PER_WEEK).astype(float)
        total = counts.sum()
        ax.plot(hours, counts / total if total else counts, color=COLOURS[key], label=label, lw=1.4)
    for day in range(1, 7):
        ax.axvline(24 * day, color="#999999", lw=0.6)
    ax.set_xticks(
        [24 * d + 12 for d in range(7)], ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    )
    ax.set_xlim(0, HOURS_PER_WEEK)
    ax.set_ylabel("Share per hour of the week")
    ax.legend(frameon=False, loc="upper right")
    return fig


def figure_routes(samples: dict[str, Sample]) -> Figure:
    counts = {key: Counter(samples[key].routes) for key, _ in SIDES}
    top = [route for route, _ in counts["log"].most_common(TOP_ROUTES)]
    labels = [
        wrap_inches(" → ".join(r if len(r) <= 3 else (*r[:2], "…", r[-1])), ROUTE_INCHES, 10)
        for r in top
    ]
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    fig = _figure(9.5, (0.35 + 0.17 * (lines - 1)) * len(top) + 1.7)
    ax = fig.add_subplot()
    y = np.arange(len(top))
    height = 0.27
    for i, (key, label) in enumerate(SIDES):
        total = max(sum(counts[key].values()), 1)
        shares = [counts[key][r] / total for r in top]
        ax.barh(y + (i - 1) * height, shares, height, color=COLOURS[key], label=label)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("Share of ended cases taking the route")
    fig.legend(loc="outside lower center", ncols=len(SIDES), frameon=False)  # off the bars
    return fig


def figure_distances(fidelity: Fidelity) -> Figure:
    keys = [k for k in DISTANCES if math.isfinite(fidelity.distances[k]["noise_floor"])]
    keys = [k for k in keys if fidelity.distances[k]["noise_floor"] > 0]
    fig = _figure(8.5, 0.42 * len(keys) + 1.3)
    ax = fig.add_subplot()
    y = np.arange(len(keys))
    for key, label, marker in (
        ("model", "Calibrated model", "o"),
        ("baseline", "Naive baseline", "s"),
    ):
        ratios = [fidelity.distances[k][key] / fidelity.distances[k]["noise_floor"] for k in keys]
        ax.scatter(ratios, y, color=COLOURS[key], marker=marker, label=label, zorder=3)
    ax.axvline(1.0, color="#000000", lw=1, label="Noise floor")
    ax.set_xscale("log")
    ax.set_yticks(y, [DISTANCES[k][0] for k in keys])
    ax.invert_yaxis()
    ax.set_xlabel("Distance from the test cases, in multiples of the noise floor (log scale)")
    ax.legend(frameon=False, loc="lower right")
    return fig


def figure_weekly(result: Calibrated) -> Figure:
    cases = result.timeline.cases
    weekly = cases.set_index("arrival").resample("W-SUN").size()
    fig = _figure(9.5, 3.4)
    ax = fig.add_subplot()
    ax.plot(
        weekly.index, weekly.to_numpy(), color="#000000", lw=1.4, label="Cases arriving per week"
    )
    start, end = result.calibration.window
    ax.axvspan(start, end, color=OKABE_ITO[0], alpha=0.15, label="Fitted on")  # type: ignore[arg-type]
    if result.fidelity is not None:
        w = result.fidelity.window
        ax.axvspan(w.cut, w.last_arrival, color=OKABE_ITO[1], alpha=0.2, label="Tested on")  # type: ignore[arg-type]
    ax.set_ylabel("Cases per week")
    ax.legend(frameon=False, loc="upper left")
    return fig


# HTML -------------------------------------------------------------------------------------------

_EXTRA_CSS = """
.met { color: #0060a0; font-weight: 600; }
.missed { color: #b34700; font-weight: 600; }
pre.header { white-space: pre-wrap; background: #f7f7f7; padding: 0.8em; font-size: 0.88em; }
"""

_CAPTIONS = {
    "weekly": "Cases arriving each week over the whole log, with the weeks the scenario was "
    "fitted on and the held-out weeks it was tested on.",
    "elapsed": "Share of cases whose wait had ended within each elapsed time (calendar hours), "
    "for the test cases and one replication of the model and of the naive baseline. Cases "
    "ending after the log does are left out on every side.",
    "arrivals": "When cases arrive in the week: the test cases and the model (the baseline has "
    "the same arrivals).",
    "events": "When events happen in the week: the log's events, the simulations' task starts "
    "and ends.",
    "routes": "The most common routes through teams among the test cases, and how often the "
    "model and the baseline (one queue: no teams) take them.",
    "distances": "Each distance from the test cases divided by its noise floor (the same "
    "distance between two random halves of the test cases): 1 is as close as the data allow.",
}


def statistics_table(fidelity: Fidelity) -> str:
    """The held-out statistics side by side (log, model, baseline, error, target), as an
    HTML table whose every text is escaped (the report and the dashboard show it)."""
    targets = fidelity.targets()
    rows = []
    for key, (label, unit) in STATISTICS.items():
        row = fidelity.statistics[key]
        target = targets.get(key)
        verdict = "<td></td><td></td>"
        if target:
            error = (row["model"] - row["log"]) / row["log"] if row["log"] else math.nan
            css = "met" if target["met"] else "missed"
            verdict = (
                f"<td class='num'>{100 * error:+.0f}%</td>"
                f"<td class='{css}'>{'met' if target['met'] else 'missed'} "
                f"(within {TARGETS[key]:.0%})</td>"
                if math.isfinite(error)
                else "<td class='num'>–</td><td></td>"
            )
        rows.append(
            f"<tr><td>{_e(label)} <span class='unit'>({_e(unit)})</span></td>"
            f"<td class='num'>{_n(row['log'], unit)}{_interval(row, unit)}</td>"
            f"<td class='num'>{_n(row['model'], unit)} ± {_n(row['model_sd'], unit)}</td>"
            f"<td class='num'>{_n(row['baseline'], unit)}</td>{verdict}</tr>"
        )
    return (
        "<table><thead><tr><th>Statistic</th><th>Log<br><span class='unit'>[95% sampling "
        "interval]</span></th><th>Model (mean ± sd)</th>"
        "<th>Naive baseline</th><th>Model error</th><th>Target</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def distances_table(fidelity: Fidelity) -> str:
    """The distances with their noise floors, as an escaped HTML table."""
    rows = []
    for key, (label, unit) in DISTANCES.items():
        row = fidelity.distances[key]
        rows.append(
            f"<tr><td>{_e(label)}</td>"
            f"<td class='num'>{_n(row['model'], unit)} ± {_n(row['model_sd'], unit)}</td>"
            f"<td class='num'>{_n(row['baseline'], unit)}</td>"
            f"<td class='num'>{_n(row['noise_floor'], unit)}</td><td>{_e(unit)}</td></tr>"
        )
    return (
        "<table><thead><tr><th>Distance</th><th>Model (mean ± sd)</th><th>Naive baseline</th>"
        "<th>Noise floor</th><th>Unit</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def summary_list(fidelity: Fidelity) -> str:
    """Each target in one sentence, met or missed, as an escaped HTML list."""
    items = []
    for key, target in fidelity.targets().items():
        if key == "cycle_time":
            text = (
                f"Cycle-time distance {_n(target['model'], 'hours')} h against the naive "
                f"baseline's {_n(target['baseline'], 'hours')} h: "
                f"{'better' if target['met'] else 'not clearly better'} than one pooled queue."
            )
        else:
            label = STATISTICS[key][0]
            error = target["model_error"]
            text = (
                f"{label}: the model is off by {100 * error:.0f}% (target within "
                f"{TARGETS[key]:.0%}): {'met' if target['met'] else 'missed'}."
                if math.isfinite(error)
                else f"{label}: not measurable in this window."
            )
        css = "met" if target["met"] else "missed"
        items.append(f"<li class='{css}'>{_e(text)}</li>")
    return f"<ul class='sentences'>{''.join(items)}</ul>"


def render_report(result: Calibrated, source: str, drawn: Mapping[str, bytes] | None = None) -> str:
    """The fidelity report as an HTML string (see `write_report`). `drawn`: figures already
    drawn as PNG, by key (the dashboard's page passes the elapsed-time figure it shows, so the
    report it offers for download embeds that one instead of drawing it again); the others are
    drawn here."""
    fidelity = result.fidelity
    assert fidelity is not None
    samples = fidelity.samples
    figures: dict[str, Callable[[], Figure]] = {
        "weekly": lambda: figure_weekly(result),
        "elapsed": lambda: figure_elapsed(samples),
        "arrivals": lambda: figure_hour_of_week(samples, "arrivals"),
        "events": lambda: figure_hour_of_week(samples, "events"),
        "routes": lambda: figure_routes(samples),
        "distances": lambda: figure_distances(fidelity),
    }
    drawn = drawn or {}
    with matplotlib.rc_context(_STYLE):
        images = {
            key: _base64(drawn[key] if key in drawn else _png(draw()))
            for key, draw in figures.items()
        }

    def figure(key: str, alt: str) -> str:
        return (
            f'<figure><img src="data:image/png;base64,{images[key]}" alt="{_e(alt)}">'
            f"<figcaption>{_e(_CAPTIONS[key])}</figcaption></figure>"
        )

    w = fidelity.window
    calibration = result.calibration
    warnings = "".join(f"<li>{_e(x)}</li>" for x in [*calibration.warnings, *fidelity.notes])
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Calibration fidelity: {_e(source)}</title>",
        f"<style>{_CSS}{_EXTRA_CSS}</style></head><body>",
        f"<h1>How well the calibrated model reproduces {_e(os.path.basename(source))}</h1>",
        f"<p class='unit'>Fitted on the cases before {w.cut:%Y-%m-%d}; tested on the "
        f"{fidelity.test_cases:,} cases that arrived from {w.cut:%Y-%m-%d} to "
        f"{w.last_arrival:%Y-%m-%d}, simulated {fidelity.replications} times (the model and a "
        "naive baseline: one pooled queue with the same people, arrivals and work). Times are "
        "calendar hours.</p>",
        f"<div class='notes'><ul>{warnings}</ul></div>" if warnings else "",
        "<h2>In short</h2>",
        summary_list(fidelity),
        "<h2>Held-out statistics</h2>",
        statistics_table(fidelity),
        "<h2>Distances from the test cases</h2>",
        "<p>The distances of the process-simulation literature (Chapela-Campa et al. 2023). "
        "Lower is better; the noise floor is what two random halves of the real test cases "
        "score against each other.</p>",
        distances_table(fidelity),
        figure("distances", "Distances in multiples of their noise floor"),
        "<h2>Elapsed time</h2>",
        figure("elapsed", "Cumulative distribution of elapsed times: log, model, baseline"),
        "<h2>Routes through teams</h2>",
        figure("routes", "Most common routes: shares in the log, the model and the baseline"),
        "<h2>The week</h2>",
        figure("arrivals", "Arrivals by hour of the week: log and model"),
        figure("events", "Events by hour of the week: log, model and baseline"),
        "<h2>The log over time</h2>",
        figure("weekly", "Weekly arrivals over the log with the fitted and tested windows"),
        "<h2>What was measured</h2>",
        "<pre class='header'>" + _e("\n".join(calibration.header)) + "</pre>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def write_report(result: Calibrated, path: str | os.PathLike[str], source: str) -> None:
    """Write the fidelity report as ONE self-contained HTML file."""
    text = render_report(result, source)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
