"""The sweep explorer (page 3), rendered without a browser (`solara.render`), on real sweeps.

`make_results` runs two tiny real sweeps (a factorial over structure x handoff delay x demand,
and a Morris screening) into a results folder, next to broken ones and a sweep outside it; the
browser test (test_sweeps_e2e.py) serves the same folder. The charts the tests draw are saved
in test-results/dashboard/sweeps-*.png, for a human to look at.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ipyvuetify as v
import ipywidgets as w
import pandas as pd
import pyarrow.parquet as pq
import pytest
import solara
from conftest import all_widgets, texts, wait_until
from sweep_specs import sweep_toml

from sim.dashboard import RESULTS_ENV
from sim.dashboard.sweeps import data as sweeps_data
from sim.dashboard.sweeps import page as sweeps_page
from sim.dashboard.sweeps.page import Page

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONAL = ROOT / "scenarios" / "functional.toml"
SHOTS = ROOT / "test-results" / "dashboard"
PNG = b"\x89PNG"
STRUCTURE = "studies/structure"

FACTORIAL = sweep_toml(
    "Structure x handoff delay x demand",
    FUNCTIONAL,
    ["resolution_hours_mean", "handoffs_per_request", "csat_mean", "fcr", "utilisation"],
    {
        "structure.kind": ["functional", "cross_functional"],
        "policies.handoff_delay_hours": [0.25, 4.0],
        "demand.requests_per_day": [170, 230],
    },
    description="Tiny test sweep: 3 working days.",
    replications=2,
    seed=3,
    days=3,
    warmup_days=1,
)

MORRIS = sweep_toml(
    "Friction screening (Morris)",
    FUNCTIONAL,
    ["resolution_hours_mean", "csat_mean"],
    {
        "policies.handoff_delay_hours": {"range": [0.0, 4.0]},
        "policies.misrouting": {"range": [0.0, 0.3]},
    },
    replications=1,
    seed=5,
    days=3,
    warmup_days=1,
    design={"method": "morris", "samples": 3, "levels": 4},
)

LATIN = sweep_toml(
    "Latin hypercube",
    FUNCTIONAL,
    ["csat_mean"],
    {
        "policies.handoff_delay_hours": {"range": [0.0, 4.0]},
        "structure.teams": {"range": [2, 6], "integer": True},
    },
    replications=1,
    days=3,
    warmup_days=1,
    design={"method": "latin", "samples": 8},
)


def make_results(base: Path) -> Path:
    """`base`/results with three real sweeps and three broken folders; `base`/outside holds a
    sweep the view must not list (also linked from inside the results folder)."""
    from sim.sweeps import load_spec, run_sweep

    results = base / "results"
    for name, text, out in (
        ("factorial.toml", FACTORIAL, results / STRUCTURE),
        ("morris.toml", MORRIS, results / "screening"),
        ("latin.toml", LATIN, results / "sampled"),
    ):
        (base / name).write_text(text)
        with ThreadPoolExecutor(1) as serial:  # in process: no worker start-up, and frugal
            run_sweep(load_spec(base / name), out, serial)
    shutil.copytree(results / "screening", base / "outside")  # a real sweep, not run twice
    broken = results / "broken"
    broken.mkdir()
    (broken / "_manifest.json").write_text("{not json")
    empty = results / "empty"
    (empty / "parts").mkdir(parents=True)
    shutil.copy(results / STRUCTURE / "_manifest.json", empty)
    damaged = results / "damaged"
    shutil.copytree(results / STRUCTURE, damaged)
    old = results / "old"  # as an older sim wrote it: manifest.json
    shutil.copytree(results / STRUCTURE, old)
    (old / "_manifest.json").rename(old / "manifest.json")
    part = sorted((damaged / "parts").glob("part-*.parquet"))[0]
    # A part holds one chunk of runs, sized by how fast this machine ran them: count, not guess.
    (base / "damaged-loses").write_text(str(pq.read_metadata(part).num_rows))
    part.write_bytes(b"PAR1 this is not parquet")
    (results / "linked").symlink_to(base / "outside", target_is_directory=True)
    return results


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    return make_results(tmp_path_factory.mktemp("sweeps"))


@pytest.fixture
def view(results, monkeypatch):
    monkeypatch.setenv(RESULTS_ENV, str(results))
    box, rc = solara.render(Page(), handle_error=False)
    yield box
    rc.close()


def select(box, cls: str) -> v.Select:
    found = [
        x for x in all_widgets(box) if isinstance(x, v.Select) and cls in (x.class_ or "").split()
    ]
    assert len(found) == 1, f"{len(found)} drop-downs of class {cls}"
    return found[0]


def options(box, cls: str) -> list[str]:
    return [item["value"] for item in select(box, cls).items]


def charts(box) -> dict[str, bytes]:
    """Chart name (line, heatmap, winner, sensitivity) -> PNG."""
    found = {}
    for x in all_widgets(box):
        if isinstance(x, w.Image) and "sweeps-chart" in x._dom_classes:
            (name,) = [c.removeprefix("sweeps-") for c in x._dom_classes if c != "sweeps-chart"]
            found[name] = bytes(x.value)
    return found


def save(png: bytes, name: str) -> None:
    assert png.startswith(PNG)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"sweeps-{name}.png").write_bytes(png)


def test_the_default_results_folder_is_where_sim_sweep_saves(tmp_path, monkeypatch, results):
    """`sim dashboard` without --results shows out/sweeps, where `sim sweep` saves; before the
    first sweep the page says how to make one."""
    monkeypatch.delenv(RESULTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    box, rc = solara.render(Page(), handle_error=False)
    assert f"No sweeps yet: {tmp_path / 'out' / 'sweeps'} does not exist" in texts(box)
    assert "sim sweep experiments/sweeps/demo.toml" in texts(box)
    assert not charts(box)
    rc.close()
    shutil.copytree(results / "screening", tmp_path / "out" / "sweeps" / "demo")
    box, rc = solara.render(Page(), handle_error=False)
    assert options(box, "sweeps-picker") == ["demo"] and "line" in charts(box)
    rc.close()


def test_lists_the_sweeps_below_the_results_folder_only(view, results):
    assert options(view, "sweeps-picker") == [
        "broken",
        "damaged",
        "empty",
        "old",
        "sampled",
        "screening",
        STRUCTURE,
    ]  # not ../outside, not the link to it
    shown = {item["value"]: item["text"] for item in select(view, "sweeps-picker").items}
    assert shown[STRUCTURE] == f"{STRUCTURE}: Structure x handoff delay x demand"
    assert shown["broken"] == "broken (unreadable _manifest.json)"
    assert not charts(view), "nothing drawn before a sweep is picked"
    assert sweeps_data.find_sweeps(results / "linked") == ["."]  # a link given as root is fine
    with pytest.raises(sweeps_data.SweepDataError, match="not inside"):
        sweeps_data.sweep_folder(results, "../outside")


def test_structure_sweep_lines_heatmap_and_winner_map(view):
    select(view, "sweeps-picker").v_model = STRUCTURE
    text = texts(view)
    assert "Factorial design: 8 points × 2 replications; 16 of 16 runs saved, 0 failed" in text
    assert options(view, "sweeps-kpi") == [
        "resolution_hours_mean",
        "handoffs_per_request",
        "fcr",
        "csat_mean",
        "utilisation",
    ]  # catalogue order
    assert select(view, "sweeps-kpi").v_model == "resolution_hours_mean"
    # defaults: the first numeric factor on x, one line per structure, the structure contest
    assert select(view, "sweeps-x").v_model == "policies.handoff_delay_hours"
    assert select(view, "sweeps-hue").v_model == "structure.kind"
    assert select(view, "sweeps-contest").v_model == "structure.kind"
    drawn = charts(view)
    assert set(drawn) == {"line", "heatmap", "winner"}
    save(drawn["line"], "line")
    save(drawn["heatmap"], "heatmap")

    select(view, "sweeps-kpi").v_model = "handoffs_per_request"
    after = charts(view)
    assert all(after[name] != drawn[name] for name in drawn), "every chart follows the KPI"
    save(after["winner"], "winner")

    # one factor: the line alone; another factor fixed at one level
    select(view, "sweeps-hue").v_model = ""
    assert set(charts(view)) == {"line", "winner"}
    fixed = [x for x in all_widgets(view) if isinstance(x, v.Select) and "sweeps-fixed" in x.class_]
    assert {s.label for s in fixed} == {
        "structure.kind",
        "demand.requests_per_day (requests per day)",
    }
    one = charts(view)["line"]
    next(s for s in fixed if s.label == "structure.kind").v_model = "1"  # cross_functional
    assert charts(view)["line"] != one
    save(charts(view)["line"], "line-fixed")

    # x = the structure, lines per demand level
    select(view, "sweeps-x").v_model = "structure.kind"
    select(view, "sweeps-hue").v_model = "demand.requests_per_day"
    assert set(charts(view)) == {"line", "heatmap", "winner"}
    save(charts(view)["line"], "line-categorical")


def test_an_older_sweep_folder_reads_and_says_how_to_make_it_one_dataset(view):
    select(view, "sweeps-picker").v_model = "old"
    text = texts(view)
    assert "16 of 16 runs saved" in text and "line" in charts(view)
    assert "rename its manifest.json to _manifest.json" in text
    select(view, "sweeps-picker").v_model = STRUCTURE
    assert "rename its manifest.json" not in texts(view)


def test_values_that_are_shares_are_shown_in_percent(results):
    """The runs keep shares as 0-1 (data); every label that says % shows them in %."""
    sweep = sweeps_data.load_sweep(results, STRUCTURE)
    labels = dict(sweeps_data.kpi_choices(sweep))
    assert labels["fcr"] == "Quality: First-contact resolution (%)"
    raw = sweep.ok["fcr"].mean()
    assert 0 < raw < 1
    shown = sweeps_data.aggregate(sweep, "fcr", ["structure.kind"])
    pooled = (shown["mean"] * shown["n"]).sum() / shown["n"].sum()
    assert pooled == pytest.approx(100 * raw)
    downloaded = pd.read_csv(io.BytesIO(sweeps_page._csv(sweep, "fcr", ["structure.kind"], {})))
    assert set(downloaded["unit"]) == {"%"} and downloaded["mean"].min() > 1


def test_winner_map_needs_a_kpi_with_a_better_direction(view):
    select(view, "sweeps-picker").v_model = STRUCTURE
    select(view, "sweeps-kpi").v_model = "utilisation"
    assert "winner" not in charts(view)
    assert "neither higher nor lower is better" in texts(view)
    assert {"line", "heatmap"} <= set(charts(view))


def test_winners_are_clear_only_where_the_intervals_do_not_overlap(results):
    sweep = sweeps_data.load_sweep(results, STRUCTURE)
    axes = ["policies.handoff_delay_hours", "demand.requests_per_day"]
    table = sweeps_data.winners(sweep, "handoffs_per_request", "structure.kind", axes)
    assert len(table) == 4 and set(table["winner"]) <= {
        "cross_functional",
        "functional",
        sweeps_data.NO_CLEAR_WINNER,
    }
    means = sweeps_data.aggregate(sweep, "handoffs_per_request", [*axes, "structure.kind"])
    for _, row in table.iterrows():
        cell = means[(means[axes[0]] == row[axes[0]]) & (means[axes[1]] == row[axes[1]])]
        cell = cell.set_index("structure.kind")
        apart = cell.loc["cross_functional", "ci_high"] < cell.loc["functional", "ci_low"]
        assert (row["winner"] == "cross_functional") == apart  # fewer handoffs is better


def test_morris_sweep_shows_its_sensitivity_indices(view):
    select(view, "sweeps-picker").v_model = "screening"
    assert "Morris design" in texts(view)
    drawn = charts(view)
    assert {"line", "heatmap", "sensitivity"} <= set(drawn)
    save(drawn["sensitivity"], "sensitivity")
    select(view, "sweeps-kpi").v_model = "csat_mean"
    assert charts(view)["sensitivity"] != drawn["sensitivity"]


def test_a_sampled_design_is_shown_in_ranges(view):
    select(view, "sweeps-picker").v_model = "sampled"
    text = texts(view)
    assert "policies.handoff_delay_hours is shown in 5 ranges" in text
    assert {"line", "heatmap"} <= set(charts(view))
    assert "sensitivity" not in charts(view)
    select(view, "sweeps-x").v_model = "structure.teams"
    select(view, "sweeps-hue").v_model = ""
    handoff = [item["text"] for item in select(view, "sweeps-fixed").items]
    assert handoff == [
        "all levels (pooled)",
        "0.00-0.80",
        "0.80-1.60",
        "1.60-2.40",
        "2.40-3.20",
        "3.20-4.00",
    ]  # the range in the sweep file, in equal parts
    save(charts(view)["line"], "line-sampled")


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("broken", "_manifest.json is not valid JSON"),
        ("empty", "no runs yet (16 planned)"),
    ],
)
def test_a_broken_folder_is_an_error_on_the_page(view, folder, message):
    select(view, "sweeps-picker").v_model = folder
    assert message in texts(view)
    assert not charts(view)
    select(view, "sweeps-picker").v_model = "screening"  # the view goes on
    assert "line" in charts(view)


def test_a_damaged_part_file_is_named_and_the_other_runs_are_shown(view, results):
    """One damaged part file made the whole sweep unreadable; now it is left out and named,
    with what to do, and the runs of the other part files are shown (issue 14)."""
    kept = 16 - int((results.parent / "damaged-loses").read_text())
    assert 0 < kept < 16  # the other part files hold runs to show
    select(view, "sweeps-picker").v_model = "damaged"
    # The sweep is read after the pick (on a loaded machine the last one shows a moment longer).
    wait_until(lambda: f"{kept} of 16 runs saved" in texts(view), 30, "the damaged sweep")
    text = texts(view)
    assert re.search(
        r"damaged/parts/part-\w+\.parquet: damaged \(.*\): left out; run the same sweep with "
        r"--resume to set it aside and run its runs again",
        text,
    )
    assert "line" in charts(view)


@pytest.mark.parametrize("link", ["parts folder", "part files"])
def test_runs_linked_from_outside_the_results_folder_are_not_read(
    results, tmp_path, monkeypatch, link
):
    """A real sweep folder whose parts/ (or each part file) is a symbolic link to a sweep
    outside the results folder: refused with a message, nothing from outside shown."""
    outside = results.parent / "outside"
    root = tmp_path / "results"
    sweep = root / "linked-runs"
    sweep.mkdir(parents=True)
    shutil.copy(outside / "_manifest.json", sweep)
    if link == "parts folder":
        (sweep / "parts").symlink_to(outside / "parts", target_is_directory=True)
    else:
        (sweep / "parts").mkdir()
        for part in (outside / "parts").glob("*.parquet"):
            (sweep / "parts" / part.name).symlink_to(part)
    with pytest.raises(sweeps_data.SweepDataError, match="a link to a place outside"):
        sweeps_data.load_sweep(root, "linked-runs")
    monkeypatch.setenv(RESULTS_ENV, str(root))
    box, rc = solara.render(Page(), handle_error=False)  # the only sweep: opened at once
    assert "is a link to a place outside the results folder" in texts(box)
    assert not charts(box) and "runs saved" not in texts(box)
    rc.close()


def test_an_empty_results_folder_says_how_to_fill_it(tmp_path, monkeypatch):
    monkeypatch.setenv(RESULTS_ENV, str(tmp_path))
    box, rc = solara.render(Page(), handle_error=False)
    assert "No sweeps under" in texts(box) and "sim sweep SPEC --out" in texts(box)
    (tmp_path / "late").mkdir()
    (tmp_path / "late" / "_manifest.json").write_text(json.dumps({"name": "Late"}))
    button = next(
        x for x in all_widgets(box) if isinstance(x, v.Btn) and "Look again" in x.children
    )
    button.click()
    assert options(box, "sweeps-picker") == ["late"]  # the only sweep: opened at once
    assert "not a sweep manifest" in texts(box)
    rc.close()
