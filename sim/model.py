"""OrgModel: customers' requests flowing through an organisation's units, event by event.

Time is continuous, in working hours (day d is [d·H, (d+1)·H)). Everything happens through
events: arrivals, task ends, handoff arrivals, callbacks and abandonments, on the model's own
lean event list (`sim.agenda`), which runs in Mesa's order and under Mesa's clock (`run_until`,
`run_for`, `step`). Nothing ticks: waiting times are exact.

The model owns the event flow (dispatch, routing, handoffs, callbacks); employees own how they
work (`Employee.plan`); customers own when they come back or give up (`Request`); the books and
KPIs live in `sim.metrics`.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from heapq import heappop
from itertools import accumulate, chain
from operator import attrgetter

import mesa
import numpy as np
from mesa.experimental.mesa_signals import ObservableSignals

from sim.agenda import HIGH, LOW, Agenda, cancelled
from sim.agents import Employee, Manager
from sim.calendar import ShiftChanges, Timeline, Week, Weekday, arrival_weights, day_index
from sim.collector import rare_young_passes
from sim.dispatch import HelpIndex
from sim.metrics import EventLog
from sim.records import RequestLog, TimeSeries, time_series_reporters
from sim.request import Request, task_steps
from sim.satisfaction import Scoring
from sim.scenario import Calendar, Reorganisation, Scenario, event_scenario
from sim.streams import Customers, exponential, work_size
from sim.structure import Organisation, build_units
from sim.unit import Unit


class EventSettings:
    """The scenario's numbers that a request's events read (a task's plan, a handoff, a
    callback, help, the closing score), as fields of a compiled class, taken from the scenario
    in force whenever it changes (`OrgModel._apply_policies`), as each unit takes its own
    (`Unit.apply`). A field of a pydantic model is a generic attribute lookup (`BaseModel`
    defines `__getattr__`), some 400 machine instructions in the compiled core, where a field
    of a compiled class is one load: the events of a request made about 40 such lookups.
    Each field is named as in the scenario."""

    __slots__ = (
        "busy_warmth_loss",
        "callback_delay_hours",
        "engagement_effect",
        "feedback_gain",
        "first_contact_resolution",
        "handoff_delay_hours",
        "handoff_info_loss",
        "hard_task_threshold",
        "help_target",
        "learning_rate",
        "misrouting",
        "misrouting_min_units",
        "misrouting_triage_hours",
        "pre_service_wait_weight",
        "premature_closure_work_share",
        "proficiency_quality_exponent",
        "repeat_warmth_kept",
        "scoring",
        "tie_handoff_benefit",
        "tie_use_gain",
        "tie_weight",
    )

    def __init__(self, config: Scenario) -> None:
        policies, managers, people = config.policies, config.managers, config.people
        self.misrouting_triage_hours = policies.misrouting_triage_hours
        self.hard_task_threshold = policies.hard_task_threshold
        self.engagement_effect = policies.engagement_effect
        self.premature_closure_work_share = policies.premature_closure_work_share
        self.first_contact_resolution = policies.first_contact_resolution
        self.proficiency_quality_exponent = policies.proficiency_quality_exponent
        self.handoff_info_loss = policies.handoff_info_loss
        self.handoff_delay_hours = policies.handoff_delay_hours
        self.misrouting = policies.misrouting
        self.misrouting_min_units = policies.misrouting_min_units
        self.help_target = policies.help_target
        self.tie_handoff_benefit = managers.tie_handoff_benefit
        self.tie_use_gain = managers.tie_use_gain
        self.tie_weight = managers.tie_weight
        self.learning_rate = people.learning_rate
        self.busy_warmth_loss = people.busy_warmth_loss
        self.feedback_gain = people.feedback_gain
        self.callback_delay_hours = config.demand.callback_delay_hours
        self.repeat_warmth_kept = config.satisfaction.repeat_warmth_kept
        self.pre_service_wait_weight = config.satisfaction.pre_service_wait_weight
        self.scoring = Scoring(config.satisfaction)


class OrgModel(mesa.Model):
    """One organisation (one scenario) serving its customers for one run."""

    def __init__(
        self,
        scenario: Scenario,
        rng: int | None = None,
        *,
        sample_every_hours: float | None = 1.0,
        event_log: bool = False,
    ):
        seed = scenario.run.seed if rng is None else int(rng)
        super().__init__(rng=seed)
        self.seed = seed
        self.agenda = Agenda()
        """The model's own events (see `sim.agenda`); Mesa's event list keeps Mesa's step."""
        self.config = scenario
        """The scenario in force (Mesa reserves `Model.scenario` for its experimental Scenario
        class); a reorganisation replaces it with the scenario after the event."""
        self.initial_config = scenario
        self.customers = Customers(seed, scenario.demand)
        """Who arrives, when, and with what (`sim.streams`: each process has its own stream)."""

        run, demand = scenario.run, scenario.demand
        self.hours_per_day = run.hours_per_day
        self.working_hours_per_day = run.hours_per_day
        """Working hours in a day on average (with a calendar: the weekly opening hours / 7)."""
        self.horizon = run.days * run.hours_per_day
        self.window = (run.warmup_days * run.hours_per_day, self.horizon)
        """Measurement window: counted requests arrive in it; utilisation is measured over it."""
        self.drain_limit = self.horizon + run.drain_limit_days * run.hours_per_day

        self.learning_rate = scenario.people.learning_rate
        self.units: list[Unit] = []
        self.retired_units: list[Unit] = []
        """Units of earlier structures (a reorganisation replaces them); kept for the books."""
        self.unit_names: list[str] = []
        """Every unit that ever existed, by `Unit.uid` (request records name their last unit)."""
        self.help_index = HelpIndex([])
        """Idle people and waiting work across the units, for help (`sim.dispatch`)."""
        units = self._build_units(build_units(scenario), kept={})
        start = scenario.managers.initial_tie
        self.ties = tie_rows([[start] * len(units) for _ in units])
        """Help-tie strength between units (symmetric, in [0, 1]): ``ties[a][b]``, one row of
        machine doubles per unit (`tie_rows`)."""
        self.employees = [
            Employee(self, person, unit)
            for unit, spec in zip(units, self.org.units, strict=True)
            for person in spec.members
        ]
        for unit in units:
            unit.manager.take_stock()
        self._apply_policies()

        self._type_cumulative = list(accumulate(t.share for t in demand.request_types))
        self._rate = demand.requests_per_day / run.hours_per_day
        self._hourly = _normalised(demand.hourly_profile)
        self._weekly = _normalised(demand.weekly_profile)
        self._rate_max = self._rate * max(self._hourly or [1]) * max(self._weekly or [1])
        self.calendar: Timeline | None = None
        """The organisation's opening hours (None: the clock knows only working hours)."""
        self._week_profile: list[float] = []
        """With a calendar: the arrival weight of each hour of the week, from model hour 0."""
        if scenario.calendar is not None:
            self._plan_calendar(scenario.calendar)
        self._log_sigma = math.sqrt(math.log1p(demand.work_cv**2))
        self._work_kind = demand.work_distribution
        """The work distribution of the run (a failed task's new work size is drawn from it)."""
        self._request_types = demand.request_types
        self.type_steps = [task_steps(t) for t in demand.request_types]
        """Each request type's tasks as the events read them (`sim.request.Step`)."""
        self._patience_rate = 1 / demand.patience_hours if demand.patience_hours > 0 else 0.0
        self._start_delays = {
            g.skill: (g.start_delay_share, g.start_delay_hours)
            for g in scenario.workforce
            if g.start_delay_share > 0 and g.start_delay_hours > 0
        }
        """Skill -> (share of new cases, mean hours) of each group's delay before it takes up
        a new case."""
        self._ids = 0
        """The next request's number (counters are ints: compiled, `next()` of an
        `itertools.count` is a lookup of the builtin and a call)."""
        self._seq = 0
        """The next place in a queue."""

        self.open: dict[Request, None] = {}
        """Requests not yet resolved or abandoned (kept here so their events stay alive)."""
        self.arrived = 0
        self.arrived_counted = 0
        self.resolved_counted = 0
        self.abandoned_counted = 0
        self.quits = 0
        """People who resigned during the measurement window (`people.burnout_quit`)."""
        self.requests = RequestLog()
        self.events = EventLog() if event_log else None
        self.drained = True
        self.stopped: str | None = None
        """Why the run stopped before its horizon (`simulate`'s watch), if it did."""
        self.daily: list[dict[str, float]] = []
        """One row per working day: engagement, burnout, ties (for the people-side charts)."""
        self.agenda.every(self.hours_per_day, self.end_day, start=0.0)
        self._reorganisations = iter(scenario.events)
        self._schedule_next_reorganisation()

        self.datacollector = TimeSeries(
            time_series_reporters(),
            Manager,
            {
                "unit": "unit_name",
                "queue": "queue_length",
                "busy": "busy_share",
                "engagement": "engagement",
            },
        )
        if sample_every_hours is not None:  # None: nobody reads the time series
            self.agenda.every(sample_every_hours, self.collect, start=0.0)
        self._next_customer = self.customers.next()
        if self._rate_max > 0:  # a rate too small for a float (5e-324 a day): nobody comes
            self.agenda.at(self.time + self._next_customer[0][0] / self._rate_max, self.arrive)

    def _plan_calendar(self, calendar: Calendar) -> None:
        """Lay the calendar out on the run: opening hours, each shift's duty (people start
        off duty outside it) and the arrival rate by hour of the week (by thinning)."""
        first = calendar.start.weekday()
        holidays = [day_index(calendar.start, d) for d in calendar.holidays]
        until = self.drain_limit

        def timeline(hours: Mapping[Weekday, str]) -> Timeline:
            return Timeline(Week.from_text(hours), first, holidays, until)

        self.calendar = timeline(calendar.opening_hours)
        self.working_hours_per_day = Week.from_text(calendar.opening_hours).hours / 7
        shifts = {name: timeline(hours) for name, hours in calendar.shifts.items()}
        shift_of = {m.index: m.shift for unit in self.org.units for m in unit.members}
        for name, shift in [("", self.calendar), *shifts.items()]:
            people = [e for e in self.employees if shift_of[e.index] == name]
            for employee in people:
                employee.shift = shift
            if people:
                # Before anything else at the same time: at 17:00 the office is closed.
                ShiftChanges(shift, people, partial(self.agenda.at, priority=HIGH), self.time)
        self._week_profile = arrival_weights(calendar.arrival_profile, first)
        self._rate_max = self._rate * max(self._week_profile or [1])

    def working_hours(self, start: float, end: float) -> float:
        """Working hours between two instants: the opening hours with a calendar, otherwise
        every hour of the clock."""
        if self.calendar is None:
            return end - start
        return self.calendar.hours_between(start, end)

    def customer_hours(self, start: float, end: float) -> float:
        """The hours a customer's satisfaction counts between two instants: working hours, or
        every elapsed hour of the calendar (`satisfaction.customer_clock`). Asked twice per
        request, so it answers without `working_hours` where the two clocks agree."""
        if self.calendar is None or self.config.satisfaction.customer_clock == "elapsed_hours":
            return end - start
        return self.calendar.hours_between(start, end)

    def _build_units(self, org: Organisation, kept: dict[tuple, Unit]) -> list[Unit]:
        """The units (and their managers) of a structure: those in `kept` (a reorganisation's
        units it leaves as they are, by `UnitSpec.key`) stay; employees join the new ones later."""
        self.org = org
        units = []
        for index, spec in enumerate(org.units):
            unit = kept.get(spec.key)
            if unit is None:
                unit = Unit(
                    index,
                    len(self.unit_names),
                    spec,
                    self.config,
                    self.help_index,
                    partial(Manager, self),
                )
                if unit.name in self.unit_names:
                    unit.name += f" (from day {int(self.time // self.hours_per_day)})"
                self.unit_names.append(unit.name)
            else:
                unit.index = index
                unit.apply(self.config)
            units.append(unit)
        self.units = units
        self.help_index.rebuild(units)
        return units

    def adjust(self, **overrides: float) -> None:
        """Change levers mid-run, from now on (``adjust(**{"policies.misrouting": 0.2})``):
        policies, the managers' support, and demand. What depends on the structure or the
        people cannot change this way (use a reorganisation event). Validated like a file;
        raises `ScenarioError` and changes nothing on a bad value."""
        config = self.config.with_overrides(overrides)
        self.config = config
        self._apply_policies()
        self._rate = config.demand.requests_per_day / config.run.hours_per_day
        self._rate_max = self._rate * max(self._hourly or [1]) * max(self._weekly or [1])
        self._rate_max *= max(self._week_profile or [1])
        for unit in self.units:
            unit.manager.support = config.managers.support

    def _apply_policies(self) -> None:
        """The policies in force, unit by unit (`Unit.apply`: behaviour under local metrics
        scales with 1 - w of the unit)."""
        self.dispatch_rule = self.config.policies.dispatch
        self.settings = EventSettings(self.config)
        """The scenario's numbers the events read, as compiled fields (`EventSettings`)."""
        for unit in self.units:
            unit.apply(self.config)
            unit.manager.plan_coordination()
        self.help_probability = max((u.help_probability for u in self.units), default=0.0)
        """The highest chance that anyone agrees to help: 0 switches help off."""
        self.help_index.activate(self.help_probability > 0)

    # The run -------------------------------------------------------------------------------------

    def collect(self) -> None:
        self.datacollector.collect(self)

    def end_day(self) -> None:
        """Event (each day boundary): managers review their people; ties fade; record the day."""
        now = self.time
        if now == 0.0:
            return
        counted = self.window[0] < now <= self.window[1]
        for unit in self.units:
            unit.manager.review_day(now, counted)
        decay = 1.0 - self.config.managers.tie_decay
        if decay != 1.0:
            for row in self.ties:  # in place: the same products as tie * decay, one by one
                row_values = np.frombuffer(row, dtype=np.float64)
                row_values *= decay
        burnout_days = self.config.people.burnout_days
        self.daily.append(
            {
                "day": now / self.hours_per_day - 1,
                "engagement_mean": sum([e.engagement for e in self.employees])
                / len(self.employees),
                "burnout_share": sum(e.low_days >= burnout_days for e in self.employees)
                / len(self.employees),
                "tie_density": _off_diagonal_mean(self.ties),
                "units": len(self.units),
            }
        )

    # Reorganisation ---------------------------------------------------------------------------

    def _schedule_next_reorganisation(self) -> None:
        event = next(self._reorganisations, None)
        if event is not None:
            self._next_event = event
            # After the day's last events and its review: the switch opens the new day.
            self.agenda.at(event.day * self.hours_per_day, self.reorganise, LOW)

    def reorganise(self) -> None:
        """Event: switch structure and/or policies, paying the transition's costs.

        The same people and the same open requests carry over, and a unit the new structure
        leaves as it is (same name, people and skills served) stays as it is: its queue, its
        manager, its books. The units that change are
        rebuilt: queued requests move to the queue where the new structure routes them and keep
        waiting; requests in transit arrive there; tasks under way finish with the same person,
        now a member of a new unit. People in a new unit are slower in their new role until
        they relearn it; everyone's engagement dips; help ties start again (or are carried over
        person to person with `reset_ties` false, exactly between units that stay).
        """
        event = self._next_event
        for employee in self.employees:
            employee.engagement = max(0.0, employee.engagement - event.engagement_dip)
        self.config = event_scenario(self.config, event)
        self._apply_policies()
        if event.structure is not None:
            self._restructure(event, self.time)
        for unit in self.units:
            unit.manager.take_stock()
        self._train(event, self.time)
        self._schedule_next_reorganisation()

    def _restructure(self, event: Reorganisation, now: float) -> None:
        org = build_units(self.config)
        before = self.units
        keys = {spec.key for spec in org.units}
        leaving = [u for u in before if u.spec.key not in keys]
        moved: list[Request] = []
        """Requests waiting in units that change, oldest customer first."""
        for unit in leaving:
            for request in unit.queue:
                request.queue_seq = -1
                moved.append(request)
        gone = set(leaving)
        for request in self.in_progress():
            if request.in_unit and before[request.unit] in gone:
                before[request.unit].leave(request, now)
        for unit in leaving:
            unit.close_books(now)
            unit.manager.retire()
        self.retired_units += leaving

        old_ties, old_index = self.ties, {u: u.index for u in before}
        old_unit = {employee.index: employee.unit.index for employee in self.employees}
        kept = {u.spec.key: u for u in before if u not in gone}
        units = self._build_units(org, kept)
        if event.reset_ties:  # every tie starts again
            start = self.config.managers.initial_tie
            self.ties = tie_rows([[start] * len(units) for _ in units])
        else:
            carried = carried_ties(
                old_ties, [[old_unit[p.index] for p in spec.members] for spec in org.units]
            )
            # Two units the switch keeps keep their tie exactly (a mean of equal ties may not be).
            self.ties = tie_rows(
                [
                    [
                        old_ties[old_index[a]][old_index[b]]
                        if a in old_index and b in old_index
                        else tie
                        for b, tie in zip(units, row, strict=True)
                    ]
                    for a, row in zip(units, carried, strict=True)
                ]
            )
        unit_of = {
            person.index: unit
            for unit, spec in zip(units, org.units, strict=True)
            for person in spec.members
        }
        movers = [e for e in self.employees if unit_of[e.index] is not e.unit]
        for employee in movers:
            employee.unit = unit_of[employee.index]
            employee.unit.members.append(employee)
            employee.role_slowdown = event.role_slowdown
            employee.role_tasks = 0
        # Who has been idle longest is still first in line in the new unit.
        idle_movers = [e for e in movers if e.activity == "idle"]
        for employee in sorted(idle_movers, key=attrgetter("idle_order")):
            employee.unit.roster.add(employee)

        in_service = {e.request: e for e in self.employees if e.request is not None}
        waiting = set(moved)
        for request in self.in_progress():
            request.home = self.org.home_for(request.home_pick)
            if request.branches:  # at a join, in no unit: it goes on from its last branch's
                continue
            old = before[request.unit]
            worker = in_service.get(request)
            if old not in gone:
                request.unit = old.index
            elif worker is not None:
                # Being worked on (or triaged): it is now in the worker's new unit.
                request.unit = worker.unit.index
                worker.unit.enter(now)
                request.in_unit = True
                request.visit_start = now
            elif request not in waiting:  # in transit: it arrives where it now belongs
                request.triage = False
                request.unit = self._route_again(request)
            if request.triage and request not in waiting:
                target = before[request.target]
                request.target = target.index if target not in gone else self._route_again(request)
        for request in moved:
            if request.triage:  # the wrong unit is gone: the wait so far was a handoff's
                waited = now - request.enqueued_at
                request.handoff_hours += waited
                request.patience_left = max(0.0, request.patience_left - waited)
                request.enqueued_at = now
                request.triage = False
            unit = self.units[self._route_again(request)]
            unit.enter(now)
            request.in_unit = True
            request.unit = unit.index
            request.visit_start = now
            self.dispatch(request, unit, now)  # still waiting: its patience clock runs on

    def _route_again(self, request: Request) -> int:
        """Where the new structure sends the task at hand."""
        skill = request.steps[request.step].skill
        return self.org.unit_for(skill, None, request.home, request.draw)

    def _train(self, event: Reorganisation, now: float) -> None:
        """Everyone trains for the change (`training_hours`), off the queue: at once if idle,
        else after the task at hand."""
        if event.training_hours > 0:
            for employee in self.employees:
                employee.attend(event.training_hours, "training", now)

    def _stop_waiting(self, request: Request, now: float) -> None:
        """Book the wait that ends now and stop the customer's patience clock."""
        waited = now - request.enqueued_at
        if request.abandon_event is not None:
            self.agenda.cancel(request.abandon_event)
            request.abandon_event = None
        left = request.patience_left - waited
        request.patience_left = left if left > 0.0 else 0.0  # max(0.0, left) without a call
        if request.triage:
            request.handoff_hours += waited
        else:
            request.queue_hours += waited

    def _advance_time(self, until: float) -> None:
        """Run every event up to `until`, the model's own (`self.agenda`) and Mesa's in one order.

        Mesa advances time through this one method (`run_until`, `run_for`, `step`); it is
        overridden to merge the two event lists by (time, priority), Mesa's first on a tie.
        Mesa's list holds its own step event and anything scheduled with `schedule_event`.
        `time` is Mesa's observable: while nobody observes it (checked on each call), the clock
        is set without the signalling machinery, which would cost more than many an event.
        The garbage collector's young passes are rarer meanwhile (`sim.collector`), whoever
        advances the clock (a run, the classroom's live models).
        """
        if until <= self.time:
            super()._advance_time(until)  # Mesa warns and returns
            return
        with rare_young_passes():
            self._run_events(until)

    def _run_events(self, until: float) -> None:
        observed = self._has_subscribers("time", ObservableSignals.CHANGED)
        agenda = self.agenda
        heap = agenda.heap
        mesa_heap = self._event_list._events  # Mesa's heap (private in Mesa 3.5.1, pinned)
        while True:
            while mesa_heap and mesa_heap[0].CANCELED:
                heappop(mesa_heap)
            mesa_next = mesa_heap[0] if mesa_heap and mesa_heap[0].time <= until else None
            bound = [until, math.inf] if mesa_next is None else [mesa_next.time, mesa_next.priority]
            size = len(mesa_heap)
            while heap and heap[0] < bound:
                time, _, _, callback = heappop(heap)
                if callback is cancelled:
                    agenda.stale -= 1
                    continue
                if observed:
                    self._set_clock(time)
                else:
                    self._time = time  # where Mesa's `time` keeps its value
                callback()
                if len(mesa_heap) != size:
                    break  # a handler used Mesa's scheduling: look at Mesa's list again
            else:
                if mesa_next is None:
                    break
                heappop(mesa_heap)
                self._set_clock(mesa_next.time)
                mesa_next.execute()
        self._set_clock(until)

    def _set_clock(self, time: float) -> None:
        """Set Mesa's clock through its observable (`mesa.Model.time`), which tells subscribers.

        By `setattr`, not `self.time = time`: compiled (mypyc, `setup.py`), an assignment in the
        class would give `OrgModel` a `time` slot of its own, which hides Mesa's observable, so
        `time` and the `_time` it keeps its value in would drift apart."""
        setattr(self, "time", time)  # noqa: B010 (see the docstring)

    def simulate(self, watch: Callable[[OrgModel], str | None] | None = None) -> None:
        """Run the arrivals' horizon, then drain until every request is closed (or the limit).

        `watch` (`sim.stability.BacklogWatch`) is asked at the end of every day of arrivals; a
        reason it gives stops the run at once (`stopped`), without a drain. The garbage
        collector's young passes stay rarer from start to end (`sim.collector`), not only while
        the clock moves."""
        with rare_young_passes():
            self._simulate(watch)

    def _simulate(self, watch: Callable[[OrgModel], str | None] | None) -> None:
        step = self.hours_per_day if watch is not None else self.horizon
        while self.time < self.horizon:
            self.run_until(min(self.time + step, self.horizon))
            if watch is not None and (reason := watch(self)) is not None:
                self.stopped = reason  # measurements end here; the open requests stay open
                self.window = (self.window[0], self.time)
                self.drained = False
                for employee in self.employees:
                    employee.stop(self.time)
                for unit in self.units:
                    unit.close_books(self.time)
                return
        while self.open and self.time < self.drain_limit:
            self.run_until(min(self.time + self.hours_per_day, self.drain_limit))
        self.drained = not self.open
        for unit in self.units:
            unit.close_books(self.time)

    # Demand -------------------------------------------------------------------------------------

    def _rate_now(self, now: float) -> float:
        rate = self._rate
        if self._hourly:
            rate *= self._hourly[int(now % self.hours_per_day) % len(self._hourly)]
        if self._weekly:
            rate *= self._weekly[int(now // self.hours_per_day) % len(self._weekly)]
        if self._week_profile:
            rate *= self._week_profile[int(now) % len(self._week_profile)]
        return rate

    def arrive(self) -> None:
        """Event: a customer arrives (Poisson; profiles by thinning). Schedules the next one.

        Every candidate arrival takes the next customer of `self.customers`, whatever happens
        to it, so the same seed brings the same customers to every organisation."""
        now = self._time  # Mesa's clock, read without its observable's descriptor
        if now >= self.horizon:
            return
        (_, thinning, type_pick, patience, noise, home_pick), sizes, draws = self._next_customer
        self._next_customer = following = self.customers.next()
        self.agenda.at(now + following[0][0] / self._rate_max, self.arrive)
        if self._hourly or self._weekly or self._week_profile:
            rate = self._rate_now(now)
            if rate < self._rate_max and thinning * self._rate_max >= rate:
                return
        types = self._request_types
        cumulative = self._type_cumulative
        type_index = bisect_right(cumulative, type_pick * cumulative[-1])
        if type_index >= len(types):  # a rounding error in the last cumulative share
            type_index = len(types) - 1
        rtype = types[type_index]
        steps = self.type_steps[type_index]
        counted = now >= self.window[0]
        request_id = self._ids
        self._ids = request_id + 1
        request = Request(
            self,
            request_id,
            type_index,
            rtype,
            sizes[: len(steps)],
            patience / self._patience_rate if self._patience_rate else math.inf,
            noise,
            counted,
            now,
            draws,
            home_pick,
            self.org,
        )
        slow_share = rtype.slow_case_share
        if slow_share < 1.0:
            self._draw_slow(request, slow_share)
        self.open[request] = None
        self.arrived += 1
        self.arrived_counted += counted
        if steps[0].group is not None:
            self._fork(request, now, arriving=True)
            return
        self.enter_unit(request, request.unit, now)

    def _redraw_size(self, request: Request) -> float:
        """A new work size for a task done again, from the request's own stream."""
        if self._work_kind == "deterministic":
            return 1.0
        return work_size(self._work_kind, self._log_sigma, request.draw(), request.draw())

    # Dispatch ----------------------------------------------------------------------------------

    def enter_unit(
        self,
        request: Request,
        unit_index: int,
        now: float,
        prefer: Employee | None = None,
        since: float | None = None,
    ) -> None:
        """A request joins a unit: the best idle eligible member starts it, or it queues. A
        team that delays starting a step (`_start_delay`) takes it in only after the delay;
        the customer waited `since` then (booked as queue time)."""
        if since is None and self._start_delays:
            delay = self._start_delay(request)
            if delay > 0:
                request.unit = unit_index  # travelling there: a reorganisation re-routes it
                self.agenda.at(now + delay, partial(self._enter_after_delay, request, now))
                return
        unit = self.units[unit_index]
        unit.enter(now)
        request.in_unit = True
        request.unit = unit_index
        request.via_handoff = request.after_handoff
        request.visit_start = now
        request.enqueued_at = now if since is None else since
        self.dispatch(request, unit, now, prefer)

    @staticmethod
    def _draw_slow(request: Request, share: float) -> None:
        """Whether a new request is one of its type's slow cases (`slow_case_share`, one draw
        of its stream; none at the neutral 1): a slow case takes its type's start delays,
        handoff delays and failed first contacts `1 / share` times as often or as long, a quick
        case none, so the averages stay those of the scenario."""
        request.slow = 1.0 / share if request.draw() < share else 0.0

    def _start_delay(self, request: Request) -> float:
        """Hours before the first team takes up a new case: with the probability of its
        group's `start_delay_share`, an exponential wait of mean `start_delay_hours` (work that
        waits unseen: batching, other systems, the team's own priorities). Later steps wait
        for their handoff instead (`policies.handoff_delay_hours`; the calibration fits the
        two together, `sim calibrate --start-delays`). Drawn once: a callback waits no more.
        No draw where the share is 0."""
        if request.triage or request.step != 0 or request.delay_step == 0:
            return 0.0
        request.delay_step = request.step
        share, mean = self._start_delays.get(request.steps[request.step].skill, (0.0, 0.0))
        if request.slow != 1.0:
            share = min(1.0, share * request.slow)
        if share <= 0:
            return 0.0
        u = request.draw()
        return exponential(mean, u / share) if u < share else 0.0

    def _enter_after_delay(self, request: Request, since: float) -> None:
        if request.dropped:
            return
        now = self.time
        request.patience_left = max(0.0, request.patience_left - (now - since))
        self.enter_unit(request, request.unit, now, since=since)

    def dispatch(
        self, request: Request, unit: Unit, now: float, prefer: Employee | None = None
    ) -> None:
        skill = request.skill
        employee = unit.best_idle(skill, prefer)
        if employee is not None and unit.reserve and unit.kept_for(employee, skill):
            employee = None if skill is None else unit.best_unreserved(skill)
        if employee is not None:
            employee.start(request, now)
            return
        if self.help_probability > 0 and skill is not None:
            helper = self._idle_helper(unit, skill)
            if helper is not None:
                request.helped += 1
                helper.start(request, now, helping=True)
                return
        seq = self._seq
        self._seq = seq + 1
        unit.enqueue(request, seq)
        if request.patience_left < math.inf and request.abandon_event is None:
            request.abandon_event = self.agenda.at(now + request.patience_left, request.give_up)

    def _idle_helper(self, unit: Unit, skill: str) -> Employee | None:
        """An idle employee of another unit who can do `skill` and is willing to help (`unit`
        has nobody idle who can: the most proficient elsewhere is asked)."""
        best = self.help_index.best_idle(skill)
        if best is not None and best.unit.reserve and best.unit.kept_for(best, skill):
            return None  # the best helper is kept for a rare skill at home
        if best is not None and best.stream.random() < self._help_chance(unit, best.unit):
            self.strengthen_tie(unit, best.unit, self.settings.tie_use_gain)
            return best
        return None

    def _help_chance(self, unit: Unit, helper_unit: Unit) -> float:
        """Help follows help ties: weak ties between units mean little help (silos)."""
        weight = self.settings.tie_weight
        tie = self.ties[unit.index][helper_unit.index]
        return helper_unit.help_probability * (1.0 - weight + weight * tie)

    def strengthen_tie(self, a: Unit, b: Unit, gain: float) -> None:
        if gain > 0 and a is not b:
            tie = self.ties[a.index][b.index]
            tie += gain * (1.0 - tie)
            self.ties[a.index][b.index] = self.ties[b.index][a.index] = tie

    def assign_work(self, employee: Employee, now: float) -> None:
        """A freed employee takes work from their own queue first, then may help elsewhere."""
        unit = employee.unit
        picking = unit.cherry_picking
        shortest = picking > 0 and employee.stream.random() < picking
        settings = self.settings
        triage_hours = settings.misrouting_triage_hours
        kept = unit.kept_for(employee, None) if unit.reserve else ()
        if kept:  # among the last idle people able to do a rare skill: only its work
            request = unit.queue.take((kept,), False, shortest, triage_hours)
            if request is not None:
                employee.start(request, now)
            return
        request = unit.take(employee, shortest, triage_hours) if unit.queue.length else None
        if request is not None:
            employee.start(request, now)
            return
        if unit.help_probability <= 0:
            return
        # Nothing here for them: the other unit with work they can do that the help rule picks.
        rule = settings.help_target
        if rule == "longest_queue":
            busiest = self.help_index.busiest_for(employee)
        else:
            busiest = self._help_target(employee, rule)
        if busiest is None:
            return
        if employee.stream.random() < self._help_chance(busiest, unit):
            request = busiest.take(employee, shortest, triage_hours, helping=True)
            if request is not None:
                request.helped += 1
                self.strengthen_tie(busiest, unit, settings.tie_use_gain)
                employee.start(request, now, helping=True)

    def _help_target(self, employee: Employee, rule: str) -> Unit | None:
        """The other unit a freed employee offers help to under `policies.help_target`'s
        "strongest_tie" (ties: the longer queue, then the first unit) or "random" (uniform, one
        draw of their stream when there are several), among those with waiting work they can
        do. A scan of the units: only these rules pay for it (the default uses the index)."""
        able = [
            u
            for u in self.units
            if u is not employee.unit and u.queue.has_work_for(employee.proficiency)
        ]
        if not able:
            return None
        if rule == "random" and len(able) > 1:
            return able[int(employee.stream.random() * len(able))]
        ties = self.ties[employee.unit.index]
        return max(able, key=lambda u: (ties[u.index], u.queue.length, -u.index))

    def begin_work(self, employee: Employee, request: Request, now: float) -> None:
        """Book the wait that ends now, stop the customer's patience clock, note the contact
        (a parallel task's contact is the customer's: on the request it belongs to)."""
        self._stop_waiting(request, now)
        if request.triage:
            return
        case = request.parent or request
        if not case.contacts:
            case.first_wait = self.customer_hours(case.arrived, now)
        case.contacts += 1
        case.warmth_sum += employee.warmth
        case.touched.append(employee)

    # Task outcomes and flow --------------------------------------------------------------------

    def complete_task(
        self, employee: Employee, request: Request, started: float, right: bool, now: float
    ) -> None:
        """Decide what happens to a request once a task (or a triage) ends."""
        if request.dropped:  # a parallel task of a request whose customer gave up: work lost
            employee.transferring = False
            if self.events is not None:
                self.events.add(request, employee, employee.unit, started, now, right)
            return
        unit = self.units[request.unit]
        if self.events is not None:
            self.events.add(request, employee, unit, started, now, right)
        if request.triage:
            request.handoff_hours += now - started
            request.triage = False
            unit.leave(request, now)
            self.hand_off(request, request.target, now, may_misroute=False)
            return
        if employee.transferring:
            # Local metrics: a hard task is passed on; it comes back after a detour.
            employee.transferring = False
            request.transfers += 1
            request.handoff_hours += now - started
            unit.leave(request, now)
            self.hand_off(request, request.unit, now, detour=True)
            return
        request.work_hours += now - started
        if not right:
            unit.leave(request, now)
            request.repeats += 1
            request.sizes[request.step] = self._redraw_size(request)
            mean = self.settings.callback_delay_hours
            delay = exponential(mean, request.draw()) if mean > 0 else 0.0
            request.callback_hours += delay
            if delay > 0:
                self.agenda.at(now + delay, request.call_back)
            else:
                self.enter_unit(request, request.unit, now)
            return
        request.step += 1
        if request.parent is not None:
            unit.leave(request, now)
            self._join(request, now, employee)
            return
        if request.step == len(request.steps):
            unit.leave(request, now)
            self.close(request, False, now)
            return
        self._next_step(request, unit, now, employee)

    def _next_step(
        self, request: Request, unit: Unit | None, now: float, employee: Employee | None
    ) -> None:
        """Send the request on to its next step from `unit` (None: from no unit, at a join):
        the same unit's queue, a handoff, or a fork into parallel tasks."""
        task = request.steps[request.step]
        if task.group is not None:
            if unit is not None:
                unit.leave(request, now)
            self._fork(request, now)
            return
        destination = self.org.unit_for(task.skill, request.unit, request.home, request.draw)
        if destination != request.unit:
            if unit is not None:
                unit.leave(request, now)
            self.hand_off(request, destination, now)
        elif unit is not None:
            request.enqueued_at = now
            self.dispatch(request, unit, now, prefer=employee)
        else:
            self.enter_unit(request, destination, now, prefer=employee)

    # Swarming: fork and join -------------------------------------------------------------------

    def _fork(self, request: Request, now: float, arriving: bool = False) -> None:
        """The request's next step is a parallel group (`Task.group`): each task becomes a
        branch, routed from where the request is as a task would be (kept in a team that has
        the skill, handed off to the department that owns it; at arrival, straight to where
        it goes), so teams and departments both receive the branches at once."""
        start = request.step
        end = next(e for s, e in request.rtype.stages() if s == start)
        request.step = end  # where the request goes on after the join
        current = None if arriving else request.unit
        for step in range(start, end):
            branch = request.branch(step, current)
            request.branches.append(branch)
            destination = branch.unit
            if current is None or destination == current:
                self.enter_unit(branch, destination, now)
            else:
                branch.unit = current  # handed off from where the request is
                self.hand_off(branch, destination, now)

    def _join(self, branch: Request, now: float, employee: Employee) -> None:
        """A parallel task is done. The request goes on from the unit of its last branch,
        the critical path: that branch's queue, work, handoff and callback hours since the fork
        are the customer's (they add up to the time since the fork)."""
        request = branch.parent
        assert request is not None
        request.branches.remove(branch)
        _merge(request, branch, critical=not request.branches)
        if request.branches:
            return
        request.unit = branch.unit
        if request.step == len(request.steps):
            self.close(request, False, now)
        else:
            self._next_step(request, None, now, employee)

    def in_progress(self) -> Iterator[Request]:
        """Every open request and every parallel task under way (a request at a join waits,
        in no unit, for its branches)."""
        for request in self.open:
            yield request
            yield from request.branches

    def hand_off(
        self,
        request: Request,
        destination: int,
        now: float,
        may_misroute: bool = True,
        detour: bool = False,
    ) -> None:
        """Transfer a request to another unit: delay, information loss, maybe a wrong unit.

        Tied units lose less information and misroute less. A `detour` (a task transferred out)
        always goes to a wrong unit first, which sends it back to `destination`.
        """
        p = self.settings
        source = request.unit
        tie = self.ties[source][destination] if source != destination else 1.0
        benefit = 1.0 - p.tie_handoff_benefit * tie
        request.handoffs += 1
        request.after_handoff = True
        request.info_loss = p.handoff_info_loss * benefit
        if detour or (
            may_misroute
            and p.misrouting > 0
            and len(self.units) >= p.misrouting_min_units
            and request.draw() < p.misrouting * benefit
        ):
            request.misroutes += not detour
            request.triage = True
            request.target = destination
            destination = self._wrong_unit(destination, source, request.draw())
        request.unit = destination
        mean = p.handoff_delay_hours * request.slow
        delay = exponential(mean, request.draw()) if mean > 0 else 0.0
        request.handoff_hours += delay
        if delay > 0:
            self.agenda.at(now + delay, request.arrive_after_handoff)
        else:
            self.enter_unit(request, destination, now)

    def _wrong_unit(self, destination: int, source: int, pick: float) -> int:
        """A unit other than the destination and the source, uniformly (any unit other than
        the destination when there is no third one); `pick` is uniform in [0, 1)."""
        excluded = sorted({destination, source})
        if len(self.units) - len(excluded) < 1:
            excluded = [destination]
        index = int(pick * (len(self.units) - len(excluded)))
        for skipped in excluded:  # the index-th unit of those left, in order
            index += index >= skipped
        return index

    def abandon(self, request: Request) -> None:
        """The customer gives up while queued."""
        now = self.time
        unit = self.units[request.unit]
        unit.remove(request)
        unit.leave(request, now)
        request.abandon_event = None
        self._stop_waiting(request, now)
        if request.parent is not None:
            self._give_up_all(request, now)
            return
        self.close(request, True, now)

    def _give_up_all(self, branch: Request, now: float) -> None:
        """A customer who gives up waiting for one parallel task gives up the whole request:
        the other branches leave their queues and units at once (work under way is finished
        and lost; one in transit or due back never arrives)."""
        request = branch.parent
        assert request is not None
        request.branches.remove(branch)
        _merge(request, branch, critical=True)
        for other in request.branches:
            other.dropped = True
            if other.in_unit:
                unit = self.units[other.unit]
                if other.queue_seq >= 0:
                    unit.remove(other)
                    self._stop_waiting(other, now)
                unit.leave(other, now)
            _merge(request, other, critical=False)
        request.branches = []
        request.unit = branch.unit
        self.close(request, True, now)

    def close(self, request: Request, abandoned: bool, now: float) -> None:
        del self.open[request]
        settings = self.settings
        feedback = settings.feedback_gain > 0
        if request.counted:
            if abandoned:
                self.abandoned_counted += 1
            else:
                self.resolved_counted += 1
        if request.counted or feedback:
            warmth = request.warmth_sum / request.contacts if request.contacts else 0.0
            if request.repeats:
                warmth *= settings.repeat_warmth_kept
            felt = settings.pre_service_wait_weight - 1.0
            csat = settings.scoring.score(
                resolution_hours=self.customer_hours(request.arrived, now)
                + felt * request.first_wait,
                expected_hours=request.rtype.expected_hours,
                handoffs=request.handoffs,
                repeat_contacts=request.repeats,
                warmth=warmth,
                noise=request.noise,
                abandoned=abandoned,
            )
            if feedback:  # what people hear moves their engagement only with a feedback gain
                for employee in request.touched:
                    employee.hear(csat)
            if request.counted:
                self.requests.add(request, now, abandoned, csat, self.units[request.unit].uid)


def _merge(request: Request, branch: Request, critical: bool) -> None:
    """Add a finished (or dropped) branch's counts to its request: every handoff, repeat,
    misroute, transfer and help happened to the customer. Only the `critical` branch (the last
    to finish, or the one the customer gave up in) adds its hours: the customer waited for the
    parallel tasks at once, so the time since the fork is that branch's time."""
    request.handoffs += branch.handoffs
    request.transfers += branch.transfers
    request.misroutes += branch.misroutes
    request.repeats += branch.repeats
    request.helped += branch.helped
    request.patience_left = min(request.patience_left, branch.patience_left)
    if critical:
        request.queue_hours += branch.queue_hours
        request.work_hours += branch.work_hours
        request.handoff_hours += branch.handoff_hours
        request.callback_hours += branch.callback_hours


def tie_rows(rows: list[list[float]]) -> list[array[float]]:
    """The tie table as rows of machine doubles (`array`), not lists of float objects.

    A large organisation has units² ties (250,000 at 500 units). As lists, each tie is a float
    object of its own, scattered over 8 MB and allocated anew for every tie by each day's decay;
    every handoff and help request reads one, far from the last. As arrays they take 2 MB, a
    day's decay multiplies them in place (`OrgModel.end_day`), and reading one reaches one
    row's buffer: at 500 units about 7 % fewer misses of a 1 MiB cache per request (callgrind,
    one simulated day of the functional preset x100). Same values: ``ties[a][b]`` reads and writes
    Python floats, and a double multiplied in place is the float ``tie * decay`` would be."""
    return [array("d", row) for row in rows]


def carried_ties(
    old_ties: Sequence[Sequence[float]], origins: list[list[int]]
) -> list[list[float]]:
    """Help ties between new units, carried over person to person (`reset_ties = false`).

    `origins[a]` lists the old unit of each member of new unit a. The tie between new units a and
    b is the mean, over every pair of a member of a and a member of b, of the tie between their
    old units, counting two former colleagues of one unit as fully tied. Units that keep their
    members keep their ties exactly (a structure switch that changes nothing changes no tie).
    """
    n_old = len(old_ties)
    counts = []
    for members in origins:
        row = [0] * n_old
        for old in members:
            row[old] += 1
        counts.append(row)
    ties = [[1.0] * len(origins) for _ in origins]
    for a, ca in enumerate(counts):
        for b in range(a + 1, len(counts)):
            cb = counts[b]
            pairs = sum(ca) * sum(cb)
            total = sum(
                [
                    ca[u] * cb[v] * (1.0 if u == v else old_ties[u][v])
                    for u in range(n_old)
                    if ca[u]
                    for v in range(n_old)
                    if cb[v]
                ]
            )
            ties[a][b] = ties[b][a] = total / pairs if pairs else 0.0
    return ties


def _off_diagonal_mean(ties: list[array[float]]) -> float:
    """Mean help tie between two different units, summed row by row (NaN with one unit)."""
    n = len(ties)
    if n < 2:
        return math.nan
    return sum(chain.from_iterable(row[:i] + row[i + 1 :] for i, row in enumerate(ties))) / (
        n * (n - 1)
    )


def _normalised(profile: list[float]) -> list[float]:
    """Relative weights rescaled to mean 1, so profiles shape demand without changing it."""
    if not profile:
        return []
    mean = sum(profile) / len(profile)
    if not 0 < mean < math.inf:  # weights near the float limits: scale them to the peak first
        peak = max(profile)
        profile = [v / peak for v in profile]
        mean = sum(profile) / len(profile)
    return [v / mean for v in profile]
