"""The classroom's engine without any page: the lineup of organisations, their levers, big
numbers and charts, and the asset list."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from sim.dashboard import assets
from sim.dashboard.classroom.charts import WINDOW_DAYS, LiveCharts, nice_ceiling, window
from sim.dashboard.classroom.lessons import list_lessons, load_lesson
from sim.dashboard.classroom.lineup import (
    CLASSROOM_DAYS,
    LEVERS,
    SAMPLE_HOURS,
    SCORES,
    Levers,
    Lineup,
    classroom_scenario,
    retuned,
    versus,
)
from sim.dashboard.classroom.orgview import org_svg
from sim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]


def lesson(number: int):
    return load_lesson(next(i for i in list_lessons() if i.number == number))


@pytest.fixture(scope="module")
def silos():
    """Lesson 0: departments with costly handoffs against the same people in teams."""
    return lesson(0)


def make(opened) -> Lineup:
    return Lineup(opened.sides, opened.labels)


def test_the_class_starts_after_the_warm_up_with_every_side_on_the_same_customers():
    managers = lesson(4)  # three sides
    lineup = make(managers)
    frame = lineup.frame()
    assert len(frame.sides) == 3 and frame.time == frame.start == 5 * 8.0
    assert frame.day == 6 and frame.clock == "09:00"
    assert all(side.open > 0 for side in frame.sides)  # the queues are not empty at the start
    assert all(side.closed == 0 for side in frame.sides)  # nothing counted before the start
    lineup.advance(16.0)
    models = [t.model for t in lineup.pair]
    assert len({m.time for m in models}) == 1
    assert len({m.arrived for m in models}) == 1  # common random numbers: the same arrivals


def test_charts_are_sampled_on_a_fixed_grid_whatever_the_frame_size(silos):
    coarse, fine = make(silos), make(silos)
    coarse.advance(2.0)
    for _ in range(20):
        fine.advance(0.1)
    a, b = coarse.frame().sides[0].series, fine.frame().sides[0].series
    assert len(a["day"]) == 1 + round(2.0 / SAMPLE_HOURS)
    for key in a:
        assert a[key].tolist() == pytest.approx(b[key].tolist(), nan_ok=True)


def test_requests_in_transfer_are_counted_and_drawn(silos):
    """With a working day per handoff most open requests of the departments are between two
    of them: counted per unit they are going to, and drawn as blocks in its box."""
    frame = make(silos).advance(3 * 8.0)
    departments, teams = frame.sides
    for side in frame.sides:
        assert side.open == side.queued + side.in_service + side.in_transfer + side.away
        assert side.in_service >= 0
        assert side.in_transfer == sum(u.arriving for u in side.units)
        assert side.queued == sum(u.queue for u in side.units)
    assert departments.in_transfer > departments.queued and departments.in_transfer > 30
    assert teams.in_transfer < departments.in_transfer / 3
    assert departments.flows and len(departments.flows) > len(teams.flows)
    svg = org_svg(departments, frame.time, "left")
    for unit in departments.units:
        assert f">{unit.arriving} in transfer<" in svg and f">{unit.queue} waiting<" in svg


def test_levers_keep_each_sides_own_values_and_move_them_together():
    handoffs = lesson(1)  # 0.1 h against 8 h
    bases = tuple(Levers.of(s) for s in handoffs.sides)
    assert [b.handoff_delay_hours for b in bases] == [0.1, 8.0]
    delay = next(x for x in LEVERS if x.name == "handoff_delay_hours")
    moved = retuned(bases, bases, "handoff_delay_hours", 2.1)
    assert [m.handoff_delay_hours for m in moved] == pytest.approx([2.1, 10.0])
    assert delay.position(bases, moved) == pytest.approx(2.1)
    floor = retuned(bases, moved, "handoff_delay_hours", 0.0)
    assert [m.handoff_delay_hours for m in floor] == pytest.approx([0.0, 7.9])
    back = retuned(bases, floor, "handoff_delay_hours", 0.1)
    assert back == bases  # the lesson's own contrast, exactly

    metrics = lesson(3)  # customer metric weight 0.1 against 0.9
    bases = tuple(Levers.of(s) for s in metrics.sides)
    up = retuned(bases, bases, "customer_metric_weight", 0.5)
    assert [m.customer_metric_weight for m in up] == pytest.approx([0.5, 1.0])  # at most 1
    load = retuned(bases, up, "requests_per_day", 1.2)
    assert [m.requests_per_day for m in load] == pytest.approx([246, 246])
    assert [m.customer_metric_weight for m in load] == pytest.approx([0.5, 1.0])  # kept


def test_a_lesson_contrast_survives_the_levers_and_plays():
    """Lesson 3 showed the same numbers on both sides, to the last digit, when the left side's
    levers were applied to both."""
    metrics = lesson(3)
    lineup = make(metrics)
    assert [s.model.config.policies.customer_metric_weight for s in lineup.pair] == [0.1, 0.9]
    frame = lineup.advance(2 * 8.0)
    local, customer = frame.sides
    assert local.scores["resolution_hours"].since_start != pytest.approx(
        customer.scores["resolution_hours"].since_start
    )
    assert local.away > customer.away  # local metrics: more customers must call back


def test_retuned_levers_act_from_now_on_on_every_side(silos):
    lineup = make(silos)
    lineup.advance(8.0)
    before = [t.model.arrived for t in lineup.pair]
    busier = tuple(
        replace(x, requests_per_day=2 * x.requests_per_day, help_across_units=0.0)
        for x in lineup.levers
    )
    frame = lineup.retune(busier)
    assert frame.time == lineup.frame().start + 8.0  # nothing replayed
    for tracker in lineup.pair:
        assert tracker.model.config.demand.requests_per_day == 340
        assert tracker.model.help_probability == 0.0
    lineup.advance(8.0)
    after = [t.model.arrived - b for t, b in zip(lineup.pair, before, strict=True)]
    assert after[0] == after[1]  # still the same customers on both sides
    bad = tuple(replace(x, help_across_units=3.0) for x in lineup.levers)  # a probability
    with pytest.raises(ScenarioError) as caught:
        lineup.retune(bad)
    assert any("help_across_units" in p for p in caught.value.problems)
    assert lineup.levers == busier


def test_reset_replays_and_new_levers_restart(silos):
    lineup = make(silos)
    first = lineup.advance(4.0)
    lineup.reset()
    again = lineup.advance(4.0)
    assert again.sides[0].series["backlog"].tolist() == first.sides[0].series["backlog"].tolist()
    slower = tuple(replace(x, handoff_delay_hours=1.0) for x in lineup.levers)
    restarted = lineup.configure(levers=slower)
    assert restarted.time == restarted.start
    assert lineup.pair[0].model.config.policies.handoff_delay_hours == 1.0


def test_big_numbers_since_the_start_and_the_last_day(silos):
    lineup = make(silos)
    frame = lineup.advance(4 * 8.0)
    for side, tracker in zip(frame.sides, lineup.pair, strict=True):
        log = tracker.model.requests.since(0, ("closed", "arrived", "abandoned", "csat"))
        closed = len(log)
        assert side.closed == closed > 400  # 170 a day for 4 days, the slow ones still open
        resolved = [c - a for c, a, gave_up, _ in log if not gave_up]
        assert side.scores["resolution_hours"].since_start == pytest.approx(
            sum(resolved) / len(resolved)
        )
        assert side.scores["csat"].since_start == pytest.approx(sum(r[3] for r in log) / closed)
        gave_up = sum(r[2] for r in log) / closed
        assert side.scores["abandoned"].since_start == pytest.approx(gave_up)
        for key in SCORES:
            assert len(side.scores[key].daily) == 4  # the four finished days of the class
            assert math.isfinite(side.scores[key].last_day)


def test_a_difference_is_called_clear_only_above_the_day_to_day_noise(silos):
    """Departments with costly handoffs against teams: clearly slower within two weeks. The
    placebo (the same organisation twice, the same customers) never reads as a difference."""
    lineup = make(silos)
    frame = lineup.advance(10 * 8.0)
    departments, teams = frame.sides
    d = versus(departments, teams, "resolution_hours")
    assert d.clear and d.diff > 0 and d.n == 10
    same = Lineup([silos.sides[0], silos.sides[0]], ["A", "B"]).advance(10 * 8.0)
    for key in SCORES:
        assert not versus(same.sides[1], same.sides[0], key).clear


def test_the_classroom_keeps_customers_coming():
    s = classroom_scenario(
        load_scenario(ROOT / "scenarios" / "functional.toml"),
        Levers(100, 1.0, 0.2, 0.9, 0.1),
    )
    assert s.run.days == CLASSROOM_DAYS and s.run.warmup_days == 5
    assert s.demand.requests_per_day == 100 and s.policies.customer_metric_weight == 0.9
    assert s.managers.support == 0.1


def test_the_time_axis_rolls(silos):
    lineup = make(silos)
    first = lineup.frame()
    assert window(first) == (5.0, 5.0 + WINDOW_DAYS)
    late = lineup.advance(30 * 8.0)
    low, high = window(late)
    assert high - low == WINDOW_DAYS and low < late.time / 8.0 < high and low > 5.0
    assert nice_ceiling(0.7) == 0.8 and math.isclose(nice_ceiling(0.031), 0.04)
    charts = LiveCharts()
    png = charts.render(late)
    assert png.startswith(b"\x89PNG") and charts.render(lineup.advance(2.0)) != png
    assert charts.axes[0].get_xlim() == (low, high)


def test_the_offline_assets_are_what_the_dashboard_needs():
    needed = assets.needed()
    assert any(s.startswith("@widgetti/solara-vuetify-app@") for s in needed)
    assert any(s.startswith("requirejs@") for s in needed)
    assert not any(s.startswith(("vega", "echarts@")) for s in needed)
    assert set(needed) < set(assets.needed(everything=True))


def test_the_default_lesson_shows_the_silo_effect_within_two_minutes_of_play(silos):
    """At the page's default speed, two minutes of play are 240 working hours: by then the
    departments' resolution time must differ from the teams' by more than the day-to-day
    noise, the slower way (what the trainer is there to show). In simulated time, so load on
    the machine cannot change the answer; the benchmark measures the wall time."""
    from sim.dashboard.classroom.page import DEFAULT_SPEED, SPEEDS

    lineup = make(silos)
    budget = SPEEDS[DEFAULT_SPEED] * 120
    played = 0.0
    while played < budget:
        frame = lineup.advance(1.0)
        played += 1.0
        departments, teams = frame.sides
        if versus(teams, departments, "resolution_hours").clear:
            break
    d = versus(teams, departments, "resolution_hours")
    assert d.clear and d.diff < 0, (played, d)
    assert played <= budget / 2  # with room to spare
