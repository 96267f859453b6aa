"""The rich tables the commands print; labels, units, groups and formats come from the KPI
catalogue (`sim.kpi_catalogue`).

They fit the terminal: one column per scenario (a comparison's difference sits under each
value, not in a column of its own), and labels and scenario names wrap at spaces instead of
being cut ("Resolution ti…" three times told nobody which row was which)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from sim.kpi_catalogue import (
    CATALOGUE,
    STATUS_KEYS,
    as_number,
    format_mean_ci,
    format_value,
    grouped,
    kpi_info,
    shared_currency,
)

if TYPE_CHECKING:  # imported where used: `sim --help` starts fast
    import pandas as pd

    from sim.replications import Comparison
    from sim.replications.table import DifferenceCell

HEADER_WIDTH = 16
"""In a table too wide for the terminal, scenario names are folded at spaces to about this
width, so that a column is as wide as its numbers and the KPI labels keep the room they need
("Cross-functional" stays whole)."""
_RELATIVE_GROUPS = ("Time", "Customers")
"""Groups whose rows show each column's relative difference against the first (comparisons)."""


def _fit(table: Table, width: int | None) -> Table:
    """Fold the scenario names (every column but the first) when the table is wider than
    `width` (see `HEADER_WIDTH`); rich then wraps the rest at spaces."""
    if width is not None and Console(width=width).measure(table).maximum > width:
        for column in table.columns[1:]:
            name = str(column.header)
            longest = max((len(word) for word in name.split()), default=0)
            column.header = textwrap.fill(name, width=max(HEADER_WIDTH, longest))
    return table


# --------------------------------------------------------------------------------------------
# One run per column


def _shown(key: str, value: Any) -> bool:
    """Catalogue KPIs, and unknown keys with a number (forward compatible)."""
    if key in CATALOGUE:
        return True
    return key not in STATUS_KEYS and isinstance(value, Real) and not isinstance(value, bool)


def _value(kpis: Mapping[str, Any], key: str, unit: str | None) -> Any:
    value = kpis.get(key)
    if unit is not None:
        value = value.get(unit) if isinstance(value, Mapping) else None
    return value


def _rows(
    columns: Sequence[tuple[str, Mapping[str, Any]]], currency: str
) -> list[tuple[str, list[tuple[str, str, str | None]]]]:
    """The groups and their rows (label, key, unit name of a per-unit KPI): rows no column has
    are left out; a per-unit KPI gets one row per unit of any column."""
    keys = [key for _, kpis in columns for key, value in kpis.items() if _shown(key, value)]
    groups = []
    for group, group_keys in grouped(keys):
        rows: list[tuple[str, str, str | None]] = []
        for key in group_keys:
            info = kpi_info(key, currency)
            if not info.per_unit:
                rows.append((info.row_label, key, None))
                continue
            units: dict[str, None] = {}
            for _, kpis in columns:
                by_unit = kpis.get(key)
                if isinstance(by_unit, Mapping):
                    units.update(dict.fromkeys(map(str, by_unit)))
            rows += [(f"  {name} ({info.unit})", key, name) for name in units]
        if rows:
            groups.append((group, rows))
    return groups


def _relative(key: str, value: float | None, base: float | None) -> str:
    """' (+12.3%)' against the baseline; from a tiny base, the difference in the KPI's own
    unit (' (+0.61)'), as the comparison's sentences say it (`reads_as_relative`)."""
    from sim.replications import reads_as_relative

    if value is None or base is None:
        return ""
    if reads_as_relative(base, value):
        return f" ({100 * (value - base) / abs(base):+.1f}%)"
    text = format_value(key, abs(value - base))
    return f" ({'+' if value >= base else '-'}{text})"


def kpi_table(
    columns: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    title: str | None = None,
    width: int | None = None,
) -> Table:
    """A KPI table with one column per (name, kpis) pair, grouped and labelled with units.

    With several columns, rows about time and customer satisfaction also show the relative
    difference of each column against the first one (the baseline). `width`: the terminal's
    (see `_fit`).
    """
    currency = shared_currency(
        str(kpis["currency"]) for _, kpis in columns if kpis.get("currency") is not None
    )
    table = Table(title=escape(title) if title else None, title_justify="left")
    table.add_column("KPI", min_width=16)
    for name, _ in columns:
        table.add_column(escape(name), justify="right")
    for index, (group, rows) in enumerate(_rows(columns, currency)):
        if index:
            table.add_section()
        table.add_row(Text(group, style="bold"), *([""] * len(columns)))
        for label, key, unit in rows:
            info = kpi_info(key)
            base = as_number(_value(columns[0][1], key, unit))
            cells = []
            for position, (_, kpis) in enumerate(columns):
                value = as_number(_value(kpis, key, unit))
                cell = info.missing if value is None else info.format(value)
                if group in _RELATIVE_GROUPS and position > 0 and value is not None:
                    cell += _relative(key, value, base)
                cells.append(cell)
            table.add_row(escape(label), *cells)
    return _fit(table, width)


# --------------------------------------------------------------------------------------------
# Replications


_TONE_STYLE = {"better": "green", "worse": "red", "neutral": "dim"}


def _difference_text(cell: DifferenceCell) -> Text:
    """'−34.1% [−40.2, −28.0] better'; 'unclear' for no clear difference (80 columns)."""
    if cell.text == "–":
        return Text(cell.text)
    said = f"{cell.text} {cell.short_verdict}" if cell.short_verdict else cell.text
    return Text(said, style=_TONE_STYLE[cell.tone])


def comparison_table(comparison: Comparison, width: int | None = None) -> Table:
    """The comparison's `ComparisonTable`: one row per KPI, one column per scenario (the
    baseline first): mean ± 95% CI half-width, and under it (for all but the baseline) the
    paired difference from the baseline with its 95% CI and verdict. `width`: the terminal's
    (see `_fit`)."""
    from sim.replications import ComparisonTable

    model = ComparisonTable.of(comparison)
    days = ", ".join(sorted({str(s.days) for s in model.setup}))
    title = (
        f"Comparison  ({model.reps} replications each, common random numbers, root seed "
        f"{model.root_seed}, {days} days): mean ± 95% CI; under it, the paired "
        f"difference from {model.baseline} [95% CI]"
    )
    table = Table(title=escape(title), title_justify="left")
    kpi_column, *scenario_columns = model.columns
    table.add_column(kpi_column, min_width=16)  # everything may wrap: narrow terminals fold
    for column in scenario_columns:
        table.add_column(escape(column), justify="right")
    for index, (group, rows) in enumerate(model.groups):
        if index:
            table.add_section()
        table.add_row(Text(group, style="bold"), *([""] * len(scenario_columns)))
        for row in rows:
            cells: list[str | Text] = []
            for estimate, difference in row.cells():
                cell = Text(estimate.text)
                if difference is not None:
                    cell.append("\n").append_text(_difference_text(difference))
                cells.append(cell)
            table.add_row(escape(row.info.row_label), *cells)
    return _fit(table, width)


# --------------------------------------------------------------------------------------------
# Sweeps and sensitivity


def _factor_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def summary_tables(
    summary: pd.DataFrame, factors: Sequence[str], currency: str | None = None
) -> list[Table]:
    """One table per KPI: a row per design point with its factor values, mean ± 95% CI, n
    (costs in `currency`, the base scenario's)."""
    tables = []
    counted = [c for c in ("errors", "unstable") if c in summary and summary[c].gt(0).any()]
    for kpi, part in summary.groupby("kpi", sort=False):
        table = Table(title=escape(kpi_info(str(kpi), currency).title), title_justify="left")
        for factor in factors:
            table.add_column(escape(factor), justify="right", no_wrap=True)
        table.add_column("mean ± 95% CI", justify="right", no_wrap=True)
        table.add_column("n", justify="right")
        for column in counted:
            table.add_column(column, justify="right")
        for _, row in part.iterrows():
            table.add_row(
                *[_factor_text(row[f]) for f in factors],
                format_mean_ci(str(kpi), row["mean"], row["ci_low"], row["ci_high"]),
                str(int(row["n"])),
                *[str(int(row[c])) for c in counted],
            )
        tables.append(table)
    return tables


_IMPORTANCE = {"sobol": "ST", "morris": "mu_star"}


def indices_tables(indices: pd.DataFrame) -> list[Table]:
    """One table per KPI, factors by importance (total index or mu_star), intervals ± 95%;
    Morris effects in the unit the title says (a share KPI's in percentage points)."""
    from sim.sweeps.sensitivity import shown_units

    method = indices.attrs.get("method", "sobol" if "S1" in indices else "morris")
    columns: list[tuple[str, str, str | None]]
    indices, units = shown_units(indices)
    if method == "sobol":
        columns = [
            ("first order S1", "S1", "S1_conf"),
            ("total ST", "ST", "ST_conf"),
        ]
    else:
        columns = [
            ("importance μ*", "mu_star", "mu_star_conf"),
            ("μ (signed)", "mu", None),
            ("σ (interactions)", "sigma", None),
        ]
    tables = []
    for kpi, part in indices.groupby("kpi", sort=False):
        unit = f" ({units[str(kpi)]})" if units[str(kpi)] else ""
        table = Table(
            title=f"{escape(kpi_info(str(kpi)).label)}{unit}: {method} indices",
            title_justify="left",
        )
        table.add_column("factor", no_wrap=True)
        for label, _, _ in columns:
            table.add_column(label, justify="right", no_wrap=True)
        ordered = part.sort_values(_IMPORTANCE[method], ascending=False, na_position="last")
        for _, row in ordered.iterrows():
            cells = []
            for _, value, conf in columns:
                v = float(row[value])
                text = "–" if not math.isfinite(v) else f"{v:#.3g}".rstrip(".")
                if conf is not None and math.isfinite(v) and math.isfinite(float(row[conf])):
                    text += f" ± {float(row[conf]):#.2g}".rstrip(".")
                cells.append(text)
            table.add_row(escape(str(row["factor"])), *cells)
        tables.append(table)
    return tables
