"""A comparison as one self-contained HTML file: tables, sentences and embedded figures.

`write_report(comparison, path)` writes a single file with inline CSS and every figure as a
base64 PNG, so it can be mailed or archived and opens offline: no scripts, no style sheets,
no fonts or images from anywhere else. Colours are the Okabe–Ito palette (distinguishable with
the common colour-vision deficiencies) and every difference is also said in words. A scenario
with a reorganisation gets its J-curve (`figure_j_curve`): daily resolution time with and
without it, the customer hours saved since the switch, and when it pays back, in words.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import textwrap
from collections.abc import Sequence
from importlib import metadata

import matplotlib
import matplotlib.ticker
import numpy as np
from matplotlib.figure import Figure

from sim.experiment import Comparison, JCurve, difference_text
from sim.kpis import format_mean_ci, grouped, kpi_info

OKABE_ITO = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#000000",  # black
    "#F0E442",  # yellow (last: low contrast on white)
]
RATING_COLOURS = ["#D55E00", "#E69F00", "#BBBBBB", "#56B4E9", "#0072B2"]
"""Rating 1 (worst) to 5 (best): a diverging Okabe–Ito scale, grey in the middle."""
RATING_TEXT = ["white", "black", "black", "black", "white"]

_STYLE = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "font.family": "DejaVu Sans",
}

MAX_UNITS_SHOWN = 40


def colour(i: int) -> str:
    return OKABE_ITO[i % len(OKABE_ITO)]


def _wrap(text: str, width: int = 28) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width: float, height: float, **kwargs) -> Figure:
    return Figure(figsize=(width, height), layout="constrained", **kwargs)


# --------------------------------------------------------------------------------------------
# Figures (each returns a matplotlib Figure; `write_report` embeds them)


def figure_differences(c: Comparison, kpis: Sequence[str] | None = None) -> Figure | None:
    """Relative paired difference vs the baseline, with 95% CI, for the headline KPIs."""
    keys = list(kpis if kpis is not None else c.headline)
    if len(c.names) < 2 or not keys:
        return None
    others = range(1, len(c.names))
    fig = _figure(8.5, 0.7 + 0.45 * len(keys) * len(others) + 0.4 * len(keys))
    ax = fig.add_subplot()
    step = 0.8 / max(1, len(others))
    labels, ticks = [], []
    for row, key in enumerate(keys):
        info = kpi_info(key)
        better = {1: "higher is better", -1: "lower is better"}.get(info.better, "")
        labels.append(_wrap(f"{info.label} ({better})" if better else info.label, 30))
        ticks.append(-row)
        for j, i in enumerate(others):
            d = c.difference(key, i)
            y = -row + 0.4 - step * (j + 0.5)
            if not math.isfinite(d.rel_pct):
                continue
            low = d.rel_pct - d.rel_ci_low if math.isfinite(d.rel_ci_low) else 0.0
            high = d.rel_ci_high - d.rel_pct if math.isfinite(d.rel_ci_high) else 0.0
            ax.errorbar(
                d.rel_pct,
                y,
                xerr=[[low], [high]],
                fmt="o",
                color=colour(i),
                capsize=4,
                markersize=7,
                label=_wrap(c.names[i], 40) if row == 0 else None,
            )
    ax.axvline(0, color="black", linewidth=1)
    ax.set_yticks(ticks, labels)
    ax.set_ylim(-len(keys) + 0.5, 0.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(_wrap(f"difference vs {c.baseline} (% of the baseline mean, 95% CI)", 80))
    ax.set_title("Paired differences against the baseline (common random numbers)", loc="left")
    fig.legend(loc="outside lower center", ncols=min(3, len(c.names) - 1), frameon=False)
    return fig


def figure_resolution(c: Comparison) -> Figure | None:
    """Resolution-time distributions: histogram (density) and ECDF, one colour per scenario."""
    samples = [
        np.concatenate([r.resolution_hours for r in reps]) if reps else np.array([])
        for reps in c.replications
    ]
    if not any(len(s) for s in samples):
        return None
    pooled = np.concatenate([s for s in samples if len(s)])
    cut = float(np.quantile(pooled, 0.99))
    if cut <= 0:
        cut = float(pooled.max()) or 1.0
    bins = np.linspace(0, cut, 50)
    fig = _figure(11, 4.4)
    hist, ecdf = fig.subplots(1, 2)
    for i, (name, s) in enumerate(zip(c.names, samples, strict=True)):
        if not len(s):
            continue
        label = _wrap(name, 40)
        hist.hist(
            s,
            bins=bins,
            density=True,
            histtype="step",
            linewidth=2,
            color=colour(i),
            label=label,
        )
        hist.axvline(float(s.mean()), color=colour(i), linestyle="--", linewidth=1.5)
        grid = np.linspace(0, 1, 501)
        ecdf.plot(np.quantile(s, grid), grid, color=colour(i), linewidth=2, label=label)
    hist.set_xlim(0, cut)
    hist.set_xlabel("resolution time (working hours)")
    hist.set_ylabel("density (share of requests per hour)")
    hist.set_title("Distribution (dashed: mean)", loc="left")
    ecdf.set_xlim(0, cut)
    ecdf.set_ylim(0, 1.01)
    ecdf.set_xlabel("resolution time (working hours)")
    ecdf.set_ylabel("share of requests resolved within x")
    ecdf.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ecdf.set_title("Cumulative distribution", loc="left")
    ecdf.legend(loc="lower right")
    fig.suptitle(
        f"Resolution time of resolved requests, all replications pooled "
        f"(x axis cut at the 99th percentile, {cut:.0f} h)",
        x=0.01,
        ha="left",
        fontsize=12,
    )
    return fig


def figure_csat(c: Comparison) -> Figure | None:
    """Share of ratings 1-5 per scenario (stacked), with the mean score and its CI."""
    shares = []
    for reps in c.replications:
        ratings = np.concatenate([r.rating for r in reps]) if reps else np.array([], dtype=int)
        counts = np.bincount(np.clip(ratings, 1, 5), minlength=6)[1:6].astype(float)
        shares.append(counts / counts.sum() if counts.sum() else counts)
    if not any(s.sum() for s in shares):
        return None
    n = len(c.names)
    fig = _figure(10, 1.5 + 0.75 * n)
    ax = fig.add_subplot()
    ys = np.arange(n)[::-1]
    for rating in range(5):
        left = np.array([s[:rating].sum() for s in shares])
        width = np.array([s[rating] for s in shares])
        label = {0: "1 (very dissatisfied)", 4: "5 (very satisfied)"}.get(rating, str(rating + 1))
        ax.barh(
            ys,
            width,
            left=left,
            color=RATING_COLOURS[rating],
            edgecolor="white",
            height=0.6,
            label=label,
        )
        for y, lo, w in zip(ys, left, width, strict=True):
            if w >= 0.05:
                ax.text(
                    lo + w / 2,
                    y,
                    f"{100 * w:.0f}%",
                    ha="center",
                    va="center",
                    color=RATING_TEXT[rating],
                    fontsize=10,
                )
    for i, y in enumerate(ys):
        e = c.estimate("csat_mean", i)
        mean = format_mean_ci("csat_mean", e.mean, e.ci_low, e.ci_high)
        ax.text(1.01, y, f"mean {mean}", va="center", fontsize=10)
    ax.set_yticks(ys, [_wrap(name) for name in c.names])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("share of closed requests (abandoned ones rate 1)")
    ax.grid(axis="y", visible=False)
    ax.legend(
        title="customer rating (1-5)",
        ncols=5,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        frameon=False,
    )
    return fig


def figure_utilisation(c: Comparison) -> Figure | None:
    """Utilisation per unit (mean over replications, 95% CI), one panel per scenario."""
    units = c.units_table()
    if units.empty:
        return None
    groups = [units[units["scenario"] == name].head(MAX_UNITS_SHOWN) for name in c.names]
    heights = [max(1, len(g)) for g in groups]
    fig = _figure(9, 1.2 + 0.38 * sum(heights) + 0.5 * len(groups))
    axes = fig.subplots(len(groups), 1, sharex=True, height_ratios=heights, squeeze=False)[:, 0]
    for i, (ax, name, group) in enumerate(zip(axes, c.names, groups, strict=True)):
        ys = np.arange(len(group))[::-1]
        mean = group["utilisation"].to_numpy(dtype=float)
        low = np.nan_to_num(mean - group["ci_low"].to_numpy(dtype=float))
        high = np.nan_to_num(group["ci_high"].to_numpy(dtype=float) - mean)
        ax.barh(ys, mean, xerr=[low, high], color=colour(i), height=0.65, capsize=3)
        for y, m, h in zip(ys, mean, high, strict=True):
            ax.text(min(m + h, 1.0) + 0.01, y, f"{100 * m:.0f}%", va="center", fontsize=9)
        labels = [f"{u} ({h})" for u, h in zip(group["unit"], group["headcount"], strict=True)]
        ax.set_yticks(ys, labels)
        ax.grid(axis="y", visible=False)
        shown = units[units["scenario"] == name]
        more = f" (first {len(group)} of {len(shown)} units)" if len(shown) > len(group) else ""
        ax.set_title(f"{name}{more}", loc="left", fontsize=11, color=colour(i))
    axes[-1].set_xlim(0, 1.1)
    axes[-1].xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    axes[-1].set_xlabel("utilisation (share of working time busy; bar: mean, line: 95% CI)")
    fig.suptitle("Utilisation by unit (headcount in brackets)", x=0.01, ha="left", fontsize=12)
    return fig


def figure_cost(c: Comparison) -> Figure | None:
    """Cost per resolved request per scenario, mean with 95% CI."""
    estimates = [c.estimate("cost_per_resolved", i) for i in range(len(c.names))]
    if not any(math.isfinite(e.mean) for e in estimates):
        return None
    n = len(c.names)
    fig = _figure(max(5.5, 2.2 * n + 1.5), 4.4)
    ax = fig.add_subplot()
    xs = np.arange(n)
    means = np.array([e.mean for e in estimates])
    halves = np.nan_to_num(np.array([e.half_width for e in estimates]))
    ax.bar(xs, means, yerr=halves, color=[colour(i) for i in range(n)], capsize=6, width=0.6)
    for x, m, h in zip(xs, means, halves, strict=True):
        if math.isfinite(m):
            ax.text(x, m + h, f"{m:,.2f}\n± {h:,.2f}", ha="center", va="bottom", fontsize=10)
    top = np.nanmax(means + halves)
    ax.set_ylim(0, top * 1.25 if math.isfinite(top) and top > 0 else 1)
    labels = [_wrap(c.names[0], 22) + "\n(baseline)"]
    for i in range(1, n):
        d = c.difference("cost_per_resolved", i)
        change = (
            f"\n{d.rel_pct:+.1f}% [{d.rel_ci_low:+.1f}, {d.rel_ci_high:+.1f}]"
            if math.isfinite(d.rel_ci_low)
            else ""
        )
        labels.append(_wrap(c.names[i], 22) + change)
    ax.set_xticks(xs, labels)
    ax.set_ylabel("cost per resolved request\n(currency units; bar: mean, line: 95% CI)")
    ax.grid(axis="x", visible=False)
    ax.set_title(
        "Staff cost per resolved request (under the names: paired difference vs the baseline, "
        "95% CI)",
        loc="left",
        fontsize=11,
    )
    return fig


WITH_COLOUR = "#D55E00"  # vermillion: with the reorganisation
WITHOUT_COLOUR = "#0072B2"  # blue: the same customers without it
SAVED_COLOUR = "#009E73"  # bluish green: customer hours saved
RECOVERY_COLOUR = "#CC79A7"  # reddish purple
CROSSOVER_COLOUR = "#E69F00"  # orange


def figure_j_curve(curve: JCurve) -> Figure:
    """A reorganisation's J-curve: (top) daily resolution time, 5-day rolling mean, with and
    without the reorganisation, 95% CI bands; (bottom) the customer hours saved since the
    switch, 95% CI band. Vertical lines: the switch, the median recovery and pay-back days."""
    t = curve.table
    days = t["day"].to_numpy(dtype=float)
    fig = _figure(10, 7.6)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1.15, 1])
    for column, colour_, label in (
        ("resolution_hours_without", WITHOUT_COLOUR, "without the reorganisation"),
        ("resolution_hours", WITH_COLOUR, "with the reorganisation"),
    ):
        top.fill_between(
            days,
            t[f"{column}_ci_low"],
            t[f"{column}_ci_high"],
            color=colour_,
            alpha=0.18,
            linewidth=0,
        )
        top.plot(days, t[column], color=colour_, linewidth=2.2, label=f"{label} (95% CI band)")
    top.set_ylabel("resolution time, 5-day rolling mean\n(working hours)")
    top.set_title(
        "Daily resolution time of the customers who arrived that day", loc="left", fontsize=11
    )
    saved = t["hours_saved"].to_numpy(dtype=float)
    bottom.fill_between(
        days,
        t["hours_saved_ci_low"],
        t["hours_saved_ci_high"],
        color=SAVED_COLOUR,
        alpha=0.2,
        linewidth=0,
    )
    bottom.plot(
        days, saved, color=SAVED_COLOUR, linewidth=2.2, label="customer hours saved (95% CI band)"
    )
    bottom.axhline(0, color="black", linewidth=1)
    bottom.set_ylabel("customer hours saved\nsince the switch (customer hours)")
    bottom.set_xlabel("working day (day the customers arrived)")
    bottom.set_title(
        "Cumulative customer hours saved against not reorganising (above 0: paid back)",
        loc="left",
        fontsize=11,
    )
    bottom.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    marks = [(curve.switch_day, "black", "-", f"switch (day {curve.switch_day})")]
    n = curve.n
    if curve.recovery_median is not None:
        k = len(curve.recovery_days)
        marks.append(
            (
                curve.recovery_median,
                RECOVERY_COLOUR,
                "--",
                f"recovered: 5 days as fast as without (median day {curve.recovery_median:g}, "
                f"{k} of {n} runs)",
            )
        )
    if curve.crossover_median is not None:
        marks.append(
            (
                curve.crossover_median,
                CROSSOVER_COLOUR,
                "-.",
                f"paid back (median day {curve.crossover_median:g}, "
                f"{curve.n_crossover} of {n} runs)",
            )
        )
    for day, colour_, style, label in marks:
        for ax in (top, bottom):
            ax.axvline(
                day,
                color=colour_,
                linestyle=style,
                linewidth=1.6,
                label=label if ax is top else None,
            )
    if curve.crossover_median is None:
        bottom.text(
            0.99,
            0.96,
            f"not paid back within the horizon ({curve.horizon} days) in {n} of {n} runs",
            transform=bottom.transAxes,
            ha="right",
            va="top",
            fontsize=10,
        )
    # One legend for both panels: the curves in the first column, the day markers in the second.
    handles, labels = top.get_legend_handles_labels()
    saved_handles, saved_labels = bottom.get_legend_handles_labels()
    fig.legend(
        handles[:2] + saved_handles + handles[2:],
        labels[:2] + saved_labels + labels[2:],
        loc="outside lower center",
        ncols=2,
        frameon=False,
    )
    if len(days) > 1:
        bottom.set_xlim(days.min(), days.max())
    fig.suptitle(
        _wrap(
            f"{curve.scenario} ({n} replications; the same customers with and without the "
            "reorganisation)",
            110,
        ),
        x=0.01,
        ha="left",
        fontsize=12,
    )
    return fig


# --------------------------------------------------------------------------------------------
# HTML

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       font-size: 16px; line-height: 1.45; color: #1a1a1a; max-width: 1180px; margin: 2em auto;
       padding: 0 1em; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { padding: 0.3em 0.6em; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
th { text-align: left; background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.group td { font-weight: bold; background: #fafafa; padding-top: 0.7em; }
.better { color: #0060a0; font-weight: 600; }
.worse { color: #b34700; font-weight: 600; }
.neutral { color: #555; }
.unit { color: #666; font-size: 0.9em; }
.notes { background: #fff8e1; border-left: 4px solid #E69F00; padding: 0.6em 1em; }
.sentences li { margin: 0.25em 0; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 0.92em; }
code { background: #f3f3f3; padding: 0 0.25em; }
details { margin: 0.8em 0; }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _mean_ci(c: Comparison, key: str, i: int) -> str:
    e = c.estimate(key, i)
    return format_mean_ci(key, e.mean, e.ci_low, e.ci_high)


def _difference_cell(c: Comparison, key: str, i: int) -> str:
    d = c.difference(key, i)
    text = difference_text(d)
    if text == "–":
        return "<td class='num neutral'>–</td>"
    css = {"better": "better", "worse": "worse"}.get(d.verdict, "neutral")
    sentence = _e(c.sentence(key, i))
    return (
        f"<td class='num {css}' title='{sentence}'>{_e(text)}"
        f"<br><span class='unit'>{_e(d.verdict)}</span></td>"
    )


def _kpi_table(c: Comparison) -> str:
    head = "<th>KPI</th>" + "".join(
        f"<th>{_e(name)}<br><span class='unit'>mean ± 95% CI half-width</span></th>"
        for name in c.names
    )
    head += "".join(
        f"<th>{_e(name)} vs {_e(c.baseline)}<br>"
        "<span class='unit'>paired difference [95% CI]</span></th>"
        for name in c.names[1:]
    )
    rows = []
    width = 1 + 2 * len(c.names) - 1
    for title, group in grouped(c.kpis()):
        rows.append(f"<tr class='group'><td colspan='{width}'>{_e(title)}</td></tr>")
        for key in group:
            info = kpi_info(key)
            unit = f" <span class='unit'>({_e(info.unit)})</span>" if info.unit else ""
            cells = [f"<td>{_e(info.label)}{unit}<br><span class='unit'>{_e(key)}</span></td>"]
            cells += [
                f"<td class='num'>{_e(_mean_ci(c, key, i))}</td>" for i in range(len(c.names))
            ]
            cells += [_difference_cell(c, key, i) for i in range(1, len(c.names))]
            rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _units_table(c: Comparison) -> str:
    units = c.units_table()
    if units.empty:
        return ""
    rows = "".join(
        f"<tr><td>{_e(r.scenario)}</td><td>{_e(r.unit)}</td>"
        f"<td class='num'>{int(r.headcount)}</td>"
        f"<td class='num'>{100 * r.utilisation:.1f}% "
        f"[{100 * r.ci_low:.1f}, {100 * r.ci_high:.1f}]</td></tr>"
        for r in units.itertuples()
    )
    return (
        "<details><summary>Utilisation by unit as a table</summary><table><thead><tr>"
        "<th>Scenario</th><th>Unit</th><th>Headcount</th><th>Utilisation [95% CI]</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></details>"
    )


def _setup(c: Comparison) -> str:
    rows = "".join(
        f"<tr><td>{_e(name)}{' (baseline)' if i == 0 else ''}</td>"
        f"<td>{_e(s.structure.kind.replace('_', '-'))}</td><td class='num'>{s.headcount}</td>"
        f"<td class='num'>{s.run.days}</td><td class='num'>{s.run.warmup_days}</td>"
        f"<td class='num'>{s.demand.requests_per_day:g}</td></tr>"
        for i, (name, s) in enumerate(zip(c.names, c.scenarios, strict=True))
    )
    mode = (
        f"chosen automatically (<code>--reps auto</code>: until every headline KPI's 95% CI "
        f"half-width is within {100 * c.precision:g}% of its mean, at most {c.max_reps})"
        if c.reps_mode == "auto"
        else "fixed"
    )
    seeds = ", ".join(str(s) for s in c.seeds)
    return (
        "<table><thead><tr><th>Scenario</th><th>Structure</th><th>Employees</th>"
        "<th>Days</th><th>Warm-up days</th><th>Requests per day</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        f"<p>{c.n} replications per scenario, {mode}. Replication <i>k</i> of every scenario "
        "uses the same seed, so all scenarios see the same customers (common random numbers); "
        "differences are paired by seed and their confidence interval is the CI of the "
        f"difference. Root seed <code>{c.root_seed}</code>; replication seeds "
        "(<code>numpy.random.SeedSequence(root).spawn(n)</code>):</p>"
        f"<p><code>{_e(seeds)}</code></p>"
    )


_CAPTIONS = {
    "differences": "Each point is the mean paired difference against the baseline, relative to "
    "the baseline mean; the line is its 95% confidence interval. An interval that crosses the "
    "vertical line at 0 means no clear difference.",
    "resolution": "Resolution time from arrival to resolution, in working hours (nights and "
    "weekends do not count), of every resolved request in every replication.",
    "csat": "Survey ratings of all closed requests in all replications; the mean score (1-5) "
    "is given with its 95% CI half-width over replications.",
    "utilisation": "Share of working time each unit's employees were busy during the "
    "measurement window (after warm-up), averaged over replications.",
    "cost": "Fully loaded staff cost over the measurement window divided by the number of "
    "resolved requests.",
    "jcurve": "Top: mean resolution time of the customers who arrived on each working day "
    "(5-day rolling mean, mean over replications, 95% CI band), with the reorganisation and for "
    "the same customers without it (common random numbers). Bottom: customer hours saved since "
    "the switch against not reorganising, cumulated day by day (above 0: the reorganisation has "
    "paid back so far). Vertical lines: the switch, the median day on which a 5-day stretch is "
    "as fast as not reorganising again (recovered) and the median day from which it has paid "
    "back for good, over the replications where that happened within the horizon.",
}


def render_report(comparison: Comparison, title: str | None = None) -> str:
    """The report as an HTML string (see `write_report`)."""
    c = comparison
    title = title or "Scenario comparison: " + " vs ".join(c.names)
    with matplotlib.rc_context(_STYLE):
        figures = {
            "differences": figure_differences(c),
            "resolution": figure_resolution(c),
            "csat": figure_csat(c),
            "utilisation": figure_utilisation(c),
            "cost": figure_cost(c),
        }
        curves = c.j_curves()
        for name, curve in curves.items():
            figures[f"jcurve:{name}"] = figure_j_curve(curve)
        images = {key: _png(fig) for key, fig in figures.items() if fig is not None}
    alt = {
        "differences": "Paired differences against the baseline for the headline KPIs",
        "resolution": "Resolution time distributions per scenario",
        "csat": "Customer rating shares per scenario",
        "utilisation": "Utilisation by unit per scenario",
        "cost": "Cost per resolved request per scenario",
    }
    alt.update(
        {
            f"jcurve:{name}": f"J-curve of the reorganisation in {name}: daily resolution time "
            "with and without it, and the customer hours saved since the switch"
            for name in curves
        }
    )

    def figure(key: str) -> str:
        if key not in images:
            return "<p class='neutral'>No data for this figure.</p>"
        caption = _CAPTIONS[key.split(":")[0]]
        return (
            f'<figure><img src="data:image/png;base64,{images[key]}" alt="{_e(alt[key])}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )

    reorganisations = []
    if curves:
        reorganisations.append("<h2>Reorganisation: the J-curve</h2>")
        reorganisations.append(
            "<p>A reorganisation can make things worse before it makes them better (a "
            "J-curve). Each run of a scenario with a reorganisation is also run without it, on "
            "the same customers, so day by day the difference is the reorganisation alone.</p>"
        )
        for name, curve in curves.items():
            reorganisations += [
                f"<h3>{_e(name)}</h3>",
                f"<p class='jcurve'><strong>{_e(curve.sentence())}</strong> "
                f"{_e(curve.dip_sentence())}</p>",
                figure(f"jcurve:{name}"),
            ]

    notes = (
        "<div class='notes'><ul>" + "".join(f"<li>{_e(n)}</li>" for n in c.notes) + "</ul></div>"
        if c.notes
        else ""
    )
    headline = "".join(f"<li>{_e(s)}</li>" for s in c.sentences())
    every = "".join(f"<li>{_e(s)}</li>" for s in c.sentences(c.kpis()))
    try:
        version = metadata.version("sim")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
        version = "unknown"
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p class='unit'>Baseline: {_e(c.baseline)}. Times are in working hours. "
        f"Generated by sim {_e(version)}.</p>",
        notes,
        "<h2>In short</h2>",
        f"<ul class='sentences'>{headline}</ul>" if headline else "<p>Only one scenario.</p>",
        figure("differences") if len(c.names) > 1 else "",
        "<h2>Set-up</h2>",
        _setup(c),
        "<h2>KPIs</h2>",
        "<p>Mean over replications ± the half-width of its 95% confidence interval "
        "(t distribution). Differences are paired by seed: relative to the baseline mean for "
        "times, counts and cost; in percentage points (pp) for shares. Blue: better, "
        "orange: worse; hover over a difference for the sentence.</p>",
        _kpi_table(c),
        f"<details><summary>Every difference in words</summary><ul class='sentences'>{every}"
        "</ul></details>"
        if every
        else "",
        *reorganisations,
        "<h2>Resolution time</h2>",
        figure("resolution"),
        "<h2>Customer satisfaction</h2>",
        figure("csat"),
        "<h2>Utilisation by unit</h2>",
        figure("utilisation"),
        _units_table(c),
        "<h2>Cost</h2>",
        figure("cost"),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def write_report(
    comparison: Comparison, path: str | os.PathLike[str], title: str | None = None
) -> None:
    """Write the comparison as ONE self-contained HTML file (figures embedded as PNG)."""
    text = render_report(comparison, title)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
