"""A unit: a group of employees with a shared queue (department, team or pool).

The unit also keeps its own Little's-law books: the time integral of how many requests are in
it (queued or being worked on), and, separately, the sum of the sojourns of the visits that
left it. The two are computed from different events, so they only agree when no request is
lost or counted twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.dispatch import HelpIndex, Roster, WorkQueue
from sim.structure import UnitSpec, coordination_share, metric_weight

if TYPE_CHECKING:
    from sim.agents import Employee, Manager
    from sim.request import Request
    from sim.scenario import Scenario


class Unit:
    def __init__(
        self,
        index: int,
        uid: int,
        spec: UnitSpec,
        config: Scenario,
        help_index: HelpIndex,
        manager_for: Callable[[Unit], Manager],
    ):
        self.index = index
        """Position among the current units."""
        self.uid = uid
        """Position among every unit of the run, across reorganisations."""
        self.spec = spec
        """What the structure made of it: name, members, skills served (a reorganisation keeps a
        unit whose `spec.key` it finds again)."""
        self.name = spec.name
        self.serves = spec.serves
        self.apply(config)
        self.members: list[Employee] = []
        self.help_index = help_index
        self.roster = Roster(self, help_index)
        """Idle members, by skill."""
        self.idle = self.roster.idle
        """Idle members, longest idle first."""
        self.queue = WorkQueue()
        """Waiting requests, by skill and task length, oldest customer first."""
        self.present = 0
        self.area = 0.0
        self.visits = 0
        self.departures = 0
        self.sojourn_sum = 0.0
        self._last_change = 0.0
        self.manager = manager_for(self)
        """The unit's manager, made with it (it plans the unit's coordination and encounters);
        a unit a reorganisation keeps keeps its manager."""

    def apply(self, config: Scenario) -> None:
        """Take the policies in force: coordination time, social loafing, and how the unit's
        goals weigh the customer (behaviour under local metrics scales with 1 - w)."""
        p = config.policies
        self.coordination_share = coordination_share(config, self.spec)
        """Share of each member's time spent coordinating, off the queue (the manager holds it)."""
        shared = len(self.spec.members) >= 2
        self.work_factor = 1.0 + p.social_loafing if shared else 1.0
        """Work-time multiplier of the unit: social loafing in a shared queue."""
        self.metric_weight = metric_weight(config, self.spec)
        """w of this unit: how much its goals include the customer."""
        local = 1.0 - self.metric_weight
        self.cherry_picking = local * p.cherry_picking
        self.premature_closure = local * p.premature_closure
        self.transfer_out = local * p.transfer_out
        self.help_probability = p.help_across_units * (1.0 - local * p.help_decline)
        """Chance that a member of this unit agrees to help another (before ties)."""
        self.reserve = {k: n for k, n in p.reserve.items() if k in self.serves}
        """Rare skills this unit keeps idle people for (`policies.reserve`): skill -> how many."""

    # Little's-law books ----------------------------------------------------------------------

    def _integrate(self, now: float) -> None:
        self.area += self.present * (now - self._last_change)
        self._last_change = now

    def enter(self, now: float) -> None:
        self.area += self.present * (now - self._last_change)
        self._last_change = now
        self.present += 1
        self.visits += 1

    def leave(self, request: Request, now: float) -> None:
        """`request`'s visit, which began at its `visit_start`, ends now."""
        self.area += self.present * (now - self._last_change)
        self._last_change = now
        self.present -= 1
        self.departures += 1
        self.sojourn_sum += now - request.visit_start
        request.in_unit = False

    def close_books(self, now: float) -> None:
        """Bring the integral up to `now` (end of run)."""
        self._integrate(now)

    # Dispatch ---------------------------------------------------------------------------------

    def best_idle(self, skill: str | None, prefer: Employee | None = None) -> Employee | None:
        """The idle member with the highest proficiency for `skill` (None: anyone).

        Ties go to `prefer` (the customer keeps their contact person), then to whoever has been
        idle longest.
        """
        return self.roster.best(skill, prefer)

    def kept_for(self, employee: Employee, skill: str | None) -> tuple[str, ...]:
        """The reserved skills an idle `employee` is kept for, rather than work of `skill`
        (None: any other work): those they can do of which the unit has no more idle people
        able than its reserve. Empty: free to take it."""
        roster = self.roster
        return tuple(
            kept
            for kept, n in self.reserve.items()
            if kept != skill and kept in employee.proficiency and roster.able(kept) <= n
        )

    def best_unreserved(self, skill: str) -> Employee | None:
        """The most proficient idle member able to do `skill` who is not kept for a rare skill
        (ties: longest idle); asked when the best idle member is kept."""
        best: Employee | None = None
        for member in self.roster.idle:
            level = member.proficiency.get(skill, 0.0)
            better = level and (best is None or level > best.proficiency[skill])
            if better and not self.kept_for(member, skill):
                best = member
        return best

    def enqueue(self, request: Request, seq: int) -> None:
        self.queue.add(request, seq)
        if self.help_index.active:
            self.help_index.work_added(self)

    def take(
        self, employee: Employee, shortest_first: bool, triage_hours: float, helping: bool = False
    ) -> Request | None:
        """Remove and return the next queued request `employee` can work on.

        The skills the employee looks at first come from the dispatch rule
        (`Employee.work_tiers`); within them, the oldest customer first, or with
        `shortest_first` the shortest task (cherry-picking under local metrics). Misrouted
        requests waiting for triage (`triage_hours` each) are the unit's own business: a helper
        from elsewhere never takes them.
        """
        tiers = employee.work_tiers()
        return self.queue.take(tiers, not helping, shortest_first, triage_hours)

    def remove(self, request: Request) -> None:
        self.queue.remove(request)
