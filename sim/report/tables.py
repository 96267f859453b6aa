"""A `ComparisonTable` as HTML: the KPI table and the set-up table, as the report and the
dashboard's results show them (the rows, their order and their words are the table's; this
module only lays them out)."""

from __future__ import annotations

from sim.replications import SETUP_COLUMNS, ComparisonTable
from sim.replications.table import DifferenceCell, EstimateCell
from sim.report.style import escape

HEADER_NOTES = ("(unit)", "mean ± 95% CI", "mean ± 95% CI; vs baseline [95% CI]")
"""Under the column names: the KPI's, the baseline's and every other scenario's."""


def _cell(estimate: EstimateCell, difference: DifferenceCell | None) -> str:
    """The mean ± CI; under it, for all but the baseline, the paired difference [CI] and the
    verdict in words (the colour repeats the word; the sentence on hover)."""
    value = escape(estimate.text)
    if difference is None or difference.text == "–":
        return f"<td class='num'>{value}</td>"
    said = f"{difference.text} · {difference.verdict}" if difference.verdict else difference.text
    return (
        f"<td class='num' title='{escape(difference.sentence)}'>{value}<br>"
        f"<span class='{difference.tone}'>{escape(said)}</span></td>"
    )


def kpi_table_html(table: ComparisonTable, keys_shown: bool = False) -> str:
    """The KPI table, in `table.columns` order; `keys_shown`: each KPI's key under its label
    (the report: it names the CSV's rows)."""
    kpi, baseline, other = HEADER_NOTES
    notes = [kpi, baseline, *[other] * (len(table.scenarios) - 1)]
    head = "".join(
        f"<th>{escape(column)}<br><span class='unit'>{note}</span></th>"
        for column, note in zip(table.columns, notes, strict=True)
    )
    rows = []
    for title, group in table.groups:
        rows.append(
            f"<tr class='group'><td colspan='{len(table.columns)}'>{escape(title)}</td></tr>"
        )
        for row in group:
            info = row.info
            label = escape(info.label)
            if info.unit:
                label += f" <span class='unit'>({escape(info.unit)})</span>"
            if keys_shown:
                label += f"<br><span class='unit'>{escape(row.key)}</span>"
            cells = "".join(_cell(e, d) for e, d in row.cells())
            rows.append(f"<tr><td>{label}</td>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def setup_html(table: ComparisonTable) -> str:
    """The set-up of every scenario, in `SETUP_COLUMNS` order."""
    head = "".join(f"<th>{escape(column)}</th>" for column in SETUP_COLUMNS)
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td class='num'>{escape(cell)}</td>" if i >= 2 else f"<td>{escape(cell)}</td>"
            for i, cell in enumerate(row.cells)
        )
        + "</tr>"
        for row in table.setup
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
