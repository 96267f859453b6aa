"""A team's delay before it takes up a new case (`[[workforce]] start_delay_share`,
`start_delay_hours`): neutral when off, the right size when on, and what `sim calibrate
--start-delays` measures from a log where a team is slow to start."""

from __future__ import annotations

import json

import numpy as np
from calibration_logs import HELPDESK_MAP, helpdesk_export, helpdesk_fit, write_csv
from sim_in_process import sim

from sim.runner import run
from sim.scenario import load_scenario, parse_scenario

SINGLE = {
    "name": "one team",
    "run": {"days": 200, "warmup_days": 10, "hours_per_day": 24.0, "seed": 3},
    "demand": {
        "requests_per_day": 24.0,
        "work_distribution": "exponential",
        "patience_hours": 0.0,
        "request_types": [
            {
                "name": "q",
                "share": 1.0,
                "expected_hours": 8,
                "tasks": [{"skill": "s", "hours": 0.1}],
            }
        ],
    },
    "workforce": [{"skill": "s", "headcount": 4}],
    "policies": {"first_contact_resolution": 1.0},
}


def test_a_share_of_zero_changes_nothing():
    base = load_scenario("scenarios/functional.toml").with_overrides({"run.days": 12})
    off = base.with_overrides({"workforce.0.start_delay_hours": 30.0})  # share stays 0
    a, b = run(base, 5), run(off, 5)
    assert json.dumps(a.kpis, default=str) == json.dumps(b.kpis, default=str)


def test_the_delay_is_waited_by_its_share_of_new_cases():
    """4 people, 1 request an hour of 6 minutes: queueing is negligible (utilisation 2.5%),
    so the mean queue time is the delay's: share x mean = 0.4 x 5 h = 2 h; 40% of customers
    wait."""
    delayed = parse_scenario(
        {
            **SINGLE,
            "workforce": [
                {**SINGLE["workforce"][0], "start_delay_share": 0.4, "start_delay_hours": 5.0}
            ],
        },
        "<test>",
    )
    queued = run(delayed, 11).requests["queue_hours"]
    assert abs(queued.mean() - 2.0) < 0.2, queued.mean()
    assert abs((queued > 0.05).mean() - 0.4) < 0.04
    # Booked as queue time (the time parts still add up: the run checks its books); the
    # same run without the delay hardly queues.
    assert run(parse_scenario(SINGLE, "<test>"), 11).requests["queue_hours"].mean() < 0.05


def test_calibration_measures_a_desk_slow_to_start():
    """A generated helpdesk where 30% of new tickets wait 20 calendar hours before the desk
    takes them up: fitted with `start_delays`, the desk's share and mean come back near them
    (nights the calendar makes are not counted as delay); without it, nothing is fitted."""
    frame = helpdesk_export(tickets=1500, weeks=12, desk_delay_share=0.3, desk_delay_hours=20)
    desk = {}
    for flag in (False, True):
        fitted = helpdesk_fit(frame, start_delays=flag)
        desk[flag] = next(g for g in fitted["workforce"] if g["skill"] == "Service Desk")
    assert "start_delay_share" not in desk[False]
    share, mean = desk[True]["start_delay_share"], desk[True]["start_delay_hours"]
    assert 0.2 < share < 0.45, share
    assert 12 < mean < 30, mean
    assert np.isfinite(share * mean)


def test_the_command_fits_start_delays_unless_told_not_to(tmp_path):
    """`sim calibrate` fits them by default; `--no-start-delays` leaves them out."""
    frame = helpdesk_export(tickets=600, weeks=6, desk_delay_share=0.3, desk_delay_hours=20)
    log = write_csv(frame, tmp_path / "desk.csv")
    mapping = tmp_path / "map.toml"
    mapping.write_text(HELPDESK_MAP)
    for flags, fitted in (([], True), (["--no-start-delays"], False)):
        out = tmp_path / f"{fitted}.toml"
        done = sim("calibrate", log, "--map", mapping, "--holdout", "0", "--out", out, *flags)
        assert done.returncode == 0, done.stderr
        assert ("start_delay_share" in out.read_text()) is fitted
