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
    return Scoring(settings).score(
        resolution_hours=resolution_hours,
        expected_hours=expected_hours,
        handoffs=handoffs,
        repeat_contacts=repeat_contacts,
        warmth=warmth,
        noise=noise,
        abandoned=abandoned,
    )


class Scoring:
    """`satisfaction_score` with its settings taken once: a run scores every closed request
    with the same settings (`OrgModel.settings`), and each field of a pydantic model read is a
    generic attribute lookup (`BaseModel` defines `__getattr__`), where a field of a compiled
    class is one load."""

    __slots__ = (
        "abandoned_score",
        "effort_per_handoff",
        "effort_per_repeat_contact",
        "expectation_met_score",
        "gain_cap",
        "gain_per_expectation",
        "loss_cap",
        "loss_per_expectation",
        "noise_sd",
        "visible_handoff_share",
        "warmth_weight",
    )

    def __init__(self, settings: SatisfactionSettings) -> None:
        self.abandoned_score = settings.abandoned_score
        self.expectation_met_score = settings.expectation_met_score
        self.gain_per_expectation = settings.gain_per_expectation
        self.gain_cap = settings.gain_cap
        self.loss_per_expectation = settings.loss_per_expectation
        self.loss_cap = settings.loss_cap
        self.effort_per_handoff = settings.effort_per_handoff
        self.visible_handoff_share = settings.visible_handoff_share
        self.effort_per_repeat_contact = settings.effort_per_repeat_contact
        self.warmth_weight = settings.warmth_weight
        self.noise_sd = settings.noise_sd

    def score(
        self,
        *,
        resolution_hours: float,
        expected_hours: float,
        handoffs: int,
        repeat_contacts: int,
        warmth: float,
        noise: float,
        abandoned: bool,
    ) -> float:
        """`satisfaction_score` with these settings."""
        if abandoned:
            return self.abandoned_score
        surprise = (expected_hours - resolution_hours) / expected_hours
        # Comparisons instead of builtin min/max: this runs once per request (same values).
        gain = surprise if surprise > 0.0 else 0.0
        loss = -surprise if surprise < 0.0 else 0.0
        value = (
            self.expectation_met_score
            + self.gain_per_expectation * (gain if gain < self.gain_cap else self.gain_cap)
            - self.loss_per_expectation * (loss if loss < self.loss_cap else self.loss_cap)
            - self.effort_per_handoff * self.visible_handoff_share * handoffs
            - self.effort_per_repeat_contact * repeat_contacts
            + self.warmth_weight * warmth
            + self.noise_sd * noise
        )
        if value > 5.0:
            return 5.0
        return value if value > 1.0 else 1.0  # NaN gives 1.0, as max(1.0, nan) did


def rating(scores: np.ndarray, cutoffs: Sequence[float]) -> np.ndarray:
    """The survey answers customers with these scores give: whole numbers 1-5, one more than
    the number of `cutoffs` (`SatisfactionSettings.rating_cutoffs`, increasing) each score
    reaches. Whole columns at once: a run's table has one score per request."""
    return 1 + np.searchsorted(cutoffs, scores, side="right")
