"""The leader's form: their own organisation, from a preset or a scenario already chosen.

Rows of people (skill, headcount, hourly cost, secondary skills) and of request types (share,
expected time, tasks with their hours), the demand, the structure and three policies; the
problems are listed as they appear, and a valid organisation is added to the comparison or
downloaded as a scenario file. The logic is `sim.dashboard.compare.draft`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import solara

from sim.dashboard.compare.draft import (
    Draft,
    Group,
    RequestRow,
    build,
    draft_of,
    draft_toml,
    file_name,
    kind_choices,
)
from sim.dashboard.compare.scenarios import Preset
from sim.replications import STRUCTURE_LABELS
from sim.scenario import Scenario, ScenarioError

CSS = """
.compare-form .form-row { display: flex; gap: 10px; align-items: center; flex-wrap: nowrap; }
.compare-form .form-row > * { flex: 1 1 0; min-width: 0; }
.compare-form .form-row > .wide { flex: 2.4 1 0; }
.compare-form .form-row > .v-btn { flex: 0 0 auto; }
.compare-form .form-note { font-size: 13px; color: #444; }
"""


def _parsed(draft: Draft) -> tuple[Scenario | None, list[str]]:
    try:
        return build(draft), []
    except ScenarioError as exc:
        return None, list(exc.problems)


@solara.component
def OrganisationForm(
    draft: solara.Reactive,
    presets: list[Preset],
    full: bool,
    on_add: Callable[[Scenario, str], None],
):
    """`draft`: the form's `Draft` (the page holds it, so that a chosen scenario can be
    edited); `presets`: what it can start from; ``on_add(scenario, origin)``."""
    d: Draft = draft.value
    by_title = {p.title: p for p in presets if p.scenario is not None}
    shown = next((t for t, p in by_title.items() if p.key == d.origin), None)
    scenario, problems = solara.use_memo(lambda: _parsed(d), [d])
    solara.Style(CSS)

    def update(**changes) -> None:
        draft.set(draft.value.set(**changes))

    def start_from(title: str | None) -> None:
        preset = by_title.get(title or "")
        if preset is not None and preset.scenario is not None:  # by_title: usable presets
            draft.set(draft_of(preset.scenario, preset.key))

    def add() -> None:
        if scenario is not None:  # always: the button is disabled otherwise
            on_add(scenario, d.origin)

    with solara.Column(gap="8px", classes=["compare-form"]):
        with solara.Row(style={"gap": "12px", "flex-wrap": "wrap"}):
            solara.Select(
                label="Start from a preset",
                value=shown,
                values=list(by_title),
                on_value=start_from,
                style={"min-width": "380px", "flex": "2 1 380px"},
                classes=["compare-form-start"],
            )
            solara.InputText(
                "Name of the new scenario",
                value=d.name,
                on_value=lambda x: update(name=x),
                style={"min-width": "300px", "flex": "2 1 300px"},
            )
        solara.Text(
            f"Editing: {d.origin}. Rows are your own: rename, add or remove skills and request "
            "types.",
            classes=["form-note"],
        )
        People(d, draft)
        Demand(d, draft)
        Structure(d, update)
        if problems:
            solara.Error(
                "Not a valid organisation yet:\n" + "\n".join(problems),
                classes=["compare-problems", "compare-form-problems"],
                dense=True,
            )
        with solara.Row(style={"gap": "12px", "align-items": "center", "flex-wrap": "wrap"}):
            solara.Button(
                "Add this scenario",
                icon_name="mdi-plus",
                color="primary",
                disabled=full or scenario is None,
                on_click=add,
                classes=["compare-form-add"],
            )
            if scenario is not None:
                solara.FileDownload(
                    lambda: draft_toml(d),
                    file_name(d),
                    label="Download as a scenario file (TOML)",
                    mime_type="application/toml",
                )
            solara.Button(
                "Undo my edits",
                icon_name="mdi-restore",
                outlined=True,
                on_click=lambda: draft.set(draft_of(d.base, d.origin)),
            )
            if full:
                solara.Text("Four scenarios chosen: remove one to add another.")


@dataclass(frozen=True)
class Field:
    """One field of a row of the form (a group of people, a request type)."""

    attr: str
    """The row's attribute it edits (`Group`, `RequestRow`)."""
    label: str
    """Its label; ``{name}`` is the row's name (its skill, its request type)."""
    kind: Literal["text", "int", "float"] = "text"
    suffix: str = ""
    wide: bool = False


_INPUTS: dict[str, Callable[..., Any]] = {
    "text": solara.InputText,
    "int": solara.InputInt,
    "float": solara.InputFloat,
}


@solara.component
def Rows(
    rows: Sequence[Group | RequestRow],
    names: Sequence[str],
    fields: Sequence[Field],
    row_class: str,
    on_set: Callable[[int, str, Any], None],
    on_remove: Callable[[int], None],
):
    """One line of fields per row, and a button to remove it (not the last one)."""

    def setter(i: int, attr: str) -> Callable[[Any], None]:
        return lambda value: on_set(i, attr, value)

    for i, (row, name) in enumerate(zip(rows, names, strict=True)):
        with solara.Row(classes=["form-row", row_class]):
            for f in fields:
                options: dict[str, Any] = {"suffix": f.suffix} if f.suffix else {}
                if f.wide:
                    options["classes"] = ["wide"]
                _INPUTS[f.kind](
                    f.label.format(name=name),
                    value=getattr(row, f.attr),
                    on_value=setter(i, f.attr),
                    **options,
                ).key(f"{f.attr}-{row.id}")
            solara.Button(
                icon_name="mdi-close",
                icon=True,
                on_click=lambda i=i: on_remove(i),
                disabled=len(rows) <= 1,
            )


@solara.component
def People(d: Draft, draft: solara.Reactive):
    money = d.currency
    solara.Markdown(
        f"**People**: {d.headcount} employees, {d.payroll_per_hour:,.0f} {money} per working "
        "hour. One group per primary skill; a headcount of 0 leaves the group out."
    )
    Rows(
        d.groups,
        [g.skill for g in d.groups],
        (
            Field("skill", "Skill"),
            Field("headcount", "Headcount, {name}", "int", "people"),
            Field("hourly_cost", "Hourly cost, {name}", "float", f"{money}/h"),
            Field("other_skills", "Other skills, {name}", wide=True),
        ),
        "compare-form-group",
        on_set=lambda i, attr, value: draft.set(draft.value.set_group(i, **{attr: value})),
        on_remove=lambda i: draft.set(draft.value.remove_group(i)),
    )
    with solara.Row(style={"gap": "12px", "align-items": "center"}):
        solara.Button(
            "Add a group of people",
            icon_name="mdi-plus",
            text=True,
            on_click=lambda: draft.set(draft.value.add_group()),
        )
        solara.InputText(
            "Currency",
            value=d.currency,
            on_value=lambda x: draft.set(draft.value.set(currency=x)),
            style={"max-width": "120px"},
        )
        solara.Text(
            "Hourly cost: fully loaded, per working hour. Other skills: what the group can also "
            "do, at what speed (billing 0.8: 80% of a specialist's speed).",
            classes=["form-note"],
        )


@solara.component
def Demand(d: Draft, draft: solara.Reactive):
    solara.Markdown(
        f"**Demand**: the request types (their shares add up to 100%; now {d.share_total:g}%)"
    )
    solara.InputFloat(
        "Requests per day",
        value=d.requests_per_day,
        on_value=lambda x: draft.set(draft.value.set(requests_per_day=x)),
        suffix="/day",
        style={"max-width": "260px"},
    ).key(f"rpd-{d.id}")
    Rows(
        d.requests,
        [r.name for r in d.requests],
        (
            Field("name", "Request type"),
            Field("share_pct", "Share: {name}", "float", "%"),
            Field("expected_hours", "Expected time: {name}", "float", "working h"),
            Field("tasks", "Tasks: {name}", wide=True),
        ),
        "compare-form-request",
        on_set=lambda i, attr, value: draft.set(draft.value.set_request(i, **{attr: value})),
        on_remove=lambda i: draft.set(draft.value.remove_request(i)),
    )
    with solara.Row(style={"gap": "12px", "align-items": "center"}):
        solara.Button(
            "Add a request type",
            icon_name="mdi-plus",
            text=True,
            on_click=lambda: draft.set(draft.value.add_request()),
        )
        solara.Text(
            "Expected time: what the customer expects (satisfaction compares to it). Tasks: the "
            "skills a request needs, in order, each with a specialist's mean hours of work "
            "(claims 0.75 h, billing 0.5 h).",
            classes=["form-note"],
        )


@solara.component
def Structure(d: Draft, update):
    solara.Markdown("**Structure and policies**")
    labels = kind_choices(d)

    def setter(attr: str) -> Callable[[Any], None]:
        return lambda value: update(**{attr: value})

    with solara.Row(style={"gap": "12px", "flex-wrap": "wrap"}):
        field: dict[str, Any] = {"style": {"min-width": "150px", "flex": "1 1 150px"}}
        solara.Select(
            label="Structure",
            value=STRUCTURE_LABELS.get(d.kind, d.kind),
            values=list(labels),
            on_value=lambda x: update(kind=labels[x]),
            style={"min-width": "260px", "flex": "1 1 260px"},
        )
        for f in (
            Field("teams", "Number of teams", "int"),
            Field("handoff_delay_hours", "Handoff delay between units", "float", "working hours"),
            Field("help_across_units_pct", "Help across units", "float", "%"),
            Field("customer_metric_weight_pct", "Customer weight in goals", "float", "%"),
        ):
            options = {**field, "suffix": f.suffix} if f.suffix else dict(field)
            if f.attr == "teams":  # departments and custom units have no number of teams
                options["disabled"] = d.kind not in ("cross_functional", "matrix")
            _INPUTS[f.kind](
                f.label, value=getattr(d, f.attr), on_value=setter(f.attr), **options
            ).key(f"{f.attr}-{d.id}")
    solara.Text(
        "Handoff delay: mean time a request spends between two units. Help across units: the "
        "chance that an idle employee takes a task from another unit's queue. Customer weight "
        "in goals: 0% = local targets only (cherry-picking, early closure, passing hard tasks "
        "on), 100% = customer outcomes only.",
        classes=["form-note"],
    )
