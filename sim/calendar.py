"""The working calendar: when the organisation is open, when each person is on duty, and when
customers arrive, by hour of the week.

Without a calendar the clock knows only working hours (nights and weekends do not exist). With
one, the clock runs in calendar hours from midnight of `calendar.start`: customers arrive around
the clock, people take work only while on duty, and a request that arrives on Friday evening
waits through the weekend, as its customer does.

This module is pure arithmetic on hours: it reads the calendar's text ("09:00-17:00"), lays a
weekly pattern out on the run's days (holidays closed) as on-duty intervals (`Timeline`), and
measures the on-duty hours between two instants. The model turns a timeline's ends into events
(`ShiftChanges`); an absence can use the same `Employee.go_off_duty` / `come_on_duty`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Literal

import numpy as np

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS_PER_WEEK = 168

_RANGE = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*$")

Ranges = tuple[tuple[float, float], ...]
"""Hour ranges from a day's midnight; an end past 24 runs into the next day."""


def parse_hours(text: str) -> Ranges:
    """``"09:00-12:00, 13:00-17:00"`` -> ``((9, 12), (13, 17))``; ``""`` or ``"closed"`` -> ().

    An end at or before its start runs past midnight (``"22:00-06:00"`` is 22 to 30); ``"0-24"``
    is the whole day. Raises `ValueError` with what is allowed.
    """
    if text.strip().lower() in ("", "closed"):
        return ()
    ranges = []
    for part in text.split(","):
        match = _RANGE.match(part)
        if match is None:
            raise ValueError(
                f"{part.strip()!r} is not an hour range (allowed: 'HH:MM-HH:MM', several "
                "separated by commas, or 'closed')"
            )
        h1, m1, h2, m2 = (int(g) if g else 0 for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"{part.strip()!r} is not a time of day (allowed: 00:00 to 24:00)")
        start, end = h1 + m1 / 60, h2 + m2 / 60
        if end <= start:
            end += 24.0
        ranges.append((start, end))
    ranges.sort()
    for (_, end), (start, _) in pairwise(ranges):
        if start < end:
            raise ValueError(f"{text!r} has overlapping ranges")
    return tuple(ranges)


@dataclass(frozen=True)
class Week:
    """A weekly pattern: the hour ranges of each weekday, Monday first."""

    days: tuple[Ranges, ...]

    @classmethod
    def from_text(cls, by_day: Mapping[Weekday, str]) -> Week:
        return cls(tuple(parse_hours(by_day.get(day, "")) for day in WEEKDAYS))

    @property
    def hours(self) -> float:
        """Hours per week in the pattern."""
        return sum(end - start for ranges in self.days for start, end in ranges)


class Timeline:
    """A weekly pattern laid out on the run's days: on-duty intervals in model hours from time 0
    (midnight of the calendar's start date) up to `until`, holidays off.

    `hours_between(a, b)` is the time on duty between two instants: a bisection on the
    intervals and their running total, so a request's working hours cost O(log n).
    """

    def __init__(
        self, week: Week, first_weekday: int, holidays: Iterable[int], until: float
    ) -> None:
        self.week = week
        self.until = until
        starts: list[float] = []
        ends: list[float] = []
        for start, end in _intervals(week, first_weekday, frozenset(holidays), until):
            if starts and start <= ends[-1]:  # runs on from the day before (e.g. 24/7)
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        self.starts = np.array(starts)
        self.ends = np.array(ends)
        self.before = np.concatenate(([0.0], np.cumsum(self.ends - self.starts)))
        """On-duty hours before each interval."""
        self._starts = starts
        self._ends = ends
        self._before = self.before.tolist()

    @property
    def intervals(self) -> Sequence[tuple[float, float]]:
        return list(zip(self._starts, self._ends, strict=True))

    def is_on(self, t: float) -> bool:
        i = bisect_right(self._starts, t) - 1
        return i >= 0 and t < self._ends[i]

    def on_before(self, t: float) -> float:
        """On-duty hours from time 0 to `t`."""
        i = bisect_right(self._starts, t) - 1
        if i < 0:
            return 0.0
        return self._before[i] + min(t, self._ends[i]) - self._starts[i]

    def hours_between(self, a: float, b: float) -> float:
        return self.on_before(b) - self.on_before(a)

    def on_before_array(self, t: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self.starts, t, side="right") - 1
        safe = np.maximum(i, 0)
        inside = np.minimum(t, self.ends[safe]) - self.starts[safe]
        return np.where(i >= 0, self.before[safe] + inside, 0.0)


def _intervals(
    week: Week, first_weekday: int, holidays: frozenset[int], until: float
) -> Iterator[tuple[float, float]]:
    """Each day's ranges in model hours, in order, up to `until` (holidays skipped)."""
    day = 0
    while day * 24.0 < until:
        if day not in holidays:
            for start, end in week.days[(first_weekday + day) % 7]:
                yield day * 24.0 + start, min(day * 24.0 + end, until)
        day += 1


def day_index(start: date, day: date) -> int:
    """Days from the calendar's start to `day` (model day number)."""
    return (day - start).days


def arrival_weights(profile: Sequence[float], first_weekday: int) -> list[float]:
    """The 168 hour-of-week weights (Monday 00-01 first), rescaled to mean 1 and turned so
    that index ``int(t) % 168`` is model hour `t`'s weight (time 0 is the start date's
    midnight). Empty: flat."""
    if not profile:
        return []
    mean = sum(profile) / len(profile)
    shift = first_weekday * 24
    return [profile[(h + shift) % HOURS_PER_WEEK] / mean for h in range(HOURS_PER_WEEK)]


class ShiftChanges:
    """Takes a group of people on and off duty at the ends of their timeline's intervals.

    One event per change, whatever the group's size; the people themselves decide what going
    off duty means for the work at hand (`Employee.go_off_duty`).
    """

    __slots__ = ("_at", "_i", "_people", "_timeline")

    def __init__(
        self,
        timeline: Timeline,
        people: Sequence,
        at: Callable[[float, Callable[[], None]], object],
        now: float,
    ) -> None:
        self._timeline = timeline
        self._people = people
        self._at = at
        self._i = 0
        starts = timeline._starts
        if not starts or starts[0] > now:
            for person in people:
                person.go_off_duty(now)
            if starts:
                at(starts[0], self._on)
        else:
            at(timeline._ends[0], self._off)

    def _on(self) -> None:
        for person in self._people:
            person.come_on_duty(self._timeline._starts[self._i])
        self._at(self._timeline._ends[self._i], self._off)

    def _off(self) -> None:
        timeline = self._timeline
        end = timeline._ends[self._i]
        if end >= timeline.until:
            return  # the run's end, not the shift's
        for person in self._people:
            person.go_off_duty(end)
        self._i += 1
        if self._i < len(timeline._starts):
            self._at(timeline._starts[self._i], self._on)
