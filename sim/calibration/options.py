"""How an "as is" is fitted: the options `sim calibrate` and the dashboard's calibrate page share.

One meaning, range and validation for both: the command line names an option by its flag
(``--holdout``), the page by its control ("Hold-out share"), and each puts that name in front
of the same message (`holdout_problem`, `fit_window_problem`, `FitOptions.problems`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.calibration.discovery import FitWindow

HOLDOUT = 0.2
"""Share of the latest cases held out to test the fidelity, by default."""
MAX_HOLDOUT = 0.9
HOLDOUT_RANGE = f"0 to {MAX_HOLDOUT:g}"
FIT_WINDOWS = "auto, all, or a whole number of days >= 1"
FLAGS = {"holdout": "--holdout", "fit_window": "--fit-window"}
"""The command line's names for the options with a range (`FitOptions.problems`)."""


def holdout_choice(value: float | str) -> float | None:
    """A hold-out share (a number from 0 to `MAX_HOLDOUT`; 0: fit on every case, no test),
    or None when `value` is not one."""
    try:
        share = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return None
    return share if 0.0 <= share <= MAX_HOLDOUT else None  # NaN too


def holdout_problem(value: float | str) -> str | None:
    """Why `value` is not a hold-out share (None when it is one)."""
    if holdout_choice(value) is not None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return f"{value!r} is not a number (allowed: {HOLDOUT_RANGE})"
    return f"{value:g} is out of range (allowed: {HOLDOUT_RANGE})"


def fit_window_choice(text: str) -> FitWindow | None:
    """A fit window (`sim.calibration.discovery.FitWindow`) from its text: auto, all or a
    whole number of days >= 1; None when `text` is not one."""
    text = text.strip()
    if text in ("auto", "all"):
        return text
    return int(text) if text.isdecimal() and int(text) >= 1 else None


def fit_window_problem(text: str) -> str | None:
    """Why `text` is not a fit window (None when it is one)."""
    if fit_window_choice(text) is not None:
        return None
    return f"{text!r} is not a window (allowed: {FIT_WINDOWS})"


@dataclass(frozen=True)
class FitOptions:
    """How the "as is" is fitted; the defaults are `sim calibrate`'s."""

    holdout: float = HOLDOUT
    """Share of the latest cases held out to test the fidelity (0: fit on every case)."""
    start_delays: bool = True
    """Fit each team's delay before it takes up a new case."""
    person_shifts: bool = False
    """Give each person their own hours (experimental)."""
    fit_window: FitWindow = "auto"
    """Which stretch before the test window to fit on."""

    def problems(self, names: Mapping[str, str] = FLAGS) -> list[str]:
        """One line per option out of its range, each starting with the option's name in
        `names` (the command line's flags by default, the page's controls on the page)."""
        found = []
        holdout = holdout_problem(self.holdout)
        if holdout is not None:
            found.append(f"{names['holdout']}: {holdout}")
        window = self.fit_window
        if fit_window_choice(str(window)) != window or isinstance(window, bool):
            # Its parsed value only: "60" as text would not be 60 days to `discover`.
            found.append(
                f"{names['fit_window']}: {window!r} is not a window (allowed: {FIT_WINDOWS})"
            )
        return found

    @property
    def tested(self) -> bool:
        """Whether the fidelity is tested on held-out cases (a hold-out above 0)."""
        return self.holdout > 0 and not math.isnan(self.holdout)

    def flags(self) -> str:
        """The same options as `sim calibrate`'s flags (each one, defaults too)."""
        return " ".join(
            [
                f"--holdout {self.holdout:g}",
                "--start-delays" if self.start_delays else "--no-start-delays",
                *(["--person-shifts"] if self.person_shifts else []),
                f"--fit-window {self.fit_window}",
            ]
        )

    def summary(self) -> str:
        """The options in words, one line."""
        held = (
            f"hold-out {self.holdout:g} (tested on the latest {self.holdout:.0%} of the cases)"
            if self.tested
            else "hold-out 0 (fitted on every case, no fidelity check)"
        )
        if isinstance(self.fit_window, int):
            window = f"fit window the last {self.fit_window} days"
        else:
            window = f"fit window {self.fit_window}"
        return (
            f"{held}, start delays {'on' if self.start_delays else 'off'}, "
            f"person shifts {'on (experimental)' if self.person_shifts else 'off'}, {window}"
        )


DEFAULTS = FitOptions()
"""`sim calibrate`'s options when none is given."""
