"""Two or three organisations, the same customers: the classroom's side-by-side controller.

`Lineup` owns one `OrgModel` per side, all built from one seed, so every side sees the same
customers (common random numbers) and every difference comes from what the sides differ in.
Before the class sees them, the organisations play their warm-up (``run.warmup_days``), so
the queues are already full and nothing on screen is the empty start: the classroom opens on
the first counted day. Then they advance together on a fixed sampling grid; each keeps the
running tallies the charts and the big numbers need (read incrementally from the model's
request log, never as a DataFrame), where its open requests are (queued, in service, in
transfer between units, away until the customer calls back) and the handoffs seen between
samples. Views never touch a model: they get an immutable `Frame`, so the page can render
while the play loop advances the models in another thread.

The levers (load, handoff delay, help, customer metric weight, manager support) keep each
side's own values: a lesson is a contrast (handoffs 0.1 h against 8 h), and moving a lever
moves every side by the same offset (by the same factor, for the load), so the contrast
survives (`LEVERS`, `retuned`).

Pure Python, no Solara: the benchmark and the tests drive it directly.
"""

from __future__ import annotations

import itertools
import math
import threading
from array import array
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import ClassVar

import numpy as np

from sim.model import OrgModel
from sim.replications import Difference, paired_difference
from sim.scenario import Scenario

SAMPLE_HOURS = 0.25
"""Chart resolution: a point every quarter of a working hour, whatever the playback speed."""
FLOW_HOURS = 1.0
"""A handoff stays on the organisation view for one working hour after it happens."""
CLASSROOM_DAYS = 500
"""Customers keep arriving for two working years: the classroom can keep playing."""

SERIES = ("day", "resolution_hours", "csat", "backlog", "handoffs_per_request")
SCORES = ("resolution_hours", "csat", "abandoned", "handoffs_per_request")
"""The big numbers of each side: mean resolution time, CSAT, share of customers who gave up,
handoffs per request, over the closed (counted) requests since the start and in the last
working day."""
SCORE_KPIS = {
    "resolution_hours": "resolution_hours_mean",
    "csat": "csat_mean",
    "abandoned": "abandoned_share",
    "handoffs_per_request": "handoffs_per_request",
}
"""The KPI of a run each big number is (its name, unit and better direction)."""
_frame_ids = itertools.count(1)


# Levers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Levers:
    """One side's lever values."""

    requests_per_day: float
    handoff_delay_hours: float
    help_across_units: float
    customer_metric_weight: float
    manager_support: float

    KEYS: ClassVar[dict[str, str]] = {
        "requests_per_day": "demand.requests_per_day",
        "handoff_delay_hours": "policies.handoff_delay_hours",
        "help_across_units": "policies.help_across_units",
        "customer_metric_weight": "policies.customer_metric_weight",
        "manager_support": "managers.support",
    }

    @classmethod
    def of(cls, s: Scenario) -> Levers:
        return cls(
            requests_per_day=s.demand.requests_per_day,
            handoff_delay_hours=s.policies.handoff_delay_hours,
            help_across_units=s.policies.help_across_units,
            customer_metric_weight=s.policies.customer_metric_weight,
            manager_support=s.managers.support,
        )

    def overrides(self) -> dict[str, float]:
        return {self.KEYS[f.name]: float(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class Lever:
    """A slider of the classroom. Its position is the left side's value (for a `relative`
    lever, the factor on every side's own value); the other sides keep their distance."""

    name: str
    """The `Levers` field it sets."""
    label: str
    low: float
    high: float
    step: float
    unit: str
    relative: bool = False
    ceiling: float | None = None
    """The largest value the model allows (None: no limit); 0 is the floor of every lever."""

    def position(self, bases: Sequence[Levers], levers: Sequence[Levers]) -> float:
        """Where the slider stands for the sides' current values."""
        now, base = getattr(levers[0], self.name), getattr(bases[0], self.name)
        return now / base if self.relative else now

    def values(self, bases: Sequence[Levers], position: float) -> list[float]:
        """Every side's value with the slider at `position`."""
        own = [getattr(b, self.name) for b in bases]
        if self.relative:
            return [v * position for v in own]
        offset = position - own[0]
        top = math.inf if self.ceiling is None else self.ceiling
        return [min(max(v + offset, 0.0), top) for v in own]


LEVERS = (
    # The load in steps of 5% of each side's own, from half to one and a half times it.
    Lever("requests_per_day", "Load", 0.5, 1.5, 0.05, "requests/day", relative=True),
    Lever("handoff_delay_hours", "Handoff delay", 0.0, 8.0, 0.25, "h"),
    Lever("help_across_units", "Help across units", 0.0, 1.0, 0.05, "", ceiling=1.0),
    Lever("customer_metric_weight", "Customer metric weight", 0.0, 1.0, 0.05, "", ceiling=1.0),
    Lever("manager_support", "Manager support", 0.0, 1.0, 0.05, "", ceiling=1.0),
)


def retuned(
    bases: Sequence[Levers], levers: Sequence[Levers], name: str, position: float
) -> tuple[Levers, ...]:
    """The sides' levers with lever `name` moved to `position`, the others as they are."""
    lever = next(x for x in LEVERS if x.name == name)
    values = lever.values(bases, position)
    return tuple(replace(now, **{name: v}) for now, v in zip(levers, values, strict=True))


def classroom_scenario(s: Scenario, levers: Levers) -> Scenario:
    """The scenario as the classroom plays it: the levers applied, and arrivals for
    `CLASSROOM_DAYS` (the warm-up is the file's). Raises `ScenarioError`."""
    return s.with_overrides({**levers.overrides(), "run.days": CLASSROOM_DAYS})


# Frames: what the views draw -------------------------------------------------------------


@dataclass(frozen=True)
class UnitView:
    name: str
    activities: tuple[str, ...]
    """One entry per member: idle, working, helping, encounter or training."""
    queue: int
    arriving: int = 0
    """Requests in transfer to this unit (a handoff's delay): nobody can work on them."""


@dataclass(frozen=True)
class Score:
    """One big number of a side."""

    since_start: float
    """Over every counted request closed since the start (NaN before the first)."""
    last_day: float
    """Over those closed in the last working day."""
    daily: np.ndarray = field(repr=False)
    """One value per finished working day (batch means: what `versus` judges noise by)."""


@dataclass(frozen=True)
class OrgView:
    label: str
    units: tuple[UnitView, ...]
    flows: tuple[tuple[int, int, int, float], ...]
    """Recent handoffs: (from unit, to unit, how many in the last `FLOW_HOURS`, freshness
    in (0, 1], 1 = just now)."""
    open: int
    queued: int
    in_transfer: int
    away: int
    """Open requests whose customer will call back (a task was not done right)."""
    closed: int
    """Counted requests closed (resolved or abandoned) since the start."""
    scores: dict[str, Score] = field(repr=False)
    series: dict[str, np.ndarray] = field(repr=False)

    @property
    def in_service(self) -> int:
        return self.open - self.queued - self.in_transfer - self.away


def versus(side: OrgView, baseline: OrgView, score: str) -> Difference:
    """`side`'s big number against `baseline`'s, day by day: the paired difference of their
    daily means over the days both have (the same customers arrived on both sides that day),
    with its 95% CI. `.clear`: the difference is larger than the day-to-day noise."""
    a, b = side.scores[score].daily, baseline.scores[score].daily
    n = min(len(a), len(b))
    both = np.isfinite(a[:n]) & np.isfinite(b[:n])
    return paired_difference(
        SCORE_KPIS[score], a[:n][both], b[:n][both], scenario=side.label, baseline=baseline.label
    )


@dataclass(frozen=True)
class Frame:
    id: int
    run: int
    """Changes whenever the organisations restart (reset, new levers, new lesson)."""
    time: float
    start: float
    """When the class started watching: the end of the warm-up (working hours)."""
    hours_per_day: float
    finished: bool
    sides: tuple[OrgView, ...]

    @property
    def day(self) -> int:
        return int(self.time // self.hours_per_day) + 1

    @property
    def clock(self) -> str:
        """Time of day on a 09:00 start (working hours only: nights do not exist here)."""
        minutes = round((self.time % self.hours_per_day) * 60)
        return f"{9 + minutes // 60:02d}:{minutes % 60:02d}"


# One organisation ------------------------------------------------------------------------


class _Tally:
    """Sums over closed requests: resolution hours of the resolved ones, CSAT, abandoned,
    handoffs."""

    __slots__ = ("abandoned", "closed", "csat", "handoffs", "hours", "resolved")

    def __init__(self) -> None:
        self.hours = self.csat = 0.0
        self.resolved = self.closed = self.abandoned = self.handoffs = 0

    def add(self, hours: float, csat: float, handoffs: int, sign: int = 1) -> None:
        if math.isnan(hours):
            self.abandoned += sign
        else:
            self.hours += sign * hours
            self.resolved += sign
        self.closed += sign
        self.csat += sign * csat
        self.handoffs += sign * handoffs

    def values(self) -> dict[str, float]:
        def ratio(x: float, n: int) -> float:
            return x / n if n else math.nan

        return {
            "resolution_hours": ratio(self.hours, self.resolved),
            "csat": ratio(self.csat, self.closed),
            "abandoned": ratio(self.abandoned, self.closed),
            "handoffs_per_request": ratio(self.handoffs, self.closed),
        }


class OrgTracker:
    """One model plus the running tallies its charts, big numbers and view need."""

    def __init__(self, scenario: Scenario, seed: int, label: str):
        # No time series: the tracker keeps its own tallies.
        self.model = OrgModel(scenario, rng=seed, sample_every_hours=None)
        self.label = label
        self.window = self.model.hours_per_day
        self._read = 0
        """Records of the request log already read."""
        self._recent: deque[tuple[float, float, float, int]] = deque()
        """(closed, resolution hours or nan if abandoned, csat, handoffs) in the last window."""
        self._last_day = _Tally()
        self._total = _Tally()
        self._days: dict[int, _Tally] = {}
        """Per working day (by closing time): the batches of `Score.daily`."""
        self._where: dict[int, tuple[int, int]] = {}
        """Open request id -> (unit, handoffs) at the last sample."""
        self._places = (0, 0, 0, [0] * len(self.model.units))
        """(queued, in transfer, away, in transfer to each unit) at the last sample."""
        self._units = self.model.units
        self.flows: deque[tuple[float, int, int, int]] = deque()
        """Handoffs seen between two samples: (time, from unit, to unit, how many)."""
        self.series = {name: array("d") for name in SERIES}

    def sample(self) -> None:
        m = self.model
        now = m.time
        self._read_closures(now)
        self._watch_open(now)
        s, last = self.series, self._last_day.values()
        s["day"].append(now / m.hours_per_day)
        s["resolution_hours"].append(last["resolution_hours"])
        s["csat"].append(last["csat"])
        s["backlog"].append(len(m.open))
        s["handoffs_per_request"].append(last["handoffs_per_request"])

    def _read_closures(self, now: float) -> None:
        log = self.model.requests
        recent, last, hours_per_day = self._recent, self._last_day, self.model.hours_per_day
        fields = ("closed", "arrived", "csat", "handoffs", "abandoned")
        for closed, arrived, csat, handoffs, abandoned in log.since(self._read, fields):
            hours, moved = math.nan if abandoned else closed - arrived, int(handoffs)
            recent.append((closed, hours, csat, moved))
            for tally in (last, self._total, self._day(int(closed // hours_per_day))):
                tally.add(hours, csat, moved)
        self._read = len(log)
        start = now - self.window
        while recent and recent[0][0] < start:
            _, hours, score, moved = recent.popleft()
            last.add(hours, score, moved, sign=-1)
        if not recent:
            self._last_day = _Tally()  # no rounding drift once the window empties

    def _day(self, day: int) -> _Tally:
        tally = self._days.get(day)
        if tally is None:
            tally = self._days[day] = _Tally()
        return tally

    def _watch_open(self, now: float) -> None:
        """Where the open requests are, and the handoffs since the last sample (a request
        whose handoff count rose moved between units)."""
        m = self.model
        if m.units is not self._units:  # a reorganisation: earlier unit numbers mean nothing
            self._units = m.units
            self._where.clear()
            self.flows.clear()
        before, where = self._where, {}
        queued = sum(len(u.queue) for u in m.units)
        transfer, away, arriving = 0, 0, [0] * len(m.units)
        for request in m.open:
            unit, count = request.unit, request.handoffs
            if not request.in_unit:
                if request.after_handoff:  # on its way to `unit`, after a handoff
                    transfer += 1
                    arriving[unit] += 1
                else:  # the task was not done right: the customer comes back later
                    away += 1
            source, before_count = before.get(request.id, (None, count))
            if count > before_count and source is not None and source != unit:
                self.flows.append((now, source, unit, count - before_count))
            where[request.id] = (unit, count)
        self._where = where
        self._places = (queued, transfer, away, arriving)
        while self.flows and self.flows[0][0] < now - FLOW_HOURS:
            self.flows.popleft()

    def view(self) -> OrgView:
        m = self.model
        now = m.time
        queued, transfer, away, arriving = self._places
        if len(arriving) != len(m.units):  # reorganised since the last sample
            arriving = [0] * len(m.units)
        units = tuple(
            UnitView(u.name, tuple(e.activity for e in u.members), len(u.queue), arriving[i])
            for i, u in enumerate(m.units)
        )
        pairs: dict[tuple[int, int], list[float]] = {}
        for when, source, target, count in self.flows:
            entry = pairs.setdefault((source, target), [0, 0.0])
            entry[0] += count
            entry[1] = max(entry[1], 1.0 - (now - when) / FLOW_HOURS)
        return OrgView(
            label=self.label,
            units=units,
            flows=tuple((a, b, int(n), max(f, 0.05)) for (a, b), (n, f) in pairs.items()),
            open=len(m.open),
            queued=queued,
            in_transfer=transfer,
            away=away,
            closed=self._total.closed,
            scores=self._scores(now),
            series={k: np.frombuffer(v, dtype="d").copy() for k, v in self.series.items()},
        )

    def _scores(self, now: float) -> dict[str, Score]:
        total, last = self._total.values(), self._last_day.values()
        today = int(now // self.model.hours_per_day)
        finished = [d for d in sorted(self._days) if d < today]
        daily = [self._days[d].values() for d in finished]
        return {
            key: Score(total[key], last[key], np.array([d[key] for d in daily], dtype=float))
            for key in SCORES
        }


# The lineup ------------------------------------------------------------------------------


class Lineup:
    """Two or three organisations fed the same customers, advanced together.

    Thread-safe: the play loop advances it while a click may reset it.
    """

    def __init__(
        self,
        scenarios: Sequence[Scenario],
        labels: Sequence[str],
        seed: int | None = None,
        levers: Sequence[Levers] | None = None,
    ):
        self.scenarios = tuple(scenarios)
        self.labels = tuple(labels)
        self.seed = self.scenarios[0].run.seed if seed is None else seed
        self.levers = tuple(levers) if levers else tuple(Levers.of(s) for s in self.scenarios)
        self._lock = threading.Lock()
        self._run = 0
        self._build()

    def _build(self) -> None:
        """(Re)start every organisation, played through its warm-up (raises `ScenarioError`,
        changing nothing)."""
        played = [
            classroom_scenario(s, levers)
            for s, levers in zip(self.scenarios, self.levers, strict=True)
        ]
        pair = tuple(
            OrgTracker(s, self.seed, label) for s, label in zip(played, self.labels, strict=True)
        )
        self.hours_per_day = played[0].run.hours_per_day
        self.start = max(s.run.warmup_days for s in played) * self.hours_per_day
        for tracker in pair:
            tracker.model.run_until(self.start)
            tracker.sample()
        self.pair = pair
        self.horizon = min(t.model.horizon for t in pair)
        self._run += 1
        self._frame = self._snapshot()

    def configure(
        self,
        *,
        levers: Sequence[Levers] | None = None,
        seed: int | None = None,
        scenarios: Sequence[Scenario] | None = None,
        labels: Sequence[str] | None = None,
    ) -> Frame:
        """Change what is played and restart every organisation from the end of its warm-up.

        Raises `ScenarioError` (for example a lever out of range) and then keeps playing what
        it was playing."""
        with self._lock:
            before = (self.levers, self.seed, self.scenarios, self.labels)
            if scenarios is not None:
                self.scenarios = tuple(scenarios)
                self.levers = tuple(Levers.of(s) for s in self.scenarios)
            self.levers = tuple(levers) if levers is not None else self.levers
            self.seed = seed if seed is not None else self.seed
            self.labels = tuple(labels) if labels is not None else self.labels
            try:
                self._build()
            except Exception:
                self.levers, self.seed, self.scenarios, self.labels = before
                raise
            return self._frame

    def retune(self, levers: Sequence[Levers]) -> Frame:
        """Apply new lever values (one per side) from now on (same time, same customers still
        to come). Raises `ScenarioError` and changes nothing on a bad value."""
        with self._lock:
            for s, side in zip(self.scenarios, levers, strict=True):
                classroom_scenario(s, side)  # validates before any side changes
            for tracker, side in zip(self.pair, levers, strict=True):
                tracker.model.adjust(**side.overrides())
            self.levers = tuple(levers)
            self._frame = self._snapshot()
            return self._frame

    def reset(self) -> Frame:
        """Back to the start with the same customers and levers."""
        return self.configure()

    @property
    def finished(self) -> bool:
        return self.pair[0].model.time >= self.horizon

    def advance(self, hours: float) -> Frame:
        """Play `hours` more working hours (every side), sampling on a fixed grid."""
        with self._lock:
            now = self.pair[0].model.time
            end = min(now + hours, self.horizon)
            grid = math.floor(now / SAMPLE_HOURS + 1e-9) + 1
            while grid * SAMPLE_HOURS <= end + 1e-9:
                t = grid * SAMPLE_HOURS
                for tracker in self.pair:
                    tracker.model.run_until(t)
                    tracker.sample()
                grid += 1
            for tracker in self.pair:
                if tracker.model.time < end:
                    tracker.model.run_until(end)
            self._frame = self._snapshot()
            return self._frame

    def frame(self) -> Frame:
        return self._frame

    def _snapshot(self) -> Frame:
        return Frame(
            id=next(_frame_ids),
            run=self._run,
            time=self.pair[0].model.time,
            start=self.start,
            hours_per_day=self.hours_per_day,
            finished=self.finished,
            sides=tuple(t.view() for t in self.pair),
        )
