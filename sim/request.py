"""A customer's request, from arrival to resolution or abandonment.

A request is not an agent: it has no decisions of its own. It is the case that employees work on
and the record of what the customer went through. Its methods are the customer's own events
(coming back after a failed contact, giving up in a queue, arriving after a transfer), scheduled
on the model's agenda as bound methods.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from sim.streams import BRANCHES, REQUESTS, own_stream

if TYPE_CHECKING:
    from sim.model import OrgModel
    from sim.scenario import RequestType, Task
    from sim.structure import Organisation


class Step:
    """One task of a request type as the events read it: the fields of `scenario.Task`,
    copied once per run (`task_steps`). A request's events read the task at hand about twenty
    times (its skill, hours, group, right-first-time chance); a field of a pydantic model is a
    generic attribute lookup (`BaseModel` defines `__getattr__`), some 400 machine
    instructions in the compiled core, where a field of a compiled class is one load."""

    __slots__ = ("first_contact_resolution", "group", "hours", "skill")

    def __init__(self, task: Task) -> None:
        self.skill = task.skill
        self.hours = task.hours
        self.first_contact_resolution = task.first_contact_resolution
        self.group = task.group


def task_steps(rtype: RequestType) -> tuple[Step, ...]:
    """A request type's tasks in order, as `Step`s."""
    return tuple(Step(task) for task in rtype.tasks)


class Request:
    __slots__ = (
        "abandon_event",
        "after_handoff",
        "arrived",
        "branches",
        "brought",
        "callback_hours",
        "contacts",
        "counted",
        "delay_step",
        "drawn",
        "draws",
        "dropped",
        "enqueued_at",
        "first_wait",
        "handoff_hours",
        "handoffs",
        "helped",
        "home",
        "home_pick",
        "id",
        "in_unit",
        "info_loss",
        "misroutes",
        "model",
        "noise",
        "overflow",
        "parent",
        "patience_left",
        "queue_hours",
        "queue_seq",
        "repeats",
        "rtype",
        "sizes",
        "slow",
        "step",
        "steps",
        "target",
        "touched",
        "transfers",
        "triage",
        "type_index",
        "unit",
        "via_handoff",
        "visit_start",
        "warmth_sum",
        "work_hours",
    )

    def __init__(
        self,
        model: OrgModel,
        request_id: int,
        type_index: int,
        rtype: RequestType,
        sizes: list[float],
        patience: float,
        noise: float,
        counted: bool,
        arrived: float,
        draws: list[float],
        home_pick: float,
        org: Organisation,
        *,
        step: int = 0,
        current: int | None = None,
        overflow: random.Random | None = None,
    ):
        self.model = model
        self.id = request_id
        self.type_index = type_index
        self.rtype = rtype
        self.steps = model.type_steps[type_index]
        """`rtype`'s tasks, as the events read them (`Step`)."""
        self.sizes = sizes
        """Work size of each task relative to its mean, drawn on arrival (common random numbers:
        the same customer brings the same work to every structure)."""
        self.patience_left = patience
        self.noise = noise
        self.counted = counted
        self.arrived = arrived
        self.draws = draws
        """The uniforms this customer brought: the start of the request's own random stream."""
        self.brought = len(draws)
        """How many (`draw` compares with it rather than call `len` at every draw)."""
        self.drawn = 0
        self.overflow = overflow
        """The rest of the request's stream, made when the brought uniforms run out (a branch
        brings its own from the start)."""
        self.step = step
        self.home_pick = home_pick
        """The customer's draw of a home team (kept, so a reorganisation can redraw it)."""
        self.home = org.home_for(home_pick)
        """The home team (None where no unit owns requests: departments)."""
        self.unit = org.unit_for(self.steps[step].skill, current, self.home, self.draw)
        """The unit the request is in, or travelling to: on arrival, the first task's (a
        branch: its task's, from the unit `current` the request forks in)."""
        self.in_unit = False
        """In its unit (queued or in service); False while travelling or awaiting a callback."""
        self.target = self.unit
        """Where a misrouted request really belongs (read once its triage is done)."""
        self.triage = False
        """True while the request sits in a wrong unit after misrouting."""
        self.delay_step = -1
        """The step whose team's start delay was drawn (`OrgModel._start_delay`): once."""
        self.slow = 1.0
        """How much of the delays and failed contacts this case carries, relative to its
        type's average (`OrgModel._draw_slow`): 1 for every case (neutral), or 1/share for
        a slow case and 0 for a quick one."""
        self.after_handoff = False
        """The next task starts with a customer who was just transferred (information loss)."""
        self.info_loss = 0.0
        """Extra work share of that next task: the customer repeats their story."""
        self.touched: list = []
        """Employees who worked on the request (they hear the customer's feedback)."""
        self.transfers = 0
        self.via_handoff = False
        self.enqueued_at = 0.0
        self.queue_seq = -1
        """Place in the unit's queue while waiting (`WorkQueue`), -1 otherwise."""
        self.visit_start = 0.0
        self.abandon_event: list | None = None
        """The customer's give-up event while waiting (an `Agenda` entry)."""
        self.queue_hours = 0.0
        self.work_hours = 0.0
        self.handoff_hours = 0.0
        self.callback_hours = 0.0
        self.handoffs = 0
        self.misroutes = 0
        self.repeats = 0
        self.helped = 0
        self.contacts = 0
        self.first_wait = 0.0
        """Hours from arrival to the first contact (the wait before service starts)."""
        self.warmth_sum = 0.0
        self.parent: Request | None = None
        """For a parallel task (a branch of a fork–join): the request it belongs to."""
        self.branches: list[Request] = []
        """While the request waits at a join: its parallel tasks still under way."""
        self.dropped = False
        """A branch whose customer gave up on the request: its events do nothing more."""

    def branch(self, step: int, current: int | None) -> Request:
        """One of this request's parallel tasks (`Task.group`), routed from the unit `current`
        the request forks in (None: on arrival): its own place in queues, its own books and its
        own random stream (keyed by the request and the task, so every structure sees the same
        luck for it); the customer, the work sizes and the patience left are the request's."""
        model = self.model
        twig = Request(
            model,
            self.id,
            self.type_index,
            self.rtype,
            self.sizes,
            self.patience_left,
            self.noise,
            self.counted,
            self.arrived,
            [],
            self.home_pick,
            model.org,
            step=step,
            current=current,
            overflow=own_stream(model.seed, BRANCHES, self.id, step),
        )
        twig.parent = self
        twig.slow = self.slow
        return twig

    def draw(self) -> float:
        """The next uniform in [0, 1) of this request's own stream (routing and outcomes): what
        happens to one customer does not depend on what happens to the others."""
        n = self.drawn
        self.drawn = n + 1
        if n < self.brought:
            return self.draws[n]
        if self.overflow is None:
            self.overflow = own_stream(self.model.seed, REQUESTS, self.id)
        return self.overflow.random()

    @property
    def skill(self) -> str | None:
        """Skill of the task at hand; None while being triaged in a wrong unit (anyone can)."""
        return None if self.triage else self.steps[self.step].skill

    @property
    def task_hours(self) -> float:
        """Mean work hours of the task at hand, as a fully proficient employee sees it."""
        if self.triage:
            return self.model.settings.misrouting_triage_hours
        return self.steps[self.step].hours

    # The customer's own events --------------------------------------------------------------

    # Mesa's clock is read without its observable's descriptor (`_time`): these run per request.

    def arrive_after_handoff(self) -> None:
        if not self.dropped:
            model = self.model
            model.enter_unit(self, self.unit, model._time)

    def call_back(self) -> None:
        if not self.dropped:
            model = self.model
            model.enter_unit(self, self.unit, model._time)

    def give_up(self) -> None:
        self.model.abandon(self)
