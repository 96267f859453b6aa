"""Every figure of a comparison fits its own canvas, with long scenario names too.

The PNGs are saved as the figure was made (`sim.report.style.png`, no ``bbox_inches="tight"``
crop): a title, legend or tick label that runs past the figure's edge would be cut off in the
report and on the page. So each figure is drawn as it is saved and the extent of all its artists
(titles, legends, tick labels, texts) must lie inside the figure, for scenario names of about 60
characters, one of them of the widest letters, and four scenarios (a legend of three).
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import replace
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim import load_scenario
from sim.calibration.fidelity import Sample
from sim.calibration.report import figure_routes
from sim.replications import Comparison, compare
from sim.report.figures import FIGURES
from sim.report.jcurve import figure_j_curve
from sim.report.style import DPI, STYLE, png, wrap_inches
from sim.scenario import Scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SHORT = {"run.days": 8, "run.warmup_days": 2, "run.drain_limit_days": 20}
LONG_NAMES = [
    "As is: functional departments with eight-hour handoffs, 2026",
    "To be: cross-functional teams that swarm on one shared queue",
    "WWWW MMMM WWWW MMMM WWWW MMMM WWWW MMMM WWWW MMMM WWWW MMM W",
    "Functional departments with half-hour handoffs, more people.",
]


def test_the_names_are_long():
    assert [len(name) for name in LONG_NAMES] == [60, 60, 60, 60]


def _functional(**changes: float) -> Scenario:
    return load_scenario(SCENARIOS / "functional.toml").with_overrides(**SHORT, **changes)


@pytest.fixture(scope="module")
def four() -> Comparison:
    """Four scenarios with long names, 2 replications of 8 days (about 1 s)."""
    scenarios = [
        _functional(**{"policies.handoff_delay_hours": 8}),
        load_scenario(SCENARIOS / "cross-functional.toml").with_overrides(**SHORT),
        _functional(),
        _functional(**{"policies.handoff_delay_hours": 0.5}),
    ]
    return compare(scenarios, reps=2, root_seed=11, names=LONG_NAMES)


def _saved(fig: Figure) -> tuple[bytes, float]:
    """The figure's PNG, and how far its artists reach past its edges (inches; <= 0: inside),
    measured on the drawing that made the PNG."""
    canvas = FigureCanvasAgg(fig)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "constrained_layout not applied"
        image = png(fig)
    extent = fig.get_tightbbox(canvas.get_renderer())
    width, height = fig.get_size_inches()
    return image, max(-extent.x0, -extent.y0, extent.x1 - width, extent.y1 - height)


def _size(image: bytes) -> tuple[int, int]:
    """A PNG's width and height in pixels (its IHDR chunk)."""
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", image[16:24])


def _check(fig: Figure) -> None:
    image, outside = _saved(fig)
    assert outside <= 0, f"{fig.get_suptitle()!r}: {outside:.2f} inches past the figure"
    width, height = fig.get_size_inches()
    assert _size(image) == (round(width * DPI), round(height * DPI))  # the canvas, uncropped


@pytest.mark.parametrize("figure", [f for f in FIGURES if f.key != "worlds"], ids=lambda f: f.key)
def test_every_figure_fits_its_canvas_with_long_names(four: Comparison, figure):
    with matplotlib.rc_context(STYLE):
        fig = figure.draw(four)
        assert fig is not None
        _check(fig)


def test_the_cost_figure_of_two_scenarios_fits_its_canvas(four: Comparison):
    # The narrowest cost figure (5.5 inches): its title was 3.9 inches wider than that.
    two = replace(
        four, names=four.names[:2], scenarios=four.scenarios[:2], replications=four.replications[:2]
    )
    with matplotlib.rc_context(STYLE):
        _check(FIGURES[[f.key for f in FIGURES].index("cost")].draw(two))


@pytest.mark.slow
def test_the_j_curve_fits_its_canvas_with_a_long_name():
    teams = load_scenario(SCENARIOS / "lessons" / "reorganisation.toml").with_overrides(
        **{"run.days": 16, "run.warmup_days": 3, "events.0.day": 8, "run.drain_limit_days": 20}
    )
    stay = teams.model_copy(update={"events": []})
    c = compare([stay, teams], reps=2, root_seed=4, names=LONG_NAMES[1:3])
    (curve,) = c.j_curves().values()
    with matplotlib.rc_context(STYLE):
        _check(figure_j_curve(curve))


@pytest.mark.slow
def test_the_verdict_map_fits_its_canvas_with_long_names(four: Comparison):
    worlds = replace(four)  # the fixture's comparison stays without worlds
    worlds.run_worlds(3)
    with matplotlib.rc_context(STYLE):
        fig = FIGURES[[f.key for f in FIGURES].index("worlds")].draw(worlds)
        assert fig is not None
        _check(fig)


def _routes(weights: list[int], routes: list[tuple[str, ...]]) -> Sample:
    """A side of a calibration's comparison whose ended cases took `routes`, `weights` times."""
    taken = [route for route, w in zip(routes, weights, strict=True) for _ in range(w)]
    never = np.array([], dtype="datetime64[s]")
    return Sample(len(taken), never, np.ones(len(taken)), taken, never, 1.0, 0.5)


def test_the_calibration_routes_fit_their_canvas_with_long_team_names():
    # Routes of one to five teams with 60-character names: more than the twelve shown, the
    # longest drawn as "first -> second -> ... -> last".
    teams = LONG_NAMES
    routes = [tuple(teams[(i + k) % 4] for k in range(n)) for i in range(4) for n in (1, 2, 3, 5)]
    samples = {
        "log": _routes(list(range(16, 0, -1)), routes),
        "model": _routes([2] * 16, routes),
        "baseline": _routes(list(range(1, 17)), routes),
    }
    with matplotlib.rc_context(STYLE):
        _check(figure_routes(samples))


def test_text_is_wrapped_by_its_drawn_width():
    # The same number of letters, the widest and the narrowest: wrapped by width, not count.
    wide = wrap_inches("WWWW " * 12, 3.0, 10)
    narrow = wrap_inches("iiii " * 12, 3.0, 10)
    assert wide.count("\n") > narrow.count("\n") >= 0
    assert wrap_inches("a-single-word-wider-than-the-line", 0.5, 10) == (
        "a-single-word-wider-than-the-line"
    )
