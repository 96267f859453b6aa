"""Cross-training study (Wallace & Whitt 2005 style; docs/domain-notes.md §1.6-1.7, §7.14).

6 skills x 6 groups of 15 people, exponential work of mean 1 hour, lambda = 13.5 per hour per
class (utilisation 0.9). Four skill designs, each group's second skills at proficiency 1:

- dedicated: no second skill (6 separate M/M/15 units, no help);
- closed pairs: 1<->2, 3<->4, 5<->6;
- long chain: group i also does skill i+1 (mod 6);
- full flexibility: every group has every skill.

Parameters: `cross_training.toml`. Validation mode (every mechanism neutral) except help across
units: the structure is functional (one unit per group, its own queue) and
`help_across_units = 1`, so help is never declined (`tie_weight` is neutral).

How the model's routing compares with W&W's (§1.7):

- On arrival, W&W use an idle agent of the primary group, else an idle agent of the eligible
  group with the most idle agents. The model uses an idle member of the class's own unit, else
  "the best idle eligible employee of another unit": the highest proficiency, ties going to
  the first unit in workforce order that has an idle eligible member (not the one with most
  idle members). With pairs and the chain a class has exactly one other eligible group, so the
  two rules coincide; with full flexibility they pick different agents, but every agent is
  equally fast and able, so the total queue is the same process (see below).
- When an agent frees up, W&W take the longest-waiting eligible call over every class the agent
  can do. The model gives the agent's own unit strict priority (its oldest customer first);
  only if that queue is empty does the agent help, taking the oldest eligible customer of the
  other unit with the *longest queue* that holds work they can do. In the chain that means a
  group serves its second class only when its own queue is empty: a static priority to the
  primary skill instead of FCFS across both classes.
- Full flexibility under both rules is work-conserving (nobody idles while anyone waits) and
  work is exponential, so the number waiting is the birth-death process of one M/M/90 queue
  (W_q = 0.0265), as in one pooled unit (`structure.kind = "cross_functional"`, teams = 1): the
  same in distribution, not run for run (who is served next differs). Closed pairs are
  work-conserving inside each pair: three M/M/30 queues (W_q = 0.1571).

Checks (§7.14): the long chain captures >= 90% of full flexibility's W_q reduction from
dedicated; with class loads (18, 13.5, 13.5, 13.5, 13.5, 9) the dedicated and closed-pair designs
are unstable (class 1's queue grows: the model flags the run unstable, and customers arriving in
the last fifth of the window wait far longer than those in the first fifth) while the chain stays
near full flexibility.

    .venv/bin/python experiments/studies/cross_training.py           # about 3 minutes, 2 cores
    .venv/bin/python experiments/studies/cross_training.py --quick   # about 30 s

Writes `cross_training.png` and `cross_training.csv` and prints the table and the checks.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    OKABE_ITO,
    Timer,
    executor,
    mean_ci,
    neutral,
    out_dir,
    parser,
    print_checks,
    run_jobs,
    save_figure,
    validation_scenario,
    wait_summary,
    write_table,
)

from sim.queueing import mmc
from sim.replications import replication_seeds
from sim.scenario import Scenario

PARAMS = Path(__file__).resolve().parent / "cross_training.toml"
DESIGNS = ("dedicated", "closed_pairs", "long_chain", "full")
LABELS = {
    "dedicated": "dedicated",
    "closed_pairs": "closed pairs",
    "long_chain": "long chain",
    "full": "full flexibility",
}
CHAIN_TARGET = (0.046, 0.005)
"""§7.14: the long chain's E[W_q] (W&W-style DES, ± its tolerance)."""
WW_UNBALANCED = {"long_chain": 0.0467, "full": 0.0242}
"""§1.7 table, unbalanced column (simulated, ± 0.003)."""
GROWTH = 1.5
"""A run counts as unstable when the model flags it, or when the customers who arrived in the
last fifth of the window waited more than GROWTH times as long as those of the first fifth
(a queue growing linearly from the start gives about 2 with the full study's 21-day warm-up
and 50-day runs, about 4 in quick mode; stable runs give 1 within about 0.15)."""


def load_params() -> dict[str, Any]:
    return tomllib.loads(PARAMS.read_text(encoding="utf-8"))


def targets(params: dict[str, Any]) -> dict[str, float]:
    """Balanced-load targets: exact where the design is a set of M/M/c queues (§7.2-7.4)."""
    n = params["people_per_group"]
    lam = params["loads"]["balanced"][0]
    mu = 1.0 / params["work_hours"]
    return {
        "dedicated": mmc(lam, mu, n).wait,
        "closed_pairs": mmc(2 * lam, mu, 2 * n).wait,
        "long_chain": CHAIN_TARGET[0],
        "full": mmc(6 * lam, mu, 6 * n).wait,
    }


def scenario(
    params: dict[str, Any], design: str, load: str, days: int, warmup_days: int
) -> Scenario:
    skills = params["skills"]
    loads = params["loads"][load]
    seconds = params["designs"][design]
    total = sum(loads)
    return validation_scenario(
        f"cross-training: {LABELS[design]}, {load}",
        days=days,
        warmup_days=warmup_days,
        per_hour=total,
        request_types=[
            {
                "name": f"class {skill}",
                "share": rate / total,
                "expected_hours": 1.0,
                "tasks": [{"skill": skill, "hours": params["work_hours"]}],
            }
            for skill, rate in zip(skills, loads, strict=True)
        ],
        workforce=[
            {
                "skill": skill,
                "headcount": params["people_per_group"],
                "baseline_engagement": 1.0,
                "other_skills": dict.fromkeys(seconds.get(skill, []), 1.0),
            }
            for skill in skills
        ],
        structure={"kind": "functional"},
        policies=neutral("policies", help_across_units=1.0 if seconds else 0.0),
        source=f"cross_training {design} {load}",
    )


def unstable(rep: dict[str, Any]) -> bool:
    growth = rep["wait_last_fifth"] / max(rep["wait_first_fifth"], 1e-9)
    return (not rep["stable"]) or growth > GROWTH


def table(params: dict[str, Any], reps: dict[tuple[str, str], list[dict]]) -> pd.DataFrame:
    exact = targets(params)
    rows = []
    for load in ("balanced", "unbalanced"):
        for design in DESIGNS:
            cell = reps[(design, load)]
            waits = [r["wait"] for r in cell]
            mean, low, high = mean_ci(waits)
            growth = [r["wait_last_fifth"] / max(r["wait_first_fifth"], 1e-9) for r in cell]
            if load == "balanced":
                target = exact[design]
            elif design in ("dedicated", "closed_pairs"):
                target = np.nan  # unstable
            else:
                target = WW_UNBALANCED[design]
            rows.append(
                {
                    "load": load,
                    "design": design,
                    "reps": len(cell),
                    "wq_sim": mean,
                    "wq_ci_low": low,
                    "wq_ci_high": high,
                    "wq_target": target,
                    "p_wait_sim": float(np.mean([r["p_wait"] for r in cell])),
                    "help_share": float(np.mean([r["help_share"] for r in cell])),
                    "flagged_unstable": sum(not r["stable"] for r in cell),
                    "wait_growth": float(np.mean(growth)),
                    "unstable": all(unstable(r) for r in cell),
                }
            )
    return pd.DataFrame(rows)


def chain_share(reps: dict[tuple[str, str], list[dict]], load: str = "balanced") -> dict:
    """Share of the dedicated -> full W_q reduction that the chain captures: from the means,
    and per seed (common random numbers) with a 95% CI."""
    w = {d: np.array([r["wait"] for r in reps[(d, load)]]) for d in DESIGNS}
    share = (w["dedicated"].mean() - w["long_chain"].mean()) / (
        w["dedicated"].mean() - w["full"].mean()
    )
    per_seed = (w["dedicated"] - w["long_chain"]) / (w["dedicated"] - w["full"])
    pairs = (w["dedicated"].mean() - w["closed_pairs"].mean()) / (
        w["dedicated"].mean() - w["full"].mean()
    )
    _, low, high = mean_ci(per_seed)
    return {"chain_share": float(share), "ci_low": low, "ci_high": high, "pairs_share": pairs}


def checks(result: pd.DataFrame, share: dict) -> list[tuple[str, bool, str]]:
    """(what, passed, numbers) for the printed summary and the tests."""
    row = result.set_index(["load", "design"])
    out = []
    out.append(
        (
            "chain captures >= 90% of full flexibility's Wq reduction (balanced)",
            share["chain_share"] >= 0.9,
            f"{share['chain_share']:.1%} (95% CI {share['ci_low']:.1%}-{share['ci_high']:.1%});"
            f" closed pairs {share['pairs_share']:.1%}",
        )
    )
    chain = row.loc[("balanced", "long_chain")]
    lo, hi = CHAIN_TARGET[0] - CHAIN_TARGET[1], CHAIN_TARGET[0] + CHAIN_TARGET[1]
    out.append(
        (
            "chain balanced Wq = 0.046 ± 0.005",
            lo <= chain["wq_sim"] <= hi,
            f"{chain['wq_sim']:.4f}",
        )
    )
    for design in ("dedicated", "closed_pairs", "full"):
        r = row.loc[("balanced", design)]
        out.append(
            (
                f"{LABELS[design]} balanced Wq vs exact {r['wq_target']:.4f}",
                bool(r["wq_ci_low"] <= r["wq_target"] <= r["wq_ci_high"])
                or abs(r["wq_sim"] / r["wq_target"] - 1) <= 0.03,
                f"{r['wq_sim']:.4f} [{r['wq_ci_low']:.4f}, {r['wq_ci_high']:.4f}]",
            )
        )
    for design in ("dedicated", "closed_pairs"):
        r = row.loc[("unbalanced", design)]
        out.append(
            (
                f"{LABELS[design]} unstable under unbalanced load",
                bool(r["unstable"]),
                f"flagged {r['flagged_unstable']}/{r['reps']}, wait growth x{r['wait_growth']:.0f},"
                f" Wq {r['wq_sim']:.2f} h",
            )
        )
    chain_u, full_u = row.loc[("unbalanced", "long_chain")], row.loc[("unbalanced", "full")]
    out.append(
        (
            "chain stays stable and near full flexibility under unbalanced load (Wq < 0.06)",
            (not chain_u["unstable"])
            and chain_u["flagged_unstable"] == 0
            and chain_u["wq_sim"] < 0.06,
            f"chain {chain_u['wq_sim']:.4f} (W&W 0.0467), full {full_u['wq_sim']:.4f} "
            f"(W&W 0.0242, exact M/M/90 0.0265)",
        )
    )
    return out


def figure(result: pd.DataFrame, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.2, 4.4))
    x = np.arange(len(DESIGNS))
    width = 0.38
    for j, (load, colour, hatch) in enumerate(
        [("balanced", OKABE_ITO[0], None), ("unbalanced", OKABE_ITO[1], "//")]
    ):
        cell = result[result["load"] == load].set_index("design").loc[list(DESIGNS)]
        pos = x + (j - 0.5) * width
        heights = cell["wq_sim"].to_numpy()
        err = [heights - cell["wq_ci_low"].to_numpy(), cell["wq_ci_high"].to_numpy() - heights]
        ax.bar(
            pos,
            heights,
            width,
            color=colour,
            hatch=hatch,
            edgecolor="black",
            linewidth=0.5,
            label=f"{load} load, simulated",
            yerr=err,
            capsize=3,
        )
        ax.scatter(
            pos,
            cell["wq_target"],
            marker="D",
            s=28,
            color="black",
            zorder=3,
            label="target (exact, or W&W DES)" if j == 0 else None,
        )
        for p, h, flag in zip(pos, heights, cell["unstable"], strict=True):
            label = "unstable:\nqueue grows" if flag else f"{h:.3f}"
            ax.annotate(
                label, (p, h), textcoords="offset points", xytext=(0, 4), ha="center", fontsize=7
            )
    ax.set_yscale("log")
    ax.set_ylim(top=ax.get_ylim()[1] * 4)  # room for the labels
    ax.set_xticks(x, [LABELS[d] for d in DESIGNS])
    ax.set_xlabel("cross-training design (6 groups x 15 people, 2nd skills at proficiency 1)")
    ax.set_ylabel("mean wait in queue $E[W_q]$ (hours; mean work 1 h)")
    ax.set_title(
        "Wallace-Whitt cross-training: balanced (13.5/h per class) vs unbalanced demand",
        fontsize=10,
    )
    ax.grid(True, axis="y", which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out, args.quick)
    timer = Timer()
    params = load_params()
    control = params["quick"] if args.quick else params["run"]
    seeds = replication_seeds(params["seed"], control["replications"])
    cells = [
        (design, load, control["days"] if load == "balanced" else control["unbalanced_days"])
        for load in ("balanced", "unbalanced")
        for design in DESIGNS
    ]
    jobs, keys = [], []
    # Longest runs first (the unstable unbalanced ones scan long queues), for load balance.
    for design, load, days in sorted(cells, key=lambda c: (c[1] != "unbalanced", c[0])):
        s = scenario(params, design, load, days, control["warmup_days"])
        for seed in seeds:
            jobs.append((s, seed))
            keys.append((design, load))
    with executor(args.workers) as pool:
        results = run_jobs(jobs, wait_summary, pool)
    reps: dict[tuple[str, str], list[dict]] = {}
    for key, rep in zip(keys, results, strict=True):
        reps.setdefault(key, []).append(rep)
    result = table(params, reps)
    share = chain_share(reps)
    write_table(
        result,
        out / "cross_training.csv",
        f"Cross-training, 6 x 15 agents ({control['replications']} replications of "
        f"{control['days']} days balanced, {control['unbalanced_days']} unbalanced; {timer})",
    )
    verdicts = checks(result, share)
    print_checks(verdicts)
    figure(result, out / "cross_training.png")
    return {"table": result, "share": share, "checks": verdicts, "seconds": timer.seconds}


if __name__ == "__main__":
    main()
