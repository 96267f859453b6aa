"""Sharing the server's simulation workers between the people using the dashboard.

The simulation needs whole cores, so the server runs at most `WORKERS` runs at once, whoever
asks. Three rules keep one person from holding the others up:

- **Runs, not comparisons, take turns** (`FairSlots`): a comparison's runs each wait for a free
  slot, and a freed slot goes to the user who holds the fewest slots now, then to who asked
  first. Someone alone gets every slot; a second user gets the next one that frees, so a huge
  comparison slows a small one by at most one run.
- **Every run is small** (`RUN_BUDGET`): a slot frees within about half a minute.
- **Every user has a budget** (`Budget`, `USER_BUDGET`): the work of all of a user's running
  comparisons together (several tabs of one browser are one user).

Work is counted in events (`effort`): arrivals, task attempts, and person-days at an eighth of
an attempt each (their measured relative cost, `sim.scenario.limits`). `GatedExecutor` puts a
comparison's own process pool behind the slots: cancelling a comparison stops its own workers at
once and frees its slots, without touching anyone else's runs.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Executor, Future
from functools import partial
from itertools import count
from typing import Any

from sim.scenario import Scenario
from sim.scenario.limits import workload

WORKERS = 2
"""Runs the server runs at once (all users together)."""
RUN_BUDGET = 750_000
"""Largest run the dashboard starts, in events (`effort`): about half a minute of one core.
The presets over 365 days are about 240,000."""
USER_BUDGET = 50_000_000
"""Work one user may have running at once, in events: every preset's longest comparison (4
scenarios x 50 replications x 365 days) fits, about 15 minutes on two cores."""
PERSON_DAY_COST = 1 / 8
"""A person-day (one person's daily review) costs about an eighth of a task attempt."""


def effort(scenario: Scenario) -> float:
    """The events of one run of `scenario` (see the module docstring)."""
    w = workload(scenario)
    return w.requests + w.task_attempts + w.person_days * PERSON_DAY_COST


def budget_problems(scenarios: Sequence[Scenario], names: Sequence[str], reps: int) -> list[str]:
    """One line per scenario whose runs are too big for this server (`RUN_BUDGET`)."""
    problems = []
    for name, scenario in zip(names, scenarios, strict=True):
        events = effort(scenario)
        if events > RUN_BUDGET:
            problems.append(
                f"{name}: one run asks for about {events:,.0f} events (arrivals, task attempts, "
                f"person-days) (allowed on this page: up to {RUN_BUDGET:,}; fewer working "
                "days or less demand, or `sim compare --reps` on the command line for more)"
            )
    return problems


class Budget:
    """The work each user has running (`USER_BUDGET`)."""

    def __init__(self, limit: float = USER_BUDGET):
        self.limit = limit
        self._lock = threading.Lock()
        self._running: dict[str, float] = {}

    def reserve(self, user: str, events: float) -> str | None:
        """Reserve `events` for `user`: None, or the one line that says why not."""
        with self._lock:
            running = self._running.get(user, 0.0)
            if running + events > self.limit:
                already = f"; {running:,.0f} of them are running already" if running else ""
                return (
                    f"This comparison asks for about {events:,.0f} events (runs x arrivals, "
                    f"task attempts, person-days){already} (allowed: up to {self.limit:,.0f} "
                    "at once per user of this server; fewer replications, fewer days, or wait "
                    "for your other comparisons)"
                )
            self._running[user] = running + events
            return None

    def release(self, user: str, events: float) -> None:
        with self._lock:
            self._running[user] -= events
            if self._running[user] <= 0:
                del self._running[user]


class FairSlots:
    """`total` slots, handed out one at a time, fairly between users (see the module
    docstring)."""

    def __init__(self, total: int = WORKERS):
        self.total = total
        self._changed = threading.Condition()
        self._held: Counter[str] = Counter()
        self._waiting: list[tuple[int, str]] = []
        """(ticket, user) of every caller waiting in `acquire`, in the order they came."""
        self._tickets = count()

    def acquire(self, user: str, stopped: Callable[[], bool]) -> bool:
        """Wait for a slot for `user`; False as soon as `stopped()` is true."""
        with self._changed:
            me = (next(self._tickets), user)
            self._waiting.append(me)
            try:
                while sum(self._held.values()) >= self.total or self._next() != me:
                    if stopped():
                        return False
                    self._changed.wait(0.1)
                self._held[user] += 1
                return True
            finally:
                self._waiting.remove(me)
                self._changed.notify_all()

    def _next(self) -> tuple[int, str]:
        """Who gets the next free slot: the waiting user holding the fewest, first come first."""
        return min(self._waiting, key=lambda waiting: (self._held[waiting[1]], waiting[0]))

    def release(self, user: str) -> None:
        with self._changed:
            self._held[user] -= 1
            if self._held[user] <= 0:
                del self._held[user]
            self._changed.notify_all()

    def in_use(self) -> int:
        """Slots held now."""
        with self._changed:
            return sum(self._held.values())

    def others(self, user: str) -> int:
        """Other users holding or waiting for slots now."""
        with self._changed:
            return len(({u for _, u in self._waiting} | set(self._held)) - {user})


SLOTS = FairSlots()
"""The server's slots (one server process: every page's comparisons share them)."""
BUDGET = Budget()
"""The server's per-user budget."""


class GatedExecutor(Executor):
    """`pool` behind `slots`: each submitted task waits, in submission order, for a slot of
    `user`, and holds it until it ends. Once `cancel` is set or the executor is shut down,
    nothing more goes to the pool (stopping `pool` ends what runs there). `on_start` is called
    when the first task gets a slot."""

    def __init__(
        self,
        pool: Executor,
        slots: FairSlots,
        user: str,
        cancel: threading.Event,
        on_start: Callable[[], None] = lambda: None,
    ) -> None:
        self._pool, self._slots, self._user = pool, slots, user
        self._cancel, self._on_start = cancel, on_start
        self.workers = slots.total
        self._queue: deque[tuple[Future, Callable[..., Any], tuple, dict]] = deque()
        self._ready = threading.Condition()
        self._closed = False
        self._feeder = threading.Thread(target=self._feed, name="compare-slots", daemon=True)
        self._feeder.start()

    def _stopped(self) -> bool:
        return self._closed or self._cancel.is_set()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        outer: Future = Future()
        with self._ready:
            if self._closed:
                raise RuntimeError("cannot submit after shutdown")
            self._queue.append((outer, fn, args, kwargs))
            self._ready.notify()
        return outer

    def _feed(self) -> None:
        first = True
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if not self._queue:
                    return
                outer, fn, args, kwargs = self._queue.popleft()
            if not outer.set_running_or_notify_cancel():
                continue  # the caller gave up on it
            if not self._slots.acquire(self._user, self._stopped):
                outer.set_exception(CancelledError())
                continue
            try:
                inner = self._pool.submit(fn, *args, **kwargs)
            except BaseException as exc:  # the pool was stopped meanwhile
                self._slots.release(self._user)
                outer.set_exception(exc)
                continue
            inner.add_done_callback(partial(self._finish, outer=outer))
            if first:
                first = False
                self._on_start()

    def _finish(self, inner: Future, outer: Future) -> None:
        self._slots.release(self._user)
        if inner.cancelled():
            outer.set_exception(CancelledError())
        elif inner.exception() is not None:
            outer.set_exception(inner.exception())
        else:
            outer.set_result(inner.result())

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop handing tasks to the pool: those not handed out yet are cancelled (whatever
        `cancel_futures` says: their slots would outlive the comparison). With `wait`, wait
        until the gate has stopped."""
        with self._ready:
            for outer, *_ in self._queue:
                outer.cancel()
            self._queue.clear()
            self._closed = True
            self._ready.notify_all()
        if wait:
            self._feeder.join()
