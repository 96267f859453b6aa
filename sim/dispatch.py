"""Who takes what next: the indices behind dispatch.

Dispatch asks the same questions many times per request: which idle member of a unit is best
for a skill, which waiting request a freed employee takes, and, when help is on, which other
unit has an idle person with the skill or waiting work the employee can do. Scanning people,
queues or units would answer them in a time that grows with the organisation; these indices
answer them in O(log n), so a request costs about the same in a department of 10 as in an
organisation of 4,000.

- `WorkQueue`: a unit's waiting requests by skill and task length: one heap per (skill, mean
  hours), ordered by customer arrival. A dispatch rule that ranks waiting work by the freed
  employee's skill tiers (`policies.dispatch`: primary skill first, most proficient first, or
  all alike), then by length and age (oldest customer first, shortest task first) reads one head
  per class, tier by tier.
- `Roster`: a unit's idle members by skill: those at full proficiency in the order they became
  idle, the others by proficiency; anyone (a triage) is the longest idle, first in `idle`.
- `HelpIndex`: across the units, per skill: the units with an idle member at full proficiency,
  the idle people who have the skill at a lower level, and the units with waiting work for it,
  by queue length. Kept only while help is on (`HelpIndex.active`): with nobody willing to
  help (validation mode) every task's start and end would pay for an index nobody reads.

Entries are dropped lazily: each remembers the token it was made for (a request's place in the
queue, an employee's idle spell, a proficiency level) and is discarded when it no longer
matches. A structure whose stale entries outnumber its live ones is rebuilt, so memory stays
proportional to what is waiting or idle.
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from heapq import heapify, heappop, heappush
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from sim.agents import Employee
    from sim.request import Request
    from sim.unit import Unit

SLACK = 32
"""Stale entries tolerated in a structure beyond as many as it has live ones."""


class _Class:
    """The waiting requests of one skill and one task length, oldest customer first."""

    __slots__ = ("heap", "hours", "live", "skill")

    def __init__(self, skill: str | None, hours: float) -> None:
        self.skill = skill
        self.hours = hours
        self.heap: list[tuple[float, int, Request]] = []
        self.live = 0

    def __lt__(self, other: _Class) -> bool:
        return self.hours < other.hours

    def head(self) -> tuple[float, int, Request] | None:
        heap = self.heap
        while heap:
            top = heap[0]
            if top[2].queue_seq == top[1]:
                return top
            heappop(heap)
        return None


class WorkQueue:
    """A unit's waiting requests, indexed by skill (None: misrouted, waiting for triage) and
    by the task's mean hours."""

    __slots__ = ("_classes", "_of_skill", "counts", "length")

    def __init__(self) -> None:
        self.length = 0
        self.counts: dict[str | None, int] = {}
        """Waiting requests per skill (None: triage)."""
        self._classes: dict[tuple[str | None, float], _Class] = {}
        self._of_skill: dict[str | None, list[_Class]] = {}
        """Each skill's classes, shortest task first."""

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[Request]:
        """The waiting requests, oldest customer first (entries are `(arrived, seq, request)`)."""
        entries = [e for c in self._classes.values() for e in c.heap if e[2].queue_seq == e[1]]
        return (request for _, _, request in sorted(entries, key=lambda e: e[:2]))

    @staticmethod
    def _key(request: Request) -> tuple[str | None, float]:
        if request.triage:
            return None, 0.0  # every triage takes the same time: one class
        task = request.steps[request.step]
        return task.skill, task.hours

    def add(self, request: Request, seq: int) -> None:
        key = self._key(request)
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = _Class(*key)
            insort(self._of_skill.setdefault(key[0], []), cls)
            self.counts.setdefault(key[0], 0)
        heappush(cls.heap, (request.arrived, seq, request))
        cls.live += 1
        request.queue_seq = seq
        self.length += 1
        self.counts[key[0]] += 1

    def remove(self, request: Request) -> None:
        """A waiting request leaves the queue (the customer gives up)."""
        if request.queue_seq < 0:
            raise RuntimeError(f"request {request.id} is not waiting in this queue")
        key = self._key(request)
        cls = self._classes[key]
        self._drop(request, key[0], cls)
        if len(cls.heap) > 2 * cls.live + SLACK:
            cls.heap = [e for e in cls.heap if e[2].queue_seq == e[1]]
            heapify(cls.heap)

    def _drop(self, request: Request, skill: str | None, cls: _Class) -> None:
        request.queue_seq = -1
        cls.live -= 1
        self.length -= 1
        self.counts[skill] -= 1

    def take(
        self,
        tiers: Sequence[Iterable[str]],
        triage: bool,
        shortest: bool,
        triage_hours: float,
    ) -> Request | None:
        """Remove and return the request to work on next: within the first of `tiers` (groups
        of skills, in the order the dispatch rule looks at them) that has waiting work, the
        oldest customer whose task needs one of its skills (with `triage`, misrouted requests
        waiting for triage count with the first tier), or with `shortest`, the shortest such
        task (then the oldest customer). None if there is no such request."""
        best_class: _Class | None = None
        for number, skills in enumerate(tiers):
            best_class = self._best(skills, triage and number == 0, shortest, triage_hours)
            if best_class is not None:
                break
        if best_class is None:
            return None
        request = heappop(best_class.heap)[2]
        self._drop(request, best_class.skill, best_class)
        return request

    def _best(
        self, skills: Iterable[str], triage: bool, shortest: bool, triage_hours: float
    ) -> _Class | None:
        """The class whose head comes first among `skills` (and triage): one head per class."""
        best: tuple | None = None
        best_class: _Class | None = None
        counts = self.counts
        for skill in skills:
            if not counts.get(skill):
                continue
            for cls in self._of_skill[skill]:
                head = cls.head()
                if head is None:
                    continue
                key = (cls.hours, head[0], head[1]) if shortest else head[:2]
                if best is None or key < best:
                    best, best_class = key, cls
                if shortest:
                    break  # the classes are shortest first
        if triage and counts.get(None):
            cls = self._classes[None, 0.0]
            head = cls.head()
            assert head is not None
            key = (triage_hours, head[0], head[1]) if shortest else head[:2]
            if best is None or key < best:
                best, best_class = key, cls
        return best_class

    def has_work_for(self, skills: Iterable[str]) -> bool:
        counts = self.counts
        return any(counts.get(skill) for skill in skills)


class Roster:
    """A unit's idle members by skill: at full proficiency, longest idle first; below it, the
    most proficient first, then longest idle."""

    __slots__ = ("_count", "_full", "_help", "_partial", "_partial_live", "idle", "unit")

    def __init__(self, unit: Unit, help_index: HelpIndex) -> None:
        self.unit = unit
        self._help = help_index
        self.idle: dict[Employee, None] = {}
        """Idle members, longest idle first (in the order they became idle: `add` appends,
        `remove` deletes)."""
        self._full: dict[str, deque[tuple[int, Employee]]] = {}
        """Skill -> idle members at full proficiency, longest idle first."""
        self._count: dict[str, int] = {}
        """Skill -> how many idle members have it at full proficiency."""
        self._partial: dict[str, list[tuple[float, int, int, Employee]]] = {}
        """Skill -> heap of (-proficiency, idle order, entry number, employee)."""
        self._partial_live: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.idle)

    def __contains__(self, employee: Employee) -> bool:
        return employee in self.idle

    def add(self, employee: Employee) -> None:
        """`employee` becomes idle (proficiencies as they are now)."""
        help_index = self._help
        order = help_index.idle_orders
        help_index.idle_orders = order + 1
        employee.idle_order = order
        self.idle[employee] = None
        entry = (order, employee)
        for skill in employee.full_skills:
            line = self._full.get(skill)
            if line is None:
                line = self._full[skill] = deque()
                self._count[skill] = 0
            line.append(entry)
            n = self._count[skill] + 1
            self._count[skill] = n
            if n == 1:
                if help_index.active:
                    help_index.full_available(skill, self.unit.index)
            elif len(line) > 2 * n + SLACK:
                self._full[skill] = _live_deque(line)
        serves = self.unit.serves
        for skill in employee.partial_skills:
            if skill in serves:
                self._partial_live[skill] = self._partial_live.get(skill, 0) + 1
            self._push_partial(employee, skill, serves)

    def _push_partial(self, employee: Employee, skill: str, serves: frozenset[str]) -> None:
        """Rank an idle member with `skill` below full proficiency: here if the unit serves
        the skill (only its own tasks come here), and everywhere for help."""
        level = employee.proficiency[skill]
        help_index = self._help
        number = help_index.numbers
        help_index.numbers = number + 1
        if skill in serves:
            heap = self._partial.setdefault(skill, [])
            heappush(heap, (-level, employee.idle_order, number, employee))
            if len(heap) > 2 * self._partial_live[skill] + SLACK:
                heap[:] = [e for e in heap if _partial_live(e, skill)]
                heapify(heap)
        if help_index.active:
            help_index.partial_available(skill, level, self.unit.index, employee, number)

    def remove(self, employee: Employee) -> None:
        """`employee` stops being idle."""
        del self.idle[employee]
        employee.idle_order = -1
        for skill in employee.full_skills:
            self._count[skill] -= 1
        serves = self.unit.serves
        for skill in employee.partial_skills:
            if skill in serves:
                self._partial_live[skill] -= 1

    def relevel(self, employee: Employee, before: dict[str, float]) -> None:
        """An idle member's proficiencies changed (forgetting): re-rank the skills that moved."""
        for skill in employee.partial_skills:
            if employee.proficiency[skill] != before[skill]:
                self._push_partial(employee, skill, self.unit.serves)

    def best(self, skill: str | None, prefer: Employee | None = None) -> Employee | None:
        """The idle member with the highest proficiency for `skill` (None: anyone).

        Ties go to `prefer` (the customer keeps their contact person), then to whoever has been
        idle longest.
        """
        idle = self.idle
        if skill is None:  # anyone can: `idle` is in the order people became idle
            if prefer is not None and prefer in idle:
                return prefer
            return next(iter(idle), None)
        if not self._count.get(skill):
            # Nobody at full proficiency; below it, only if someone idle has the skill at all.
            return self._best_partial(skill, prefer) if self._partial_live.get(skill) else None
        line = self._full[skill]
        while line[0][1].idle_order != line[0][0]:
            line.popleft()
        if prefer is not None and prefer.proficiency.get(skill) == 1.0 and prefer in idle:
            return prefer
        return line[0][1]

    def _best_partial(self, skill: str, prefer: Employee | None) -> Employee | None:
        """Nobody idle has `skill` at full proficiency: the most proficient who has it (the
        unit serves `skill`: tasks come to a unit only for the skills it serves)."""
        heap = self._partial.get(skill)
        while heap:
            top = heap[0]
            if _partial_live(top, skill):
                level = -top[0]
                if prefer is not None and prefer.proficiency.get(skill) == level:
                    return prefer if prefer in self.idle else top[-1]
                return top[-1]
            heappop(heap)
        return None

    def has_full(self, skill: str) -> bool:
        return bool(self._count.get(skill))

    def able(self, skill: str) -> int:
        """How many idle members can do `skill` (a skill the unit serves)."""
        return self._count.get(skill, 0) + self._partial_live.get(skill, 0)

    def announce(self) -> None:
        """Tell the help index (rebuilt by a reorganisation) who is idle here."""
        for skill, n in self._count.items():
            if n:
                self._help.full_available(skill, self.unit.index)
        for employee in self.idle:
            for skill in employee.partial_skills:
                level = employee.proficiency[skill]
                number = self._help.numbers
                self._help.numbers = number + 1
                self._help.partial_available(skill, level, self.unit.index, employee, number)


def _live_deque(line: deque[tuple[int, Employee]]) -> deque[tuple[int, Employee]]:
    return deque(e for e in line if e[1].idle_order == e[0])


def _partial_live(entry: tuple, skill: str) -> bool:
    """Still idle in the same spell and still at that proficiency (entries end in
    (..., idle order, entry number, employee) and start with minus the proficiency)."""
    employee = entry[-1]
    return employee.idle_order == entry[-3] and employee.proficiency[skill] == -entry[0]


class HelpIndex:
    """Where help can come from and where it is needed, across the current units."""

    __slots__ = (
        "_full",
        "_limit",
        "_listed",
        "_partial",
        "_work",
        "active",
        "idle_orders",
        "numbers",
        "units",
    )

    def __init__(self, units: Sequence[Unit]) -> None:
        self.units = units
        self.active = False
        """Whether the index is kept: the model turns it on (`activate`) while anyone may help.
        Off, the rosters and queues tell it nothing and nothing may ask it."""
        self.numbers = 0
        """The next entry number of the partial-proficiency heaps (here and in the rosters)."""
        self.idle_orders = 0
        """The next idle spell's order, across the run's units (who has been idle longest stays
        so through a reorganisation). Counters are ints, not `itertools.count`: compiled,
        `next()` is a lookup of the builtin and a call."""
        self._full: dict[str, list[int]] = {}
        """Skill -> heap of unit indices that may have an idle member at full proficiency."""
        self._listed: set[tuple[str, int]] = set()
        self._partial: dict[str, list[tuple[float, int, int, int, Employee]]] = {}
        """Skill -> heap of (-proficiency, unit index, idle order, entry number, employee)."""
        self._limit: dict[str, int] = {}
        """Skill -> size of its `_partial` heap that triggers dropping the stale entries."""
        self._work: dict[str, list[tuple[int, int]]] = {}
        """Skill -> heap of (-queue length, unit index); every unit with waiting work of the
        skill has an entry at least as long as its queue (stale entries are repaired on read)."""

    def activate(self, on: bool) -> None:
        """Keep the index from now on (`on`), or stop keeping it. Turned on, it is rebuilt from
        the units' idle members and waiting work as they are now."""
        if on and not self.active:
            self.active = True
            self.rebuild(self.units)
        self.active = on

    def rebuild(self, units: Sequence[Unit]) -> None:
        """Index `units` (a reorganisation's), from their idle members and waiting work."""
        self.units = units
        for index in (self._full, self._partial, self._work, self._limit):
            index.clear()
        self._listed.clear()
        if not self.active:
            return
        for unit in units:
            unit.roster.announce()
            if unit.queue.length:
                self.work_added(unit)

    # Idle people --------------------------------------------------------------------------

    def full_available(self, skill: str, unit_index: int) -> None:
        if (skill, unit_index) not in self._listed:
            self._listed.add((skill, unit_index))
            heappush(self._full.setdefault(skill, []), unit_index)

    def partial_available(
        self, skill: str, level: float, unit_index: int, employee: Employee, number: int
    ) -> None:
        heap = self._partial.setdefault(skill, [])
        heappush(heap, (-level, unit_index, employee.idle_order, number, employee))
        if len(heap) > self._limit.get(skill, SLACK):
            heap[:] = [e for e in heap if _partial_live(e, skill)]
            heapify(heap)
            self._limit[skill] = 2 * len(heap) + SLACK

    def best_idle(self, skill: str) -> Employee | None:
        """The most proficient idle employee with `skill` in any unit; ties go to the first
        unit, then to whoever has been idle longest (as scanning the units in order would)."""
        heap = self._full.get(skill)
        while heap:
            index = heap[0]
            roster = self.units[index].roster
            if roster.has_full(skill):
                return roster.best(skill)
            heappop(heap)
            self._listed.discard((skill, index))
        partial = self._partial.get(skill)
        while partial:
            top = partial[0]
            if _partial_live(top, skill):
                return top[-1]
            heappop(partial)
        return None

    # Waiting work --------------------------------------------------------------------------

    def work_added(self, unit: Unit) -> None:
        """`unit`'s queue grew: it ranks higher for every skill it has work for."""
        entry = (-unit.queue.length, unit.index)
        for skill, n in unit.queue.counts.items():
            if n and skill is not None:
                heap = self._work.get(skill)
                if heap is None:
                    heap = self._work[skill] = []
                heappush(heap, entry)
                if len(heap) > 4 * len(self.units) + SLACK:
                    self._rebuild_work(skill)

    def _rebuild_work(self, skill: str) -> None:
        heap = [(-u.queue.length, u.index) for u in self.units if u.queue.counts.get(skill)]
        heapify(heap)
        self._work[skill] = heap

    def busiest_for(self, employee: Employee) -> Unit | None:
        """The unit with the longest queue among those with waiting work that `employee` can
        do (ties: the first unit). Asked when their own unit has no such work."""
        best = None
        for skill in employee.proficiency:
            heap = self._work.get(skill)
            while heap:
                top = heap[0]
                queue = self.units[top[1]].queue
                if queue.counts.get(skill):
                    if queue.length == -top[0]:
                        break
                    heappop(heap)
                    if queue.length < -top[0]:
                        heappush(heap, (-queue.length, top[1]))
                else:
                    heappop(heap)
            if heap and (best is None or heap[0] < best):
                best = heap[0]
        return None if best is None else self.units[best[1]]
