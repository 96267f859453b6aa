"""People's own hours from a log (`sim calibrate --person-shifts`): each person's working
days and hours become a shift, counted per team (`shift_headcounts`), never named."""

from __future__ import annotations

import pandas as pd
from calibration_logs import helpdesk_export, helpdesk_fit

from sim.calibration.discovery import _person_shifts
from sim.calibration.workweek import WorkWeek
from sim.runner import run
from sim.scenario import parse_scenario


def _week(days: range, start: int, end: int) -> WorkWeek:
    return WorkWeek(tuple(h // 24 in days and start <= h % 24 < end for h in range(168)))


def _events(person: str, team: str, hours: list[int], weeks: int = 3) -> list[dict]:
    """An event at each of `hours` on every weekday of `weeks` weeks from Monday 2024-01-01."""
    return [
        {"resource": person, "team": team, "time": pd.Timestamp("2024-01-01")
         + pd.Timedelta(days=7 * w + d, hours=h)}
        for w in range(weeks) for d in range(5) for h in hours
    ]  # fmt: skip


def test_a_person_s_hours_become_their_own_shift_counted_not_named():
    """Mon-Fri 09-17 opening hours; one person works early (06-10), one the opening hours,
    one is seen too little to tell: one person counted on the early shift, under a name that
    says the hours, not the person."""
    office = _week(range(5), 9, 17)
    active = pd.DataFrame(
        _events("early bird", "desk", [6, 7, 8, 9])
        + _events("nine to five", "desk", [9, 11, 13, 16])
        + _events("rarely seen", "desk", [22], weeks=1)
    )
    primary = pd.Series({"early bird": "desk", "nine to five": "desk", "rarely seen": "desk"})
    workforce = [{"skill": "desk", "headcount": 3}]
    shifts, note = _person_shifts(active, primary, workforce, office, {})
    assert shifts == {"Mon-Fri 06-10": _week(range(5), 6, 10)}
    assert workforce[0]["shift_headcounts"] == {"Mon-Fri 06-10": 1}
    assert "1 people on their own hours" in note
    assert "bird" not in repr(shifts) + repr(workforce) + note


def test_the_scenario_with_people_s_shifts_validates_and_runs():
    raw = helpdesk_fit(helpdesk_export(tickets=600, weeks=8), person_shifts=True)
    counted = {g["skill"]: g.get("shift_headcounts", {}) for g in raw["workforce"]}
    assert any(counted.values()), counted
    for group in raw["workforce"]:
        assert sum(counted[group["skill"]].values()) <= group["headcount"]
    scenario = parse_scenario(raw, "<calibrated>")
    result = run(scenario.with_overrides({"run.days": 14, "run.warmup_days": 0}), 1)
    assert result.kpis["resolved"] > 0
