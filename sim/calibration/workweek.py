"""The working week seen in a log: which hours of the week people work, and working-time
arithmetic on real timestamps.

A week has 168 hours, Monday 00:00-01:00 first. An hour is *open* when the log shows people
working in it (events) at a rate of at least `OPEN_SHARE` of a busy hour's. Work and handoff
times measured from a log count open hours only, so that a ticket touched at 17:50 and again at
08:10 the next morning is not charged fourteen hours of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

HOURS_PER_WEEK = 168
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
OPEN_SHARE = 0.2
"""An hour of the week is open when its events per week reach this share of a busy hour's
(the 90th percentile hour): a trickle of night-time updates does not open the night, a
regular late shift does. Modelling choice."""
GAP_HOURS = 2
"""Closed stretches within a day up to this long (lunch) count as open."""
MIN_WEEKS = 2
MIN_EVENTS = 500
"""Below this much data the working week is not discovered: the log is read around the
clock."""
_MONDAY = np.datetime64("1970-01-05T00:00", "us")
_HOUR = np.timedelta64(3600_000_000, "us")


def hours_since_monday(times: pd.Series | np.ndarray) -> np.ndarray:
    """Hours (float) from Monday 1970-01-05 00:00 to each time: week-aligned clock."""
    values = np.asarray(times, dtype="datetime64[us]")
    return (values - _MONDAY) / _HOUR


def hour_of_week(times: pd.Series | np.ndarray) -> np.ndarray:
    """0 (Monday 00:00-01:00) to 167 (Sunday 23:00-24:00) for each time."""
    return np.floor(hours_since_monday(times) % HOURS_PER_WEEK).astype(np.int64)


@dataclass(frozen=True)
class WorkWeek:
    open: tuple[bool, ...]
    """168 flags, Monday 00:00-01:00 first."""

    @classmethod
    def around_the_clock(cls) -> WorkWeek:
        return cls((True,) * HOURS_PER_WEEK)

    @property
    def open_hours_per_week(self) -> int:
        return sum(self.open)

    def working_hours(self, times: pd.Series | np.ndarray) -> np.ndarray:
        """Open hours from Monday 1970-01-05 to each time: differences are working time."""
        hours = hours_since_monday(times)
        flags = np.asarray(self.open, dtype=float)
        cumulative = np.concatenate([[0.0], np.cumsum(flags)])
        weeks = np.floor(hours / HOURS_PER_WEEK)
        within = hours - weeks * HOURS_PER_WEEK
        index = np.minimum(np.floor(within).astype(np.int64), HOURS_PER_WEEK - 1)
        return weeks * cumulative[-1] + cumulative[index] + flags[index] * (within - index)

    def last_closing(self, times: pd.Series | np.ndarray) -> np.ndarray:
        """For each time in an open hour that opened within the hour before it (the first
        hour of a morning), when the closed stretch before that opening began; NaT for the
        other times (and around the clock, where nothing closes)."""
        values = np.asarray(times, dtype="datetime64[us]")
        out = np.full(len(values), np.datetime64("NaT", "us"))
        flags = self.open
        if all(flags) or not any(flags):
            return out
        hours = hours_since_monday(values)
        how = np.floor(hours % HOURS_PER_WEEK).astype(np.int64)
        opened = np.array([flags[h] and not flags[h - 1] for h in range(HOURS_PER_WEEK)])
        closed_for = np.zeros(HOURS_PER_WEEK)
        for h in np.flatnonzero(opened):
            n = 1
            while not flags[(h - 1 - n) % HOURS_PER_WEEK]:
                n += 1
            closed_for[h] = n
        morning = opened[how]
        start = np.floor(hours[morning]) - closed_for[how[morning]]
        out[morning] = _MONDAY + (start * _HOUR.astype(float)).astype("timedelta64[us]")
        return out

    def opening_hours(self) -> dict[str, list[tuple[int, int]]]:
        """Per weekday, the open stretches as (from hour, to hour), e.g. [(8, 18)]."""
        out: dict[str, list[tuple[int, int]]] = {}
        for day, name in enumerate(WEEKDAYS):
            flags = self.open[24 * day : 24 * day + 24]
            spans, start = [], None
            for hour, is_open in enumerate((*flags, False)):
                if is_open and start is None:
                    start = hour
                elif not is_open and start is not None:
                    spans.append((start, hour))
                    start = None
            out[name] = spans
        return out

    def describe(self) -> str:
        """'Monday-Friday 08-18, Saturday 09-12, Sunday closed'."""
        texts: list[tuple[list[str], str]] = []
        for name, spans in self.opening_hours().items():
            text = ", ".join(f"{a:02d}-{b:02d}" for a, b in spans) or "closed"
            if texts and texts[-1][1] == text:
                texts[-1] = ([texts[-1][0][0], name], text)
            else:
                texts.append(([name], text))
        return "; ".join(
            f"{days[0] if len(days) == 1 else days[0] + '-' + days[-1]} {text}"
            for days, text in texts
        )


def discover_workweek(times: pd.Series) -> WorkWeek:
    """The open hours of the week from when events happen (see `OPEN_SHARE`). Gaps of up to
    `GAP_HOURS` between open hours of a day (a lunch dip) stay open. A log too short to show
    a week's rhythm (under `MIN_WEEKS` weeks or `MIN_EVENTS` events) is read around the clock."""
    times = times.dropna()
    if len(times) < MIN_EVENTS or (times.max() - times.min()) < pd.Timedelta(weeks=MIN_WEEKS):
        return WorkWeek.around_the_clock()
    counts = np.bincount(hour_of_week(times), minlength=HOURS_PER_WEEK)
    busy = np.quantile(counts, 0.9)
    flags = [bool(c >= OPEN_SHARE * busy and c > 0) for c in counts]
    for day in range(7):
        hours = [h for h in range(24) if flags[24 * day + h]]
        for a, b in pairwise(hours):
            if 1 < b - a <= GAP_HOURS + 1:
                for h in range(a + 1, b):
                    flags[24 * day + h] = True
    return WorkWeek(tuple(flags))
