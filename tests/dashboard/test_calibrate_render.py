"""The calibration page rendered without a browser (`solara.render`): the upload, the proposed
mapping, a map file, and the hand-over to the comparison. The calibration itself, the
downloads and Cancel are in test_calibrate_e2e.py (a real browser and process pool)."""

from __future__ import annotations

import gzip

import ipyvuetify as v
import pytest
import solara
from calibration_logs import helpdesk_export, ticket_log
from conftest import all_widgets, feed_upload, texts, wait_until

from sim.calibration import LogError, LogMapping
from sim.calibration.readers import raw_log
from sim.dashboard.calibrate.page import LogFileInput, MapFileInput, Page, to_be_of
from sim.dashboard.calibrate.work import fit_log
from sim.dashboard.compare.page import Page as ComparePage
from sim.dashboard.handoff import Handed, to_compare
from sim.scenario import load_scenario


def _selected(box, label: str):
    found = [x for x in all_widgets(box) if isinstance(x, v.Select) and x.label == label]
    return found[0].v_model if len(found) == 1 else None


@pytest.fixture
def calibrate_page():
    box, rc = solara.render(Page(), handle_error=False)
    yield box
    rc.close()


def test_an_upload_proposes_a_mapping_and_a_map_file_corrects_it(calibrate_page, monkeypatch):
    box = calibrate_page
    data = gzip.compress(helpdesk_export().to_csv(index=False).encode())
    feed_upload(box, monkeypatch, LogFileInput, "helpdesk.csv.gz", data)
    wait_until(lambda: "1,718 rows, 7 columns" in texts(box), 30, "the upload")
    proposed = {
        "Case (ticket) id": "number",
        "Time (end of the work)": "sys_updated_at",
        "Start time of the work": "(none)",
    }
    wait_until(lambda: all(_selected(box, k) == v for k, v in proposed.items()), 10, "the mapping")

    bad = b'[columns]\nteam = "queue"\n'
    feed_upload(box, monkeypatch, MapFileInput, "map.toml", bad)
    problem = "map.toml: column 'queue' is not in the export"
    wait_until(lambda: problem in texts(box), 10, "the map's problem")
    assert "This map file cannot be used" in texts(box)

    good = (
        b'[columns]\ncase = "number"\nactivity = "incident_state"\ntimestamp = "sys_updated_at"'
        b'\nteam = "assignment_group"\nresource = "assigned_to"\npriority = "priority"\n'
        b'[states]\nresolved = ["Resolved", "Closed"]\n'
    )
    feed_upload(box, monkeypatch, MapFileInput, "map.toml", good)
    wait_until(
        lambda: (
            _selected(box, "Order of updates in one minute") == "(none)"
            and "This map file cannot be used" not in texts(box)
        ),
        10,
        "the map file's mapping, without the earlier problem",
    )


def test_a_broken_upload_is_one_line(calibrate_page, monkeypatch):
    box = calibrate_page
    feed_upload(box, monkeypatch, LogFileInput, "log.xes", b"<log><trace><event>")
    wait_until(lambda: "This export cannot be used" in texts(box), 10, "the problem")
    assert "log.xes: not a readable XES file" in texts(box)
    assert "Traceback" not in texts(box)


def test_the_page_names_its_dropdowns_where_the_command_names_flags():
    """The readers' messages have one source; the command line's name the flag (tested in
    test_calibration_readers.py), the page's name the dropdown to choose another column in."""
    frame = ticket_log()
    frame["org:group"] = ""
    frame["org:resource"] = ""
    log = raw_log(frame.to_csv(index=False).encode(), "log.csv", "log.csv")
    with pytest.raises(LogError) as error:
        fit_log(log, LogMapping(), "log.csv")
    assert error.value.problems == [
        "log.csv: column 'org:group': empty on every row (allowed: the team holding the case; "
        "choose another column with the 'Team (assignment group)' dropdown)",
        "log.csv: column 'org:resource': empty on every row (allowed: the person; headcount is "
        "counted from it; choose another column with the 'Person (only counted)' dropdown)",
    ]
    frame = ticket_log().drop(columns=["org:group"])
    log = raw_log(frame.to_csv(index=False).encode(), "log.csv", "log.csv")
    with pytest.raises(LogError) as error:
        fit_log(log, LogMapping(), "log.csv")
    assert "choose the column with the 'Team (assignment group)' dropdown;" in str(error.value)
    assert "--" not in str(error.value)


def test_the_comparison_starts_from_the_handed_scenarios():
    as_is = load_scenario("tests/data/calibration/roundtrip.toml")
    to_be = to_be_of(as_is, 2)
    assert to_be.structure.kind == "cross_functional" and to_be.headcount == as_is.headcount
    to_compare.set(Handed((as_is, to_be), ("calibrated from log.csv", "the same people")))
    box, rc = solara.render(ComparePage(), handle_error=False)
    text = texts(box)
    assert f"Baseline: {as_is.name}" in text and "(calibrated from log.csv)" in text
    assert "Scenario 2: To be: 2 cross-functional teams (the same people)" in text
    assert to_compare.value is None  # taken once
    rc.close()
