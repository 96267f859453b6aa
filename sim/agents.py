"""The people: employees who work on requests, and managers who look after a unit.

Agents decide how they work (how long a task takes them, whether it is done right); the model
decides where work flows (dispatch, handoffs, callbacks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.structure import EmployeeSpec

if TYPE_CHECKING:
    from sim.model import OrgModel
    from sim.request import Request
    from sim.unit import Unit


class Employee(mesa.Agent):
    """A person with skills (substance expertise), customer orientation and engagement."""

    model: OrgModel

    def __init__(self, model: OrgModel, spec: EmployeeSpec, unit: Unit):
        super().__init__(model)
        self.unit = unit
        self.skill = spec.skill
        self.proficiency = dict(spec.proficiency)
        self.customer_orientation = spec.customer_orientation
        self.engagement = spec.engagement
        self.hourly_cost = spec.hourly_cost
        self.request: Request | None = None
        self.helping = False
        self.started = 0.0
        self.right_first_time = True
        self.busy_hours = 0.0
        """Hours spent working inside the measurement window (warm-up to horizon)."""
        self.tasks_done = 0
        unit.members.append(self)
        unit.idle.append(self)

    @property
    def state(self) -> str:
        if self.request is None:
            return "idle"
        return "helping" if self.helping else "working"

    @property
    def warmth(self) -> float:
        """What a customer feels of this person: customer orientation x engagement."""
        return self.customer_orientation * self.engagement

    def start(self, request: Request, now: float, helping: bool = False) -> None:
        """Take `request` and schedule the end of its task."""
        model = self.model
        self.unit.idle.remove(self)
        self.request = request
        self.helping = helping
        self.started = now
        model.begin_work(self, request, now)
        hours, self.right_first_time = self.plan(request)
        model.schedule_event(self.finish, at=now + hours)

    def plan(self, request: Request) -> tuple[float, bool]:
        """How long the task will take this person, and whether it will be done right.

        Work = mean hours x the customer's work size / proficiency, longer after a handoff
        (information loss) and with low engagement, and stretched by the time the unit spends
        coordinating. Right first time rises with proficiency and engagement.
        """
        model = self.model
        p = model.config.policies
        if request.triage:
            mean = p.misrouting_triage_hours
            return (model.work_rng.expovariate(1 / mean) if mean > 0 else 0.0), True
        task = request.rtype.tasks[request.step]
        level = self.proficiency[task.skill]
        hours = request.sizes[request.step] * task.hours / level
        if request.after_handoff:
            hours *= 1 + p.handoff_info_loss
            request.after_handoff = False
        sluggish = p.engagement_effect * (1 - self.engagement)
        hours *= (1 + sluggish) / (1 - self.unit.coordination_share)
        if model.premature_closure and model.behaviour_rng.random() < model.premature_closure:
            return hours * 0.5, False
        p_right = p.first_contact_resolution * level**p.proficiency_quality_exponent
        p_right *= 1 - sluggish
        return hours, p_right >= 1.0 or model.outcome_rng.random() < p_right

    def finish(self) -> None:
        """Event: the task at hand is done. Hand the request on, then find the next one."""
        model = self.model
        request = self.request
        assert request is not None
        now = model.time
        low, high = model.window
        self.busy_hours += max(0.0, min(now, high) - max(self.started, low))
        self.tasks_done += 1
        self.request = None
        self.helping = False
        self.unit.idle.append(self)
        model.complete_task(self, request, self.started, self.right_first_time, now)
        if self.request is None:
            model.assign_work(self, now)


class Manager(mesa.Agent):
    """A unit's supervisor. In the core it reports on its unit for the time series; later
    issues give managers collaboration support and cross-unit encounters."""

    def __init__(self, model: OrgModel, unit: Unit):
        super().__init__(model)
        self.unit = unit

    @property
    def unit_name(self) -> str:
        return self.unit.name

    @property
    def queue_length(self) -> int:
        return len(self.unit.queue)

    @property
    def busy_share(self) -> float:
        """Share of the unit's members working right now."""
        members = self.unit.members
        return (len(members) - len(self.unit.idle)) / len(members) if members else 0.0
