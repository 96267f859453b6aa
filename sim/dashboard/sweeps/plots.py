"""The sweep explorer's charts, as PNG bytes: KPI against a factor (lines with 95% bands), a
heatmap over two factors, the map of where each level of a factor wins, and the sensitivity
indices (`sim.sweeps.sensitivity.plot_indices`).

Colour-blind safe throughout: Okabe-Ito colours (`palette`) each paired with a marker and a line
style, cividis for the heatmap, and the winner's name written in every cell of the map.
"""

from __future__ import annotations

import io
import math
import tempfile
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from sim.dashboard import palette
from sim.dashboard.sweeps.data import (
    NO_CLEAR_WINNER,
    SavedSweep,
    aggregate,
    factor_label,
    winners,
)
from sim.kpi_catalogue import kpi_info

COLOURS = (
    palette.BLUE,
    palette.VERMILLION,
    palette.BLUISH_GREEN,
    palette.ORANGE,
    palette.REDDISH_PURPLE,
    palette.SKY_BLUE,
    palette.BLACK,
    palette.YELLOW,
)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
STYLES = ("-", "--", "-.", ":")
MAX_LINES = len(COLOURS)
NO_WINNER_COLOUR = "#E6E6E6"
DPI = 100


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def kpi_axis_label(sweep: SavedSweep, kpi: str) -> str:
    """'Resolution time, mean (hours)'; costs in the sweep's currency."""
    return kpi_info(kpi, sweep.currency).title


def direction(kpi: str) -> str:
    better = kpi_info(kpi).better
    return {1: "higher is better", -1: "lower is better"}.get(better, "")


def _value_text(kpi: str, value: float) -> str:
    """A display-unit value (shares already in %) as the tables write it."""
    if not math.isfinite(value):
        return "–"
    info = kpi_info(kpi)
    if info.kind == "share":
        return f"{value:.1f}"
    return info.format(value)


def _pooled_note(sweep: SavedSweep, shown: list[str], fixed: Mapping[str, Any]) -> str:
    parts = []
    for factor in sweep.factors:
        if factor in shown:
            continue
        value = fixed.get(factor, "*")
        if value == "*":
            parts.append(f"{factor}: all levels pooled")
        else:
            parts.append(f"{factor} = {sweep.level_label(factor, value)}")
    return "; ".join(parts)


def _title(fig: Figure, heading: str, note: str) -> None:
    """A bold heading above and a small note below the axes, wrapped to the figure's width
    (both inside the constrained layout, so they never overlap the axis labels)."""
    width = fig.get_figwidth()
    fig.suptitle(
        textwrap.fill(heading, int(width * 8.5)), fontsize=13, fontweight="bold", x=0.01, ha="left"
    )
    if note:
        fig.supxlabel(
            textwrap.fill(note, int(width * 13)), fontsize=9, color="#444444", x=0.01, ha="left"
        )


def _heading(sweep: SavedSweep, kpi: str, what: str = "") -> str:
    """'Resolution time, mean (hours) by X: lower is better'."""
    text = kpi_axis_label(sweep, kpi) + (f" {what}" if what else "")
    return f"{text}: {direction(kpi)}" if direction(kpi) else text


def _rotation(ticks: list, sweep: SavedSweep | None = None, factor: str = "") -> int:
    """Slanted tick labels when they would not fit side by side."""
    if sweep is not None:
        ticks = [sweep.level_label(factor, v) for v in ticks]
    return 0 if sum(len(str(t)) + 2 for t in ticks) <= 60 else 30


def _positions(sweep: SavedSweep, factor: str) -> tuple[dict[Any, float], list[str], bool]:
    """x position of each level, tick labels, and whether the axis is numeric."""
    levels = sweep.levels[factor]
    if sweep.numeric(factor):
        return {v: float(v) for v in levels}, [sweep.level_label(factor, v) for v in levels], True
    return {v: float(i) for i, v in enumerate(levels)}, [str(v) for v in levels], False


def line_chart(
    sweep: SavedSweep,
    kpi: str,
    x: str,
    hue: str | None = None,
    fixed: Mapping[str, Any] | None = None,
) -> bytes:
    """Mean `kpi` against factor `x` with its 95% CI band, one line per level of `hue`."""
    fixed = fixed or {}
    second = hue if hue is not None and hue != x else None
    by = [x] if second is None else [x, second]
    table = aggregate(sweep, kpi, by, fixed)
    if table.empty:
        raise ValueError("no finished runs at these factor levels")
    positions, ticks, numeric = _positions(sweep, x)
    fig = Figure(figsize=(7.6, 4.6), layout="constrained")
    ax = fig.subplots()
    series = [(None, table)] if second is None else list(table.groupby(second, sort=False))
    if second is not None:
        order = {v: i for i, v in enumerate(sweep.levels[second])}
        series.sort(key=lambda s: order.get(s[0], len(order)))
    for i, (level, part) in enumerate(series[:MAX_LINES]):
        part = part.assign(_x=part[x].map(positions)).sort_values("_x")
        colour, marker = COLOURS[i % len(COLOURS)], MARKERS[i % len(MARKERS)]
        label = "mean" if second is None else sweep.level_label(second, level)
        ax.plot(
            part["_x"],
            part["mean"],
            color=colour,
            marker=marker,
            markersize=7,
            linestyle=STYLES[i % len(STYLES)],
            linewidth=2.2,
            label=label,
        )
        band = part.dropna(subset=["ci_low", "ci_high"])
        if len(band) == len(part) > 1:
            ax.fill_between(
                band["_x"], band["ci_low"], band["ci_high"], color=colour, alpha=0.18, linewidth=0
            )
        elif len(band):  # a band would bridge points without an interval: error bars instead
            ax.errorbar(
                band["_x"],
                band["mean"],
                yerr=[band["mean"] - band["ci_low"], band["ci_high"] - band["mean"]],
                color=colour,
                alpha=0.6,
                capsize=4,
                linestyle="none",
            )
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Patch(facecolor="#999999", alpha=0.35))
    labels.append("95% confidence interval (band or bar)")
    legend_title = factor_label(second) if second is not None else None
    ax.legend(
        handles,
        labels,
        title=legend_title,
        fontsize=10,
        title_fontsize=10,
        loc="best",
        framealpha=0.9,
    )
    ax.set_xticks(list(positions.values()), ticks, rotation=_rotation(ticks))
    if not numeric:
        ax.set_xlim(-0.4, len(ticks) - 0.6)
    ax.set_xlabel(factor_label(x), fontsize=12)
    ax.set_ylabel(kpi_axis_label(sweep, kpi), fontsize=12)
    ax.tick_params(labelsize=11)
    ax.grid(color="#DDDDDD", linewidth=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    n = table["n"]
    runs = f"{n.min()}" if n.min() == n.max() else f"{n.min()}-{n.max()}"
    note = f"Mean of {runs} runs per point. " + _pooled_note(sweep, by, fixed)
    if len(series) > MAX_LINES:
        note += f" Only the first {MAX_LINES} levels of {hue} are drawn."
    _title(fig, _heading(sweep, kpi), note)
    return _png(fig)


def _grid(sweep: SavedSweep, table: pd.DataFrame, x: str, y: str, column: str):
    xs, ys = sweep.levels[x], sweep.levels[y]
    grid = table.pivot_table(index=y, columns=x, values=column, aggfunc="first", dropna=False)
    return grid.reindex(index=ys, columns=xs), xs, ys


def _text_colour(rgb) -> str:
    r, g, b = to_rgb(rgb)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def _axes_labels(ax, sweep: SavedSweep, x: str, y: str | None, xs: list, ys: list) -> None:
    ax.set_xticks(
        range(len(xs)), [sweep.level_label(x, v) for v in xs], rotation=_rotation(xs, sweep, x)
    )
    ax.set_xlabel(factor_label(x), fontsize=12)
    if y is None:
        ax.set_yticks([])
    else:
        ax.set_yticks(range(len(ys)), [sweep.level_label(y, v) for v in ys])
        ax.set_ylabel(factor_label(y, wrap=True), fontsize=12)
    ax.tick_params(labelsize=11, length=0)
    for side in ax.spines.values():
        side.set_visible(False)


def heatmap(
    sweep: SavedSweep, kpi: str, x: str, y: str, fixed: Mapping[str, Any] | None = None
) -> bytes:
    """Mean `kpi` over the levels of factors `x` (columns) and `y` (rows), values written in."""
    fixed = fixed or {}
    table = aggregate(sweep, kpi, [x, y], fixed)
    if table.empty:
        raise ValueError("no finished runs at these factor levels")
    table["half"] = (table["ci_high"] - table["ci_low"]) / 2
    grid, xs, ys = _grid(sweep, table, x, y, "mean")
    half, _, _ = _grid(sweep, table, x, y, "half")
    values = grid.to_numpy(float)
    fig = Figure(
        figsize=(max(6.0, 1.25 * len(xs) + 3.2), max(3.4, 0.75 * len(ys) + 2.2)),
        layout="constrained",
    )
    ax = fig.subplots()
    cmap = colormaps["cividis"].with_extremes(bad="#FFFFFF")
    finite = values[np.isfinite(values)]
    norm = Normalize(finite.min(), finite.max()) if finite.size else Normalize(0, 1)
    if finite.size and finite.min() == finite.max():
        norm = Normalize(finite.min() - 1e-9, finite.max() + 1e-9)
    image = ax.imshow(
        np.ma.masked_invalid(values), cmap=cmap, norm=norm, origin="lower", aspect="auto"
    )
    small = len(xs) * len(ys) <= 48
    for j in range(len(ys)):
        for i in range(len(xs)):
            v = values[j, i]
            if not math.isfinite(v):
                ax.text(i, j, "no runs", ha="center", va="center", fontsize=9, color="#666666")
                continue
            text = _value_text(kpi, v)
            h = half.to_numpy(float)[j, i]
            if small and math.isfinite(h):
                text += f"\n± {_value_text(kpi, h)}"
            ax.text(
                i,
                j,
                text,
                ha="center",
                va="center",
                fontsize=11 if small else 8,
                color=_text_colour(cmap(norm(v))),
            )
    _axes_labels(ax, sweep, x, y, xs, ys)
    bar = fig.colorbar(image, ax=ax, shrink=0.9)
    bar.set_label(kpi_axis_label(sweep, kpi), fontsize=11)
    heading = _heading(sweep, kpi, "by two factors")
    note = "Cells: mean ± half-width of the 95% confidence interval. " + _pooled_note(
        sweep, [x, y], fixed
    )
    _title(fig, heading, note)
    return _png(fig)


def winner_map(
    sweep: SavedSweep,
    kpi: str,
    contest: str,
    axes: list[str],
    fixed: Mapping[str, Any] | None = None,
) -> bytes:
    """Each cell (levels of up to two `axes` factors) coloured by the level of `contest` with
    the best mean `kpi`, or grey where the 95% CIs overlap."""
    fixed = fixed or {}
    axes = [a for a in dict.fromkeys(axes) if a != contest][:2]
    table = winners(sweep, kpi, contest, axes, fixed)
    if table.empty:
        raise ValueError("no finished runs at these factor levels")
    contenders = sweep.levels[contest]
    colour = {c: COLOURS[i % len(COLOURS)] for i, c in enumerate(contenders)}
    colour[NO_CLEAR_WINNER] = NO_WINNER_COLOUR
    x = axes[0] if axes else None
    y = axes[1] if len(axes) > 1 else None
    xs = sweep.levels[x] if x else [None]
    ys = sweep.levels[y] if y else [None]
    lookup = {}
    for _, row in table.iterrows():
        lookup[(row[x] if x else None, row[y] if y else None)] = row["winner"]
    width = max(7.6, 1.9 * len(xs) + 4.6)
    fig = Figure(figsize=(width, max(3.0, 0.8 * len(ys) + 2.4)), layout="constrained")
    names = [sweep.level_label(contest, c) for c in contenders]
    cell_pt = 72 * (width - 4.6) / len(xs)
    size = max(7.0, min(11.0, 0.9 * cell_pt / (0.65 * max(map(len, names)))))
    ax = fig.subplots()
    for j, yv in enumerate(ys):
        for i, xv in enumerate(xs):
            won = lookup.get((xv, yv))
            face = colour.get(won, "#FFFFFF") if won is not None else "#FFFFFF"
            ax.add_patch(_cell(i, j, face, won == NO_CLEAR_WINNER))
            if won is None:
                text, ink = "no runs", "#666666"
            elif won == NO_CLEAR_WINNER:
                text, ink = "no clear\nwinner", "#333333"
            else:
                text, ink = sweep.level_label(contest, won), _text_colour(face)
            ax.text(
                i,
                j,
                text,
                ha="center",
                va="center",
                fontsize=size,
                color=ink,
                fontweight="normal" if won == NO_CLEAR_WINNER else "bold",
            )
    ax.set_xlim(-0.5, len(xs) - 0.5)
    ax.set_ylim(-0.5, len(ys) - 0.5)
    if x is None:
        ax.set_xticks([])
        for side in ax.spines.values():
            side.set_visible(False)
    else:
        _axes_labels(ax, sweep, x, y, xs, ys)
    handles = [
        Patch(facecolor=colour[c], edgecolor="#333333", label=sweep.level_label(contest, c))
        for c in contenders
    ]
    handles.append(
        Patch(
            facecolor=NO_WINNER_COLOUR,
            edgecolor="#333333",
            hatch="//",
            label="no clear winner (95% CIs overlap)",
        )
    )
    ax.legend(
        handles=handles,
        title=f"best {contest}",
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        fontsize=10,
        title_fontsize=10,
        frameon=False,
    )
    heading = f"Where each {contest} wins on {kpi_axis_label(sweep, kpi)}: {direction(kpi)}"
    note = (
        "Winner: the best mean whose 95% confidence interval overlaps no other level's. "
        + _pooled_note(sweep, [contest, *axes], fixed)
    )
    _title(fig, heading, note)
    return _png(fig)


def _cell(i: int, j: int, face: str, hatched: bool) -> Rectangle:
    return Rectangle(
        (i - 0.5, j - 0.5),
        1,
        1,
        facecolor=face,
        edgecolor="white",
        linewidth=3,
        hatch="//" if hatched else None,
    )


def sensitivity_chart(indices: pd.DataFrame, kpi: str, title: str) -> bytes:
    """`sim.sweeps.sensitivity.plot_indices` of one KPI, as PNG bytes."""
    from sim.sweeps.sensitivity import plot_indices

    part = indices[indices["kpi"] == kpi].copy()
    if part.empty:
        raise ValueError(f"no sensitivity indices for {kpi_info(kpi).label}")
    part.attrs["method"] = indices.attrs.get("method")
    with tempfile.TemporaryDirectory() as tmp:
        path = plot_indices(part, Path(tmp) / "indices.png", title=title)
        return path.read_bytes()
