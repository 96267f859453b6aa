"""The lesson format (a ``[lesson]`` table in each file of scenarios/lessons/), checked on
every file there; the lessons as the classroom opens them; numbers measured, never typed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sim.runner
from sim.dashboard.classroom import lessons
from sim.dashboard.classroom.lessons import (
    WITHOUT_EVENTS,
    fields,
    lesson_problems,
    lesson_text,
    list_lessons,
    load_lesson,
)
from sim.dashboard.classroom.lineup import SCORE_KPIS, Lineup
from sim.runner import run
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "scenarios" / "lessons"
SMALL = ROOT / "tests" / "data" / "cli" / "small.toml"


def test_every_lesson_file_follows_the_format():
    assert lesson_problems(LESSONS) == []
    files = sorted(LESSONS.glob("*.toml"))
    for path in files:
        assert load_scenario(path).lesson is not None, path  # `sim validate` accepts the table
    listed = list_lessons(LESSONS)
    assert [i.number for i in listed] == list(range(7))
    assert sorted(p for i in listed for p in i.paths) == files  # every file is in a lesson


def test_every_lesson_opens_with_all_its_sides():
    sides = {i.number: load_lesson(i) for i in list_lessons(LESSONS)}
    assert [len(lesson.sides) for lesson in sides.values()] == [2, 2, 2, 2, 3, 2, 2]
    trio = sides[4]  # "too many meetings" is the third side, not dropped
    assert trio.labels == ("No encounters", "2 encounters a week", "10 encounters a week")
    assert [s.managers.encounters_per_week for s in trio.sides] == [0, 2, 10]
    reorganisation = sides[5]  # one file: without its reorganisation, and with it
    assert reorganisation.labels[0] == WITHOUT_EVENTS
    assert not reorganisation.sides[0].events and reorganisation.sides[1].events
    for lesson in sides.values():
        assert lesson.watch and lesson.why and "{" in lesson.watch
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", lesson_text(lesson, lesson.watch, False)), (
            "written for a room: no key names outside the measured numbers"
        )


def test_numbers_in_a_lesson_are_measured(tmp_path):
    """A lesson's numbers come from runs of its sides (with their own seed), so they follow
    the model; a value that does not exist reads as the catalogue says."""
    small = SMALL.read_text(encoding="utf-8")
    watch = (
        "Left {a.resolution_hours_mean:.2f} h, right {b.resolution_hours_mean:.2f} h; "
        "CSAT {b.csat_mean}; paid back on day {b.reorg_crossover_day:.0f}."
    )
    (tmp_path / "one.toml").write_text(
        small + f'\n[lesson]\nnumber = 1\ntitle = "T"\nsides = ["one.toml", "two.toml"]\n'
        f'side = "One"\nwatch = "{watch}"\nwhy = "Because."\n',
        encoding="utf-8",
    )
    (tmp_path / "two.toml").write_text(
        small + "\n[policies]\nhandoff_delay_hours = 4.0\n"
        '\n[lesson]\nnumber = 1\ntitle = "T"\nsides = ["one.toml", "two.toml"]\nside = "Two"\n',
        encoding="utf-8",
    )
    assert lesson_problems(tmp_path) == []
    lesson = load_lesson(list_lessons(tmp_path)[0])
    expected = [run(s, seed=s.run.seed).kpis for s in lesson.sides]
    text = lesson_text(lesson, lesson.watch)
    assert text == (
        f"Left {expected[0]['resolution_hours_mean']:.2f} h, "
        f"right {expected[1]['resolution_hours_mean']:.2f} h; "
        f"CSAT {expected[1]['csat_mean']:.2f}; paid back on day never."
    )
    assert lesson_text(lesson, lesson.watch, measure=False).startswith("Left … h, right … h")


def test_a_lesson_left_before_its_numbers_are_measured_runs_no_more_sides(tmp_path):
    """A trainer leafing through lessons leaves no queue of runs behind: once the lesson is
    no longer wanted (the class has moved on), the sides not yet run are not run, and their
    numbers stay '…'."""
    small = SMALL.read_text(encoding="utf-8").replace("seed = 3", "seed = 9173")  # not cached
    table = '\n[lesson]\nnumber = 1\ntitle = "T"\nsides = ["one.toml", "two.toml"]\n'
    watch = "Left {a.csat_mean:.2f}, right {b.csat_mean:.2f}."
    (tmp_path / "one.toml").write_text(
        small + table + f'side = "One"\nwatch = "{watch}"\nwhy = "Because."\n', encoding="utf-8"
    )
    (tmp_path / "two.toml").write_text(
        small + "\n[policies]\nhandoff_delay_hours = 4.0\n" + table + 'side = "Two"\n',
        encoding="utf-8",
    )
    lesson = load_lesson(list_lessons(tmp_path)[0])
    answers = iter([True, False])  # still open for the first side, then left
    runs = lessons._side_kpis.cache_info().misses
    text = lesson_text(lesson, lesson.watch, wanted=lambda: next(answers))
    assert lessons._side_kpis.cache_info().misses == runs + 1  # the first side only
    first = run(lesson.sides[0], seed=lesson.sides[0].run.seed).kpis
    assert text == f"Left {first['csat_mean']:.2f}, right …."


def test_a_reorganisation_lesson_measures_its_counterfactual_once(tmp_path, monkeypatch):
    """Lesson 5's left side is the organisation without the switch on the same seed: the right
    side's counterfactual, taken from the left side's run instead of run again, with the same
    numbers as each side run on its own."""
    text = (LESSONS / "reorganisation.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^days = 80", "days = 20", re.sub(r"(?m)^day = 20", "day = 10", text))
    (tmp_path / "reorganisation.toml").write_text(text, encoding="utf-8")
    lesson = load_lesson(list_lessons(tmp_path)[0])
    assert [s.run.days for s in lesson.sides] == [20, 20]
    alone = [run(s, seed=s.run.seed).kpis for s in lesson.sides]
    built = []

    class Counted(sim.runner.OrgModel):
        def __init__(self, scenario, *args, **kwargs):
            built.append(scenario)
            super().__init__(scenario, *args, **kwargs)

    monkeypatch.setattr(sim.runner, "OrgModel", Counted)
    lessons._side_kpis.cache_clear()  # measured afresh whatever ran before
    lessons._counterfactuals.clear()
    shown = lesson_text(lesson, lesson.watch)
    assert len(built) == 2  # one run a side
    assert shown == lesson.watch.format(a=lessons._Side(alone[0]), b=lessons._Side(alone[1]))
    assert "…" not in shown


def test_lesson_mistakes_are_one_line_each(tmp_path):
    small = SMALL.read_text(encoding="utf-8")

    def lesson(name: str, table: str) -> None:
        (tmp_path / name).write_text(small + "\n[lesson]\n" + table, encoding="utf-8")

    lesson("a.toml", 'number = 1\ntitle = "A"\nsides = ["a.toml", "b.toml"]\nside = "A"\n'
           'watch = "{c.csat_mean} {a.csat_maen}"\nwhy = "x"\n')  # fmt: skip
    lesson("b.toml", 'number = 1\ntitle = "B"\nsides = ["a.toml", "b.toml"]\nside = "B"\n'
           'watch = "not here"\n')  # fmt: skip
    lesson("c.toml", 'number = 2\ntitle = "C"\nsides = ["c.toml", "gone.toml"]\nside = "C"\n'
           'watch = "{a.csat_mean"\nwhy = "y"\n')  # fmt: skip
    lesson("d.toml", 'number = "three"\ntitle = "D"\nsides = ["d.toml"]\nside = "D"\n')
    (tmp_path / "e.toml").write_text(small, encoding="utf-8")
    problems = lesson_problems(tmp_path)
    expected = [
        r"a\.toml: lesson: number, title and sides differ from b\.toml's",
        r"a\.toml: lesson\.watch: \{c\.…\} is not a side \(allowed: ab\)",
        r"a\.toml: lesson\.watch: \{a\.csat_maen\}: 'csat_maen' is not a KPI",
        r"b\.toml: lesson: watch and why belong in the lesson's first file, a\.toml",
        r"c\.toml: lesson\.sides: gone\.toml is not a lesson file",
        r"c\.toml: lesson\.watch: .*braces paired",
        r"d\.toml: lesson\.number: .*",
        r"e\.toml: no \[lesson\] table",
    ]
    for pattern in expected:
        assert any(re.search(pattern, p) for p in problems), (pattern, problems)
    assert len(problems) == len(expected) + 1  # b.toml also differs from a.toml
    assert fields("x {a.fcr:.0%} y") == [("a", "fcr")]


def test_a_file_without_a_lesson_is_shown_in_departments_and_in_its_own_structure(tmp_path):
    matrix = (ROOT / "scenarios" / "matrix.toml").read_text(encoding="utf-8")
    (tmp_path / "pools.toml").write_text(matrix, encoding="utf-8")
    (info,) = list_lessons(tmp_path)
    lesson = load_lesson(info)
    assert info.title == "Pools" and info.number is None
    assert [s.structure.kind for s in lesson.sides] == ["functional", "matrix"]
    assert lesson.labels == ("Functional departments", "Matrix (teams + pools)")


@pytest.mark.slow  # a study reproduction: the lesson's own 80-day run (the J-curve mechanism
# has fast tests in test_experiment.py)
@pytest.mark.parametrize("number", [5])
def test_lesson_5_says_its_numbers_for_a_room(number):
    """The J-curve lesson: its dip, recovery and pay-back measured, as `sim run` prints them."""
    lesson = load_lesson(next(i for i in list_lessons(LESSONS) if i.number == number))
    kpis = run(lesson.sides[1], seed=lesson.sides[1].run.seed).kpis
    text = lesson_text(lesson, lesson.watch)
    assert f"{kpis['reorg_dip']:.2f} times the hours" in text
    recovery = kpis["reorg_recovery_day"]
    assert f"on day: {'never' if recovery is None else f'{recovery:.0f}'}." in text
    assert "reorg_" not in text and "{" not in text


@pytest.mark.slow
@pytest.mark.parametrize("number", range(7))
def test_the_classroom_and_sim_compare_agree_in_direction(number):
    """Each lesson played in the classroom for the days of its files, levers untouched, tells
    the room what ``sim compare`` on the same files says: every big number that differs by more
    than 5% there (1 percentage point for the abandonment share) differs the same way on
    screen. It did not when one side's levers were applied to every side (lesson 3: the same
    numbers on both sides, against -54% resolution time in ``sim compare``)."""
    lesson = load_lesson(next(i for i in list_lessons(LESSONS) if i.number == number))
    seed = lesson.sides[0].run.seed
    compared = [run(s, seed=seed).kpis for s in lesson.sides]  # what `sim compare` prints
    lineup = Lineup(lesson.sides, lesson.labels)
    days = lesson.sides[0].run.days - lesson.sides[0].run.warmup_days
    frame = lineup.advance(days * lineup.hours_per_day)
    checked = 0
    for score, kpi in SCORE_KPIS.items():
        base = compared[0][kpi]
        for i in range(1, len(lesson.sides)):
            change = compared[i][kpi] - base
            big = abs(change) > (0.01 if score == "abandoned" else 0.05 * abs(base))
            if not big:
                continue
            shown = frame.sides[i].scores[score].since_start
            shown -= frame.sides[0].scores[score].since_start
            assert shown * change > 0, (lesson.labels[i], score, change, shown)
            checked += 1
    assert checked >= 1
