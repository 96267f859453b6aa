"""How the report looks: colours, the matplotlib style, the page's CSS, and small helpers.

Colours are the Okabe–Ito palette (distinguishable with the common colour-vision
deficiencies). The dashboard draws its figures with the same `STYLE`.
"""

from __future__ import annotations

import base64
import html
import io
from functools import cache
from typing import Any

from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.typing import RcKeyType

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

STYLE: dict[RcKeyType, Any] = {
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
"""Matplotlib rc settings of every figure the report and the dashboard draw (use it with
``matplotlib.rc_context(STYLE)``): readable sizes, no top/right spines, a light grid."""


def colour(i: int) -> str:
    """The i-th scenario's colour."""
    return OKABE_ITO[i % len(OKABE_ITO)]


@cache
def _measure() -> RendererAgg:
    return RendererAgg(1, 1, DPI)


@cache
def _points(word: str, fontsize: float) -> float:
    """How wide `word` is drawn in STYLE's font at `fontsize` into our PNGs, in points: measured
    by the renderer that draws them, at their resolution (hinted glyphs are wider than their
    outlines, ~3% at 12 points). Words recur across figures, so each is measured once."""
    font = FontProperties(family=STYLE["font.family"], size=fontsize)
    return _measure().get_text_width_height_descent(word, font, ismath=False)[0] * 72 / DPI


def text_inches(text: str, fontsize: float) -> float:
    """The width of `text`'s widest line in STYLE's font at `fontsize`, in inches (measured,
    not guessed from its length: "WWW" is twice as wide as "iii" is long)."""
    space = _points(" ", fontsize)
    return (
        max(
            sum(_points(word, fontsize) for word in words) + space * (len(words) - 1)
            for words in (line.split(" ") for line in text.split("\n"))
        )
        / 72
    )


def wrap_inches(text: str, width_inches: float, fontsize: float) -> str:
    """Text broken between words into lines at most `width_inches` wide in STYLE's font at
    `fontsize`: titles that fit their figure whatever the scenario names (a word wider than
    that gets a line of its own)."""
    space = _points(" ", fontsize)
    lines: list[list[str]] = []
    width = 0.0
    for word in text.split():
        points = _points(word, fontsize)
        if lines and (width + space + points) / 72 <= width_inches:
            lines[-1].append(word)
            width += space + points
        else:
            lines.append([word])
            width = points
    return "\n".join(" ".join(line) for line in lines) or text


HANDLE_INCHES = 0.8
"""A legend entry's marker, its gap to the label and the gap to the next column, in inches
(matplotlib's defaults at 10 points: handle 2 em, text pad 0.8 em, column spacing 2 em)."""


def legend_columns(labels: list[str], width_inches: float, most: int = 3) -> int:
    """How many columns (at most `most`) of a legend with these labels fit in `width_inches`
    at STYLE's legend font size, so a legend of long scenario names stays inside its figure."""
    widest = max((text_inches(label, STYLE["legend.fontsize"]) for label in labels), default=0)
    return max(1, min(most, len(labels), int(width_inches // (widest + HANDLE_INCHES))))


DPI = 100
"""Resolution of every figure's PNG, in the reports and on the dashboard's pages alike (one
drawing serves both): the figures are 8.5-11 inches wide, so 850-1100 pixels, with 11-point
text at about 15 pixels."""


def png(fig: Figure) -> bytes:
    """A figure as PNG, its whole canvas (no timestamp: the same figure, the same bytes).

    Not cropped to its artists (``bbox_inches="tight"``, an extra layout pass: ~12% of a save):
    every figure here keeps its titles, labels and legends inside its canvas, wrapped to its
    width (`wrap_inches`, `legend_columns`) and placed by constrained layout, so the image is
    the size the figure was made, without blank margins."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def base64_text(image: bytes) -> str:
    """A PNG as base64 text, to embed in HTML (``data:image/png;base64,...``)."""
    return base64.b64encode(image).decode("ascii")


def new_figure(width: float, height: float, **kwargs) -> Figure:
    """A figure of that size (inches) with constrained layout, outside pyplot's global state."""
    return Figure(figsize=(width, height), layout="constrained", **kwargs)


CSS = """
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
"""The HTML page style of the report (and of the calibration report): system fonts, tables with
tabular numbers, blue for better and orange for worse."""


def escape(text: object) -> str:
    """Any value as HTML text."""
    return html.escape(str(text))
