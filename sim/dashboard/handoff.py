"""What one page hands to the next in the same browser tab.

A `solara.reactive` made at module level keeps one value per browser session (Solara stores
it in the session's kernel), unlike a plain module-level object, which every visitor would
share. The calibration page puts the calibrated "as is" and its "to be" here and opens the
comparison, which takes them as its scenarios (once) instead of its defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

import solara

from sim.scenario import Scenario


@dataclass(frozen=True)
class Handed:
    scenarios: tuple[Scenario, ...]
    origins: tuple[str, ...]
    """Where each came from, as the comparison's cards say it."""


to_compare: solara.Reactive[Handed | None] = solara.reactive(None)
"""Scenarios for the comparison page to start from (taken and cleared when it opens)."""
