"""The classroom page's behaviour, rendered without a browser (`solara.render`): fast.

What the browser adds (the front end loads offline, sliders respond to the keyboard, the page
fits a projector) is in test_classroom_e2e.py.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import ipyvuetify as v
import ipywidgets as w
import pytest
import solara
import solara.widgets
from conftest import all_widgets, button, buttons, texts, wait_until

from sim.dashboard.classroom import lessons
from sim.dashboard.classroom import page as classroom
from sim.dashboard.classroom.lineup import Lineup
from sim.dashboard.classroom.page import Page

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG"
START = "Day 6, 09:00"
"""Lesson 0 starts after its five warm-up days."""


def status(box) -> str:
    match = re.search(r"Day \d+, \d\d:\d\d", texts(box))
    assert match, "no status line"
    return match.group(0)


def org_svgs(box) -> list[str]:
    return [
        x.unsafe_innerHTML
        for x in all_widgets(box)
        if isinstance(x, solara.widgets.HTML) and "org-svg" in (x.unsafe_innerHTML or "")
    ]


def chart_png(box) -> bytes:
    (image,) = [x for x in all_widgets(box) if isinstance(x, w.Image)]
    return bytes(image.value)


def slider(box, name: str) -> v.Slider:
    sliders = [x for x in all_widgets(box) if isinstance(x, v.Slider)]
    assert len(sliders) == 5, "five levers"
    return sliders[[lever.name for lever in classroom.LEVERS].index(name)]


def measured(box) -> bool:
    """The lesson's numbers are measured (until then '…'; they are measured in a thread)."""
    return any(
        "What to watch for" in html and "…" not in html
        for x in all_widgets(box)
        if isinstance(x, solara.widgets.HTML) and (html := x.unsafe_innerHTML or "")
    )


@pytest.fixture
def box():
    before = set(threading.enumerate())
    box, rc = solara.render(Page(), handle_error=False)
    # While a page's thread renders (the lesson's numbers are measured in one), a click's render
    # is left to that thread, and may land after the click returns: wait until they are done.
    wait_until(lambda: measured(box), 120, "the lesson's numbers")
    wait_until(lambda: not set(threading.enumerate()) - before, 30, "the page's threads to end")
    yield box
    rc.close()


def test_first_view_shows_the_organisations_with_full_queues(box):
    text = texts(box)
    assert status(box) == START
    assert "Functional departments" in text and "Cross-functional teams" in text
    left, right = org_svgs(box)
    for unit in ("policy", "billing", "claims", "underwriting", "legal"):
        assert f">{unit}<" in left
    assert all(f">Team {i}<" in right for i in range(1, 5))
    person = 'stroke="#222" stroke-width="1.3"'  # every employee's mark, whatever its shape
    assert left.count(person) == 40 and right.count(person) == 40
    assert chart_png(box).startswith(PNG)
    assert "What to watch for:</b> The same 40 people" in text
    (picker,) = [x for x in all_widgets(box) if isinstance(x, v.Select)]
    assert picker.v_model == "Lesson 0: Silos or teams?"
    for lever in ("Load: 170 requests/day (100%)", "Handoff delay: 8 h", "Manager support: 0.5"):
        assert lever in text
    assert re.search(r"\d+ open: \d+ waiting · \d+ being served · .*\d+ in transfer", text)
    for name in ("Resolution time", "CSAT", "Gave up", "Handoffs/request"):
        assert name in text


def test_step_advances_every_side_one_hour_and_redraws(box):
    views, chart = org_svgs(box), chart_png(box)
    button(box, "Step 1 h").click()
    assert status(box) == "Day 6, 10:00"
    assert org_svgs(box) != views
    assert chart_png(box) != chart
    for _ in range(7):
        button(box, "Step 1 h").click()
    assert status(box) == "Day 7, 09:00"  # a working day is 8 hours; nights do not exist
    assert "last day" in texts(box)


def test_reset_replays_the_same_customers(box):
    button(box, "Step 1 h").click()
    after_one_hour = org_svgs(box)
    button(box, "Step 1 h").click()
    button(box, "Reset").click()
    assert status(box) == START
    button(box, "Step 1 h").click()
    assert org_svgs(box) == after_one_hour
    button(box, "New customers").click()
    button(box, "Step 1 h").click()
    assert org_svgs(box) != after_one_hour


def test_a_lever_acts_on_every_side_from_now_on(box):
    for _ in range(3):
        button(box, "Step 1 h").click()
    slider(box, "requests_per_day").v_model = 1.2  # what the browser sends when it moves
    assert "Load: 204 requests/day (120%)" in texts(box)
    assert status(box) == "Day 6, 12:00"  # the class goes on where it was
    button(box, "Step 1 h").click()
    assert status(box) == "Day 6, 13:00"


def playing_threads(monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    """Record the threads that advance the organisations (the play loop's, not the test's)."""
    threads: list[threading.Thread] = []
    advance = Lineup.advance

    def recorded(self: Lineup, hours: float):
        if threading.current_thread() is not threading.main_thread():
            threads.append(threading.current_thread())
        return advance(self, hours)

    monkeypatch.setattr(Lineup, "advance", recorded)
    return threads


def test_play_then_pause(box, monkeypatch):
    threads = playing_threads(monkeypatch)
    button(box, "Play").click()
    wait_until(lambda: status(box) != START, 30, "the clock to move")
    button(box, "Pause").click()
    # The frame being computed when Pause came is dropped: none lands after Pause.
    wait_until(lambda: buttons(box, "Play"), 10, "the Play button")
    paused = status(box)
    assert paused != START
    wait_until(lambda: not any(t.is_alive() for t in threads), 30, "the play thread to end")
    assert status(box) == paused and buttons(box, "Play")
    advances = len(threads)
    button(box, "Step 1 h").click()  # the page still answers, one hour at a time
    assert len(threads) == advances and status(box) != paused


def test_an_error_while_playing_is_shown_in_the_page(box, monkeypatch):
    def broken(self: Lineup, hours: float):
        raise RuntimeError("the model broke")

    monkeypatch.setattr(Lineup, "advance", broken)
    button(box, "Play").click()
    wait_until(lambda: "The simulation stopped: RuntimeError: the model broke" in texts(box), 30)
    wait_until(lambda: buttons(box, "Play"), 10, "playing to stop")
    assert status(box) == START
    monkeypatch.undo()
    button(box, "Reset").click()
    assert "The simulation stopped" not in texts(box)
    button(box, "Step 1 h").click()
    assert status(box) == "Day 6, 10:00"


def test_each_browser_gets_its_own_organisations():
    first, rc1 = solara.render(Page(), handle_error=False)
    second, rc2 = solara.render(Page(), handle_error=False)
    try:
        button(first, "Step 1 h").click()
        assert status(first) == "Day 6, 10:00"
        assert status(second) == START
    finally:
        rc1.close()
        rc2.close()


def test_a_lesson_opens_with_each_sides_own_lever_values_and_all_its_sides(box):
    picker = next(x for x in all_widgets(box) if isinstance(x, v.Select))
    assert picker.items[0] == "Lesson 0: Silos or teams?" and len(picker.items) == 7
    button(box, "Step 1 h").click()
    picker.v_model = "Lesson 1: The cost of handoffs"
    text = texts(box)
    assert status(box) == START
    assert "Handoffs cheap" in text and "Handoffs costly" in text
    assert re.search(r"Handoff delay: .*0\.1 h.*8 h", text)  # both sides' own values
    slider(box, "handoff_delay_hours").v_model = 1.1
    assert re.search(r"Handoff delay: .*1\.1 h.*9 h", texts(box))  # moved together
    picker.v_model = "Lesson 4: The manager who creates encounters"
    assert len(org_svgs(box)) == 3
    assert "10 encounters a week" in texts(box)
    button(box, "Why it happens").click()
    assert "Hansen 1999" in texts(box)


LESSON = """
[lesson]
number = 1
title = "Handoffs hurt"
sides = ["a-handoffs.toml"]
side = "Two hours a handoff"
watch = "The functional side's resolution time climbs; the teams barely notice."
why = "Every handoff takes two hours."
"""


@pytest.fixture
def lesson_dir(tmp_path, monkeypatch):
    """A scenarios/lessons/ with a good lesson (one file, no reorganisation: shown in
    departments and in teams) and a broken one."""
    preset = (ROOT / "scenarios" / "functional.toml").read_text(encoding="utf-8")
    body = preset.replace("handoff_delay_hours = 0.5", "handoff_delay_hours = 2.0")
    (tmp_path / "a-handoffs.toml").write_text(body + LESSON, encoding="utf-8")
    broken = body.replace("requests_per_day = 205", "requests_per_day = -3")
    (tmp_path / "b-broken.toml").write_text(broken, encoding="utf-8")
    monkeypatch.setattr(classroom, "list_lessons", lambda: lessons.list_lessons(tmp_path))
    return tmp_path


def test_a_broken_lesson_shows_its_problems_and_the_class_goes_on(lesson_dir):
    box, rc = solara.render(Page(), handle_error=False)
    try:
        picker = rc.find(v.Select, label="Lesson").widget
        assert list(picker.items) == ["Lesson 1: Handoffs hurt", "B broken"]
        assert "the teams barely notice" in texts(box) and "Handoff delay: 2 h" in texts(box)
        button(box, "Step 1 h").click()
        picker.v_model = "B broken"
        text = texts(box)
        assert "cannot be opened" in text and "requests_per_day" in text
        assert status(box) == "Day 6, 10:00"  # still the first lesson, where it was
        button(box, "Step 1 h").click()
        assert status(box) == "Day 6, 11:00"
    finally:
        rc.close()


def test_no_lessons_show_an_error_not_a_traceback(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    shutil.rmtree(tmp_path / "scenarios" / "lessons")
    monkeypatch.setattr(lessons, "scenarios_dir", lambda: tmp_path / "scenarios")
    box, rc = solara.render(Page(), handle_error=False)
    try:
        assert "There are no lessons" in texts(box)
    finally:
        rc.close()
