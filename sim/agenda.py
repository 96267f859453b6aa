"""The model's own event list: a lean heap that runs alongside Mesa's.

Mesa 3.5 wraps every scheduled callback in a weak reference and an `Event` object ordered by a
Python `__lt__`. At two to five events per customer request that machinery was most of a run's
time (the profile is in `experiments/benchmark.py --profile`). The agenda keeps plain lists
``[time, priority, order, callback]`` in a binary heap, which Python compares in C, and holds its
callbacks strongly: everything the model schedules belongs to the model.

The order is Mesa's own: time, then priority (`mesa.time.Priority`), then the order in which
events were scheduled, so running an event here instead of through `Model.schedule_event` changes
no result. `OrgModel` merges this heap with Mesa's event list when time advances, so
`run_until`, `run_for`, `step`, Mesa's own step event and anything scheduled through Mesa's API
keep their meaning.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heapify, heappush

from mesa.time import Priority

DEFAULT = int(Priority.DEFAULT)
LOW = int(Priority.LOW)
HIGH = int(Priority.HIGH)


SLACK = 64
"""Cancelled entries tolerated in the heap beyond as many as it has live ones."""


def cancelled() -> None:
    """Stands in for the callback of a cancelled event (the loop skips it)."""


class Agenda:
    """A binary heap of ``[time, priority, order, callback]`` entries.

    A cancelled entry stays in the heap until its time comes (the loop skips it), unless
    cancelled entries come to outnumber the live ones: then they are dropped all at once. Most
    customers who queue are served before they would give up, so without this the heap would
    mostly hold give-ups that will never happen (two thirds of it in the presets, more in a
    large organisation), and every event would pay for them in a deeper heap. Dropping them
    changes no order: entries are ordered by (time, priority, order), all distinct."""

    __slots__ = ("_order", "heap", "stale")

    def __init__(self) -> None:
        self.heap: list[list] = []
        self._order = 0
        """The next entry's place in the order of scheduling (an int, not `itertools.count`:
        compiled, `next()` is a lookup of the builtin and a call, at every event)."""
        self.stale = 0
        """Cancelled entries still in the heap (the event loop counts those it skips)."""

    def at(self, time: float, callback: Callable[[], None], priority: int = DEFAULT) -> list:
        """Schedule `callback` at `time`; the entry returned can be `cancel`led."""
        order = self._order
        self._order = order + 1
        entry = [time, priority, order, callback]
        heappush(self.heap, entry)
        return entry

    def every(
        self, interval: float, callback: Callable[[], None], start: float, priority: int = DEFAULT
    ) -> Repeat:
        """Run `callback` at `start` and then every `interval` (Mesa's `Schedule`)."""
        return Repeat(self, interval, callback, start, priority)

    def cancel(self, entry: list) -> None:
        """The event will not happen (skipped at its time, or dropped before)."""
        entry[3] = cancelled
        self.stale += 1
        heap = self.heap
        if self.stale > len(heap) // 2 + SLACK:
            heap[:] = [e for e in heap if e[3] is not cancelled]  # in place: the loop holds it
            heapify(heap)
            self.stale = 0


class Repeat:
    """A recurring event, rescheduled after each run like Mesa's `EventGenerator`."""

    __slots__ = ("_agenda", "_callback", "_entry", "_interval", "_priority")

    def __init__(
        self,
        agenda: Agenda,
        interval: float,
        callback: Callable[[], None],
        start: float,
        priority: int,
    ) -> None:
        self._agenda = agenda
        self._interval = interval
        self._callback = callback
        self._priority = priority
        self._entry: list | None = agenda.at(start, self._fire, priority)

    def _fire(self) -> None:
        entry = self._entry
        assert entry is not None
        self._callback()
        if self._entry is entry:  # not stopped by the callback
            self._entry = self._agenda.at(entry[0] + self._interval, self._fire, self._priority)

    def stop(self) -> None:
        if self._entry is not None:
            self._agenda.cancel(self._entry)
            self._entry = None
