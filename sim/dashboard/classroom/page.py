"""The classroom: two or three organisations side by side, fed the same customers, live.

For trainers, on a projector. The lessons are the files of ``scenarios/lessons/`` (see
`lessons`); the first opens by default. Every side uses one seed (common random numbers), so
every difference on screen comes from what the sides differ in. Above each organisation, its
big numbers since the start and over the last working day, and, once it is larger than the
day-to-day noise, its difference from the left side. The levers keep each side's own values
and move them together (`lineup.LEVERS`), from the moment they move (`OrgModel.adjust`);
Reset replays the same customers from the start with the levers as they are.

The layout fits a projector: at 1280x720 the organisations and the charts are on screen
without scrolling; the lesson, its text and the levers sit in a column on the right.

Each browser gets its own organisations: they live in the page's component state (created
with `use_memo`), never at module level, where every visitor would share them.
"""

from __future__ import annotations

import functools
import math
import time
from html import escape

import reacton.ipywidgets as rw
import solara

from sim.dashboard.classroom.charts import NOTE, WINDOW_DAYS, LiveCharts
from sim.dashboard.classroom.lessons import (
    LessonInfo,
    OpenLesson,
    lesson_text,
    list_lessons,
    load_lesson,
)
from sim.dashboard.classroom.lineup import (
    LEVERS,
    SCORE_KPIS,
    Frame,
    Lever,
    Levers,
    Lineup,
    OrgView,
    retuned,
    versus,
)
from sim.dashboard.classroom.orgview import mark, org_svg
from sim.dashboard.palette import ACTIVITIES, HANDOFF, QUEUE, SIDE_DASHES, SIDES
from sim.kpi_catalogue import kpi_info
from sim.replications import Difference, reads_as_relative
from sim.scenario import ScenarioError

SPEEDS = {"½": 0.5, "1": 1.0, "2": 2.0, "4": 4.0, "8": 8.0, "16": 16.0}
"""Playback speed, in working hours per second of wall time."""
DEFAULT_SPEED = "2"
FRAME_SECONDS = 0.12
"""Shortest time between frames (at most about 8 updates a second)."""
MAX_FRAME_HOURS = 4.0
"""A slow frame never jumps more than this (keeps the picture readable under load)."""
MAX_DRAW_SECONDS = 10.0
"""The play loop waits at most this long for a frame to be drawn before it sets the next."""
STEP_HOURS = 1.0
SIDE_NAMES = ("left", "middle", "right")
CSS = """
.classroom { font-size: 15px; }
.classroom .speed .v-btn.v-btn { min-width: 40px !important; padding: 0 8px !important;
  font-size: 15px; }
.classroom .v-btn { text-transform: none; letter-spacing: 0; }
.classroom-main { flex: 1 1 760px; min-width: 0; }
.classroom-aside { flex: 0 0 330px; max-width: 100%; }
.classroom-side { flex: 1 1 0; min-width: 0; }
.org-view svg { max-height: calc(100vh - 515px); min-height: 120px; margin: 0 auto; }
.classroom-charts { display: block; width: 100%; max-height: calc(100vh - 495px);
  min-height: 170px; object-fit: contain; }
.side-places { font-size: 13px; color: #333; margin: 0 0 2px 2px; }
.scores { display: grid; grid-template-columns: repeat(auto-fit, minmax(98px, 1fr)); gap: 4px;
  margin: 2px 0 4px 0; }
.score { min-width: 0; background: #F5F7FA; border-radius: 5px;
  padding: 2px 6px; line-height: 1.15; }
.score-name { font-size: 12px; color: #444; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.score-value { font-size: clamp(22px, 1.9vw, 38px); font-weight: 700;
  font-variant-numeric: tabular-nums; white-space: nowrap; }
.score-last { font-size: 12px; color: #444; white-space: nowrap; }
.score-vs { font-size: 12px; color: #666; line-height: 1.1; }
.score-vs.better { color: #005a8c; font-weight: 700; }
.score-vs.worse { color: #b34700; font-weight: 700; }
.lever-label { font-size: 14px; font-weight: 600; }
.lesson-watch { font-size: 15px; line-height: 1.35; }
"""


# Levers ----------------------------------------------------------------------------------


def lever_text(lever: Lever, levers: tuple[Levers, ...], position: float) -> str:
    """'Handoff delay: ■ 0.1 h ■ 8 h' (one coloured mark per side) or one value when all
    sides have the same; the load also says how far it is from the lesson's own."""
    values = [getattr(side, lever.name) for side in levers]

    def shown(value: float) -> str:
        number = f"{value:.0f}" if lever.relative else f"{value:g}"
        return escape(f"{number} {lever.unit}".rstrip())

    if len({round(v, 9) for v in values}) == 1:
        text = shown(values[0])
    else:
        text = " ".join(
            f"<span style='color:{SIDES[i]}'>■</span>&nbsp;{shown(v)}" for i, v in enumerate(values)
        )
    if lever.relative:
        text += f" ({position:.0%})"
    return f"{escape(lever.label)}: {text}"


# Big numbers -----------------------------------------------------------------------------

SCORE_NAMES = {
    "resolution_hours": "Resolution time",
    "csat": "CSAT (1–5)",
    "abandoned": "Gave up",
    "handoffs_per_request": "Handoffs/request",
}
"""The big numbers' names (their values: `score_value`)."""


def score_value(score: str, value: float) -> str:
    if not math.isfinite(value):
        return "–"
    if score == "resolution_hours":
        return f"{value:.1f} h"
    if score == "abandoned":
        return f"{value:.1%}"
    return f"{value:.2f}"


def versus_text(d: Difference, score: str) -> tuple[str, str]:
    """(text, css class) of a side's difference from the left side: the amount and whether it
    is better or worse once it is clear, 'within the noise' until then."""
    if d.n < 3 or not math.isfinite(d.ci_low):
        return "vs left: too early", ""
    if not d.clear:
        return "≈ left (noise)", ""
    if score == "abandoned":
        amount = f"{100 * d.diff:+.1f} pp"
    elif score == "resolution_hours" and reads_as_relative(
        d.baseline_mean, d.baseline_mean + d.diff
    ):
        amount = f"{d.rel_pct:+.0f}%"
    else:
        amount = f"{d.diff:+.2f}" if score != "resolution_hours" else f"{d.diff:+.1f} h"
    better = kpi_info(SCORE_KPIS[score]).better
    word = "better" if (d.diff > 0) == (better > 0) else "worse"
    return f"{amount} vs left, {word}", f"{word} score-clear"


def scores_html(view: OrgView, left: OrgView | None) -> str:
    cells = []
    for score, name in SCORE_NAMES.items():
        s = view.scores[score]
        vs = "<div class='score-vs'>&nbsp;</div>"  # the left side: the same height
        if left is not None:
            text, css = versus_text(versus(view, left, score), score)
            vs = f"<div class='score-vs {css}'>{escape(text)}</div>"
        cells.append(
            f"<div class='score score-{score}'><div class='score-name'>{name}</div>"
            f"<div class='score-value'>{score_value(score, s.since_start)}</div>"
            f"<div class='score-last'>last day {score_value(score, s.last_day)}</div>{vs}</div>"
        )
    return f"<div class='scores'>{''.join(cells)}</div>"


# The session -----------------------------------------------------------------------------


class Session:
    """One browser's classroom: a lesson, its organisations and their charts."""

    def __init__(self, info: LessonInfo):
        self.lesson = load_lesson(info)
        self.bases = tuple(Levers.of(s) for s in self.lesson.sides)
        """The lesson's own lever values, per side (the levers move away from them)."""
        self.lineup = Lineup(self.lesson.sides, self.lesson.labels)
        self.charts = LiveCharts()

    @classmethod
    def start(cls, info: LessonInfo | None) -> Session | list[str]:
        """A session, or the problems that prevent one (shown instead of the page)."""
        if info is None:
            return ["There are no lessons: scenarios/lessons/ has no scenario files."]
        try:
            return cls(info)
        except ScenarioError as exc:
            return [f"The lesson '{info.title}' cannot be opened:", *exc.problems]

    def open(self, info: LessonInfo) -> Frame:
        """Switch lesson (raises `ScenarioError`, keeping the current one)."""
        lesson = load_lesson(info)
        frame = self.lineup.configure(
            scenarios=lesson.sides, labels=lesson.labels, seed=lesson.sides[0].run.seed
        )
        self.lesson, self.bases = lesson, tuple(Levers.of(s) for s in lesson.sides)
        return frame


# Components ------------------------------------------------------------------------------


@solara.component
def SideHeader(view: OrgView, side: int, left: OrgView | None):
    swatch = (
        f'<svg width="46" height="14" aria-hidden="true"><line x1="2" y1="7" x2="44" y2="7" '
        f'stroke="{SIDES[side]}" stroke-width="4" stroke-dasharray="{SIDE_DASHES[side]}"/></svg>'
    )
    places = (
        f"{view.open:,} open: {view.queued:,} waiting · {view.in_service:,} being served · "
        f"<b style='color:#7A3F66'>{view.in_transfer:,} in transfer</b> · {view.away:,} to "
        "call back"
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f'<div style="white-space:nowrap;overflow:hidden;text-overflow:ellipsis">{swatch} '
            f'<span style="font-size:19px;font-weight:700;margin-left:4px">'
            f"{escape(view.label)}</span></div>"
            f"<div class='side-places'>{places}</div>{scores_html(view, left)}"
        ),
        classes=["side-header"],
    )


@solara.component
def Legend():
    def item(picture: str, text: str) -> str:
        return (
            f'<span style="display:inline-flex;align-items:center;gap:5px;margin-right:14px">'
            f"{picture}{text}</span>"
        )

    items = [
        item(f'<svg width="16" height="16" aria-hidden="true">{mark(a, 8, 8, 6)}</svg>', text)
        for a, (_, _, text) in ACTIVITIES.items()
    ]
    items.append(
        item(
            f'<svg width="30" height="12" aria-hidden="true"><line x1="2" y1="6" x2="28" y2="6" '
            f'stroke="{HANDOFF}" stroke-width="4" stroke-dasharray="8 4"/></svg>',
            "handoffs in the last hour, with their number (over the units: to the right; "
            "under: to the left)",
        )
    )
    for fill, stroke, text in (
        (QUEUE, "#1F5F8B", "a request waiting in the unit's queue"),
        (HANDOFF, "#7A3F66", "a request in transfer to the unit (handed off, not arrived)"),
    ):
        item_svg = (
            f'<svg width="9" height="12" aria-hidden="true"><rect x="1" y="1" width="6" '
            f'height="10" fill="{fill}" stroke="{stroke}"/></svg>'
        )
        items.append(item(item_svg, text))
    solara.HTML(
        tag="div",
        unsafe_innerHTML="".join(items),
        style="font-size: 13px; display: flex; flex-wrap: wrap; row-gap: 2px",
        classes=["classroom-legend"],
    )


@solara.component
def Page():
    lessons = solara.use_memo(list_lessons, [])
    session = solara.use_memo(lambda: Session.start(lessons[0] if lessons else None), [])
    solara.Title("Classroom · silos or teams?")
    solara.Style(CSS)
    if isinstance(session, list):
        solara.Error("\n".join(session))
        return
    Classroom(session, lessons)


@solara.component
def Classroom(session: Session, lessons: list[LessonInfo]):
    lineup = session.lineup
    frame = solara.use_reactive(lineup.frame())
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    problems: solara.Reactive[list[str]] = solara.use_reactive([])
    failure = solara.use_reactive("")
    """What stopped the simulation, if anything did (shown until Reset)."""
    rate = solara.use_ref(0.0)
    """Updates per second while playing, smoothed, as measured here (server side)."""
    mounted = solara.use_ref(True)

    def watch_unmount():
        mounted.current = True

        def unmounted():  # the browser left (its kernel closed): stop playing
            mounted.current = False

        return unmounted

    solara.use_effect(watch_unmount, [])
    shown = solara.use_ref(0)
    """The id of the last frame the page has drawn (the play loop waits for it)."""

    drawing = frame.value.id

    def drawn() -> None:
        shown.current = drawing

    solara.use_effect(drawn, [drawing])

    def advanced(hours: float) -> Frame | None:
        """The organisations `hours` on; None after an error, which is shown in the page (and
        stops playing) instead of ending the play thread silently."""
        try:
            return lineup.advance(hours)
        except Exception as exc:  # whatever the model raises, the page must say so and live
            failure.set(f"The simulation stopped: {type(exc).__name__}: {exc}")
            playing.set(False)
            return None

    def step() -> None:
        if (next_frame := advanced(STEP_HOURS)) is not None:
            frame.set(next_frame)

    def play_loop():
        """Advance every organisation in real time until paused (runs in its own thread)."""
        last = time.monotonic()
        rate.current = 0.0
        first = True
        while playing.value and mounted.current and task.is_current():
            now = time.monotonic()
            if not first:  # frame to frame: what the browser sees
                fresh = 1.0 / max(now - last, 1e-6)
                rate.current = 0.8 * rate.current + 0.2 * fresh if rate.current else fresh
            first = False
            hours = min(SPEEDS[speed.value] * (now - last), MAX_FRAME_HOURS)
            last = now
            next_frame = advanced(hours)
            if next_frame is None or not (playing.value and task.is_current()):
                break  # failed, or paused while this frame was computed: show nothing after Pause
            frame.set(next_frame)  # renders the frame: in this thread, or in a click's render
            if next_frame.finished:
                playing.set(False)
            # A click's render (in another thread) draws the frames set meanwhile, and fails if
            # every pass finds a newer one (a loaded machine): the next waits for this one.
            while shown.current != next_frame.id and time.monotonic() - now < MAX_DRAW_SECONDS:
                if not (playing.value and mounted.current and task.is_current()):
                    break
                time.sleep(0.005)
            time.sleep(max(0.005, FRAME_SECONDS - (time.monotonic() - now)))

    # A new thread each time `playing` changes.
    task = solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def restart(**changes) -> None:
        try:
            frame.set(lineup.configure(**changes))
            problems.set([])
            failure.set("")
        except ScenarioError as exc:
            problems.set(list(exc.problems))

    def set_lever(name: str, position: float) -> None:
        try:
            levers = retuned(session.bases, lineup.levers, name, float(position))
            frame.set(lineup.retune(levers))
            problems.set([])
        except ScenarioError as exc:
            problems.set(list(exc.problems))

    def open_lesson(info: LessonInfo) -> None:
        try:
            frame.set(session.open(info))
            problems.set([])
            failure.set("")
        except ScenarioError as exc:
            problems.set([f"The lesson '{info.title}' cannot be opened:", *exc.problems])

    f = frame.value
    with solara.Column(gap="6px", classes=["classroom"], style={"max-width": "2400px"}):
        with solara.Row(style={"align-items": "center", "gap": "8px", "flex-wrap": "wrap"}):
            solara.Button(
                "Pause" if playing.value else "Play",
                icon_name="mdi-pause" if playing.value else "mdi-play",
                color="primary",
                on_click=lambda: playing.set(not playing.value),
                disabled=f.finished,
                style={"min-width": "104px"},
            )
            solara.Button(
                f"Step {STEP_HOURS:g} h",
                icon_name="mdi-step-forward",
                on_click=step,
                disabled=playing.value or f.finished,
            )
            solara.Button("Reset", icon_name="mdi-restore", on_click=lambda: restart())
            solara.Button(
                "New customers",
                icon_name="mdi-account-multiple-plus",
                on_click=lambda: restart(seed=lineup.seed + 1),
            )
            with solara.Row(style={"align-items": "center", "gap": "4px"}):
                solara.Text("Speed (working hours/s):")
                solara.ToggleButtonsSingle(
                    value=speed, values=list(SPEEDS), dense=True, classes=["speed"]
                )
            status = f"Day {f.day}, {f.clock}"
            if f.finished:
                status += " · the end of the classroom run: press Reset"
            solara.Text(
                status,
                classes=["classroom-status"],
                style={"font-size": "22px", "font-weight": "700", "margin-left": "6px"},
            )
            solara.Text(
                f"{rate.current:.1f} updates/s" if playing.value and rate.current else "",
                classes=["classroom-rate"],
                style={"font-size": "13px", "color": "#555", "min-width": "90px"},
            )
        if problems.value:
            solara.Error("\n".join(problems.value), classes=["classroom-problems"])
        if failure.value:
            solara.Error(
                f"{failure.value}. Reset starts the organisations again.",
                classes=["classroom-failure"],
            )
        with solara.Row(style={"gap": "14px", "align-items": "flex-start", "flex-wrap": "wrap"}):
            with solara.Column(gap="4px", classes=["classroom-main"]):
                with solara.Row(style={"gap": "12px", "flex-wrap": "nowrap"}):
                    for side, view in enumerate(f.sides):
                        name = SIDE_NAMES[side if len(f.sides) == 3 else 2 * side]
                        with solara.Column(gap="0px", classes=["classroom-side", f"org-{name}"]):
                            SideHeader(view, side, f.sides[0] if side else None)
                            solara.HTML(
                                tag="div",
                                unsafe_innerHTML=org_svg(view, f.time, name),
                                classes=["org-view"],
                            )
                png = solara.use_memo(lambda: session.charts.render(f), [f.id])
                rw.Image(  # type: ignore[call-arg]  # the stub lacks the widget's _dom_classes
                    value=png, format="png", _dom_classes=["classroom-charts"]
                )
                solara.Text(
                    f"{NOTE} The charts show the last {WINDOW_DAYS} working days. The class "
                    f"starts on day {f.start / f.hours_per_day + 1:.0f}: the days before filled "
                    "the queues (played, not shown). Big numbers: since the start, and over "
                    "the last working day; 'vs left' once a difference is larger than the "
                    "day-to-day noise (95% CI of the daily differences).",
                    style={"font-size": "13px", "color": "#444"},
                )
                Legend()
            with solara.Column(gap="6px", classes=["classroom-aside"]):
                LessonPanel(session.lesson, lessons, open_lesson)
                LeverPanel(session, f, set_lever)


@solara.component
def LessonPanel(lesson: OpenLesson, lessons: list[LessonInfo], on_open):
    """The lesson picker, what to watch for, and (on demand) why it happens. Their numbers
    are measured in a thread (a run of each side) and shown when ready."""
    about = solara.use_reactive(False)
    by_title = {i.title: i for i in lessons}
    current = next((i.title for i in lessons if i.key == lesson.key), lesson.title)

    def measure() -> tuple[str, str]:
        """Both texts, measured while this lesson is still the one open."""
        watch = lesson_text(lesson, lesson.watch, wanted=texts.is_current)
        return watch, lesson_text(lesson, lesson.why, wanted=texts.is_current)

    texts = solara.lab.use_task(measure, dependencies=[lesson.key], prefer_threaded=True)
    if texts.finished and texts.value is not None:
        watch, why = texts.value
    else:
        watch, why = (lesson_text(lesson, t, measure=False) for t in (lesson.watch, lesson.why))
    solara.Select(
        label="Lesson",
        value=current,
        values=list(by_title),
        on_value=lambda title: on_open(by_title[title]),
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"<b>What to watch for:</b> {escape(watch or '–')}",
        classes=["lesson-watch"],
    )
    solara.Button(
        "Hide why" if about.value else "Why it happens",
        icon_name="mdi-chevron-up" if about.value else "mdi-chevron-down",
        text=True,
        small=True,
        on_click=lambda: about.set(not about.value),
        style={"align-self": "flex-start", "font-size": "14px", "padding": "0 4px"},
    )
    if about.value:
        with solara.Card(classes=["lesson-about"], margin=0):
            solara.Markdown(why or "(This lesson does not say.)", style={"font-size": "15px"})


@solara.component
def LeverPanel(session: Session, frame: Frame, on_lever):
    levers = session.lineup.levers
    for lever in LEVERS:
        position = lever.position(session.bases, levers)
        with solara.Column(gap="0px", classes=["lever", f"lever-{lever.name}"]):
            solara.HTML(
                tag="div",
                unsafe_innerHTML=lever_text(lever, levers, position),
                classes=["lever-label"],
            )
            solara.SliderFloat(
                label="",
                value=position,
                min=lever.low,
                max=lever.high,
                step=lever.step,
                on_value=functools.partial(on_lever, lever.name),
                thumb_label=False,
            )
    solara.Text(
        "The levers act from the moment they move and keep each side's own values: a lever "
        "moves every side by the same amount (the load by the same factor). Reset replays "
        "the same customers from the start with the levers as they are.",
        style={"font-size": "13px", "color": "#444", "margin-top": "-8px"},
    )
