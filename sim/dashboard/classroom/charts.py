"""Live charts of the classroom: both organisations on the same axes, as one PNG per frame.

Matplotlib redraws a whole figure in about 100-200 ms here, too slow for five frames a second.
So the axes, ticks, labels and legend are drawn once into a cached background, and each frame
only restores it and draws the lines on top (blitting), then encodes the PNG: about 10 ms plus
the encoding. The axes' limits move in steps (the time axis by "nice" spans, the value axes only
grow), so the background is redrawn only now and then.
"""

from __future__ import annotations

import io
import math
import threading

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from sim.dashboard.classroom.twin import Frame
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
_SPANS = (1, 2, 3, 5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 x 10^k at or above `value` (> 0)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 3, 4, 5, 6, 8, 10):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10 * power


class LiveCharts:
    """One figure, four panels, redrawn by blitting. One per browser session (not shared)."""

    def __init__(self, width_px: int = 1240, height_px: int = 300, dpi: int = 100):
        self.figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = self.figure.subplots(1, len(PANELS))
        self.figure.subplots_adjust(left=0.055, right=0.99, bottom=0.17, top=0.78, wspace=0.3)
        self.lines: list[tuple[Line2D, Line2D]] = []
        for ax, (_, title, unit) in zip(self.axes, PANELS, strict=True):
            ax.set_title(title, fontsize=14, fontweight="bold")
            ax.set_xlabel("working day", fontsize=12)
            ax.set_ylabel(unit, fontsize=12)
            ax.tick_params(labelsize=11)
            ax.grid(color="#DDDDDD", linewidth=0.8)
            ax.spines[["top", "right"]].set_visible(False)
            pair = tuple(
                ax.plot([], [], color=colour, linestyle=style, linewidth=2.4, animated=True)[0]
                for colour, style in zip(SIDES, SIDE_STYLES, strict=True)
            )
            self.lines.append(pair)
        self._legend = None
        self._state: tuple | None = None
        """What the cached background shows: (labels, x span, y limits)."""
        self._background = None
        self._run = None
        self._ymax: dict[str, float] = {}
        self._lock = threading.Lock()

    def render(self, frame: Frame) -> bytes:
        """The charts of `frame` as PNG bytes."""
        with self._lock:
            if frame.run != self._run:  # a restart: the value axes may shrink again
                self._run = frame.run
                self._ymax = {}
            state = self._limits(frame)
            if state != self._state or self._background is None:
                self._redraw_background(state)
            self.canvas.restore_region(self._background)
            for ax, (key, _, _), pair in zip(self.axes, PANELS, self.lines, strict=True):
                for line, side in zip(pair, (frame.left, frame.right), strict=True):
                    line.set_data(side.series["day"], side.series[key])
                    ax.draw_artist(line)
            return self._png()

    def _limits(self, frame: Frame) -> tuple:
        days = frame.time / frame.hours_per_day
        span = next((s for s in _SPANS if s >= days * 1.02), _SPANS[-1])
        limits = []
        for key, _, _ in PANELS:
            if key in FIXED_LIMITS:
                limits.append(FIXED_LIMITS[key])
                continue
            highest = max(
                (
                    float(np.nanmax(s.series[key]))
                    for s in (frame.left, frame.right)
                    if np.isfinite(s.series[key]).any()
                ),
                default=0.0,
            )
            top = max(self._ymax.get(key, 0.0), nice_ceiling(highest * 1.1))
            self._ymax[key] = top
            limits.append((0.0, top))
        return (frame.left.label, frame.right.label), span, tuple(limits)

    def _redraw_background(self, state: tuple) -> None:
        labels, span, limits = state
        for ax, (low, high) in zip(self.axes, limits, strict=True):
            ax.set_xlim(0, span)
            ax.set_ylim(low, high)
        if self._legend is None or self._state is None or self._state[0] != labels:
            if self._legend is not None:
                self._legend.remove()
            handles = [
                Line2D([], [], color=c, linestyle=s, linewidth=2.6)
                for c, s in zip(SIDES, SIDE_STYLES, strict=True)
            ]
            self._legend = self.figure.legend(
                handles,
                labels,
                loc="upper center",
                ncols=2,
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
