"""J-curve study: a reorganisation with different learning rates (docs/domain-notes.md §7.17).

A functional organisation with costly handoffs becomes six cross-functional teams on day 20
(`scenarios/jcurve.toml`). In steady state the teams win (no handoffs), but everyone starts
1.3 times slower in the new role, a gap that shrinks by the Wright learning rate r per doubling
of tasks done since the switch. The sweep `jcurve.toml` varies r in {0.75, 0.85, 0.95, 1.0}
(1.0 = no learning). Each run is paired with its counterfactual (the same customers, no
reorganisation; `sim.run` does this for a scenario with events).

The sweep file defines the design and the seeds (`sim.sweeps.load_spec`); this script runs its
runs itself, because it keeps each run's daily series, which a sweep's KPI table does not.

Measured, per learning rate, over the replications:

- the daily mean resolution time (customers by arrival day; 7-day rolling mean, averaged over
  replications) and the counterfactual's;
- the model's reorganisation KPIs of each replication (`sim.metrics.reorganisation_effect`):
  `reorg_dip` (the first 10 days after the switch against the counterfactual, in outcome hours),
  `reorg_recovery_day` and `reorg_crossover_day`;
- the paired dips: mean resolution time of the customers of the first 2 and the first 10
  working days after the switch / the counterfactual's (the same customers);
- the cumulative customer-hours difference since the switch (reorganised - counterfactual,
  mean over replications) and its crossover: the first day from which it stays below zero to
  the end of the horizon (None: it never pays back within the horizon).

Checks: a dip for every r (a paired dip over the first 2 days > 1; `reorg_dip`, the mean over
the first 10 days, rises with r and is above 1 from r = 0.85), the two-week dip grows with r,
and the crossover day grows as r -> 1 (None counts as later than any day). A fast learner's dip
is short: at r = 0.75 the 30% slowdown halves within about 7 tasks (a working day per person),
so it shows in the first two days only.

    .venv/bin/python experiments/studies/jcurve.py           # about 1 minute on 2 cores
    .venv/bin/python experiments/studies/jcurve.py --quick   # about 15 s

Writes `jcurve.png` and `jcurve.csv` and prints the table and the checks.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    DASHES,
    OKABE_ITO,
    Timer,
    executor,
    jcurve_summary,
    load_sweep,
    mean_ci,
    out_dir,
    parser,
    print_checks,
    run_jobs,
    save_figure,
    write_table,
)

from sim.sweeps import Sweep

SPEC = Path(__file__).resolve().parent / "jcurve.toml"
FACTOR = "people.learning_rate"
FIRST_DAYS = 2
"""The dip check's window: working days right after the switch. A fast learner (r = 0.75)
halves the 30% slowdown within about 7 tasks, one working day per person, so its dip lasts
about two days; slower learners' dips last weeks (see `EARLY_WEEKS`)."""
EARLY_WEEKS = 10
"""The depth-and-length measure: the first two weeks (10 working days) after the switch."""
ROLLING = 7
QUICK = {"days": 120, "replications": 3}


def sustained_crossover(cumulative: pd.Series) -> int | None:
    """First day from which the cumulative difference stays below zero to the end."""
    negative = cumulative < 0
    if not len(negative) or not negative.iloc[-1]:
        return None
    positive = negative[~negative]
    return int(positive.index[-1]) + 1 if len(positive) else int(negative.index[0])


def window_ratio(
    daily: list[pd.DataFrame], cf: list[pd.DataFrame], first: int, last: int
) -> list[float]:
    """Per replication: mean resolution time of the customers who arrived on days first..last,
    reorganised / counterfactual (the same customers without the reorganisation)."""
    return [
        d.loc[first:last, "resolution_hours_mean"].mean()
        / c.loc[first:last, "resolution_hours_mean"].mean()
        for d, c in zip(daily, cf, strict=True)
    ]


def analyse(sweep: Sweep, reps: dict[float, list[dict]]) -> tuple[pd.DataFrame, dict]:
    switch = sweep.base.events[0].day
    last = sweep.base.run.days - 1
    rows, curves = [], {}
    for r, cell in reps.items():
        daily = [c["daily"].set_index("day").loc[switch - 10 : last] for c in cell]
        cf = [c["counterfactual"].set_index("day").loc[switch - 10 : last] for c in cell]
        res = sum(d["resolution_hours_mean"] for d in daily) / len(daily)
        res_cf = sum(d["resolution_hours_mean"] for d in cf) / len(cf)
        extra = [
            (d.loc[switch:, "customer_hours"] - c.loc[switch:, "customer_hours"]).cumsum()
            for d, c in zip(daily, cf, strict=True)
        ]
        cumulative = sum(extra) / len(extra)
        early = window_ratio(daily, cf, switch, switch + FIRST_DAYS - 1)
        weeks = window_ratio(daily, cf, switch, switch + EARLY_WEEKS - 1)
        late = window_ratio(daily, cf, last - 19, last)
        dips = [c["kpis"]["reorg_dip"] for c in cell]
        kpi_cross = [c["kpis"]["reorg_crossover_day"] for c in cell]
        final = [float(e.iloc[-1]) for e in extra]
        e_mean, e_low, e_high = mean_ci(early)
        f_mean, f_low, f_high = mean_ci(final)
        crossover = sustained_crossover(cumulative)
        rows.append(
            {
                "learning_rate": r,
                "reps": len(cell),
                "baseline_hours": float(np.mean([c["kpis"]["reorg_baseline_hours"] for c in cell])),
                "reorg_dip_mean": float(np.mean(dips)),
                "reorg_dip_min": float(np.min(dips)),
                "first_days_vs_cf": e_mean,
                "first_days_ci_low": e_low,
                "first_days_ci_high": e_high,
                "two_weeks_vs_cf": float(np.mean(weeks)),
                "late_vs_cf": float(np.mean(late)),
                "crossover_day": crossover,
                "kpi_crossover_days": " ".join("-" if x is None else str(x) for x in kpi_cross),
                "recovery_days": " ".join(
                    "-"
                    if c["kpis"]["reorg_recovery_day"] is None
                    else str(c["kpis"]["reorg_recovery_day"])
                    for c in cell
                ),
                "final_customer_hours": f_mean,
                "final_ci_low": f_low,
                "final_ci_high": f_high,
                "unstable_runs": sum(not c["kpis"]["stable"] for c in cell),
            }
        )
        curves[r] = {"resolution": res, "counterfactual": res_cf, "cumulative": cumulative}
    result = pd.DataFrame(rows).astype({"crossover_day": "Int64"})
    return result, curves


def crossover_order(days: list[int | None]) -> bool:
    """Non-decreasing in r with None as latest, and strictly increasing among finite days."""
    keyed = [math.inf if d is None else d for d in days]
    finite = [d for d in days if d is not None]
    return keyed == sorted(keyed) and len(set(finite)) == len(finite)


def checks(result: pd.DataFrame) -> list[tuple[str, bool, str]]:
    by_r = result.sort_values("learning_rate")
    days = [None if pd.isna(d) else int(d) for d in by_r["crossover_day"]]
    return [
        (
            "the dip (reorg_dip, first 10 days) rises with r, above 1 from r = 0.85 (a fast "
            "learner's short dip is paid back within the 10 days)",
            bool(
                by_r["reorg_dip_mean"].is_monotonic_increasing
                and (by_r.loc[by_r["learning_rate"] >= 0.85, "reorg_dip_mean"] > 1).all()
            ),
            ", ".join(
                f"r={r}: {d:.2f}"
                for r, d in zip(by_r["learning_rate"], by_r["reorg_dip_mean"], strict=True)
            ),
        ),
        (
            f"a paired dip for every r: first {FIRST_DAYS} days vs counterfactual > 1",
            bool((by_r["first_days_vs_cf"] > 1).all()),
            ", ".join(
                f"r={r}: {d:.2f}"
                for r, d in zip(by_r["learning_rate"], by_r["first_days_vs_cf"], strict=True)
            ),
        ),
        (
            f"the dip deepens and lasts longer as r -> 1: first {EARLY_WEEKS} days vs "
            "counterfactual increases with r",
            bool(by_r["two_weeks_vs_cf"].is_monotonic_increasing),
            ", ".join(
                f"r={r}: {d:.2f}"
                for r, d in zip(by_r["learning_rate"], by_r["two_weeks_vs_cf"], strict=True)
            ),
        ),
        (
            "crossover day grows as r -> 1 (None = never, latest)",
            crossover_order(days),
            ", ".join(f"r={r}: {d}" for r, d in zip(by_r["learning_rate"], days, strict=True)),
        ),
    ]


def figure(curves: dict, switch: int, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.2, 7.0), sharex=True)
    rates = sorted(curves)
    cf = sum(curves[r]["counterfactual"] for r in rates) / len(rates)
    top.plot(
        cf.index,
        cf.rolling(ROLLING, min_periods=1).mean(),
        color="black",
        ls=DASHES[1],
        lw=1.5,
        label="no reorganisation (counterfactual)",
    )
    for i, r in enumerate(rates):
        series = curves[r]["resolution"].rolling(ROLLING, min_periods=1).mean()
        top.plot(
            series.index,
            series,
            color=OKABE_ITO[i],
            ls=DASHES[0],
            lw=1.4,
            label=f"reorganised, learning rate r = {r:g}",
        )
        cum = curves[r]["cumulative"]
        bottom.plot(cum.index, cum, color=OKABE_ITO[i], lw=1.4, label=f"r = {r:g}")
    for ax in (top, bottom):
        ax.axvline(switch, color="grey", lw=0.8, ls=DASHES[3])
        ax.grid(True, alpha=0.3)
    top.annotate(
        "switch to teams",
        (switch, top.get_ylim()[1]),
        textcoords="offset points",
        xytext=(4, -12),
        fontsize=8,
    )
    bottom.axhline(0, color="black", lw=0.8)
    top.set_ylabel(f"mean resolution time (hours,\n{ROLLING}-day rolling, by arrival day)")
    bottom.set_ylabel("cumulative extra customer-hours\nvs no reorganisation")
    bottom.set_xlabel("working day")
    top.set_title(
        f"Reorganisation J-curve: functional -> cross-functional teams on day {switch}", fontsize=10
    )
    top.legend(fontsize=8, loc="upper right")
    bottom.legend(fontsize=8, loc="upper left", title="below 0 = paid back", title_fontsize=8)
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out, args.quick)
    timer = Timer()
    sweep = load_sweep(SPEC, QUICK if args.quick else None)
    planned = sweep.runs()
    jobs = [(sweep.base.with_overrides(**run.values), run.seed) for run in planned]
    with executor(args.workers) as pool:
        results = run_jobs(jobs, jcurve_summary, pool)
    reps: dict[float, list[dict]] = {}
    for run, rep in zip(planned, results, strict=True):
        reps.setdefault(float(run.values[FACTOR]), []).append(rep)
    result, curves = analyse(sweep, reps)
    write_table(
        result,
        out / "jcurve.csv",
        f"J-curve, switch on day {sweep.base.events[0].day} ({len(sweep.seeds)} replications of "
        f"{sweep.base.run.days} days; {timer})",
        floatfmt="{:.3f}",
    )
    verdicts = checks(result)
    print_checks(verdicts)
    figure(curves, sweep.base.events[0].day, out / "jcurve.png")
    return {"table": result, "checks": verdicts, "seconds": timer.seconds}


if __name__ == "__main__":
    main()
