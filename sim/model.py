"""OrgModel: customers' requests flowing through an organisation's units, event by event.

Time is continuous, in working hours (day d is [d·H, (d+1)·H)). Everything happens through Mesa's
own event scheduling: arrivals, task ends, handoff arrivals, callbacks and abandonments. Nothing
ticks: waiting times are exact.

The model owns the event flow (dispatch, routing, handoffs, callbacks); employees own how they
work (`Employee.plan`); customers own when they come back or give up (`Request`); the books and
KPIs live in `sim.metrics`.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from itertools import accumulate, count

import mesa
import numpy as np
from mesa.time import Schedule

from sim.agents import Employee, Manager
from sim.metrics import EventLog, RequestLog, time_series_reporters
from sim.request import Request
from sim.satisfaction import satisfaction_score
from sim.scenario import Scenario
from sim.structure import build_units, coordination_share
from sim.unit import Unit

STREAMS = ("arrivals", "work", "outcomes", "behaviour")
"""Random streams by purpose, all derived from one seed. Arrivals (who comes, when, with how
much work, how patient) are drawn in the same order whatever the structure, so two scenarios run
with the same seed see the same customers (common random numbers)."""


def random_streams(seed: int) -> dict[str, random.Random]:
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {
        name: random.Random(int.from_bytes(child.generate_state(4).tobytes(), "little"))
        for name, child in zip(STREAMS, children, strict=True)
    }


class OrgModel(mesa.Model):
    """One organisation (one scenario) serving its customers for one run."""

    def __init__(
        self,
        scenario: Scenario,
        rng: int | None = None,
        *,
        sample_every_hours: float = 1.0,
        event_log: bool = False,
    ):
        seed = scenario.run.seed if rng is None else int(rng)
        super().__init__(rng=seed)
        self.seed = seed
        self.config = scenario
        """The scenario (Mesa reserves `Model.scenario` for its experimental Scenario class)."""
        streams = random_streams(seed)
        self.arrival_rng = streams["arrivals"]
        self.work_rng = streams["work"]
        self.outcome_rng = streams["outcomes"]
        self.behaviour_rng = streams["behaviour"]

        run, demand, p = scenario.run, scenario.demand, scenario.policies
        self.hours_per_day = run.hours_per_day
        self.horizon = run.days * run.hours_per_day
        self.window = (run.warmup_days * run.hours_per_day, self.horizon)
        """Measurement window: counted requests arrive in it; utilisation is measured over it."""
        self.drain_limit = self.horizon + run.drain_limit_days * run.hours_per_day

        self.org = build_units(scenario)
        self.units = [
            Unit(i, spec, coordination_share(scenario, spec))
            for i, spec in enumerate(self.org.units)
        ]
        for unit, spec in zip(self.units, self.org.units, strict=True):
            for person in spec.members:
                Employee(self, person, unit)
            Manager(self, unit)
        self.employees = list(self.agents_by_type[Employee])

        # Behaviour under local metrics scales with 1 - w (w = customer_metric_weight).
        local = 1.0 - p.customer_metric_weight
        self.cherry_picking = local * p.cherry_picking
        self.premature_closure = local * p.premature_closure
        self.help_probability = p.help_across_units * (1.0 - local * p.help_decline)

        self._type_cumulative = list(accumulate(t.share for t in demand.request_types))
        self._rate = demand.requests_per_day / run.hours_per_day
        self._hourly = _normalised(demand.hourly_profile)
        self._weekly = _normalised(demand.weekly_profile)
        self._rate_max = self._rate * max(self._hourly or [1]) * max(self._weekly or [1])
        self._log_sigma = math.sqrt(math.log1p(demand.work_cv**2))
        self._work_kind = demand.work_distribution
        self._request_types = demand.request_types
        self._patience_rate = 1 / demand.patience_hours if demand.patience_hours > 0 else 0.0
        self._ids = count()
        self._seq = count()

        self.open: dict[Request, None] = {}
        """Requests not yet resolved or abandoned (kept here so their events stay alive)."""
        self.arrived = 0
        self.arrived_counted = 0
        self.resolved_counted = 0
        self.abandoned_counted = 0
        self.requests = RequestLog()
        self.events = EventLog() if event_log else None
        self.drained = True

        self.datacollector = mesa.DataCollector(
            model_reporters=time_series_reporters(),
            agenttype_reporters={
                Manager: {"unit": "unit_name", "queue": "queue_length", "busy": "busy_share"}
            },
        )
        self.schedule_recurring(self.collect, Schedule(interval=sample_every_hours, start=0.0))
        self.schedule_event(self.arrive, after=self._next_gap())

    # The run -------------------------------------------------------------------------------------

    def collect(self) -> None:
        self.datacollector.collect(self)

    def simulate(self) -> None:
        """Run the arrivals' horizon, then drain until every request is closed (or the limit)."""
        self.run_until(self.horizon)
        while self.open and self.time < self.drain_limit:
            self.run_until(min(self.time + self.hours_per_day, self.drain_limit))
        self.drained = not self.open
        for unit in self.units:
            unit.close_books(self.time)

    # Demand -------------------------------------------------------------------------------------

    def _next_gap(self) -> float:
        return self.arrival_rng.expovariate(self._rate_max)

    def _rate_now(self, now: float) -> float:
        rate = self._rate
        if self._hourly:
            rate *= self._hourly[int(now % self.hours_per_day) % len(self._hourly)]
        if self._weekly:
            rate *= self._weekly[int(now // self.hours_per_day) % len(self._weekly)]
        return rate

    def arrive(self) -> None:
        """Event: a customer arrives (Poisson; profiles by thinning). Schedules the next one."""
        now = self.time
        if now >= self.horizon:
            return
        self.schedule_event(self.arrive, at=now + self._next_gap())
        rng = self.arrival_rng
        rate = self._rate_now(now)
        if rate < self._rate_max and rng.random() * self._rate_max >= rate:
            return
        types = self._request_types
        type_index = min(
            bisect_right(self._type_cumulative, rng.random() * self._type_cumulative[-1]),
            len(types) - 1,
        )
        rtype = types[type_index]
        sizes = [self._work_size(rng) for _ in rtype.tasks]
        patience = rng.expovariate(self._patience_rate) if self._patience_rate else math.inf
        noise = rng.gauss(0.0, 1.0)
        home_pick = rng.random()
        counted = now >= self.window[0]
        request = Request(
            self, next(self._ids), type_index, rtype, sizes, patience, noise, counted, now
        )
        request.home = self.org.home_for(home_pick)
        self.open[request] = None
        self.arrived += 1
        self.arrived_counted += counted
        first = rtype.tasks[0].skill
        self.enter_unit(request, self.org.unit_for(first, None, request.home, self._pick()), now)

    def _work_size(self, rng: random.Random) -> float:
        """A task's work relative to its mean (mean 1) in the scenario's distribution."""
        kind = self._work_kind
        if kind == "exponential":
            return rng.expovariate(1.0)
        if kind == "lognormal" and self._log_sigma > 0:
            sigma = self._log_sigma
            return rng.lognormvariate(-0.5 * sigma * sigma, sigma)
        return 1.0

    def _pick(self) -> float:
        return self.behaviour_rng.random()

    # Dispatch ----------------------------------------------------------------------------------

    def enter_unit(self, request: Request, unit_index: int, now: float) -> None:
        """A request joins a unit: the best idle eligible member starts it, or it queues."""
        unit = self.units[unit_index]
        unit.enter(now)
        request.in_unit = True
        request.unit = unit_index
        request.via_handoff = request.after_handoff
        request.visit_start = now
        request.enqueued_at = now
        self.dispatch(request, unit, now)

    def dispatch(
        self, request: Request, unit: Unit, now: float, prefer: Employee | None = None
    ) -> None:
        skill = request.skill
        employee = unit.best_idle(skill, prefer)
        if employee is not None:
            employee.start(request, now)
            return
        if self.help_probability > 0 and skill is not None:
            helper = self._idle_helper(unit, skill)
            if helper is not None:
                request.helped += 1
                helper.start(request, now, helping=True)
                return
        unit.enqueue(request, next(self._seq))
        if request.patience_left < math.inf:
            request.abandon_event = self.schedule_event(
                request.give_up, at=now + request.patience_left
            )

    def _idle_helper(self, unit: Unit, skill: str) -> Employee | None:
        """An idle employee of another unit who can do `skill` and is willing to help."""
        best, best_level = None, 0.0
        for other in self.units:
            if other is unit:
                continue
            candidate = other.best_idle(skill)
            if candidate is not None and candidate.proficiency[skill] > best_level:
                best, best_level = candidate, candidate.proficiency[skill]
        if best is not None and self.behaviour_rng.random() < self.help_probability:
            return best
        return None

    def assign_work(self, employee: Employee, now: float) -> None:
        """A freed employee takes work from their own queue first, then may help elsewhere."""
        unit = employee.unit
        shortest = self.cherry_picking > 0 and self.behaviour_rng.random() < self.cherry_picking
        request = unit.take(employee, shortest) if unit.queue else None
        if request is not None:
            employee.start(request, now)
            return
        if self.help_probability <= 0:
            return
        others = [u for u in self.units if u is not unit and u.has_work_for(employee)]
        if others and self.behaviour_rng.random() < self.help_probability:
            busiest = max(others, key=lambda u: len(u.queue))
            request = busiest.take(employee, shortest, helping=True)
            if request is not None:
                request.helped += 1
                employee.start(request, now, helping=True)

    def begin_work(self, employee: Employee, request: Request, now: float) -> None:
        """Book the wait that ends now, stop the customer's patience clock, note the contact."""
        waited = now - request.enqueued_at
        if request.abandon_event is not None:
            request.abandon_event.cancel()
            request.abandon_event = None
        request.patience_left = max(0.0, request.patience_left - waited)
        if request.triage:
            request.handoff_hours += waited
            return
        request.queue_hours += waited
        request.contacts += 1
        request.warmth_sum += employee.warmth

    # Task outcomes and flow --------------------------------------------------------------------

    def complete_task(
        self, employee: Employee, request: Request, started: float, right: bool, now: float
    ) -> None:
        """Decide what happens to a request once a task (or a triage) ends."""
        unit = self.units[request.unit]
        if self.events is not None:
            self.events.add(request, employee, unit, started, now, right)
        if request.triage:
            request.handoff_hours += now - started
            request.triage = False
            self._leave(unit, request, now)
            self.hand_off(request, request.target, now, may_misroute=False)
            return
        request.work_hours += now - started
        if not right:
            self._leave(unit, request, now)
            request.repeats += 1
            request.sizes[request.step] = self._work_size(self.work_rng)
            mean = self.config.demand.callback_delay_hours
            delay = self.outcome_rng.expovariate(1 / mean) if mean > 0 else 0.0
            request.callback_hours += delay
            if delay > 0:
                self.schedule_event(request.call_back, at=now + delay)
            else:
                self.enter_unit(request, request.unit, now)
            return
        request.step += 1
        if request.step == len(request.rtype.tasks):
            self._leave(unit, request, now)
            self.close(request, False, now)
            return
        skill = request.rtype.tasks[request.step].skill
        destination = self.org.unit_for(skill, request.unit, request.home, self._pick())
        if destination == request.unit:
            request.enqueued_at = now
            self.dispatch(request, unit, now, prefer=employee)
        else:
            self._leave(unit, request, now)
            self.hand_off(request, destination, now)

    def _leave(self, unit: Unit, request: Request, now: float) -> None:
        unit.leave(now, request.visit_start)
        request.in_unit = False

    def hand_off(
        self, request: Request, destination: int, now: float, may_misroute: bool = True
    ) -> None:
        """Transfer a request to another unit: delay, information loss, maybe a wrong unit."""
        p = self.config.policies
        request.handoffs += 1
        request.after_handoff = True
        if (
            may_misroute
            and p.misrouting > 0
            and len(self.units) > 2
            and self.behaviour_rng.random() < p.misrouting
        ):
            wrong = [u.index for u in self.units if u.index not in (destination, request.unit)]
            request.misroutes += 1
            request.triage = True
            request.target = destination
            destination = wrong[int(self._pick() * len(wrong))]
        request.unit = destination
        mean = p.handoff_delay_hours
        delay = self.outcome_rng.expovariate(1 / mean) if mean > 0 else 0.0
        request.handoff_hours += delay
        if delay > 0:
            self.schedule_event(request.arrive_after_handoff, at=now + delay)
        else:
            self.enter_unit(request, destination, now)

    def abandon(self, request: Request) -> None:
        """The customer gives up while queued."""
        now = self.time
        unit = self.units[request.unit]
        unit.remove(request)
        self._leave(unit, request, now)
        waited = now - request.enqueued_at
        if request.triage:
            request.handoff_hours += waited
        else:
            request.queue_hours += waited
        request.abandon_event = None
        self.close(request, True, now)

    def close(self, request: Request, abandoned: bool, now: float) -> None:
        del self.open[request]
        if request.counted:
            if abandoned:
                self.abandoned_counted += 1
            else:
                self.resolved_counted += 1
            done_well = request.repeats == 0 and not abandoned
            warmth = request.warmth_sum / request.contacts if request.contacts else 0.0
            csat = satisfaction_score(
                resolution_hours=now - request.arrived,
                expected_hours=request.rtype.expected_hours,
                handoffs=request.handoffs,
                repeat_contacts=request.repeats,
                warmth=warmth if done_well else 0.0,
                noise=request.noise,
                abandoned=abandoned,
                settings=self.config.satisfaction,
            )
            self.requests.add(request, now, abandoned, csat)


def _normalised(profile: list[float]) -> list[float]:
    """Relative weights rescaled to mean 1, so profiles shape demand without changing it."""
    if not profile:
        return []
    mean = sum(profile) / len(profile)
    return [v / mean for v in profile]
