"""Taking a log apart: the working week, touch times, waits, visits, routes and case ends,
against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from calibration_logs import AUDIT_MAP, audit_log, ticket_log, write_csv

from sim.calibration.cases import MAX_TOUCH_HOURS, build_timeline, is_ping_pong
from sim.calibration.discovery import _censored_mean, _hours_text, _team_shifts
from sim.calibration.mapping import LogMapping, States, load_mapping
from sim.calibration.readers import read_log
from sim.calibration.workweek import WorkWeek, discover_workweek


def office_week() -> WorkWeek:
    """Monday to Friday, 08:00-18:00."""
    return WorkWeek(tuple((h // 24) < 5 and 8 <= h % 24 < 18 for h in range(168)))


def test_working_hours_skip_nights_and_weekends():
    week = office_week()
    assert week.open_hours_per_week == 50
    assert week.describe() == "Monday-Friday 08-18; Saturday-Sunday closed"
    times = pd.to_datetime(
        ["2024-03-08 17:00", "2024-03-11 09:00", "2024-03-04 07:30", "2024-03-04 08:45"]
    )
    clock = week.working_hours(times)
    # Friday 17:00 to Monday 09:00: one hour on Friday, one on Monday.
    assert clock[1] - clock[0] == pytest.approx(2.0)
    # Before opening counts nothing; 08:00-08:45 counts 0.75 h.
    assert clock[3] - clock[2] == pytest.approx(0.75)
    # A whole week is 50 open hours, whatever the starting point.
    later = week.working_hours(times + pd.Timedelta(days=7))
    assert np.allclose(later - clock, 50.0)


def test_the_week_is_read_from_when_people_work():
    rng = np.random.default_rng(1)
    days = pd.date_range("2024-03-04", periods=28, freq="D")
    times = [
        day + pd.Timedelta(hours=float(h))
        for day in days
        if day.day_of_week < 5
        for h in rng.uniform(8, 18, size=40)
    ]
    times += [pd.Timestamp("2024-03-09 22:30")]  # one Saturday-night update opens nothing
    week = discover_workweek(pd.Series(times))
    assert week.describe() == "Monday-Friday 08-18; Saturday-Sunday closed"
    assert discover_workweek(pd.Series(times[:100])) == WorkWeek.around_the_clock()


def test_recorded_start_and_complete_give_touch_times_and_routes(tmp_path):
    table = read_log(write_csv(ticket_log(), tmp_path / "log.csv"), LogMapping())
    timeline = build_timeline(table, States())
    assert timeline.observed_starts
    touch = timeline.events.set_index(["case", "activity"])["touch_hours"]
    assert touch[("T1", "Log call")] == pytest.approx(20 / 60)
    assert touch[("T2", "Fix")] == pytest.approx(1.0)
    assert touch[("T3", "Diagnose")] == pytest.approx(0.75)
    cases = timeline.cases.set_index("case")
    assert cases.loc["T3", "route"] == ("Desk", "Network", "Desk")
    assert cases.loc["T3", "transfers"] == 2
    assert cases.loc["T3", "ping_pong"]
    assert not cases.loc["T2", "ping_pong"]
    # Arrival is the first start; the case ends with its last event.
    assert cases.loc["T2", "arrival"] == pd.Timestamp("2024-03-04 09:30")
    assert cases.loc["T2", "elapsed_hours"] == pytest.approx(2.5)
    # Visits add up to the elapsed time; a handoff's wait belongs to the receiving team.
    visits = timeline.visits[timeline.visits["case"] == "T2"]
    assert visits["hours"].tolist() == pytest.approx([10 / 60, 2 + 20 / 60])
    per_case = timeline.visits.groupby("case")["hours"].sum()
    assert np.allclose(per_case[cases.index], cases["elapsed_hours"])


def test_estimated_touch_time_follows_when_each_person_was_free():
    """Complete-only events: the work behind an event began when both the case (its previous
    event) and the person (their own previous event) were free, capped; arrivals carry none."""
    rows = [
        ("A", "open", "2024-03-04 10:00", "Desk", "ann"),
        ("A", "work", "2024-03-04 10:30", "Desk", "ann"),
        ("B", "open", "2024-03-04 11:00", "Net", "cat"),
        ("B", "work", "2024-03-04 11:50", "Net", "cat"),
        ("A", "work", "2024-03-04 12:00", "Net", "cat"),
        ("C", "open", "2024-03-04 08:00", "Desk", "bob"),
        ("C", "work", "2024-03-04 16:00", "Desk", "bob"),
    ]
    table = pd.DataFrame(rows, columns=["case", "activity", "time", "team", "resource"])
    table["time"] = pd.to_datetime(table["time"]).astype("datetime64[us]")
    table["start"] = pd.NaT
    table["start"] = table["start"].astype("datetime64[us]")
    table["lifecycle"] = pd.NA
    table["order"] = 0.0
    table["priority"] = pd.NA
    table["row"] = range(1, len(rows) + 1)
    timeline = build_timeline(table, States(), WorkWeek.around_the_clock())
    touch = timeline.events.groupby("case")["touch_hours"].apply(list).to_dict()
    # A: arrival 0; ann free since 10:00 -> 0.5 h; then cat was busy on B until 11:50 -> 10 min.
    assert touch["A"] == pytest.approx([0.0, 0.5, 10 / 60])
    assert touch["B"] == pytest.approx([0.0, 50 / 60])
    assert touch["C"] == pytest.approx([0.0, MAX_TOUCH_HOURS])  # 8 h capped
    assert not timeline.observed_starts


def test_an_audit_log_gives_waits_reopens_ends_and_cancellations(tmp_path):
    (tmp_path / "map.toml").write_text(AUDIT_MAP, encoding="utf-8")
    mapping = load_mapping(tmp_path / "map.toml")
    table = read_log(write_csv(audit_log(), tmp_path / "audit.csv"), mapping)
    timeline = build_timeline(table, mapping.states, WorkWeek.around_the_clock())
    cases = timeline.cases.set_index("case")
    # I1: resolved at 13:30 (the automatic closure five days later does not count).
    assert cases.loc["I1", "end"] == pd.Timestamp("2024-03-04 13:30")
    assert cases.loc["I1", "elapsed_hours"] == pytest.approx(4.5)
    assert cases.loc["I1", "wait_hours"] == pytest.approx(3.0)
    assert cases.loc["I1", "waits"] == 1
    assert cases.loc["I1", "reopens"] == 0
    # I2: resolved, reopened the next morning, resolved again at 09:20 (the last run).
    assert cases.loc["I2", "reopens"] == 1
    assert cases.loc["I2", "end"] == pd.Timestamp("2024-03-05 09:20")
    assert cases.loc["I2", "route"] == ("Desk", "Network", "Desk")
    assert cases["resolved"][["I1", "I2"]].all()
    # I3 never resolved; its last state is a cancellation.
    assert cases.loc["I3", "cancelled"]
    assert not cases.loc["I3", "resolved"]
    # The customer's time is not work: the update ending the wait carries no touch time.
    i1 = timeline.events[timeline.events["case"] == "I1"]
    assert i1["touch_hours"].tolist() == pytest.approx([0.0, 0.5, 0.5, 0.0, 0.5])


def test_ping_pong_is_a_return_one_step_later():
    assert is_ping_pong(("a", "b", "a"))
    assert not is_ping_pong(("a", "b", "c", "a"))
    assert not is_ping_pong(("a",))


def test_a_team_regularly_present_at_night_gets_its_own_shift():
    """Office hours Monday to Friday 09-17; the night desk also works Monday 02:00-03:00
    every week, the back office once only: only the night desk gets a shift."""
    office = WorkWeek(tuple(d < 5 and 9 <= h < 17 for d in range(7) for h in range(24)))
    monday = pd.Timestamp("2024-01-01")
    rows = [("desk", monday + pd.Timedelta(weeks=w, hours=2.5)) for w in range(4)]
    rows += [("back", monday + pd.Timedelta(weeks=1, hours=3.5))]
    rows += [
        (t, monday + pd.Timedelta(weeks=w, hours=10)) for t in ("desk", "back") for w in range(4)
    ]
    events = pd.DataFrame(rows, columns=["team", "time"]).assign(resource="someone")
    workforce = [{"skill": "desk", "headcount": 2}, {"skill": "back", "headcount": 3}]
    shifts, note = _team_shifts(events, workforce, office, weeks=4.0)
    assert set(shifts) == {"desk"} and "1 of 2 teams" in note
    assert workforce[0]["shift"] == "desk" and "shift" not in workforce[1]
    assert _hours_text(shifts["desk"])["mon"] == "02:00-03:00, 09:00-17:00"
    assert _hours_text(office)["sun"] == "closed"


def test_a_morning_s_first_hour_knows_when_the_night_began():
    """Monday-Friday 07-19: work starting Tuesday 07:20 may have waited since Monday 19:00,
    Monday 07:05 since Friday 19:00; later in the morning, or at night, nothing is unsure."""
    flags = [False] * 168
    for day in range(5):
        for hour in range(7, 19):
            flags[24 * day + hour] = True
    week = WorkWeek(tuple(flags))
    times = pd.to_datetime(
        ["2024-01-02 07:20", "2024-01-02 08:20", "2024-01-01 07:05", "2024-01-02 03:00"]
    )
    closing = week.last_closing(times.to_numpy())
    assert list(pd.to_datetime(closing)[[0, 2]]) == [
        pd.Timestamp("2024-01-01 19:00"),
        pd.Timestamp("2023-12-29 19:00"),
    ]
    assert pd.isna(closing[1]) and pd.isna(closing[3])
    assert pd.isna(WorkWeek.around_the_clock().last_closing(times.to_numpy())).all()


def test_interval_censored_waits_give_the_exponential_s_mean():
    """Waits of mean 20 h, those between 10 and 30 h known only to lie there: the mean comes
    back (read at the interval's end it would be far too high)."""
    waits = np.random.default_rng(1).exponential(20.0, 20_000)
    unsure = (waits > 10) & (waits < 30)
    low, high = np.where(unsure, 10.0, waits), np.where(unsure, 30.0, waits)
    assert _censored_mean(low, high) == pytest.approx(20.0, rel=0.03)
    assert high.mean() > 23
    assert _censored_mean(waits, waits) == pytest.approx(waits.mean())
