"""Every kind of bad input, through the real `sim` command: exit status 2, one line per problem
in the form ``file: key.path: what is wrong (what is allowed)``, and never a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import sim_in_process

DATA = Path(__file__).parent / "data" / "cli"
SMALL = DATA / "small.toml"


@pytest.fixture
def sim():
    """The `sim` command in this process (fast); `test_real_process` checks the same contract
    across a real process boundary."""
    return sim_in_process.sim


def problems(out: subprocess.CompletedProcess) -> list[str]:
    """Check the common contract of bad input and return the problem lines."""
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr + out.stdout
    assert out.stdout == ""  # nothing that looks like a result
    lines = out.stderr.strip().splitlines()
    assert lines
    return lines


def only_line(out: subprocess.CompletedProcess, source: Path | str) -> str:
    lines = problems(out)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{source}: "), lines[0]
    return lines[0]


KEYED = re.compile(r"^(?P<file>[^:]+): (?P<key>[\w.\-]+): (?P<what>.+)$")


def keyed(line: str, file: Path | str, key: str) -> str:
    """`line` is ``file: key: what``; returns `what`."""
    match = KEYED.match(line)
    assert match, line
    assert match["file"] == str(file), line
    assert match["key"] == key, line
    return match["what"]


def test_missing_file(sim):
    line = only_line(sim("run", DATA / "nope.toml"), DATA / "nope.toml")
    assert "file not found" in line


def test_not_toml(sim):
    line = only_line(sim("run", DATA / "not_toml.toml"), DATA / "not_toml.toml")
    assert "not valid TOML" in line
    assert "line 1" in line


def test_binary_file(sim):
    line = only_line(sim("run", DATA / "binary.toml"), DATA / "binary.toml")
    assert "not a text file" in line


def test_byte_order_mark_is_read_as_the_dashboard_reads_it(sim, tmp_path):
    """Some Windows editors start a UTF-8 file with a byte-order mark: the command line and a
    dashboard upload read it the same way (one reader), and accept it."""
    from sim.dashboard.compare.scenarios import parse_upload
    from sim.scenario import load_scenario

    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + SMALL.read_bytes())
    out = sim("validate", path)
    assert (out.returncode, out.stdout) == (0, f"{path}: ok\n"), out.stderr
    assert parse_upload("bom.toml", path.read_bytes()) == load_scenario(SMALL)


def test_directory_instead_of_file(sim):
    line = only_line(sim("run", DATA), DATA)
    assert "directory" in line


def test_unknown_key_suggests_the_right_one(sim):
    path = DATA / "unknown_key.toml"
    lines = problems(sim("run", path))
    unknown = [line for line in lines if "hedcount" in line]
    assert len(unknown) == 1
    what = keyed(unknown[0], path, "workforce.0.hedcount")
    assert "unknown key" in what
    assert "did you mean 'headcount'" in what
    assert "allowed:" in what
    # the real key is then missing: reported too, on its own line
    assert any(
        keyed(line, path, "workforce.0.headcount") == "missing (required)"
        for line in lines
        if "workforce.0.headcount:" in line
    )


def test_unknown_key_through_set(sim):
    line = only_line(sim("run", SMALL, "--set", "policies.misroutng=0"), SMALL)
    what = keyed(line, SMALL, "policies.misroutng")
    assert "did you mean 'misrouting'" in what


def test_out_of_range_value_in_file(sim):
    path = DATA / "out_of_range.toml"
    what = keyed(only_line(sim("run", path), path), path, "workforce.1.headcount")
    assert what == "0 is out of range (allowed: >= 1)"


@pytest.mark.parametrize(
    ("option", "key", "allowed"),
    [
        (["--set", "policies.misrouting=1.5"], "policies.misrouting", "(allowed: <= 1"),
        (["--days", "0"], "run.days", "(allowed: >= 1)"),
        (["--seed", "-1"], "run.seed", "(allowed: >= 0)"),
    ],
)
def test_out_of_range_value_from_options(sim, option, key, allowed):
    what = keyed(only_line(sim("run", SMALL, *option), SMALL), SMALL, key)
    assert "out of range" in what and allowed in what


def test_days_not_longer_than_warmup(sim):
    what = keyed(only_line(sim("run", SMALL, "--days", "1"), SMALL), SMALL, "run")
    assert "warmup_days" in what


def test_wrong_type(sim):
    path = DATA / "wrong_type.toml"
    what = keyed(only_line(sim("run", path), path), path, "workforce.1.headcount")
    assert "wrong type" in what and "(allowed: a whole number)" in what


def test_wrong_type_through_set(sim):
    line = only_line(sim("run", SMALL, "--set", "workforce.0.headcount=[1, 2]"), SMALL)
    assert "wrong type" in keyed(line, SMALL, "workforce.0.headcount")


def test_wrong_choice(sim):
    line = only_line(sim("run", SMALL, "--set", "structure.kind=silo"), SMALL)
    what = keyed(line, SMALL, "structure.kind")
    assert "'silo' is not allowed" in what and "functional" in what


@pytest.mark.parametrize("item", ["nonsense", "=3", "run.days"])
def test_bad_set_syntax(sim, item):
    line = only_line(sim("run", SMALL, "--set", item), SMALL)
    assert "expected key.path=value" in line


def test_set_into_a_list_index_that_does_not_exist(sim):
    line = only_line(sim("run", SMALL, "--set", "workforce.5.headcount=2"), SMALL)
    what = keyed(line, SMALL, "workforce.5")
    assert "no item '5'" in what and "(allowed: 0 to 1)" in what


def test_set_below_a_value(sim):
    line = only_line(sim("run", SMALL, "--set", "run.days.x=2"), SMALL)
    assert "is a value, not a table" in keyed(line, SMALL, "run.days.x")


def test_shares_not_summing_to_one(sim):
    path = DATA / "shares.toml"
    what = keyed(only_line(sim("run", path), path), path, "demand.request_types")
    assert "shares sum to 0.9" in what and "(allowed: shares summing to 1)" in what


def test_task_skill_nobody_has(sim):
    path = DATA / "unknown_skill.toml"
    line = only_line(sim("run", path), path)
    what = keyed(line, path, "demand.request_types.1.tasks.0.skill")
    assert "'legal' is a skill nobody has" in what and "(allowed: billing, tech)" in what


def test_functional_structure_cannot_serve_a_secondary_only_skill(sim):
    path = DATA / "secondary_only.toml"
    line = only_line(sim("run", path), path)
    what = keyed(line, path, "demand.request_types.0.tasks.0.skill")
    assert "no unit of the functional structure serves 'tech'" in what
    assert "(allowed: billing)" in what


def test_matrix_pool_of_a_skill_nobody_has_as_primary(sim):
    line = only_line(
        sim(
            "run",
            SMALL,
            "--set",
            "structure.kind=matrix",
            "--set",
            "structure.shared_skills=['law']",
        ),
        SMALL,
    )
    assert "is nobody's primary skill" in keyed(line, SMALL, "structure.shared_skills.0")


@pytest.mark.parametrize("name", ["events.xlsx", "events"])
def test_bad_events_extension(sim, tmp_path, name):
    target = tmp_path / name
    line = only_line(sim("run", SMALL, "--events", target), target)
    what = keyed(line, target, "--events")
    assert (
        "not a supported format" in what and "(allowed: a file ending in .csv or .parquet)" in what
    )
    assert not target.exists()


def test_events_into_a_missing_folder(sim, tmp_path):
    target = tmp_path / "missing" / "events.csv"
    line = only_line(sim("run", SMALL, "--events", target), target)
    assert "does not exist" in keyed(line, target, "--events")


def test_every_problem_of_every_input_is_reported(sim):
    target = "events.xlsx"
    lines = problems(sim("run", SMALL, "--events", target, "--set", "policies.misroutng=0"))
    assert [line.split(":")[0] for line in lines] == [target, str(SMALL)]


def test_validate_reports_all_files_and_exits_2(sim):
    bad = [DATA / "unknown_key.toml", DATA / "shares.toml", DATA / "nope.toml"]
    out = sim("validate", SMALL, *bad)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stdout.strip() == f"{SMALL}: ok"
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 4  # unknown_key gives two problems (unknown key + missing headcount)
    for path in bad:
        assert any(line.startswith(f"{path}: ") for line in lines), path


def test_compare_reports_problems_of_every_file(sim):
    out = sim("compare", DATA / "shares.toml", DATA / "wrong_type.toml")
    lines = problems(out)
    assert len(lines) == 2
    assert lines[0].startswith(f"{DATA / 'shares.toml'}: demand.request_types: ")
    assert lines[1].startswith(f"{DATA / 'wrong_type.toml'}: workforce.1.headcount: ")


@pytest.mark.parametrize(
    "args",
    [
        ["run", str(SMALL), "--seed", "abc"],
        ["run", str(SMALL), "--colour"],
        ["run"],
        ["compare", str(SMALL)],
        ["frobnicate"],
    ],
)
def test_usage_errors_are_one_line(sim, args):
    lines = problems(sim(*args))
    assert len(lines) == 1
    assert lines[0].startswith("sim")
    assert "--help" in lines[0]


@pytest.mark.slow  # a real process: the point of this test
def test_real_process():
    """The same contract across a real process boundary: exit 2, lines, no traceback."""
    bad = [DATA / "unknown_key.toml", DATA / "secondary_only.toml"]
    out = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(SMALL), *map(str, bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr + out.stdout
    assert out.stdout.strip() == f"{SMALL}: ok"
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 3
    assert "did you mean 'headcount'" in lines[1]
    assert lines[2].startswith(f"{bad[1]}: demand.request_types.0.tasks.0.skill: ")


# Hostile and careless input (issue 14): every case was an internal error, a crash of the run
# or a run without end before the fix. -------------------------------------------------------


def test_a_file_nested_too_deeply_is_one_line(sim, tmp_path):
    """1 kB of nested brackets made the TOML parser recurse until Python stopped it."""
    path = tmp_path / "bomb.toml"
    path.write_text("name = " + "[" * 500 + "]" * 500 + "\n")
    line = only_line(sim("validate", path), path)
    assert line == f"{path}: nested too deeply (allowed: at most 20 levels of tables and lists)"
    tables = tmp_path / "tables.toml"
    tables.write_text("name = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n")
    assert "nested too deeply" in only_line(sim("validate", tables), tables)
    deep = "[" * 500 + "]" * 500
    line = only_line(sim("run", SMALL, "--set", f"name={deep}"), SMALL)
    assert line.endswith(
        "--set name: nested too deeply (allowed: at most 20 levels of tables and lists)"
    )


def test_an_endless_file_is_refused_after_its_limit(sim):
    """`/dev/zero` was read until the memory ran out."""
    line = only_line(sim("validate", "/dev/zero"), "/dev/zero")
    assert line == "/dev/zero: the file is too large (more than 2,000 kB; allowed: up to 2,000 kB)"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("demand.callback_delay_hours", "inf"),
        ("policies.handoff_delay_hours", "inf"),
        ("policies.misrouting_triage_hours", "inf"),
        ("demand.requests_per_day", "1e400"),  # TOML reads a float too big as inf
        ("run.drain_limit_days", "inf"),
        ("demand.patience_hours", "nan"),
    ],
)
def test_numbers_must_be_finite(sim, key, value):
    """An infinite delay passed validation and crashed the run (1 / inf), an infinite rate or
    drain limit made it endless."""
    line = only_line(sim("run", SMALL, "--set", f"{key}={value}"), SMALL)
    shown = "nan" if value == "nan" else "inf"
    assert keyed(line, SMALL, key) == f"{shown} is not a finite number (allowed: a finite number)"


def test_profile_weights_near_the_float_limits_run(sim):
    """Weights like 1e308 are valid relative weights; their mean overflowed and the run divided
    by zero. They are now scaled before they are averaged."""
    out = sim("run", SMALL, "--json", "--set", "demand.weekly_profile=[1, 1e308, 1e308]")
    assert out.returncode == 0, out.stderr
    out = sim("run", SMALL, "--json", "--set", "demand.weekly_profile=[5e-324, 5e-324]")
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize(
    ("units", "key", "message"),
    [
        (
            '[{name="u", members={billing=4}}, {name="u", members={tech=3}}]',
            "structure.units.1.name",
            "'u' is used twice",
        ),
        (
            '[{name="u", members={billing=4, tech=3}}, {name="v", members={}}]',
            "structure.units.1.members",
            "has too few items (allowed: at least 1)",
        ),
    ],
)
def test_custom_units_need_distinct_names_and_members(sim, units, key, message):
    """Two units of one name passed validation and crashed the books; a unit without members
    divided by zero while loading."""
    out = sim("run", SMALL, "--set", "structure.kind=custom", "--set", f"structure.units={units}")
    assert keyed(only_line(out, SMALL), SMALL, key) == message


BUSY_DECADE = ["--days", "3650", "--set", "demand.requests_per_day=540"]
"""SMALL for ten years at 540 requests a day with 100 people in billing: under the limit of
requests, over the limit of task attempts."""


def test_work_beyond_the_limit_is_refused_with_the_keys_that_drive_it(sim, tmp_path):
    """1e12 requests a day ran without end, growing by 65 MB/s."""
    out = sim("run", SMALL, "--days", "2", "--set", "demand.requests_per_day=1e12")
    what = keyed(only_line(out, SMALL), SMALL, "demand.requests_per_day")
    assert what.startswith("about 2,000,000,000,000 requests in one run")
    assert what.endswith("(allowed: up to 2,000,000; --allow-large runs it anyway)")
    out = sim("run", SMALL, *BUSY_DECADE, "--set", "workforce.0.headcount=100")
    what = keyed(only_line(out, SMALL), SMALL, "demand.requests_per_day")
    assert what.startswith("about 3,36")
    assert "task attempts in one run (1,971,000 requests (540 per day x 3650 days of run.d" in what
    assert "1.3 attempts per task, from policies.first_contact_resolution" in what


def test_the_headcount_limit_answers_at_once(tmp_path):
    """10,000,000 employees in a 43 kB file took 109-159 s and 1.8 GB to validate: now the
    headcount is checked before any employee is made."""
    path = tmp_path / "big.toml"
    groups = "".join(f'[[workforce]]\nskill = "s{i}"\nheadcount = 10000\n' for i in range(1000))
    path.write_text(
        'name = "big"\n[demand]\nrequests_per_day = 10\n[[demand.request_types]]\nname = "q"\n'
        'share = 1.0\nexpected_hours = 8\ntasks = [{skill = "s0", hours = 0.5}]\n' + groups
    )
    out = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"{path}: workforce: 10,000,000 employees in 1,000 groups (allowed: up to 100,000 in "
        "all; --allow-large runs it anyway)"
    )


def test_allow_large_lifts_the_limits(sim, tmp_path):
    big = tmp_path / "big.toml"
    big.write_text(
        SMALL.read_text().replace("days = 5", "days = 3650").replace("= 40", "= 540")
        .replace("headcount = 4", "headcount = 100")
    )  # fmt: skip
    assert sim("validate", big).returncode == 2
    out = sim("validate", "--allow-large", big)
    assert (out.returncode, out.stdout) == (0, f"{big}: ok\n"), out.stderr
