"""Small event logs the calibration tests write themselves: CSV, XES, gzip or not."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import quoteattr

import pandas as pd

if TYPE_CHECKING:
    from sim.calibration.discovery import Calibration

XES_COLUMNS = {
    "case": "case:concept:name",
    "activity": "concept:name",
    "time": "time:timestamp",
    "team": "org:group",
    "resource": "org:resource",
    "lifecycle": "lifecycle:transition",
}


def ticket_log() -> pd.DataFrame:
    """Six tickets through three teams: one transfer, a ping-pong, a wait for the customer,
    a reopen, work recorded as start/complete pairs. Times carry a zone offset (dropped on
    reading: wall-clock times)."""
    rows = []

    def add(case, activity, time, team, person, lifecycle="complete"):
        rows.append((case, activity, f"{time}+02:00", team, person, lifecycle))

    add("T1", "Log call", "2024-03-04T09:00:00", "Desk", "ann", "start")
    add("T1", "Log call", "2024-03-04T09:20:00", "Desk", "ann")
    add("T1", "Fix", "2024-03-04T10:00:00", "Desk", "ann", "start")
    add("T1", "Fix", "2024-03-04T10:30:00", "Desk", "ann")
    add("T2", "Log call", "2024-03-04T09:30:00", "Desk", "bob", "start")
    add("T2", "Log call", "2024-03-04T09:40:00", "Desk", "bob")
    add("T2", "Fix", "2024-03-04T11:00:00", "Network", "cat", "start")
    add("T2", "Fix", "2024-03-04T12:00:00", "Network", "cat")
    add("T3", "Log call", "2024-03-05T08:00:00", "Desk", "ann", "start")
    add("T3", "Log call", "2024-03-05T08:15:00", "Desk", "ann")
    add("T3", "Diagnose", "2024-03-05T09:00:00", "Network", "cat", "start")
    add("T3", "Diagnose", "2024-03-05T09:45:00", "Network", "cat")
    add("T3", "Fix", "2024-03-05T10:00:00", "Desk", "bob", "start")
    add("T3", "Fix", "2024-03-05T10:10:00", "Desk", "bob")
    add("T4", "Log call", "2024-03-06T14:00:00", "Desk", "bob", "start")
    add("T4", "Log call", "2024-03-06T14:05:00", "Desk", "bob")
    add("T4", "Fix", "2024-03-06T15:00:00", "Apps", "dan", "start")
    add("T4", "Fix", "2024-03-06T16:00:00", "Apps", "dan")
    add("T5", "Log call", "2024-03-07T10:00:00", "Desk", "ann", "start")
    add("T5", "Log call", "2024-03-07T10:10:00", "Desk", "ann")
    add("T6", "Log call", "2024-03-08T11:00:00", "Desk", "bob", "start")
    add("T6", "Log call", "2024-03-08T11:30:00", "Desk", "bob")
    return pd.DataFrame(rows, columns=list(XES_COLUMNS.values()))


def write_csv(frame: pd.DataFrame, path: Path, sep: str = ",") -> Path:
    text = frame.to_csv(index=False, sep=sep)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_xes(frame: pd.DataFrame, path: Path) -> Path:
    """An XES file: one trace per case (its id as the trace's concept:name), attributes as
    typed XES elements."""
    case_column = XES_COLUMNS["case"]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<log xes.version="1.0" xmlns="http://www.xes-standard.org/">',
        '  <global scope="trace"><string key="concept:name" value="UNKNOWN"/></global>',
        '  <global scope="event"><string key="concept:name" value="UNKNOWN"/></global>',
    ]
    for case, events in frame.groupby(case_column, sort=False):
        lines.append("  <trace>")
        lines.append(f'    <string key="concept:name" value={quoteattr(str(case))}/>')
        for _, event in events.iterrows():
            lines.append("    <event>")
            for column, value in event.items():
                if column == case_column:
                    continue
                kind = "date" if column == XES_COLUMNS["time"] else "string"
                lines.append(f'      <{kind} key="{column}" value={quoteattr(str(value))}/>')
            lines.append("    </event>")
        lines.append("  </trace>")
    lines.append("</log>")
    text = "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def audit_log() -> pd.DataFrame:
    """A ServiceNow-style audit log: one row per update, the state after it, day-first
    minute times, '?' for "nobody", an update counter for updates in the same minute.

    - I1: Desk, waits for the customer 3 h, back to work, resolved, closed days later;
    - I2: Desk -> Network -> Desk (ping-pong), resolved, reopened, resolved again, closed;
    - I3: Network only, cancelled.
    """
    rows = [
        ("I1", "New", "4/3/2024 09:00", "Desk", "?", 0),
        ("I1", "Active", "4/3/2024 09:30", "Desk", "Person 1", 1),
        ("I1", "Awaiting User Info", "4/3/2024 10:00", "Desk", "Person 1", 2),
        ("I1", "Active", "4/3/2024 13:00", "Desk", "Person 1", 3),
        ("I1", "Resolved", "4/3/2024 13:30", "Desk", "Person 1", 4),
        ("I1", "Closed", "9/3/2024 13:30", "Desk", "Person 1", 5),
        ("I2", "New", "4/3/2024 09:10", "Desk", "?", 0),
        ("I2", "Active", "4/3/2024 09:40", "Network", "Person 2", 1),
        ("I2", "Active", "4/3/2024 11:40", "Desk", "Person 1", 2),
        ("I2", "Resolved", "4/3/2024 12:00", "Desk", "Person 1", 3),
        ("I2", "Active", "5/3/2024 09:00", "Desk", "Person 1", 4),
        ("I2", "Resolved", "5/3/2024 09:20", "Desk", "Person 1", 5),
        ("I2", "Resolved", "5/3/2024 09:20", "Desk", "Person 1", 6),
        ("I2", "Closed", "10/3/2024 09:20", "Desk", "Person 1", 7),
        ("I3", "New", "6/3/2024 14:00", "Network", "Person 2", 0),
        ("I3", "Canceled", "6/3/2024 15:00", "Network", "Person 2", 1),
    ]
    return pd.DataFrame(
        rows,
        columns=["number", "incident_state", "sys_updated_at", "group", "assigned_to", "mods"],
    )


AUDIT_MAP = """
timestamp_format = "%d/%m/%Y %H:%M"

[columns]
case = "number"
activity = "incident_state"
timestamp = "sys_updated_at"
team = "group"
resource = "assigned_to"
order = "mods"

[states]
waiting = ["Awaiting User Info"]
resolved = ["Resolved", "Closed"]
cancelled = ["Canceled"]
"""


HELPDESK_MAP = """
[columns]
case = "number"
activity = "incident_state"
timestamp = "sys_updated_at"
team = "assignment_group"
resource = "assigned_to"
order = "sys_mod_count"

[states]
waiting = ["Awaiting User Info"]
resolved = ["Resolved", "Closed"]
"""
"""A map file for `helpdesk_export`'s logs (`sim calibrate --map`)."""


def helpdesk_export(
    tickets: int = 360,
    weeks: int = 6,
    seed: int = 7,
    desk_delay_share: float = 0.0,
    desk_delay_hours: float = 0.0,
    together: bool = False,
) -> pd.DataFrame:
    """A generated helpdesk audit export (ServiceNow-like column names, ISO minute times), big
    enough to calibrate and test on held-out weeks: tickets arrive on weekdays 08-18 at a steady
    rate; the service desk (4 people) takes each; 40% go on to Network (3) or Apps (3), a few
    of those come back to the desk; 15% wait for the customer first; every ticket is resolved,
    then closed two days later. With `desk_delay_share`, that share of new tickets waits an
    exponential `desk_delay_hours` (calendar hours) before the desk takes it up; `together`:
    those tickets, and only those, wait for the customer (instead of 15% of all)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    teams = {
        "Service Desk": ["Desk 1", "Desk 2", "Desk 3", "Desk 4"],
        "Network": ["Net 1", "Net 2", "Net 3"],
        "Apps": ["Apps 1", "Apps 2", "Apps 3"],
    }
    start = pd.Timestamp("2024-01-01")  # a Monday
    weekdays = [d for d in range(weeks * 7) if d % 7 < 5]
    rows = []
    for i in range(tickets):
        day = weekdays[int(rng.integers(len(weekdays)))]
        t = start + pd.Timedelta(days=day, hours=8 + 10 * float(rng.random()))
        number, mods = f"INC{i + 1:05d}", 0

        def update(
            state: str, team: str, person: str, minutes: float, number: str = number
        ) -> None:
            nonlocal t, mods
            t = t + pd.Timedelta(minutes=minutes)
            rows.append((number, state, f"{t:%Y-%m-%d %H:%M}", team, person, mods, "3 - Moderate"))
            mods += 1

        desk = teams["Service Desk"][int(rng.integers(4))]
        update("New", "Service Desk", "", 0)
        delayed = desk_delay_share > 0 and rng.random() < desk_delay_share  # no draw when 0
        delay = 60 * rng.exponential(desk_delay_hours) if delayed else 0
        update("Active", "Service Desk", desk, delay + rng.exponential(20))
        waits = rng.random() < 0.15
        if delayed if together else waits:
            update("Awaiting User Info", "Service Desk", desk, rng.exponential(15))
            update("Active", "Service Desk", desk, rng.exponential(240))
        if rng.random() < 0.4:
            team = "Network" if rng.random() < 0.5 else "Apps"
            person = teams[team][int(rng.integers(3))]
            update("Active", team, person, rng.exponential(30))
            if rng.random() < 0.2:
                update("Active", "Service Desk", desk, rng.exponential(60))
                update("Resolved", "Service Desk", desk, rng.exponential(20))
            else:
                update("Resolved", team, person, rng.exponential(60))
        else:
            update("Resolved", "Service Desk", desk, rng.exponential(25))
        update("Closed", "Service Desk", "", 48 * 60)
    return pd.DataFrame(
        rows,
        columns=[
            "number",
            "incident_state",
            "sys_updated_at",
            "assignment_group",
            "assigned_to",
            "sys_mod_count",
            "priority",
        ],
    ).sort_values("sys_updated_at", kind="stable")


def changed_helpdesk(weeks: int = 6) -> pd.DataFrame:
    """A helpdesk export (`helpdesk_export`) whose process changes after `weeks` weeks: before,
    40 tickets a week and 60% of them wait for the customer first; after, for another `weeks`
    weeks, 80 tickets a week and none waits."""
    before = helpdesk_export(6 * 40 * weeks // 6, weeks, 3, desk_delay_share=0.6, together=True)
    after = helpdesk_export(6 * 80 * weeks // 6, weeks, 4, together=True)
    moved = pd.to_datetime(after["sys_updated_at"]) + pd.Timedelta(days=7 * weeks)
    after = after.assign(
        number="NEW" + after["number"], sys_updated_at=moved.dt.strftime("%Y-%m-%d %H:%M")
    )
    return pd.concat([before, after]).sort_values("sys_updated_at", kind="stable")


def helpdesk_fit(frame: pd.DataFrame, **options: Any) -> dict:
    """The scenario (raw, as `discover` writes it) fitted on every case of a generated
    helpdesk export (`helpdesk_export`), its columns and states proposed from their names;
    `options` are `discover`'s (`start_delays`, `person_shifts`, `fit_window`)."""
    return helpdesk_calibration(frame, **options).scenario


def helpdesk_calibration(frame: pd.DataFrame, **options: Any) -> Calibration:
    """`helpdesk_fit`'s whole `Calibration`: its scenario, notes, warnings and window."""
    from sim.calibration.cases import build_timeline
    from sim.calibration.discovery import discover
    from sim.calibration.mapping import LogMapping
    from sim.calibration.proposal import propose_columns
    from sim.calibration.readers import RawLog, canonical_table

    log = RawLog(frame.astype(str), "row")
    mapping = LogMapping.model_validate(
        {
            "columns": propose_columns(log),
            "states": {"waiting": ["Awaiting User Info"], "resolved": ["Resolved"]},
        }
    )
    timeline = build_timeline(canonical_table(log, mapping, "desk.csv"), mapping.states)
    cut = (timeline.cases["arrival"].max() + pd.Timedelta(days=1)).normalize()
    return discover(timeline, cut, "desk.csv", **options)
