"""The customer's view of a request: one satisfaction score on a 1-5 scale.

Expectation-disconfirmation (Oliver 1980) with shortfalls weighing about twice as much as
pleasant surprises (Anderson & Sullivan 1993; Mittal et al. 1998), minus the effort the customer
spent on transfers and repeat contacts (Dixon et al. 2010), plus warmth (customer orientation x
engagement) that counts only where the work was done well (Grandey et al. 2005). Abandoned
requests score lowest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.scenario import SatisfactionSettings


def satisfaction_score(
    *,
    resolution_hours: float,
    expected_hours: float,
    handoffs: int,
    repeat_contacts: int,
    warmth: float,
    noise: float,
    abandoned: bool,
    settings: SatisfactionSettings,
) -> float:
    """Score in [1, 5]. `noise` is the customer's own standard-normal deviation; `warmth` is
    what the customer felt of it (the caller decides how much of it a repeat contact leaves).
    Only the customer-visible share of the handoffs costs effort (a back-office handoff the
    customer never notices costs them nothing)."""
    if abandoned:
        return settings.abandoned_score
    surprise = (expected_hours - resolution_hours) / expected_hours
    # Comparisons instead of builtin min/max: this runs once per request (same values).
    gain = surprise if surprise > 0.0 else 0.0
    loss = -surprise if surprise < 0.0 else 0.0
    value = (
        settings.expectation_met_score
        + settings.gain_per_expectation * (gain if gain < settings.gain_cap else settings.gain_cap)
        - settings.loss_per_expectation * (loss if loss < settings.loss_cap else settings.loss_cap)
        - settings.effort_per_handoff * settings.visible_handoff_share * handoffs
        - settings.effort_per_repeat_contact * repeat_contacts
        + settings.warmth_weight * warmth
        + settings.noise_sd * noise
    )
    if value > 5.0:
        return 5.0
    return value if value > 1.0 else 1.0  # NaN gives 1.0, as max(1.0, nan) did


def rating(scores: np.ndarray, cutoffs: Sequence[float]) -> np.ndarray:
    """The survey answers customers with these scores give: whole numbers 1-5, one more than
    the number of `cutoffs` (`SatisfactionSettings.rating_cutoffs`, increasing) each score
    reaches. Whole columns at once: a run's table has one score per request."""
    return 1 + np.searchsorted(cutoffs, scores, side="right")
