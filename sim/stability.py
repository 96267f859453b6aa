"""When a run is clearly unstable, and stops early (`backlog_limit`, `check_backlog`).

An organisation that cannot keep up, with customers who never give up, builds a backlog that
grows without bound. Simulating it gets slower day by day (every open request is a customer
to follow, every queue longer to choose from) and tells nothing new: its numbers describe no
steady state. So a run stops at the end of the first day on which the requests still open
exceed `run.backlog_limit_days` days of the organisation's capacity: the requests per day it
could resolve at the pace of its busiest unit, ``requests_per_day / max(1, utilisation)``
with the offered utilisation of `sim.structure.offered_utilisation` (rework and coordination
included), and never fewer than `MIN_BACKLOG` requests. It is checked from the end of the first
measured day (after the warm-up), so an early-stopped run always has measurements.

A stable organisation's backlog is about its arrivals times the mean resolution time (Little's
law): a few days' worth at most, far below 20 days of capacity even at 95% utilisation. An
organisation at 10 times its capacity crosses the bound about two days after its warm-up; at
1.5 times, after about 40 days.

A run that stops is marked unstable with the day and the numbers, its books still balance
(the open requests are counted as open), and arrivals, measurements and costs cover the days
it ran.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.structure import Organisation, offered_utilisation

if TYPE_CHECKING:
    from sim.model import OrgModel
    from sim.scenario import Scenario

MIN_BACKLOG = 200
"""The bound is never below this many open requests (small organisations: no stop on noise)."""


def backlog_limit(s: Scenario, org: Organisation) -> float:
    """Open requests beyond which a run of `s` on `org` is clearly unstable (inf: never)."""
    days = s.run.backlog_limit_days
    if days <= 0:
        return float("inf")
    busiest = max(offered_utilisation(s, org).values(), default=0.0)
    capacity = s.demand.requests_per_day / max(1.0, busiest)
    return max(float(MIN_BACKLOG), days * capacity)


class BacklogWatch:
    """Asked at the end of every day of arrivals (`OrgModel.simulate`): the reason to stop
    now, or None. Recomputes the bound when the organisation changes (a reorganisation, a
    lever moved)."""

    def __init__(self) -> None:
        self._for: tuple[int, int] | None = None
        self._limit = float("inf")

    def __call__(self, model: OrgModel) -> str | None:
        if model.time < model.window[0] + model.hours_per_day:
            return None  # not before the first measured day has ended
        key = (id(model.config), id(model.org))
        if key != self._for:
            self._for, self._limit = key, backlog_limit(model.config, model.org)
        backlog = len(model.open)
        if backlog <= self._limit:
            return None
        days = model.config.run.backlog_limit_days
        return (
            f"{backlog:,} requests were open, more than {days:g} days of the organisation's "
            f"capacity ({self._limit:,.0f} requests; run.backlog_limit_days): queues grow "
            "without bound"
        )
