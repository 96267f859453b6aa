"""Global sensitivity of KPIs to scenario factors: Sobol and Morris indices (SALib) from a sweep.

A sensitivity study is an ordinary sweep (`sim.sweeps`) whose design is a Sobol or Morris
sample, so it runs on the same executors, streams to the same Parquet parts and resumes the same
way; the indices are computed from the finished rows. The replications of a design point are
averaged first. They share their seeds with every other point (common random numbers), so the
noise of a single run largely cancels in the differences the indices are built from.

- Sobol (`design.method = "sobol"`, N a power of 2): first-order S1 (the share of the KPI's
  variance a factor explains alone) and total ST (alone and in interactions), with 95%
  bootstrap intervals; N x (factors + 2) points, no second-order indices.
- Morris (`design.method = "morris"`, N trajectories): mu_star (mean absolute elementary effect:
  the KPI change over a factor's range, a screening measure of importance) and sigma (its spread:
  interactions or non-linearity); N x (factors + 1) points, far fewer than Sobol.
"""

from __future__ import annotations

import warnings
from concurrent.futures import Executor
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.kpi_catalogue import kpi_info
from sim.progress import ProgressCallback
from sim.report.style import OKABE_ITO
from sim.sweeps.design import Sweep, run_id
from sim.sweeps.runs import SweepError, run_sweep
from sim.sweeps.spec import STATUS_COLUMNS, SpecError
from sim.sweeps.store import load_runs, read_manifest

INDICES = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu", "mu_star", "mu_star_conf", "sigma"),
}
"""Columns of `analyse` per method; ``*_conf`` is the half-width of the 95% bootstrap interval."""
EFFECTS = ("mu", "mu_star", "mu_star_conf", "sigma")
"""Morris columns in the KPI's own unit (changes of the KPI); Sobol's are shares of variance."""


def shown_units(indices: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The indices as tables and charts show them, and each KPI's unit there. A Morris effect
    of a share KPI (0-1 in the runs, % in every table) is in percentage points; other effects
    are in the KPI's unit. Sobol indices are shares of the KPI's variance, whatever the KPI."""
    method = indices.attrs.get("method") or ("sobol" if "S1" in indices else "morris")
    shown = indices.copy()
    shown.attrs.update(indices.attrs)
    units = {}
    for kpi in dict.fromkeys(indices["kpi"]):
        info = kpi_info(str(kpi))
        if method == "sobol":
            units[kpi] = "share of its variance"
        elif info.kind == "share":
            rows = shown["kpi"] == kpi
            shown.loc[rows, list(EFFECTS)] = shown.loc[rows, list(EFFECTS)] * 100
            units[kpi] = "percentage points"
        else:
            units[kpi] = info.unit
    return shown, units


def check_design(sweep: Sweep) -> None:
    """Raise `SpecError` unless the sweep's design yields sensitivity indices."""
    method = sweep.spec.design.method
    if method not in INDICES:
        raise SpecError(
            [
                f"{sweep.source}: design.method: {method!r} gives no sensitivity indices "
                "(allowed: sobol, morris)"
            ]
        )


def run_sensitivity(
    sweep: Sweep,
    out_dir: str | Path,
    executor: Executor | None = None,
    *,
    resume: bool = False,
    force_resume: bool = False,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Run the sweep (see `sim.sweeps.run_sweep`), then `analyse` it."""
    check_design(sweep)
    run_sweep(sweep, out_dir, executor, resume=resume, force_resume=force_resume, progress=progress)
    return analyse(out_dir)


def analyse(out_dir: str | Path) -> pd.DataFrame:
    """Indices per (KPI, factor) of the finished sweep in `out_dir`: columns kpi, factor and
    `INDICES[method]`; ``frame.attrs["method"]`` says which.

    Every design point needs a value of every KPI: a point whose runs all failed, or are not
    finished, or whose KPI is undefined (NaN) makes it a `SweepError`.
    """
    from SALib.analyze import morris, sobol  # half a second to import: only here

    manifest = read_manifest(out_dir)
    spec = manifest["spec"]
    method = spec["design"]["method"]
    if method not in INDICES:
        raise SpecError(
            [
                f"{out_dir}: design.method: {method!r} gives no sensitivity indices "
                "(allowed: sobol, morris)"
            ]
        )
    factors = manifest["factors"]
    problem = {
        "num_vars": len(factors),
        "names": factors,
        "bounds": [f["range"] for f in spec["factors"]],
    }
    runs = load_runs(out_dir)
    ok = runs[runs["status"] == "ok"].set_index("run_id")
    points = manifest["design"]
    keys = pd.DataFrame(
        [
            (i, run_id(dict(zip(factors, point, strict=True)), replication))
            for i, point in enumerate(points)
            for replication in range(len(manifest["seeds"]))
        ],
        columns=["point", "run_id"],
    )
    kpis = [k for k in manifest["kpis"] if k not in STATUS_COLUMNS]
    values = keys.join(ok[kpis].astype(float), on="run_id")
    means = values.groupby("point")[kpis].mean()  # NaN where no replication has a value
    sample = np.array(manifest["sample"], dtype=float)
    rows = []
    for kpi in kpis:
        y = means[kpi].to_numpy(float)
        missing = int((~np.isfinite(y)).sum())
        if missing:
            raise SweepError(
                f"{out_dir}: {kpi} has no value at {missing} of {len(y)} design points (failed "
                f"or unfinished runs, or an undefined KPI); {method} indices need every point"
            )
        # A KPI that does not vary divides 0 by 0: its indices are NaN, which is the answer.
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if method == "sobol":
                found = sobol.analyze(problem, y, calc_second_order=False, seed=spec["seed"])
            else:
                found = morris.analyze(
                    problem, sample, y, num_levels=spec["design"]["levels"], seed=spec["seed"]
                )
        for j, factor in enumerate(factors):
            row = {"kpi": kpi, "factor": factor}
            row.update({name: float(found[name][j]) for name in INDICES[method]})
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame.attrs["method"] = method
    return frame


def plot_indices(indices: pd.DataFrame, path: str | Path, title: str | None = None) -> Path:
    """A bar chart per KPI of `analyse`'s indices, with their 95% intervals, saved as PNG.

    Two Okabe-Ito colours that stay apart with the common colour-vision deficiencies, and a
    hatch on the second bar, so the chart also reads in greyscale.
    """
    method = indices.attrs.get("method") or ("sobol" if "S1" in indices else "morris")
    bars: list[tuple[str, str | None, str]]
    indices, units = shown_units(indices)
    if method == "sobol":
        bars = [("S1", "S1_conf", "first order (S1)"), ("ST", "ST_conf", "total (ST)")]
        xlabel = "share of the KPI's variance"
    else:
        bars = [
            ("mu_star", "mu_star_conf", "importance μ* (mean |effect|)"),
            ("sigma", None, "σ (interactions, non-linearity)"),
        ]
        xlabel = "KPI change over the factor's range"
    kpis = list(dict.fromkeys(indices["kpi"]))
    factors = list(dict.fromkeys(indices["factor"]))
    height = 0.38
    fig = Figure(figsize=(8, 1.0 + len(kpis) * (0.55 * len(factors) + 1.0)), layout="constrained")
    axes = fig.subplots(len(kpis), 1, squeeze=False)[:, 0]
    for ax, kpi in zip(axes, kpis, strict=True):
        part = indices[indices["kpi"] == kpi].set_index("factor").reindex(factors)
        y = np.arange(len(factors))
        for k, (column, conf, label) in enumerate(bars):
            ax.barh(
                y + (k - 0.5) * height,
                part[column],
                height=height,
                xerr=part[conf] if conf else None,
                capsize=3,
                color=OKABE_ITO[0] if k == 0 else OKABE_ITO[5],
                hatch="" if k == 0 else "//",
                edgecolor="black",
                linewidth=0.5,
                label=label,
            )
        ax.set_yticks(y, factors)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.8)
        unit = f" ({units[kpi]})" if method == "morris" and units[kpi] else ""
        ax.set_title(f"{kpi_info(kpi).label}{unit}", loc="left")
        ax.set_xlabel(xlabel)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(bars))
    fig.suptitle(title or f"{method.capitalize()} sensitivity indices")
    path = Path(path)
    fig.savefig(path, dpi=120)
    return path
