"""The classroom's engine without any page: the twin, lessons, charts and the asset list."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.dashboard import assets
from sim.dashboard.classroom.charts import LiveCharts, nice_ceiling
from sim.dashboard.classroom.lessons import (
    comment_block,
    list_lessons,
    load_lesson,
    split_watch_for,
)
from sim.dashboard.classroom.twin import (
    CLASSROOM_DAYS,
    SAMPLE_HOURS,
    Levers,
    Twin,
    classroom_scenario,
)
from sim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def presets():
    return load_lesson(list_lessons()[0])


def make_twin(lesson) -> Twin:
    return Twin(lesson.left, lesson.right, ("left", "right"))


def test_both_sides_see_the_same_customers(presets):
    twin = make_twin(presets)
    twin.advance(16.0)
    left, right = (t.model for t in twin.pair)
    assert left.time == right.time == 16.0
    assert left.arrived == right.arrived > 300  # common random numbers: same arrivals
    assert [u.name for u in left.units] == [
        "policy",
        "billing",
        "claims",
        "underwriting",
        "legal",
    ]
    assert len(right.units) == 4


def test_charts_are_sampled_on_a_fixed_grid_whatever_the_frame_size(presets):
    coarse, fine = make_twin(presets), make_twin(presets)
    coarse.advance(2.0)
    for _ in range(20):
        fine.advance(0.1)
    a, b = coarse.frame().left.series, fine.frame().left.series
    assert len(a["day"]) == 1 + round(2.0 / SAMPLE_HOURS)
    for key in a:
        assert a[key].tolist() == pytest.approx(b[key].tolist(), nan_ok=True)


def test_handoffs_are_seen_between_units(presets):
    twin = make_twin(presets)
    frame = twin.advance(8.0)
    units = len(frame.left.units)
    assert frame.left.handoffs > 0 and frame.left.flows
    for source, target, count, fresh in frame.left.flows:
        assert 0 <= source < units and 0 <= target < units and source != target
        assert count >= 1 and 0 < fresh <= 1
    assert frame.left.handoffs > frame.right.handoffs  # departments hand off, teams rarely


def test_reset_replays_and_levers_restart(presets):
    twin = make_twin(presets)
    first = twin.advance(4.0)
    twin.reset()
    again = twin.advance(4.0)
    assert again.left.series["backlog"].tolist() == first.left.series["backlog"].tolist()
    busier = twin.configure(levers=Levers(300, 0.5, 0.3, 0.5, 0.5))
    assert busier.time == 0.0 and twin.levers.requests_per_day == 300
    assert twin.pair[0].model.config.demand.requests_per_day == 300


def test_retuned_levers_act_from_now_on_on_both_sides(presets):
    twin = make_twin(presets)
    twin.advance(8.0)
    before = [t.model.arrived for t in twin.pair]
    frame = twin.retune(Levers(410, 2.0, 0.0, 0.9, 1.0))  # twice the load, costly handoffs
    assert frame.time == 8.0  # nothing replayed
    for tracker in twin.pair:
        config = tracker.model.config
        assert config.demand.requests_per_day == 410
        assert config.policies.handoff_delay_hours == 2.0
        assert tracker.model.help_probability == 0.0
        assert all(u.manager.support == 1.0 for u in tracker.model.units)
    twin.advance(8.0)
    after = [t.model.arrived - b for t, b in zip(twin.pair, before, strict=True)]
    assert after[0] == after[1]  # still the same customers on both sides
    assert after[0] > 1.5 * before[0]  # and twice as many of them per hour
    with pytest.raises(ScenarioError):
        twin.retune(Levers(205, 0.5, 3.0, 0.5, 0.5))
    assert twin.levers.requests_per_day == 410 and twin.frame().time == 16.0


def test_a_bad_lever_raises_and_changes_nothing(presets):
    twin = make_twin(presets)
    twin.advance(2.0)
    bad = Levers(205, 0.5, 3.0, 0.5, 0.5)  # help is a probability
    with pytest.raises(ScenarioError) as caught:
        twin.configure(levers=bad)
    assert any("help_across_units" in p for p in caught.value.problems)
    assert twin.levers.help_across_units == 0.3 and twin.frame().time == 2.0


def test_the_classroom_keeps_customers_coming_and_counts_them_all():
    s = classroom_scenario(
        load_scenario(ROOT / "scenarios" / "functional.toml"),
        Levers(100, 1.0, 0.2, 0.9, 0.1),
    )
    assert s.run.days == CLASSROOM_DAYS and s.run.warmup_days == 0
    assert s.demand.requests_per_day == 100 and s.policies.customer_metric_weight == 0.9
    assert s.managers.support == 0.1


def test_comment_block_and_what_to_watch_for():
    text = (
        "\n# Title line. More.\n#\n# The organisation: forty people\n# in five units.\n"
        "# This structure: departments.\n#\n# What to watch for: the queues.\nname = 'x'\n# no\n"
    )
    paragraphs = comment_block(text)
    assert paragraphs == [
        "Title line. More.",
        "The organisation: forty people in five units.",
        "This structure: departments.",
        "What to watch for: the queues.",
    ]
    rest, watch = split_watch_for(paragraphs)
    assert watch == "the queues." and len(rest) == 3


def test_a_functional_lesson_is_shown_against_its_teams(tmp_path):
    preset = (ROOT / "scenarios" / "matrix.toml").read_text(encoding="utf-8")
    (tmp_path / "matrix-lesson.toml").write_text("# Pools.\n" + preset, encoding="utf-8")
    info = list_lessons(tmp_path)[1]
    lesson = load_lesson(info)
    assert info.title == "Pools"
    assert lesson.left.structure.kind == "functional"
    assert lesson.right.structure.kind == "matrix"


def test_nice_ceilings_and_charts_render(presets):
    assert [nice_ceiling(x) for x in (0.0, 0.7, 1.0, 1.1, 7.2, 130)] == [1, 0.8, 1, 1.5, 8, 150]
    assert math.isclose(nice_ceiling(0.031), 0.04)
    charts = LiveCharts()
    twin = make_twin(presets)
    first = charts.render(twin.frame())
    second = charts.render(twin.advance(3.0))
    assert first.startswith(b"\x89PNG") and second != first


def test_the_offline_assets_are_what_the_dashboard_needs():
    needed = assets.needed()
    assert any(s.startswith("@widgetti/solara-vuetify-app@") for s in needed)
    assert any(s.startswith("requirejs@") for s in needed)
    assert not any(s.startswith(("vega", "echarts@")) for s in needed)
    assert set(needed) < set(assets.needed(everything=True))
