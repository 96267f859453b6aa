"""The people: employees who work on requests, and managers who look after a unit.

Agents decide how they work (how long a task takes them, whether it is done right), how they
change (engagement, learning, forgetting) and, for managers, whom they bring together; the
model decides where work flows (dispatch, handoffs, callbacks).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

import mesa

from sim.scenario import Managers, People
from sim.streams import ABSENCE, MANAGERS, PEOPLE, exponential, own_stream
from sim.structure import EmployeeSpec

if TYPE_CHECKING:
    import random

    from sim.agenda import Repeat
    from sim.calendar import Timeline
    from sim.model import OrgModel
    from sim.request import Request
    from sim.unit import Unit


def learning_curve(gap: float, practice: float, learning_rate: float) -> float:
    """What is left of `gap` after `practice` repetitions: each doubling multiplies it by the
    learning rate r (Wright 1936: T_n = T_inf + (T_1 - T_inf) n^log2(r))."""
    return gap * (practice + 1.0) ** math.log2(learning_rate)


class Employee(mesa.Agent):
    """A person with skills (substance expertise), customer orientation and engagement."""

    model: OrgModel

    def __init__(self, model: OrgModel, spec: EmployeeSpec, unit: Unit):
        super().__init__(model)
        self.index = spec.index
        self.stream = own_stream(model.seed, PEOPLE, spec.index)
        """This person's own random stream: their choices (cherry-picking, agreeing to help)."""
        self.absence_stream: random.Random | None = None
        """Their whole-day absences, a stream of its own (made when absence is first possible),
        so that switching absence on leaves every other draw where it was."""
        self.unit = unit
        self.skill = spec.skill
        self.base_proficiency = dict(spec.proficiency)
        """Proficiency with no practice yet; learning closes the gap to 1, forgetting reopens it."""
        self.proficiency = dict(spec.proficiency)
        self.full_skills = tuple(k for k, v in spec.proficiency.items() if v >= 1.0)
        """Skills at full proficiency from the start: they stay there (nothing to learn)."""
        self.partial_skills = tuple(k for k, v in spec.proficiency.items() if v < 1.0)
        others = tuple(k for k in spec.proficiency if k != spec.skill)
        self._primary_tiers = ((spec.skill,), others) if others else ((spec.skill,),)
        self.practice = dict.fromkeys(self.partial_skills, 0.0)
        """Practice in each skill that can still be learnt."""
        self.idle_order = -1
        """When this person became idle, in their unit's order (`Roster`); -1 while busy."""
        self.customer_orientation = spec.customer_orientation
        self.baseline_engagement = spec.baseline_engagement
        """Where engagement starts and what recovery pulls it back to (not where it settles:
        support, feedback, overload and rework move the equilibrium, see `end_day`)."""
        self.engagement = spec.baseline_engagement
        self.hourly_cost = spec.hourly_cost
        self.request: Request | None = None
        self.activity = "idle"
        """idle, working, helping, encounter, training, coordination or off duty: what a
        trainer's dashboard shows."""
        self.off_duty = 0
        """Reasons to be off duty now (a shift over, an absence); on duty when there are none."""
        self.absence = ""
        """"planned" or "sick" while away for whole days (`absent_or_back`), "vacant" while the
        post waits for a new hire after this person left (`resign`), else empty."""
        self.vacant_days = 0.0
        """Working days until the post is filled again (while vacant)."""
        self.shift: Timeline | None = None
        """When the person is on duty (with a calendar; None: always)."""
        self.started = 0.0
        self.right_first_time = True
        self.transferring = False
        self.role_slowdown = 1.0
        self.role_tasks = 0
        self.owed: list[tuple[float, str]] = []
        self.meeting = (0.0, "")
        """Encounters and training waiting for the end of the task at hand."""
        self.busy_hours = 0.0
        """Hours busy (tasks, encounters, training) inside the measurement window."""
        # The day so far, for the daily review.
        self.day_start = 0.0
        self.busy_today = 0.0
        self.tasks_today = 0
        self.rework_today = 0
        self.feedback_sum = 0.0
        self.feedback_count = 0
        self.load = 0.0
        """Busy share, smoothed over about five days (sustained load)."""
        self.overload = 0.0
        self.low_days = 0
        self.burnt_out = False
        """Engagement stayed below the burnout threshold for `burnout_days` in the window."""
        unit.members.append(self)
        unit.roster.add(self)

    @property
    def warmth(self) -> float:
        """What a customer feels: customer orientation x engagement, less when overloaded."""
        loss = self.model.settings.busy_warmth_loss * self.overload
        return self.customer_orientation * self.engagement * (1.0 - loss)

    # Work ----------------------------------------------------------------------------------

    def work_tiers(self) -> tuple[tuple[str, ...], ...]:
        """The skills this person looks at when freed, group by group (`policies.dispatch`).

        - ``primary_first``: their primary skill, then the others (what skill-based routers do:
          a specialist serves their speciality while it has work waiting);
        - ``fastest``: by current proficiency, highest first: where this person's resolution
          probability x speed (p x mu) is highest (de Véricourt & Zhou 2005); learning moves a
          secondary skill up;
        - ``oldest``: every skill alike (the oldest customer the person can serve).
        """
        rule = self.model.dispatch_rule
        if rule == "primary_first":
            return self._primary_tiers
        if rule == "oldest":
            return (tuple(self.proficiency),)
        levels = self.proficiency
        order = sorted(set(levels.values()), reverse=True)
        return tuple(tuple(k for k, v in levels.items() if v == level) for level in order)

    def start(self, request: Request, now: float, helping: bool = False) -> None:
        """Take `request` and schedule the end of its task."""
        model = self.model
        self.unit.roster.remove(self)
        self.request = request
        self.activity = "helping" if helping else "working"
        self.started = now
        model.begin_work(self, request, now)
        hours, self.right_first_time = self.plan(request)
        model.agenda.at(now + hours, self.finish)

    def plan(self, request: Request) -> tuple[float, bool]:
        """How long the task will take this person, and whether it will be done right.

        Work = mean hours x the customer's work size / proficiency, longer after a handoff
        (information loss), with low engagement, in a new role and in a loafing shared queue
        (coordination is time off the queue, not a longer task). Right first time rises with
        proficiency and engagement. Under local metrics a hard task may be transferred out.
        """
        model = self.model
        p = model.settings
        if request.triage:
            mean = p.misrouting_triage_hours
            return (exponential(mean, request.draw()) if mean > 0 else 0.0), True
        task = request.steps[request.step]
        size = request.sizes[request.step]
        if (
            self.unit.transfer_out
            and size >= p.hard_task_threshold
            and len(model.units) > 1
            and request.draw() < self.unit.transfer_out
        ):
            self.transferring = True
            mean = p.misrouting_triage_hours
            return (exponential(mean, request.draw()) if mean > 0 else 0.0), True
        level = self.proficiency[task.skill]
        hours = size * task.hours / level
        if request.after_handoff:
            hours *= 1 + request.info_loss
            request.after_handoff = False
        sluggish = p.engagement_effect * (1 - self.engagement)
        hours *= (1 + sluggish) * self.unit.work_factor
        if self.role_slowdown > 1.0:
            rate = p.learning_rate
            hours *= 1.0 + learning_curve(self.role_slowdown - 1.0, self.role_tasks, rate)
        closure = self.unit.premature_closure
        if closure and request.draw() < closure:
            return hours * p.premature_closure_work_share, False
        fcr = task.first_contact_resolution
        p_right = p.first_contact_resolution if fcr is None else fcr
        p_right *= level**p.proficiency_quality_exponent
        p_right *= 1 - sluggish
        if request.slow == 0.0:
            p_right = 1.0  # a quick case fails none of its type's first contacts
        elif request.slow != 1.0:
            # A slow case fails with `slow` times the type's odds, so the failures per task
            # stay the type's on average.
            p_right = p_right / (p_right + (1.0 - p_right) * request.slow)
        return hours, p_right >= 1.0 or request.draw() < p_right

    def finish(self) -> None:
        """Event: the task at hand is done. Hand the request on, then find the next thing."""
        model = self.model
        request = self.request
        assert request is not None
        now = model._time  # Mesa's clock, read without its observable's descriptor
        self._book_busy(now)
        # Typed as it may be again after `complete_task`, which can hand this person the next
        # task: narrowed to None, a compiled build (mypyc) would reject the read below.
        self.request = cast("Request | None", None)
        self.activity = "off duty" if self.off_duty else "idle"
        if not request.triage and not self.transferring:
            skill = request.steps[request.step].skill
            self.tasks_today += 1
            self.rework_today += not self.right_first_time
            self.role_tasks += 1
            if skill in self.practice:
                self.practise(skill, 1.0)
        if not self.off_duty:
            self.unit.roster.add(self)
        model.complete_task(self, request, self.started, self.right_first_time, now)
        if self.request is None and not self.off_duty:
            self.next_step(now)

    def next_step(self, now: float) -> None:
        """Owed encounters and training first, then work."""
        if self.owed:
            hours, kind = self.owed.pop(0)
            self._meet(hours, kind, now)
        else:
            self.model.assign_work(self, now)

    def stop(self, now: float) -> None:
        """The run stops now (`OrgModel.simulate`'s early stop): the work under way counts as
        busy up to now, as it would have at its end."""
        if self.activity != "idle":
            self._book_busy(now)

    def _book_busy(self, now: float) -> None:
        # max(0, min(now, high) - max(started, low)) and now - max(started, day_start), spelt
        # out: builtin min and max cost more than the booking itself, at every task's end.
        started = self.started
        low, high = self.model.window
        busy = (high if high < now else now) - (low if low > started else started)
        self.busy_hours += busy if busy > 0.0 else 0.0
        day_start = self.day_start
        self.busy_today += now - (day_start if day_start > started else started)

    # Duty ---------------------------------------------------------------------------------

    def go_off_duty(self, now: float) -> None:
        """Stop taking work (a shift ends, an absence starts): at once when idle, otherwise
        after the task or meeting at hand, which is finished rather than dropped. Reasons add
        up: the person is back when each of them is over."""
        self.off_duty += 1
        if self.off_duty == 1 and self.activity == "idle":
            self.unit.roster.remove(self)
            self.activity = "off duty"

    def come_on_duty(self, now: float) -> None:
        """One reason to be away is over; with none left, take owed meetings, then work."""
        self.off_duty -= 1
        if self.off_duty == 0 and self.activity == "off duty":
            self.activity = "idle"
            self.unit.roster.add(self)
            self.next_step(now)

    # Time off the queue: encounters, training, coordination ---------------------------------

    def attend(self, hours: float, kind: str, now: float) -> None:
        """Join an encounter, a training session or the unit's coordination now if idle, else
        after the task at hand."""
        if self.activity == "idle":
            self._meet(hours, kind, now)
        else:
            self.owed.append((hours, kind))

    def _meet(self, hours: float, kind: str, now: float) -> None:
        self.unit.roster.remove(self)
        self.activity = kind
        self.started = now
        self.meeting = (hours, kind)
        self.model.agenda.at(now + hours, self.end_meeting)

    def end_meeting(self) -> None:
        """Event: an encounter or training session is over."""
        now = self.model._time  # Mesa's clock, read without its observable's descriptor
        self._book_busy(now)
        hours, kind = self.meeting
        if kind == "training":
            weakest = min(self.proficiency, key=self.proficiency.__getitem__)
            self.practise(weakest, hours * self.model.config.people.training_practice_per_hour)
        if self.off_duty:
            self.activity = "off duty"
            return
        self.activity = "idle"
        self.unit.roster.add(self)
        self.next_step(now)

    # Learning, forgetting, engagement ---------------------------------------------------------

    def practise(self, skill: str, amount: float) -> None:
        """Practice closes the gap to full proficiency (skills already there have none)."""
        if skill in self.practice:
            self.practice[skill] += amount
            self._refresh(skill)

    def _refresh(self, skill: str) -> None:
        gap = learning_curve(
            1.0 - self.base_proficiency[skill], self.practice[skill], self.model.learning_rate
        )
        self.proficiency[skill] = 1.0 - gap

    def forget(self, share: float) -> None:
        """Practice depreciates (Argote et al. 1990); proficiency drifts back to its base."""
        if not self.practice:
            return
        before = dict(self.proficiency) if self.activity == "idle" else None
        for skill in self.practice:
            self.practice[skill] *= 1.0 - share
            self._refresh(skill)
        if before is not None:
            self.unit.roster.relevel(self, before)

    def end_day(self, now: float, support: float, counted: bool) -> None:
        """The daily review: engagement moves with support, feedback, overload and rework."""
        people = self.model.config.people
        hours = self.model.hours_per_day
        if self.shift is not None:
            hours = self.shift.hours_between(self.day_start, now)
            if hours <= 0:
                return  # a day off: the next working day's review covers it
        if self.activity not in ("idle", "off duty"):
            self.busy_today += now - max(self.started, self.day_start)
        self.absent_or_back(people, now)
        today = people.load_smoothing
        self.load = (1.0 - today) * self.load + today * min(1.0, self.busy_today / hours)
        threshold = people.overload_threshold
        excess = self.load - threshold
        self.overload = max(0.0, excess / (1.0 - threshold)) if threshold < 1 else 0.0
        rework = self.rework_today / self.tasks_today if self.tasks_today else 0.0
        feedback = 0.0
        if self.feedback_count:
            mean_score = self.feedback_sum / self.feedback_count
            feedback = (mean_score - people.feedback_neutral_score) / 2.0
        weight = self.unit.metric_weight
        change = (
            people.engagement_recovery * (self.baseline_engagement - self.engagement)
            + people.support_gain * support
            + people.feedback_gain * weight * feedback
            - people.overload_loss * self.overload
            - people.rework_loss * rework
        )
        self.engagement = min(1.0, max(0.0, self.engagement + change))
        self.low_days = self.low_days + 1 if self.engagement < people.burnout_threshold else 0
        if counted and self.low_days >= people.burnout_days:
            self.burnt_out = True
        if people.forgetting:
            self.forget(people.forgetting)
        if people.cross_training_hours_per_week and len(self.base_proficiency) > 1:
            self.attend(
                people.cross_training_hours_per_week / self.model.config.run.days_per_week,
                "training",
                now,
            )
        self.day_start = now
        self.busy_today = 0.0
        self.tasks_today = self.rework_today = self.feedback_count = 0
        self.feedback_sum = 0.0

    def absent_or_back(self, people: People, now: float) -> None:
        """Whole-day absence, decided at each working day's end for the next: back with chance
        1 / mean spell length; otherwise away on planned absence or sick with the chances that
        make `planned_absence` and `sickness_absence` the long-run shares of days away, plus
        `burnout_sickness` while burning out. Uses the same off-duty hours as a shift's end.
        Draws from the absence stream only while some absence is possible. A burning-out person
        who does not go away may resign (`burnout_quit`), a second draw; a vacant post counts
        down to its new hire."""
        if self.absence == "vacant":
            self.vacant_days -= 1.0
            if self.vacant_days <= 0.0:
                self.hire(people, now)
            return
        burning_out = self.low_days >= people.burnout_days
        sick_extra = people.burnout_sickness if burning_out else 0.0
        quit = people.burnout_quit if burning_out else 0.0
        if not (
            people.planned_absence or people.sickness_absence or sick_extra or quit or self.absence
        ):
            return
        if self.absence_stream is None:
            self.absence_stream = own_stream(self.model.seed, ABSENCE, self.index)
        u = self.absence_stream.random()
        if self.absence:
            days = (
                people.planned_absence_days if self.absence == "planned" else people.sickness_days
            )
            if u < 1.0 / days:
                self.absence = ""
                self.come_on_duty(now)
            return
        present = 1.0 - people.planned_absence - people.sickness_absence
        planned = people.planned_absence / (people.planned_absence_days * present)
        sick = people.sickness_absence / (people.sickness_days * present) + sick_extra
        if u < planned + sick:
            self.absence = "planned" if u < planned else "sick"
            self.go_off_duty(now)
        elif quit and self.absence_stream.random() < quit:
            self.resign(people, now)

    def resign(self, people: People, now: float) -> None:
        """Leave the organisation: the task at hand is finished, then the post is empty for
        `hiring_lag_days` (off duty, like an absence)."""
        low, high = self.model.window
        self.model.quits += low <= now < high
        self.absence = "vacant"
        self.vacant_days = people.hiring_lag_days
        self.go_off_duty(now)
        if self.vacant_days <= 0.0:
            self.hire(people, now)

    def hire(self, people: People, now: float) -> None:
        """A new person takes the post: the workforce group's starting proficiencies and
        baseline engagement, no practice, and slower at first (`new_hire_slowdown`, fading with
        practice like a new role's slowdown)."""
        self.proficiency = dict(self.base_proficiency)
        self.practice = dict.fromkeys(self.partial_skills, 0.0)
        self.engagement = self.baseline_engagement
        self.low_days = 0
        self.load = self.overload = self.busy_today = self.feedback_sum = 0.0
        self.tasks_today = self.rework_today = self.feedback_count = 0
        self.role_slowdown = people.new_hire_slowdown
        self.role_tasks = 0
        self.absence = ""
        self.come_on_duty(now)

    def hear(self, csat: float) -> None:
        """Customer feedback on a request this person worked on."""
        self.feedback_sum += csat
        self.feedback_count += 1


def encounters_per_manager_week(managers: Managers, units: int) -> float:
    """How many encounters each manager holds per week.

    Each picks a partner unit uniformly among the other units, so a pair of units meets
    2 x per-manager rate / (units - 1) times a week. From `encounters_per_pair_per_week` the
    per-manager rate is set so that every pair meets that often whatever the number of units
    (tie density does not depend on how many units a structure has), up to
    `encounters_cap_per_manager_week` (in an organisation of many units the pair rate falls);
    `encounters_per_week`, if given, sets the per-manager rate directly instead.
    """
    if managers.encounters_per_week is not None:
        return managers.encounters_per_week
    wanted = managers.encounters_per_pair_per_week * (units - 1) / 2
    return min(wanted, managers.encounters_cap_per_manager_week)


class Manager(mesa.Agent):
    """A unit's supervisor: supports collaboration, brings people of different units together
    (cross-unit encounters that strengthen help ties), and reports on the unit."""

    model: OrgModel

    def __init__(self, model: OrgModel, unit: Unit):
        super().__init__(model)
        self.unit = unit
        self.stream = own_stream(model.seed, MANAGERS, unit.uid)
        """The manager's own random stream: whom the encounters bring together."""
        self.support = model.config.managers.support
        self.engagement = math.nan
        """The unit's mean engagement at the last `take_stock`."""
        self.encounters: Repeat | None = None
        self.coordination: Repeat | None = None
        """The unit's coordination slots: one member at a time, each once a working day."""
        self._turn = 0
        self._retired = False
        self.plan_coordination()
        units = len(model.org.units)  # the structure's units (made with this one)
        per_week = encounters_per_manager_week(model.config.managers, units)
        if per_week > 0 and model.config.managers.encounter_hours > 0:
            every = model.config.run.days_per_week * model.hours_per_day / per_week
            # Managers' encounters are spread over the week rather than all at once.
            offset = every * (unit.index + 0.5) / max(1, units)
            self.encounters = model.agenda.every(every, self.hold_encounter, model.time + offset)

    def hold_encounter(self) -> None:
        """Event: members of this unit meet members of another unit; the two units' help tie
        strengthens, and the participants spend the time off the queue."""
        model = self.model
        if len(model.units) < 2:
            return
        managers = model.config.managers
        rng = self.stream
        # Any unit but this one, uniformly: the pick-th of the others, in order.
        pick = int(rng.random() * (len(model.units) - 1))
        other = model.units[pick + (pick >= self.unit.index)]
        now = model.time
        for unit in (self.unit, other):
            size = min(managers.encounter_size, len(unit.members))
            for employee in rng.sample(unit.members, size):
                employee.attend(managers.encounter_hours, "encounter", now)
        model.strengthen_tie(self.unit, other, managers.tie_gain)

    def plan_coordination(self) -> None:
        """Hold the unit's coordination while its share is above 0 (policies can change it).

        Each member coordinates once a working day for `coordination_share` of the day, off the
        queue like an encounter (after the task at hand if busy). The slots are staggered over
        the day, one member at a time, so the unit never closes for its stand-ups."""
        model = self.model
        headcount = len(self.unit.spec.members)
        if self._retired or self.unit.coordination_share <= 0 or headcount == 0:
            if self.coordination is not None:
                self.coordination.stop()
                self.coordination = None
            return
        if self.coordination is None:
            every = model.hours_per_day / headcount
            offset = every * (self.unit.index + 0.5) / max(1, len(model.org.units))
            self.coordination = model.agenda.every(every, self.coordinate, model.time + offset)

    def coordinate(self) -> None:
        """Event: the next member in turn spends their share of the day coordinating."""
        members = self.unit.members
        if not members:
            return
        employee = members[self._turn % len(members)]
        self._turn += 1
        if employee.absence:
            return  # away for the day: no coordination owed
        model = self.model
        hours = self.unit.coordination_share * model.working_hours_per_day
        employee.attend(hours, "coordination", model.time)

    def retire(self) -> None:
        """Leave the organisation (a reorganisation replaces the units and their managers)."""
        self._retired = True
        for repeat in (self.encounters, self.coordination):
            if repeat is not None:
                repeat.stop()
        self.remove()

    def review_day(self, now: float, counted: bool) -> None:
        for employee in self.unit.members:
            employee.end_day(now, self.support, counted)
        self.take_stock()

    def take_stock(self) -> None:
        """Note the unit's mean engagement for its time series. Engagement changes only at the
        daily review and at a reorganisation, so the samples in between read this."""
        members = self.unit.members
        self.engagement = (
            sum([e.engagement for e in members]) / len(members) if members else math.nan
        )

    @property
    def unit_name(self) -> str:
        return self.unit.name

    @property
    def queue_length(self) -> int:
        return len(self.unit.queue)

    @property
    def busy_share(self) -> float:
        """Share of the unit's members on duty who are working right now."""
        members = self.unit.members
        away = sum(e.activity == "off duty" for e in members) if self.model.calendar else 0
        present = len(members) - away
        return (present - len(self.unit.idle)) / present if present else 0.0
