"""The scenario schema: every section and key of a scenario file, with its unit, default, range
and source, and the neutral value of every mechanism (`NEUTRAL`).

Every key has a unit, a default and a source (see `docs/scenario-reference.md`). Each mechanism
has a *neutral* value that switches it off; with all of them neutral, exponential work and
Poisson arrivals, a scenario is a pure queueing network (validation mode).

Reading files, error lines and the checks across fields are in `sim.scenario.loading`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from sim.calendar import WEEKDAYS, Weekday, parse_hours

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
"""Every number of every section is finite (`StrictSection`: no ``inf`` or ``nan``, which TOML
spells ``inf``, ``nan`` or a literal too big for a float such as ``1e400``): an infinite
delay or rate is nothing the model can run, and the neutral values switch mechanisms off."""
Proficiency = Annotated[float, Field(ge=0.05, le=1.0)]
"""A secondary skill's proficiency: work takes hours / proficiency, so below 0.05 (20 times
slower) a person cannot really do the task; leave the skill out instead."""


@dataclass(frozen=True)
class Plausible:
    """The plausible range of a key whose value is a modelling choice: no source gives the
    number, only the direction of its effect (or a range). Written into the key's annotation,
    ``Annotated[float, Field(...), Plausible(0.0, 0.02)]``: `sim compare --worlds` draws
    plausible worlds from these ranges, `docs/scenario-reference.md` lists them (generated, see
    `sim.scenario.assumptions`), and a scenario's ``[assumptions]`` table may replace them with
    the user's own estimate."""

    low: float
    high: float
    why: str = ""
    """Where the range comes from, in a few words (empty: around the default, by judgement)."""


class StrictSection(BaseModel):
    """Base for every section: unknown keys are errors, values are not silently coerced, and
    numbers are finite."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, strict=True, allow_inf_nan=False
    )


class RunSettings(StrictSection):
    days: Annotated[int, Field(ge=1, le=3650)] = 60
    """Working days during which customers arrive. After them arrivals stop and the model drains."""
    warmup_days: Annotated[int, Field(ge=0)] = 5
    """Requests arriving in the first `warmup_days` are simulated but not counted."""
    hours_per_day: Annotated[float, Field(ge=1.0, le=24.0)] = 8.0
    """Working hours per day. The clock only knows working hours: nights do not exist. At
    least one: a day's arrivals in a vanishing stretch of time come all at once, and the
    clock cannot tell them apart. With a `[calendar]` the clock runs in calendar hours: then
    it must be 24."""
    seed: Annotated[int, Field(ge=0)] = 1
    """Root seed; every random stream of a run derives from it."""
    drain_limit_days: Annotated[float, Field(gt=0.0, le=3650.0)] = 30.0
    """After arrivals stop, the longest the model keeps running to finish counted requests.
    Hitting it marks the run unstable (load beyond capacity)."""
    currency: Annotated[str, Field(min_length=1, max_length=12, pattern=r"^\S(.*\S)?$")] = "EUR"
    """What `hourly_cost` and every cost the run reports are counted in: a label shown with
    them (an ISO 4217 code such as EUR or USD, or a short name), never converted."""
    days_per_week: Annotated[int, Field(ge=1, le=7)] = 5
    """Working days in a week, for the weekly rates (managers' encounters, cross-training
    hours). With a `[calendar]` the clock's days are calendar days: 7 spreads a weekly rate
    over the whole week."""
    backlog_limit_days: Annotated[float, Field(ge=0.0, le=3650.0)] = 20.0
    """Stop the run early, marked unstable, once the requests open at the end of a day exceed
    this many days of the organisation's capacity (`sim.stability`): its queues are growing
    without bound, and every further day costs more to simulate and tells nothing new.
    0 = never stop early."""

    @model_validator(mode="after")
    def _warmup_shorter_than_run(self) -> RunSettings:
        if self.warmup_days >= self.days:
            raise ValueError(
                f"warmup_days ({self.warmup_days}) must be smaller than days ({self.days})"
            )
        return self


class Task(StrictSection):
    skill: Annotated[str, Field(min_length=1)]
    hours: Positive
    """Mean work hours for a fully proficient employee with no behavioural effect."""
    first_contact_resolution: Fraction | None = None
    """This step's chance of being done right first time, in place of
    `policies.first_contact_resolution` (scaled by proficiency and engagement alike); unset =
    the policy's. Some steps need the customer more than others (a calibration measures it)."""
    group: Annotated[int, Field(ge=1)] | None = None
    """Swarming (fork–join): consecutive tasks with the same group number are worked at once,
    each queued, dispatched and booked like a task of its own, and the request goes on when
    the last of them is done. Unset = a step on its own, after the one before (the neutral
    value: every task in order)."""


class RequestType(StrictSection):
    name: Annotated[str, Field(min_length=1)]
    share: Fraction
    """Share of all arriving requests that are of this type (shares sum to 1)."""
    expected_hours: Positive
    """The resolution time (working hours) the customer expects; satisfaction compares to it."""
    tasks: Annotated[list[Task], Field(min_length=1)]
    """Ordered skill steps of the request (tasks that share a `group` run in parallel)."""
    slow_case_share: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    """Share of these requests that carry all of the type's delays and failed first contacts
    (teams' start delays, handoff delays, callbacks), the others none, the averages kept: the
    cases that wait for the customer are the ones that sit (ticket logs show it). 1 (neutral):
    every request alike, each delay drawn on its own."""

    @model_validator(mode="after")
    def _groups_are_runs(self) -> RequestType:
        for start, end in self.stages():
            group = self.tasks[start].group
            if group is None:
                continue
            if end - start < 2:
                raise ValueError(
                    f"tasks.{start}: group {group} has a single task; a parallel group needs "
                    "two or more consecutive tasks (leave `group` out of a task on its own)"
                )
            if any(t.group == group for t in self.tasks[:start]):
                raise ValueError(
                    f"tasks.{start}: group {group} is used again after other tasks; the tasks "
                    "of a group must be consecutive (give the later group another number)"
                )
        return self

    def stages(self) -> list[tuple[int, int]]:
        """The request's steps as ``(start, end)`` task ranges: one task, or a parallel group
        (consecutive tasks with the same `group`)."""
        stages = []
        start = 0
        tasks = self.tasks
        while start < len(tasks):
            end = start + 1
            group = tasks[start].group
            while group is not None and end < len(tasks) and tasks[end].group == group:
                end += 1
            stages.append((start, end))
            start = end
        return stages


class Demand(StrictSection):
    requests_per_day: Positive = 100.0
    work_distribution: Literal["exponential", "lognormal", "deterministic"] = "lognormal"
    work_cv: Annotated[
        float,
        Field(ge=0.0, le=5.0),
        Plausible(0.5, 1.5, "handle times near lognormal, cv about 1 (Brown et al. 2005)"),
    ] = 1.0
    """Coefficient of variation of work times (lognormal only; exponential has 1,
    deterministic 0)."""
    patience_hours: NonNegative = 0.0
    """Mean customer patience while waiting in queues (exponential, Erlang A).
    0 = never abandons."""
    callback_delay_hours: Annotated[
        NonNegative, Plausible(2.0, 16.0, "a quarter of a day to two days")
    ] = 8.0
    """Mean time (exponential) until a customer whose task was not done right comes back."""
    hourly_profile: list[NonNegative] = []
    """Optional relative arrival rate per working hour of the day (length = hours_per_day)."""
    weekly_profile: list[NonNegative] = []
    """Optional relative arrival rate per working day of the week (e.g. 5 values)."""
    request_types: Annotated[list[RequestType], Field(min_length=1)]


class WorkforceGroup(StrictSection):
    skill: Annotated[str, Field(min_length=1)]
    """Primary skill: proficiency 1 (full speed)."""
    headcount: Annotated[int, Field(ge=1, le=10_000)]
    other_skills: dict[str, Proficiency] = {}
    """Secondary skills and their proficiency in [0.05, 1]; a skill left out cannot be done."""
    customer_orientation: Annotated[Fraction, Plausible(0.4, 0.8)] = 0.6
    """Customer expertise: shapes the warmth of every contact (Grandey et al. 2005)."""
    baseline_engagement: Annotated[Fraction, Plausible(0.5, 0.85)] = 0.7
    """Each person's starting engagement and the level recovery pulls it back to (Harter et al.
    2002: enthusiasm scales speed, quality and warmth). Not the level it settles at: support,
    feedback, overload and rework move the equilibrium (docs/scenario-reference.md)."""

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        if isinstance(data, dict) and "engagement" in data:
            raise ValueError(
                "`engagement` is now `baseline_engagement` (the level each person's engagement "
                "starts at and recovers to): rename the key"
            )
        return data

    hourly_cost: NonNegative = 50.0
    """Fully loaded cost per working hour, in `run.currency`."""
    shift: str = ""
    """With a `[calendar]`: the name of the group's shift in `calendar.shifts`; empty = the
    opening hours."""
    shift_headcounts: dict[str, Annotated[int, Field(ge=1)]] = {}
    """With a `[calendar]`: how many of the group's people work each of these shifts (names
    in `calendar.shifts`) instead of the group's `shift`: people's own hours, counted, never
    named. Empty (neutral): everyone on the group's shift."""
    start_delay_share: Fraction = 0.0
    """Share of new cases (their first step) this group takes up only after a delay (0: none,
    the neutral value): work that waits unseen in the team, as in ticket logs."""
    start_delay_hours: NonNegative = 0.0
    """Mean of that delay (exponential), in calendar hours."""


def _hour_ranges(text: str) -> str:
    parse_hours(text)  # raises ValueError with what is allowed
    return text


HourRanges = Annotated[str, AfterValidator(_hour_ranges)]
"""Hours of one weekday: ``"09:00-17:00"``, several ranges separated by commas, or
``"closed"``; an end at or before its start runs past midnight."""
OFFICE_HOURS: dict[Weekday, str] = dict.fromkeys(WEEKDAYS[:5], "09:00-17:00")


class Calendar(StrictSection):
    """The working calendar: the clock runs in calendar hours from midnight of `start`;
    customers arrive around the clock; people take work only while on duty."""

    start: Annotated[date, Field(strict=False)] = date(2024, 1, 1)
    """The date of the run's first day (model time 0 is its midnight). Its weekday places the
    opening hours, shifts and arrival profile; holidays are dates after it."""
    opening_hours: dict[Weekday, HourRanges] = OFFICE_HOURS
    """When the organisation is open, per weekday (a day left out is closed). Working-hour
    KPIs (`resolution_hours_*`) count these hours; the customer's `elapsed_hours_*` count all.
    Default Monday to Friday 09:00-17:00."""
    holidays: list[Annotated[date, Field(strict=False)]] = []
    """Dates on which the organisation is closed and nobody is on duty (arrivals go on)."""
    shifts: dict[str, dict[Weekday, HourRanges]] = {}
    """Named weekly duty patterns (as `opening_hours`) that `[[workforce]] shift` refers to;
    people without a shift are on duty during the opening hours."""
    arrival_profile: list[Annotated[float, Field(ge=0.0)]] = []
    """Relative arrival rate per hour of the week, 168 values from Monday 00:00-01:00; empty =
    the same rate at every hour. Rescaled to mean 1: `demand.requests_per_day` stays the mean
    per calendar day."""


class CustomUnit(StrictSection):
    name: Annotated[str, Field(min_length=1)]
    members: Annotated[dict[str, Annotated[int, Field(ge=1)]], Field(min_length=1)]
    """How many employees of each primary skill the unit takes from the workforce."""
    serves: list[str] = []
    """Skills whose tasks come to this unit; empty = every skill its members have."""


class Structure(StrictSection):
    kind: Literal["functional", "cross_functional", "matrix", "custom"] = "functional"
    teams: Annotated[int, Field(ge=1, le=1000)] = 4
    """Number of cross-functional teams (cross_functional and matrix)."""
    shared_skills: list[str] = []
    """Matrix only: skills pooled in one shared unit each instead of being dealt to teams."""
    units: list[CustomUnit] = []
    """Custom only: explicit units."""


class Policies(StrictSection):
    handoff_delay_hours: Annotated[
        NonNegative, Plausible(0.1, 4.0, "minutes (a shared queue) to half a day (email)")
    ] = 0.5
    """Mean transfer time (exponential) of a handoff between units. Neutral 0."""
    handoff_info_loss: Annotated[float, Field(ge=0.0, le=5.0), Plausible(0.0, 0.4)] = 0.15
    """Extra work after a handoff, as a share of the next task (the customer repeats their story).
    Neutral 0."""
    misrouting: Annotated[Fraction, Plausible(0.0, 0.2)] = 0.1
    """Probability that a handoff first goes to a wrong unit and bounces back. Neutral 0."""
    misrouting_min_units: Annotated[int, Field(ge=2, le=1000)] = 3
    """Fewest units a structure needs before a handoff can be misrouted: with two, a handoff
    has no third unit to go astray to (2 = misroute there too, back to the sender). A
    modelling choice."""
    misrouting_triage_hours: Annotated[NonNegative, Plausible(0.05, 0.3)] = 0.1
    """Mean work (exponential) the wrong unit spends before sending a misrouted request on."""
    help_across_units: Annotated[Fraction, Plausible(0.0, 0.6)] = 0.3
    """Probability that an idle employee takes an eligible task from another unit's queue.
    Neutral 0."""
    help_target: Literal["longest_queue", "strongest_tie", "random"] = "longest_queue"
    """Which other unit a freed employee with nothing to do at home offers help to, among
    those with waiting work they can do: the longest queue (the default), the unit their own
    is most strongly tied to (the longer queue on equal ties), or one chosen at random. A
    modelling choice."""
    first_contact_resolution: Fraction = 0.9
    """Probability that a fully proficient, fully engaged employee does a task right first
    time. Neutral 1."""
    proficiency_quality_exponent: Annotated[NonNegative, Plausible(0.0, 1.0)] = 0.5
    """First-time-right scales with proficiency ** exponent: a generalist is slower *and* less
    often right (de Véricourt & Zhou 2005). 0.5 keeps the combined penalty of a secondary skill
    at 0.8 within the generalist slowdown of 1.0-1.3 in docs/domain-notes.md §5.1. Neutral 0."""
    engagement_effect: Annotated[Fraction, Plausible(0.0, 0.4)] = 0.2
    """How strongly low engagement slows work and lowers first-time-right. Neutral 0."""
    coordination: Annotated[
        float,
        Field(ge=0.0, le=0.2),
        Plausible(
            0.0, 0.02, "a 15-minute daily stand-up is 3% of the day; 0.02: 18% of a unit of 10"
        ),
    ] = 0.005
    """Share of working time each member of a unit spends coordinating, per colleague (a unit
    of n has n(n-1)/2 channels, each member is on n-1 of them; Brooks 1975), in every unit:
    time off the queue, like an encounter. Neutral 0."""
    coordination_per_skill: Annotated[float, Field(ge=0.0, le=0.2), Plausible(0.0, 0.03)] = 0.01
    """Extra coordination share per skill a unit serves beyond its first (interfaces between
    specialities inside the unit). Neutral 0."""
    coordination_cap: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.9
    """The largest share of anyone's time coordination can take, so capacity never
    vanishes."""
    customer_metric_weight: Annotated[Fraction, Plausible(0.25, 0.75)] = 0.5
    """w: how much goals include the customer (Kerr 1975). w = 1 is neutral: oldest customer
    first, no premature closure, full willingness to help."""
    unit_metric_weights: dict[str, Fraction] = {}
    """w of named units (``{"claims" = 0.2}``; names as the structure makes them: a skill's
    department, "Team 2", "legal pool", a custom unit's name); every other unit has
    `customer_metric_weight`. Neutral {} with w = 1."""
    cherry_picking: Annotated[Fraction, Plausible(0.5, 1.0)] = 1.0
    """At w = 0, the probability of picking the shortest task instead of the oldest customer."""
    premature_closure: Annotated[Fraction, Plausible(0.05, 0.3)] = 0.2
    """At w = 0, the probability of closing a task early (half the work, the customer returns)."""
    help_decline: Annotated[Fraction, Plausible(0.25, 0.75)] = 0.5
    """At w = 0, the share of help opportunities declined."""
    transfer_out: Annotated[Fraction, Plausible(0.05, 0.3)] = 0.2
    """At w = 0, the probability that an employee handed a hard task (work
    `hard_task_threshold` times its mean or more) transfers it out to another unit instead of
    doing it: it comes back after a detour (ticket ping-pong; Kerr 1975, Shao et al. 2008).
    Neutral 0."""
    hard_task_threshold: Annotated[float, Field(ge=1.0, le=10.0), Plausible(1.25, 2.0)] = 1.5
    """Work, as a multiple of the task's mean, from which a task counts as hard (transfer-out).
    The share of hard tasks depends on `demand.work_cv`, so transfer-out is not monotone in
    it at a fixed threshold (0.027, 0.036, 0.032 per request at cv 0.5, 1, 2)."""
    premature_closure_work_share: Annotated[float, Field(gt=0.0, le=1.0), Plausible(0.25, 0.75)] = (
        0.5
    )
    """Share of the task's work done before a premature closure."""
    dispatch: Literal["primary_first", "fastest", "oldest"] = "primary_first"
    """What a freed employee takes from the queue: ``primary_first`` (their primary skill's
    work first, then the rest; what skill-based routers do), ``fastest`` (the skill they are
    most proficient at first: the highest resolution probability x speed, de Véricourt & Zhou
    2005), or ``oldest`` (the oldest customer they can serve, whatever the skill). Within the
    chosen skills the oldest customer first (or the shortest task when cherry-picking). With
    one skill per person the three are the same. Neutral ``oldest`` (what queueing theory's
    first-come-first-served assumes)."""
    reserve: dict[str, Annotated[int, Field(ge=1, le=1000)]] = {}
    """A reserve for rare skills (``{underwriting = 1}``): in every unit that serves the skill,
    the last that many idle people able to do it are kept for it. Such a person takes no
    other work (a freed one only the reserved skill's, and helps nobody), so a customer
    needing the rare skill finds someone free (a threshold policy: Bell & Williams 2001).
    Neutral {} (the default)."""
    social_loafing: Annotated[
        float, Field(ge=0.0, le=1.0), Plausible(0.0, 0.07, "up to +6.86% (Wang & Zhou 2018)")
    ] = 0.0
    """Extra work time in units where several people share one queue (Wang & Zhou 2018 measured
    +6.86%). Optional, so that pooling can lose. Neutral 0 (the default)."""


class People(StrictSection):
    """How employees change during a run: engagement, learning and forgetting."""

    engagement_recovery: Annotated[
        Fraction, Plausible(0.02, 0.1, "back to baseline in 10-50 days")
    ] = 0.05
    """Daily pull of engagement back to the employee's own baseline (the `baseline_engagement`
    of their workforce group). Modelling choice. Neutral 0 (with the gains and losses below)."""
    support_gain: NonNegative = 0.01
    """Daily engagement gain under full manager support (Harter et al. 2002). Neutral 0."""
    feedback_neutral_score: Annotated[float, Field(ge=1.0, le=5.0), Plausible(3.0, 4.0)] = 3.0
    """Mean customer score that moves engagement neither way (the scale's middle)."""
    feedback_gain: Annotated[NonNegative, Plausible(0.01, 0.04)] = 0.02
    """Daily engagement gain when the customers an employee served that day were delighted
    (mean score 5 of 5; linear: 3 changes nothing, 1 is the same loss), scaled by
    customer_metric_weight: only goals that include the customer let the feedback in
    (Heskett et al. 1994). Neutral 0."""
    overload_threshold: Annotated[Fraction, Plausible(0.75, 0.95)] = 0.85
    """Sustained busy share above which overload starts to hurt."""
    load_smoothing: Annotated[float, Field(gt=0.0, le=1.0), Plausible(0.1, 0.5)] = 0.2
    """Weight of today's busy share in the sustained load (exponential smoothing: 0.2 remembers
    about five days; 1 = today only)."""
    overload_loss: Annotated[NonNegative, Plausible(0.01, 0.04)] = 0.02
    """Daily engagement loss at full sustained overload (KC & Terwiesch 2009). Neutral 0."""
    rework_loss: Annotated[NonNegative, Plausible(0.015, 0.05)] = 0.03
    """Daily engagement loss when all of the day's tasks needed rework. With the other
    defaults, an organisation at the industry-average 30% rework stays near its baseline
    engagement; sustained overload is what burns people out. Neutral 0."""
    busy_warmth_loss: Fraction = 0.5
    """Share of warmth lost at full overload: authenticity shows less when busy
    (Grandey et al. 2005). Neutral 0."""
    burnout_threshold: Fraction = 0.3
    """Engagement below which an employee counts as burning out."""
    burnout_days: Annotated[int, Field(ge=1)] = 5
    """Working days below the threshold that make a burnout (a week)."""
    learning_rate: Annotated[
        float, Field(gt=0.5, le=1.0), Plausible(0.8, 0.9, "Wright 1936: r = 0.8-0.9")
    ] = 0.85
    """Wright's learning rate r: each doubling of practice multiplies the remaining gap to full
    proficiency (and the slowdown in a new role) by r; 0.8-0.9 is typical (Wright 1936).
    Neutral 1 (no learning)."""
    forgetting: Annotated[
        Fraction, Plausible(0.005, 0.02, "Argote et al. 1990, monthly rates per day")
    ] = 0.01
    """Daily depreciation of practice in each skill (Argote, Beckman & Epple 1990: knowledge
    acquired through production depreciates rapidly). Neutral 0."""
    planned_absence: Annotated[
        float, Field(ge=0.0, le=0.5), Plausible(0.0, 0.12, "holidays and off-floor training")
    ] = 0.0
    """Share of working days each employee is away on planned absence (holidays, training off
    the floor), in spells of `planned_absence_days` on average. Neutral 0 (the default: the
    presets' headcounts are the people present)."""
    planned_absence_days: Annotated[float, Field(ge=1.0, le=60.0)] = 5.0
    """Mean length of a planned absence, in working days (a week's holiday)."""
    sickness_absence: Annotated[
        float, Field(ge=0.0, le=0.5), Plausible(0.0, 0.06, "2-6% of working days")
    ] = 0.0
    """Share of working days each employee is off sick (random), in spells of
    `sickness_days` on average. Neutral 0 (the default)."""
    sickness_days: Annotated[float, Field(ge=1.0, le=60.0)] = 2.0
    """Mean length of a sick spell, in working days."""
    burnout_sickness: Annotated[Fraction, Plausible(0.0, 0.2)] = 0.1
    """Daily chance that a burning-out employee (engagement below `burnout_threshold` for
    `burnout_days`) goes off sick, for `sickness_days` on average: burnout has a consequence.
    Neutral 0."""
    burnout_quit: Annotated[
        float, Field(ge=0.0, le=0.2), Plausible(0.0, 0.02, "a burnt-out person gone in 2+ months")
    ] = 0.0
    """Daily chance that a burning-out employee resigns (engagement-driven attrition: low
    engagement for `burnout_days` first; Harter et al. 2002 for the direction). The post stays
    empty for `hiring_lag_days`, then a new hire with the same skills takes it, slower at first
    (`new_hire_slowdown`). Neutral 0 (the default: nobody leaves)."""
    hiring_lag_days: Annotated[float, Field(ge=0.0, le=250.0), Plausible(10.0, 60.0)] = 30.0
    """Working days a post stays empty after someone leaves (notice, recruiting, onboarding
    before the floor). Modelling choice: about six weeks."""
    new_hire_slowdown: Annotated[
        float, Field(ge=1.0, le=5.0), Plausible(1.3, 3.0, "weeks to months to proficiency")
    ] = 2.0
    """Work-time factor of a new hire at their first task, falling on the learning curve like a
    reorganisation's `role_slowdown` (at r = 0.85: 1.34 after 100 tasks). A new hire starts at
    the workforce group's baseline engagement and starting proficiencies. Modelling choice;
    neutral 1."""
    cross_training_hours_per_week: Annotated[float, Field(ge=0.0, le=40.0)] = 0.0
    """Hours each employee with a secondary skill spends training it every week, off the
    queue; each hour counts as `training_practice_per_hour` tasks of practice. Neutral 0 (the
    default)."""
    training_practice_per_hour: Annotated[NonNegative, Plausible(0.5, 2.0)] = 1.0
    """Practice (in tasks) one hour of training gives: 1 = an hour of training is worth one
    task done on the job."""


class Managers(StrictSection):
    """Each unit's manager: collaboration support, cross-unit encounters and help ties."""

    support: Annotated[Fraction, Plausible(0.3, 0.7)] = 0.5
    """How much the manager supports collaboration: raises engagement (support_gain)."""
    encounters_per_pair_per_week: Annotated[float, Field(ge=0.0, le=20.0)] = 0.5
    """Cross-unit encounters per pair of units per week (5 working days), whatever the number
    of units: each manager holds (units - 1) / 2 times this many, each with a uniformly random
    other unit. Neutral 0."""
    encounters_cap_per_manager_week: Annotated[float, Field(ge=0.0, le=20.0)] = 2.0
    """The most encounters the pair rate may ask of one manager a week: beyond (units - 1) / 2 x
    pair rate = cap, as in an organisation of many units, the pair rate falls (a manager's
    week, and the people's, has room for only so many)."""
    encounters_per_week: Annotated[float, Field(ge=0.0, le=20.0)] | None = None
    """If given, the encounters each manager holds per week instead (the pair rate is then
    2 x this / (units - 1) and depends on the number of units). Neutral 0."""
    encounter_hours: Annotated[float, Field(ge=0.0, le=8.0)] = 1.0
    """Time each participant spends in an encounter (off the queue)."""
    encounter_size: Annotated[int, Field(ge=1, le=100)] = 2
    """Participants from each of the two units in an encounter."""
    initial_tie: Annotated[Fraction, Plausible(0.1, 0.4)] = 0.2
    """Help-tie strength between every two units at the start (and after a reorganisation)."""
    tie_gain: Annotated[Fraction, Plausible(0.1, 0.3)] = 0.2
    """Share of the gap to a full tie closed by one encounter (Hansen 1999; Fang et al. 2010)."""
    tie_use_gain: Annotated[Fraction, Plausible(0.005, 0.02)] = 0.01
    """Share of the gap closed each time someone of one unit helps the other (a personal
    contact; routine handoffs through a queue build no tie)."""
    tie_decay: Annotated[Fraction, Plausible(0.005, 0.02, "unused ties fade in 50-200 days")] = 0.01
    """Daily decay of every tie: ties fade when unused."""
    tie_weight: Annotated[Fraction, Plausible(0.5, 1.0)] = 0.8
    """How strongly help follows ties: help probability x (1 - weight + weight x tie).
    Neutral 0."""
    tie_handoff_benefit: Annotated[Fraction, Plausible(0.25, 0.75)] = 0.5
    """Handoffs between tied units lose less information and are misrouted less:
    x (1 - benefit x tie). Neutral 0."""


class Costs(StrictSection):
    """What the organisation pays besides its employees' hours (`hourly_cost` of each group),
    in `run.currency`: the inputs of `total_cost`."""

    manager_hourly_cost: NonNegative = 70.0
    """Fully loaded cost of a unit's manager per working hour: one manager per unit."""
    per_contact: NonNegative = 4.0
    """Variable cost of each contact (telephony, systems, postage): repeat contacts cost again."""


class Reorganisation(StrictSection):
    """An event: on `day`, switch structure and/or policies. What the transition costs is in
    the event (Elrod & Tippett 2002: the 'death valley' of change)."""

    day: Annotated[int, Field(ge=1)]
    """Working day of the switch (at the start of that day)."""
    structure: Structure | None = None
    """The new structure; omit to keep the current one."""
    policies: dict[str, Any] = {}
    """Policy values that change (any keys of [policies])."""
    role_slowdown: Annotated[
        float,
        Field(ge=1.0, le=3.0),
        Plausible(1.1, 1.5, "generalist slowdown 1.0-1.3 before rework (§5.1)"),
    ] = 1.3
    """Work-time factor in new roles right after a structure switch, falling on the learning
    curve (docs/domain-notes.md §7.17: s0 = 1.3). Neutral 1. A policies-only event changes no
    roles."""
    engagement_dip: Annotated[Fraction, Plausible(0.0, 0.2)] = 0.1
    """Engagement lost by everyone at the switch (uncertainty of change). Neutral 0."""
    reset_ties: bool = True
    """Help ties start again from `initial_tie` between the new units (structure switch).
    False carries them over person to person (`sim.model.carried_ties`): neutral, a switch that
    keeps the units keeps their ties."""
    one_off_cost: NonNegative = 0.0
    """What the change costs once, in `run.currency` (consultants, systems, routing), counted
    in `total_cost`."""
    training_hours: Annotated[float, Field(ge=0.0, le=80.0)] = 0.0
    """Hours every employee spends in training at the switch, off the queue (at once if idle,
    else after the task at hand); each hour practises their weakest skill. Neutral 0."""


class SatisfactionSettings(StrictSection):
    """Customer satisfaction on a 1-5 scale (see `sim.satisfaction`)."""

    expectation_met_score: Annotated[float, Field(ge=1.0, le=5.0), Plausible(3.7, 4.2)] = 4.0
    """Score when resolution takes exactly the expected time, with no effort and no warmth."""
    gain_per_expectation: NonNegative = 0.5
    """Score gained per expected time saved (relative, capped at `gain_cap`)."""
    gain_cap: Annotated[float, Field(ge=0.0, le=1.0), Plausible(0.5, 1.0)] = 1.0
    """The largest relative time saving that still pleases (1 = instant resolution)."""
    loss_per_expectation: NonNegative = 1.0
    """Score lost per expected time overrun (relative, capped at `loss_cap`). Loss/gain about
    2 (Anderson & Sullivan 1993; Tversky & Kahneman 1992)."""
    loss_cap: Annotated[NonNegative, Plausible(2.0, 5.0)] = 3.0
    """The largest relative overrun that still counts (3 = four times the expected time)."""
    effort_per_handoff: Annotated[NonNegative, Plausible(0.1, 0.4)] = 0.25
    """Score lost per transfer (Dixon et al. 2010)."""
    visible_handoff_share: Annotated[Fraction, Plausible(0.2, 1.0)] = 0.5
    """Share of handoffs the customer sees (is transferred, contacted again, asked to repeat
    their story); only those cost effort. Back-office handoffs cost the customer time (they
    wait) but no effort. 1 = every handoff is a customer-facing transfer."""
    effort_per_repeat_contact: Annotated[
        NonNegative, Plausible(0.2, 0.6, "SQM: one-contact CSAT about a third higher")
    ] = 0.4
    """Score lost per repeat contact (Dixon: repeat contacts drive disloyalty). With the
    callback's wait counted in the resolution time, 0.4 puts one-contact resolution 1.34-1.35
    times multi-contact in the presets (SQM: about a third higher)."""
    warmth_weight: Annotated[NonNegative, Plausible(0.25, 0.75)] = 0.5
    """Score gained at full warmth (customer orientation x engagement; Grandey et al. 2005)."""
    repeat_warmth_kept: Annotated[Fraction, Plausible(0.0, 1.0)] = 1.0
    """Share of the contacts' warmth a customer still feels after a repeat contact (the repeat
    is already paid for in effort and time, so by default once only). 0 = warmth counts only
    where the work was right first time."""
    pre_service_wait_weight: Annotated[float, Field(ge=1.0, le=3.0), Plausible(1.0, 2.0)] = 1.0
    """How much longer the wait before the first contact feels than clock time (Maister 1985:
    a wait before service starts feels longer than one during it); the satisfaction compares
    the resolution time plus (weight - 1) x that wait with the expectation. 1 = clock time."""
    noise_sd: NonNegative = 0.4
    """Standard deviation of customer-to-customer variation in the score."""
    abandoned_score: Annotated[float, Field(ge=1.0, le=5.0), Plausible(1.0, 2.0)] = 1.0
    customer_clock: Literal["working_hours", "elapsed_hours"] = "working_hours"
    """The hours the customer's time is scored in against the expectation (resolution and the
    wait before service): working hours (opening hours only), or, with a `[calendar]`, every
    elapsed calendar hour (nights, weekends and holidays count; `expected_hours` is then read
    as elapsed hours too). Without a calendar both are the clock's hours. A modelling choice."""
    rating_cutoffs: Annotated[
        list[Annotated[float, Field(gt=1.0, le=5.0)]], Field(min_length=4, max_length=4)
    ] = [
        1.5,
        2.5,
        3.5,
        4.5,
    ]
    """The scores from which a customer's survey answer is 2, 3, 4 and 5 (below the first: 1);
    increasing. The default rounds the score to the nearest whole number (a modelling choice)."""
    top_box_rating: Annotated[int, Field(ge=2, le=5)] = 5
    """The lowest survey answer that counts as top box (`csat_top_box`)."""
    detractor_max_rating: Annotated[int, Field(ge=1, le=4)] = 3
    """The highest survey answer that counts as a detractor (`detractors`)."""

    @model_validator(mode="after")
    def _cutoffs_increase(self) -> SatisfactionSettings:
        cuts = self.rating_cutoffs
        if any(b <= a for a, b in pairwise(cuts)):
            raise ValueError(f"rating_cutoffs must increase, got {cuts}")
        return self


class Lesson(StrictSection):
    """What the classroom shows of a scenario that belongs to a trainer's lesson
    (``scenarios/lessons/``). The model never reads it."""

    number: Annotated[int, Field(ge=0, le=99)]
    """The lesson's place in the classroom's list (the lowest number opens first)."""
    title: Annotated[str, Field(min_length=1, max_length=80)]
    sides: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1, max_length=3)]
    """The lesson's scenario files (names in the same folder), in the order the classroom
    shows them side by side, left first. A single file with a reorganisation is shown without
    it on the left and with it on the right."""
    side: Annotated[str, Field(min_length=1, max_length=40)]
    """This file's side as the classroom labels it ("Handoffs cheap")."""
    watch: str = ""
    """What to watch for, said to the room (only in the first file of `sides`). Numbers are
    written as ``{a.resolution_hours_mean:.1f}``: a KPI of a run of the first side (``a``),
    the second (``b``) or the third (``c``) with its own settings and seed, so that they are
    measured, never typed."""
    why: str = ""
    """Why it happens, with the sources (only in the first file of `sides`); numbers as in
    `watch`."""


class Scenario(StrictSection):
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    run: RunSettings = RunSettings()
    demand: Demand
    workforce: Annotated[list[WorkforceGroup], Field(min_length=1)]
    structure: Structure = Structure()
    policies: Policies = Policies()
    people: People = People()
    managers: Managers = Managers()
    satisfaction: SatisfactionSettings = SatisfactionSettings()
    calendar: Calendar | None = None
    """The working calendar (opening hours, holidays, shifts, arrivals by hour of the week);
    none = the clock knows only working hours."""
    costs: Costs = Costs()
    events: list[Reorganisation] = []
    """Reorganisations during the run, in day order."""
    lesson: Lesson | None = None
    """Set in the files of a trainer's lesson: how the classroom shows them."""
    assumptions: dict[str, Annotated[list[float], Field(min_length=2, max_length=2)]] = {}
    """Your estimate of modelling choices: ``"policies.coordination" = [0.0, 0.02]`` replaces
    that key's plausible range (`Plausible`) in the worlds of `sim compare --worlds`. A single
    run never reads it: the key's own value is what runs."""

    @property
    def skills(self) -> list[str]:
        """Every skill the workforce has, primary skills first, in file order."""
        seen = dict.fromkeys(g.skill for g in self.workforce)
        for group in self.workforce:
            seen.update(dict.fromkeys(group.other_skills))
        return list(seen)

    @property
    def headcount(self) -> int:
        return sum(g.headcount for g in self.workforce)

    def with_overrides(
        self, changes: dict[str, Any] | None = None, /, *, allow_large: bool = False, **more: Any
    ) -> Scenario:
        """A copy with dotted keys replaced (``{"run.days": 10}``, as a mapping or keywords),
        validated like a file (`sim.scenario.parse_scenario`, with its `allow_large`)."""
        # Validating a whole scenario is the loader's job (it builds the units to check them),
        # and the loader imports this module: so it is imported here, when first needed.
        from sim.scenario.loading import parse_scenario, set_path

        raw = self.model_dump()
        for path, value in {**(changes or {}), **more}.items():
            set_path(raw, path.split("."), value)
        return parse_scenario(raw, source="<overrides>", allow_large=allow_large)


NEUTRAL: dict[str, dict[str, Any]] = {
    "policies": {
        "dispatch": "oldest",
        "handoff_delay_hours": 0.0,
        "handoff_info_loss": 0.0,
        "misrouting": 0.0,
        "help_across_units": 0.0,
        "first_contact_resolution": 1.0,
        "proficiency_quality_exponent": 0.0,
        "engagement_effect": 0.0,
        "coordination": 0.0,
        "coordination_per_skill": 0.0,
        "customer_metric_weight": 1.0,
        "transfer_out": 0.0,
        "social_loafing": 0.0,
    },
    "people": {
        "engagement_recovery": 0.0,
        "support_gain": 0.0,
        "feedback_gain": 0.0,
        "overload_loss": 0.0,
        "rework_loss": 0.0,
        "busy_warmth_loss": 0.0,
        "learning_rate": 1.0,
        "forgetting": 0.0,
        "cross_training_hours_per_week": 0.0,
        "planned_absence": 0.0,
        "sickness_absence": 0.0,
        "burnout_sickness": 0.0,
        "burnout_quit": 0.0,
    },
    "managers": {
        "encounters_per_pair_per_week": 0.0,
        "encounters_per_week": 0.0,
        "tie_weight": 0.0,
        "tie_handoff_benefit": 0.0,
    },
}
"""The value of every mechanism that switches it off. With all of them, exponential work,
Poisson arrivals and no abandonment, a scenario is a pure queueing network (validation mode)."""


def event_scenario(s: Scenario, event: Reorganisation) -> Scenario:
    """The scenario as it is after `event`: new structure and policies, no further events."""
    policies = Policies.model_validate({**s.policies.model_dump(), **event.policies})
    return s.model_copy(
        update={"structure": event.structure or s.structure, "policies": policies, "events": []}
    )
