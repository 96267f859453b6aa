"""The calibration page rendered without a browser (`solara.render`): the upload, the proposed
mapping, a map file, the fit options (`sim calibrate`'s), and the hand-over to the comparison.
A calibration with a hold-out of 0 (discovery only) runs here; the fidelity check, the
downloads and Cancel are in test_calibrate_e2e.py (a real browser and process pool)."""

from __future__ import annotations

import gzip
import inspect

import ipyvuetify as v
import pytest
import solara
from calibration_logs import helpdesk_export, ticket_log
from conftest import all_widgets, button, feed_upload, texts, wait_until
from solara.components.file_download import FileDownloadWidget

from sim.calibration import LogError, LogMapping
from sim.calibration.options import DEFAULTS, FitOptions
from sim.calibration.readers import raw_log
from sim.cli.calibrate import calibrate_command
from sim.dashboard.calibrate.log import propose
from sim.dashboard.calibrate.page import (
    LogFileInput,
    MapFileInput,
    OptionsInput,
    Page,
    to_be_of,
)
from sim.dashboard.calibrate.work import Calibrator, fit_log
from sim.dashboard.compare.page import Page as ComparePage
from sim.dashboard.compare.slots import BUDGET
from sim.dashboard.handoff import Handed, to_compare
from sim.scenario import load_scenario


def _selected(box, label: str):
    found = [x for x in all_widgets(box) if isinstance(x, v.Select) and x.label == label]
    return found[0].v_model if len(found) == 1 else None


def _one(box, kind, label: str):
    found = [x for x in all_widgets(box) if isinstance(x, kind) and x.label == label]
    assert len(found) == 1, f"{len(found)} {kind.__name__} labelled {label!r}"
    return found[0]


def _type_into(box, label: str, text: str) -> None:
    """What the browser sends when someone types and leaves the field."""
    wait_until(
        lambda: any(isinstance(x, v.TextField) and x.label == label for x in all_widgets(box)),
        30,
        f"the field {label!r}",
    )
    field = _one(box, v.TextField, label)
    field.v_model = text
    field.fire_event("focusout", None)


def _checkbox(box, starts: str) -> v.Checkbox:
    found = [
        x
        for x in all_widgets(box)
        if isinstance(x, v.Checkbox) and (x.label or "").startswith(starts)
    ]
    assert len(found) == 1, f"{len(found)} checkboxes labelled {starts!r}..."
    return found[0]


def _upload(box, monkeypatch, frame, rows: str) -> None:
    data = gzip.compress(frame.to_csv(index=False).encode())
    feed_upload(box, monkeypatch, LogFileInput, "helpdesk.csv.gz", data)
    wait_until(lambda: f"{rows} rows, 7 columns" in texts(box), 30, "the upload")
    wait_until(lambda: "Fit options (as sim calibrate's)" in texts(box), 30, "the options")


HOLDOUT = "Hold-out share of the latest cases"


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


def test_the_fit_options_are_folded_away_at_the_commands_defaults(calibrate_page, monkeypatch):
    """The first-time path is unchanged: the options sit in a closed panel, at `sim
    calibrate`'s defaults, each control with its unit and range."""
    flags = inspect.signature(calibrate_command).parameters
    assert (
        FitOptions(
            flags["holdout"].default,
            flags["start_delays"].default,
            flags["person_shifts"].default,
            flags["fit_window"].default,
        )
        == DEFAULTS
    )
    assert OptionsInput().options() == (DEFAULTS, [])
    box = calibrate_page
    _upload(box, monkeypatch, helpdesk_export(), "1,718")
    panels = [
        x
        for x in all_widgets(box)
        if isinstance(x, v.ExpansionPanels) and "Fit options (as sim calibrate's)" in texts(x)
    ]
    assert len(panels) == 1 and panels[0].v_model is None  # closed
    assert _one(box, v.TextField, HOLDOUT).v_model == "0.2"
    assert _selected(box, "Fit window") == "auto"
    assert _checkbox(box, "Start delays").v_model is True
    assert _checkbox(box, "Person shifts (experimental)").v_model is False
    text = texts(box)
    assert "A share from 0 to 0.9 (default 0.2" in text and "0 fits on every case" in text
    assert "a whole number of days, 1 or more" in text
    assert "Experimental because" in text


def test_options_out_of_range_are_one_line_each_and_start_nothing(calibrate_page, monkeypatch):
    box = calibrate_page
    _upload(box, monkeypatch, helpdesk_export(), "1,718")
    _type_into(box, HOLDOUT, "0.95")
    _one(box, v.Select, "Fit window").v_model = "a number of days"
    _type_into(box, "Days", "0")
    lines = [
        "Hold-out share: 0.95 is out of range (allowed: 0 to 0.9)",
        "Fit window: '0' is not a window (allowed: auto, all, or a whole number of days >= 1)",
    ]
    wait_until(lambda: all(line in texts(box) for line in lines), 30, "the options' problems")
    assert "These fit options cannot be used:" in texts(box)
    _type_into(box, HOLDOUT, "a fifth")
    wait_until(
        lambda: "Hold-out share: 'a fifth' is not a number (allowed: 0 to 0.9)" in texts(box),
        30,
        "the hold-out's problem",
    )
    button(box, "Calibrate").click()
    wait_until(lambda: "Cannot calibrate:" in texts(box), 30, "the refusal")
    text = texts(box)
    assert lines[1] in text and "Traceback" not in text
    assert not [x for x in all_widgets(box) if isinstance(x, v.ProgressLinear)]  # not started
    # Put right, the problems go.
    _type_into(box, HOLDOUT, "0.3")
    _type_into(box, "Days", "14")
    wait_until(
        lambda: (
            not any(
                title in texts(box)
                for title in ("These fit options cannot be used:", "Cannot calibrate:")
            )
        ),
        30,
        "the problems and the refusal to go",
    )


def test_options_are_checked_by_the_server_not_only_by_the_controls():
    """Whatever a page hands the calibrator, options out of range start no work and reserve
    nothing of the user's budget; a worker given them refuses too."""
    log = raw_log(helpdesk_export().to_csv(index=False).encode(), "h.csv", "h.csv")
    states: list = []
    calibrator = Calibrator(states.append, user="options-test")
    for options, problem in (
        (FitOptions(holdout=0.95), "Hold-out share: 0.95 is out of range (allowed: 0 to 0.9)"),
        (FitOptions(holdout=float("nan")), "Hold-out share: nan is out of range"),
        (FitOptions(fit_window="60"), "Fit window: '60' is not a window"),  # text, not days
        (FitOptions(fit_window=0), "Fit window: 0 is not a window"),
        (FitOptions(fit_window=True), "Fit window: True is not a window"),
    ):
        refused = calibrator.start(log, propose(log), "h.csv", 2, options)
        assert refused is not None and refused.startswith(problem), refused
        with pytest.raises(LogError) as error:
            fit_log(log, propose(log), "h.csv", options)
        assert str(error.value).startswith(problem)
    assert states == [] and BUDGET.reserve("options-test", 0) is None
    calibrator.cancel(report_state=False)


def test_a_hold_out_of_0_gives_the_scenario_and_says_how_it_was_fitted(calibrate_page, monkeypatch):
    """The options reach discovery through the background job (a worker process): start
    delays off leaves them out of the scenario file, the fit window is the one chosen, and a
    hold-out of 0 fits on every case with no fidelity check; the result says which options."""
    box = calibrate_page
    frame = helpdesk_export(tickets=600, weeks=6, desk_delay_share=0.3, desk_delay_hours=20)
    _upload(box, monkeypatch, frame, "2,847")
    _type_into(box, HOLDOUT, "0")
    _checkbox(box, "Start delays").v_model = False
    _one(box, v.Select, "Fit window").v_model = "a number of days"
    _type_into(box, "Days", "10")
    wait_until(lambda: _one(box, v.TextField, "Days").v_model == "10", 30, "the days")
    button(box, "Calibrate").click()
    wait_until(lambda: "Fit options:" in texts(box), 120, "the calibration")
    text = texts(box)
    assert (
        "hold-out 0 (fitted on every case, no fidelity check), start delays off, person "
        "shifts off, fit window the last 10 days" in text
    )
    assert "sim calibrate --holdout 0 --no-start-delays --fit-window 10" in text
    assert "Fitted on the last 10 days before the test window (chosen)" in text
    assert "No fidelity check: with a hold-out share of 0 every case is fitted on" in text
    downloads = [x for x in all_widgets(box) if isinstance(x, FileDownloadWidget)]
    assert [d.filename for d in downloads] == ["as-is-helpdesk.toml"]  # no report to give
    downloads[0].request_download = True  # what the browser sends on a click
    wait_until(lambda: downloads[0].bytes is not None, 30, "the scenario file")
    toml = downloads[0].bytes.decode()
    assert "[[workforce]]" in toml
    assert "start_delay_share" not in toml and "slow_case_share" not in toml
