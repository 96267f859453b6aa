"""The mapping the dashboard proposes from a log's column names and values, and the bounds on
an uploaded export (`sim.calibration.proposal`, `sim.dashboard.calibrate.log`)."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest
from calibration_logs import XES_COLUMNS, audit_log, helpdesk_export, ticket_log, write_xes

from sim.calibration import LogError
from sim.calibration.proposal import propose_columns, propose_states
from sim.calibration.readers import RawLog, raw_log
from sim.dashboard.calibrate.log import (
    MAX_LOG_ROWS,
    MAX_LOG_UNPACKED_BYTES,
    MAX_LOG_UPLOAD_BYTES,
    read_upload,
)


def raw(frame: pd.DataFrame) -> RawLog:
    return RawLog(frame.astype(str), "row")


def test_xes_names_are_taken_as_they_are(tmp_path):
    data = write_xes(ticket_log(), tmp_path / "log.xes").read_bytes()
    columns = propose_columns(raw_log(data, "log.xes", "log.xes"))
    assert columns == {
        "case": "case:concept:name",
        "activity": "concept:name",
        "timestamp": "time:timestamp",
        "start": None,
        "team": "org:group",
        "resource": "org:resource",
        "lifecycle": "lifecycle:transition",
        "order": None,
        "priority": None,
    }
    assert set(XES_COLUMNS.values()) <= {c for c in columns.values() if c}


def test_an_audit_export_is_mapped_by_its_names_and_its_times():
    """ServiceNow-like names: `number` is the case although `incident_state` holds the word
    'incident'; of the two `sys_updated_*` columns only `_at` holds times."""
    frame = audit_log().rename(columns={"group": "assignment_group", "mods": "sys_mod_count"})
    frame.insert(3, "sys_updated_by", "admin")
    columns = propose_columns(raw(frame))
    assert columns["case"] == "number"
    assert columns["activity"] == "incident_state"
    assert columns["timestamp"] == "sys_updated_at"
    assert columns["team"] == "assignment_group"
    assert columns["resource"] == "assigned_to"
    assert columns["order"] == "sys_mod_count"
    assert columns["start"] is None and columns["lifecycle"] is None


def test_common_export_names():
    frame = pd.DataFrame(
        {
            "Case ID": ["1", "2"],
            "Activity": ["Open", "Close"],
            "Start Timestamp": ["2024-01-01 09:00", "2024-01-01 10:00"],
            "Complete Timestamp": ["2024-01-01 09:30", "2024-01-01 10:30"],
            "Resource": ["a", "b"],
            "Queue": ["Desk", "Desk"],
        }
    )
    columns = propose_columns(raw(frame))
    assert columns["case"] == "Case ID"
    assert columns["timestamp"] == "Complete Timestamp"
    assert columns["start"] == "Start Timestamp"
    assert columns["team"] == "Queue"
    assert columns["resource"] == "Resource"


def test_required_roles_always_get_a_column_to_correct():
    frame = pd.DataFrame({"a": ["x"], "b": ["2024-01-01 09:00"], "c": ["y"], "d": ["z"]})
    columns = propose_columns(raw(frame))
    required = [columns[r] for r in ("case", "activity", "timestamp", "team", "resource")]
    assert all(required) and columns["timestamp"] == "b"


def test_states_by_their_names():
    states = ["New", "Active", "Awaiting User Info", "Resolved", "Closed", "Canceled"]
    assert propose_states(states) == {
        "waiting": ["Awaiting User Info"],
        "resolved": ["Resolved"],
        "cancelled": ["Canceled"],
    }


def test_an_upload_is_read_and_a_mapping_proposed():
    data = gzip.compress(helpdesk_export().to_csv(index=False).encode())
    upload = read_upload("C:\\Users\\me\\helpdesk.csv.gz", data, len(data))
    assert upload.name == "helpdesk.csv.gz"  # the file's name, never a path
    assert upload.rows == len(helpdesk_export())
    assert upload.proposed.columns.case == "number"
    assert upload.proposed.states.waiting == ["Awaiting User Info"]
    assert upload.proposed.states.resolved == ["Resolved"]


@pytest.mark.parametrize(
    ("name", "data", "size", "message"),
    [
        (
            "big.csv",
            b"",
            MAX_LOG_UPLOAD_BYTES + 1,
            "big.csv: the file is too large (25 MB; allowed: up to 25 MB) (larger logs: sim "
            "calibrate on the command line)",
        ),
        (
            "rows.csv",
            b"case,activity\n" + b"c,a\n" * (MAX_LOG_ROWS + 1),
            None,
            f"rows.csv: too many rows ({MAX_LOG_ROWS + 1:,}; allowed: up to {MAX_LOG_ROWS:,}",
        ),
        (
            "bomb.csv.gz",
            gzip.compress(b"x" * (MAX_LOG_UNPACKED_BYTES + 1)),
            None,
            "bomb.csv.gz: the unpacked file is too large (more than 100 MB; allowed: up to 100 MB)",
        ),
        ("empty.csv", b"", None, "empty.csv: empty file"),
    ],
)
def test_oversized_or_empty_uploads_are_one_line(name, data, size, message):
    with pytest.raises(LogError) as caught:
        read_upload(name, data, size if size is not None else len(data))
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(message), caught.value.problems[0]
