"""How much work a scenario asks of the machine, and the limits on it.

A run costs time and memory in proportion to what it simulates: every task attempt (a person
working on one task of a request, rework included) is a few events and a row of the books,
and every person-day a daily review of that person. Both are estimated from the scenario
alone, before anything is built (`workload`), so a scenario that would run for hours or fill
the memory is refused at once with one line naming the keys that drive it
(`limit_problems`); ``--allow-large`` on the command line lifts the limits.

Measured on one core of the development machine (CPU time, so robust to load): about 22,000
task attempts per second and 5 microseconds per person-day; a run keeps about 150 bytes per
request it counted, and every open request in memory. The limits below are a few minutes and
about a gigabyte; ten years (3,650 days) of any preset stay well inside them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.scenario.schema import Scenario, Task

MAX_HEADCOUNT = 100_000
"""Employees in a scenario (all workforce groups together, at any time)."""
MAX_REQUESTS = 2_000_000
"""Expected arrivals in one run: requests_per_day x days (each one is a customer to follow)."""
MAX_TASK_ATTEMPTS = 3_000_000
"""Expected task attempts in one run: requests x tasks per request x attempts per task."""
MAX_PERSON_DAYS = 50_000_000
"""Headcount x (run.days + run.drain_limit_days)."""
LIFT = "--allow-large runs it anyway"
"""What the limit lines say lifts them (the command line's option)."""


@dataclass(frozen=True)
class Workload:
    """What one run of a scenario asks for, estimated from the scenario's numbers."""

    headcount: int
    requests: float
    """Expected arrivals over `run.days` (the warm-up's are simulated too), twice for a
    scenario with a reorganisation (`sim.runner.run` also runs it without)."""
    tasks_per_request: float
    attempts_per_task: float
    """1 / the chance that a task is done right (and not closed early) by a fully proficient
    employee of average engagement: each failed attempt is done again."""
    capacity_attempts: float
    """The most attempts the workforce could make if busy all the time (arrivals and drain):
    with almost nothing done right, rework is bounded by the people, not by the customers
    (who still all arrive: `requests` is not bounded so)."""
    person_days: float

    @property
    def task_attempts(self) -> float:
        demand = self.requests * self.tasks_per_request * self.attempts_per_task
        return min(demand, self.capacity_attempts)

    def scaled(self, runs: int) -> Workload:
        """The workload of `runs` runs (replications, scenarios of a comparison)."""
        return Workload(
            self.headcount,
            self.requests * runs,
            self.tasks_per_request,
            self.attempts_per_task,
            self.capacity_attempts * runs,
            self.person_days * runs,
        )


def workload(s: Scenario) -> Workload:
    """Estimate what one run of `s` asks for (cheap: nothing is built)."""
    run, demand, p = s.run, s.demand, s.policies
    headcount = s.headcount
    shares = [(t.share, task) for t in demand.request_types for task in t.tasks]
    tasks = sum(share for share, _ in shares)
    engagement = sum(g.baseline_engagement * g.headcount for g in s.workforce) / headcount
    # Goals that leave the customer out most (the lowest w of any unit) close tasks early most.
    w = min([p.customer_metric_weight, *p.unit_metric_weights.values()])
    premature = (1 - w) * p.premature_closure
    sluggish = p.engagement_effect * (1 - engagement)

    def attempts_of(task: Task) -> float:
        fcr = (
            p.first_contact_resolution
            if task.first_contact_resolution is None
            else (task.first_contact_resolution)
        )
        done = (1 - premature) * fcr * (1 - sluggish)
        return 1 / done if done > 0 else math.inf  # nothing ever done right: no end but time

    attempts = sum(share * attempts_of(task) for share, task in shares) / tasks
    # The shortest attempt is a premature closure's share of a task's mean work; work times
    # vary around the mean, so this is a generous bound on what people can get through.
    shortest = min(task.hours for _, task in shares) * min(0.5, p.premature_closure_work_share)
    hours = (run.days + run.drain_limit_days) * run.hours_per_day * (2 if s.events else 1)
    return Workload(
        headcount=headcount,
        requests=demand.requests_per_day * run.days * (2 if s.events else 1),
        tasks_per_request=tasks,
        attempts_per_task=attempts,
        capacity_attempts=headcount * hours / shortest if shortest > 0 else math.inf,
        person_days=headcount * (run.days + run.drain_limit_days),
    )


def _count(value: float) -> str:
    if value >= 1e15:
        return f"{value:.3g}" if value < float("inf") else "more than 1e308"
    return f"{value:,.0f}"


def limit_problems(s: Scenario, lift: str = LIFT) -> list[tuple[str, str]]:
    """(key.path, message) for each limit `s` is over; empty when it is within all of them.
    The headcount is checked first, and alone: the other estimates need no units, but a
    too-large workforce is also what makes loading slow."""
    headcount = s.headcount
    if headcount > MAX_HEADCOUNT:
        return [
            (
                "workforce",
                f"{headcount:,} employees in {len(s.workforce):,} groups (allowed: up to "
                f"{MAX_HEADCOUNT:,} in all; {lift})",
            )
        ]
    w = workload(s)
    twice = " x 2 runs, with and without the events" if s.events else ""
    hours = (s.run.days + s.run.drain_limit_days) * s.run.hours_per_day
    shortest = min(task.hours for t in s.demand.request_types for task in t.tasks)
    problems = []
    if w.requests > MAX_REQUESTS:
        problems.append(
            (
                "demand.requests_per_day",
                f"about {_count(w.requests)} requests in one run "
                f"({_count(s.demand.requests_per_day)} per day x {s.run.days} days of "
                f"run.days{twice}) (allowed: up to {MAX_REQUESTS:,}; {lift})",
            )
        )
    elif w.task_attempts > MAX_TASK_ATTEMPTS:
        if w.task_attempts < w.capacity_attempts:  # the customers drive it
            key, why = (
                "demand.requests_per_day",
                f"{_count(w.requests)} requests ({_count(s.demand.requests_per_day)} per day x "
                f"{s.run.days} days of run.days{twice}) x {w.tasks_per_request:.2g} tasks per "
                f"request in demand.request_types x {w.attempts_per_task:.2g} attempts per "
                "task, from policies.first_contact_resolution",
            )
        else:  # rework without end: people work all the time, the shortest tasks decide
            key, why = (
                "policies.first_contact_resolution",
                f"{w.attempts_per_task:.2g} attempts per task: people redo tasks all the "
                f"time, {headcount:,} of them for {hours:g} hours, on tasks as short as "
                f"{shortest:.3g} hours in demand.request_types",
            )
        problems.append(
            (
                key,
                f"about {_count(w.task_attempts)} task attempts in one run ({why}) (allowed: up "
                f"to {MAX_TASK_ATTEMPTS:,}, a few minutes and about a gigabyte; {lift})",
            )
        )
    if w.person_days > MAX_PERSON_DAYS:
        problems.append(
            (
                "workforce",
                f"{_count(w.person_days)} person-days ({headcount:,} employees x "
                f"{s.run.days + s.run.drain_limit_days:g} days of run.days and "
                f"run.drain_limit_days) (allowed: up to "
                f"{MAX_PERSON_DAYS:,}; {lift})",
            )
        )
    return problems
