"""A comparison as one self-contained HTML file: tables, sentences and embedded figures.

`write_report(comparison, path)` writes a single file with inline CSS and every figure as a
base64 PNG, so it can be mailed or archived and opens offline: no scripts, no style sheets,
no fonts or images from anywhere else. Every difference is also said in words. A scenario with
a reorganisation gets its J-curve. The figures are `sim.report.figures.draw_figures`' PNGs: the
dashboard passes the ones its page already shows instead of drawing them a second time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import metadata

from sim.replications import Comparison, ComparisonTable
from sim.replications.verdict import verdict_of
from sim.report.figures import FIGURES, Drawn, draw_figures
from sim.report.style import CSS, base64_text, escape
from sim.report.tables import kpi_table_html, setup_html
from sim.report.verdict import VERDICT_CSS, verdict_html


def _units_table(c: Comparison) -> str:
    units = c.units_table()
    if units.empty:
        return ""
    rows = "".join(
        f"<tr><td>{escape(r['scenario'])}</td><td>{escape(r['unit'])}</td>"
        f"<td class='num'>{int(r['headcount'])}</td>"
        f"<td class='num'>{100 * r['utilisation']:.1f}% "
        f"[{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}]</td></tr>"
        for r in units.to_dict(orient="records")
    )
    return (
        "<details><summary>Utilisation by unit as a table</summary><table><thead><tr>"
        "<th>Scenario</th><th>Unit</th><th>Headcount</th><th>Utilisation [95% CI]</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></details>"
    )


def _setup(c: Comparison, table: ComparisonTable) -> str:
    mode = (
        f"chosen automatically (<code>--reps auto</code>: until every headline KPI's 95% CI "
        f"half-width is within {100 * c.precision:g}% of its mean, at most {c.max_reps})"
        if c.reps_mode == "auto"
        else "fixed"
    )
    seeds = ", ".join(str(s) for s in c.seeds)
    return (
        setup_html(table)
        + f"<p>{c.n} replications per scenario, {mode}. Replication <i>k</i> of every scenario "
        "uses the same seed, so all scenarios see the same customers (common random numbers); "
        "differences are paired by seed and their confidence interval is the CI of the "
        f"difference. Root seed <code>{c.root_seed}</code>; replication seeds "
        "(<code>numpy.random.SeedSequence(root).spawn(n)</code>):</p>"
        f"<p><code>{escape(seeds)}</code></p>"
    )


CAPTIONS = {
    "differences": "Each point is the mean paired difference against the baseline, relative to "
    "the baseline mean; the line is its 95% confidence interval. An interval that crosses the "
    "vertical line at 0 means no clear difference.",
    "resolution": "Resolution time from arrival to resolution, in working hours (nights and "
    "weekends do not count), of every resolved request in every replication.",
    "csat": "Survey ratings of all closed requests in all replications; the mean score (1-5) "
    "is given with its 95% CI half-width over replications.",
    "utilisation": "Share of working time each unit's employees were busy during the "
    "measurement window (after warm-up), averaged over replications.",
    "cost": "Total cost over the measurement window: every employee's hours, one manager per "
    "unit, the cost per contact (repeat contacts cost again) and a reorganisation's one-off "
    "cost, in the currency the scenarios state (run.currency).",
    "worlds": "Each point is one plausible world, placed by its values of the two assumptions "
    "the verdict hinges on most (the other assumptions vary too); its colour and shape say "
    "which scenario is best there on that KPI (mean over the replications). Where the colours "
    "separate, the verdict depends on the assumption on that axis.",
    "jcurve": "Top: mean resolution time of the customers who arrived on each working day "
    "(5-day rolling mean, mean over replications, 95% CI band), with the reorganisation and for "
    "the same customers without it (common random numbers); then their CSAT (customers who gave "
    "up included) and the share who gave up. Bottom: hours to an outcome saved since the switch "
    "against not reorganising (a customer who gave up counts at least 4 times the time they "
    "expected), cumulated day by day (above 0: the reorganisation has paid back so far). "
    "Vertical lines: the switch, the median day on which a 5-day stretch is "
    "as fast as not reorganising again (recovered) and the median day from which it has paid "
    "back for good, over the replications where that happened within the horizon.",
}


def _worlds_section(c: Comparison, figure: Callable[[str], str]) -> list[str]:
    """The plausible worlds: what was varied, what held, and the verdict map."""
    w = c.worlds
    assert w is not None
    held = (
        f" Held at each scenario's own value (the scenarios differ in them): {', '.join(w.held)}."
        if w.held
        else ""
    )
    return [
        f"<h3>{w.n} plausible worlds × {len(w.seeds)} replications</h3>",
        f"<p>Every scenario ran in the same {w.n} worlds (a Latin hypercube over the plausible "
        f"ranges of {len(w.ranges)} modelling choices, docs/scenario-reference.md, or the "
        f"scenarios' own [assumptions]) with the same seeds.{escape(held)} The statistical "
        "CIs in the tables below come from the seeds at the scenarios' own values; the shares "
        "above and this map are the spread over the assumptions.</p>",
        figure("worlds"),
    ]


def render_report(
    comparison: Comparison, title: str | None = None, drawn: Drawn | None = None
) -> str:
    """The report as an HTML string (see `write_report`), with the comparison's figures as
    `drawn` (`draw_figures(comparison)`; drawn here when not given)."""
    c = comparison
    table = ComparisonTable.of(c)
    title = title or "Scenario comparison: " + " vs ".join(c.names)
    drawn = drawn or draw_figures(c)
    curves = {name: curve for name, curve, _ in drawn.curves}
    images = {key: base64_text(image) for key, image in drawn.figures.items()}
    images.update({f"jcurve:{name}": base64_text(image) for name, _, image in drawn.curves})
    alt = {f.key: f.alt for f in FIGURES}
    alt.update(
        {
            f"jcurve:{name}": f"J-curve of the reorganisation in {name}: daily resolution time "
            "with and without it, and the customer hours saved since the switch"
            for name in curves
        }
    )

    def figure(key: str) -> str:
        if key not in images:
            return "<p class='neutral'>No data for this figure.</p>"
        caption = CAPTIONS[key.split(":")[0]]
        return (
            f'<figure><img src="data:image/png;base64,{images[key]}" alt="{escape(alt[key])}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>"
        )

    titles = {f.key: f.title for f in FIGURES}

    def section(key: str) -> tuple[str, str]:
        return f"<h2>{escape(titles[key])}</h2>", figure(key)

    reorganisations = []
    if curves:
        reorganisations.append("<h2>Reorganisation: the J-curve</h2>")
        reorganisations.append(
            "<p>A reorganisation can make things worse before it makes them better (a "
            "J-curve). Each run of a scenario with a reorganisation is also run without it, on "
            "the same customers, so day by day the difference is the reorganisation alone.</p>"
        )
        for name, curve in curves.items():
            reorganisations += [
                f"<h3>{escape(name)}</h3>",
                f"<p class='jcurve'><strong>{escape(curve.sentence())}</strong> "
                f"{escape(curve.dip_sentence())}</p>",
                figure(f"jcurve:{name}"),
            ]

    notes = (
        "<div class='notes'><ul>"
        + "".join(f"<li>{escape(n)}</li>" for n in c.notes)
        + "</ul></div>"
        if c.notes
        else ""
    )
    verdict = verdict_of(c, c.worlds)
    headline = "".join(f"<li>{escape(s)}</li>" for s in c.sentences())
    every = "".join(f"<li>{escape(s)}</li>" for s in c.sentences(c.kpis()))
    try:
        version = metadata.version("sim")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
        version = "unknown"
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{escape(title)}</title><style>{CSS}{VERDICT_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p class='unit'>Baseline: {escape(c.baseline)}. Times are in working hours. "
        f"Generated by sim {escape(version)}.</p>",
        notes,
        "<h2>In short</h2>",
        verdict_html(verdict),
        *(_worlds_section(c, figure) if c.worlds is not None else ()),
        "<h3>At the scenarios' own assumptions (one plausible world), KPI by KPI</h3>"
        if headline
        else "",
        f"<ul class='sentences'>{headline}</ul>" if headline else "",
        figure("differences") if len(c.names) > 1 else "",
        "<h2>Set-up</h2>",
        _setup(c, table),
        "<h2>KPIs</h2>",
        "<p>Mean over replications ± the half-width of its 95% confidence interval "
        "(t distribution). Differences are paired by seed: relative to the baseline mean for "
        "times, counts and cost; in percentage points (pp) for shares. Blue: better, "
        "orange: worse; hover over a difference for the sentence.</p>",
        kpi_table_html(table, keys_shown=True),
        f"<details><summary>Every difference in words</summary><ul class='sentences'>{every}"
        "</ul></details>"
        if every
        else "",
        *reorganisations,
        *section("resolution"),
        *section("csat"),
        *section("utilisation"),
        _units_table(c),
        *section("cost"),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def write_report(
    comparison: Comparison, path: str | os.PathLike[str], title: str | None = None
) -> None:
    """Write the comparison as ONE self-contained HTML file (figures embedded as PNG)."""
    text = render_report(comparison, title)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
