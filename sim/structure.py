"""Workforce + structure -> units, and where each task of a request goes.

All four structures are built from the *same* workforce, so comparisons between them are fair:
only the grouping (and therefore queues, handoffs and coordination) changes.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from heapq import heapify, heappop, heappush
from itertools import accumulate
from typing import TYPE_CHECKING

from sim.calendar import HOURS_PER_WEEK, Week

if TYPE_CHECKING:  # annotations only: loading a scenario builds its units to check them
    from collections.abc import Callable

    from sim.scenario.schema import Scenario


class StructureError(Exception):
    """A structure that cannot be built or cannot serve the demand: (key.path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))
        self.problems = problems


@dataclass(frozen=True)
class EmployeeSpec:
    """One person of the workforce, before the model turns them into an `Employee` agent."""

    index: int
    """Position in the workforce: the same person in every structure built from it."""
    group: int
    skill: str
    proficiency: dict[str, float]
    customer_orientation: float
    baseline_engagement: float
    hourly_cost: float
    shift: str = ""
    """The name of the person's shift in the calendar; empty = the opening hours."""


@dataclass(frozen=True)
class UnitSpec:
    name: str
    members: tuple[EmployeeSpec, ...]
    serves: frozenset[str]
    """Skills whose tasks are queued here."""

    @property
    def key(self) -> tuple[str, tuple[int, ...], frozenset[str]]:
        """What makes it the same unit: its name, its people and what it serves (a
        reorganisation keeps a unit it finds again)."""
        return self.name, tuple(m.index for m in self.members), self.serves


@dataclass(frozen=True)
class Organisation:
    units: tuple[UnitSpec, ...]
    owners: dict[str, tuple[int, ...]]
    """Skill -> units a request is handed off to when its current and home units lack it."""
    homes: tuple[int, ...]
    """Units that can own a request from arrival to resolution (teams); empty = no home."""
    pooled: frozenset[str]
    """Skills that always go to their owner unit, even from a team that has them (matrix)."""
    home_weights: tuple[float, ...] = ()
    """Each home team's share of new requests: its capability for the demand
    (`home_capability`)."""

    home_bounds: tuple[float, ...] = field(init=False, repr=False, compare=False)
    """Cumulative `home_weights`, in order (what `home_for` bisects)."""

    def __post_init__(self) -> None:
        # Computed once, at construction (the compiled core's classes have no instance
        # dictionary for a cached property to store it in).
        object.__setattr__(self, "home_bounds", tuple(accumulate(self.home_weights)))

    def home_for(self, pick: float) -> int | None:
        """The home team of a new request, in proportion to the teams' capability for the
        demand (`pick` is uniform in [0, 1))."""
        if not self.homes:
            return None
        bounds = self.home_bounds
        i = bisect_right(bounds, pick * bounds[-1])
        return self.homes[min(i, len(self.homes) - 1)]

    def unit_for(
        self, skill: str, current: int | None, home: int | None, draw: Callable[[], float]
    ) -> int:
        """Where a task of `skill` goes: stay put if possible, else go home, else hand off.
        Among several owners, uniformly: `draw` gives a uniform in [0, 1), asked only then."""
        options = _candidates(self, skill, current, home)
        if len(options) == 1:
            return options[0]
        return options[min(int(draw() * len(options)), len(options) - 1)]


def workforce_people(s: Scenario) -> list[EmployeeSpec]:
    people: list[EmployeeSpec] = []
    for index, group in enumerate(s.workforce):
        proficiency = {group.skill: 1.0, **group.other_skills}
        # People on their own shifts first, in the file's order; the rest on the group's.
        shifts = [name for name, n in group.shift_headcounts.items() for _ in range(n)]
        shifts += [group.shift] * (group.headcount - len(shifts))
        for shift in shifts:
            people.append(
                EmployeeSpec(
                    index=len(people),
                    group=index,
                    skill=group.skill,
                    proficiency=proficiency,
                    customer_orientation=group.customer_orientation,
                    baseline_engagement=group.baseline_engagement,
                    hourly_cost=group.hourly_cost,
                    shift=shift,
                )
            )
    return people


def _skills_of(members: list[EmployeeSpec], exclude: frozenset[str] = frozenset()) -> frozenset:
    return frozenset(k for m in members for k, v in m.proficiency.items() if v > 0) - exclude


def _deal(people: list[EmployeeSpec], n_teams: int) -> list[list[EmployeeSpec]]:
    """Deal employees to teams so that each team's capability in every skill is as even as it
    can be, whatever the order of `[[workforce]]` in the file.

    Capability in a skill is the sum of the members' proficiencies in it (secondary skills
    count). Skills are dealt scarcest first (fewest people with it as their primary skill; ties
    by name), and within a skill the most versatile people first (most secondary proficiency;
    ties by their other attributes, so the file order only separates identical people). Each
    person joins the team with the least capability in their primary skill so far, then the
    least capability over all skills, then the fewest members, then the first; team sizes
    differ by one at most."""
    teams: list[list[EmployeeSpec]] = [[] for _ in range(n_teams)]
    by_skill: dict[str, list[EmployeeSpec]] = {}
    for person in people:
        by_skill.setdefault(person.skill, []).append(person)
    base, extra = divmod(len(people), n_teams)
    capability: list[dict[str, float]] = [{} for _ in range(n_teams)]
    total = [0.0] * n_teams
    larger = 0
    """Teams with base + 1 members: once there are `extra`, the others stop at `base`."""

    def rank(i: int, skill: str) -> tuple[float, float, int, int]:
        return capability[i].get(skill, 0.0), total[i], len(teams[i]), i

    for skill in sorted(by_skill, key=lambda k: (len(by_skill[k]), k)):
        # The open teams by rank, in a heap (dealing is O(n log n) for 4,000 people in 400
        # teams): only the team that takes someone changes rank, and a team that is full stays
        # full, so it is dropped when it comes up.
        ranked = [rank(i, skill) for i in range(n_teams)]
        heapify(ranked)
        for person in sorted(by_skill[skill], key=_versatility):
            while len(teams[ranked[0][3]]) >= base + (larger < extra):
                heappop(ranked)
            team = heappop(ranked)[3]
            teams[team].append(person)
            larger += len(teams[team]) == base + 1
            for k, v in person.proficiency.items():
                capability[team][k] = capability[team].get(k, 0.0) + v
                total[team] += v
            heappush(ranked, rank(team, skill))
    return teams


def _versatility(person: EmployeeSpec) -> tuple:
    """Sort key: the most secondary proficiency first, then by every other attribute (the
    place in the file last, only between identical people)."""
    others = sorted((k, v) for k, v in person.proficiency.items() if k != person.skill)
    return (
        -sum([v for _, v in others]),
        others,
        -person.customer_orientation,
        -person.baseline_engagement,
        person.hourly_cost,
        person.index,
    )


def home_capability(s: Scenario, units: list[UnitSpec], homes: tuple[int, ...]) -> list[float]:
    """Each home team's capability for the demand: over the skills teams serve, the team's
    share of all home teams' capability in the skill, weighted by the skill's share of the
    demand's work hours. Equal teams get equal shares; a team without a lawyer gets less work
    by the legal share of the demand."""
    work: dict[str, float] = {}
    for rtype in s.demand.request_types:
        for task in rtype.tasks:
            work[task.skill] = work.get(task.skill, 0.0) + rtype.share * task.hours
    power = [
        {k: sum([m.proficiency.get(k, 0.0) for m in units[h].members]) for k in units[h].serves}
        for h in homes
    ]
    weights = [0.0] * len(homes)
    for skill, hours in work.items():
        pooled = sum([p.get(skill, 0.0) for p in power])
        if pooled > 0:
            for i, p in enumerate(power):
                weights[i] += hours * p.get(skill, 0.0) / pooled
    if sum(weights) <= 0:
        return [1.0] * len(homes)
    return weights


def build_units(s: Scenario) -> Organisation:
    """The units of the scenario's structure; raises `StructureError` if it cannot serve."""
    kind = s.structure.kind
    people = workforce_people(s)
    problems: list[tuple[str, str]] = []
    pooled: frozenset[str] = frozenset()
    homes: tuple[int, ...] = ()
    if kind == "functional":
        by_skill: dict[str, list[EmployeeSpec]] = {}
        for person in people:
            by_skill.setdefault(person.skill, []).append(person)
        units = [UnitSpec(skill, tuple(m), frozenset({skill})) for skill, m in by_skill.items()]
    elif kind == "cross_functional":
        n = s.structure.teams
        if n > len(people):
            problems.append(("structure.teams", f"{n} teams for {len(people)} employees"))
            raise StructureError(problems)
        teams = _deal(people, n)
        units = [UnitSpec(f"Team {i + 1}", tuple(t), _skills_of(t)) for i, t in enumerate(teams)]
        homes = tuple(range(len(units)))
    elif kind == "matrix":
        pooled = frozenset(s.structure.shared_skills)
        primaries = {g.skill for g in s.workforce}
        for i, skill in enumerate(s.structure.shared_skills):
            if skill not in primaries:
                problems.append(
                    (
                        f"structure.shared_skills.{i}",
                        f"{skill!r} is nobody's primary skill "
                        f"(allowed: {', '.join(sorted(primaries))})",
                    )
                )
        if not pooled:
            problems.append(("structure.shared_skills", "is empty (allowed: skills to pool)"))
        if problems:
            raise StructureError(problems)
        in_teams = [p for p in people if p.skill not in pooled]
        n = s.structure.teams
        if n > len(in_teams):
            raise StructureError(
                [("structure.teams", f"{n} teams for {len(in_teams)} non-pooled employees")]
            )
        teams = _deal(in_teams, n)
        units = [
            UnitSpec(f"Team {i + 1}", tuple(t), _skills_of(t, pooled)) for i, t in enumerate(teams)
        ]
        homes = tuple(range(len(units)))
        for skill in s.structure.shared_skills:
            members = tuple(p for p in people if p.skill == skill)
            units.append(UnitSpec(f"{skill} pool", members, frozenset({skill})))
    else:
        units = _custom_units(s, people, problems)
    owners: dict[str, tuple[int, ...]] = {}
    for index, unit in enumerate(units):
        for skill in unit.serves:
            if kind == "matrix" and skill in pooled and not unit.name.endswith(" pool"):
                continue
            owners.setdefault(skill, ())
            owners[skill] += (index,)
    for i, rtype in enumerate(s.demand.request_types):
        for j, task in enumerate(rtype.tasks):
            if task.skill not in owners and task.skill in s.skills:
                problems.append(
                    (
                        f"demand.request_types.{i}.tasks.{j}.skill",
                        f"no unit of the {kind} structure serves {task.skill!r} "
                        f"(allowed: {', '.join(sorted(owners))})",
                    )
                )
    if problems:
        raise StructureError(problems)
    weights = tuple(home_capability(s, units, homes)) if homes else ()
    return Organisation(tuple(units), owners, homes, pooled, weights)


def _custom_units(
    s: Scenario, people: list[EmployeeSpec], problems: list[tuple[str, str]]
) -> list[UnitSpec]:
    if not s.structure.units:
        problems.append(("structure.units", "is empty (allowed: at least one [[structure.units]])"))
        raise StructureError(problems)
    pool: dict[str, list[EmployeeSpec]] = {}
    for person in people:
        pool.setdefault(person.skill, []).append(person)
    units = []
    names = [spec.name for spec in s.structure.units]
    for i, spec in enumerate(s.structure.units):
        if names.index(spec.name) != i:  # results are per unit name: two would be merged
            problems.append((f"structure.units.{i}.name", f"{spec.name!r} is used twice"))
        members: list[EmployeeSpec] = []
        for skill, count in spec.members.items():
            available = pool.get(skill, [])
            if skill not in {g.skill for g in s.workforce}:
                problems.append(
                    (f"structure.units.{i}.members.{skill}", "is nobody's primary skill")
                )
            elif count > len(available):
                problems.append(
                    (
                        f"structure.units.{i}.members.{skill}",
                        f"asks for {count} but only {len(available)} are left "
                        "(allowed: at most the workforce headcount over all units)",
                    )
                )
            members += available[:count]
            del available[:count]
        skills = _skills_of(members)
        serves = frozenset(spec.serves) if spec.serves else skills
        for skill in serves - skills:
            problems.append((f"structure.units.{i}.serves", f"no member can do {skill!r}"))
        units.append(UnitSpec(spec.name, tuple(members), serves))
    left = {skill: len(p) for skill, p in pool.items() if p}
    if left:
        listing = ", ".join(f"{k} {v}" for k, v in left.items())
        problems.append(("structure.units", f"employees left in no unit: {listing}"))
    if problems:
        raise StructureError(problems)
    return units


def offered_utilisation(s: Scenario, org: Organisation) -> dict[str, float]:
    """Estimated busy share of each unit: expected work (with rework, information loss and
    coordination) per hour of capacity.

    An estimate for warnings and reports, not the simulation: requests are walked through the
    structure's routing rules with their exact branching probabilities, work is charged at a
    proficiency that favours the unit's best people (as dispatch does), and failed tasks repeat
    geometrically; social loafing stretches the work, and coordination and planned and sick
    absence take their shares of each member's time. Help across units, misrouting triage,
    the role slowdown after a reorganisation and the people side's dynamics (burnout sickness
    included) are left out.
    """
    p = s.policies
    work = [0.0] * len(org.units)
    per_hour = s.demand.requests_per_day / s.run.hours_per_day
    homes: tuple[int | None, ...] = org.homes or (None,)
    sizes = list(org.home_weights) or [1.0]
    premature = [(1 - metric_weight(s, unit)) * p.premature_closure for unit in org.units]
    # A task's hours in a unit depend on the unit and the task only, while the walk below meets
    # each pair once per place the request can come from (units x owners of a skill, 10,000
    # for a department copied 100 times): each is computed once.
    task_hours: dict[tuple[int, int], float] = {}
    for rtype in s.demand.request_types:
        for home, size in zip(homes, sizes, strict=True):
            rate = per_hour * rtype.share * size / sum(sizes)
            where: dict[int | None, float] = {None: 1.0}
            for start, end in rtype.stages():
                # Parallel tasks all leave from where the request is; it goes on from the unit
                # of the last one done, any of them alike (an estimate).
                ends: dict[int | None, float] = {}
                for task in rtype.tasks[start:end]:
                    after: dict[int | None, float] = {}
                    for current, chance in where.items():
                        options = _candidates(org, task.skill, current, home)
                        for unit_index in options:
                            share = chance / len(options)
                            key = (unit_index, id(task))
                            hours = task_hours.get(key)
                            if hours is None:
                                unit = org.units[unit_index]
                                hours = _expected_task_hours(s, unit, task, premature[unit_index])
                                task_hours[key] = hours
                            if current is not None and unit_index != current:
                                hours *= 1 + p.handoff_info_loss
                            work[unit_index] += rate * share * hours
                            after[unit_index] = after.get(unit_index, 0.0) + share
                    for place, share in after.items():
                        ends[place] = ends.get(place, 0.0) + share / (end - start)
                where = ends
    loafing = 1.0 + p.social_loafing
    present = 1.0 - s.people.planned_absence - s.people.sickness_absence
    return {
        unit.name: work[i]
        * (loafing if len(unit.members) >= 2 else 1.0)
        / (
            sum([_on_duty_share(s, m.shift) for m in unit.members])
            * present
            * (1 - coordination_share(s, unit))
        )
        for i, unit in enumerate(org.units)
    }


def _on_duty_share(s: Scenario, shift: str) -> float:
    """The share of the clock's hours a person is on duty (holidays left out): 1 without a
    calendar, whose clock knows only working hours."""
    if s.calendar is None:
        return 1.0
    hours = s.calendar.shifts[shift] if shift else s.calendar.opening_hours
    return Week.from_text(hours).hours / HOURS_PER_WEEK


def _expected_task_hours(s: Scenario, unit: UnitSpec, task, premature: float) -> float:
    """Mean hours a unit spends on a task until it is done right, rework included."""
    p = s.policies
    levels = [m.proficiency.get(task.skill, 0.0) for m in unit.members]
    levels = [v for v in levels if v > 0]
    squares: float = sum([v * v for v in levels])
    level = squares / sum(levels)
    engagement = sum([m.baseline_engagement for m in unit.members]) / len(unit.members)
    sluggish = p.engagement_effect * (1 - engagement)
    fcr = (
        p.first_contact_resolution
        if task.first_contact_resolution is None
        else task.first_contact_resolution
    )
    right = fcr * level**p.proficiency_quality_exponent * (1 - sluggish)
    closed_early = 1 - p.premature_closure_work_share
    attempt = task.hours / level * (1 + sluggish) * (1 - closed_early * premature)
    return attempt / max((1 - premature) * right, 1e-3)


def _candidates(
    org: Organisation, skill: str, current: int | None, home: int | None
) -> tuple[int, ...]:
    """The units a task may go to (as `Organisation.unit_for`, before the uniform pick)."""
    if skill not in org.pooled:
        if current is not None and skill in org.units[current].serves:
            return (current,)
        if home is not None and skill in org.units[home].serves:
            return (home,)
    return org.owners[skill]


def metric_weight(s: Scenario, unit: UnitSpec) -> float:
    """w of a unit: `policies.unit_metric_weights` for a unit named there, else
    `customer_metric_weight` (a department measured on its own throughput can behave locally
    while teams owning the customer's outcome do not, or the other way round)."""
    return s.policies.unit_metric_weights.get(unit.name, s.policies.customer_metric_weight)


def coordination_share(s: Scenario, unit: UnitSpec) -> float:
    """Share of each member's working time spent coordinating, off the queue (stand-ups,
    alignment): `coordination` per colleague (Brooks 1975: a unit of n has n(n-1)/2 channels,
    each member is on n-1 of them) plus `coordination_per_skill` per skill the unit serves
    beyond its first (interfaces between specialities). Every unit pays it, departments and
    teams alike, capped at `coordination_cap` so that capacity never vanishes."""
    p = s.policies
    share = p.coordination * (len(unit.members) - 1) + p.coordination_per_skill * (
        len(unit.serves) - 1
    )
    return min(p.coordination_cap, share)
