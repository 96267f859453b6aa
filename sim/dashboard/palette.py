"""Colours of the dashboard, from the Okabe–Ito palette (distinguishable with the common
colour-vision deficiencies), each paired with a second cue (line style, outline, label) so that
nothing is told by colour alone, and dark enough to survive a washed-out projector."""

from __future__ import annotations

from typing import Literal

BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"

SIDES = (BLUE, VERMILLION, BLACK)
"""The organisations on the charts, left to right (solid, dashed, dotted)."""
SIDE_STYLES: tuple[Literal["-", "--", ":"], ...] = ("-", "--", ":")
SIDE_DASHES = ("none", "9 5", "2 4")
"""`SIDE_STYLES` as SVG stroke-dasharray values (the page's swatches)."""
HANDOFF = REDDISH_PURPLE
QUEUE = SKY_BLUE

ACTIVITIES: dict[str, tuple[str, str, str]] = {
    "idle": ("#FFFFFF", "circle", "idle"),
    "working": (BLACK, "circle", "working"),
    "helping": (BLUISH_GREEN, "diamond", "helping another unit"),
    "encounter": (ORANGE, "square", "in a cross-unit encounter"),
    "training": (YELLOW, "triangle", "training"),
    "coordination": ("#999999", "square", "coordinating in the unit"),
}
"""Employee activity -> (fill, shape, legend text). The shape repeats what the colour says
(green and orange look alike to many colour-blind viewers); every mark has a dark outline, so
white (idle) and yellow (training) stay visible on the light unit boxes."""
