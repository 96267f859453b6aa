"""The classroom: two organisations side by side, fed the same customers, live.

For trainers. The default lesson shows the functional and the cross-functional presets; any
scenario under ``scenarios/lessons/`` can be picked instead (see `lessons`). Both
organisations use one seed (common random numbers), so every difference on screen comes from
structure. The levers (load, handoff delay, help, customer metric weight, manager support) act
on both sides alike from the moment they move (`OrgModel.adjust`); Reset replays the same
customers from day 1 with the levers as they are.

Each browser gets its own pair of models: they live in the page's component state (created
with `use_memo`), never at module level, where every visitor would share them.
"""

from __future__ import annotations

import dataclasses
import time
from html import escape

import reacton.ipywidgets as rw
import solara

from sim.dashboard.classroom.charts import NOTE, LiveCharts
from sim.dashboard.classroom.lessons import (
    Lesson,
    LessonInfo,
    list_lessons,
    load_lesson,
    side_label,
)
from sim.dashboard.classroom.orgview import mark, org_svg
from sim.dashboard.classroom.twin import Frame, Levers, OrgView, Twin
from sim.dashboard.palette import ACTIVITIES, HANDOFF, QUEUE, SIDE_STYLES, SIDES
from sim.scenario import ScenarioError

SPEEDS = {"½": 0.5, "1": 1.0, "2": 2.0, "4": 4.0, "8": 8.0, "16": 16.0}
"""Playback speed, in working hours per second of wall time."""
DEFAULT_SPEED = "2"
FRAME_SECONDS = 0.12
"""Shortest time between frames (at most about 8 updates a second)."""
MAX_FRAME_HOURS = 4.0
"""A slow frame never jumps more than this (keeps the picture readable under load)."""
STEP_HOURS = 1.0
CSS = """
.speed .v-btn.v-btn { min-width: 42px !important; padding: 0 10px !important; font-size: 15px; }
"""


@dataclasses.dataclass(frozen=True)
class LeverSlider:
    name: str
    label: str
    low: float
    high: float
    step: float
    unit: str

    def text(self, value: float, base: Levers) -> str:
        if self.name == "requests_per_day":
            share = value / base.requests_per_day
            return f"{self.label}: {value:.0f} {self.unit} ({share:.0%})"
        return f"{self.label}: {value:g} {self.unit}".rstrip()


def lever_sliders(base: Levers) -> list[LeverSlider]:
    """The levers of a lesson. Load runs from half to one and a half times the lesson's."""
    load = base.requests_per_day
    return [
        # In steps of 5 % of the lesson's load, so that its own value is on the slider.
        LeverSlider(
            "requests_per_day", "Load", load * 0.5, load * 1.5, load * 0.05, "requests/day"
        ),
        LeverSlider("handoff_delay_hours", "Handoff delay", 0.0, 8.0, 0.25, "h"),
        LeverSlider("help_across_units", "Help across units", 0.0, 1.0, 0.05, ""),
        LeverSlider("customer_metric_weight", "Customer metric weight", 0.0, 1.0, 0.05, ""),
        LeverSlider("manager_support", "Manager support", 0.0, 1.0, 0.05, ""),
    ]


class Session:
    """One browser's classroom: a lesson, its two organisations and their charts."""

    def __init__(self, info: LessonInfo):
        self.lesson = load_lesson(info)
        self.base = Levers.of(self.lesson.left)
        """The lesson's own lever values (the load slider is scaled on them)."""
        self.twin = Twin(self.lesson.left, self.lesson.right, _labels(self.lesson))
        self.charts = LiveCharts()

    @classmethod
    def start(cls, info: LessonInfo) -> Session | list[str]:
        """A session, or the problems that prevent one (shown instead of the page)."""
        try:
            return cls(info)
        except ScenarioError as exc:
            return [f"The lesson '{info.title}' cannot be opened:", *exc.problems]

    def open(self, info: LessonInfo) -> Frame:
        """Switch lesson (raises `ScenarioError`, keeping the current one)."""
        lesson = load_lesson(info)
        frame = self.twin.configure(
            scenarios=(lesson.left, lesson.right),
            labels=_labels(lesson),
            levers=Levers.of(lesson.left),
            seed=lesson.left.run.seed,
        )
        self.lesson, self.base = lesson, Levers.of(lesson.left)
        return frame


def _labels(lesson: Lesson) -> tuple[str, str]:
    return side_label(lesson.left, lesson.right), side_label(lesson.right, lesson.left)


@solara.component
def SideHeader(view: OrgView, side: int):
    swatch = (
        f'<svg width="46" height="14" aria-hidden="true"><line x1="2" y1="7" x2="44" y2="7" '
        f'stroke="{SIDES[side]}" stroke-width="4" '
        f'stroke-dasharray="{"none" if SIDE_STYLES[side] == "-" else "9 5"}"/></svg>'
    )
    stats = (
        f"{view.open} open · {view.resolved:,} resolved · {view.abandoned:,} gave up · "
        f"{view.handoffs:,} handoffs"
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f'{swatch} <span style="font-size:20px;font-weight:700;margin:0 10px 0 6px">'
            f'{escape(view.label)}</span><span style="font-size:15px">{stats}</span>'
        ),
        classes=["side-header"],
    )


@solara.component
def Legend():
    items = [
        f'<span style="display:inline-flex;align-items:center;gap:5px;margin-right:16px">'
        f'<svg width="18" height="18" aria-hidden="true">{mark(activity, 9, 9, 6.5)}</svg>'
        f"{text}</span>"
        for activity, (_, _, text) in ACTIVITIES.items()
    ]
    items.append(
        f'<span style="display:inline-flex;align-items:center;gap:5px;margin-right:16px">'
        f'<svg width="34" height="14" aria-hidden="true"><line x1="2" y1="7" x2="32" y2="7" '
        f'stroke="{HANDOFF}" stroke-width="4" stroke-dasharray="8 4"/></svg>'
        "handoffs, last hour (over the units: to the right; under: to the left)</span>"
    )
    items.append(
        f'<span style="display:inline-flex;align-items:center;gap:5px">'
        f'<svg width="12" height="14" aria-hidden="true"><rect x="1" y="1" width="9" height="12" '
        f'fill="{QUEUE}" stroke="#1F5F8B"/></svg>a waiting request</span>'
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML="".join(items),
        style="font-size: 15px; display: flex; flex-wrap: wrap; row-gap: 4px",
    )


@solara.component
def Page():
    lessons = solara.use_memo(list_lessons, [])
    session = solara.use_memo(lambda: Session.start(lessons[0]), [])
    solara.Title("Classroom · silos or teams?")
    solara.Style(CSS)
    if isinstance(session, list):
        solara.Error("\n".join(session))
        return
    Classroom(session, lessons)


@solara.component
def Classroom(session: Session, lessons: list[LessonInfo]):
    twin = session.twin
    frame = solara.use_reactive(twin.frame())
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    problems = solara.use_reactive([])
    rate = solara.use_ref(0.0)
    """Updates per second while playing, smoothed, as measured here (server side)."""
    mounted = solara.use_ref(True)

    def watch_unmount():
        mounted.current = True

        def unmounted():  # the browser left (its kernel closed): stop playing
            mounted.current = False

        return unmounted

    solara.use_effect(watch_unmount, [])

    def play_loop():
        """Advance both organisations in real time until paused (runs in its own thread)."""
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
            advanced = twin.advance(hours)
            frame.set(advanced)  # renders the frame, in this thread
            if advanced.finished:
                playing.set(False)
            time.sleep(max(0.005, FRAME_SECONDS - (time.monotonic() - now)))

    # A new thread each time `playing` changes.
    task = solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def restart(**changes) -> None:
        try:
            frame.set(twin.configure(**changes))
            problems.set([])
        except ScenarioError as exc:
            problems.set(list(exc.problems))

    def set_lever(name: str, value: float) -> None:
        try:
            frame.set(twin.retune(dataclasses.replace(twin.levers, **{name: float(value)})))
            problems.set([])
        except ScenarioError as exc:
            problems.set(list(exc.problems))

    def open_lesson(info: LessonInfo) -> None:
        try:
            frame.set(session.open(info))
            problems.set([])
        except ScenarioError as exc:
            problems.set([f"The lesson '{info.title}' cannot be opened:", *exc.problems])

    f = frame.value
    with solara.Column(gap="8px", style={"max-width": "1900px"}):
        with solara.Row(style={"align-items": "center", "gap": "10px", "flex-wrap": "wrap"}):
            solara.Button(
                "Pause" if playing.value else "Play",
                icon_name="mdi-pause" if playing.value else "mdi-play",
                color="primary",
                on_click=lambda: playing.set(not playing.value),
                disabled=f.finished,
                style={"min-width": "112px"},
            )
            solara.Button(
                f"Step {STEP_HOURS:g} h",
                icon_name="mdi-step-forward",
                on_click=lambda: frame.set(twin.advance(STEP_HOURS)),
                disabled=playing.value or f.finished,
            )
            solara.Button("Reset", icon_name="mdi-restore", on_click=lambda: restart())
            solara.Button(
                "New customers",
                icon_name="mdi-account-multiple-plus",
                on_click=lambda: restart(seed=twin.seed + 1),
            )
            with solara.Row(style={"align-items": "center", "gap": "6px"}):
                solara.Text("Speed (working hours/s):", style={"font-size": "15px"})
                solara.ToggleButtonsSingle(
                    value=speed, values=list(SPEEDS), dense=True, classes=["speed"]
                )
            status = f"Day {f.day}, {f.clock}"
            if f.finished:
                status += " · the end of the classroom run: press Reset"
            solara.Text(
                status,
                classes=["classroom-status"],
                style={"font-size": "22px", "font-weight": "700", "margin-left": "8px"},
            )
            solara.Text(
                f"{rate.current:.1f} updates/s" if playing.value and rate.current else "",
                classes=["classroom-rate"],
                style={"font-size": "13px", "color": "#555", "min-width": "90px"},
            )
        LessonBar(session.lesson, lessons, open_lesson)
        LeverBar(twin.levers, session.base, set_lever)
        if problems.value:
            solara.Error("\n".join(problems.value), classes=["classroom-problems"])
        with solara.Columns([1, 1], gutters_dense=True):
            for side, view in enumerate((f.left, f.right)):
                name = ("left", "right")[side]
                with solara.Column(gap="0px", classes=[f"org-{name}"]):
                    SideHeader(view, side)
                    solara.HTML(
                        tag="div",
                        unsafe_innerHTML=org_svg(view, f.time, name),
                        classes=["org-view"],
                    )
        Legend()
        png = solara.use_memo(lambda: session.charts.render(f), [f.id])
        rw.Image(
            value=png,
            format="png",
            _dom_classes=["classroom-charts"],
            layout={"width": "100%", "max_height": "34vh", "object_fit": "contain"},
        )
        solara.Text(NOTE, style={"font-size": "13px", "color": "#444"})


@solara.component
def LessonBar(lesson: Lesson, lessons: list[LessonInfo], on_open):
    """The lesson picker, what to watch for, and (on demand) the whole explanation."""
    about = solara.use_reactive(False)
    by_title = {i.title: i for i in lessons}
    current = next((i.title for i in lessons if i.key == lesson.key), lessons[0].title)
    with solara.Row(style={"align-items": "flex-start", "gap": "16px"}):
        with solara.Column(gap="0px", style={"flex": "0 0 400px"}):
            solara.Select(
                label="Lesson",
                value=current,
                values=list(by_title),
                on_value=lambda title: on_open(by_title[title]),
            )
        watch = lesson.watch_for or "(this lesson does not say what to watch for)"
        with solara.Column(gap="0px", style={"flex": "1 1 400px"}):
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f"<b>What to watch for:</b> {escape(watch)}",
                classes=["lesson-watch"],
                style="font-size: 15px; line-height: 1.35",
            )
            solara.Button(
                "Hide the lesson" if about.value else "About this lesson",
                icon_name="mdi-chevron-up" if about.value else "mdi-chevron-down",
                text=True,
                small=True,
                on_click=lambda: about.set(not about.value),
                style={
                    "align-self": "flex-start",
                    "text-transform": "none",
                    "font-size": "14px",
                    "padding": "0 4px",
                },
            )
    if about.value:
        with solara.Card(style={"font-size": "15px"}, classes=["lesson-about"]):
            solara.Markdown(
                lesson.explanation or "(This lesson file has no opening comment.)",
                style={"font-size": "16px"},
            )
            if len(lessons) == 1:
                solara.Text("More lessons appear here when scenarios/lessons/ has .toml files.")


@solara.component
def LeverBar(levers: Levers, base: Levers, on_lever):
    with solara.Row(style={"gap": "22px", "flex-wrap": "wrap", "align-items": "flex-end"}):
        for lever in lever_sliders(base):
            value = getattr(levers, lever.name)
            with solara.Column(
                style={"min-width": "200px", "flex": "1 1 200px"}, gap="0px", classes=["lever"]
            ):
                solara.Text(
                    lever.text(value, base), style={"font-size": "15px", "font-weight": "600"}
                )
                solara.SliderFloat(
                    label="",
                    value=value,
                    min=lever.low,
                    max=lever.high,
                    step=lever.step,
                    on_value=lambda v, name=lever.name: on_lever(name, v),
                    thumb_label=False,
                )
    solara.Text(
        "The levers act on both organisations from the moment you move them (Reset replays "
        "the same customers from day 1 with the levers as they are).",
        style={"font-size": "13px", "color": "#444", "margin-top": "-10px"},
    )
