"""The working calendar: opening hours, holidays, shifts and arrivals by hour of the week.

Elapsed times are checked against hand-computed ones: requests are placed at exact times on a
calendar whose first day (model time 0) is Monday 1 January 2024, with one hour of work each
and every mechanism neutral, so the only thing between the customer and the answer is the
calendar.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sim_in_process import sim

from sim.calendar import Timeline, Week, arrival_weights, parse_hours
from sim.model import OrgModel
from sim.runner import RunResult, run, summarise
from sim.scenario import NEUTRAL, ScenarioError, parse_scenario

MONDAY, TUESDAY, FRIDAY, SATURDAY = 0.0, 24.0, 96.0, 120.0
"""Model hours of midnight on those days of the first week."""


def scenario_raw(calendar: dict[str, Any] | None = None, **workforce: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": "calendar",
        "run": {"days": 14, "warmup_days": 0, "hours_per_day": 24},
        "demand": {
            "requests_per_day": 1e-9,  # arrivals are placed by hand
            "work_distribution": "deterministic",
            "callback_delay_hours": 0,
            "request_types": [
                {
                    "name": "q",
                    "share": 1,
                    "expected_hours": 8,
                    "tasks": [{"skill": "a", "hours": 1}],
                }
            ],
        },
        "workforce": [{"skill": "a", "headcount": 1, "baseline_engagement": 1.0, **workforce}],
        "policies": NEUTRAL["policies"],
        "people": NEUTRAL["people"],
        "managers": NEUTRAL["managers"],
    }
    if calendar is not None:
        raw["calendar"] = calendar
    return raw


def arrivals_at(times: list[float], calendar: dict[str, Any] | None = None, **kw: Any) -> RunResult:
    """A run whose only customers arrive at `times` (model hours); `calendar` None: none."""
    model = OrgModel(parse_scenario(scenario_raw(calendar, **kw)))
    for t in times:
        model.agenda.at(t, model.arrive)
    model.simulate()
    return summarise(model)


def test_hour_ranges_are_read_as_written():
    assert parse_hours("09:00-17:00") == ((9.0, 17.0),)
    assert parse_hours("8-12, 13:30-17") == ((8.0, 12.0), (13.5, 17.0))
    assert parse_hours("22:00-06:00") == ((22.0, 30.0),)  # past midnight
    assert parse_hours("0-24") == ((0.0, 24.0),)
    assert parse_hours("closed") == () == parse_hours("")
    for bad in ("9 to 5", "25:00-26:00", "09:00-12:00, 11:00-13:00", "10:61-12:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)


def test_a_timeline_measures_hours_on_duty():
    office = Week.from_text(dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-17:00"))
    assert office.hours == 40
    # Two weeks from a Monday, Wednesday of the first week a holiday.
    line = Timeline(office, first_weekday=0, holidays=[2], until=14 * 24)
    assert len(line.intervals) == 9
    assert line.hours_between(0, 7 * 24) == 32
    assert line.hours_between(FRIDAY + 17, 7 * 24 + 10) == 1  # Friday 17:00 to Monday 10:00
    assert line.is_on(TUESDAY + 9) and not line.is_on(TUESDAY + 17) and not line.is_on(48 + 12)
    # Around the clock: one interval, no change at midnight.
    always = Timeline(
        Week.from_text({d: "0-24" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}),
        0,
        [],
        100,
    )
    assert always.intervals == [(0.0, 100.0)]
    # A night shift runs into the next day; starting on a Saturday moves the week.
    nights = Timeline(
        Week.from_text({"fri": "22:00-06:00"}), first_weekday=5, holidays=[], until=240
    )
    assert nights.intervals == [(6 * 24 + 22, 7 * 24 + 6)]  # day 6 is Friday


def test_friday_evening_waits_for_monday():
    """Office hours 9-17 Mon-Fri: a request arriving Friday 17:00 with 1 h of work is resolved
    on Monday at 10:00, 65 calendar hours later, after 1 working hour."""
    result = arrivals_at([FRIDAY + 17], {})
    (row,) = result.requests.itertuples()
    assert row.closed == pytest.approx(7 * 24 + 10)
    assert row.elapsed_hours == pytest.approx(65.0)
    assert row.resolution_hours == pytest.approx(1.0)
    assert row.queue_hours == pytest.approx(64.0) and row.work_hours == pytest.approx(1.0)
    k = result.kpis
    assert k["elapsed_hours_mean"] == k["elapsed_hours_p50"] == pytest.approx(65.0)
    assert k["elapsed_hours_p90"] == pytest.approx(65.0)
    assert k["resolution_hours_mean"] == pytest.approx(1.0)


def test_the_customer_clock_scores_elapsed_hours_when_asked():
    """`satisfaction.customer_clock`: the Friday-evening customer (1 working hour, 65 elapsed,
    8 expected) is pleased in working hours and scored as 3 expected times late in elapsed
    hours: 0.5 x 7/8 + 1 x 3 = 3.4375 apart (same customer, same noise). Without a calendar the
    two clocks are one."""

    def csat(clock: str, calendar: dict[str, Any] | None) -> float:
        raw = scenario_raw(calendar)
        raw["satisfaction"] = {"customer_clock": clock, "noise_sd": 0.0, "warmth_weight": 0.0}
        model = OrgModel(parse_scenario(raw))
        model.agenda.at(FRIDAY + 17, model.arrive)
        model.simulate()
        (score,) = summarise(model).requests["csat"]
        return float(score)

    working, elapsed = csat("working_hours", {}), csat("elapsed_hours", {})
    assert working == pytest.approx(4.0 + 0.5 * 7 / 8)
    assert elapsed == pytest.approx(4.0 - 3.0)
    assert csat("elapsed_hours", None) == csat("working_hours", None)


def test_a_task_started_before_closing_is_finished():
    """Friday 16:30: the person finishes the task at 17:30 rather than leaving it overnight."""
    result = arrivals_at([FRIDAY + 16.5], {})
    assert result.requests["elapsed_hours"].iloc[0] == pytest.approx(1.0)
    assert result.requests["resolution_hours"].iloc[0] == pytest.approx(0.5)  # open till 17:00


def test_holidays_and_queues():
    """Monday 8 January is a holiday: two requests from Saturday are resolved on Tuesday at
    10:00 and 11:00 (one person, first come first served): 58 and 59 hours after arrival."""
    result = arrivals_at([SATURDAY + 12, SATURDAY + 13], {"holidays": ["2024-01-08"]})
    elapsed = sorted(result.requests["elapsed_hours"])
    assert elapsed == pytest.approx(
        [(8 * 24 + 10) - (SATURDAY + 12), (8 * 24 + 11) - (SATURDAY + 13)]
    )
    assert elapsed == pytest.approx([70.0, 70.0])


def test_a_shift_other_than_the_opening_hours():
    """A person on a 12:00-20:00 shift answers the Friday 17:00 request at once; on a
    Saturday-only shift, on Saturday at 08:00 (15 h later)."""
    calendar = {"shifts": {"late": {d: "12:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri")}}}
    late = arrivals_at([FRIDAY + 17], calendar, shift="late")
    assert late.requests["elapsed_hours"].iloc[0] == pytest.approx(1.0)
    weekend = arrivals_at([FRIDAY + 17], {"shifts": {"sat": {"sat": "08:00-12:00"}}}, shift="sat")
    assert weekend.requests["elapsed_hours"].iloc[0] == pytest.approx(16.0)
    # Working hours are the organisation's opening hours, whoever works: Fri 17:00 to Sat 09:00.
    assert weekend.requests["resolution_hours"].iloc[0] == pytest.approx(0.0)


def test_a_person_s_own_shift_within_a_group():
    """Two people, one of them on a 12:00-20:00 shift (`shift_headcounts`), the other on the
    opening hours 09-17: the Friday 17:00 request is answered at once, the Friday 20:00 one on
    Monday at 09:00 (61 h later); on duty, the late person counts 40 h a week, as the other."""
    late = {"late": {d: "12:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri")}}
    result = arrivals_at(
        [FRIDAY + 17, FRIDAY + 20], {"shifts": late}, headcount=2, shift_headcounts={"late": 1}
    )
    assert result.requests["elapsed_hours"].tolist() == pytest.approx([1.0, 62.0])
    # Neutral: no counts, everyone on the group's shift (the opening hours): both wait.
    alike = arrivals_at([FRIDAY + 17, FRIDAY + 20], {"shifts": late}, headcount=2)
    assert alike.requests["elapsed_hours"].tolist() == pytest.approx([65.0, 62.0])
    everyone = arrivals_at(
        [FRIDAY + 17], {"shifts": late}, headcount=2, shift="late", shift_headcounts={"late": 2}
    )
    assert everyone.requests["elapsed_hours"].tolist() == pytest.approx([1.0])


def test_off_duty_people_are_not_dispatched_and_utilisation_counts_duty_hours():
    """One person, 40 h a week, 30 requests of 1 h a week arriving around the clock: they are
    all answered during the opening hours, and the utilisation is busy hours over the 40."""
    raw = scenario_raw({})
    raw["run"] |= {"days": 56, "warmup_days": 7}
    raw["demand"]["requests_per_day"] = 30 / 7
    raw["demand"]["work_distribution"] = "exponential"
    result = run(parse_scenario(raw), seed=5, events=True)
    events = result.events
    starts = pd.to_datetime(events["start_time"])
    assert (starts.dt.day_of_week < 5).all()
    assert ((starts.dt.hour >= 9) & (starts.dt.hour < 17)).all()
    assert result.kpis["utilisation"] == pytest.approx(30 / 40, rel=0.15)
    assert result.kpis["elapsed_hours_mean"] > 3 * result.kpis["resolution_hours_mean"] > 0


def test_arrivals_follow_the_hour_of_week_profile():
    """All the weight on Wednesday 10:00-11:00: every customer arrives then, as many per week
    as `requests_per_day` x 7. The start on a Thursday turns the profile with the clock."""
    profile = [0.0] * 168
    profile[2 * 24 + 10] = 1.0
    raw = scenario_raw({"arrival_profile": profile, "start": "2024-01-04"})
    raw["run"] |= {"days": 70}
    raw["demand"]["requests_per_day"] = 2.0
    result = run(parse_scenario(raw), seed=2, events=True)
    arrived = pd.Timestamp("2024-01-04") + pd.to_timedelta(result.requests["arrived"], unit="h")
    assert (arrived.dt.day_of_week == 2).all() and (arrived.dt.hour == 10).all()
    assert len(arrived) == pytest.approx(140, abs=4 * math.sqrt(140))
    assert pd.to_datetime(result.events["start_time"]).min() >= pd.Timestamp("2024-01-10")
    assert arrival_weights([1.0] * 168, 3) == [1.0] * 168


def test_without_a_calendar_nothing_changes_in_the_output():
    result = arrivals_at([], calendar=None)
    assert "elapsed_hours_mean" not in result.kpis


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"run": {"days": 14, "warmup_days": 0, "hours_per_day": 8}}, "run.hours_per_day"),
        ({"calendar": {"opening_hours": {"mon": "9 to 5"}}}, "calendar.opening_hours.mon"),
        ({"calendar": {"opening_hours": {"sun": "closed"}}}, "calendar.opening_hours"),
        ({"calendar": {"arrival_profile": [1.0] * 24}}, "calendar.arrival_profile"),
        (
            {"calendar": {}, "workforce": [{"skill": "a", "headcount": 1, "shift": "x"}]},
            "workforce.0.shift",
        ),
        ({"workforce": [{"skill": "a", "headcount": 1, "shift": "x"}]}, "workforce.0.shift"),
        (
            {
                "calendar": {},
                "workforce": [{"skill": "a", "headcount": 1, "shift_headcounts": {"x": 1}}],
            },
            "workforce.0.shift_headcounts.x",
        ),
        (
            {
                "calendar": {"shifts": {"x": {"mon": "09:00-12:00"}}},
                "workforce": [{"skill": "a", "headcount": 1, "shift_headcounts": {"x": 2}}],
            },
            "workforce.0.shift_headcounts: counts 2 people (allowed: up to the group's "
            "headcount, 1)",
        ),
        (
            {"workforce": [{"skill": "a", "headcount": 1, "shift_headcounts": {"x": 1}}]},
            "workforce.0.shift_headcounts",
        ),
        ({"calendar": {"opening_hours": {"someday": "9-17"}}}, "calendar.opening_hours.someday"),
    ],
)
def test_a_bad_calendar_names_the_key(change: dict[str, Any], path: str):
    raw = scenario_raw({})
    if "workforce" in change and "calendar" not in change:
        del raw["calendar"]
    raw |= change
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(raw, source="bad.toml")
    assert any(path in line for line in caught.value.problems), caught.value.problems


def test_the_command_line_reports_elapsed_hours_and_names_a_bad_calendar(tmp_path: Path):
    office = tmp_path / "office.toml"
    office.write_text(
        CALENDAR_FILE
        + "[calendar]\nholidays = [2024-01-15]\n[calendar.shifts.late]\n"
        + "".join(f'{day} = "12:00-20:00"\n' for day in ("mon", "tue", "wed", "thu", "fri")),
        encoding="utf-8",
    )
    out = sim("run", str(office), "--json")
    assert out.returncode == 0, out.stderr
    kpis = json.loads(out.stdout)
    assert kpis["elapsed_hours_p90"] > kpis["resolution_hours_p90"] > 0
    table = sim("compare", str(office), str(office), "--set", "workforce.0.shift=late")
    assert table.returncode == 0 and "warning" not in table.stderr, table.stderr
    assert "Elapsed time, p90 (calendar hours)" in table.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(CALENDAR_FILE + '[calendar]\nopening_hours = { mon = "9 to 5" }\n', "utf-8")
    out = sim("validate", str(bad))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"{bad}: calendar.opening_hours.mon: '9 to 5' is not an hour range" in out.stderr


CALENDAR_FILE = """\
name = "office"
[run]
days = 21
warmup_days = 2
hours_per_day = 24
[demand]
requests_per_day = 10
[[demand.request_types]]
name = "q"
share = 1
expected_hours = 4
tasks = [{ skill = "a", hours = 1 }]
[[workforce]]
skill = "a"
headcount = 4
"""
