"""A comparison as a table: the one model behind every rendering of it.

`sim compare --reps` (a rich table), the HTML report and the dashboard's results show the same
table: one column per scenario, the baseline first; per KPI, each scenario's mean with its 95% CI
and, under it for every scenario but the baseline, the paired difference from the baseline with
its CI, its verdict and the sentence that says it. And the same set-up table. `ComparisonTable.of`
builds the rows once, formatted; the renderings only lay them out, so a rule (the columns and
their order, what a difference cell says, which verdict gets which colour) is written here and
nowhere else. The tidy numbers of the same comparison are `Comparison.table()` (the CSV).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from sim.kpi_catalogue import KPI, format_mean_ci, grouped, kpi_info
from sim.replications.statistics import Difference, Estimate
from sim.replications.wording import describe, difference_text

if TYPE_CHECKING:
    from sim.replications.comparison import Comparison
    from sim.scenario import Scenario
    from sim.scenario.schema import Structure

Tone = Literal["better", "worse", "neutral"]

STRUCTURE_LABELS = {
    "functional": "Functional departments",
    "cross_functional": "Cross-functional teams",
    "matrix": "Matrix (teams + pools)",
    "custom": "Custom units",
}
"""A structure kind in words."""

SETUP_COLUMNS = (
    "Scenario",
    "Structure",
    "Employees",
    "Requests per day",
    "Working days",
    "Warm-up days (not counted)",
)
"""The set-up table's header, in the order of `SetupRow.cells`."""


@dataclass(frozen=True)
class EstimateCell:
    """One scenario's mean of one KPI over the replications, with its CI."""

    estimate: Estimate
    text: str
    """'12.34 ± 0.56': the mean and the half-width of its 95% CI, in the KPI's format."""


@dataclass(frozen=True)
class DifferenceCell:
    """One scenario's paired difference from the baseline in one KPI."""

    difference: Difference
    text: str
    """'−34.1% [−40.2, −28.0]' (see `difference_text`), 'identical', or '–' (too few
    replications)."""
    sentence: str
    """The difference in plain language (`describe`), costs in the scenarios' currency."""

    @property
    def verdict(self) -> str:
        """What the difference means: better, worse, higher, lower or no clear difference;
        empty where the text says it all ('identical', '–')."""
        return "" if self.text in ("identical", "–") else self.difference.verdict

    @property
    def short_verdict(self) -> str:
        """The verdict in a narrow column (a terminal of 80): 'unclear' for no clear
        difference."""
        return "unclear" if self.verdict == "no clear difference" else self.verdict

    @property
    def tone(self) -> Tone:
        """How a rendering colours it: better, worse, or neutral (everything else)."""
        verdict = self.verdict
        if verdict == "better":
            return "better"
        return "worse" if verdict == "worse" else "neutral"


@dataclass(frozen=True)
class KpiRow:
    key: str
    info: KPI
    """Label, unit (costs in the scenarios' currency), group and format (`sim.kpi_catalogue`)."""
    estimates: tuple[EstimateCell, ...]
    """One per scenario, the baseline first."""
    differences: tuple[DifferenceCell | None, ...]
    """One per scenario, against the baseline: None for the baseline itself."""

    def cells(self) -> Iterator[tuple[EstimateCell, DifferenceCell | None]]:
        """Per scenario column, in order: the estimate and the difference under it."""
        return zip(self.estimates, self.differences, strict=True)


@dataclass(frozen=True)
class SetupRow:
    scenario: str
    baseline: bool
    structure: str
    """The structure in words, and what a reorganisation turns it into (`structure_label`)."""
    employees: int
    requests_per_day: float
    days: int
    warmup_days: int

    @property
    def cells(self) -> tuple[str, ...]:
        """The row as text, in the order of `SETUP_COLUMNS`."""
        return (
            f"{self.scenario} (baseline)" if self.baseline else self.scenario,
            self.structure,
            str(self.employees),
            f"{self.requests_per_day:g}",
            str(self.days),
            str(self.warmup_days),
        )


@dataclass(frozen=True)
class ComparisonTable:
    """Every row a comparison's renderings show (see the module docstring)."""

    scenarios: tuple[str, ...]
    """Scenario names, the baseline first."""
    groups: tuple[tuple[str, tuple[KpiRow, ...]], ...]
    """KPI rows by catalogue group, groups and rows in catalogue order."""
    setup: tuple[SetupRow, ...]
    reps: int
    root_seed: int
    seeds: tuple[int, ...]

    @classmethod
    def of(cls, comparison: Comparison) -> ComparisonTable:
        """The table of `comparison`: every KPI it has."""
        c = comparison
        groups = []
        for title, group in grouped(c.kpis()):
            rows = []
            for key in group:
                estimates = []
                differences: list[DifferenceCell | None] = [None]
                for i in range(len(c.names)):
                    e = c.estimate(key, i)
                    text = format_mean_ci(key, e.mean, e.ci_low, e.ci_high)
                    estimates.append(EstimateCell(e, text))
                    if i:
                        d = c.difference(key, i)
                        differences.append(
                            DifferenceCell(d, difference_text(d), describe(d, c.currency))
                        )
                info = kpi_info(key, c.currency)
                rows.append(KpiRow(key, info, tuple(estimates), tuple(differences)))
            groups.append((title, tuple(rows)))
        setup = tuple(
            SetupRow(
                name,
                i == 0,
                structure_label(s),
                s.headcount,
                s.demand.requests_per_day,
                s.run.days,
                s.run.warmup_days,
            )
            for i, (name, s) in enumerate(zip(c.names, c.scenarios, strict=True))
        )
        return cls(tuple(c.names), tuple(groups), setup, c.n, c.root_seed, tuple(c.seeds))

    @property
    def baseline(self) -> str:
        return self.scenarios[0]

    @property
    def columns(self) -> tuple[str, ...]:
        """The KPI table's header, in the order every rendering shows it: the KPI, then one
        column per scenario, the baseline first."""
        return ("KPI", f"{self.baseline} (baseline)", *self.scenarios[1:])

    def only(self, keys: Sequence[str] | None) -> ComparisonTable:
        """The table with the rows of `keys` only (None: every row), in the same order."""
        if keys is None:
            return self
        wanted = set(keys)
        groups = []
        for title, rows in self.groups:
            kept = tuple(row for row in rows if row.key in wanted)
            if kept:
                groups.append((title, kept))
        return replace(self, groups=tuple(groups))

    def rows(self) -> Iterator[KpiRow]:
        """Every KPI row, in order."""
        for _, rows in self.groups:
            yield from rows


def structure_label(scenario: Scenario) -> str:
    """'Cross-functional teams, 4 teams'; with a reorganisation, what it becomes and when."""

    def label(structure: Structure) -> str:
        text = STRUCTURE_LABELS.get(structure.kind, structure.kind)
        if structure.kind in ("cross_functional", "matrix"):
            text += f", {structure.teams} teams"
        return text

    text = label(scenario.structure)
    for event in scenario.events:
        if event.structure is not None:
            text += f" → {label(event.structure).lower()} on day {event.day}"
    return text
