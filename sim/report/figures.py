"""The comparison's figures: paired differences, resolution-time distributions, CSAT ratings,
utilisation by unit and cost. Each returns a matplotlib `Figure` (None where there is no data);
the HTML report embeds them and the dashboard shows them, both from `FIGURES` (key, title, alt
text). `draw_figures` draws them all, and the J-curves, into PNGs once: the dashboard shows
those and hands the same ones to the report it offers for download."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import matplotlib
import matplotlib.ticker
import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from sim.kpi_catalogue import format_mean_ci, kpi_info
from sim.replications import Comparison, JCurve
from sim.report.jcurve import figure_j_curve
from sim.report.style import (
    RATING_COLOURS,
    RATING_TEXT,
    STYLE,
    colour,
    legend_columns,
    new_figure,
    png,
    wrap_inches,
)

MAX_UNITS_SHOWN = 40
"""Units per scenario in the utilisation figure."""


def figure_differences(c: Comparison, kpis: Sequence[str] | None = None) -> Figure | None:
    """Relative paired difference vs the baseline, with 95% CI, for the headline KPIs."""
    keys = list(kpis if kpis is not None else c.headline)
    if len(c.names) < 2 or not keys:
        return None
    others = range(1, len(c.names))
    width = 8.5
    fig = new_figure(width, 0.7 + 0.45 * len(keys) * len(others) + 0.4 * len(keys))
    ax = fig.add_subplot()
    step = 0.8 / max(1, len(others))
    labels, ticks = [], []
    for row, key in enumerate(keys):
        info = kpi_info(key)
        better = {1: "higher is better", -1: "lower is better"}.get(info.better, "")
        labels.append(wrap_inches(f"{info.label} ({better})" if better else info.label, 2.3, 10))
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
                label=wrap_inches(c.names[i], 3.0, 10) if row == 0 else None,
            )
    ax.axvline(0, color="black", linewidth=1)
    ax.set_yticks(ticks, labels)
    ax.set_ylim(-len(keys) + 0.5, 0.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(
        wrap_inches(f"difference vs {c.baseline} (% of the baseline mean, 95% CI)", 6, 11)
    )
    fig.suptitle(
        "Paired differences against the baseline (common random numbers)",
        x=0.01,
        ha="left",
        fontsize=12,
    )
    labels = ax.get_legend_handles_labels()[1]
    fig.legend(loc="outside lower center", ncols=legend_columns(labels, width), frameon=False)
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
    width = 11
    fig = new_figure(width, 4.4)
    hist, ecdf = fig.subplots(1, 2)
    for i, (name, s) in enumerate(zip(c.names, samples, strict=True)):
        if not len(s):
            continue
        label = wrap_inches(name, 3.0, 10)
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
        wrap_inches(
            f"Resolution time of resolved requests, all replications pooled "
            f"(x axis cut at the 99th percentile, {cut:.0f} h)",
            width - 0.3,
            12,
        ),
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
    fig = new_figure(10, 1.5 + 0.75 * n)
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
    ax.set_yticks(ys, [wrap_inches(name, 2.1, 10) for name in c.names])
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
    width = 9
    fig = new_figure(width, 1.2 + 0.38 * sum(heights) + 0.5 * len(groups))
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
        # Starts where the axes do, right of the unit names: wrapped to what is left of the width.
        title = wrap_inches(f"{name}{more}", width - 3.0, 11)
        ax.set_title(title, loc="left", fontsize=11, color=colour(i))
    axes[-1].set_xlim(0, 1.1)
    axes[-1].xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    axes[-1].set_xlabel("utilisation (share of working time busy; bar: mean, line: 95% CI)")
    fig.suptitle("Utilisation by unit (headcount in brackets)", x=0.01, ha="left", fontsize=12)
    return fig


def figure_cost(c: Comparison) -> Figure | None:
    """Total cost over the measurement window per scenario, mean with 95% CI."""
    estimates = [c.estimate("total_cost", i) for i in range(len(c.names))]
    if not any(math.isfinite(e.mean) for e in estimates):
        return None
    n = len(c.names)
    width = max(5.5, 2.2 * n + 1.5)
    fig = new_figure(width, 4.4)
    ax = fig.add_subplot()
    xs = np.arange(n)
    means = np.array([e.mean for e in estimates])
    halves = np.nan_to_num(np.array([e.half_width for e in estimates]))
    ax.bar(xs, means, yerr=halves, color=[colour(i) for i in range(n)], capsize=6, width=0.6)
    for x, m, h in zip(xs, means, halves, strict=True):
        if math.isfinite(m):
            ax.text(float(x), m + h, f"{m:,.2f}\n± {h:,.2f}", ha="center", va="bottom", fontsize=10)
    top = np.nanmax(means + halves)
    ax.set_ylim(0, top * 1.25 if math.isfinite(top) and top > 0 else 1)
    # A bar's label is about as wide as its 2.2-inch slot.
    labels = [wrap_inches(c.names[0], 1.9, 10) + "\n(baseline)"]
    for i in range(1, n):
        d = c.difference("total_cost", i)
        change = (
            f"\n{d.rel_pct:+.1f}% [{d.rel_ci_low:+.1f}, {d.rel_ci_high:+.1f}]"
            if math.isfinite(d.rel_ci_low)
            else ""
        )
        labels.append(wrap_inches(c.names[i], 1.9, 10) + change)
    ax.set_xticks(xs, labels)
    ax.set_ylabel(f"total cost over the window\n({c.currency}; bar: mean, line: 95% CI)")
    ax.grid(axis="x", visible=False)
    fig.suptitle(
        wrap_inches(
            "Total cost: staff, managers, contacts, reorganisations (under the names: paired "
            "difference vs the baseline, 95% CI)",
            width - 0.3,
            12,
        ),
        x=0.01,
        ha="left",
        fontsize=12,
    )
    return fig


def figure_verdict_map(c: Comparison) -> Figure | None:
    """Per headline KPI, every plausible world on the two assumptions the verdict hinges on
    most, coloured by the scenario that is best there (None without ``--worlds``)."""
    worlds = c.worlds
    if worlds is None or len(c.names) < 2:
        return None
    hinges = worlds.hinges_on(2)
    if len(hinges) < 2:
        return None
    x_path, y_path = hinges
    x = worlds.values[:, worlds.paths.index(x_path)]
    y = worlds.values[:, worlds.paths.index(y_path)]
    keys = list(worlds.headline)
    cols = min(2, len(keys))
    rows = math.ceil(len(keys) / cols)
    width = 4.4 * cols + 1.0
    fig = new_figure(width, 3.6 * rows + 0.9)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, key in zip(axes, keys, strict=False):
        best = worlds.best(key)
        for i, name in enumerate(c.names):
            mine = best[:, i] > 0
            if mine.any():
                ax.scatter(
                    x[mine],
                    y[mine],
                    s=60,
                    color=colour(i),
                    marker="os^Dv"[i % 5],
                    edgecolors="white",
                    linewidths=0.6,
                    label=wrap_inches(name, 3.0, 10),
                )
        shares = worlds.share_best(key)
        ax.set_title(
            # From the axes' left edge, right of the tick labels: about 4 of the 4.4 inches.
            wrap_inches(
                f"{kpi_info(key).label}: "
                + ", ".join(f"{n} {s.share:.0%}" for n, s in shares.items()),
                3.9,
                10,
            ),
            loc="left",
            fontsize=10,
        )
        ax.set_xlabel(x_path)
        ax.set_ylabel(y_path)
    for ax in axes[len(keys) :]:
        ax.set_visible(False)
    handles: dict[str, Artist] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(
        list(handles.values()),
        list(handles.keys()),
        loc="outside lower center",
        ncols=legend_columns(list(handles.keys()), width),
        frameon=False,
        title="best in that world",
    )
    fig.suptitle(
        wrap_inches(
            f"Verdict map: {worlds.n} plausible worlds on the two assumptions the verdict "
            "hinges on most",
            width - 0.3,
            12,
        ),
        x=0.01,
        ha="left",
        fontsize=12,
    )
    return fig


@dataclass(frozen=True)
class ComparisonFigure:
    """A figure of a comparison as the report and the dashboard show it."""

    key: str
    title: str
    """Its heading (the report's section, the page's chart title)."""
    draw: Callable[[Comparison], Figure | None]
    alt: str
    """What it shows, for a reader who cannot see it."""


FIGURES = (
    ComparisonFigure(
        "differences",
        "Differences against the baseline",
        figure_differences,
        "Paired differences against the baseline for the headline KPIs",
    ),
    ComparisonFigure(
        "resolution",
        "Resolution time",
        figure_resolution,
        "Resolution time distributions per scenario",
    ),
    ComparisonFigure(
        "csat", "Customer satisfaction", figure_csat, "Customer rating shares per scenario"
    ),
    ComparisonFigure(
        "utilisation",
        "Utilisation by unit",
        figure_utilisation,
        "Utilisation by unit per scenario",
    ),
    ComparisonFigure("cost", "Cost", figure_cost, "Total cost per scenario"),
    ComparisonFigure(
        "worlds",
        "Verdict map: the plausible worlds",
        figure_verdict_map,
        "Which scenario is best in each plausible world, on the two assumptions the verdict "
        "hinges on most",
    ),
)
"""Every figure of a comparison but the J-curves (one per reorganisation, `sim.report.jcurve`),
in the order they are drawn; their captions are `sim.report.render.CAPTIONS`."""


class Drawn(NamedTuple):
    """A comparison's figures as PNGs, drawn once for the page and the report."""

    figures: dict[str, bytes]
    """`FIGURES` key -> PNG (missing: no data)."""
    curves: list[tuple[str, JCurve, bytes]]
    """Per scenario with a reorganisation: its name, J-curve and the J-curve figure (PNG)."""


def draw_figures(comparison: Comparison, check: Callable[[], None] = lambda: None) -> Drawn:
    """Every figure of the comparison as PNG, in the report's style (`STYLE`: font sizes, no
    top/right spines, a light grid). `check` is called before each figure and raises to stop
    early (the dashboard's Cancel)."""
    figures: dict[str, bytes] = {}
    curves = []
    with matplotlib.rc_context(STYLE):
        for figure in FIGURES:
            check()
            fig = figure.draw(comparison)
            if fig is not None:
                figures[figure.key] = png(fig)
        for name, curve in comparison.j_curves().items():
            check()
            curves.append((name, curve, png(figure_j_curve(curve))))
    return Drawn(figures, curves)
