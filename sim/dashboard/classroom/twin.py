"""Two organisations, the same customers: the classroom's side-by-side controller.

`Twin` owns two `OrgModel`s built from one seed, so both see the same customers (common random
numbers) and every difference comes from structure. It advances them together on a fixed
sampling grid and keeps, for each, the running tallies the live charts need (read
incrementally from the model's request log, never as a DataFrame) and the handoffs seen
between samples. Views never touch a model: they get an immutable `Frame`, so the page can
render while the play loop advances the models in another thread.

Pure Python, no Solara: the benchmark and the tests drive it directly.
"""

from __future__ import annotations

import itertools
import math
import threading
from array import array
from collections import deque
from dataclasses import dataclass, field, fields
from typing import ClassVar

import numpy as np

from sim.model import OrgModel
from sim.scenario import Scenario

SAMPLE_HOURS = 0.25
"""Chart resolution: a point every quarter of a working hour, whatever the playback speed."""
FLOW_HOURS = 1.0
"""A handoff stays on the organisation view for one working hour after it happens."""
CLASSROOM_DAYS = 500
"""Customers keep arriving for two working years: the classroom can keep playing."""
_NO_COLLECTION = 1e9
"""The model's own DataCollector is not needed here (the twin keeps its own tallies)."""

SERIES = ("day", "resolution_hours", "csat", "backlog", "handoffs_per_request")
_frame_ids = itertools.count(1)


@dataclass(frozen=True)
class Levers:
    """What a trainer moves during a lesson; applied to both organisations alike."""

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


def classroom_scenario(s: Scenario, levers: Levers) -> Scenario:
    """The scenario as the classroom plays it: the levers applied, no warm-up (every customer
    is on the charts), and arrivals for `CLASSROOM_DAYS`. Raises `ScenarioError`."""
    return s.with_overrides(
        **levers.overrides(), **{"run.days": CLASSROOM_DAYS, "run.warmup_days": 0}
    )


# Frames: what the views draw -------------------------------------------------------------


@dataclass(frozen=True)
class UnitView:
    name: str
    activities: tuple[str, ...]
    """One entry per member: idle, working, helping, encounter or training."""
    queue: int


@dataclass(frozen=True)
class OrgView:
    label: str
    units: tuple[UnitView, ...]
    flows: tuple[tuple[int, int, int, float], ...]
    """Recent handoffs: (from unit, to unit, how many in the last `FLOW_HOURS`, freshness
    in (0, 1], 1 = just now)."""
    open: int
    resolved: int
    abandoned: int
    handoffs: int
    """Handoffs since the start, of closed and open requests."""
    series: dict[str, np.ndarray] = field(repr=False)


@dataclass(frozen=True)
class Frame:
    id: int
    run: int
    """Changes whenever the organisations restart (reset, new levers, new lesson)."""
    time: float
    hours_per_day: float
    finished: bool
    left: OrgView
    right: OrgView

    @property
    def day(self) -> int:
        return int(self.time // self.hours_per_day) + 1

    @property
    def clock(self) -> str:
        """Time of day on a 09:00 start (working hours only: nights do not exist here)."""
        minutes = round((self.time % self.hours_per_day) * 60)
        return f"{9 + minutes // 60:02d}:{minutes % 60:02d}"


# One organisation ------------------------------------------------------------------------


class OrgTracker:
    """One model plus the running tallies its charts and view need."""

    def __init__(self, scenario: Scenario, seed: int, label: str):
        self.model = OrgModel(scenario, rng=seed, sample_every_hours=_NO_COLLECTION)
        self.label = label
        self.window = self.model.hours_per_day
        self._read = 0
        """Records of the request log already read."""
        self._recent: deque[tuple[float, float, float, int]] = deque()
        """(closed, resolution hours or nan if abandoned, csat, handoffs) in the last window."""
        self._sums = [0.0, 0, 0.0, 0.0]  # resolution sum, resolved count, csat sum, handoffs sum
        self._where: dict[int, tuple[int | None, int]] = {}
        """Open request id -> (unit, handoffs) at the last sample."""
        self._units = self.model.units
        self.flows: deque[tuple[float, int, int, int]] = deque()
        """Handoffs seen between two samples: (time, from unit, to unit, how many)."""
        self._closed_handoffs = 0
        self.handoffs = 0
        """Every handoff so far: of closed requests (from the log) and of open ones."""
        self.series = {name: array("d") for name in SERIES}

    def sample(self) -> None:
        m = self.model
        now = m.time
        self._read_closures(now)
        self._watch_handoffs(now)
        count = len(self._recent)
        res_sum, resolved, csat_sum, handoff_sum = self._sums
        s = self.series
        s["day"].append(now / m.hours_per_day)
        s["resolution_hours"].append(res_sum / resolved if resolved else math.nan)
        s["csat"].append(csat_sum / count if count else math.nan)
        s["backlog"].append(len(m.open))
        s["handoffs_per_request"].append(handoff_sum / count if count else math.nan)

    def _read_closures(self, now: float) -> None:
        log = self.model.requests
        sums, recent = self._sums, self._recent
        fields = ("closed", "arrived", "csat", "handoffs", "abandoned")
        for closed, arrived, csat, handoffs, abandoned in log.since(self._read, fields):
            self._closed_handoffs += handoffs
            hours = math.nan if abandoned else closed - arrived
            recent.append((closed, hours, csat, handoffs))
            if not abandoned:
                sums[0] += hours
                sums[1] += 1
            sums[2] += csat
            sums[3] += handoffs
        self._read = len(log)
        start = now - self.window
        while recent and recent[0][0] < start:
            _, hours, score, moved = recent.popleft()
            if not math.isnan(hours):
                sums[0] -= hours
                sums[1] -= 1
            sums[2] -= score
            sums[3] -= moved
        if not recent:
            self._sums = [0.0, 0, 0.0, 0.0]  # no rounding drift once the window empties

    def _watch_handoffs(self, now: float) -> None:
        """A request whose handoff count rose since the last sample moved between units."""
        m = self.model
        if m.units is not self._units:  # a reorganisation: earlier unit numbers mean nothing
            self._units = m.units
            self._where.clear()
            self.flows.clear()
        before, where, in_flight = self._where, {}, 0
        for request in m.open:
            unit, count = request.unit, request.handoffs
            in_flight += count
            source, before_count = before.get(request.id, (None, count))
            if count > before_count and None not in (source, unit) and source != unit:
                self.flows.append((now, source, unit, count - before_count))
            where[request.id] = (unit, count)
        self._where = where
        self.handoffs = self._closed_handoffs + in_flight
        while self.flows and self.flows[0][0] < now - FLOW_HOURS:
            self.flows.popleft()

    def view(self) -> OrgView:
        m = self.model
        now = m.time
        units = tuple(
            UnitView(u.name, tuple(e.activity for e in u.members), len(u.queue)) for u in m.units
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
            resolved=m.resolved_counted,
            abandoned=m.abandoned_counted,
            handoffs=self.handoffs,
            series={k: np.frombuffer(v, dtype="d").copy() for k, v in self.series.items()},
        )


# The pair --------------------------------------------------------------------------------


class Twin:
    """Two organisations fed the same customers, advanced together.

    Thread-safe: the play loop advances it while a click may reset it.
    """

    def __init__(
        self,
        left: Scenario,
        right: Scenario,
        labels: tuple[str, str],
        seed: int | None = None,
        levers: Levers | None = None,
    ):
        self.scenarios = (left, right)
        self.labels = labels
        self.seed = left.run.seed if seed is None else seed
        self.levers = levers or Levers.of(left)
        self._lock = threading.Lock()
        self._run = 0
        self._build()

    def _build(self) -> None:
        """(Re)start both organisations from time 0 (raises `ScenarioError`, changing nothing)."""
        played = [classroom_scenario(s, self.levers) for s in self.scenarios]
        self.pair = tuple(
            OrgTracker(s, self.seed, label) for s, label in zip(played, self.labels, strict=True)
        )
        self.hours_per_day = played[0].run.hours_per_day
        self.horizon = min(t.model.horizon for t in self.pair)
        self._run += 1
        for tracker in self.pair:
            tracker.sample()
        self._frame = self._snapshot()

    def configure(
        self,
        *,
        levers: Levers | None = None,
        seed: int | None = None,
        scenarios: tuple[Scenario, Scenario] | None = None,
        labels: tuple[str, str] | None = None,
    ) -> Frame:
        """Change what is played and restart both organisations from time 0.

        Raises `ScenarioError` (for example a lever out of range) and then keeps playing what
        it was playing."""
        with self._lock:
            before = (self.levers, self.seed, self.scenarios, self.labels)
            self.levers = levers if levers is not None else self.levers
            self.seed = seed if seed is not None else self.seed
            self.scenarios = scenarios if scenarios is not None else self.scenarios
            self.labels = labels if labels is not None else self.labels
            try:
                self._build()
            except Exception:
                self.levers, self.seed, self.scenarios, self.labels = before
                raise
            return self._frame

    def retune(self, levers: Levers) -> Frame:
        """Apply new lever values to both organisations from now on (same time, same
        customers still to come). Raises `ScenarioError` and changes nothing on a bad value."""
        with self._lock:
            for s in self.scenarios:
                classroom_scenario(s, levers)  # validates before either side changes
            for tracker in self.pair:
                tracker.model.adjust(**levers.overrides())
            self.levers = levers
            self._frame = self._snapshot()
            return self._frame

    def reset(self) -> Frame:
        """Back to time 0 with the same customers and levers."""
        return self.configure()

    @property
    def finished(self) -> bool:
        return self.pair[0].model.time >= self.horizon

    def advance(self, hours: float) -> Frame:
        """Play `hours` more working hours (both sides), sampling the charts on a fixed grid."""
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
        left, right = self.pair
        return Frame(
            id=next(_frame_ids),
            run=self._run,
            time=left.model.time,
            hours_per_day=self.hours_per_day,
            finished=self.finished,
            left=left.view(),
            right=right.view(),
        )
