"""Live charts of the classroom: every organisation on the same axes, as one PNG per frame.

The time axis shows the last `WINDOW_DAYS` working days, not everything since the start: a
class that plays for weeks still sees days, not a squashed blur. It moves on in steps of a
quarter of the window.

Matplotlib redraws a whole figure in about 100-200 ms here, too slow for five frames a second.
So the axes, ticks, labels and legend are drawn once into a cached background, and each frame
only restores it and draws the lines on top (blitting), then encodes the PNG: about 10 ms plus
the encoding. The axes' limits move in steps (the time axis by a quarter of the window, the
value axes to "nice" numbers), so the background is redrawn only now and then.
"""

from __future__ import annotations

import io
import math
import threading

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from PIL import Image

from sim.dashboard.classroom.lineup import Frame
from sim.dashboard.palette import SIDE_STYLES, SIDES

PANELS = (
    ("resolution_hours", "Resolution time", "hours"),
    ("csat", "Customer satisfaction", "CSAT (5 = best)"),
    ("backlog", "Backlog", "open requests"),
    ("handoffs_per_request", "Handoffs per request", "handoffs"),
)
NOTE = (
    "Resolution time, satisfaction and handoffs: mean over the requests closed in the last "
    "working day. Backlog: requests open at that moment."
)
"""Shown under the charts (page text scales better than figure text)."""
FIXED_LIMITS = {"csat": (1.0, 5.0)}
WINDOW_DAYS = 20
"""Working days the time axis shows (four weeks)."""


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 x 10^k at or above `value` (> 0)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 3, 4, 5, 6, 8, 10):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10 * power


def window(frame: Frame) -> tuple[float, float]:
    """The time axis (working days): the last `WINDOW_DAYS` up to now, from the start of the
    class, moving on by a quarter of the window."""
    first = frame.start / frame.hours_per_day
    now = frame.time / frame.hours_per_day
    step = WINDOW_DAYS / 4
    moved = max(0, math.ceil((now - first - 0.95 * WINDOW_DAYS) / step))
    low = first + moved * step
    return low, low + WINDOW_DAYS


class LiveCharts:
    """One figure, four panels, redrawn by blitting. One per browser session (not shared)."""

    def __init__(self, width_px: int = 1240, height_px: int = 290, dpi: int = 100):
        self.figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = self.figure.subplots(1, len(PANELS))
        self.figure.subplots_adjust(left=0.055, right=0.99, bottom=0.17, top=0.78, wspace=0.3)
        self.lines: list[tuple[Line2D, ...]] = []
        for ax, (_, title, unit) in zip(self.axes, PANELS, strict=True):
            ax.set_title(title, fontsize=14, fontweight="bold")
            ax.set_xlabel("working day", fontsize=12)
            ax.set_ylabel(unit, fontsize=12)
            ax.tick_params(labelsize=11)
            ax.grid(color="#DDDDDD", linewidth=0.8)
            ax.spines[["top", "right"]].set_visible(False)
            self.lines.append(
                tuple(
                    ax.plot([], [], color=colour, linestyle=style, linewidth=2.4, animated=True)[0]
                    for colour, style in zip(SIDES, SIDE_STYLES, strict=True)
                )
            )
        self._legend: Legend | None = None
        self._state: tuple | None = None
        """What the cached background shows: (labels, x span, y limits)."""
        self._background = None
        self._run: int | None = None
        self._span: tuple[float, float] | None = None
        self._ymax: dict[str, float] = {}
        self._lock = threading.Lock()

    def render(self, frame: Frame) -> bytes:
        """The charts of `frame` as PNG bytes."""
        with self._lock:
            state = self._limits(frame)
            if state != self._state or self._background is None:
                self._redraw_background(state)
            self.canvas.restore_region(self._background)
            low = state[1][0]
            shown = [_from(side.series, low) for side in frame.sides]
            for ax, (key, _, _), lines in zip(self.axes, PANELS, self.lines, strict=True):
                for line, series in zip(lines, shown, strict=False):
                    line.set_data(series["day"], series[key])
                    ax.draw_artist(line)
            return self._png()

    def _limits(self, frame: Frame) -> tuple:
        """(labels, time axis, value axes): the background to draw. A value axis grows to a
        nice number above the window's highest value, and shrinks again when the time axis
        moves on."""
        span = window(frame)
        if span != self._span or frame.run != self._run:  # moved on, or a restart
            self._span, self._run, self._ymax = span, frame.run, {}
        shown = [_from(side.series, span[0]) for side in frame.sides]
        limits = []
        for key, _, _ in PANELS:
            if key in FIXED_LIMITS:
                limits.append(FIXED_LIMITS[key])
                continue
            highest = max(
                (float(np.nanmax(s[key])) for s in shown if np.isfinite(s[key]).any()),
                default=0.0,
            )
            top = max(self._ymax.get(key, 0.0), nice_ceiling(highest * 1.1))
            self._ymax[key] = top
            limits.append((0.0, top))
        return tuple(side.label for side in frame.sides), span, tuple(limits)

    def _redraw_background(self, state: tuple) -> None:
        labels, span, limits = state
        for ax, (low, high) in zip(self.axes, limits, strict=True):
            ax.set_xlim(*span)
            ax.set_ylim(low, high)
        if self._legend is None or self._state is None or self._state[0] != labels:
            if self._legend is not None:
                self._legend.remove()
            handles = [
                Line2D([], [], color=c, linestyle=s, linewidth=2.6)
                for c, s in zip(SIDES, SIDE_STYLES, strict=False)
            ][: len(labels)]
            self._legend = self.figure.legend(
                handles,
                labels,
                loc="upper center",
                ncols=len(labels),
                fontsize=13,
                frameon=False,
                bbox_to_anchor=(0.5, 1.01),
                handlelength=3.2,
            )
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._state = state

    def _png(self) -> bytes:
        rgba = np.asarray(self.canvas.buffer_rgba())
        image = Image.fromarray(rgba[:, :, :3])  # opaque figure: drop alpha, a quarter smaller
        out = io.BytesIO()
        image.save(out, format="png", compress_level=1)
        return out.getvalue()


def _from(series: dict[str, np.ndarray], day: float) -> dict[str, np.ndarray]:
    """The samples from `day` on (and the one before, so the line starts at the axis)."""
    first = max(0, int(np.searchsorted(series["day"], day)) - 1)
    return {k: v[first:] for k, v in series.items()}
