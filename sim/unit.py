"""A unit: a group of employees with a shared queue (department, team or pool).

The unit also keeps its own Little's-law books: the time integral of how many requests are in
it (queued or being worked on), and, separately, the sum of the sojourns of the visits that
left it. The two are computed from different events, so they only agree when no request is
lost or counted twice.
"""

from __future__ import annotations

from bisect import insort
from typing import TYPE_CHECKING

from sim.structure import UnitSpec

if TYPE_CHECKING:
    from sim.agents import Employee, Manager
    from sim.request import Request
    from sim.scenario import Scenario


class Unit:
    def __init__(
        self, index: int, uid: int, spec: UnitSpec, coordination_share: float, config: Scenario
    ):
        self.index = index
        """Position among the current units."""
        self.uid = uid
        """Position among every unit of the run, across reorganisations."""
        self.name = spec.name
        self.serves = spec.serves
        self.coordination_share = coordination_share
        shared = len(spec.members) >= 2
        loafing = 1.0 + config.policies.social_loafing if shared else 1.0
        self.work_factor = loafing / (1.0 - coordination_share)
        """Work-time multiplier of the unit: coordination overhead and social loafing."""
        self.manager: Manager | None = None
        self.members: list[Employee] = []
        self.idle: list[Employee] = []
        """Idle members, longest idle first."""
        self.queue: list[tuple[float, int, Request]] = []
        """Waiting requests ordered by customer arrival time (oldest customer first)."""
        self.present = 0
        self.area = 0.0
        self.visits = 0
        self.departures = 0
        self.sojourn_sum = 0.0
        self._last_change = 0.0

    # Little's-law books ----------------------------------------------------------------------

    def _integrate(self, now: float) -> None:
        self.area += self.present * (now - self._last_change)
        self._last_change = now

    def enter(self, now: float) -> None:
        self._integrate(now)
        self.present += 1
        self.visits += 1

    def leave(self, now: float, since: float) -> None:
        self._integrate(now)
        self.present -= 1
        self.departures += 1
        self.sojourn_sum += now - since

    def close_books(self, now: float) -> None:
        """Bring the integral up to `now` (end of run)."""
        self._integrate(now)

    # Dispatch ---------------------------------------------------------------------------------

    def best_idle(self, skill: str | None, prefer: Employee | None = None) -> Employee | None:
        """The idle member with the highest proficiency for `skill` (None: anyone).

        Ties go to `prefer` (the customer keeps their contact person), then to whoever has been
        idle longest.
        """
        best, best_level = None, 0.0
        for employee in self.idle:
            level = 1.0 if skill is None else employee.proficiency.get(skill, 0.0)
            if level > best_level or (level == best_level and employee is prefer and level > 0):
                best, best_level = employee, level
        return best

    def enqueue(self, request: Request, seq: int) -> None:
        insort(self.queue, (request.arrived, seq, request))

    def take(
        self, employee: Employee, shortest_first: bool, helping: bool = False
    ) -> Request | None:
        """Remove and return the next queued request `employee` can work on.

        By default the oldest customer first; with `shortest_first`, the shortest task
        (cherry-picking under local metrics). Misrouted requests waiting for triage are the
        unit's own business: a helper from elsewhere never takes them.
        """
        can = employee.proficiency
        chosen = None
        if shortest_first:
            best_hours = float("inf")
            for i, (_, _, request) in enumerate(self.queue):
                skill = request.skill
                eligible = skill in can if skill is not None else not helping
                if eligible and request.task_hours < best_hours:
                    chosen, best_hours = i, request.task_hours
        else:
            for i, (_, _, request) in enumerate(self.queue):
                skill = request.skill
                if skill in can if skill is not None else not helping:
                    chosen = i
                    break
        if chosen is None:
            return None
        return self.queue.pop(chosen)[2]

    def remove(self, request: Request) -> None:
        for i, entry in enumerate(self.queue):
            if entry[2] is request:
                del self.queue[i]
                return
        raise RuntimeError(f"request {request.id} is not in the queue of {self.name}")

    def has_work_for(self, employee: Employee) -> bool:
        can = employee.proficiency
        return any(r.skill is not None and r.skill in can for _, _, r in self.queue)
