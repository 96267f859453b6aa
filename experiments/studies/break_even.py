"""Break-even study: how much slower can pooled generalists be? (docs/domain-notes.md §1.9, §7.16).

Silos: 4 functional units of 5 specialists, 30% of requests handed off to a second silo, each
task right first time with probability 0.9 (else a callback after 8 hours on average). Pooled:
the same 20 people as one cross-functional team of generalists, every task slower by a factor
s. For each silo load (0.5, 0.7, 0.85, 0.95), s* is the slowdown at which the pooled team's
mean resolution time equals the silos': bisection on s in [1, min(1.5, 1/load)], every step
run with the same replication seeds as the silos (common random numbers: the same customers,
the same work), so the sign of the mean paired difference is much steadier than either mean.
Parameters: `break_even.toml`.

How the toy model of §1.9 maps onto the simulator, and the one place it cannot be matched:

- The toy is a Jackson network: silo visits are M/M/5 with feedback; a generalist serves a
  whole request in one exponential visit of mean (1 + 0.3) s and resolves it with probability
  0.9. In the simulator a two-skill request stays two tasks, done back to back by the same
  generalist (the next task goes to the person who just finished, who is idle), each right
  first time with its own probability. So a generalist's two-skill request has two chances to
  fail, where the toy's has one.
- Variant "toy" (the default, compared with the table): the generalists' per-task probability
  p is set so that contacts per request equal the toy's 1/0.9 (p = 1.3 x 0.9 / (1.3 x 0.9 +
  0.1) = 0.9213), and their work factor is s p / 0.9 so that work per request equals the toy's
  1.3 s / 0.9. Callbacks and load are then exactly the toy's; what remains different is the
  service-time distribution of a visit (one or two exponential tasks instead of one
  exponential of mean 1.3 s).
- Variant "equal": generalists are right first time with the same per-task probability 0.9 as
  specialists, and their work factor is s. Then two-skill requests fail as often either way,
  the toy's one-stop advantage in callbacks (0.111 vs 0.144 per request, x 8 hours) is gone,
  and at low load, where queues are short, only pooling is left to pay for a slowdown.

The slowdown is the model's `social_loafing` (work-time factor of people sharing a queue), set
only in the pooled scenario. Exact toy values (`toy_resolution`, `toy_s_star`) come from
`sim.queueing.mmc` and reproduce the domain table.

    .venv/bin/python experiments/studies/break_even.py           # about 4 minutes, 2 cores
    .venv/bin/python experiments/studies/break_even.py --quick   # toy variant, about 30 s

Writes `break_even.png` and `break_even.csv` and prints the table and the checks.
"""

from __future__ import annotations

import math
import sys
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    DASHES,
    MARKERS,
    OKABE_ITO,
    Timer,
    executor,
    mean_ci,
    neutral,
    out_dir,
    parser,
    print_checks,
    resolution_summary,
    run_jobs,
    save_figure,
    validation_scenario,
    write_table,
)

from sim.queueing import mmc
from sim.replications import replication_seeds
from sim.scenario import Scenario

PARAMS = Path(__file__).resolve().parent / "break_even.toml"
NEIGHBOURHOOD = 0.03
"""Largest |s*_sim - s*_table| accepted as 'in the neighbourhood' of the domain table."""


def load_params() -> dict[str, Any]:
    return tomllib.loads(PARAMS.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# The toy model, exactly (docs/domain-notes.md §1.9)


def tasks_per_request(p: dict[str, Any]) -> float:
    return 1.0 + p["handoff_share"]


def arrival_rate(p: dict[str, Any], load: float) -> float:
    """Requests per hour that load each silo to `load` (visits per request (1 + h) / F)."""
    people = p["specialists_per_skill"] * len(p["skills"])
    visits = tasks_per_request(p) / p["first_contact_resolution"]
    return load * people / (visits * p["work_hours"])


def toy_silo(p: dict[str, Any], load: float) -> float:
    """Mean resolution time of the silos: visits x M/M/5 sojourn + callbacks x delay."""
    f, n = p["first_contact_resolution"], p["specialists_per_skill"]
    visits = tasks_per_request(p) / f
    sojourn = mmc(load * n / p["work_hours"], 1.0 / p["work_hours"], n).sojourn
    return visits * sojourn + (visits - tasks_per_request(p)) * p["callback_delay_hours"]


def toy_pooled(p: dict[str, Any], load: float, s: float) -> float:
    """Mean resolution time of the pooled generalists: one M/M/20 visit of mean (1 + h) s per
    contact, 1/F contacts per request."""
    f = p["first_contact_resolution"]
    people = p["specialists_per_skill"] * len(p["skills"])
    lam = arrival_rate(p, load) / f
    mean = tasks_per_request(p) * p["work_hours"] * s
    if lam * mean >= people:
        return math.inf
    return mmc(lam, 1.0 / mean, people).sojourn / f + (1 / f - 1) * p["callback_delay_hours"]


def toy_s_star(p: dict[str, Any], load: float) -> float:
    """Exact break-even s* of the toy model (bisection to 1e-9)."""
    target = toy_silo(p, load)
    lo, hi = 1.0, 1.0 / load
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if toy_pooled(p, load, mid) < target else (lo, mid)
    return (lo + hi) / 2


# --------------------------------------------------------------------------------------------
# The simulation


def generalist_fcr(p: dict[str, Any], variant: str) -> float:
    """Per-task first-time-right of the generalists (see the module docstring)."""
    f = p["first_contact_resolution"]
    if variant == "equal":
        return f
    t = tasks_per_request(p)
    return t * f / (t * f + 1.0 - f)


def scenario(
    p: dict[str, Any], load: float, days: int, warmup_days: int, s: float | None, variant: str
) -> Scenario:
    """The silos (`s` None) or the pooled team of generalists slower by `s`."""
    skills = p["skills"]
    single = (1.0 - p["handoff_share"]) / len(skills)
    double = p["handoff_share"] / (len(skills) * (len(skills) - 1))
    hours = p["work_hours"]
    types = [
        {"name": a, "share": single, "expected_hours": 1.0, "tasks": [{"skill": a, "hours": hours}]}
        for a in skills
    ] + [
        {
            "name": f"{a} then {b}",
            "share": double,
            "expected_hours": 1.0,
            "tasks": [{"skill": a, "hours": hours}, {"skill": b, "hours": hours}],
        }
        for a in skills
        for b in skills
        if a != b
    ]
    if s is None:
        policies = neutral("policies", first_contact_resolution=p["first_contact_resolution"])
        structure = {"kind": "functional"}
    else:
        fcr = generalist_fcr(p, variant)
        factor = s * fcr / p["first_contact_resolution"]
        policies = neutral(
            "policies", first_contact_resolution=fcr, social_loafing=max(0.0, factor - 1.0)
        )
        structure = {"kind": "cross_functional", "teams": 1}
    return validation_scenario(
        f"break-even load {load}: " + ("silos" if s is None else f"pooled s={s:.4f}"),
        days=days,
        warmup_days=warmup_days,
        per_hour=arrival_rate(p, load),
        callback_delay_hours=p["callback_delay_hours"],
        request_types=types,
        workforce=[
            {
                "skill": a,
                "headcount": p["specialists_per_skill"],
                "baseline_engagement": 1.0,
                "other_skills": {b: 1.0 for b in skills if b != a},
            }
            for a in skills
        ],
        structure=structure,
        policies=policies,
    )


def bisect_all(
    p: dict[str, Any], control: dict[str, Any], variants: list[str], seeds: list[int], pool
) -> tuple[dict, dict]:
    """Run the silos once per load, then bisect every (load, variant) in lockstep: each step
    is one parallel batch of runs."""
    days, warm = control["days"], control["warmup_days"]
    loads = p["loads"]
    silo_jobs = [
        (scenario(p, load, days, warm, None, ""), seed) for load in loads for seed in seeds
    ]
    silo_runs = run_jobs(silo_jobs, resolution_summary, pool)
    silo = {
        load: np.array([r["resolution"] for r in silo_runs[i * len(seeds) : (i + 1) * len(seeds)]])
        for i, load in enumerate(loads)
    }
    state = {
        (load, v): {"lo": 1.0, "hi": min(p["max_slowdown"], 1.0 / load), "evals": []}
        for load in loads
        for v in variants
    }
    first = True
    while True:
        todo = [
            key for key, st in state.items() if first or st["hi"] - st["lo"] > control["tolerance"]
        ]
        if not todo:
            break
        points = {
            key: state[key]["lo"] if first else (state[key]["lo"] + state[key]["hi"]) / 2
            for key in todo
        }
        jobs = [
            (scenario(p, key[0], days, warm, points[key], key[1]), seed)
            for key in todo
            for seed in seeds
        ]
        runs = run_jobs(jobs, resolution_summary, pool)
        for i, key in enumerate(todo):
            cell = runs[i * len(seeds) : (i + 1) * len(seeds)]
            pooled = np.array([r["resolution"] for r in cell])
            diff = pooled - silo[key[0]]
            mean, low, high = mean_ci(diff)
            st = state[key]
            st["evals"].append(
                {
                    "s": points[key],
                    "pooled": float(pooled.mean()),
                    "diff": mean,
                    "diff_low": low,
                    "diff_high": high,
                    "unstable": sum(not r["stable"] for r in cell),
                }
            )
            if first:
                if mean >= 0:  # the pooled team is no better even at s = 1
                    st["hi"] = st["lo"]
            elif mean < 0:
                st["lo"] = points[key]
            else:
                st["hi"] = points[key]
        first = False
    return silo, state


def table(p: dict[str, Any], silo: dict, state: dict, variants: list[str]) -> pd.DataFrame:
    rows = []
    for load, listed in zip(p["loads"], p["table_s_star"], strict=True):
        s_mean, s_low, s_high = mean_ci(silo[load])
        row = {
            "load": load,
            "silo_R_sim": s_mean,
            "silo_R_ci_low": s_low,
            "silo_R_ci_high": s_high,
            "silo_R_toy": toy_silo(p, load),
            "pooled_s1_R_toy": toy_pooled(p, load, 1.0),
        }
        for v in variants:
            st = state[(load, v)]
            row[f"pooled_s1_R_sim_{v}"] = st["evals"][0]["pooled"]
            row[f"s_star_sim_{v}"] = (st["lo"] + st["hi"]) / 2
            row[f"s_star_low_{v}"] = st["lo"]
            row[f"s_star_high_{v}"] = st["hi"]
        row["s_star_toy_exact"] = toy_s_star(p, load)
        row["s_star_table"] = listed
        if "toy" in variants:
            row["abs_error_toy"] = abs(row["s_star_sim_toy"] - listed)
        rows.append(row)
    return pd.DataFrame(rows)


def checks(result: pd.DataFrame) -> list[tuple[str, bool, str]]:
    s = result.set_index("load")["s_star_sim_toy"]
    out = [
        (
            "s* decreases at high load: s*(0.7) > s*(0.85) > s*(0.95), s*(0.5) > s*(0.85)",
            bool(s[0.7] > s[0.85] > s[0.95] and s[0.5] > s[0.85]),
            ", ".join(f"{load}: {v:.3f}" for load, v in s.items()),
        ),
        (
            f"s* within {NEIGHBOURHOOD} of the table (1.23, 1.24, 1.12, 1.04)",
            bool((result["abs_error_toy"] <= NEIGHBOURHOOD).all()),
            "max |error| " + f"{result['abs_error_toy'].max():.3f}",
        ),
    ]
    r85 = result.set_index("load").loc[0.85]
    out.append(
        (
            "silo resolution time 3.86 h at load 0.85 (±3% or inside the CI)",
            bool(
                r85["silo_R_ci_low"] <= 3.86 <= r85["silo_R_ci_high"]
                or abs(r85["silo_R_sim"] / 3.86 - 1) <= 0.03
            ),
            f"{r85['silo_R_sim']:.3f} [{r85['silo_R_ci_low']:.3f}, {r85['silo_R_ci_high']:.3f}]",
        )
    )
    out.append(
        (
            "pooled-20 at s = 1 gives 2.52 h at load 0.85 (±5%)",
            abs(r85["pooled_s1_R_sim_toy"] / 2.52 - 1) <= 0.05,
            f"{r85['pooled_s1_R_sim_toy']:.3f}",
        )
    )
    return out


def figure(result: pd.DataFrame, variants: list[str], path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    loads = result["load"].to_numpy()
    grid = np.linspace(0.45, 0.97, 100)
    ax.fill_between(
        grid,
        1 / grid,
        1.6,
        color=OKABE_ITO[6],
        alpha=0.25,
        label="pooled team unstable (s > 1/load)",
    )
    ax.plot(
        loads,
        result["s_star_table"],
        ls="none",
        marker=MARKERS[3],
        ms=8,
        mfc="none",
        color=OKABE_ITO[7],
        label="docs/domain-notes.md §1.9 table",
    )
    ax.plot(
        loads,
        result["s_star_toy_exact"],
        ls=DASHES[1],
        color=OKABE_ITO[7],
        lw=1,
        label="toy model, exact (Jackson, M/M/c)",
    )
    names = {"toy": "simulated, toy-matched FCR", "equal": "simulated, equal per-task FCR"}
    for i, v in enumerate(variants):
        mid = result[f"s_star_sim_{v}"].to_numpy()
        err = [mid - result[f"s_star_low_{v}"], result[f"s_star_high_{v}"] - mid]
        ax.errorbar(
            loads,
            mid,
            yerr=err,
            color=OKABE_ITO[i],
            marker=MARKERS[i],
            ls=DASHES[0],
            capsize=3,
            label=f"{names[v]} (bisection bracket)",
        )
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xlim(0.45, 0.97)
    ax.set_ylim(0.98, 1.45)
    ax.set_xlabel("silo utilisation (load per specialist)")
    ax.set_ylabel("break-even generalist slowdown s* (x work time)")
    ax.set_title("Pooled team of 20 generalists vs 4 silos of 5: break-even slowdown", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper right")
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out, args.quick)
    timer = Timer()
    p = load_params()
    control = p["quick"] if args.quick else p["run"]
    variants = control.get("variants", p["variants"])
    seeds = replication_seeds(p["seed"], control["replications"])
    with executor(args.workers) as pool:
        silo, state = bisect_all(p, control, variants, seeds, pool)
    result = table(p, silo, state, variants)
    write_table(
        result,
        out / "break_even.csv",
        f"Break-even slowdown s* ({control['replications']} replications of {control['days']} "
        f"days per point, bracket < {control['tolerance']}; {timer})",
    )
    verdicts = checks(result) if "toy" in variants else []
    print_checks(verdicts)
    figure(result, variants, out / "break_even.png")
    return {"table": result, "state": state, "checks": verdicts, "seconds": timer.seconds}


if __name__ == "__main__":
    main()
