"""The classroom page's behaviour, rendered without a browser (`solara.render`): fast.

What the browser adds (the front end loads offline, sliders respond to the keyboard) is in
test_classroom_e2e.py.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import ipyvuetify as v
import ipywidgets as w
import pytest
import solara
import solara.widgets
from conftest import all_widgets, button, texts

from sim.dashboard.classroom import lessons
from sim.dashboard.classroom import page as classroom
from sim.dashboard.classroom.page import Page

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG"


def status(box) -> str:
    match = re.search(r"Day \d+, \d\d:\d\d", texts(box))
    assert match, "no status line"
    return match.group(0)


def org_svgs(box) -> list[str]:
    return sorted(
        x.unsafe_innerHTML
        for x in all_widgets(box)
        if isinstance(x, solara.widgets.HTML) and "org-svg" in (x.unsafe_innerHTML or "")
    )


def chart_png(box) -> bytes:
    (image,) = [x for x in all_widgets(box) if isinstance(x, w.Image)]
    return bytes(image.value)


def load_slider(box) -> v.Slider:
    sliders = [x for x in all_widgets(box) if isinstance(x, v.Slider)]
    assert len(sliders) == 5, "five levers"
    return next(s for s in sliders if s.max > 100)  # the only one in requests per day


@pytest.fixture
def box():
    box, rc = solara.render(Page(), handle_error=False)
    yield box
    rc.close()


def test_first_view_shows_both_organisations_at_the_start(box):
    text = texts(box)
    assert status(box) == "Day 1, 09:00"
    assert "Functional departments" in text and "Cross-functional teams" in text
    left, right = sorted(org_svgs(box), key=lambda s: "Team 1" in s)
    for unit in ("policy", "billing", "claims", "underwriting", "legal"):
        assert f">{unit}<" in left
    assert all(f">Team {i}<" in right for i in range(1, 5))
    person = 'stroke="#222" stroke-width="1.3"'  # every employee's mark, whatever its shape
    assert left.count(person) == 40 and right.count(person) == 40
    assert chart_png(box).startswith(PNG)
    assert "What to watch for:" in text
    for lever in ("Load: 205 requests/day (100%)", "Handoff delay: 0.5 h", "Manager support: 0.5"):
        assert lever in text


def test_step_advances_both_sides_one_hour_and_redraws(box):
    views, chart = org_svgs(box), chart_png(box)
    button(box, "Step 1 h").click()
    assert status(box) == "Day 1, 10:00"
    assert org_svgs(box) != views
    assert chart_png(box) != chart
    for _ in range(7):
        button(box, "Step 1 h").click()
    assert status(box) == "Day 2, 09:00"  # a working day is 8 hours; nights do not exist


def test_reset_replays_the_same_customers(box):
    button(box, "Step 1 h").click()
    after_one_hour = org_svgs(box)
    button(box, "Step 1 h").click()
    button(box, "Reset").click()
    assert status(box) == "Day 1, 09:00"
    button(box, "Step 1 h").click()
    assert org_svgs(box) == after_one_hour
    button(box, "New customers").click()
    button(box, "Step 1 h").click()
    assert org_svgs(box) != after_one_hour


def test_a_lever_acts_on_both_sides_from_now_on(box):
    for _ in range(3):
        button(box, "Step 1 h").click()
    load_slider(box).v_model = 246.0  # what the browser sends when the slider moves
    assert "Load: 246 requests/day (120%)" in texts(box)
    assert status(box) == "Day 1, 12:00"  # the class goes on where it was
    button(box, "Step 1 h").click()
    assert status(box) == "Day 1, 13:00"


def test_play_then_pause(box):
    button(box, "Play").click()
    deadline = time.monotonic() + 20
    while status(box) == "Day 1, 09:00" and time.monotonic() < deadline:
        time.sleep(0.1)
    button(box, "Pause").click()
    time.sleep(0.3)  # a frame in flight may still land
    paused = status(box)
    assert paused != "Day 1, 09:00"
    time.sleep(0.5)
    assert status(box) == paused
    assert "Play" in texts(box)


def test_each_browser_gets_its_own_organisations():
    first, rc1 = solara.render(Page(), handle_error=False)
    second, rc2 = solara.render(Page(), handle_error=False)
    try:
        button(first, "Step 1 h").click()
        assert status(first) == "Day 1, 10:00"
        assert status(second) == "Day 1, 09:00"
    finally:
        rc1.close()
        rc2.close()


LESSON = """\
# Handoffs hurt: what a slow transfer does to customers.
#
# The organisation: the insurer of the presets.
# This lesson: every handoff takes two hours.
#
# What to watch for: the functional side's resolution time climbs; the teams barely notice.

"""


@pytest.fixture
def lesson_dir(tmp_path, monkeypatch):
    """A scenarios/lessons/ with a good lesson and a broken one."""
    preset = (ROOT / "scenarios" / "functional.toml").read_text(encoding="utf-8")
    body = preset.replace("handoff_delay_hours = 0.5", "handoff_delay_hours = 2.0")
    (tmp_path / "a-handoffs.toml").write_text(LESSON + body, encoding="utf-8")
    broken = body.replace("requests_per_day = 205", "requests_per_day = -3")
    (tmp_path / "b-broken.toml").write_text("# A broken lesson.\n" + broken, encoding="utf-8")
    monkeypatch.setattr(classroom, "list_lessons", lambda: lessons.list_lessons(tmp_path))
    return tmp_path


def test_lesson_picker_opens_a_lesson_with_its_explanation(lesson_dir):
    box, rc = solara.render(Page(), handle_error=False)
    try:
        picker = rc.find(v.Select, label="Lesson").widget
        assert [i for i in picker.items] == [
            "Silos or teams? The two presets",
            "Handoffs hurt: what a slow transfer does to customers",
            "A broken lesson",
        ]
        button(box, "Step 1 h").click()
        picker.v_model = "Handoffs hurt: what a slow transfer does to customers"
        text = texts(box)
        assert status(box) == "Day 1, 09:00"
        assert "the functional side's resolution time climbs" in text
        assert "Handoff delay: 2 h" in text
        # Left: the lesson as written (functional); right: the same in cross-functional teams.
        assert "Functional departments" in text and "Cross-functional teams" in text
        button(box, "About this lesson").click()
        assert "every handoff takes two hours" in texts(box)
    finally:
        rc.close()


def test_a_broken_lesson_shows_its_problems_and_the_class_goes_on(lesson_dir):
    box, rc = solara.render(Page(), handle_error=False)
    try:
        button(box, "Step 1 h").click()
        rc.find(v.Select, label="Lesson").widget.v_model = "A broken lesson"
        text = texts(box)
        assert "cannot be opened" in text and "requests_per_day" in text
        assert status(box) == "Day 1, 10:00"  # still the presets, where they were
        button(box, "Step 1 h").click()
        assert status(box) == "Day 1, 11:00"
    finally:
        rc.close()


def test_missing_presets_show_an_error_not_a_traceback(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    (tmp_path / "scenarios" / "cross-functional.toml").unlink()
    monkeypatch.setattr(lessons, "scenarios_dir", lambda: tmp_path / "scenarios")
    box, rc = solara.render(Page(), handle_error=False)
    try:
        assert "file not found" in texts(box)
    finally:
        rc.close()
