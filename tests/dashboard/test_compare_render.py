"""The leadership comparison page, rendered without a browser (`solara.render`): fast.

What the browser adds (the page loads, a run finishes, a file really uploads) is in
test_compare_e2e.py.
"""

from __future__ import annotations

import html
import io
import re
import threading
import tomllib

import ipyvuetify as v
import ipywidgets as w
import pytest
import solara
import solara.widgets
from conftest import BAD_SCENARIO, all_widgets, button, buttons, feed_upload, texts, wait_until
from sim_in_process import sim

from sim.dashboard.compare import run as compare_run
from sim.dashboard.compare import scenarios as compare_scenarios
from sim.dashboard.compare.draft import build, draft_of, draft_toml, file_name
from sim.dashboard.compare.page import Page
from sim.dashboard.compare.scenarios import MAX_UPLOAD_BYTES, list_presets, parse_upload
from sim.dashboard.compare.slots import SLOTS
from sim.dashboard.compare.upload import ScenarioFileInput
from sim.scenario import ScenarioError, load_scenario, parse_scenario

PNG = b"\x89PNG"


# --------------------------------------------------------------------------------------------
# Helpers


def field(box, label: str) -> v.TextField:
    found = [x for x in all_widgets(box) if isinstance(x, v.TextField) and x.label == label]
    assert len(found) == 1, f"{len(found)} fields labelled {label!r}"
    return found[0]


def type_into(box, label: str, text: str) -> None:
    """What the browser sends when someone types and leaves the field."""
    widget = field(box, label)
    widget.v_model = text
    widget.fire_event("focusout", None)


def select(box, label: str) -> v.Select:
    found = [x for x in all_widgets(box) if isinstance(x, v.Select) and x.label == label]
    assert len(found) == 1, f"{len(found)} selects labelled {label!r}"
    return found[0]


def add_preset(box, file: str) -> None:
    """Choose the preset whose title names `file` and add it."""
    preset = select(box, "Preset scenario")
    preset.v_model = next(x for x in preset.items if file in x)
    button(box, "Add preset").click()


def entry_names(box) -> list[str]:
    return [
        html.unescape(re.sub(r"<[^>]+>", "", x.unsafe_innerHTML))
        for x in all_widgets(box)
        if isinstance(x, solara.widgets.HTML) and "compare-entry-name" in (x.unsafe_innerHTML or "")
    ]


@pytest.fixture
def compare_page():
    box, rc = solara.render(Page(), handle_error=False)
    yield box, rc
    rc.close()


# --------------------------------------------------------------------------------------------
# The scenarios


def test_default_selection(compare_page):
    box, _ = compare_page
    names = entry_names(box)
    assert len(names) == 2
    assert "Baseline: Insurer customer service: functional departments" in names[0]
    assert "Scenario 2: Insurer customer service: cross-functional teams" in names[1]
    assert field(box, "Replications").v_model == "10"
    assert field(box, "Working days").v_model == "60"
    assert not button(box, "Run the comparison").disabled
    # Two scenarios is the minimum: neither can be removed.
    assert all(b.disabled for b in buttons(box, "Remove"))
    # Presets come from scenarios/ and scenarios/lessons/.
    values = select(box, "Preset scenario").items
    assert any("(matrix.toml)" in x for x in values)
    assert any("(lessons/reorganisation.toml)" in x for x in values)


def test_add_remove_and_the_two_to_four_limit(compare_page):
    box, _ = compare_page
    add_preset(box, "(matrix.toml)")
    assert len(entry_names(box)) == 3
    assert "matrix" in entry_names(box)[2]
    assert not any(b.disabled for b in buttons(box, "Remove"))
    button(box, "Add preset").click()
    assert len(entry_names(box)) == 4
    # Four is the maximum: every way of adding one is closed.
    assert button(box, "Add preset").disabled
    assert button(box, "Add this scenario").disabled
    assert "Four scenarios chosen: remove one to upload another." in texts(box)
    # Make the matrix the baseline, then remove down to two.
    button_row = buttons(box, "Make baseline")
    button_row[1].click()
    assert entry_names(box)[0].startswith("Baseline: Insurer customer service: matrix")
    buttons(box, "Remove")[-1].click()
    buttons(box, "Remove")[-1].click()
    assert len(entry_names(box)) == 2
    assert all(b.disabled for b in buttons(box, "Remove"))
    assert not button(box, "Add preset").disabled


def _upload(box, monkeypatch, name: str, data: bytes, widget_type=ScenarioFileInput) -> None:
    feed_upload(box, monkeypatch, widget_type, name, data)


def test_bad_upload_shows_its_errors_in_the_page(compare_page, monkeypatch):
    box, _ = compare_page
    _upload(box, monkeypatch, "my-org.toml", BAD_SCENARIO)
    wait_until(lambda: "This file cannot be used" in texts(box), 10, "the upload's errors")
    text = texts(box)
    assert "my-org.toml: demand.requests_per_day: -5 is out of range (allowed: > 0.0)" in text
    assert "my-org.toml: workforce.0.headcount: 0 is out of range (allowed: >= 1)" in text
    assert len(entry_names(box)) == 2  # nothing added

    # Not TOML at all, then dropped on the drop zone (solara.FileDrop) instead of chosen.
    from solara.components.file_drop import FileDropZone

    _upload(box, monkeypatch, "notes.toml", b"this is = = not toml", FileDropZone)
    wait_until(lambda: "notes.toml: not valid TOML" in texts(box), 10, "the TOML error")


def test_good_upload_is_added(compare_page, monkeypatch):
    box, _ = compare_page
    data = (compare_scenarios.scenarios_dir() / "matrix.toml").read_bytes()
    _upload(box, monkeypatch, "ours.toml", data)
    wait_until(lambda: len(entry_names(box)) == 3, 10, "the uploaded scenario")
    assert "(uploaded ours.toml)" in entry_names(box)[2]


def test_upload_parsing_is_data_only_and_capped():
    with pytest.raises(ScenarioError) as big:
        parse_upload("huge.toml", b"#" * (MAX_UPLOAD_BYTES + 1))
    assert big.value.problems[0].startswith("huge.toml: the file is too large")
    with pytest.raises(ScenarioError) as binary:
        parse_upload("../../etc/x.toml", b"\xff\xfe\x00bad")
    assert binary.value.problems == ["x.toml: not a text file (allowed: a TOML scenario file)"]
    with pytest.raises(ScenarioError) as unknown:
        parse_upload("typo.toml", b'name = "x"\nnmae = "y"')
    assert any("did you mean 'name'?" in p for p in unknown.value.problems)


# --------------------------------------------------------------------------------------------
# The form


def test_form_makes_a_valid_scenario(compare_page):
    box, _ = compare_page
    type_into(box, "Headcount, policy", "12")
    type_into(box, "Requests per day", "220")
    type_into(box, "Name of the new scenario", "Our departments next year")
    assert "42 employees, 2,073 EUR per working hour" in texts(box)  # costs are visible
    button(box, "Add this scenario").click()
    names = entry_names(box)
    assert len(names) == 3
    assert "Scenario 3: Our departments next year" in names[2]
    assert "(edited from functional.toml)" in names[2]
    assert "42 employees · 220 requests/day" in texts(box)


def test_form_shows_its_problems_as_they_appear(compare_page):
    box, _ = compare_page
    type_into(box, "Share: billing question", "20")  # the mix now adds up to 102%
    assert "the shares add up to 102% (allowed: shares adding up to 100%)" in texts(box)
    assert button(box, "Add this scenario").disabled
    assert not buttons(box, "Download as a scenario file (TOML)")
    type_into(box, "Share: billing question", "18")
    assert "Not a valid organisation yet" not in texts(box)
    # No legal staff: allowed, as long as no request needs legal work.
    type_into(box, "Headcount, legal", "0")
    assert (
        "Form: Tasks of 'disputed claim' (demand.request_types.7.tasks.1.skill): 'legal' is a "
        "skill nobody has" in texts(box)
    )
    type_into(box, "Tasks: disputed claim", "claims 1.5 h, billing 0.5 h")
    assert "Not a valid organisation yet" not in texts(box)
    button(box, "Add this scenario").click()
    assert len(entry_names(box)) == 3 and "37 employees" in texts(box)
    type_into(box, "Tasks: claim report", "claims one hour")
    assert (
        "Tasks of 'claim report' (demand.request_types.3.tasks): cannot read 'claims one hour'"
        in texts(box)
    )


def test_a_chosen_scenario_is_edited_in_the_form(compare_page):
    box, _ = compare_page
    buttons(box, "Edit in the form")[1].click()
    assert field(box, "Name of the new scenario").v_model == (
        "Insurer customer service: cross-functional teams (edited)"
    )
    assert select(box, "Structure").v_model == "Cross-functional teams"
    assert "Editing: preset cross-functional.toml" in texts(box)
    type_into(box, "Number of teams", "5")
    button(box, "Add this scenario").click()
    assert "Cross-functional teams, 5 teams · 40 employees" in texts(box)
    assert "(edited from preset cross-functional.toml)" in entry_names(box)[2]


def functional_draft():
    preset = next(p for p in list_presets() if p.key == "functional.toml")
    return draft_of(preset.scenario, preset.key)


def test_own_skills_request_types_and_costs_without_the_page(tmp_path):
    """A leader's own organisation: three skills of their own, their request types, their
    costs; downloaded as a file that `sim validate` accepts and that reads back the same."""
    d = functional_draft()
    d = d.set_group(2, skill="technical")  # claims -> technical, in every task that names it
    assert d.requests[3].tasks == "technical 1 h"
    assert d.groups[4].other_skills == "technical 0.75"  # legal's secondary skill follows
    for _ in range(2):
        d = d.remove_group(3)  # no underwriting, no legal
    d = d.add_group().set_group(3, skill="onboarding", headcount=4, hourly_cost=38.5)
    rows = [
        ("billing question", 50, 8, "billing 0.5 h"),
        ("outage", 30, 4, "technical 1 h"),
        ("new customer", 20, 16, "onboarding 0.75 h, billing 0.25 h"),
    ]
    while len(d.requests) > 1:
        d = d.remove_request(0)
    for _ in rows[1:]:
        d = d.add_request()
    for i, (name, share, expected, tasks) in enumerate(rows):
        d = d.set_request(i, name=name, share_pct=share, expected_hours=expected, tasks=tasks)
    d = d.set(name="Our service desk", currency="GBP", requests_per_day=150)
    scenario = build(d)
    assert scenario.skills == ["policy", "billing", "technical", "onboarding"]
    assert [t.name for t in scenario.demand.request_types] == [r[0] for r in rows]
    assert scenario.demand.request_types[2].tasks[0].hours == 0.75
    assert scenario.workforce[3].hourly_cost == 38.5 and scenario.run.currency == "GBP"
    path = tmp_path / file_name(d)
    path.write_text(draft_toml(d), encoding="utf-8")
    assert path.name == "our-service-desk.toml"
    checked = sim("validate", path)
    assert checked.returncode == 0, checked.stderr
    assert load_scenario(path) == scenario


def test_every_preset_downloads_as_the_same_scenario():
    for preset in list_presets():
        d = draft_of(preset.scenario, preset.key)
        assert parse_scenario(tomllib.loads(draft_toml(d)), preset.key) == build(d), preset.key


def test_what_the_form_does_not_show_is_kept():
    """A step's own first-contact resolution, a group's baseline engagement: kept from the scenario
    the form started from (a task's keys while the task at its place has the same skill)."""
    preset = next(p for p in list_presets() if p.key == "functional.toml")
    scenario = preset.scenario.with_overrides(
        **{
            "demand.request_types.4.tasks.1.first_contact_resolution": 0.6,
            "workforce.2.baseline_engagement": 0.55,
        }
    )
    scenario = scenario.with_overrides(
        **{
            "demand.request_types.0.tasks.0.hours": 0.4137283,
            "workforce.0.other_skills.billing": 0.8123456789,
        }
    )
    d = draft_of(scenario, "mine.toml")
    assert build(d) == scenario.model_copy(update={"name": d.name})  # to the last digit
    assert build(d).demand.request_types[4].tasks[1].first_contact_resolution == 0.6
    assert build(d).workforce[2].baseline_engagement == 0.55
    swapped = d.set_request(4, tasks="billing 0.5 h, claims 0.75 h")
    tasks = build(swapped).demand.request_types[4].tasks
    assert [t.first_contact_resolution for t in tasks] == [None, None]


def test_form_problems_name_the_form_fields():
    d = functional_draft().set(kind="cross_functional", teams=50)
    with pytest.raises(ScenarioError) as error:
        build(d)
    assert error.value.problems == [
        "Form: Number of teams (structure.teams): 50 teams for 40 employees"
    ]
    d = functional_draft().set(kind="cross_functional", teams=5, help_across_units_pct=10)
    scenario = build(d)
    assert scenario.structure.teams == 5 and scenario.policies.help_across_units == 0.1
    d = functional_draft().set_group(0, other_skills="billing fast")
    with pytest.raises(ScenarioError, match=r"Other skills, policy .*cannot read 'billing fast'"):
        build(d)
    d = functional_draft().set_group(1, hourly_cost=-3)
    with pytest.raises(ScenarioError, match=r"Hourly cost, billing \(workforce.1.hourly_cost\)"):
        build(d)


# --------------------------------------------------------------------------------------------
# Running


def test_run_settings_that_do_not_fit_a_scenario_are_explained(compare_page):
    box, _ = compare_page
    add_preset(box, "reorganisation.toml")
    type_into(box, "Working days", "10")
    button(box, "Run the comparison").click()
    text = texts(box)
    assert "Cannot run:" in text
    assert "Lesson 5: the reorganisation J-curve: events.0.day: 20 is outside the run" in text
    type_into(box, "Replications", "1")
    button(box, "Run the comparison").click()
    assert "Replications: 1 is out of range (allowed: 2 to 50)" in texts(box)


@pytest.mark.slow  # a comparison on a process pool
def test_tiny_comparison_gives_the_table_figures_and_downloads(compare_page):
    box, _ = compare_page
    type_into(box, "Replications", "2")
    type_into(box, "Working days", "5")
    button(box, "Run the comparison").click()
    assert buttons(box, "Cancel"), "a running comparison can be cancelled"
    wait_until(
        lambda: "Ran in" in (text := texts(box)) or "The comparison failed" in text,
        90,
        "the results",
    )
    text = texts(box)
    assert "The comparison failed" not in text
    assert "2 scenarios × 2 replications × 5 working days" in text
    assert "Resolution time, mean" in text and "(hours)" in text
    assert "Cross-functional teams:" in text  # a sentence against the baseline
    assert "mean ± 95% CI" in text
    labels = {b.children[-1] for b in all_widgets(box) if isinstance(b, v.Btn) and b.children}
    assert {"KPI table (CSV)", "Every run (CSV)", "Report (HTML, self-contained)"} <= labels
    images = [x for x in all_widgets(box) if isinstance(x, w.Image)]
    assert len(images) >= 5 and all(bytes(i.value).startswith(PNG) for i in images)
    assert not buttons(box, "Cancel") and buttons(box, "Run the comparison")

    # The downloads, as a click asks for them: the CSV table and the same HTML report as
    # `sim compare --report`.
    from solara.components.file_download import FileDownloadWidget

    downloads = {
        x.filename: x
        for x in all_widgets(box)
        if isinstance(x, FileDownloadWidget) and x.filename.startswith("comparison")
    }
    assert set(downloads) == {"comparison.csv", "comparison-runs.csv", "comparison-report.html"}
    for download in downloads.values():
        download.request_download = True
    wait_until(lambda: all(d.bytes for d in downloads.values()), 30, "the downloads")
    csv = downloads["comparison.csv"].bytes.decode()
    assert csv.startswith("kpi,label,unit,scenario,baseline,n,mean,sd,ci_low,ci_high")
    row = 'resolution_hours_mean,"Resolution time, mean","hours, resolved only",Functional'
    assert row + " departments" in csv
    report = downloads["comparison-report.html"].bytes.decode()
    assert report.startswith("<!DOCTYPE html>") and "data:image/png;base64," in report


@pytest.mark.slow  # a comparison on a process pool
def test_cancel_stops_the_pool_at_once():
    states: list[compare_run.RunState] = []
    preset = {p.key: p for p in list_presets()}
    scenarios = [preset["functional.toml"].scenario, preset["cross-functional.toml"].scenario]
    runner = compare_run.Runner(states.append)
    runner.start(scenarios, ["A", "B"], reps=10)
    wait_until(lambda: runner._pool is not None, 30, "the pool")
    pool = runner._pool
    runner.cancel()
    assert states[-1].status == "cancelled"  # said at once, before anything else finishes
    # Stopped, not finished: the thread ends and the workers are gone long before 20 runs of
    # the presets could have run on two workers (how fast is a benchmark's business).
    wait_until(lambda: not runner.thread.is_alive(), 120, "the comparison's thread")
    processes = list((pool._processes or {}).values())
    wait_until(lambda: not any(p.is_alive() for p in processes), 60, "the workers to stop")
    assert all(s.status != "done" and s.done < s.planned for s in states if s.planned)
    # The slots are free again: the next comparison is not kept waiting.
    wait_until(lambda: SLOTS.in_use() == 0, 60, "the slots")
    assert [s.status for s in states].count("cancelled") == 1


def test_a_reorganisation_shows_its_j_curve():
    from sim.dashboard.compare.results import ResultsView
    from sim.replications import compare

    preset = {p.key: p for p in list_presets()}
    names = ["Departments", "Reorganised on day 20"]
    scenarios = compare_scenarios.with_run_length(
        [preset["functional.toml"].scenario, preset["lessons/reorganisation.toml"].scenario],
        names,
        26,
    )
    comparison = compare(scenarios, reps=2, names=names, workers=1)
    figures, curves = compare_run.draw_figures(comparison)
    assert set(figures) == {"differences", "resolution", "csat", "utilisation", "cost"}
    assert [name for name, _, _ in curves] == ["Reorganised on day 20"]
    results = compare_run.Results(comparison, figures, curves, 1.0, 1.0, 26)
    box, rc = solara.render(ResultsView(results), handle_error=False)
    text = texts(box)
    assert "Reorganisation: Reorganised on day 20" in text
    assert "The reorganisation" in text and "Its first 10 days after the switch on day 20" in text
    images = [x for x in all_widgets(box) if isinstance(x, w.Image)]
    assert len(images) == 6  # the five figures and the J-curve
    rc.close()


@pytest.mark.slow  # a comparison on a process pool
def test_leaving_the_page_stops_its_comparison():
    box, rc = solara.render(Page(), handle_error=False)
    button(box, "Run the comparison").click()  # 2 x 10 x 60 days
    wait_until(lambda: "runs done" in texts(box), 60, "the first runs")
    threads = [t for t in threading.enumerate() if t.name == "compare-runner"]
    assert len(threads) == 1
    rc.close()  # the browser left: the page unmounts
    threads[0].join(10)
    assert not threads[0].is_alive()
    wait_until(lambda: SLOTS.in_use() == 0, 60, "the slots")


# --------------------------------------------------------------------------------------------
# Hostile input (issue 14): no traceback in the page, and no user holds up the others


def test_a_nested_file_is_one_line_and_the_page_keeps_working(compare_page, monkeypatch):
    """A 1 kB file of nested brackets replaced the whole page with a 193,000-character
    traceback showing server paths; a unit without members with another."""
    box, _ = compare_page
    _upload(box, monkeypatch, "bomb.toml", b"name = " + b"[" * 500 + b"]" * 500)
    wait_until(lambda: "This file cannot be used" in texts(box), 10, "the upload's problem")
    assert "bomb.toml: nested too deeply (allowed: at most 20 levels of tables and lists)" in texts(
        box
    )
    functional = (compare_scenarios.scenarios_dir() / "functional.toml").read_text()
    data = functional.replace('kind = "functional"', 'kind = "custom"') + (
        '[[structure.units]]\nname = "u"\n'
        "members = {policy = 10, billing = 9, claims = 13, underwriting = 5, legal = 3}\n"
        '[[structure.units]]\nname = "v"\nmembers = {}\n'
    )
    _upload(box, monkeypatch, "empty-unit.toml", data.encode())
    wait_until(lambda: "empty-unit.toml" in texts(box), 10, "the second problem")
    text = texts(box)
    assert "empty-unit.toml: structure.units.1.members: has too few items" in text
    assert "Traceback" not in text and len(entry_names(box)) == 2
    assert not button(box, "Run the comparison").disabled  # the page still works


def test_what_the_model_cannot_run_is_refused_at_upload(compare_page, monkeypatch):
    """An infinite callback delay and two units of one name were accepted, and the run then
    failed with 'ZeroDivisionError' / 'Categorical categories must be unique'."""
    box, _ = compare_page
    functional = (compare_scenarios.scenarios_dir() / "functional.toml").read_text()
    data = functional.replace("callback_delay_hours = 8 ", "callback_delay_hours = inf ")
    assert data != functional
    _upload(box, monkeypatch, "cbinf.toml", data.encode())
    wait_until(lambda: "This file cannot be used" in texts(box), 10, "the upload's problem")
    assert "cbinf.toml: demand.callback_delay_hours: inf is not a finite number" in texts(box)
    huge = functional.replace("requests_per_day = 205", "requests_per_day = 1e12")
    _upload(box, monkeypatch, "huge.toml", huge.encode())
    wait_until(lambda: "huge.toml" in texts(box), 10, "the upload's problem")
    assert "huge.toml: demand.requests_per_day: about" in texts(box)
    twins = functional.replace('kind = "functional"', 'kind = "custom"') + (
        '[[structure.units]]\nname = "u"\nmembers = {policy = 10, billing = 9}\n'
        '[[structure.units]]\nname = "u"\nmembers = {claims = 13, underwriting = 5, legal = 3}\n'
    )
    _upload(box, monkeypatch, "twins.toml", twins.encode())
    wait_until(lambda: "twins.toml" in texts(box), 10, "the upload's problem")
    assert "twins.toml: structure.units.1.name: 'u' is used twice" in texts(box)
    assert len(entry_names(box)) == 2


def test_a_failing_page_shows_one_line_and_logs_the_traceback(caplog):
    """The last resort of every page (`sim.dashboard.boundary.guarded`)."""
    from sim.dashboard.app import routes
    from sim.dashboard.boundary import guarded

    @solara.component
    def Broken():
        raise RuntimeError("/srv/secret/path.py exploded")

    box, rc = solara.render(guarded(Broken)(), handle_error=False)
    text = texts(box)
    assert "Something went wrong while showing this page (RuntimeError, a bug in sim" in text
    assert "/srv/secret" not in text and "Traceback" not in text
    reference = re.search(r"as error ([0-9a-f]{6})", text)[1]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and "/srv/secret/path.py exploded" in str(logged[0].exc_info[1])
    assert buttons(box, "Try again")
    rc.close()
    # Every page of the app is guarded.
    assert all(route.component.__name__.startswith("Guarded") for route in routes)


def _runner(user: str):
    states = []
    finished = threading.Event()

    def on_state(state):
        states.append(state)
        if state.status in ("cancelled", "done", "failed"):
            finished.set()

    return compare_run.Runner(on_state, user=user), states, finished


@pytest.mark.slow
def test_a_huge_comparison_does_not_hold_up_another_users_small_one():
    """The server's one comparison slot was held for a whole comparison: a second user's
    comparison waited until the first one ended (or was cancelled). Now runs take turns."""
    preset = {p.key: p for p in list_presets()}
    pair = [preset["functional.toml"].scenario, preset["cross-functional.toml"].scenario]
    small = compare_scenarios.with_run_length(pair, ["A", "B"], 5)
    big, big_states, big_done = _runner("user-big")
    assert big.start(pair, ["A", "B"], reps=8) is None  # 16 runs of 60 days
    wait_until(lambda: big_states[-1].status == "running", 60, "the big comparison to run")
    little, little_states, little_done = _runner("user-small")
    assert little.start(small, ["A", "B"], reps=2) is None  # 4 runs of 5 days
    try:
        assert little_done.wait(120), little_states[-1]
        assert little_states[-1].status == "done", little_states[-1].message
        assert not big_done.is_set()  # the small one did not wait for the big one to end
        assert big_states[-1].status == "running"
    finally:
        big.cancel()
    assert big_done.wait(10)
    wait_until(lambda: SLOTS.in_use() == 0, 60, "the slots")


def test_each_user_has_a_budget():
    """A user cannot take the whole server: their running comparisons together are bounded
    (several tabs of one browser are one user); another user is not affected."""
    from sim.dashboard.compare.slots import USER_BUDGET, effort

    preset = {p.key: p for p in list_presets()}
    pair = [preset["functional.toml"].scenario, preset["cross-functional.toml"].scenario]
    year = compare_scenarios.with_run_length(pair, ["A", "B"], 365)
    reps = int(USER_BUDGET / sum(effort(s) for s in year) * 0.6)
    first, _, first_done = _runner("user-1")
    second, _, _ = _runner("user-1")  # another tab of the same browser
    other, _, other_done = _runner("user-2")
    assert first.start(year, ["A", "B"], reps=reps) is None
    try:
        refused = second.start(year, ["A", "B"], reps=reps)
        assert refused is not None and refused.startswith("This comparison asks for about ")
        assert "running already (allowed: up to 50,000,000 at once per user" in refused
        assert other.start(year, ["A", "B"], reps=reps) is None
    finally:
        first.cancel()
        other.cancel()
    assert first_done.wait(10) and other_done.wait(10)
    # Once the first comparison is over, its budget is back.
    assert second.start(year, ["A", "B"], reps=2) is None
    second.cancel()


def test_a_run_too_big_for_the_server_is_refused_before_it_starts(compare_page, monkeypatch):
    box, _ = compare_page
    functional = (compare_scenarios.scenarios_dir() / "functional.toml").read_text()
    busy = functional.replace("requests_per_day = 205", "requests_per_day = 3000")
    _upload(box, monkeypatch, "busy.toml", busy.encode())
    wait_until(lambda: len(entry_names(box)) == 3, 10, "the uploaded scenario")
    type_into(box, "Working days", "365")
    button(box, "Run the comparison").click()
    wait_until(lambda: "Cannot run:" in texts(box), 10, "the run's problem")
    assert "events (arrivals, task attempts, person-days) (allowed on this page: up to 750,000" in (
        texts(box)
    )
    assert buttons(box, "Run the comparison")  # nothing started


def test_the_command_line_the_report_and_the_page_show_one_table():
    """`sim compare`, the HTML report and the page lay out one `ComparisonTable`: the same
    columns in the same order (the KPI, the baseline, then the others), the same set-up
    columns, and every estimate, difference and verdict in the same words."""
    from rich.console import Console

    from sim.cli.tables import comparison_table
    from sim.dashboard.compare.results import ResultsView
    from sim.replications import SETUP_COLUMNS, ComparisonTable, compare
    from sim.report import render_report

    preset = {p.key: p for p in list_presets()}["functional.toml"].scenario
    base = preset.with_overrides({"run.days": 6, "run.warmup_days": 1})
    slow = base.with_overrides({"policies.handoff_delay_hours": 8})
    same = base.with_overrides({"run.seed": base.run.seed})  # identical to the baseline
    names = ["Departments", "Slow handoffs", "The same again"]
    comparison = compare([base, slow, same], reps=2, names=names, workers=1)
    model = ComparisonTable.of(comparison)
    assert model.columns == ("KPI", "Departments (baseline)", "Slow handoffs", "The same again")

    rich_table = comparison_table(comparison, width=400)
    assert tuple(str(c.header) for c in rich_table.columns) == model.columns
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(rich_table)
    cli = console.export_text()

    def headers(page: str, first: str) -> tuple[str, ...]:
        """The header of the table whose first column is `first`, each name up to its <br>."""
        head = re.search(rf"<thead><tr><th>{first}(.*?)</tr></thead>", page)
        assert head is not None
        cells = re.findall(r"<th>(.*?)(?:<br>.*?)?</th>", f"<th>{first}{head.group(1)}")
        return tuple(html.unescape(c) for c in cells)

    report = render_report(comparison)
    results = compare_run.Results(comparison, {}, [], 1.0, 1.0, 6)
    box, rc = solara.render(ResultsView(results), handle_error=False)
    page = "".join(
        x.unsafe_innerHTML
        for x in all_widgets(box)
        if isinstance(x, solara.widgets.HTML) and x.unsafe_innerHTML
    )
    rc.close()
    for rendering in (report, page):
        assert headers(rendering, "KPI") == model.columns
        assert headers(rendering, "Scenario") == SETUP_COLUMNS
    report, page = html.unescape(report), html.unescape(page)
    verdicts = set()
    for row in model.rows():
        for estimate, difference in row.cells():
            assert estimate.text in cli and estimate.text in report
            if difference is None:
                continue
            verdicts.add(difference.verdict)
            said = f"{difference.text} · {difference.verdict}" if difference.verdict else ""
            assert said in report
            short = difference.short_verdict
            assert (f"{difference.text} {short}" if short else difference.text) in cli
            assert difference.sentence in report
    assert {"worse", "no clear difference", ""} <= verdicts  # "" : identical
    for row in model.rows():  # the page shows the key KPIs until asked for all
        if row.key in ("resolution_hours_mean", "handoffs_per_request", "csat_mean"):
            for estimate, difference in row.cells():
                assert estimate.text in page
                if difference is not None and difference.verdict:
                    assert f"{difference.text} · {difference.verdict}" in page
    assert [r.structure for r in model.setup] == ["Functional departments"] * 3
