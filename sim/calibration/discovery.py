"""From a log's timeline to the numbers of an "as is" scenario, each with what it was measured
from.

`discover(timeline, cut)` fits on the cases that arrived before `cut` (the training cases) and
returns a `Calibration`: the scenario as a plain mapping (ready for `sim.scenario`), a note for
every measured key (what, from how many cases), and the measurements the model cannot use yet
(hour-of-week arrivals per type, the working week, people's shifts, priorities, the backlog at
`cut`), kept for the scenario's comments and the fidelity report.

The mapping onto the model (each choice is also said in the scenario's comments):

- **request types** are the routes through teams of the most common cases (until
  `TYPE_COVERAGE` of the cases, at most `MAX_TYPES`); the other cases are grouped by their number
  of teams and whether they ping-pong, each group represented by its most common route;
- **teams** become skills and, in a functional structure, units; every person counts once, in
  the team where they have most events (their primary skill); a team where most of a group's
  people also work is that group's secondary skill (people in several teams are
  multi-skilled), so the cross-functional and matrix structures re-organise the same people;
- **work** per task is the mean touch time per attempt in that team at that step of the route;
- **waits for the customer and reopens** become the model's callbacks (a task not finished
  first time, the customer coming back after `callback_delay_hours`);
- **delays**: time in a team neither worked nor the customer's, beyond an hour of queueing,
  is a team's delay before it takes up a new case (from its first visits) or the handoff
  delay (from visits reached by a handoff), fitted together (`_delays`);
- **cancellations** become patience (exponential, fitted by maximum likelihood).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibration.cases import Timeline, is_ping_pong
from sim.calibration.workweek import HOURS_PER_WEEK, WEEKDAYS, WorkWeek, hour_of_week

TYPE_COVERAGE = 0.8
"""Routes are kept as request types, most common first, until they cover this share of the
training cases (the recipe's 80%; Simod keeps the frequent variants the same way)."""
MAX_TYPES = 30
"""At most this many routes become request types of their own, so a leader can read the
scenario; the rest are grouped."""
MIN_SAMPLES = 5
"""Fewer visits than this to a team at one step of a route: its work is the team's mean."""
SECONDARY_SHARE = 0.5
"""A team is a secondary skill of a group when at least this share of the group's people
worked in it (the typical member, not the exception)."""
TREND_LIMIT = 0.2
"""The log counts as not stationary when a significant (p < 0.01) linear trend changes weekly
arrivals, median elapsed time or transfers per case by more than this share over the weeks
before the test window, or a week has under half the median arrivals."""
MIN_TOUCH_HOURS = 1 / 60
"""Work of a task with no measurable touch time (a minute: the schema needs some work)."""


@dataclass
class Calibration:
    """What `discover` measured: the scenario, its notes, and what the model cannot use yet."""

    scenario: dict[str, Any]
    notes: dict[str, str]
    """Key path ('demand.requests_per_day', 'workforce.3') -> what was measured."""
    header: list[str]
    """Lines about the whole calibration (source, cases, windows, what is not modelled)."""
    warnings: list[str]
    arrival_profile: list[float]
    """Mean arrivals per hour of the week (168 values, Monday 00:00 first) in the window."""
    type_profiles: dict[str, list[float]]
    window: tuple[pd.Timestamp, pd.Timestamp]
    """The fitting window: every number was measured on the cases that arrived in it."""
    window_note: str
    """Which window that is and why (`_fit_window`)."""
    fitted_cases: int
    arrivals_start: pd.Timestamp
    """Arrival rates were measured from then to the cut (`FitWindows.arrivals_start`)."""
    cut: pd.Timestamp
    workweek: str
    on_duty: list[float]
    """Mean number of people active per hour of the week."""
    shifts: list[tuple[int, int, int]]
    """People's working days: (from hour, to hour, people), most common first."""
    priorities: pd.DataFrame | None
    backlog: dict[str, int]
    stats: dict[str, float] = field(default_factory=dict)

    def fit_window(self) -> dict[str, Any]:
        """The fitting window for `sim calibrate --json`."""
        start, end = self.window
        return {
            "from": str(start),
            "to": str(end),
            "days": (end - start) / pd.Timedelta(days=1),
            "cases": self.fitted_cases,
            "how": self.window_note,
            "arrivals_from": str(self.arrivals_start),
        }


def discover(
    timeline: Timeline,
    cut: pd.Timestamp,
    source: str,
    start_delays: bool = True,
    person_shifts: bool = False,
    fit_window: FitWindow = "auto",
) -> Calibration:
    """Fit an "as is" scenario on the cases of `timeline` that arrived in the fitting window
    before `cut` (`_fit_window`: `fit_window` chooses it) (with
    `start_delays`, each team's delay before it takes up a new case too: `_delays`; with
    `person_shifts`, each person's own hours: `_person_shifts`)."""
    cases = timeline.cases
    notes: dict[str, str] = dict(FIXED_NOTES)
    warnings: list[str] = []
    windows = _fit_window(cases[cases["arrival"] < cut], cut, fit_window)
    if windows.warning:
        warnings.append(windows.warning)
    window, window_note = (windows.start, cut), windows.note
    train = cases[(cases["arrival"] >= window[0]) & (cases["arrival"] < cut)]
    visits = timeline.visits[timeline.visits["case"].isin(train["case"])]
    times = timeline.events["time"]
    events = timeline.events[(times >= window[0]) & (times < cut)]
    days = (window[1] - window[0]) / pd.Timedelta(days=1)
    weeks = days / 7
    arrived = cases[(cases["arrival"] >= windows.arrivals_start) & (cases["arrival"] < cut)]
    arrival_days = (cut - windows.arrivals_start) / pd.Timedelta(days=1)
    per_day = len(arrived) / arrival_days
    notes["demand.requests_per_day"] = (
        f"{len(arrived):,} cases arrived in {arrival_days:g} days ({windows.arrivals_note}): "
        f"{7 * per_day:,.0f} per week"
    )
    hours = hour_of_week(arrived["arrival"])
    profile = np.bincount(hours, minlength=HOURS_PER_WEEK) / (arrival_days / 7)
    if arrival_days < 7:  # under a week the days of the week cannot be told apart
        profile = np.tile(profile.reshape(7, 24).sum(axis=0) / 7, 7)
        notes["calendar.arrival_profile"] = (
            "by hour of the day only, the same every day: the fitting window is shorter than a week"
        )
    workweek = timeline.workweek

    types, routes_of, type_notes, coverage = _request_types(train)
    type_profiles = {}
    for name, members in routes_of.items():
        chosen = train[train["case"].isin(members)]
        type_profiles[name] = list(
            np.bincount(hour_of_week(chosen["arrival"]), minlength=HOURS_PER_WEEK) / weeks
        )
    type_of = {case: name for name, members in routes_of.items() for case in members}
    visits = visits.assign(rtype=visits["case"].map(type_of))
    visits = visits.assign(work=visits["touch_hours"] / visits["attempts"])
    team_work = visits.groupby("team")["work"].mean()
    slow = _slow_cases(visits, train) if start_delays else None
    slow_counts: dict[int, tuple[int, int]] = {}
    """Request type (index) -> (slow cases, cases) in the fitting window."""
    request_types: list[dict[str, Any]] = []
    for name, route, share, _n, exact in types:
        tasks = []
        for step, team in enumerate(route):
            sample = visits[(visits["rtype"] == name) & (visits["step"] == step)]
            sample = sample[sample["team"] == team] if exact else sample.iloc[:0]
            work: float | None = (
                sample["work"].mean() if len(sample) >= MIN_SAMPLES else team_work.get(team)
            )
            if work is None or not math.isfinite(work) or work < MIN_TOUCH_HOURS:
                work = MIN_TOUCH_HOURS
            task = {"skill": team, "hours": _round(work)}
            attempts = sample["attempts"].sum()
            if len(sample) >= MIN_SAMPLES and attempts > 0:
                # Waits for the customer at this step of this route, per attempt.
                task["first_contact_resolution"] = _round(1.0 - sample["waits"].sum() / attempts)
            tasks.append(task)
        members = train[train["case"].isin(routes_of[name])]
        # The customer's expectation, in working hours (as the model's satisfaction reads it).
        worked = workweek.working_hours(members["end"]) - workweek.working_hours(members["arrival"])
        expected = float(np.median(worked)) if len(worked) else 0.0
        request_type: dict[str, Any] = {
            "name": name,
            "share": share,
            "expected_hours": _round(max(expected, 0.01)),
            "tasks": tasks,
        }
        if slow is not None and len(members) >= MIN_SAMPLES:
            slow_counts[len(request_types)] = (int(slow[members["case"]].sum()), len(members))
        request_types.append(request_type)
    _fix_shares(request_types)
    for i, (name, *_rest) in enumerate(types):
        notes[f"demand.request_types.{i}"] = type_notes[name]

    work_note, distribution, cv = _work_distribution(visits, request_types, types)
    notes["demand.work_distribution"] = work_note

    workforce, people_notes, multi, primary = _workforce(events, request_types)
    notes.update(people_notes)

    handoff_delay = _delays(visits, workforce, notes, start_delays)

    attempts = int(visits["attempts"].sum())
    waits = int(visits["waits"].sum())
    reopens = int(train["reopens"].sum())
    failed = waits + reopens
    fcr = 1.0 - failed / (attempts + reopens) if attempts else 1.0
    own = timeline.events[timeline.events["waiting"] & timeline.events["case"].isin(train["case"])]
    wait_hours = (
        _censored_mean(own["wait_low_hours"].to_numpy(), own["wait_hours"].to_numpy())
        if waits
        else 8.0
    )
    notes["policies.first_contact_resolution"] = (
        f"{waits:,} waits for the customer and {reopens:,} reopens in {attempts + reopens:,} "
        f"attempts at a team's task: each is a task not finished first time; a task with "
        f"{MIN_SAMPLES} or more visits at its step of its route has its own value (waits per "
        "attempt there)"
    )
    for i, (k, n) in slow_counts.items():
        share = _slow_share((k + 1) / (n + 2), request_types[i], workforce, fcr, handoff_delay)
        if share < 1.0:
            request_types[i]["slow_case_share"] = _round(share)
        notes[f"demand.request_types.{i}.slow_case_share"] = (
            f"{k:,} of {n:,} cases waited for the customer, were reopened or sat in a team over "
            f"{DELAY_THRESHOLD_HOURS:g} working hours neither worked nor with the customer: the "
            "share of slow cases that gives as many such cases in the model"
            + ("" if share < 1.0 else " is all of them (no sign the delays come together)")
        )
    censored = int((own["wait_low_hours"] < own["wait_hours"]).sum())
    notes["demand.callback_delay_hours"] = (
        f"mean of {waits:,} waits for the customer (calendar hours; exponential, by maximum "
        f"likelihood: {censored:,} ended when the team opened in the morning, so the customer "
        "called back somewhere in the closed hours before)"
        if waits
        else "no waits for the customer measured: the model's default"
    )

    cancelled = int(train["cancelled"].sum())
    exposure = float(
        (train["elapsed_hours"] - train["touch_hours"] - train["wait_hours"]).clip(lower=0).sum()
    )
    patience = exposure / cancelled if cancelled else 0.0
    notes["demand.patience_hours"] = (
        f"{cancelled:,} of {len(train):,} cases cancelled ({cancelled / len(train):.1%}): "
        "exponential patience fitted by maximum likelihood on the time cases spent neither "
        "worked on nor with the customer"
        if cancelled
        else f"no cancelled cases among {len(train):,}: nobody abandons"
    )

    weeks_of_events = days / 7
    active = events.dropna(subset=["resource"])
    on_duty = (
        active.assign(how=hour_of_week(active["time"]), week=active["time"].dt.to_period("W"))
        .groupby(["how", "week"])["resource"]
        .nunique()
        .groupby("how")
        .sum()
        .reindex(range(HOURS_PER_WEEK), fill_value=0)
        / weeks_of_events
    )
    shifts = _shifts(active)
    priorities = _priorities(train)
    backlog = _backlog(cases, timeline.visits, cut)

    shifts_by_team, shift_note = _team_shifts(events, workforce, workweek, weeks_of_events)
    if person_shifts:
        personal, person_note = _person_shifts(active, primary, workforce, workweek, shifts_by_team)
        shifts_by_team |= personal
        shift_note += "; " + person_note
    notes["calendar.shifts"] = shift_note
    scenario = _scenario(
        source,
        per_day,
        _calendar(workweek, profile, cut, shifts_by_team),
        request_types,
        workforce,
        distribution,
        cv,
        patience,
        wait_hours,
        handoff_delay,
        fcr,
        multi,
    )
    transfers = float(train["transfers"].mean())
    header = [
        f"Calibrated from {source} by `sim calibrate`.",
        f"Fitted on {len(train):,} cases that arrived from {_day(train['arrival'].min())} to "
        f"{_day(cut)} (exclusive; {window_note}); {timeline.dropped_cases:,} cases without a "
        "team left out.",
        f"{len(request_types)} request types cover the cases ({coverage:.0%} by their exact "
        f"route, the rest grouped); {transfers:.2f} transfers per case, "
        f"{train['ping_pong'].mean():.1%} of cases ping-pong (x -> y -> x).",
        "Touch times are "
        + (
            "recorded in the log"
            if timeline.observed_starts
            else "estimated from when each person was free (the log has no start times)"
        )
        + "; people are counted, never named.",
        f"Working week seen in the log: {workweek.describe()}: the [calendar]'s opening hours, "
        "when everyone is on duty (teams regularly present beyond them have their own shifts); "
        "customers arrive around the clock by hour of the week. "
        "People's own working days (the shortest stretch of the day holding 80% of a person's "
        f"events) are {_shift_text(shifts)}; "
        + (
            "each person's own hours are their shift (shift_headcounts)."
            if person_shifts
            else "not simulated one by one (sim calibrate --person-shifts)."
        ),
        "Priorities and the backlog at the start are measured below but not yet simulated.",
    ]
    if priorities is not None:
        listing = ", ".join(
            f"{p} {r.share:.0%} (median {r.elapsed_p50:.0f} h)" for p, r in priorities.iterrows()
        )
        header.append(f"Priorities (not yet simulated): {listing}.")
    header.append(
        f"Backlog when the test window opens: {sum(backlog.values()):,} open cases"
        + (
            " (" + ", ".join(f"{t} {n}" for t, n in list(backlog.items())[:8]) + ")"
            if backlog
            else ""
        )
        + "; not yet simulated (the run starts empty and warms up)."
    )
    if type_profiles:
        pooled = np.asarray(profile) / max(profile.sum(), 1e-12)
        spread = max(
            0.5 * np.abs(np.asarray(p) / max(sum(p), 1e-12) - pooled).sum()
            for p in type_profiles.values()
            if sum(p) > 0
        )
        header.append(
            "Arrivals by hour of the week differ between request types by up to "
            f"{spread:.0%} (total variation from the pooled profile); the model uses one "
            "profile for all types."
        )
    return Calibration(
        scenario=scenario,
        notes=notes,
        header=header,
        warnings=warnings,
        arrival_profile=list(profile),
        type_profiles=type_profiles,
        window=window,
        window_note=window_note,
        fitted_cases=len(train),
        arrivals_start=windows.arrivals_start,
        cut=cut,
        workweek=timeline.workweek.describe(),
        on_duty=list(on_duty.to_numpy(dtype=float)),
        shifts=shifts,
        priorities=priorities,
        backlog=backlog,
        stats={
            "transfers_per_case": transfers,
            "ping_pong_share": float(train["ping_pong"].mean()),
        },
    )


DELAY_THRESHOLD_HOURS = 1.0
"""Unexplained time in a team (neither work nor the customer's) up to this is taken for queueing,
which the model makes itself; beyond it, for a delay."""


def _excess(delayed: pd.Series, unexplained: pd.Series, working: pd.Series) -> tuple[float, float]:
    """(share, mean calendar hours) of an exponential delay in some of the visits: those
    `delayed` (more than `DELAY_THRESHOLD_HOURS` of working hours neither worked nor the
    customer's; nights alone are the calendar's, queueing shorter than that the model's). The
    mean is their calendar excess over the threshold (an exponential forgets what it has
    waited); the share is theirs scaled back by the chance such a delay passes the threshold."""
    if delayed.sum() < MIN_SAMPLES:
        return 0.0, 0.0
    mean = float((unexplained[delayed] - DELAY_THRESHOLD_HOURS).clip(lower=0).mean())
    slow = float((working[delayed] - DELAY_THRESHOLD_HOURS).mean())
    if mean <= 0 or slow <= 0:
        return 0.0, 0.0
    share = min(1.0, float(delayed.mean()) * math.exp(DELAY_THRESHOLD_HOURS / slow))
    return share, mean


def _slow_cases(visits: pd.DataFrame, cases: pd.DataFrame) -> pd.Series:
    """Whether each case (by id) is a slow one (`slow_case_share`): it waited for the customer,
    was reopened, or sat in a team over `DELAY_THRESHOLD_HOURS` of working time neither
    worked nor with the customer (the start and handoff delays `_delays` fits)."""
    working = visits["open_hours"] - visits["touch_hours"] - visits["wait_open_hours"]
    sat = (working > DELAY_THRESHOLD_HOURS).groupby(visits["case"]).any()
    own = cases.set_index("case")
    return (own["waits"] > 0) | (own["reopens"] > 0) | sat.reindex(own.index, fill_value=False)


def _censored_mean(low: np.ndarray, high: np.ndarray) -> float:
    """The maximum-likelihood mean of an exponential from waits known exactly (`low` ==
    `high`) or only to lie between `low` and `high` (interval-censored), by EM: each censored
    wait is replaced by its expectation under the current mean until the mean settles."""
    censored = low < high
    width = np.where(censored, high - low, 0.0)
    mean = float(high.mean())
    for _ in range(200):
        if mean <= 0:
            return 0.0
        x = width[censored] / mean
        # E[X | low < X < high] for an exponential: low + mean - width / (e^(width/mean) - 1).
        tail = np.where(x > 1e-9, width[censored] / np.expm1(np.minimum(x, 700)), mean)
        expected = high.copy()
        expected[censored] = low[censored] + mean - tail
        updated = float(expected.mean())
        if abs(updated - mean) < 1e-9 * max(mean, 1.0):
            return updated
        mean = updated
    return mean


def _slow_share(
    touched: float,
    request_type: dict[str, Any],
    workforce: list[dict[str, Any]],
    fcr: float,
    handoff_delay: float,
) -> float:
    """The type's `slow_case_share` s at which the model gives the `touched` share of its
    cases a delay or a failed first contact, as the log does (`_slow_cases`). A slow case is
    touched unless it passes its first team's start delay (share d/s), every first contact
    (failure odds 1/s times the task's) and every handoff within `DELAY_THRESHOLD_HOURS`
    (an exponential delay of mean `handoff_delay`/s). 1 (the neutral value) where even
    independent draws touch fewer cases than the log shows."""
    tasks = request_type["tasks"]
    start = {g["skill"]: g.get("start_delay_share", 0.0) for g in workforce}
    d = start.get(tasks[0]["skill"], 0.0)
    rights = [t.get("first_contact_resolution", fcr) for t in tasks]
    handoffs = len(tasks) - 1 if handoff_delay > 0 else 0

    def touched_at(s: float) -> float:
        passed = 1.0 - min(1.0, d / s)
        for p in rights:
            passed *= p / (p + (1.0 - p) / s) if p > 0 else 0.0
        if handoffs:  # each handoff's delay within the threshold
            passed *= (-math.expm1(-DELAY_THRESHOLD_HOURS * s / handoff_delay)) ** handoffs
        return s * (1.0 - passed)

    if touched_at(1.0) <= touched:
        return 1.0
    low, high = touched, 1.0  # touched_at(touched) <= touched < touched_at(1)
    for _ in range(50):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if touched_at(mid) < touched else (low, mid)
    return high


def _delays(
    visits: pd.DataFrame,
    workforce: list[dict[str, Any]],
    notes: dict[str, str],
    start_delays: bool,
) -> float:
    """The handoff delay: what visits reached by a handoff wait beyond first visits, neither
    work nor the customer's. With `start_delays`, first each team's delay before it takes up a
    new case (`start_delay_share`, `_hours` of its group), from its first visits beyond
    queueing and nights (`_excess`); the handoff delay is then what is left, as first visits'
    time is their teams' own (fitted together, not added on top). Returns the handoff delay."""
    unexplained = visits["hours"] - visits["touch_hours"] - visits["wait_hours"]
    firsts = visits["step"] == 0
    if start_delays:
        working = visits["open_hours"] - visits["touch_hours"] - visits["wait_open_hours"]
        delayed = working > DELAY_THRESHOLD_HOURS
        for i, group in enumerate(workforce):
            own = firsts & (visits["team"] == group["skill"])
            share, mean = _excess(delayed[own], unexplained[own], working[own])
            if share <= 0:
                continue
            group["start_delay_share"] = _round(share)
            group["start_delay_hours"] = _round(mean)
            notes[f"workforce.{i}.start_delay_share"] = (
                f"{int(delayed[own].sum()):,} of {int(own.sum()):,} first visits to the team "
                f"waited over {DELAY_THRESHOLD_HOURS:g} working hours neither worked nor with "
                f"the customer, {mean:.1f} calendar hours beyond that on average: an "
                f"exponential delay in {share:.0%} of the team's new cases"
            )
    handoffs = visits[~firsts]
    # A visit whose work began at a morning's opening waited some unknown part of the closed
    # stretch before (`unsure_hours`): its time is interval-censored, as the callbacks' are.
    high = unexplained.clip(lower=0.0).to_numpy()
    low = np.maximum(high - visits["unsure_hours"].to_numpy(), 0.0)
    handed = (~firsts).to_numpy()
    extra_handoff = _censored_mean(low[handed], high[handed]) if len(handoffs) else 0.0
    extra_first = _censored_mean(low[~handed], high[~handed]) if firsts.any() else 0.0
    notes["policies.handoff_delay_hours"] = (
        f"visits reached by a handoff ({len(handoffs):,}) waited {extra_handoff:.1f} h on average "
        f"beyond work and the customer's time, first visits ({int(firsts.sum()):,}) "
        f"{extra_first:.1f} h: the difference is charged to the handoff (exponential means by "
        "maximum likelihood; a visit whose work began at a morning's opening waited some of "
        "the closed hours before it, which the calendar makes)"
        if len(handoffs)
        else "no handoffs in the fitting cases"
    )
    return max(0.0, extra_handoff - extra_first) if len(handoffs) else 0.0


def _day(t: pd.Timestamp) -> str:
    return pd.Timestamp(t).strftime("%Y-%m-%d")


def _round(x: float) -> float:
    """Four significant figures: the measurement is not more precise than that."""
    return float(f"{x:.4g}")


# Arrivals ------------------------------------------------------------------------------------


FitWindow = int | str
"""Which stretch of the training part to fit on: "auto" (every whole week, or, when the log is
not stationary, the weeks since its last change), "all" (every whole week) or a number of days
(the latest ones before the test window)."""


@dataclass(frozen=True)
class FitWindows:
    """The stretches before the cut a calibration is fitted on, each with a note saying which."""

    start: pd.Timestamp
    """Routes, work, delays, first-contact resolution, people: from the cases since then."""
    note: str
    arrivals_start: pd.Timestamp
    """Arrival rates and their profile: from the cases since then (earlier than `start` when
    the arrivals kept steady while the process changed)."""
    arrivals_note: str
    warning: str | None
    """Why the log is not stationary, and what was fitted on (None when it is stationary)."""


def _fit_window(train: pd.DataFrame, cut: pd.Timestamp, choice: FitWindow = "auto") -> FitWindows:
    """The stretches before `cut` to fit on, and a warning when the log is not stationary:
    arrivals, elapsed times or transfers that trend over the weeks (or weeks with under half
    the median arrivals, such as a truncated edge). With `choice` "auto", a log that is not
    stationary is fitted on the weeks since it last changed (`_since_change`): a model fitted
    to a drifting past cannot reproduce the present. The process (elapsed times, transfers)
    and the arrivals are told apart: each is fitted on every whole week when it does not
    drift itself."""
    first = train["arrival"].min().normalize()
    weeks = int((cut - train["arrival"].min()) / pd.Timedelta(days=7))
    reasons = _drift(train, cut, weeks) if weeks >= 3 else {}
    if choice == "auto" and reasons:  # drifting: since it last changed
        start, note = _since_change(
            train, cut, weeks, "process", _process_differs, reasons.keys() & PROCESS_DRIFT
        )
        arrivals_start, arrivals_note = _since_change(
            train, cut, weeks, "arrivals", _arrivals_differ, reasons.keys() & ARRIVALS_DRIFT
        )
    else:
        if isinstance(choice, int):
            # The earliest case bounds it before a timedelta does: any number of days works.
            span = (cut - first) / pd.Timedelta(days=1)
            start = first if choice >= span else cut - pd.Timedelta(days=choice)
            days = round((cut - start) / pd.Timedelta(days=1))
            note = (
                f"the last {days} days before the test window (chosen), "
                f"{_day(start)} to {_day(cut)}"
            )
        elif weeks < 3:
            start = cut - pd.Timedelta(days=7 * max(weeks, 1)) if weeks >= 1 else first
            note = f"{_day(start)} to {_day(cut)}"
        else:
            start = cut - pd.Timedelta(days=7 * weeks)
            note = f"{weeks} weeks, {_day(start)} to {_day(cut)}"
        arrivals_start, arrivals_note = start, note
    if not reasons:
        return FitWindows(start, note, arrivals_start, arrivals_note, None)
    also = "" if arrivals_start == start else f"; arrival rates on {arrivals_note}"
    why = "; ".join(reasons.values())
    warning = f"the log is not stationary: {why}; fitted on {note}{also}"
    return FitWindows(start, note, arrivals_start, arrivals_note, warning)


def _week_of(arrivals: pd.Series, cut: pd.Timestamp, weeks: int) -> np.ndarray:
    """Each arrival's whole week before `cut` (0 the earliest of `weeks`; -1 before them)."""
    edges = np.asarray(
        [cut - pd.Timedelta(days=7 * k) for k in range(weeks, -1, -1)], dtype="datetime64[us]"
    )
    return np.searchsorted(edges, arrivals.to_numpy(dtype="datetime64[us]"), side="right") - 1


ARRIVALS_DRIFT = {"arrivals", "quiet weeks"}
PROCESS_DRIFT = {"median elapsed time", "transfers per case"}
"""`_drift`'s keys about the arrivals, and about how the cases went."""


def _drift(train: pd.DataFrame, cut: pd.Timestamp, weeks: int) -> dict[str, str]:
    """Why the `weeks` whole weeks before `cut` are not stationary, by what drifts
    (`ARRIVALS_DRIFT`, `PROCESS_DRIFT`; empty when nothing does)."""
    week = _week_of(train["arrival"], cut, weeks)
    inside = (week >= 0) & (week < weeks)
    by_week = train[inside].groupby(week[inside])
    counts = by_week.size().reindex(range(weeks), fill_value=0).to_numpy()
    reasons: dict[str, str] = {}
    for label, values, unit in (
        ("arrivals", counts, " cases"),
        (
            "median elapsed time",
            by_week["elapsed_hours"].median().reindex(range(weeks)).to_numpy(),
            " h",
        ),
        ("transfers per case", by_week["transfers"].mean().reindex(range(weeks)).to_numpy(), ""),
    ):
        ok = np.isfinite(values)
        if ok.sum() < 3 or np.nanmean(values) <= 0:
            continue
        fit = stats.linregress(np.flatnonzero(ok), values[ok])
        change = fit.slope * (weeks - 1) / np.nanmean(values)
        if fit.pvalue < 0.01 and abs(change) > TREND_LIMIT:
            direction = "rise" if change > 0 else "fall"
            reasons[label] = (
                f"weekly {label} {direction} from {values[ok][0]:,.3g}{unit} to "
                f"{values[ok][-1]:,.3g}{unit} over {weeks} weeks (a significant linear trend)"
            )
    low = counts < 0.5 * np.median(counts)
    if low.any():
        starts = [cut - pd.Timedelta(days=7 * (weeks - k)) for k in np.flatnonzero(low)[:4]]
        reasons["quiet weeks"] = (
            f"weeks with under half the median arrivals (from {', '.join(map(_day, starts))})"
        )
    return reasons


MIN_FIT_WEEKS = 2
"""The fewest weeks a log that is not stationary is fitted on (fewer cases than that leave
most routes without a sample of their own)."""
CHANGE_P = 0.01
"""A week differs from the weeks after it when a test rejects "the same process" at this level."""


def _since_change(
    train: pd.DataFrame,
    cut: pd.Timestamp,
    weeks: int,
    what: str,
    differs: Callable[[pd.DataFrame, pd.DataFrame, int], str | None],
    drifting: set[str],
) -> tuple[pd.Timestamp, str]:
    """Where to start fitting `what` (`differs` tells when it changed), and a note saying why:
    every whole week when it does not drift (`drifting` is empty), else the weeks since it
    last changed.
    Starting from the last `MIN_FIT_WEEKS`, an earlier week joins while it looks like the
    weeks after it (`differs(week, weeks after it, how many)` is None)."""
    if not drifting:
        start = cut - pd.Timedelta(days=7 * weeks)
        return start, f"{weeks} weeks, {_day(start)} to {_day(cut)} (no drift)"
    week = _week_of(train["arrival"], cut, weeks)
    recent, why = MIN_FIT_WEEKS, "no single week differs from the ones after it"
    while recent < weeks:
        added = train[week == weeks - recent - 1]
        kept = train[(week >= weeks - recent) & (week < weeks)]
        change = differs(added, kept, recent)
        if change is not None:
            why = change
            break
        recent += 1
    start = cut - pd.Timedelta(days=7 * recent)
    return start, (
        f"the last {recent} weeks before the test window, {_day(start)} to {_day(cut)}, "
        f"since the {what} last changed ({why})"
    )


def _arrivals_differ(added: pd.DataFrame, kept: pd.DataFrame, weeks: int) -> str | None:
    """A week's arrivals are out of line with a stretch's when they are further from its weekly
    mean than `TREND_LIMIT` of it and than Poisson noise (p = `CHANGE_P`)."""
    mean = len(kept) / weeks
    noise = stats.norm.ppf(1 - CHANGE_P / 2) * math.sqrt(mean)
    if abs(len(added) - mean) > max(TREND_LIMIT * mean, noise):
        return f"the week before had {len(added):,} arrivals against {mean:,.0f} a week"
    return None


def _process_differs(added: pd.DataFrame, kept: pd.DataFrame, weeks: int) -> str | None:
    """A week's cases went differently from a stretch's when their elapsed times
    (Kolmogorov-Smirnov) or transfers per case (Welch's t) differ at p = `CHANGE_P`."""
    if not len(added) or not len(kept):
        return None
    if stats.ks_2samp(added["elapsed_hours"], kept["elapsed_hours"]).pvalue < CHANGE_P:
        return (
            f"the week before had a median elapsed time of "
            f"{added['elapsed_hours'].median():,.3g} h against "
            f"{kept['elapsed_hours'].median():,.3g} h"
        )
    moved = stats.ttest_ind(added["transfers"], kept["transfers"], equal_var=False).pvalue
    if moved < CHANGE_P:  # NaN (no spread on either side) is no evidence of a change
        return (
            f"the week before had {added['transfers'].mean():.2f} transfers per case "
            f"against {kept['transfers'].mean():.2f}"
        )
    return None


# Request types ---------------------------------------------------------------------------------


def _route_name(route: tuple[str, ...]) -> str:
    return " -> ".join(route)


def _request_types(train: pd.DataFrame):
    """(name, route, share, cases, exact) per type; the cases of each; notes; exact coverage."""
    counts = Counter(train["route"])
    total = len(train)
    kept: list[tuple[str, ...]] = []
    covered = 0
    for route, n in counts.most_common():
        if covered / total >= TYPE_COVERAGE or len(kept) >= MAX_TYPES:
            break
        kept.append(route)
        covered += n
    kept_set = set(kept)
    types = []
    members: dict[str, list[str]] = {}
    notes = {}
    for route in kept:
        name = _route_name(route)
        chosen = train.loc[train["route"] == route, "case"].tolist()
        members[name] = chosen
        types.append((name, route, len(chosen) / total, len(chosen), True))
        notes[name] = f"{len(chosen):,} cases ({len(chosen) / total:.1%}) took exactly this route"
    rest = train[~train["route"].isin(kept_set)]
    if len(rest):
        groups = rest.groupby([rest["route"].map(len), rest["route"].map(is_ping_pong)])
        for (length, pong), group in groups:
            length = cast(int, length)  # the number of teams on the route
            route = Counter(group["route"]).most_common(1)[0][0]
            if group["route"].nunique() == 1:  # nothing to group: the route itself
                name = _route_name(route)
                chosen = group["case"].tolist()
                members[name] = chosen
                types.append((name, route, len(chosen) / total, len(chosen), True))
                notes[name] = (
                    f"{len(chosen):,} cases ({len(chosen) / total:.1%}) took exactly this route"
                )
                continue
            label = f"other: {length} team{'s' if length > 1 else ''}" + (
                ", ping-pong" if pong else ""
            )
            chosen = group["case"].tolist()
            members[label] = chosen
            types.append((label, route, len(chosen) / total, len(chosen), False))
            notes[label] = (
                f"{len(chosen):,} cases ({len(chosen) / total:.1%}) on "
                f"{group['route'].nunique():,} rarer routes through {length} team"
                f"{'s' if length > 1 else ''}{' with ping-pong' if pong else ''}, represented by "
                f"the most common one; work is each team's mean"
            )
    return types, members, notes, covered / total


def _fix_shares(request_types: list[dict[str, Any]]) -> None:
    """Round shares to 6 decimals so that they sum to exactly 1 (the schema checks it)."""
    rounded = [round(t["share"], 6) for t in request_types]
    biggest = int(np.argmax(rounded))
    rounded[biggest] = round(1.0 - sum(rounded) + rounded[biggest], 6)
    for t, share in zip(request_types, rounded, strict=True):
        t["share"] = share


def _work_distribution(visits: pd.DataFrame, request_types, types) -> tuple[str, str, float]:
    """The model's work distribution closest (1-Wasserstein) to the relative work sizes."""
    means = {
        (name, step): task["hours"]
        for (name, *_), rtype in zip(types, request_types, strict=True)
        for step, task in enumerate(rtype["tasks"])
    }
    key = list(zip(visits["rtype"], visits["step"], strict=True))
    mean = np.array([means.get(k, np.nan) for k in key])
    relative = (visits["work"].to_numpy() / mean)[np.isfinite(mean) & (mean > 0)]
    relative = relative[np.isfinite(relative)]
    if len(relative) < 10:
        return "too few measured tasks to choose: the model's default", "lognormal", 1.0
    relative = relative / relative.mean()
    cv = float(min(5.0, relative.std()))
    rng = np.random.default_rng(0)
    sigma = math.sqrt(math.log1p(cv * cv))
    candidates = {
        "exponential": rng.exponential(1.0, 20_000),
        "lognormal": rng.lognormal(-0.5 * sigma * sigma, sigma, 20_000),
        "deterministic": np.ones(1),
    }
    distances = {k: stats.wasserstein_distance(relative, v) for k, v in candidates.items()}
    best = min(distances, key=distances.__getitem__)
    listing = ", ".join(f"{k} {v:.3f}" for k, v in distances.items())
    note = (
        f"{len(relative):,} tasks' work relative to their mean (coefficient of variation "
        f"{cv:.2f}); distance to each of the model's distributions (1-Wasserstein): {listing}"
    )
    return note, best, _round(cv)


# People --------------------------------------------------------------------------------------


def _workforce(events: pd.DataFrame, request_types: list[dict[str, Any]]):
    """Workforce groups (one per team with people), notes, and whether anyone is multi-skilled."""
    active = events.dropna(subset=["resource"])
    counts = active.groupby(["resource", "team"]).size().rename("n").reset_index()
    counts = counts.sort_values(["resource", "n", "team"], ascending=[True, False, True])
    primary = counts.groupby("resource").head(1).set_index("resource")["team"]
    needed = [t["skill"] for rt in request_types for t in rt["tasks"]]
    needed = list(dict.fromkeys(needed))
    moved = 0
    assumed = []
    for team in needed:
        if (primary == team).any():
            continue
        sizes = primary.value_counts()
        candidates = counts[(counts["team"] == team)]
        candidates = candidates[candidates["resource"].map(primary).map(sizes) > 1]
        if len(candidates):
            person = candidates.sort_values("n", ascending=False)["resource"].iloc[0]
            primary[person] = team
            moved += 1
        else:
            assumed.append(team)
    worked = counts.groupby("resource")["team"].agg(set)
    groups = []
    notes = {}
    teams = list(dict.fromkeys([*needed, *sorted(primary.unique())]))
    multi = False
    for team in teams:
        people = primary.index[primary == team]
        headcount = len(people)
        if headcount == 0:
            if team not in assumed:
                continue
            headcount = 1
        others = Counter(t for person in people for t in worked[person] if t != team)
        secondary = {
            t: 1.0 for t, n in sorted(others.items()) if n >= SECONDARY_SHARE * max(len(people), 1)
        }
        multi = multi or bool(secondary)
        groups.append({"skill": team, "headcount": headcount, "other_skills": secondary})
        i = len(groups) - 1
        if team in assumed:
            notes[f"workforce.{i}"] = (
                "nobody in the log works mostly here and nobody could be spared: one person assumed"
            )
        else:
            notes[f"workforce.{i}"] = (
                f"{headcount} people work mostly here; {len(secondary)} other teams where most of "
                "them also work (secondary skills, proficiency 1: no evidence they are slower)"
            )
    total = sum(g["headcount"] for g in groups)
    notes["workforce"] = (
        f"{len(primary):,} people active in the fitting window, each counted once, in the team "
        f"of most of their events"
        + (f"; {moved} moved to staff a team nobody worked in mostly" if moved else "")
        + (f"; {len(assumed)} teams with one assumed person" if assumed else "")
        + f" ({total} in all)"
    )
    return groups, notes, multi, primary


SHIFT_COVERAGE = 0.8
"""A person's working day is the shortest stretch of the day holding this share of their
events (over all the days they worked), so that a sparse log still shows it."""


def _shifts(active: pd.DataFrame) -> list[tuple[int, int, int]]:
    """People's working days: (from hour, to hour, people), most common first. People with
    fewer than five events are left out."""
    if active.empty:
        return []
    hours = pd.crosstab(active["resource"], active["time"].dt.hour).reindex(
        columns=range(24), fill_value=0
    )
    hours = hours[hours.sum(axis=1) >= 5]
    cumulative = np.concatenate([np.zeros((len(hours), 1)), hours.cumsum(axis=1).to_numpy()], 1)
    need = SHIFT_COVERAGE * cumulative[:, -1]
    patterns: Counter = Counter()
    for row, wanted in zip(cumulative, need, strict=True):
        best = (0, 24)
        for a in range(24):
            # The first end hour whose stretch from `a` holds enough events.
            b = int(np.searchsorted(row, row[a] + wanted - 1e-9))
            if b <= 24 and b - a < best[1] - best[0]:
                best = (a, max(b, a + 1))
        patterns[best] += 1
    return [(a, b, n) for (a, b), n in patterns.most_common()]


def _shift_text(shifts: list[tuple[int, int, int]]) -> str:
    if not shifts:
        return "no person active on two days or more"
    total = sum(n for *_, n in shifts)
    shown = ", ".join(f"{a:02d}-{b:02d} {n}" for a, b, n in shifts[:5])
    rest = total - sum(n for *_, n in shifts[:5])
    return f"{shown}{f', other {rest}' if rest else ''} (of {total} people)"


MIN_PERSON_EVENTS = 20
"""Fewer events than this in the fitting window (or activity in fewer than two weeks): the
person's own hours are not told; they keep their group's shift."""


def _person_shifts(
    active: pd.DataFrame,
    primary: pd.Series,
    workforce: list[dict[str, Any]],
    workweek: WorkWeek,
    team_shifts: dict[str, WorkWeek],
) -> tuple[dict[str, WorkWeek], str]:
    """Each person's own hours, as shifts counted per group (`shift_headcounts`), never
    named: their working days (weekdays with events in at least `PRESENCE_SHARE` of the
    weeks they were active) from the shortest stretch of the day holding `SHIFT_COVERAGE` of
    their events. People whose hours are their group's shift, or who are not seen enough
    (`MIN_PERSON_EVENTS`), keep the group's shift. Returns the new shifts and a note."""
    active = active.assign(
        week=active["time"].dt.to_period("W"),
        day=active["time"].dt.day_of_week,
        hour=active["time"].dt.hour,
    )
    shifts: dict[str, WorkWeek] = {}
    own = 0
    group_of = {g["skill"]: g for g in workforce}
    counts: dict[str, Counter] = {}
    for person, rows in active.groupby("resource", sort=True):
        weeks = rows["week"].nunique()
        team = primary.get(person)
        if len(rows) < MIN_PERSON_EVENTS or weeks < 2 or not isinstance(team, str):
            continue
        if team not in group_of:
            continue
        seen = rows.groupby("day")["week"].nunique()
        days = sorted(int(d) for d in seen.index[seen >= PRESENCE_SHARE * weeks])
        hours = np.bincount(rows["hour"], minlength=24)
        cumulative = np.concatenate([[0.0], np.cumsum(hours)])
        wanted = SHIFT_COVERAGE * cumulative[-1]
        best = (0, 24)
        for a in range(24):
            b = int(np.searchsorted(cumulative, cumulative[a] + wanted - 1e-9))
            if b <= 24 and b - a < best[1] - best[0]:
                best = (a, max(b, a + 1))
        if not days:
            continue
        flags = [False] * HOURS_PER_WEEK
        for d in days:
            for h in range(*best):
                flags[24 * d + h] = True
        week = WorkWeek(tuple(flags))
        if week == team_shifts.get(team, workweek):
            continue
        name = f"{_day_text(days)} {best[0]:02d}-{best[1]:02d}"
        shifts[name] = week
        counts.setdefault(team, Counter())[name] += 1
        own += 1
    for team, counter in counts.items():
        group = group_of[team]
        room = group["headcount"]
        kept = {}
        for name, n in counter.most_common():
            kept[name] = min(n, room)
            room -= kept[name]
            if room == 0:
                break
        group["shift_headcounts"] = {k: v for k, v in kept.items() if v > 0}
    used = {name for g in workforce for name in g.get("shift_headcounts", {})}
    shifts = {name: week for name, week in shifts.items() if name in used}
    note = (
        f"{own} people on their own hours ({len(shifts)} patterns: their working days, the "
        f"weekdays with events in at least {PRESENCE_SHARE:.0%} of the weeks they were active, "
        f"from the shortest stretch of the day holding {SHIFT_COVERAGE:.0%} of their events), "
        "counted per team in shift_headcounts; the others keep their team's hours"
    )
    return shifts, note


def _day_text(days: list[int]) -> str:
    """'Mon-Fri', 'Mon, Wed-Thu': weekdays (0 = Monday) in runs."""
    runs: list[list[int]] = []
    for d in days:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    names = [w[:3] for w in WEEKDAYS]
    return ", ".join(names[r[0]] if len(r) == 1 else f"{names[r[0]]}-{names[r[-1]]}" for r in runs)


def _priorities(train: pd.DataFrame) -> pd.DataFrame | None:
    if train["priority"].isna().all():
        return None
    grouped = train.groupby("priority")
    frame = pd.DataFrame(
        {"share": grouped.size() / len(train), "elapsed_p50": grouped["elapsed_hours"].median()}
    )
    return frame.sort_index()


def _backlog(cases: pd.DataFrame, visits: pd.DataFrame, cut: pd.Timestamp) -> dict[str, int]:
    """Open cases at `cut` by the team holding them then."""
    open_cases = cases[(cases["arrival"] < cut) & (cases["end"] >= cut)]["case"]
    held = visits[visits["case"].isin(open_cases) & (visits["entered"] < cut)]
    holder = held.groupby("case")["team"].last()
    return {str(k): int(v) for k, v in holder.value_counts().items()}


# The scenario ----------------------------------------------------------------------------------


PRESENCE_SHARE = 0.5
"""A team is on duty in an hour of the week outside the opening hours when its people have
events in that hour in at least this share of the fitting window's weeks (a regular night or
weekend presence, not a one-off). Modelling choice."""


def _team_shifts(
    events: pd.DataFrame, workforce: list[dict[str, Any]], workweek: WorkWeek, weeks: float
) -> tuple[dict[str, WorkWeek], str]:
    """Each team's hours on duty: the opening hours, plus the hours of the week in which the
    team is regularly present (`PRESENCE_SHARE`); only the teams that differ from the opening
    hours. Teams are skills: workforce groups by primary team."""
    active = events.dropna(subset=["resource"])
    if weeks < 2 or active.empty:
        return {}, "none: the fitting window is too short to see regular hours"
    seen = (
        active.assign(how=hour_of_week(active["time"]), week=active["time"].dt.to_period("W"))
        .groupby(["team", "how"])["week"]
        .nunique()
    )
    shifts = {}
    for group in workforce:
        team = group["skill"]
        # The team's part of the (team, hour) index: a Series of week counts by hour.
        regular = cast("pd.Series", seen.get(team, pd.Series(dtype=float)))
        hours = set(regular.index[regular >= PRESENCE_SHARE * weeks]) if len(regular) else set()
        flags = tuple(o or h in hours for h, o in enumerate(workweek.open))
        if flags != workweek.open:
            shifts[team] = WorkWeek(flags)
            group["shift"] = team
    note = (
        f"{len(shifts)} of {len(workforce)} teams are on duty beyond the opening hours: the "
        f"hours of the week in which they had events in at least {PRESENCE_SHARE:.0%} of the "
        "fitting weeks (a night desk, weekend cover); the others keep the opening hours"
    )
    return shifts, note


def _hours_text(week: WorkWeek) -> dict[str, str]:
    """A working week as a calendar's weekday -> hours."""
    return {
        day[:3].lower(): ", ".join(f"{a:02d}:00-{b:02d}:00" for a, b in spans) or "closed"
        for day, spans in week.opening_hours().items()
    }


def _calendar(
    workweek: WorkWeek, profile: np.ndarray, cut: pd.Timestamp, shifts: dict[str, WorkWeek]
) -> dict[str, Any]:
    """The `[calendar]`: the working week seen in the log as opening hours, the teams' own
    hours as shifts, and arrivals by hour of the week relative to the busiest hour; day 0 is
    the first day of the test window."""
    top = profile.max()
    return {
        "start": cut.date(),
        "opening_hours": _hours_text(workweek),
        "shifts": {team: _hours_text(week) for team, week in shifts.items()},
        "arrival_profile": [_round(v / top) if top > 0 else 1.0 for v in profile],
    }


def _scenario(
    source: str,
    per_day: float,
    calendar: dict[str, Any],
    request_types: list[dict[str, Any]],
    workforce: list[dict[str, Any]],
    distribution: str,
    cv: float,
    patience: float,
    callback: float,
    handoff_delay: float,
    fcr: float,
    multi: bool,
) -> dict[str, Any]:
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    return {
        "name": f"As is (calibrated from {name})",
        "description": "Measured from a ticket export by sim calibrate; see the comments.",
        "run": {
            "days": 56,
            "warmup_days": 7,
            "hours_per_day": 24.0,
            "seed": 1,
            "drain_limit_days": 60.0,
        },
        "demand": {
            "requests_per_day": _round(per_day),
            "work_distribution": distribution,
            "work_cv": cv,
            "patience_hours": _round(patience),
            "callback_delay_hours": _round(callback),
            "request_types": request_types,
        },
        "workforce": workforce,
        "structure": {"kind": "functional"},
        "policies": {
            "handoff_delay_hours": _round(handoff_delay),
            "handoff_info_loss": 0.0,
            "misrouting": 0.0,
            "help_across_units": 1.0 if multi else 0.0,
            "first_contact_resolution": _round(fcr),
            "engagement_effect": 0.0,
            "customer_metric_weight": 1.0,
        },
        "managers": {"encounters_per_week": 0.0, "tie_weight": 0.0},
        "calendar": calendar,
    }


FIXED_NOTES = {
    "run.hours_per_day": "24: with a [calendar] the clock runs in calendar hours",
    "run.days": "days are calendar days; change freely",
    "calendar.start": "the first day of the test window (any date will do)",
    "calendar.opening_hours": "the working week seen in the log (hours in which people's events "
    "reach a fifth of the busiest hour's): everyone is on duty then",
    "calendar.arrival_profile": "arrivals by hour of the week (Monday 00:00-01:00 first), "
    "relative to the busiest hour",
    "structure.kind": "the teams of the log, one unit each; try cross_functional or matrix "
    "with the same people",
    "policies.handoff_info_loss": "0: measured work already includes any extra work after a "
    "handoff (set it to explore)",
    "policies.misrouting": "0: misroutes and ping-pong are in the request types' routes",
    "policies.help_across_units": "people working in several teams help there whenever idle",
    "policies.engagement_effect": "0: engagement is not in a log; measured times include it",
    "policies.customer_metric_weight": "1: the behaviour local metrics cause is already in "
    "the measured routes and times",
    "managers.encounters_per_week": "0: measured capacity is net of meetings",
    "managers.tie_weight": "0: help follows the measured multi-skilling, not modelled ties",
}
"""Notes on the keys whose value is a mapping choice rather than a measurement."""
