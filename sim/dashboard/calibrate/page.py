"""Page 4 — Calibrate (leadership): from the organisation's own ticket export to a calibrated
"as is", its fidelity on cases it was not fitted to, and a comparison with a "to be".

Four steps, one card each: upload the export (CSV or XES, gzip too; bounded, kept in memory,
`sim.dashboard.calibrate.log`); map its columns (the page proposes a mapping from the column
names, the XES standard names or an uploaded map file, and the leader corrects it with
dropdowns); calibrate (discovery and the held-out fidelity check in the background with
progress and Cancel, `sim.dashboard.calibrate.work`), then read the discovered organisation and
the fidelity (log against simulation, each target met or not) and download the scenario; and
compare "as is" with a "to be" structure of the same people on the comparison page, which
runs and explains it as it does any comparison.

Everything a browser does lives in this page's component state; leaving the page cancels
its calibration.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from html import escape
from typing import Any, cast

import solara

from sim.calibration import LogMapping
from sim.calibration.options import (
    HOLDOUT,
    HOLDOUT_RANGE,
    FitOptions,
    fit_window_choice,
    fit_window_problem,
    holdout_choice,
    holdout_problem,
)
from sim.calibration.proposal import activities_of
from sim.calibration.report import distances_table, statistics_table, summary_list
from sim.dashboard.calibrate.log import (
    MAX_LOG_ROWS,
    MAX_LOG_UPLOAD_BYTES,
    ROLES,
    Upload,
    map_file,
    read_upload,
)
from sim.dashboard.calibrate.work import (
    DEFAULT_REPS,
    MAX_REPS,
    MIN_REPS,
    OPTIONS,
    CalibrationState,
    Calibrator,
    Outcome,
)
from sim.dashboard.compare.page import add_or_explain
from sim.dashboard.compare.upload import FileChooser, labelled_file_input, read_capped
from sim.dashboard.handoff import Handed, to_compare
from sim.files import MAX_TOML_BYTES, size_text
from sim.scenario import Scenario, ScenarioError

CSS = """
.calibrate-page { font-size: 15px; }
.calibrate-page h2 { font-size: 22px; margin: 14px 0 4px 0; }
.calibrate-page h4 { font-size: 16px; font-weight: 700; margin: 12px 0 0 0; }
.calibrate-page .v-btn { text-transform: none; letter-spacing: 0; font-size: 15px; }
.calibrate-problems .v-alert__content { white-space: pre-line; font-size: 14px; }
.calibrate-status { font-size: 16px; font-weight: 600; }
.calibrate-page table { border-collapse: collapse; font-size: 14px; margin: 4px 0 10px 0; }
.calibrate-page th, .calibrate-page td { border-bottom: 1px solid #d5dde5; padding: 3px 10px;
  text-align: left; vertical-align: top; }
.calibrate-page td.num { text-align: right; font-variant-numeric: tabular-nums; }
.calibrate-page .met { color: #006d2c; font-weight: 700; }
.calibrate-page .missed { color: #a50f15; font-weight: 700; }
.calibrate-page .unit { color: #555; font-size: 13px; }
.calibrate-page ul.sentences li { margin: 2px 0; }
.calibrate-page .calibrate-option-help { font-size: 13px; color: #555; margin: 0 0 6px 0; }
"""

LogFileInput = labelled_file_input("Choose your export (.csv, .xes, .gz)")
MapFileInput = labelled_file_input("Choose a map file (.toml)")

NONE = "(none)"
Received = tuple[str, bytes, int]
"""An uploaded file's name, bytes (at most the cap and one) and size."""
STATES = {
    "waiting": "States that wait for the customer",
    "resolved": "States that end the customer's wait",
    "cancelled": "States of a cancelled case",
}
TO_BE_TEAMS = 4
"""Cross-functional teams the "to be" starts with (the leader changes it)."""
MAX_TO_BE_TEAMS = 100
WINDOW_KINDS = {"auto": "auto", "all": "all", "days": "a number of days"}
"""The fit window's dropdown: its kinds, and their labels."""


def with_column(mapping: LogMapping, role: str, column: str | None) -> LogMapping:
    raw = mapping.model_dump()
    raw["columns"][role] = column
    return LogMapping.model_validate(raw)


def with_states(mapping: LogMapping, meaning: str, values: list[str]) -> LogMapping:
    raw = mapping.model_dump()
    raw["states"][meaning] = list(values)
    return LogMapping.model_validate(raw)


def to_be_of(as_is: Scenario, teams: int) -> Scenario:
    """The same people, arrivals and work in `teams` cross-functional teams (`ScenarioError`
    if that cannot hold them)."""
    name = f"To be: {teams} cross-functional teams (the same people)"
    return as_is.with_overrides(
        {"structure.kind": "cross_functional", "structure.teams": teams, "name": name}
    )


def organisation_html(scenario: Scenario) -> str:
    """The discovered organisation: one row per team, with its people and other skills."""
    rows = []
    for group in sorted(scenario.workforce, key=lambda g: -g.headcount):
        others = ", ".join(sorted(group.other_skills)) or "–"
        rows.append(
            f"<tr><td>{escape(group.skill)}</td><td class='num'>{group.headcount}</td>"
            f"<td>{escape(group.shift or 'opening hours')}</td><td>{escape(others)}</td></tr>"
        )
    return (
        "<table class='calibrate-teams'><thead><tr><th>Team</th><th>People</th>"
        "<th>Hours</th><th>Also works in</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


@solara.component
def Problems(problems: list[str] | tuple[str, ...], title: str, css_class: str):
    if problems:
        solara.Error(
            title + "\n" + "\n".join(problems),
            classes=["calibrate-problems", css_class],
            dense=True,
        )


@solara.component
def LogUpload(on_file: Callable[[dict[str, Any]], None], reading: bool):
    # The choosers stay mounted while a file is read: they call `on_file` in their thread.
    with solara.Row(
        style={"gap": "16px", "align-items": "center", "flex-wrap": "wrap"},
        classes=["calibrate-upload"],
    ):
        with solara.Column(gap="0px", style={"flex": "1 1 320px"}):
            solara.FileDrop(
                label=(
                    f"Drop your ticket export (CSV or XES, gzip too; up to "
                    f"{size_text(MAX_LOG_UPLOAD_BYTES)}, {MAX_LOG_ROWS:,} rows) here"
                ),
                on_file=on_file,
                lazy=True,
            )
        solara.Text("or", style={"font-size": "15px"})
        with solara.Column(gap="0px", style={"flex": "1 1 300px", "min-width": "260px"}):
            FileChooser(
                on_file,
                accept=".csv,.xes,.gz,.txt,text/csv",
                widget=LogFileInput,
                css_class="calibrate-file-chooser",
            )
    if reading:
        solara.Text("Reading the export…", classes=["calibrate-status"])
        solara.ProgressLinear(True)


@solara.component
def MappingForm(upload: Upload, mapping: solara.Reactive[LogMapping], disabled: bool):
    columns = upload.log.columns
    values = mapping.value.columns.model_dump()
    activity = values["activity"]
    activities = solara.use_memo(
        lambda: _activities(upload, activity), [upload.name, upload.rows, activity]
    )
    map_problems = solara.use_reactive(cast(list[str], []))
    received, set_received = solara.use_state(cast(Received | None, None))

    def on_map(info: dict[str, Any]) -> None:  # the chooser's thread: only take the bytes
        set_received(read_capped(info, MAX_TOML_BYTES))

    def parse(cancel: threading.Event) -> None:
        if received is None:
            return
        add_or_explain(
            lambda: map_file(*received, columns), map_problems, mapping.set, "reading the map file"
        )

    solara.use_thread(parse, [received])

    with solara.Row(style={"gap": "12px", "flex-wrap": "wrap"}, classes=["calibrate-columns"]):
        for role, (label, required) in ROLES.items():
            options = columns if required else [NONE, *columns]
            current = values[role] if values[role] is not None else NONE

            def choose(value: str, role: str = role) -> None:
                mapping.set(with_column(mapping.value, role, None if value == NONE else value))

            solara.Select(
                label=label,
                value=current,
                values=options,
                on_value=choose,
                disabled=disabled,
                style={"min-width": "230px", "flex": "1 1 230px"},
                classes=[f"calibrate-column-{role}"],
            )
    with solara.Row(style={"gap": "12px", "flex-wrap": "wrap"}, classes=["calibrate-states"]):
        states = mapping.value.states.model_dump()
        for meaning, label in STATES.items():

            def choose_states(chosen: list[str], meaning: str = meaning) -> None:
                mapping.set(with_states(mapping.value, meaning, chosen))

            solara.SelectMultiple(
                label,
                values=[s for s in states[meaning] if s in activities],
                all_values=activities,
                on_value=choose_states,
                disabled=disabled,
                style={"min-width": "300px", "flex": "1 1 300px"},
                classes=[f"calibrate-states-{meaning}"],
            )
    solara.Markdown(
        "#### …or a map file (as for `sim calibrate --map`), for audit logs",
    )
    FileChooser(
        on_map, accept=".toml,text/plain", widget=MapFileInput, css_class="calibrate-map-file"
    )
    Problems(map_problems.value, "This map file cannot be used:", "calibrate-map-problems")


def _activities(upload: Upload, column: str | None) -> list[str]:
    return activities_of(upload.log, column) if column in upload.log.columns else []


@dataclass(frozen=True)
class OptionsInput:
    """The fit options as the page's controls hold them (text as typed)."""

    holdout: str = f"{HOLDOUT:g}"
    start_delays: bool = True
    person_shifts: bool = False
    window: str = "auto"
    """A key of `WINDOW_KINDS`."""
    days: str = "28"

    def window_text(self) -> str:
        return self.days if self.window == "days" else self.window

    def options(self) -> tuple[FitOptions | None, list[str]]:
        """The options, or None and one line per control out of its range (the command
        line's meaning, range and messages: `sim.calibration.options`)."""
        problems = []
        holdout = holdout_choice(self.holdout)
        if holdout is None:
            problems.append(f"{OPTIONS['holdout']}: {holdout_problem(self.holdout)}")
        window = fit_window_choice(self.window_text())
        if window is None:
            problems.append(f"{OPTIONS['fit_window']}: {fit_window_problem(self.window_text())}")
        if holdout is None or window is None:
            return None, problems
        return FitOptions(holdout, self.start_delays, self.person_shifts, window), []


@solara.component
def FitOptionsForm(chosen: solara.Reactive[OptionsInput], disabled: bool):
    """The fit options of `sim calibrate`, with their units and ranges."""
    value = chosen.value

    def set_field(**changes: Any) -> None:
        chosen.set(replace(chosen.value, **changes))

    with solara.Row(
        style={"gap": "16px", "flex-wrap": "wrap", "align-items": "baseline"},
        classes=["calibrate-options-form"],
    ):
        with solara.Column(gap="0px", style={"flex": "1 1 330px"}):
            solara.InputText(
                "Hold-out share of the latest cases",
                value=value.holdout,
                on_value=lambda text: set_field(holdout=text),
                disabled=disabled,
                classes=["calibrate-holdout"],
            )
            solara.Text(
                f"A share from {HOLDOUT_RANGE} (default {HOLDOUT:g}: the latest "
                f"{HOLDOUT:.0%} of the cases test the model); 0 fits on every case, with no "
                "fidelity check.",
                classes=["calibrate-option-help"],
            )
        with solara.Column(gap="0px", style={"flex": "1 1 330px"}):
            with solara.Row(style={"gap": "12px", "align-items": "baseline"}):
                solara.Select(
                    "Fit window",
                    value=WINDOW_KINDS[value.window],
                    values=list(WINDOW_KINDS.values()),
                    on_value=lambda label: set_field(
                        window=next(k for k, v in WINDOW_KINDS.items() if v == label)
                    ),
                    disabled=disabled,
                    style={"max-width": "200px"},
                    classes=["calibrate-fit-window"],
                )
                if value.window == "days":
                    solara.InputText(
                        "Days",
                        value=value.days,
                        on_value=lambda text: set_field(days=text),
                        disabled=disabled,
                        style={"max-width": "150px"},
                        classes=["calibrate-fit-days"],
                    )
            solara.Text(
                "Which stretch before the test window to fit on: auto (every whole week; when "
                "the log is not stationary, the weeks since it last changed), all (every whole "
                "week), or the latest days (a whole number of days, 1 or more).",
                classes=["calibrate-option-help"],
            )
    with solara.Column(gap="0px", classes=["calibrate-start-delays"]):
        solara.Checkbox(
            label="Start delays: fit each team's delay before it takes up a new case (on by "
            "default)",
            value=value.start_delays,
            on_value=lambda on: set_field(start_delays=on),
            disabled=disabled,
        )
    with solara.Column(gap="0px", classes=["calibrate-person-shifts"]):
        solara.Checkbox(
            label="Person shifts (experimental): each person's own hours, counted per team, "
            "never named (off by default)",
            value=value.person_shifts,
            on_value=lambda on: set_field(person_shifts=on),
            disabled=disabled,
        )
    solara.Text(
        "Experimental because a person's hours are read from when their events fall in the "
        "log, which can be a poor sign of when they work.",
        classes=["calibrate-option-help"],
    )
    Problems(value.options()[1], "These fit options cannot be used:", "calibrate-options-problems")


@solara.component
def Progress(state: CalibrationState, on_cancel):
    value: float | bool = state.percent if state.done else True
    solara.ProgressLinear(value, classes=["calibrate-progress"])
    timing = f" · {state.seconds:.0f} s" if state.seconds >= 1 else ""
    if state.stage == "testing" and 1 < state.done < state.planned:
        left = state.seconds / state.done * (state.planned - state.done)
        timing += f", about {max(1, round(left)):.0f} s to go"
    with solara.Row(style={"align-items": "center", "gap": "16px"}):
        solara.Text(f"{state.message}{timing}", classes=["calibrate-status"])
        solara.Button(
            "Cancel",
            icon_name="mdi-stop",
            color="error",
            on_click=on_cancel,
            classes=["calibrate-cancel"],
        )


@solara.component
def Fidelity(outcome: Outcome):
    fidelity = outcome.fidelity
    if fidelity is None:
        if outcome.options.tested:
            solara.Warning("No fidelity check (see the notes above).", dense=True)
        else:
            solara.Info(
                "No fidelity check: with a hold-out share of 0 every case is fitted on and "
                "none is kept back to test the model. The scenario file is below; a hold-out "
                "above 0 (Fit options) tests it.",
                dense=True,
                classes=["calibrate-untested"],
            )
        return
    w = fidelity.window
    solara.Markdown(
        f"Fitted on the cases before {w.cut:%Y-%m-%d}; tested on the {fidelity.test_cases:,} "
        f"cases that arrived from {w.cut:%Y-%m-%d} to {w.last_arrival:%Y-%m-%d} (the latest "
        f"{outcome.options.holdout:.0%}), simulated {fidelity.replications} times: the "
        "calibrated model and a naive baseline (one pooled queue with the same people, "
        "arrivals and work). Times are calendar hours."
    )
    solara.HTML(tag="div", unsafe_innerHTML=summary_list(fidelity), classes=["calibrate-targets"])
    solara.HTML(
        tag="div", unsafe_innerHTML=statistics_table(fidelity), classes=["calibrate-statistics"]
    )
    if outcome.elapsed_png:
        solara.Image(outcome.elapsed_png, width="760px")
    with solara.Details("Distances from the test cases (the process-simulation literature's)"):
        solara.HTML(
            tag="div", unsafe_innerHTML=distances_table(fidelity), classes=["calibrate-distances"]
        )


@solara.component
def Result(outcome: Outcome, source: str, on_compare: Callable[[int], None]):
    scenario = outcome.scenario
    multi = sum(g.headcount for g in scenario.workforce if g.other_skills)
    solara.Markdown(
        f"**{len(scenario.workforce)} teams, {scenario.headcount} people** ({multi} of them in "
        f"teams whose people also work in others) · {len(scenario.demand.request_types)} "
        f"request types · {scenario.demand.requests_per_day:g} requests a day",
        style={"font-size": "16px"},
    )
    options = outcome.options
    with solara.Column(gap="0px", classes=["calibrate-options-used"]):
        solara.Markdown(
            f"**Fit options:** {options.summary()} (as `sim calibrate {options.flags()}`). "
            f"Fitted on {outcome.calibration.window_note}.",
            style={"font-size": "14px"},
        )
    for note in outcome.notes:
        solara.Text("⚠ " + note, style={"font-size": "13px", "color": "#8a4b00"})
    with solara.Details("The discovered organisation: teams, people, hours"):
        solara.HTML(tag="div", unsafe_innerHTML=organisation_html(scenario))
    solara.Markdown("#### How well it reproduces the later cases")
    Fidelity(outcome)
    base = source.split(".")[0] or "export"
    with solara.Row(style={"gap": "12px", "flex-wrap": "wrap"}):
        solara.FileDownload(
            outcome.toml,
            filename=f"as-is-{base}.toml",
            label="Download the as-is scenario (.toml)",
            mime_type="application/toml",
        )
        if outcome.report:
            solara.FileDownload(
                outcome.report,
                filename=f"fidelity-{base}.html",
                label="Download the fidelity report (.html)",
                mime_type="text/html",
            )
    teams = solara.use_reactive(TO_BE_TEAMS)
    with solara.Row(style={"gap": "12px", "align-items": "center", "flex-wrap": "wrap"}):
        solara.InputInt(
            "To be: the same people in",
            value=teams,
            suffix="cross-functional teams",
            style={"max-width": "320px"},
            classes=["calibrate-to-be"],
        )
        solara.Button(
            "Compare as is with to be",
            icon_name="mdi-scale-balance",
            color="primary",
            on_click=lambda: on_compare(teams.value),
            classes=["calibrate-compare"],
        )
    solara.Text(
        "Opens the leadership comparison with both, run with the same customers: each team "
        "gets its share of every team's people (as is: one unit per team of the export).",
        style={"font-size": "13px", "color": "#555"},
    )


@solara.component
def Page():
    upload, set_upload = solara.use_state(None)
    received, set_received = solara.use_state(cast(Received | None, None))
    upload_problems = solara.use_reactive([])
    mapping = solara.use_reactive(LogMapping())
    reps = solara.use_reactive(DEFAULT_REPS)
    chosen = solara.use_reactive(OptionsInput())
    state, set_state = solara.use_state(CalibrationState())
    calibrator = solara.use_memo(lambda: Calibrator(set_state), [])
    run_problems = solara.use_reactive([])
    compare_problems = solara.use_reactive([])
    router = solara.use_router()
    compare_path = solara.resolve_path("compare", level=-1)  # a sibling page

    def stop_on_leave():
        return lambda: calibrator.cancel(report_state=False)

    solara.use_effect(stop_on_leave, [])
    # A refusal is about the options it was given: changed options, nothing refused yet.
    solara.use_effect(lambda: run_problems.set([]), [chosen.value])

    def on_file(info: dict[str, Any]) -> None:
        """In the chooser's thread: take the bytes (the chooser reads them from the browser)
        and leave the parsing to the page's own thread: a state set in the chooser's thread
        re-renders the chooser, which stops that thread at once."""
        set_received(read_capped(info, MAX_LOG_UPLOAD_BYTES))

    def parse(cancel: threading.Event) -> None:
        if received is None:
            return
        calibrator.cancel(report_state=False)

        def accept(read: Upload) -> None:
            if not cancel.is_set():  # not a file replaced by a newer one meanwhile
                mapping.set(read.proposed)
                set_state(CalibrationState())
                set_upload(read)

        add_or_explain(
            lambda: read_upload(*received), upload_problems, accept, "reading the export"
        )

    parsing = solara.use_thread(parse, [received])
    reading = received is not None and parsing.state == solara.ResultState.RUNNING

    def run() -> None:
        if upload is None:
            return
        if not MIN_REPS <= (reps.value or 0) <= MAX_REPS:
            run_problems.set(
                [f"Replications: {reps.value} is out of range (allowed: {MIN_REPS} to {MAX_REPS})"]
            )
            return
        options, problems = chosen.value.options()
        if options is None:
            run_problems.set(problems)
            return
        refused = calibrator.start(upload.log, mapping.value, upload.name, reps.value, options)
        run_problems.set([refused] if refused else [])

    def compare(teams: int | None) -> None:
        outcome = state.outcome
        if outcome is None or upload is None:
            return
        if not 1 <= (teams or 0) <= MAX_TO_BE_TEAMS:
            compare_problems.set(
                [f"To be: {teams} teams is out of range (allowed: 1 to {MAX_TO_BE_TEAMS})"]
            )
            return
        try:
            to_be = to_be_of(outcome.scenario, teams or TO_BE_TEAMS)
        except ScenarioError as exc:
            compare_problems.set(list(exc.problems))
            return
        compare_problems.set([])
        to_compare.set(
            Handed(
                (outcome.scenario, to_be),
                (f"calibrated from {upload.name}", f"the same people in {teams} teams"),
            )
        )
        router.push(compare_path)

    solara.Title("Calibrate · silos or teams?")
    solara.Style(CSS)
    with solara.Column(gap="10px", classes=["calibrate-page"], style={"max-width": "1220px"}):
        solara.Markdown(
            "## Calibrate your “as is” from your ticket system\n"
            "Upload an export of your ticket system (ServiceNow, Jira, Zendesk…: one row per "
            "update or per activity). The page finds your teams, their people, your request "
            "types and working week, fits the model on the earlier cases and checks it on the "
            f"latest {HOLDOUT:.0%} it has not seen (the fit options in step 3 change that, "
            "as on the command line). Then compare your organisation as it is "
            "with another structure of the same people. Your file stays in this page's memory: "
            "nothing is written, and people are counted, never named."
        )
        with solara.Card("1. Your export", margin=0):
            LogUpload(on_file, reading)
            Problems(
                upload_problems.value, "This export cannot be used:", "calibrate-upload-problems"
            )
            if upload is not None:
                solara.Text(
                    f"{upload.name}: {upload.rows:,} {upload.log.unit}s, "
                    f"{len(upload.log.columns)} columns",
                    classes=["calibrate-loaded"],
                )
        if upload is not None:
            with solara.Card("2. Which column holds what", margin=0):
                solara.Markdown(
                    "Proposed from the column names (or the XES standard names); correct "
                    "anything that is wrong. For an audit log (one row per update), say which "
                    "states wait for the customer and which one ends the customer's wait."
                )
                MappingForm(upload, mapping, state.busy).key(f"map-{upload.name}-{upload.rows}")
            with solara.Card("3. Calibrate and check", margin=0):
                with (
                    solara.Column(
                        gap="0px", classes=["calibrate-options"], style={"margin-bottom": "8px"}
                    ),
                    solara.Details(
                        "Fit options (as sim calibrate's): hold-out, start delays, person "
                        "shifts, fit window"
                    ),
                ):
                    FitOptionsForm(chosen, state.busy)
                with solara.Row(style={"gap": "16px", "align-items": "center"}):
                    solara.InputInt(
                        "Replications",
                        value=reps,
                        suffix="runs of the model and of the baseline",
                        disabled=state.busy,
                        style={"max-width": "320px"},
                        classes=["calibrate-reps"],
                    )
                    if not state.busy:
                        solara.Button(
                            "Calibrate",
                            icon_name="mdi-play",
                            color="primary",
                            on_click=run,
                            classes=["calibrate-run"],
                        )
                Problems(run_problems.value, "Cannot calibrate:", "calibrate-run-problems")
                if state.busy:
                    Progress(state, lambda: calibrator.cancel())
                elif state.stage == "cancelled":
                    solara.Info("Cancelled: nothing was kept.", dense=True)
                elif state.stage == "failed":
                    Problems(
                        list(state.problems) or [state.message],
                        "The export cannot be calibrated from:",
                        "calibrate-failed",
                    )
                elif state.stage == "done" and state.outcome is not None:
                    Result(state.outcome, upload.name, compare)
                    Problems(compare_problems.value, "Cannot compare:", "calibrate-to-be-problems")
