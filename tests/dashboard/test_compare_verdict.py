"""The leadership page's verdict is the comparison's verdict: the same object `sim compare
--json` prints and the HTML report shows (issue 9 item 2, issue 8 part 3)."""

from __future__ import annotations

import html

import ipywidgets as w
import solara
from conftest import all_widgets, texts

from sim.dashboard.compare import run as compare_run
from sim.dashboard.compare import scenarios as compare_scenarios
from sim.dashboard.compare.results import ResultsView
from sim.dashboard.compare.scenarios import list_presets
from sim.replications import compare
from sim.replications.verdict import comparison_json, verdict_of
from sim.report.style import base64_text


def _results(scenarios, names, worlds: int = 0):
    scenarios = compare_scenarios.with_run_length(scenarios, names, 8)
    comparison = compare(scenarios, reps=2, names=names, workers=1)
    if worlds:
        comparison.run_worlds(worlds)
    figures, curves = compare_run.draw_figures(comparison)
    return compare_run.Results(comparison, figures, curves, 1.0, 1.0, 8)


def _presets():
    preset = {p.key: p for p in list_presets()}
    return [preset["functional.toml"].scenario, preset["cross-functional.toml"].scenario]


def test_the_page_the_report_and_the_json_say_the_same_verdict():
    results = _results(_presets(), ["Departments", "Teams"], worlds=3)
    c = results.comparison
    as_json = comparison_json(c, verdict_of(c, c.worlds))
    assert as_json["verdict"].startswith("Across 3 plausible worlds")
    assert "worlds" in results.figures  # the verdict map
    box, rc = solara.render(ResultsView(results), handle_error=False)
    page = html.unescape(texts(box))
    download = results.report_html()
    report = html.unescape(download)
    # The report embeds the very PNGs the page shows: one figure set per comparison.
    assert all(base64_text(image) in download for image in results.figures.values())
    for text in (as_json["verdict"], *as_json["reasons"], *as_json["worlds"]["hinges_on"]):
        assert text in page, text
        assert text in report, text
    images = [x for x in all_widgets(box) if isinstance(x, w.Image)]
    assert len(images) == 6  # the five figures and the verdict map
    rc.close()


def test_no_verdict_on_the_page_for_an_organisation_that_cannot_keep_up():
    departments, teams = _presets()
    swamped = teams.with_overrides(**{"demand.requests_per_day": 600.0})
    results = _results([departments, swamped], ["Departments", "Swamped teams"])
    c = results.comparison
    as_json = comparison_json(c, verdict_of(c))
    assert as_json["verdict"] is None and as_json["stable"]["Swamped teams"] is False
    box, rc = solara.render(ResultsView(results), handle_error=False)
    page = html.unescape(texts(box))
    assert "No verdict" in page
    (found,) = as_json["bottlenecks"]
    assert found["sentence"] in page and found["unit"].startswith("Team")
    assert "do not see the same customers" in page and "demand.requests_per_day" in page
    rc.close()
