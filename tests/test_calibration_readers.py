"""Reading ticket exports: CSV and XES, gzip or not, column mapping, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from calibration_logs import AUDIT_MAP, audit_log, ticket_log, write_csv, write_xes
from sim_in_process import sim

from sim.calibration.mapping import Columns, LogError, LogMapping, load_mapping
from sim.calibration.readers import read_log


@pytest.mark.parametrize("name", ["log.csv", "log.csv.gz", "log.xes", "log.xes.gz"])
def test_every_format_reads_to_the_same_events(tmp_path, name):
    frame = ticket_log()
    path = tmp_path / name
    (write_xes if ".xes" in name else write_csv)(frame, path)
    table = read_log(path, LogMapping())
    assert len(table) == len(frame)
    assert list(table["case"]) == list(frame["case:concept:name"])
    assert list(table["team"]) == list(frame["org:group"])
    assert list(table["activity"]) == list(frame["concept:name"])
    assert list(table["lifecycle"].unique()) == ["start", "complete"]
    # The zone offset is dropped, not converted: 09:00+02:00 stays 09:00 (wall-clock time).
    assert table["time"].iloc[0] == pd.Timestamp("2024-03-04 09:00")
    assert table["row"].tolist() == list(range(1, len(frame) + 1))


def test_semicolons_and_day_first_times_are_recognised(tmp_path):
    frame = audit_log()
    path = write_csv(frame, tmp_path / "audit.csv", sep=";")
    mapping = LogMapping(
        columns=Columns(
            case="number",
            activity="incident_state",
            timestamp="sys_updated_at",
            team="group",
            resource="assigned_to",
        )
    )
    table = read_log(path, mapping)
    assert table["time"].iloc[-1] == pd.Timestamp("2024-03-06 15:00")  # 6/3 is 6 March
    assert table["resource"].isna().sum() == 2  # '?' means nobody


def test_a_map_file_and_flags_combine(tmp_path):
    (tmp_path / "map.toml").write_text(AUDIT_MAP, encoding="utf-8")
    mapping = load_mapping(tmp_path / "map.toml").with_flags(team="assigned_to", resolved="X")
    assert mapping.columns.case == "number"
    assert mapping.columns.team == "assigned_to"
    assert mapping.states.resolved == ["X"]
    assert mapping.states.waiting == ["Awaiting User Info"]


def test_a_bad_map_file_names_the_key(tmp_path):
    (tmp_path / "map.toml").write_text('[columns]\ncase = "number"\nteem = "x"\n')
    with pytest.raises(LogError) as error:
        load_mapping(tmp_path / "map.toml")
    assert error.value.problems == [
        f"{tmp_path / 'map.toml'}: columns.teem: unknown key (did you mean 'team'? allowed: "
        "case, activity, timestamp, start, team, resource, lifecycle, order, priority)"
    ]


def _error(path: Path, mapping: LogMapping | None = None) -> list[str]:
    with pytest.raises(LogError) as error:
        read_log(path, mapping or LogMapping())
    return error.value.problems


def test_a_missing_column_names_it_and_the_flag(tmp_path):
    frame = ticket_log().drop(columns=["org:group"])
    problems = _error(write_csv(frame, tmp_path / "log.csv"))
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'log.csv'}: column 'org:group' not found")
    assert "--team COLUMN" in problems[0]


def test_an_unparseable_time_names_the_column_and_the_row(tmp_path):
    frame = ticket_log()
    frame.loc[4, "time:timestamp"] = "yesterday at noon"
    problems = _error(write_csv(frame, tmp_path / "log.csv"))
    assert problems == [
        f"{tmp_path / 'log.csv'}: column 'time:timestamp', row 5: 'yesterday at noon' is not a "
        "date and time (allowed: ISO 8601 such as 2016-02-29T08:15:00, or timestamp_format in "
        "--map)"
    ]


def test_an_empty_time_names_the_row(tmp_path):
    frame = ticket_log()
    frame.loc[2, "time:timestamp"] = ""
    problems = _error(write_csv(frame, tmp_path / "log.csv"))
    assert "column 'time:timestamp', row 3: empty" in problems[0]


def test_a_single_case_is_refused(tmp_path):
    frame = ticket_log()
    frame["case:concept:name"] = "T1"
    problems = _error(write_csv(frame, tmp_path / "log.csv"))
    assert problems == [
        f"{tmp_path / 'log.csv'}: column 'case:concept:name': only 1 case in 22 rows (allowed: at "
        "least 2 cases; choose the ticket id with --case COLUMN)"
    ]


def test_a_team_column_with_no_team_is_refused(tmp_path):
    frame = ticket_log()
    frame["org:group"] = ""
    problems = _error(write_csv(frame, tmp_path / "log.csv"))
    assert problems == [
        f"{tmp_path / 'log.csv'}: column 'org:group': empty on every row (allowed: the team "
        "holding the case; choose another column with --team COLUMN)"
    ]


def test_files_that_are_not_logs(tmp_path):
    assert _error(tmp_path / "nowhere.csv") == [f"{tmp_path / 'nowhere.csv'}: file not found"]
    (tmp_path / "empty.csv").write_text("")
    assert "empty file" in _error(tmp_path / "empty.csv")[0]
    (tmp_path / "broken.xes").write_text("<log><trace><event>")
    assert "not a readable XES file" in _error(tmp_path / "broken.xes")[0]
    (tmp_path / "broken.csv.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    assert "damaged gzip file" in _error(tmp_path / "broken.csv.gz")[0]


@pytest.mark.slow
def test_a_gzip_bomb_is_refused_at_the_limit(tmp_path):
    """600 MB of nothing packed into 600 kB: unpacked only up to the limit, then refused
    (the log reader unpacked whatever it was given)."""
    import zlib

    from sim.files import MAX_LOG_BYTES

    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * 1_000_000
    bomb = b"".join(packer.compress(chunk) for _ in range(600)) + packer.flush()
    assert len(bomb) < 1_000_000
    (tmp_path / "bomb.csv.gz").write_bytes(bomb)
    assert _error(tmp_path / "bomb.csv.gz") == [
        f"{tmp_path / 'bomb.csv.gz'}: the unpacked file is too large (more than 512 MB; "
        f"allowed: up to {MAX_LOG_BYTES // 1_000_000} MB)"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda f: f.drop(columns=["org:group"]), "column 'org:group' not found"),
        (lambda f: f.assign(**{"time:timestamp": "soon"}), "column 'time:timestamp', row 1"),
        (lambda f: f.assign(**{"case:concept:name": "T1"}), "only 1 case"),
        (lambda f: f.assign(**{"org:group": "?"}), "column 'org:group': empty on every row"),
    ],
)
def test_the_command_gives_one_line_and_exit_2(tmp_path, change, expected):
    path = write_csv(change(ticket_log()), tmp_path / "bad.csv")
    out = sim("calibrate", path, "--out", tmp_path / "as-is.toml")
    assert out.returncode == 2, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert expected in lines[0]
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "as-is.toml").exists()
