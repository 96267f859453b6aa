"""Page 3, the sweep explorer (researchers): the saved results of parameter sweeps, with their
confidence intervals.

Sweeps are run offline (``sim sweep SPEC`` / ``sim sensitivity SPEC``, never in the page) and
opened here from the results folder only (``sim dashboard --results``, by default ``out/sweeps``,
where ``sim sweep`` saves them): the page lists the sweep folders below it and takes no other
path. For the chosen sweep and KPI it draws

- the KPI's mean and 95% CI against one factor, one line per level of a second factor;
- with two factors, a heatmap of the mean over both;
- the map of where each level of a factor (the structure, by default) wins: the best mean whose
  CI overlaps no other level's, "no clear winner" elsewhere;
- for Sobol and Morris designs, the sensitivity indices (`sim.sweeps.sensitivity`).

Factors a chart does not show are pooled (all levels) or fixed at one level. Whatever is wrong
with a folder (damaged files, no runs yet) is said on the page; nothing here raises.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import reacton.ipyvuetify as rv
import reacton.ipywidgets as rw
import solara

from sim.dashboard import results_dir
from sim.dashboard.sweeps.data import (
    BINS,
    POOLED,
    SavedSweep,
    SweepDataError,
    default_kpi,
    factor_label,
    find_sweeps,
    is_structure,
    kpi_choices,
    load_sweep,
    sweep_title,
)
from sim.kpi_catalogue import kpi_info

NONE = ""
"""The 'no second factor' / 'no contest' choice."""
MAX_CONTENDERS = 8
CSS = """
.sweeps-page .v-select { min-width: 280px; max-width: 460px; }
.sweeps-chart { max-width: 100%; height: auto; }
.sweeps-note { font-size: 14px; color: #444; }
"""
SWEEP_HELP = (
    "Run a sweep into it with `sim sweep SPEC --out {root}/NAME` (or `sim sensitivity SPEC "
    "--out {root}/NAME` for Sobol and Morris indices), then press *Look again*."
)


def _items(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"text": text, "value": value} for value, text in pairs]


@solara.component
def Choice(label: str, items: list[tuple[str, str]], value: solara.Reactive, classes=()):
    """A drop-down of (value, text) pairs."""
    rv.Select(
        label=label,
        items=_items(items),
        v_model=value.value,
        on_v_model=value.set,
        dense=True,
        hide_details=True,
        class_=" ".join(["sweeps-choice", *classes]),
    )


def _attempt(make: Callable[[], Any]) -> tuple[Any, str]:
    """(result, '') or (None, what went wrong): a chart's problem must not take the page down."""
    try:
        return make(), ""
    except SweepDataError as exc:
        return None, str(exc)
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


@solara.component
def Chart(png: bytes | None, problem: str, name: str):
    if problem:
        solara.Error(problem, classes=[f"sweeps-{name}-problem"])
    elif png:
        rw.Image(  # type: ignore[call-arg]  # the stub lacks the widget's _dom_classes
            value=png, format="png", _dom_classes=["sweeps-chart", f"sweeps-{name}"]
        )


@solara.component
def NoSweepsYet(root: Path):
    solara.Info(f"No sweeps yet: {root} does not exist.", classes=["sweeps-no-results"])
    solara.Markdown(
        "`sim sweep SPEC` saves a sweep there (in `out/sweeps/NAME`, from the folder it is run "
        "in), for example:\n\n```\nsim sweep experiments/sweeps/demo.toml\n```\n\n"
        "then reload this page. Sweeps elsewhere: start the dashboard with "
        "`sim dashboard --results FOLDER`."
    )


@solara.component
def Page():
    solara.Title("Sweeps · silos or teams?")
    solara.Style(CSS)
    root = results_dir()
    with solara.Column(gap="10px", classes=["sweeps-page"], style={"max-width": "1500px"}):
        solara.HTML(tag="h2", unsafe_innerHTML="Sweep explorer", style={"margin": "4px 0"})
        if not root.is_dir():
            NoSweepsYet(root)
        else:
            SweepPicker(root)


def _listing(root: Path) -> tuple[list[tuple[str, str]], str]:
    try:
        return [(r, sweep_title(root, r)) for r in find_sweeps(root)], ""
    except OSError as exc:
        return [], f"Cannot list {root}: {exc}"


@solara.component
def SweepPicker(root: Path):
    looks = solara.use_reactive(0)
    listing, problem = solara.use_memo(lambda: _listing(root), [str(root), looks.value])
    chosen = solara.use_reactive(listing[0][0] if len(listing) == 1 else NONE)
    known = [r for r, _ in listing]
    with solara.Row(style={"align-items": "center", "gap": "12px", "flex-wrap": "wrap"}):
        if listing:
            Choice(f"Sweep (in {root})", listing, chosen, classes=["sweeps-picker"])
        solara.Button(
            "Look again",
            icon_name="mdi-refresh",
            on_click=lambda: looks.set(looks.value + 1),
            outlined=True,
        )
    if problem:
        solara.Error(problem)
    elif not listing:
        solara.Info(
            f"No sweeps under {root} yet (a sweep is a folder with a _manifest.json).",
            classes=["sweeps-none"],
        )
        solara.Markdown(SWEEP_HELP.format(root=root))
    elif chosen.value not in known:
        solara.Text(f"{len(listing)} sweeps found: pick one.", classes=["sweeps-note"])
    else:
        SweepView(root, chosen.value, looks.value).key(f"{chosen.value}#{looks.value}")


def _load(root: Path, relative: str) -> SavedSweep | str:
    sweep, problem = _attempt(lambda: load_sweep(root, relative))
    return sweep if sweep is not None else problem


@solara.component
def SweepView(root: Path, relative: str, token: int):
    loaded = solara.use_memo(lambda: _load(root, relative), [str(root), relative, token])
    if isinstance(loaded, str):
        solara.Error(loaded, classes=["sweeps-load-problem"])
        return
    Summary(loaded)
    if not loaded.kpis:
        solara.Error("No KPI has a value in this sweep's runs (did every run fail?).")
        return
    Explorer(loaded)


@solara.component
def Summary(sweep: SavedSweep):
    runs, planned = len(sweep.runs), sweep.planned
    lines = [
        f"<b>{html.escape(sweep.name)}</b>"
        + (f": {html.escape(sweep.description)}" if sweep.description else ""),
        f"{sweep.method.capitalize()} design: {sweep.points} points × {sweep.replications} "
        f"replications; {runs} of {planned} runs saved, {sweep.errors} failed, "
        f"{sweep.unstable} unstable. Factors: "
        + ", ".join(html.escape(factor_label(f)) for f in sweep.factors)
        + f". Folder: {html.escape(sweep.relative)} ({html.escape(sweep.code())}).",
    ]
    solara.HTML(
        tag="div",
        unsafe_innerHTML="<br>".join(lines),
        classes=["sweeps-summary"],
        style={"font-size": "15px", "line-height": "1.5"},
    )
    if sweep.old_layout:
        solara.Info(
            f"This folder was written by an older sim: rename its manifest.json to "
            f"_manifest.json (or finish the sweep with `sim sweep SPEC --out "
            f"{sweep.relative} --resume`, which does it), and pandas, pyarrow and DuckDB read "
            "the folder as one dataset.",
            classes=["sweeps-old-layout"],
        )
    if sweep.binned:
        solara.Info(
            f"A {sweep.method} design samples its factors: "
            + ", ".join(sweep.binned)
            + f" {'is' if len(sweep.binned) == 1 else 'are'} shown in {BINS} ranges, and the "
            "other factors vary within each. For clean effects use the sensitivity indices or "
            "a factorial sweep."
        )
    if runs < planned:
        solara.Warning(
            f"Only {runs} of {planned} runs are saved: the sweep is unfinished or still running "
            f"(finish it with `--resume`). Points with fewer runs have wider intervals."
        )
    if sweep.errors:
        solara.Warning(
            f"{sweep.errors} runs failed and are left out. First error: {sweep.first_error()}"
        )
    for note in sweep.notes:  # damaged part files left out, runs saved twice
        solara.Warning(note)
    if sweep.unstable:
        solara.Warning(
            f"{sweep.unstable} runs were flagged unstable (queues still growing at the end); "
            "they are in the means."
        )


def _level_items(sweep: SavedSweep, factor: str) -> list[tuple[str, str]]:
    items = [(POOLED, "all levels (pooled)")]
    items += [(str(i), sweep.level_label(factor, v)) for i, v in enumerate(sweep.levels[factor])]
    return items


def _fixed_levels(sweep: SavedSweep, chosen: dict[str, str]) -> dict[str, Any]:
    """Factor -> level value (or POOLED) from the index strings the drop-downs hold."""
    fixed: dict[str, Any] = {}
    for factor in sweep.factors:
        index = chosen.get(factor, POOLED)
        levels = sweep.levels[factor]
        fixed[factor] = (
            levels[int(index)] if index != POOLED and int(index) < len(levels) else POOLED
        )
    return fixed


def _contenders(sweep: SavedSweep) -> list[str]:
    """Factors whose levels can compete in the winner map: structures first, then categories,
    then the other factors with a few levels."""
    able = [
        f
        for f in sweep.factors
        if f not in sweep.binned and 2 <= len(sweep.levels[f]) <= MAX_CONTENDERS
    ]
    return sorted(able, key=lambda f: (not is_structure(f), sweep.numeric(f)))


@solara.component
def FixedLevel(sweep: SavedSweep, factor: str, fixed: solara.Reactive):
    value = fixed.value.get(factor, POOLED)

    def pick(index: str) -> None:
        fixed.set({**fixed.value, factor: index})

    rv.Select(
        label=factor_label(factor),
        items=_items(_level_items(sweep, factor)),
        v_model=value,
        on_v_model=pick,
        dense=True,
        hide_details=True,
        class_="sweeps-choice sweeps-fixed",
    )


@solara.component
def Explorer(sweep: SavedSweep):
    from sim.dashboard.sweeps import plots

    factors = sweep.factors
    contenders = _contenders(sweep)
    structure = next((f for f in contenders if is_structure(f)), NONE)
    first_x = next((f for f in factors if f != structure and sweep.numeric(f)), factors[0])
    kpi = solara.use_reactive(default_kpi(sweep))
    second = structure or next((f for f in factors if f != first_x), NONE)
    hue = solara.use_reactive(second if second != first_x else NONE)

    def x_changed(new: str) -> None:
        if hue.value == new:
            hue.set(NONE)

    x = solara.use_reactive(first_x, x_changed)
    fixed: solara.Reactive[dict[str, str]] = solara.use_reactive({})
    contest = solara.use_reactive(structure)

    factor_items = [(f, factor_label(f)) for f in factors]
    with solara.Row(style={"gap": "16px", "flex-wrap": "wrap", "align-items": "flex-end"}):
        Choice("KPI", kpi_choices(sweep), kpi, classes=["sweeps-kpi"])
        Choice("Factor (x axis)", factor_items, x, classes=["sweeps-x"])
        seconds = [(NONE, "none")] + [(f, factor_label(f)) for f in factors if f != x.value]
        if len(factors) > 1:
            Choice("Second factor (lines, heatmap)", seconds, hue, classes=["sweeps-hue"])
    shown = [x.value] + ([hue.value] if hue.value and hue.value != x.value else [])
    others = [f for f in factors if f not in shown]
    if others:
        with solara.Row(style={"gap": "16px", "flex-wrap": "wrap", "align-items": "flex-end"}):
            solara.Text("Other factors:", classes=["sweeps-note"])
            for factor in others:
                FixedLevel(sweep, factor, fixed).key(factor)
    levels = _fixed_levels(sweep, fixed.value)
    key = kpi.value or sweep.kpis[0]  # SweepView shows no explorer without a KPI
    dependencies = [key, x.value, hue.value, tuple(sorted(levels.items(), key=str))]

    line = solara.use_memo(
        lambda: _attempt(lambda: plots.line_chart(sweep, key, x.value, hue.value or None, levels)),
        dependencies,
    )
    heat = solara.use_memo(
        lambda: (
            _attempt(lambda: plots.heatmap(sweep, key, x.value, hue.value, levels))
            if len(shown) == 2
            else (None, "")
        ),
        dependencies,
    )
    with solara.Columns([1, 1] if len(shown) == 2 else [1], gutters_dense=True):
        Chart(*line, "line")
        if len(shown) == 2:
            Chart(*heat, "heatmap")
    solara.Text(
        "Lines: mean over the runs at each level; shaded: its 95% confidence interval (t). "
        "Replications share their seeds across points (common random numbers), so differences "
        "between points are more certain than overlapping bands suggest.",
        classes=["sweeps-note"],
    )
    table = solara.use_memo(
        lambda: _attempt(lambda: _csv(sweep, key, shown, levels)), dependencies
    )[0]
    if table:
        solara.FileDownload(
            table,
            filename=f"{Path(sweep.relative).name or 'sweep'}-{key}.csv",
            label="Download these means and intervals (CSV)",
        )

    axes = [f for f in dict.fromkeys([*shown, *factors]) if f != contest.value][:2]
    winner = solara.use_memo(
        lambda: (
            _attempt(lambda: plots.winner_map(sweep, key, contest.value, axes, levels))
            if contest.value
            else (None, "")
        ),
        [*dependencies, contest.value],
    )
    solara.HTML(tag="h3", unsafe_innerHTML="Where each one wins", style={"margin": "12px 0 0"})
    if not contenders:
        solara.Info("No factor of this sweep has 2 to 8 levels to compare.")
    else:
        choices = [(NONE, "none")] + [(f, factor_label(f)) for f in contenders]
        Choice("Compare the levels of", choices, contest, classes=["sweeps-contest"])
        if contest.value:
            Chart(*winner, "winner")
        else:
            solara.Text(
                "Pick a factor (a structure, or one whose levels are scenarios) to see, at each "
                "combination of two other factors, which of its levels has the best mean.",
                classes=["sweeps-note"],
            )
    if sweep.has_sensitivity():
        Sensitivity(sweep, key)


def _csv(sweep: SavedSweep, kpi: str, by: list[str], levels: dict[str, Any]) -> bytes:
    from sim.dashboard.sweeps.data import aggregate

    frame = aggregate(sweep, kpi, by, levels)
    frame.insert(0, "kpi", kpi)
    frame.insert(1, "unit", kpi_info(kpi, sweep.currency).unit)  # shares in %, as the chart
    return frame.to_csv(index=False).encode()


@solara.component
def Sensitivity(sweep: SavedSweep, kpi: str):
    from sim.dashboard.sweeps import plots
    from sim.dashboard.sweeps.data import sensitivity_indices

    solara.HTML(
        tag="h3",
        unsafe_innerHTML=f"Sensitivity ({html.escape(sweep.method.capitalize())} indices)",
        style={"margin": "12px 0 0"},
    )
    indices = solara.use_memo(lambda: _attempt(lambda: sensitivity_indices(sweep)), [])
    chart = solara.use_memo(
        lambda: (
            _attempt(lambda: plots.sensitivity_chart(indices[0], kpi, sweep.name))
            if indices[0] is not None
            else (None, indices[1])
        ),
        [kpi],
    )
    Chart(*chart, "sensitivity")
