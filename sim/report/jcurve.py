"""A reorganisation's J-curve as a figure (`figure_j_curve`): daily resolution time with and
without it, the customer hours saved since the switch, and when it pays back."""

from __future__ import annotations

import matplotlib.ticker
from matplotlib.figure import Figure

from sim.replications import JCurve
from sim.report.style import new_figure, wrap_inches

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
    width = 10
    fig = new_figure(width, 11.5)
    top, csat, gone, bottom = fig.subplots(4, 1, sharex=True, height_ratios=[1.15, 0.8, 0.8, 1])
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
        "Daily resolution time of the customers who arrived that day (resolved only)",
        loc="left",
        fontsize=11,
    )
    for ax, column, label, title in (
        (csat, "csat", "CSAT, 5-day\nrolling mean (1-5)", "CSAT, customers who gave up included"),
        (gone, "abandoned_share", "gave up, 5-day\nshare", "Share of the customers who gave up"),
    ):
        for suffix, colour_ in (("_without", WITHOUT_COLOUR), ("", WITH_COLOUR)):
            ax.fill_between(
                days,
                t[f"{column}{suffix}_ci_low"],
                t[f"{column}{suffix}_ci_high"],
                color=colour_,
                alpha=0.18,
                linewidth=0,
            )
            ax.plot(days, t[f"{column}{suffix}"], color=colour_, linewidth=2.0)
        ax.set_ylabel(label)
        ax.set_title(title, loc="left", fontsize=11)
    gone.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
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
        days, saved, color=SAVED_COLOUR, linewidth=2.2, label="outcome hours saved (95% CI band)"
    )
    bottom.axhline(0, color="black", linewidth=1)
    bottom.set_ylabel("outcome hours saved\nsince the switch (customer hours)")
    bottom.set_xlabel("working day (day the customers arrived)")
    bottom.set_title(
        "Cumulative hours to an outcome saved against not reorganising (above 0: paid back)",
        loc="left",
        fontsize=11,
    )
    bottom.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    marks: list[tuple[float, str, str, str]] = [
        (curve.switch_day, "black", "-", f"switch (day {curve.switch_day})")
    ]
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
        for ax in (top, csat, gone, bottom):
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
        wrap_inches(
            f"{curve.scenario} ({n} replications; the same customers with and without the "
            "reorganisation)",
            width - 0.3,
            12,
        ),
        x=0.01,
        ha="left",
        fontsize=12,
    )
    return fig
