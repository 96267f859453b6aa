"""A finished sweep in numbers: per design point and KPI, the mean and its 95% CI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.replications import estimate
from sim.sweeps.spec import STATUS_COLUMNS
from sim.sweeps.store import load_runs, read_manifest


def summarise_sweep(out_dir: str | Path) -> pd.DataFrame:
    """Per design point (one combination of factor levels) and KPI: mean and 95% t-CI.

    Tidy: one row per (point, KPI) with the factor columns, kpi, n (runs with a value), mean,
    ci_low, ci_high, and per point the runs, errors and unstable counts. Error rows and
    undefined values (NaN) are left out of the mean; unstable runs are in it, and counted.
    ``attrs["notes"]``: damaged parts left out, runs saved twice (`sim.sweeps.load_runs`).
    """
    manifest = read_manifest(out_dir)
    runs = load_runs(out_dir)
    factors = manifest["factors"]
    kpis = [k for k in manifest["kpis"] if k not in STATUS_COLUMNS]
    rows = []
    for values, cell in runs.groupby(factors, sort=False, dropna=False):
        point = dict(zip(factors, values if isinstance(values, tuple) else (values,), strict=True))
        counts = {
            "runs": len(cell),
            "errors": int((cell["status"] == "error").sum()),
            "unstable": int(cell["stable"].eq(False).sum()),
        }
        for kpi in kpis:
            e = estimate(pd.to_numeric(cell[kpi], errors="coerce").to_numpy(float))
            rows.append(
                {
                    **point,
                    "kpi": kpi,
                    "n": e.n,
                    "mean": e.mean,
                    "ci_low": e.ci_low,
                    "ci_high": e.ci_high,
                    **counts,
                }
            )
    summary = pd.DataFrame(rows)
    summary.attrs["notes"] = runs.attrs.get("notes", [])  # what was left out, and why
    return summary
