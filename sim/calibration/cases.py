"""What happened to each case: its visits to teams, its work, its waits, its end.

From the canonical event table (`sim.calibration.readers`) to three tables:

- `events`: the events that count (start events folded into the work they start, nothing
  after the customer's wait ended), each with its estimated **touch time** (hours of work
  before it) and its **waiting** time (hours on the customer's side after it);
- `visits`: consecutive events of a case in the same team, one row per visit. A visit runs
  from the previous team's last event (the case's arrival, for the first) to its own last
  event, so that a handoff's transfer and the wait in the receiving team's queue belong to the
  receiving team's visit, and the visits add up to the elapsed time;
- `cases`: one row per case: arrival, end, elapsed hours, route through teams, transfers,
  ping-pong, reopens, cancellation, priority.

**Touch time.** Where the log records when work started (a start column, or `start` /
`complete` lifecycle pairs), touch time is the time between the two. Otherwise (most
ticket exports) it is estimated the way process-simulation discovery estimates start times
(Chapela-Campa & Dumas 2022, resource availability): the work behind an event started when
both the case was ready (its previous event) and the person was free (their previous event on
any case), counted in open hours of the working week and capped at `MAX_TOUCH_HOURS`. What
the cap cuts off is time nobody can have been working on the case. The first event of a case
(its arrival) and an event that ends a wait for the customer carry no work.

**End.** With resolved states (``--resolved-activity``, ``[states] resolved``), a case ends
when its last run of resolved states begins: later events such as an automatic closure do not
count, and each earlier run that the case left again is a reopen. Without them a case ends at
its last event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration.mapping import States
from sim.calibration.workweek import WorkWeek, discover_workweek

MAX_TOUCH_HOURS = 4.0
"""Longest single piece of work (open hours) the estimate charges to one event of a log without
start times: half a working day. A person whose previous event was longer ago than this was
doing something the log does not show. Modelling choice; the note reports what it implies
for utilisation."""

_MARKERS = {"schedule", "assign", "reassign", "suspend", "resume", "withdraw", "autoskip"}
"""Lifecycle transitions that record a step of the case, not the end of a piece of work."""


@dataclass
class Timeline:
    """A log taken apart into events, visits and cases (see the module docstring)."""

    events: pd.DataFrame
    visits: pd.DataFrame
    cases: pd.DataFrame
    workweek: WorkWeek
    dropped_cases: int
    """Cases left out because no event names a team."""
    observed_starts: bool
    """True when touch times come from recorded start times, False when estimated."""


def build_timeline(
    table: pd.DataFrame, states: States, workweek: WorkWeek | None = None
) -> Timeline:
    """Take the canonical event table apart (see the module docstring)."""
    # Plain Python strings: set lookups (isin) on them are many times faster than on Arrow's.
    table = table.astype({k: object for k in ("case", "activity", "team", "resource")})
    events = _fold_starts(table)
    if workweek is None:
        worked = events[events["resource"].notna()]
        workweek = discover_workweek(pd.concat([worked["time"], worked["start"]]))
    events = events.sort_values(["case", "time", "order", "row"], kind="stable")
    events = events.reset_index(drop=True)
    events = _cut_at_end(events, states)
    events["team"] = events.groupby("case", sort=False)["team"].ffill()
    events["team"] = events.groupby("case", sort=False)["team"].bfill()
    no_team = events["team"].isna()
    dropped = int(events.loc[no_team, "case"].nunique())
    events = events[~no_team].reset_index(drop=True)
    observed = bool(events["start"].notna().any())
    events = _work_and_waits(events, states, workweek)
    visits = _visits(events, workweek)
    cases = _cases(events, visits, states)
    return Timeline(events, visits, cases, workweek, dropped, observed)


def _fold_starts(table: pd.DataFrame) -> pd.DataFrame:
    """Drop `start` lifecycle rows, giving each matching `complete` its start time."""
    lifecycle = table["lifecycle"]
    starts = lifecycle == "start"
    if not starts.any():
        return table.copy()
    table = table.sort_values(["case", "activity", "time", "order", "row"], kind="stable")
    key = [table["case"], table["activity"]]
    is_start = (table["lifecycle"] == "start").fillna(False).to_numpy()
    is_end = ~is_start & ~table["lifecycle"].isin(_MARKERS).fillna(False).to_numpy()
    start_number = pd.Series(is_start.astype(int), index=table.index).groupby(key).cumsum()
    end_number = pd.Series(is_end.astype(int), index=table.index).groupby(key).cumsum()
    # First in, first out: the n-th completion of an activity in a case ends its n-th start.
    start_rows = table[is_start].assign(n=start_number[is_start])
    lookup = start_rows.set_index(["case", "activity", "n"])["time"]
    ends = table[~is_start].copy()
    index = pd.MultiIndex.from_arrays(
        [ends["case"], ends["activity"], end_number[~is_start].where(is_end[~is_start], -1)]
    )
    matched = lookup.reindex(index).to_numpy()
    known = ends["start"].to_numpy()
    ends["start"] = np.where(pd.isna(known), matched, known).astype("datetime64[us]")
    ends.loc[ends["start"] > ends["time"], "start"] = pd.NaT
    return ends


def _cut_at_end(events: pd.DataFrame, states: States) -> pd.DataFrame:
    """Mark resolution and reopens; drop what follows the end of the customer's wait."""
    by_case = events.groupby("case", sort=False)
    position = by_case.cumcount()
    if states.resolved:
        resolved = events["activity"].isin(states.resolved).to_numpy()
        previous = np.r_[False, resolved[:-1]] & (position.to_numpy() > 0)
        run_start = resolved & ~previous
        runs = pd.Series(run_start.astype(int), index=events.index).groupby(events["case"])
        total_runs = runs.transform("sum").to_numpy()
        run_number = runs.cumsum().to_numpy()
        last_run_start = np.where(run_start & (run_number == total_runs), position, np.inf)
        end_position = (
            pd.Series(last_run_start, index=events.index)
            .groupby(events["case"])
            .transform("min")
            .to_numpy()
        )
        events["resolved_case"] = total_runs > 0
        events["reopens"] = np.maximum(total_runs - 1, 0)
        # Cancelled cases are judged on the last state the log shows, before cutting.
        events["last_activity"] = by_case["activity"].transform("last")
        keep = position.to_numpy() <= end_position
        events = events[keep].reset_index(drop=True)
    else:
        events["resolved_case"] = True
        events["reopens"] = 0
        events["last_activity"] = by_case["activity"].transform("last")
    return events


def _work_and_waits(events: pd.DataFrame, states: States, week: WorkWeek) -> pd.DataFrame:
    """Touch time and waiting time of every event."""
    case = events["case"].to_numpy()
    time = events["time"].to_numpy()
    first = np.r_[True, case[1:] != case[:-1]]
    last = np.r_[case[1:] != case[:-1], True]
    clock = week.working_hours(time)
    waiting = events["activity"].isin(states.waiting).fillna(False).to_numpy()
    after_wait = np.r_[False, waiting[:-1]] & ~first
    # The case was ready for this event's work at its previous event.
    ready = np.r_[-np.inf, clock[:-1]]
    ready[first] = -np.inf
    # The person was free at their own previous event (any case).
    people = events["resource"].fillna("").to_numpy(dtype=object)
    order = np.lexsort((events["row"].to_numpy(), time, people))
    free = np.full(len(events), -np.inf)
    person = people[order]
    same = np.r_[False, person[1:] == person[:-1]] & (person != "")
    sorted_clock = clock[order]
    free[order[same]] = sorted_clock[np.flatnonzero(same) - 1]
    has_person = events["resource"].notna().to_numpy()
    free[~has_person] = ready[~has_person]
    began = np.maximum(ready, free)
    lifecycle = events["lifecycle"].fillna("").to_numpy()
    marker = np.isin(lifecycle, list(_MARKERS))
    start = events["start"].to_numpy()
    observed = ~pd.isna(start)
    gap = np.where(np.isfinite(began), clock - began, 0.0)
    recorded = (time - np.where(observed, start, time)) / np.timedelta64(1, "h")
    touch = np.where(observed, recorded, np.minimum(gap, MAX_TOUCH_HOURS))
    # The first event is the case's arrival: the log does not show the work before it.
    touch[marker | (after_wait & ~observed) | (first & ~observed)] = 0.0
    events["touch_hours"] = np.maximum(touch, 0.0)
    # Customer-side time after a waiting state runs on the customer's clock (calendar hours).
    begin = np.where(observed, start, time).astype("datetime64[us]")
    next_begin = np.r_[begin[1:], begin[-1:]]
    wait = np.maximum((next_begin - time) / np.timedelta64(1, "h"), 0.0)
    events["waiting"] = waiting & ~last
    events["wait_hours"] = np.where(waiting & ~last, wait, 0.0)
    # A wait that ends in the first hour of a morning ended when the team opened: the call
    # back came somewhere in the closed stretch before (or in that hour). Its lower bound.
    closing = week.last_closing(next_begin)
    low = np.where(
        pd.isna(closing), wait, np.maximum((closing - time) / np.timedelta64(1, "h"), 0.0)
    )
    events["wait_low_hours"] = np.where(waiting & ~last, np.minimum(low, wait), 0.0)
    next_clock = week.working_hours(next_begin)
    events["wait_open_hours"] = np.where(waiting & ~last, np.maximum(next_clock - clock, 0.0), 0.0)
    return events


def _visits(events: pd.DataFrame, week: WorkWeek) -> pd.DataFrame:
    case = events["case"].to_numpy()
    team = events["team"].to_numpy()
    new = np.r_[True, (case[1:] != case[:-1]) | (team[1:] != team[:-1])]
    events["visit"] = np.cumsum(new) - 1
    grouped = events.groupby("visit", sort=True)
    begin = events["start"].fillna(events["time"])
    visits = pd.DataFrame(
        {
            "case": grouped["case"].first(),
            "team": grouped["team"].first(),
            "entered": begin.groupby(events["visit"]).min(),
            "left": grouped["time"].last(),
            "touch_hours": grouped["touch_hours"].sum(),
            "wait_hours": grouped["wait_hours"].sum(),
            "wait_open_hours": grouped["wait_open_hours"].sum(),
            "waits": grouped["waiting"].sum().astype(int),
            "events": grouped.size(),
        }
    ).reset_index(drop=True)
    by_case = visits.groupby("case", sort=False)
    visits["step"] = by_case.cumcount()
    previous = by_case["left"].shift(1)
    visits["began"] = visits["entered"]  # the visit's first event (its first work's start)
    visits["entered"] = previous.fillna(visits["entered"]).astype("datetime64[us]")
    visits["hours"] = (visits["left"] - visits["entered"]) / pd.Timedelta(hours=1)  # type: ignore[operator]
    # The same in working hours (the log's working week): what the calendar does not explain.
    left, entered = (week.working_hours(visits[c].to_numpy()) for c in ("left", "entered"))
    visits["open_hours"] = left - entered
    visits["attempts"] = 1 + visits["waits"]
    # Work that began in the first hour of a morning began when the team opened: the case
    # could have reached it anywhere in the closed stretch before. Hours of the visit's wait
    # before its first work that may have been the closed stretch's.
    closing = week.last_closing(visits["began"].to_numpy())
    waited = (visits["began"] - visits["entered"]) / pd.Timedelta(hours=1)  # type: ignore[operator]
    before = (closing - visits["entered"].to_numpy()) / np.timedelta64(1, "h")
    visits["unsure_hours"] = np.where(
        pd.isna(closing), 0.0, np.clip(waited - np.maximum(before, 0.0), 0.0, None)
    )
    return visits


def _cases(events: pd.DataFrame, visits: pd.DataFrame, states: States) -> pd.DataFrame:
    grouped = events.groupby("case", sort=False)
    begin = np.where(events["start"].notna(), events["start"], events["time"])
    arrival = pd.Series(begin, index=events.index).groupby(events["case"], sort=False).min()
    end = grouped["time"].last()
    routes = pd.Series(
        sequences(visits["case"].to_numpy(), visits["team"].to_numpy(dtype=object)), dtype=object
    )
    frame = pd.DataFrame(
        {
            "arrival": arrival.astype("datetime64[us]"),
            "end": end,
            "route": routes.reindex(arrival.index),
            "resolved": grouped["resolved_case"].first(),
            "reopens": grouped["reopens"].first().astype(int),
            "cancelled": grouped["last_activity"].first().isin(states.cancelled),
            "priority": grouped["priority"].first(),
            "touch_hours": grouped["touch_hours"].sum(),
            "wait_hours": grouped["wait_hours"].sum(),
            "wait_open_hours": grouped["wait_open_hours"].sum(),
            "waits": grouped["waiting"].sum().astype(int),
            "events": grouped.size(),
        }
    )
    frame["elapsed_hours"] = (frame["end"] - frame["arrival"]) / pd.Timedelta(hours=1)  # type: ignore[operator]
    frame["transfers"] = frame["route"].map(len) - 1
    frame["ping_pong"] = frame["route"].map(is_ping_pong)
    frame.index.name = "case"
    return (
        frame.reset_index().sort_values(["arrival", "case"], kind="stable").reset_index(drop=True)
    )


def sequences(keys: np.ndarray, values: np.ndarray) -> dict:
    """Key -> tuple of its values, for rows already grouped by key (consecutive)."""
    if len(keys) == 0:
        return {}
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return {keys[a]: tuple(values[a:b]) for a, b in zip(starts, ends, strict=True)}


def is_ping_pong(route: tuple[str, ...] | list[str]) -> bool:
    """A route that returns to a team it left one step earlier (x, y, x)."""
    return any(route[i] == route[i + 2] for i in range(len(route) - 2))


def collapse(teams: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Consecutive repeats removed: the route through teams."""
    out: list[str] = []
    for team in teams:
        if not out or out[-1] != team:
            out.append(team)
    return tuple(out)
