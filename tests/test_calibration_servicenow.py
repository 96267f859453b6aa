"""A real audit log (an excerpt of the ServiceNow incident log, CC BY 4.0; see
tests/data/calibration/README.md) goes through the whole calibration."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.calibration.mapping import load_mapping
from sim.calibration.pipeline import calibrate

ROOT = Path(__file__).parents[1]
LOG = ROOT / "tests" / "data" / "calibration" / "servicenow-excerpt.csv.gz"
MAP = ROOT / "experiments" / "calibration" / "servicenow-map.toml"


def test_the_servicenow_excerpt_calibrates_and_is_tested_on_later_cases():
    result = calibrate(LOG, load_mapping(MAP), holdout=0.2, reps=1)
    cases = result.timeline.cases
    assert len(cases) == 514  # 520 incidents, 6 never assigned to a team
    assert cases["resolved"].mean() > 0.99
    # The audit log's own facts: about one transfer in two cases, some ping-pong.
    assert 0.5 < cases["transfers"].mean() < 1.2
    assert 0.03 < cases["ping_pong"].mean() < 0.15
    # The process changed over the log (elapsed times fell): the warning says which window;
    # the arrivals did not drift, so their rate is measured on every whole week.
    (warning,) = result.calibration.warnings
    assert "not stationary" in warning
    assert "fitted on the last 3 weeks before the test window, 2016-04-07 to 2016-04-28" in warning
    assert "arrival rates on 8 weeks, 2016-03-03 to 2016-04-28 (no drift)" in warning
    s = result.scenario
    assert s.run.hours_per_day == 24
    # The working calendar: the log's working week, teams with their own regular hours.
    assert s.calendar is not None and s.calendar.opening_hours["mon"] != "closed"
    assert len(s.calendar.arrival_profile) == 168 and max(s.calendar.arrival_profile) == 1
    shifts = {g.shift for g in s.workforce if g.shift}
    assert shifts == set(s.calendar.shifts) <= {g.skill for g in s.workforce}
    assert all(t.expected_hours > 0 for t in s.demand.request_types)
    assert 0.5 < s.policies.first_contact_resolution < 1.0  # waits for the customer
    fidelity = result.fidelity
    assert fidelity is not None
    stats = fidelity.statistics
    assert stats["cases_per_week"]["log"] == pytest.approx(48.1, abs=0.1)
    assert stats["cases_per_week"]["model"] == pytest.approx(48.1, rel=0.25)
    assert fidelity.distances["ngram_2"]["baseline"] == pytest.approx(1.0)
