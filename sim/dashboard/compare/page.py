"""Page 2 — Compare (leadership): "as is" against "to be" on the organisation's own numbers.

A leader picks two to four scenarios (the presets, an uploaded scenario file, or their own
organisation described in a form: their skills, request types, headcounts and costs, starting
from a preset or a chosen scenario, and downloadable as a scenario file), runs them side by
side with the same customers (common random numbers, `sim.replications.compare`) on a
background process pool, and reads the answer in plain words with its 95% confidence
intervals: the KPI table, resolution times, satisfaction, utilisation, cost and, for a
reorganisation, its J-curve and pay-back day. The results download as CSV and as the same
self-contained HTML report as ``sim compare --report``.

Everything a browser does lives in this page's component state (never at module level, which
every visitor would share). Leaving the page cancels its running comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import solara

from sim.dashboard.boundary import failure_line
from sim.dashboard.compare.draft import Draft, draft_of
from sim.dashboard.compare.form import OrganisationForm
from sim.dashboard.compare.results import ResultsView
from sim.dashboard.compare.run import Runner, RunState
from sim.dashboard.compare.scenarios import (
    DEFAULT_DAYS,
    DEFAULT_REPS,
    DEFAULT_WORLDS,
    MAX_DAYS,
    MAX_REPS,
    MAX_SCENARIOS,
    MAX_WORLDS,
    MIN_DAYS,
    MIN_REPS,
    MIN_SCENARIOS,
    MIN_WORLDS,
    Entry,
    Preset,
    default_entries,
    list_presets,
    preset_entry,
    summary,
    upload_entry,
    with_run_length,
)
from sim.dashboard.compare.slots import budget_problems
from sim.dashboard.compare.upload import ScenarioUpload
from sim.dashboard.handoff import to_compare
from sim.replications import scenario_names
from sim.scenario import Scenario, ScenarioError, scenario_warnings

CSS = """
.compare-page { font-size: 15px; }
.compare-page h2 { font-size: 22px; margin: 14px 0 4px 0; }
.compare-page h3 { font-size: 18px; margin: 16px 0 4px 0; }
.compare-page h4 { font-size: 16px; font-weight: 700; margin: 12px 0 0 0; }
.compare-page .v-expansion-panel-header { font-size: 16px; font-weight: 700; }
.compare-entry { border: 1px solid #d5dde5; border-radius: 6px; padding: 6px 12px;
  background: #fbfcfd; }
.compare-entry-name { font-size: 17px; font-weight: 700; }
.compare-entry-meta { font-size: 14px; color: #444; }
.compare-problems .v-alert__content { white-space: pre-line; font-size: 14px; }
.compare-status { font-size: 16px; font-weight: 600; }
.compare-page .v-btn { text-transform: none; letter-spacing: 0; font-size: 15px; }
"""


def problems_text(problems: list[str]) -> str:
    return "\n".join(problems)


@solara.component
def Problems(problems: list[str], title: str, css_class: str):
    if problems:
        solara.Error(
            f"{title}\n{problems_text(problems)}",
            classes=["compare-problems", css_class],
            dense=True,
        )


def add_or_explain[T](
    make: Callable[[], T],
    problems: solara.Reactive,
    add: Callable[[T], None],
    doing: str = "reading the scenario",
) -> None:
    """Add what `make` builds and clear `problems`, or show why it cannot be built (a bug too,
    as one line: `failure_line`, saying what it was `doing`)."""
    try:
        entry = make()
    except ScenarioError as exc:
        problems.set(list(exc.problems))
        return
    except Exception as exc:
        problems.set([failure_line(exc, doing)])
        return
    problems.set([])
    add(entry)


@solara.component
def EntryCard(entry: Entry, index: int, count: int, on_remove, on_baseline, on_edit):
    warnings = solara.use_memo(lambda: scenario_warnings(entry.scenario), [entry.id])
    with solara.Row(
        classes=["compare-entry"],
        style={"align-items": "center", "gap": "12px", "flex-wrap": "wrap"},
    ):
        with solara.Column(gap="0px", style={"flex": "1 1 500px"}):
            role = "Baseline" if index == 0 else f"Scenario {index + 1}"
            solara.HTML(
                tag="div",
                unsafe_innerHTML=(
                    f"<span class='compare-entry-name'>{role}: {escape(entry.scenario.name)}"
                    f"</span> <span class='compare-entry-meta'>({escape(entry.origin)})</span>"
                ),
            )
            solara.Text(summary(entry.scenario), classes=["compare-entry-meta"])
            for warning in warnings:
                solara.Text("⚠ " + warning, style={"font-size": "13px", "color": "#8a4b00"})
        solara.Button(
            "Edit in the form",
            icon_name="mdi-pencil",
            outlined=True,
            on_click=lambda: on_edit(entry),
            classes=["compare-entry-edit"],
        )
        if index > 0:
            solara.Button(
                "Make baseline",
                icon_name="mdi-arrow-collapse-up",
                outlined=True,
                on_click=lambda: on_baseline(entry.id),
            )
        solara.Button(
            "Remove",
            icon_name="mdi-close",
            outlined=True,
            disabled=count <= MIN_SCENARIOS,
            on_click=lambda: on_remove(entry.id),
        )


@solara.component
def AddPreset(presets: list[Preset], chosen: list[Entry], disabled: bool, on_add):
    usable = [p for p in presets if p.scenario is not None]
    taken = {e.origin for e in chosen}
    first = next(
        (p for p in usable if f"preset {p.key}" not in taken), usable[0] if usable else None
    )
    selected = solara.use_reactive(first.title if first else None)
    by_title = {p.title: p for p in usable}
    with solara.Row(style={"align-items": "center", "gap": "12px", "flex-wrap": "wrap"}):
        solara.Select(
            label="Preset scenario",
            value=selected,
            values=list(by_title),
            disabled=disabled,
            style={"min-width": "520px", "flex": "1 1 520px"},
        )
        solara.Button(
            "Add preset",
            icon_name="mdi-plus",
            color="primary",
            disabled=disabled or selected.value not in by_title,
            on_click=lambda: on_add(by_title[selected.value]),  # type: ignore[index]  # disabled unless a title
        )


@solara.component
def RunPanel(state: RunState, reps, days, worlds, can_run: bool, on_run, on_cancel):
    with solara.Row(style={"gap": "16px", "align-items": "center", "flex-wrap": "wrap"}):
        for label, setting, suffix, width, name in (
            ("Replications", reps, "runs per scenario", 230, "reps"),
            ("Working days", days, "days per run", 230, "days"),
            ("Plausible worlds", worlds, "0 = your assumptions only", 260, "worlds"),
        ):
            solara.InputInt(
                label,
                value=setting,
                suffix=suffix,
                disabled=state.busy,
                style={"max-width": f"{width}px"},
                classes=[f"compare-{name}"],
            )
        if state.busy:
            solara.Button(
                "Cancel",
                icon_name="mdi-stop",
                color="error",
                on_click=on_cancel,
                classes=["compare-cancel"],
            )
        else:
            solara.Button(
                "Run the comparison",
                icon_name="mdi-play",
                color="primary",
                disabled=not can_run,
                on_click=on_run,
                classes=["compare-run"],
                style={"min-width": "220px"},
            )
    if state.busy:
        value: float | bool = state.percent if state.status == "running" and state.done else True
        solara.ProgressLinear(value, classes=["compare-progress"])
        timing = f" · {state.seconds:.0f} s" if state.seconds >= 1 else ""
        if state.status == "running" and 0 < state.done < state.planned:
            left = state.seconds / state.done * (state.planned - state.done)
            timing += f", about {max(1, round(left)):.0f} s to go"
        solara.Text(f"{state.message}{timing}", classes=["compare-status"])
    elif state.status == "cancelled":
        solara.Info("Cancelled: the runs were stopped and nothing was kept.", dense=True)
    elif state.status == "failed":
        solara.Error(state.message, classes=["compare-problems"], dense=True)


def handed_entries() -> list[Entry]:
    """The scenarios another page handed over (the calibration's "as is" and "to be"), once."""
    handed = to_compare.value
    if handed is None:
        return []
    to_compare.set(None)
    return [Entry(s, o) for s, o in zip(handed.scenarios, handed.origins, strict=True)]


def first_draft(presets: list[Preset]) -> Draft | None:
    """The form's first numbers: the functional preset's, else the first preset's."""
    usable = [p for p in presets if p.scenario is not None]
    start = next((p for p in usable if p.key == "functional.toml"), usable[0] if usable else None)
    return draft_of(start.scenario, start.key) if start and start.scenario else None


@solara.component
def Page():
    presets = solara.use_memo(list_presets, [])
    initial = solara.use_memo(lambda: handed_entries() or default_entries(presets), [])
    entries = solara.use_reactive(initial)
    reps = solara.use_reactive(DEFAULT_REPS)
    days = solara.use_reactive(DEFAULT_DAYS)
    worlds = solara.use_reactive(DEFAULT_WORLDS)
    state, set_state = solara.use_state(RunState())
    runner = solara.use_memo(lambda: Runner(set_state), [])
    upload_problems = solara.use_reactive([])
    run_problems = solara.use_reactive([])
    ran_with = solara.use_ref(None)
    draft = solara.use_reactive(solara.use_memo(lambda: first_draft(presets), []))
    edits = solara.use_reactive(0)
    """How many times "Edit in the form" was pressed: each one opens the form."""

    def stop_on_leave():
        return lambda: runner.cancel(report_state=False)

    solara.use_effect(stop_on_leave, [])

    def add(entry: Entry) -> None:
        if len(entries.value) >= MAX_SCENARIOS:
            return
        entries.set([*entries.value, entry])

    def add_preset(preset: Preset) -> None:
        add(preset_entry(preset))

    def edit(entry: Entry) -> None:
        draft.set(draft_of(entry.scenario, entry.origin))
        edits.set(edits.value + 1)

    def add_edited(scenario: Scenario, origin: str) -> None:
        add(Entry(scenario, f"edited from {origin}"))

    def on_upload(name: str, data: bytes, size: int) -> None:
        add_or_explain(lambda: upload_entry(name, data, size), upload_problems, add)

    def remove(entry_id: int) -> None:
        if len(entries.value) > MIN_SCENARIOS:
            entries.set([e for e in entries.value if e.id != entry_id])

    def make_baseline(entry_id: int) -> None:
        chosen = entries.value
        entries.set(
            [e for e in chosen if e.id == entry_id] + [e for e in chosen if e.id != entry_id]
        )

    def run() -> None:
        problems = [
            f"{label}: {value} is out of range (allowed: {low} to {high})"
            for label, value, low, high in (
                ("Replications", reps.value, MIN_REPS, MAX_REPS),
                ("Working days", days.value, MIN_DAYS, MAX_DAYS),
                ("Plausible worlds", worlds.value, MIN_WORLDS, MAX_WORLDS),
            )
            if not low <= (value or 0) <= high
        ]
        scenarios = [e.scenario for e in entries.value]
        names = scenario_names(scenarios)
        if not problems:
            try:
                scenarios = with_run_length(scenarios, names, days.value)
            except ScenarioError as exc:
                problems += exc.problems
        if not problems:
            problems += budget_problems(scenarios, names, reps.value)
        if not problems and (
            refused := runner.start(scenarios, names, reps.value, worlds.value or 0)
        ):
            problems.append(refused)
        run_problems.set(problems)
        if problems:
            return
        ran_with.current = (
            tuple(e.id for e in entries.value),
            reps.value,
            days.value,
            worlds.value,
        )

    chosen = entries.value
    full = len(chosen) >= MAX_SCENARIOS
    solara.Title("Compare · silos or teams?")
    solara.Style(CSS)
    with solara.Column(gap="10px", classes=["compare-page"], style={"max-width": "1220px"}):
        solara.Markdown(
            "## Compare organisations\n"
            "Run two to four scenarios with the same customers and compare them: the first one "
            "is the baseline. Every scenario is run several times (replications); the "
            "differences come with a 95% confidence interval, and are said in words. "
            "Teams trade per-skill pooling for fewer handoffs (a department holds everyone "
            "with a skill in one queue; a team splits each skill into small pools but keeps "
            "the customer in one place), so which one wins depends on the load: compare at "
            "the load you really have, and at a higher and a lower one."
        )
        with solara.Card("1. Scenarios to compare (2 to 4)", margin=0):
            with solara.Column(gap="8px", classes=["compare-entries"]):
                for index, entry in enumerate(chosen):
                    EntryCard(entry, index, len(chosen), remove, make_baseline, edit).key(
                        f"entry-{entry.id}"
                    )
            solara.Markdown("#### Add a scenario: a preset")
            AddPreset(presets, chosen, full, add_preset)
            solara.Markdown("#### …or your own scenario file")
            ScenarioUpload(on_upload, disabled=full)
            Problems(upload_problems.value, "This file cannot be used:", "compare-upload-problems")
            if draft.value is not None:
                with solara.Details(
                    "…or your own organisation: skills, request types, headcounts, costs "
                    "(from a preset, or “Edit in the form” above; downloadable as a file)",
                    expand=edits.value > 0,
                ).key(f"form-{edits.value}"):
                    OrganisationForm(draft, presets, full, add_edited)
        with solara.Card("2. Run", margin=0):
            RunPanel(
                state,
                reps,
                days,
                worlds,
                can_run=len(chosen) >= MIN_SCENARIOS,
                on_run=run,
                on_cancel=runner.cancel,
            )
            Problems(run_problems.value, "Cannot run:", "compare-run-problems")
        if state.status == "done" and state.results is not None:
            current = (tuple(e.id for e in chosen), reps.value, days.value, worlds.value)
            if ran_with.current is not None and current != ran_with.current:
                solara.Warning(
                    "The scenarios or settings have changed since these results: press "
                    "“Run the comparison” again to update them.",
                    dense=True,
                )
            ResultsView(state.results)
