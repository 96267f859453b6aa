"""The leader's own organisation, as the comparison page's form holds it.

No Solara here (the page is `sim.dashboard.compare.page`). A `Draft` starts from any scenario
(a preset, an uploaded file, a scenario already chosen) and holds what a leader knows and
edits: their own skills (one group of people per primary skill, with its headcount, hourly
cost and secondary skills), their own request types (share, the time the customer expects,
and the tasks in order: skill and hours), the demand, the structure and three policies.
Everything else (behaviour, satisfaction, run settings) comes from the scenario it started
from. `build` validates it as a scenario file is validated; its problems name the form's
fields. A valid draft downloads as a scenario file (`sim.scenario.writing.scenario_toml`).

Two small text formats keep the rows flat: tasks as ``claims 0.75 h, billing 0.5 h`` (in
order) and secondary skills as ``billing 0.8`` (skill and proficiency, 0.05 to 1).
A group with no people is left out of the scenario: the model needs people only for the
skills some request's tasks need, and says which skill nobody has.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

from sim.replications import STRUCTURE_LABELS
from sim.scenario import Scenario, ScenarioError, parse_scenario
from sim.scenario.writing import scenario_toml

FORM_SOURCE = "Form"
STRUCTURE_KINDS = ("functional", "cross_functional", "matrix")
"""What the form offers (a scenario's own custom structure is kept when it has one)."""

_ids = itertools.count(1)
"""Rows and drafts carry an id that edits keep (`dataclasses.replace`), so that the page keys
its fields by row, not by position."""
_ITEM = re.compile(r"^\s*(?P<skill>\S(?:.*\S)?)\s+(?P<number>[-+0-9.eE]+)\s*(?P<unit>h|%)?\s*$")


# --------------------------------------------------------------------------------------------
# The two text formats


def number_text(x: float) -> str:
    """'0.75', '1', and every digit of a calibrated 0.4137283 (the text reads back exact)."""
    short = f"{x:g}"
    return short if float(short) == x else repr(float(x))


def tasks_text(tasks: list[tuple[str, float]]) -> str:
    """'claims 0.75 h, billing 0.5 h'."""
    return ", ".join(f"{skill} {number_text(hours)} h" for skill, hours in tasks)


def skills_text(other_skills: dict[str, float]) -> str:
    """'billing 0.8, legal 0.5'."""
    return ", ".join(f"{skill} {number_text(p)}" for skill, p in other_skills.items())


def parse_items(text: str, what: str, example: str) -> list[tuple[str, float]]:
    """'claims 0.75 h, billing 0.5 h' -> [('claims', 0.75), ('billing', 0.5)]. Raises
    ValueError with a sentence naming the item it cannot read."""
    items = []
    for part in (p for p in re.split(r"[,;\n]|→", text) if p.strip()):
        match = _ITEM.match(part)
        try:
            number = float(match["number"]) if match else math.nan
        except ValueError:
            number = math.nan
        if match is None or not math.isfinite(number):
            raise ValueError(f"cannot read {part.strip()!r} (allowed: {what}, e.g. {example!r})")
        items.append((match["skill"], number))
    return items


# --------------------------------------------------------------------------------------------
# The draft


@dataclass(frozen=True)
class Group:
    """A group of people with one primary skill."""

    skill: str
    headcount: int
    hourly_cost: float
    other_skills: str
    """Secondary skills and their proficiency: 'billing 0.8'."""
    rest: tuple[tuple[str, Any], ...] = ()
    """The group's other keys in the scenario it came from (baseline_engagement, ...)."""
    id: int = field(default_factory=lambda: next(_ids))


@dataclass(frozen=True)
class RequestRow:
    """A type of request."""

    name: str
    share_pct: float
    expected_hours: float
    tasks: str
    """Skill steps in order: 'claims 0.75 h, billing 0.5 h'."""
    task_rest: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    """Per task of the scenario it came from: its skill and its other keys (a step's own
    first-contact resolution); kept while the task at that place has that skill."""
    id: int = field(default_factory=lambda: next(_ids))


@dataclass(frozen=True)
class Draft:
    """The form's numbers (percentages in %) on top of the scenario it started from."""

    base: Scenario
    origin: str
    """Where it started: 'functional.toml', 'uploaded our-org.toml'."""
    name: str
    currency: str
    requests_per_day: float
    requests: tuple[RequestRow, ...]
    groups: tuple[Group, ...]
    kind: str
    teams: int
    handoff_delay_hours: float
    help_across_units_pct: float
    customer_metric_weight_pct: float
    id: int = field(default_factory=lambda: next(_ids))
    """New for each scenario loaded into the form; kept by edits."""

    def set(self, **changes: Any) -> Draft:
        return replace(self, **changes)

    def set_group(self, index: int, **changes: Any) -> Draft:
        groups = list(self.groups)
        old = groups[index]
        groups[index] = replace(old, **changes)
        draft = replace(self, groups=tuple(groups))
        new_skill = changes.get("skill")
        if new_skill is not None and new_skill != old.skill and old.skill:
            draft = draft._renamed(old.skill, new_skill.strip(), index)
        return draft

    def set_request(self, index: int, **changes: Any) -> Draft:
        rows = list(self.requests)
        rows[index] = replace(rows[index], **changes)
        return replace(self, requests=tuple(rows))

    def add_group(self) -> Draft:
        cost = self.groups[-1].hourly_cost if self.groups else 50.0
        new = Group(_new_name("new skill", [g.skill for g in self.groups]), 1, cost, "")
        return replace(self, groups=(*self.groups, new))

    def add_request(self) -> Draft:
        skill = self.groups[0].skill if self.groups else "skill"
        name = _new_name("new request type", [r.name for r in self.requests])
        return replace(self, requests=(*self.requests, RequestRow(name, 0.0, 8.0, f"{skill} 1 h")))

    def remove_group(self, index: int) -> Draft:
        return replace(self, groups=self.groups[:index] + self.groups[index + 1 :])

    def remove_request(self, index: int) -> Draft:
        return replace(self, requests=self.requests[:index] + self.requests[index + 1 :])

    def _renamed(self, old: str, new: str, index: int) -> Draft:
        """A skill renamed in its group is renamed where tasks and secondary skills name it
        (unless another group still has it as its primary skill)."""
        if not new or any(g.skill == old for i, g in enumerate(self.groups) if i != index):
            return self

        def swap(text: str, unit: str) -> str:
            try:
                items = parse_items(text, "", "")
            except ValueError:
                return text  # the user's text stays as typed; `build` will say what is wrong
            if old not in (skill for skill, _ in items):
                return text
            renamed = [(new if s == old else s, x) for s, x in items]
            return tasks_text(renamed) if unit == "h" else skills_text(dict(renamed))

        return replace(
            self,
            requests=tuple(replace(r, tasks=swap(r.tasks, "h")) for r in self.requests),
            groups=tuple(replace(g, other_skills=swap(g.other_skills, "")) for g in self.groups),
        )

    @property
    def share_total(self) -> float:
        return sum(r.share_pct for r in self.requests if _finite(r.share_pct))

    @property
    def headcount(self) -> int:
        return sum(g.headcount for g in self.groups if isinstance(g.headcount, int))

    @property
    def payroll_per_hour(self) -> float:
        return sum(
            g.headcount * g.hourly_cost
            for g in self.groups
            if isinstance(g.headcount, int) and _finite(g.hourly_cost)
        )


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _new_name(stem: str, taken: list[str]) -> str:
    n = 1
    while (name := stem if n == 1 else f"{stem} {n}") in taken:
        n += 1
    return name


def _rest(section: Any, shown: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    """A section's keys the form does not show (unset ones left out)."""
    dumped = section.model_dump(exclude_none=True)
    return tuple((k, v) for k, v in dumped.items() if k not in shown)


def draft_of(scenario: Scenario, origin: str, name: str | None = None) -> Draft:
    """The form filled with a scenario's numbers."""
    d = scenario.demand
    return Draft(
        base=scenario,
        origin=origin,
        name=name if name is not None else f"{scenario.name} (edited)",
        currency=scenario.run.currency,
        requests_per_day=float(d.requests_per_day),
        requests=tuple(
            RequestRow(
                t.name,
                round(100 * t.share, 9),
                float(t.expected_hours),
                tasks_text([(task.skill, task.hours) for task in t.tasks]),
                tuple((task.skill, _rest(task, ("skill", "hours"))) for task in t.tasks),
            )
            for t in d.request_types
        ),
        groups=tuple(
            Group(
                g.skill,
                g.headcount,
                float(g.hourly_cost),
                skills_text(g.other_skills),
                _rest(g, ("skill", "headcount", "hourly_cost", "other_skills")),
            )
            for g in scenario.workforce
        ),
        kind=scenario.structure.kind,
        teams=scenario.structure.teams,
        handoff_delay_hours=float(scenario.policies.handoff_delay_hours),
        help_across_units_pct=round(100 * scenario.policies.help_across_units, 9),
        customer_metric_weight_pct=round(100 * scenario.policies.customer_metric_weight, 9),
    )


# --------------------------------------------------------------------------------------------
# Building the scenario


def _kept(row: RequestRow, index: int, skill: str) -> dict[str, Any]:
    """The other keys of the task at `index` in the scenario the row came from, if that task
    had the same skill."""
    if index < len(row.task_rest) and row.task_rest[index][0] == skill:
        return dict(row.task_rest[index][1])
    return {}


def _labels(draft: Draft, kept: list[int]) -> dict[str, str]:
    """Scenario key -> the form field's label (for the problem lines); `kept`: the index in
    the form of each workforce group in the scenario (groups with no people are left out)."""
    labels = {
        "name": "Name",
        "run.currency": "Currency",
        "demand.requests_per_day": "Requests per day",
        "demand.request_types": "Request mix",
        "workforce": "People",
        "structure.kind": "Structure",
        "structure.teams": "Number of teams",
        "structure.shared_skills": "Structure (a matrix pools the skills in "
        "structure.shared_skills of the scenario it started from)",
        "structure.units": "Structure (the units of the scenario it started from)",
        "policies.handoff_delay_hours": "Handoff delay",
        "policies.help_across_units": "Help across units",
        "policies.customer_metric_weight": "Customer weight in goals",
    }
    for i, row in enumerate(draft.requests):
        key = f"demand.request_types.{i}"
        labels[key] = f"Request type '{row.name}'"
        labels[f"{key}.name"] = f"Request type '{row.name}'"
        labels[f"{key}.share"] = f"Share of '{row.name}'"
        labels[f"{key}.expected_hours"] = f"Expected time of '{row.name}'"
        labels[f"{key}.tasks"] = f"Tasks of '{row.name}'"
    for i, form_index in enumerate(kept):
        skill = draft.groups[form_index].skill
        key = f"workforce.{i}"
        labels[key] = f"People, {skill}"
        labels[f"{key}.skill"] = f"Skill '{skill}'"
        labels[f"{key}.headcount"] = f"Headcount, {skill}"
        labels[f"{key}.hourly_cost"] = f"Hourly cost, {skill}"
        labels[f"{key}.other_skills"] = f"Other skills, {skill}"
    return labels


def _relabel(problem: str, labels: dict[str, str]) -> str:
    """'Form: workforce.0.headcount: 0 is out of range (allowed: >= 1)' ->
    'Form: Headcount, policy (workforce.0.headcount): 0 is out of range (allowed: >= 1)'."""
    _, _, rest = problem.partition(": ")
    path, sep, message = rest.partition(": ")
    if not sep:
        return f"{FORM_SOURCE}: {rest or problem}"
    label = labels.get(path)
    if label is None:  # a key the form does not show: name its nearest shown parent
        parents = [k for k in labels if path.startswith(k + ".")]
        label = labels[max(parents, key=len)] if parents else None
    shown = f"{label} ({path})" if label else path
    return f"{FORM_SOURCE}: {shown}: {message}"


def _problem(label: str, key: str, message: str) -> str:
    return f"{FORM_SOURCE}: {label} ({key}): {message}"


def build(draft: Draft) -> Scenario:
    """The scenario the form describes, validated like a file. Raises `ScenarioError` with
    one line per problem, naming the form's fields."""
    problems: list[str] = []
    raw = draft.base.model_dump(exclude_none=True)
    raw.pop("lesson", None)  # a lesson's classroom text is not the leader's
    raw["name"] = draft.name.strip()
    if not raw["name"]:
        problems.append(_problem("Name", "name", "is empty (allowed: non-empty text)"))
    raw["run"]["currency"] = (draft.currency or "").strip()
    numbers = {
        ("Requests per day", "demand.requests_per_day"): draft.requests_per_day,
        ("Handoff delay", "policies.handoff_delay_hours"): draft.handoff_delay_hours,
        ("Help across units", "policies.help_across_units"): draft.help_across_units_pct,
        ("Customer weight in goals", "policies.customer_metric_weight"): (
            draft.customer_metric_weight_pct
        ),
    }
    for (label, key), number in numbers.items():
        if not _finite(number):
            problems.append(_problem(label, key, "is not a number"))
    for (label, key), pct in list(numbers.items())[2:]:
        if _finite(pct) and not 0 <= pct <= 100:
            problems.append(_problem(label, key, f"{pct:g}% is out of range (allowed: 0 to 100%)"))
    if abs(draft.share_total - 100) > 0.01:
        problems.append(
            _problem(
                "Request mix",
                "demand.request_types",
                f"the shares add up to {draft.share_total:g}% (allowed: shares adding up to 100%)",
            )
        )
    types = []
    for i, row in enumerate(draft.requests):
        key = f"demand.request_types.{i}"
        try:
            tasks = parse_items(
                row.tasks, "skill and hours, in order", "claims 0.75 h, billing 0.5 h"
            )
        except ValueError as exc:
            problems.append(_problem(f"Tasks of '{row.name}'", f"{key}.tasks", str(exc)))
            tasks = []
        for label, value in (("Share", row.share_pct), ("Expected time", row.expected_hours)):
            if not _finite(value):
                problems.append(_problem(f"{label} of '{row.name}'", key, "is not a number"))
        types.append(
            {
                "name": row.name.strip(),
                "share": row.share_pct / 100 if _finite(row.share_pct) else row.share_pct,
                "expected_hours": row.expected_hours,
                "tasks": [
                    {**_kept(row, j, skill), "skill": skill, "hours": hours}
                    for j, (skill, hours) in enumerate(tasks)
                ],
            }
        )
    raw["demand"]["requests_per_day"] = draft.requests_per_day
    raw["demand"]["request_types"] = types
    kept: list[int] = []
    workforce: list[dict[str, Any]] = []
    for i, group in enumerate(draft.groups):
        if group.headcount == 0:
            continue  # nobody with this primary skill: left out
        try:
            others = dict(parse_items(group.other_skills, "skill and proficiency", "billing 0.8"))
        except ValueError as exc:
            problems.append(
                _problem(
                    f"Other skills, {group.skill}", f"workforce.{len(kept)}.other_skills", str(exc)
                )
            )
            others = {}
        kept.append(i)
        workforce.append(
            {
                **dict(group.rest),
                "skill": group.skill.strip(),
                "headcount": group.headcount,
                "hourly_cost": group.hourly_cost,
                "other_skills": others,
            }
        )
    if not workforce:
        problems.append(_problem("People", "workforce", "nobody (allowed: at least one person)"))
    raw["workforce"] = workforce
    raw["structure"]["kind"] = draft.kind
    if draft.kind in ("cross_functional", "matrix"):
        raw["structure"]["teams"] = draft.teams
    policies = raw["policies"]
    policies["handoff_delay_hours"] = draft.handoff_delay_hours
    if _finite(draft.help_across_units_pct):
        policies["help_across_units"] = draft.help_across_units_pct / 100
    if _finite(draft.customer_metric_weight_pct):
        policies["customer_metric_weight"] = draft.customer_metric_weight_pct / 100
    if problems:
        raise ScenarioError(problems)
    try:
        return parse_scenario(raw, source=FORM_SOURCE)
    except ScenarioError as exc:
        labels = _labels(draft, kept)
        raise ScenarioError([_relabel(p, labels) for p in exc.problems]) from None


def draft_toml(draft: Draft) -> str:
    """The form's scenario as a scenario file's text (raises `ScenarioError` if invalid)."""
    scenario = build(draft)
    return scenario_toml(
        scenario,
        [
            f"{scenario.name}: made in the sim dashboard's form, starting from {draft.origin}.",
            "Every key is written out; docs/scenario-reference.md says what each one means, "
            "its unit and its source. Check it with: sim validate FILE.toml",
        ],
    )


def file_name(draft: Draft) -> str:
    """'our-departments-next-year.toml' from the scenario's name."""
    stem = re.sub(r"[^a-z0-9]+", "-", draft.name.lower()).strip("-")[:80]
    return f"{stem or 'scenario'}.toml"


def kind_choices(draft: Draft) -> dict[str, str]:
    """Label -> structure kind, with the draft's own kind when it is a custom one."""
    kinds = list(STRUCTURE_KINDS)
    if draft.kind not in kinds:
        kinds.append(draft.kind)
    return {STRUCTURE_LABELS.get(k, k): k for k in kinds}
