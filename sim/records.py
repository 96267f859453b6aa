"""What a run records while it simulates: one record per counted request, and the time series.

These recorders run inside the event loop (a request's record when it closes, a sample of the
time series every `sample_every_hours`), so they are part of the event core and are compiled
with it (`sim.core.COMPILED_MODULES`); the tables and KPIs made of their records afterwards are
`sim.metrics`' job.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from sim.satisfaction import rating

if TYPE_CHECKING:
    from sim.model import OrgModel
    from sim.request import Request


_FLOAT_FIELDS = (
    "arrived",
    "closed",
    "queue_hours",
    "work_hours",
    "handoff_hours",
    "callback_hours",
    "csat",
)
_INT_FIELDS = (
    "id",
    "type_index",
    "handoffs",
    "transfers",
    "misroutes",
    "repeat_contacts",
    "contacts",
    "helped",
    "abandoned",
    "unit_uid",
)
REQUEST_FIELDS = _FLOAT_FIELDS + _INT_FIELDS
"""What `RequestLog` records per request, in order (the columns of its table)."""


class RequestLog:
    """One record per counted request, in one flat array of doubles (compact for long runs:
    17 numbers a request; counts and ids are exact in a double)."""

    def __init__(self) -> None:
        self.values = array("d")

    def add(self, r: Request, closed: float, abandoned: bool, csat: float, unit_uid: int) -> None:
        # `fromlist` converts a list in one C loop; `extend` of a tuple takes twice as long.
        self.values.fromlist(
            [
                r.arrived,
                closed,
                r.queue_hours,
                r.work_hours,
                r.handoff_hours,
                r.callback_hours,
                csat,
                r.id,
                r.type_index,
                r.handoffs,
                r.transfers,
                r.misroutes,
                r.repeats,
                r.contacts,
                r.helped,
                abandoned,
                unit_uid,
            ]
        )

    def __len__(self) -> int:
        return len(self.values) // len(REQUEST_FIELDS)

    def since(self, start: int, fields: tuple[str, ...]) -> list[tuple[float, ...]]:
        """`fields` of the records from number `start` on (for readers that follow a run)."""
        width = len(REQUEST_FIELDS)
        tail = self.values[start * width :]
        columns = [tail[REQUEST_FIELDS.index(f) :: width] for f in fields]
        typed = [
            list(map(int, c)) if f in _INT_FIELDS else c
            for f, c in zip(fields, columns, strict=True)
        ]
        return list(zip(*typed, strict=True))

    def to_frame(
        self, type_names: list[str], unit_names: list[str], rating_cutoffs: Sequence[float]
    ) -> pd.DataFrame:
        table = np.frombuffer(self.values, dtype="d").reshape(-1, len(REQUEST_FIELDS))
        frame = pd.DataFrame(
            {
                name: table[:, i].astype(np.int64) if name in _INT_FIELDS else table[:, i].copy()
                for i, name in enumerate(REQUEST_FIELDS)
            }
        )
        frame = frame.astype({"abandoned": bool})
        # pandas-stubs want the categories as an Index; pandas takes a list as well.
        request_type = pd.Categorical.from_codes(frame["type_index"], type_names)  # type: ignore[call-overload]
        frame.insert(2, "request_type", request_type)
        # The unit that closed the request (resolved it, or where the customer gave up).
        frame["unit"] = pd.Categorical.from_codes(frame["unit_uid"], unit_names)  # type: ignore[call-overload]
        frame["resolution_hours"] = frame["closed"] - frame["arrived"]
        frame["rating"] = rating(frame["csat"].to_numpy(), rating_cutoffs)
        return frame.drop(columns=["type_index", "unit_uid"])


# Time series -----------------------------------------------------------------------------------


def _backlog(m: OrgModel) -> int:
    return len(m.open)


def _queued(m: OrgModel) -> int:
    return sum([len(u.queue) for u in m.units])


def _off_duty(m: OrgModel) -> int:
    if m.calendar is None:
        return 0
    return sum(e.activity == "off duty" for e in m.employees)


def _in_service(m: OrgModel) -> int:
    return sum([len(u.members) - len(u.idle) for u in m.units]) - _off_duty(m)


def _busy_share(m: OrgModel) -> float:
    """Share of the people on duty who are working."""
    present = len(m.employees) - _off_duty(m)
    return _in_service(m) / present if present else 0.0


class TimeSeries(mesa.DataCollector):
    """Mesa's DataCollector for the model's time series and one agent type's rows (the
    managers: one row per unit), recording Mesa's own tables at less cost per sample.

    Every reporter here returns a number or a string. Mesa's `collect` deep-copies each model
    reporter's value and calls and type-checks each agent reporter one value at a time, which
    costs more than reading the values: 7% of an M/M/10 run sampled hourly, 19% of a 50-unit
    network. Here the values are stored as they are (a copy of a number is the number) and an
    agent's row is read with one `attrgetter`; the first sample is Mesa's, which validates the
    reporters. The records, and the data frames Mesa makes of them, are the same.

    Mesa is given each reporter as a `partial`: Mesa calls a Python function or a partial with
    the model, but any other callable (a compiled function among them) without arguments, as a
    bound method."""

    def __init__(
        self,
        model_reporters: dict[str, Callable[[Any], Any]],
        agent_type: type[mesa.Agent],
        agent_attributes: dict[str, str],
    ) -> None:
        super().__init__(
            model_reporters={name: partial(f) for name, f in model_reporters.items()},
            agenttype_reporters={agent_type: agent_attributes},
        )
        self._reporters = [(self.model_vars[name], f) for name, f in model_reporters.items()]
        self._agent_type = agent_type
        self._row = attrgetter(*agent_attributes.values())

    def collect(self, model: mesa.Model) -> None:
        if not self._validated:
            super().collect(model)
            return
        now = model.time
        self._collection_steps.append(now)
        for values, reporter in self._reporters:
            values.append(reporter(model))
        row = self._row
        agents = model.agents_by_type.get(self._agent_type, ())
        self._agenttype_records[now] = {
            self._agent_type: [(now, agent.unique_id, *row(agent)) for agent in agents]
        }


def time_series_reporters() -> dict[str, Callable[[OrgModel], Any]]:
    """DataCollector model reporters: sampled at a regular interval for the charts."""
    return {
        "time": lambda m: m.time,
        "backlog": _backlog,
        "queued": _queued,
        "in_service": _in_service,
        "utilisation": _busy_share,
        "resolved": lambda m: m.resolved_counted,
        "abandoned": lambda m: m.abandoned_counted,
    }
