"""Pooling study: k separate units vs one pooled unit of k people (docs/domain-notes.md §1.2, §7.7).

Validation mode (every mechanism neutral, Poisson arrivals, exponential work of mean 1 hour),
utilisation 0.8 per person. The same 8 people are organised as `teams` = 8 / k cross-functional
teams of k: 8 teams of one person are 8 separate M/M/1 units (W_q = 4.000 hours), and k = 2, 4,
8 pool k people into one M/M/k queue (Erlang C: W_q = 1.778, 0.7455, 0.2860 hours).

The study is the sweep `pooling.toml` (base scenario `scenarios/pooling.toml`), run with
`sim.sweeps.run_sweep` on a local process pool and summarised with `sim.sweeps.summarise_sweep`.

    .venv/bin/python experiments/studies/pooling.py            # about 1.5 minutes on 2 cores
    .venv/bin/python experiments/studies/pooling.py --quick    # about 15 s

Writes `pooling.png` and `pooling.csv` to the output folder and prints the table. Check (domain
§7 default tolerance): each simulated W_q has the exact value inside its 95% CI or is within 3%
of it (`--quick` is too short for that precision; its test allows 15%).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    DASHES,
    DEFAULT_OUT,
    MARKERS,
    OKABE_ITO,
    ROOT,
    Timer,
    load_sweep,
    mean_ci,
    out_dir,
    parser,
    save_figure,
    within_target,
    write_table,
)

from sim.executors import local_executor
from sim.queueing import mmc
from sim.sweeps import load_runs, run_sweep

SPEC = Path(__file__).resolve().parent / "pooling.toml"
PEOPLE = 8
RHO = 0.8
QUICK = {"days": 300, "replications": 3}
"""--quick: 3 replications of 300 days (about 46,000 requests each)."""


def table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per k: simulated pooled W_q (mean, 95% CI) against Erlang C, and the separate
    units' W_q (the 8-team point, the same in every row) against 4.0."""
    by_teams = {
        int(teams): cell["wait_hours_mean"].to_numpy(float)
        for teams, cell in runs.groupby("structure.teams")
    }
    separate = by_teams[PEOPLE]
    s_mean, s_low, s_high = mean_ci(separate)
    silo = mmc(RHO, 1.0, 1)
    rows = []
    for teams in sorted(by_teams, reverse=True):
        k = PEOPLE // teams
        values = by_teams[teams]
        exact = mmc(RHO * k, 1.0, k)
        mean, low, high = mean_ci(values)
        rows.append(
            {
                "k": k,
                "teams": teams,
                "reps": len(values),
                "separate_wq_sim": s_mean,
                "separate_ci_low": s_low,
                "separate_ci_high": s_high,
                "separate_wq_exact": silo.wait,
                "pooled_wq_sim": mean,
                "pooled_ci_low": low,
                "pooled_ci_high": high,
                "pooled_wq_exact": exact.wait,
                "rel_error": mean / exact.wait - 1.0,
                "ci_half_rel": (high - low) / 2 / exact.wait,
                "ratio_sim": mean / s_mean,
                "ratio_exact": exact.wait / silo.wait,
                "within_target": within_target(values, exact.wait),
            }
        )
    return pd.DataFrame(rows)


def figure(result: pd.DataFrame, path: Path) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ks = list(range(1, PEOPLE + 1))
    ax.plot(
        ks,
        [mmc(RHO * k, 1.0, k).wait for k in ks],
        color=OKABE_ITO[0],
        ls=DASHES[0],
        label="pooled, exact (Erlang C, M/M/k)",
    )
    ax.axhline(
        mmc(RHO, 1.0, 1).wait, color=OKABE_ITO[1], ls=DASHES[1], label="separate, exact (M/M/1)"
    )
    err = [
        result["pooled_wq_sim"] - result["pooled_ci_low"],
        result["pooled_ci_high"] - result["pooled_wq_sim"],
    ]
    ax.errorbar(
        result["k"],
        result["pooled_wq_sim"],
        yerr=err,
        fmt=MARKERS[0],
        ms=6,
        color=OKABE_ITO[0],
        capsize=4,
        label="pooled, simulated (95% CI)",
    )
    first = result.iloc[0]
    ks_sep = result["k"].to_numpy()[1:]
    ax.errorbar(
        ks_sep,
        [first["separate_wq_sim"]] * len(ks_sep),
        yerr=[
            [first["separate_wq_sim"] - first["separate_ci_low"]] * len(ks_sep),
            [first["separate_ci_high"] - first["separate_wq_sim"]] * len(ks_sep),
        ],
        fmt=MARKERS[1],
        ms=6,
        mfc="none",
        color=OKABE_ITO[1],
        capsize=4,
        label="k separate units, simulated (95% CI)",
    )
    for _, row in result.iterrows():
        ax.annotate(
            f"{row['pooled_wq_sim']:.3g}",
            (row["k"], row["pooled_wq_sim"]),
            textcoords="offset points",
            xytext=(8, 4),
            fontsize=8,
        )
    ax.set_yscale("log")
    ax.set_yticks([0.25, 0.5, 1, 2, 4], ["0.25", "0.5", "1", "2", "4"])
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks([1, 2, 4, 8])
    ax.set_xlabel("people pooled into one queue, k")
    ax.set_ylabel("mean wait in queue $W_q$ (hours; mean work 1 h)")
    ax.set_title("Pooling at utilisation 0.8: one queue for k people vs k queues", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out, args.quick)
    timer = Timer()
    sweep = load_sweep(SPEC, QUICK if args.quick else None)
    # The sweep's Parquet parts: next to a custom output, else in the git-ignored out/ folder.
    runs_dir = (ROOT / "out" / "studies" if out.resolve() == DEFAULT_OUT else out) / "pooling-runs"
    shutil.rmtree(runs_dir, ignore_errors=True)
    with local_executor(max(1, args.workers)) as pool:
        done = run_sweep(sweep, runs_dir, pool)
    if done.errors:
        raise SystemExit(f"{done.errors} runs failed; see {runs_dir}")
    runs = load_runs(runs_dir)
    if not runs["stable"].all():
        raise SystemExit("an unstable run in a validation-mode pooling study: a model bug")
    result = table(runs)
    write_table(
        result,
        out / "pooling.csv",
        f"Pooling at utilisation 0.8 ({len(sweep.seeds)} replications of "
        f"{sweep.base.run.days} days; {timer})",
    )
    figure(result, out / "pooling.png")
    return result


if __name__ == "__main__":
    main()
