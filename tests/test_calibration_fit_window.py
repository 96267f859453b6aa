"""Which stretch of the log a calibration is fitted on (`--fit-window`): when the process
changed, "auto" fits on the weeks since the change and recovers the new process's numbers."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from calibration_logs import (
    HELPDESK_MAP,
    changed_helpdesk,
    helpdesk_calibration,
    helpdesk_export,
    write_csv,
)
from sim_in_process import sim

NEW_PER_DAY = 80 / 7
"""The changed helpdesk's arrivals after the change (before it: 40 a week)."""


@pytest.fixture(scope="module")
def changed():
    return changed_helpdesk()


def test_auto_fits_on_the_weeks_since_the_log_changed(changed):
    calibration = helpdesk_calibration(changed, fit_window="auto")
    start, cut = calibration.window
    # The change came 6 weeks before the end: the fit starts there, give or take a week.
    assert 5 * 7 <= (cut - start).days <= 6 * 7
    (warning,) = calibration.warnings
    assert "not stationary" in warning and "since the process last changed" in warning
    # The arrivals changed at the same time: their rate is measured on the same weeks.
    assert calibration.arrivals_start == start
    scenario = calibration.scenario
    # The new process: twice the arrivals, nobody waits for the customer.
    assert scenario["demand"]["requests_per_day"] == pytest.approx(NEW_PER_DAY, rel=0.12)
    assert scenario["policies"]["first_contact_resolution"] > 0.97
    assert "since the process last changed" in calibration.header[1]


def test_all_fits_on_the_whole_drifting_log(changed):
    calibration = helpdesk_calibration(changed, fit_window="all")
    start, cut = calibration.window
    assert (cut - start).days == 12 * 7 - 7  # whole weeks: the first, partial one is left out
    scenario = calibration.scenario
    # A mixture of the two processes, which neither of them is.
    assert scenario["demand"]["requests_per_day"] < 0.85 * NEW_PER_DAY
    assert scenario["policies"]["first_contact_resolution"] < 0.92
    (warning,) = calibration.warnings
    assert "fitted on 11 weeks" in warning


def test_a_stationary_log_is_fitted_on_every_whole_week():
    calibration = helpdesk_calibration(helpdesk_export(tickets=480, weeks=8), fit_window="auto")
    assert calibration.warnings == []
    start, cut = calibration.window
    assert (cut - start).days == 7 * 7


def test_a_number_of_days_fits_on_the_latest_ones(changed):
    calibration = helpdesk_calibration(changed, fit_window=10)
    start, cut = calibration.window
    assert (cut - start).days == 10
    assert calibration.fitted_cases == pytest.approx(10 * NEW_PER_DAY, rel=0.3)
    assert "the last 10 days before the test window (chosen)" in calibration.window_note
    # More days than the log holds: from its first day.
    whole = helpdesk_calibration(changed, fit_window=1000)
    assert whole.window[0] == pd.to_datetime(changed["sys_updated_at"]).min().normalize()
    # Any number of days: more than a timedelta holds (the dashboard's field takes any).
    assert helpdesk_calibration(changed, fit_window=10**9).window == whole.window


def test_the_command_reports_the_window_and_refuses_a_wrong_one(changed, tmp_path):
    log = write_csv(changed, tmp_path / "desk.csv")
    mapping = tmp_path / "map.toml"
    mapping.write_text(HELPDESK_MAP)
    out = sim(
        "calibrate", log, "--map", mapping, "--holdout", "0", "--json",
        "--out", tmp_path / "a.toml",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    window = json.loads(out.stdout)["fit_window"]
    assert 35 <= window["days"] <= 42 and "since the process last changed" in window["how"]
    assert window["arrivals_from"] == window["from"]
    assert window["cases"] == pytest.approx(window["days"] * NEW_PER_DAY, rel=0.15)
    assert "since the process last changed" in (tmp_path / "a.toml").read_text()
    bad = sim("calibrate", log, "--map", mapping, "--fit-window", "recent", "--out", tmp_path / "b")
    assert bad.returncode != 0
    assert bad.stderr.strip() == (
        "sim calibrate: --fit-window: 'recent' is not a window "
        "(allowed: auto, all, or a whole number of days >= 1)"
    )


def test_steady_arrivals_are_measured_on_every_week_while_the_process_changed():
    # The changed helpdesk's second half with the first half's arrivals: 40 tickets a week
    # throughout, the customer waits only before the change.
    before = helpdesk_export(240, 6, 3, desk_delay_share=0.6, together=True)
    after = changed_helpdesk()
    after = after[after["number"].str.startswith("NEW")]
    keep = after["number"].drop_duplicates().sample(frac=0.5, random_state=1)
    frame = pd.concat([before, after[after["number"].isin(keep)]])
    calibration = helpdesk_calibration(frame, fit_window="auto")
    start, cut = calibration.window
    assert (cut - start).days <= 6 * 7  # the process: since the change
    assert (cut - calibration.arrivals_start).days == 11 * 7  # the arrivals: every whole week
    assert calibration.scenario["demand"]["requests_per_day"] == pytest.approx(40 / 7, rel=0.12)
    assert calibration.scenario["policies"]["first_contact_resolution"] > 0.97


def test_the_command_and_the_page_share_the_options_range_and_messages():
    """`sim calibrate`'s flags and the dashboard's fit options read the same values the same
    way (`sim.calibration.options`): the command names the flag, the page the control."""
    from sim.calibration.options import (
        FitOptions,
        fit_window_choice,
        fit_window_problem,
        holdout_choice,
        holdout_problem,
    )

    assert [fit_window_choice(t) for t in ("auto", "all", "60", " 7 ")] == ["auto", "all", 60, 7]
    for text in ("0", "-3", "1.5", "²", "recent", ""):  # "²" is a digit int() cannot read
        assert fit_window_choice(text) is None
        assert fit_window_problem(text) == (
            f"{text!r} is not a window (allowed: auto, all, or a whole number of days >= 1)"
        )
    assert [holdout_choice(x) for x in (0, 0.9, "0.25", " 0 ")] == [0, 0.9, 0.25, 0]
    assert [holdout_choice(x) for x in (-0.1, 0.95, float("nan"), "inf", "20%")] == [None] * 5
    assert holdout_problem(0.95) == "0.95 is out of range (allowed: 0 to 0.9)"
    assert holdout_problem("20%") == "'20%' is not a number (allowed: 0 to 0.9)"
    options = FitOptions(0.95, False, True, "recent")
    assert options.problems() == [
        "--holdout: 0.95 is out of range (allowed: 0 to 0.9)",
        "--fit-window: 'recent' is not a window (allowed: auto, all, or a whole number of days "
        ">= 1)",
    ]
    assert FitOptions(0.1, False, True, 30).flags() == (
        "--holdout 0.1 --no-start-delays --person-shifts --fit-window 30"
    )
