"""The results of a leadership comparison: sentences, the KPI table, figures and downloads.

The numbers come from `sim.replications.Comparison` (`sentences()`, `j_curves()`, the CSVs),
the KPI and set-up tables from its `ComparisonTable` laid out as the HTML report lays them out
(`sim.report.tables`), and the figures and their captions from `sim.report`: the page says
what the HTML report says.
"""

from __future__ import annotations

from html import escape

import reacton.ipywidgets as rw
import solara

from sim.dashboard.compare.run import Results
from sim.replications import ComparisonTable
from sim.replications.verdict import verdict_of
from sim.report.figures import FIGURES
from sim.report.render import CAPTIONS
from sim.report.tables import kpi_table_html, setup_html
from sim.report.verdict import VERDICT_CSS, verdict_html

KEY_KPIS = (
    "service_level",
    "time_to_outcome_hours_mean",
    "resolution_hours_mean",
    "resolution_hours_p90",
    "wait_hours_mean",
    "handoffs_per_request",
    "fcr",
    "abandoned_share",
    "csat_mean",
    "detractors",
    "utilisation",
    "total_cost",
    "payroll_per_resolved",
    "engagement_mean",
    "burnout_share",
    "reorg_dip",
    "reorg_csat_change",
    "reorg_abandoned_change",
    "reorg_recovery_day",
    "reorg_crossover_day",
)
"""What the table shows until the leader asks for every KPI."""

TITLES = {f.key: f.title for f in FIGURES}

CSS = """
.compare-kpis table { border-collapse: collapse; font-size: 15px; margin: 4px 0 8px 0; }
.compare-kpis th, .compare-kpis td { padding: 5px 12px; border-bottom: 1px solid #e3e3e3;
  vertical-align: top; text-align: left; }
.compare-kpis th { background: #f1f4f7; font-weight: 700; }
.compare-kpis td:first-child { min-width: 220px; }
.compare-kpis td.num { text-align: right; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
.compare-kpis tr.group td { font-weight: 700; background: #fafafa; padding-top: 10px;
  color: #123C5A; }
.compare-kpis .unit { color: #555; font-size: 13px; font-weight: 400; }
.compare-kpis .better { color: #005a8c; font-weight: 600; }
.compare-kpis .worse { color: #b34700; font-weight: 600; }
.compare-kpis .neutral { color: #555; }
.compare-setup table { border-collapse: collapse; font-size: 14px; }
.compare-setup th, .compare-setup td { padding: 3px 10px; border-bottom: 1px solid #e3e3e3;
  text-align: left; }
.compare-setup td.num { text-align: right; }
.compare-sentences li { margin: 3px 0; font-size: 16px; }
.compare-caption { font-size: 14px; color: #444; max-width: 1100px; margin: 0 0 18px 0; }
"""


@solara.component
def ChartImage(key: str, image: bytes, caption: str, title: str | None = None):
    if title:
        solara.Markdown(f"### {title}")
    rw.Image(  # type: ignore[call-arg]  # the stub lacks the widget's _dom_classes
        value=image,
        format="png",
        _dom_classes=["compare-figure", f"compare-figure-{key}"],
        layout={"max_width": "100%", "height": "auto"},
    )
    solara.Text(caption, classes=["compare-caption"])


@solara.component
def Downloads(results: Results):
    table_csv = solara.use_memo(results.table_csv, [results])
    runs_csv = solara.use_memo(results.runs_csv, [results])
    with solara.Row(style={"gap": "12px", "flex-wrap": "wrap"}, classes=["compare-downloads"]):
        solara.FileDownload(
            table_csv,
            "comparison.csv",
            label="KPI table (CSV)",
            mime_type="text/csv",
        )
        solara.FileDownload(
            runs_csv,
            "comparison-runs.csv",
            label="Every run (CSV)",
            mime_type="text/csv",
        )
        solara.FileDownload(
            results.report_html,  # built when asked for (a second or two), in a thread
            "comparison-report.html",
            label="Report (HTML, self-contained)",
            mime_type="text/html",
        )


@solara.component
def ResultsView(results: Results):
    c = results.comparison
    show_all = solara.use_reactive(False)
    keys = None if show_all.value else list(KEY_KPIS)
    model = solara.use_memo(lambda: ComparisonTable.of(c), [results])
    table = solara.use_memo(lambda: kpi_table_html(model.only(keys)), [results, show_all.value])
    verdict = solara.use_memo(
        # The notes are written for `sim compare`: no command-line options here.
        lambda: verdict_html(verdict_of(c, c.worlds)).replace(
            ", or --reps auto, narrow it", " narrow it"
        ),
        [results],
    )
    captions = CAPTIONS  # the HTML report's own captions
    solara.Style(CSS + VERDICT_CSS)
    with solara.Column(gap="6px", classes=["compare-results"], style={"max-width": "1180px"}):
        solara.Markdown(
            f"## Results\n{len(c.names)} scenarios × {c.n} replications × "
            f"{results.days} working days, the same customers in every scenario (common "
            f"random numbers). Ran in {results.run_seconds:.1f} s, charts drawn in "
            f"{results.draw_seconds:.1f} s."
        )
        Downloads(results)
        solara.Markdown("### In short")
        solara.HTML(tag="div", unsafe_innerHTML=verdict, classes=["compare-verdict"])
        if "worlds" in results.figures:
            ChartImage("worlds", results.figures["worlds"], captions["worlds"])
        solara.Markdown("#### At your scenarios' own assumptions (one plausible world), KPI by KPI")
        items = "".join(f"<li>{escape(s)}</li>" for s in c.sentences())
        solara.HTML(tag="ul", unsafe_innerHTML=items, classes=["compare-sentences"])
        if "differences" in results.figures:
            ChartImage("differences", results.figures["differences"], captions["differences"])
        solara.Markdown("### KPIs")
        solara.Text(
            "Mean over the replications ± the half-width of its 95% confidence interval. "
            "Under it: the difference against the baseline, paired by customer (relative for "
            "times, counts and cost; in percentage points, pp, for shares), its 95% CI and "
            "what it means. Hover over a difference for the sentence.",
            style={"font-size": "14px", "color": "#444"},
        )
        solara.Checkbox(label=f"Show all {len(c.kpis())} KPIs", value=show_all)
        solara.HTML(tag="div", unsafe_innerHTML=table, classes=["compare-kpis"])
        for name, curve, image in results.curves:
            solara.Markdown(f"### Reorganisation: {escape(name)}")
            solara.Text(
                f"{curve.sentence()} {curve.dip_sentence()}",
                classes=["compare-jcurve-text"],
                style={"font-size": "16px", "font-weight": "600"},
            )
            ChartImage("jcurve", image, captions["jcurve"])
        for key in ("resolution", "csat", "utilisation", "cost"):
            if key in results.figures:
                ChartImage(key, results.figures[key], captions[key], TITLES[key])
        solara.Markdown("### Set-up")
        solara.HTML(
            tag="div",
            unsafe_innerHTML=setup_html(model),
            classes=["compare-setup"],
        )
        seeds = ", ".join(str(s) for s in c.seeds)
        solara.Text(
            f"Root seed {c.root_seed}; replication seeds {seeds}.",
            style={"font-size": "13px", "color": "#555"},
        )
