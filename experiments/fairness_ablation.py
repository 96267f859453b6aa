"""Why does one structure win? Every mechanism off, one at a time, in the three presets.

The one-at-a-time table of issue 10 (and of the validity review's section 2): each arm sets one
mechanism to its neutral value in the functional (F), cross-functional (X) and matrix (M)
presets; every arm runs the same seeds in all three (common random numbers), so the gap X - F is
paired seed by seed and its 95% CI is across seeds. If the gap shrinks when a mechanism is off,
that mechanism was hurting the teams; if it grows, it was helping them.

    .venv/bin/python experiments/fairness_ablation.py                  # 60 days, seeds 1-5
    .venv/bin/python experiments/fairness_ablation.py --workers 2 --csv ablation.csv
    .venv/bin/python experiments/fairness_ablation.py --days 20 --seeds 2   # a quick look

An arm whose keys the scenario schema does not know (a mechanism this version of the model does
not have) is printed as "n/a", so the same script measures an older tree (run it there with that
tree's interpreter: ``cd old-tree && python /path/to/fairness_ablation.py --root .``).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PRESETS = {"F": "functional", "X": "cross-functional", "M": "matrix"}

ARMS: list[tuple[str, dict[str, object]]] = [
    ("baseline (presets)", {}),
    ("handoff_delay = 0", {"policies.handoff_delay_hours": 0.0}),
    ("handoff_info_loss = 0", {"policies.handoff_info_loss": 0.0}),
    ("misrouting = 0", {"policies.misrouting": 0.0}),
    ("help_across_units = 0", {"policies.help_across_units": 0.0}),
    ("first_contact_resolution = 1", {"policies.first_contact_resolution": 1.0}),
    ("proficiency_quality_exponent = 0", {"policies.proficiency_quality_exponent": 0.0}),
    ("engagement_effect = 0", {"policies.engagement_effect": 0.0}),
    ("coordination = 0", {"policies.coordination": 0.0, "policies.coordination_per_skill": 0.0}),
    ("customer_metric_weight = 1", {"policies.customer_metric_weight": 1.0}),
    ("transfer_out = 0", {"policies.transfer_out": 0.0}),
    (
        "people dynamics off",
        {
            "people.engagement_recovery": 0.0,
            "people.support_gain": 0.0,
            "people.feedback_gain": 0.0,
            "people.overload_loss": 0.0,
            "people.rework_loss": 0.0,
            "people.busy_warmth_loss": 0.0,
        },
    ),
    ("learning & forgetting off", {"people.learning_rate": 1.0, "people.forgetting": 0.0}),
    (
        "managers & ties off",
        {
            "managers.encounters_per_week": 0.0,
            "managers.encounters_per_pair_per_week": 0.0,
            "managers.tie_weight": 0.0,
            "managers.tie_handoff_benefit": 0.0,
        },
    ),
    ("patience = 0 (no abandonment)", {"demand.patience_hours": 0.0}),
    ("callback_delay = 0", {"demand.callback_delay_hours": 0.0}),
    # Issue 10's rules put back to the original tree's (n/a there, or the baseline itself).
    ("dispatch = oldest (old rule)", {"policies.dispatch": "oldest"}),
    ("every handoff customer-visible (old rule)", {"satisfaction.visible_handoff_share": 1.0}),
    (
        "repeat penalised three times (old rule)",
        {
            "satisfaction.effort_per_repeat_contact": 0.6,
            "satisfaction.repeat_warmth_kept": 0.0,
            "satisfaction.visible_handoff_share": 1.0,
        },
    ),
    ("encounters 1 per manager-week (old rule)", {"managers.encounters_per_week": 1.0}),
    ("burnout sickness off", {"people.burnout_sickness": 0.0}),
    # Mechanisms that are off in the presets, switched on (n/a on the original tree).
    (
        "absence on: 8% planned + 4% sick",
        {"people.planned_absence": 0.08, "people.sickness_absence": 0.04},
    ),
    # Swarming (fork–join, `group`): off in the presets, switched on for some request types.
    (
        "swarming: disputed claim's claims and legal at once",
        {
            "demand.request_types.7.tasks.0.group": 1,
            "demand.request_types.7.tasks.1.group": 1,
        },
    ),
    (
        "swarming: every multi-skill request's tasks at once (what-if)",
        {
            **{f"demand.request_types.{t}.tasks.{i}.group": 1 for t in (4, 5, 6) for i in (0, 1)},
            **{f"demand.request_types.7.tasks.{i}.group": 1 for i in (0, 1, 2)},
        },
    ),
    ("attrition on: burnout_quit 0.02", {"people.burnout_quit": 0.02}),
    ("reserve: underwriting 1 + legal 1", {"policies.reserve": {"underwriting": 1, "legal": 1}}),
    ("all mechanisms neutral", {"NEUTRAL": True}),
    (
        "all neutral + exponential + no patience",
        {"NEUTRAL": True, "demand.work_distribution": "exponential", "demand.patience_hours": 0.0},
    ),
]

KPIS = ("resolution_hours_mean", "csat_mean", "abandoned_share")


def _neutral_overrides() -> dict[str, object]:
    from sim.scenario import NEUTRAL

    return {
        f"{section}.{key}": value
        for section, keys in NEUTRAL.items()
        for key, value in keys.items()
    }


def _toml(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _known(path: Path, overrides: dict[str, object]) -> dict[str, object]:
    """The overrides this version of the schema accepts: all of them, or else one by one (a
    parallel group is only valid whole)."""
    from sim.scenario import ScenarioError, load_scenario

    try:
        load_scenario(path, [f"{key}={_toml(value)}" for key, value in overrides.items()])
        return dict(overrides)
    except ScenarioError:
        pass
    kept = {}
    for key, value in overrides.items():
        try:
            load_scenario(path, [f"{key}={_toml(value)}"])
        except ScenarioError:
            continue
        kept[key] = value
    return kept


def _one(job: tuple[str, dict[str, object], int]) -> dict[str, float]:
    from sim.runner import run
    from sim.scenario import load_scenario

    path, overrides, seed = job
    scenario = load_scenario(path, [f"{k}={_toml(v)}" for k, v in overrides.items()])
    result = run(scenario, seed)
    kpis = dict(result.kpis)
    kpis.setdefault("abandonment_rate", kpis.get("abandoned_share"))  # its name on newer trees
    return {k: float(kpis[k]) for k in KPIS}


def _paired(a: list[float], b: list[float]) -> tuple[float, float]:
    """Mean of b - a and the half-width of its 95% CI (t distribution, paired by seed)."""
    from scipy import stats

    diffs = [y - x for x, y in zip(a, b, strict=True)]
    n = len(diffs)
    mean = sum(diffs) / n
    if n < 2:
        return mean, math.nan
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    return mean, stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--csv", type=Path, help="also write one row per arm, structure and seed")
    parser.add_argument(
        "--arms", help="only arms whose label contains this text (several: 'one|other')"
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.root))
    from tqdm import tqdm

    paths = {k: args.root / "scenarios" / f"{v}.toml" for k, v in PRESETS.items()}
    seeds = list(range(1, args.seeds + 1))
    plan: list[tuple[str, dict[str, object] | None]] = []
    for label, arm in ARMS:
        if args.arms and not any(part in label for part in args.arms.split("|")):
            continue
        wanted = dict(arm)
        if wanted.pop("NEUTRAL", False):
            wanted = {**_neutral_overrides(), **wanted}
        wanted["run.days"] = args.days
        known = _known(paths["F"], wanted)
        has_mechanism = set(known) - {"run.days"} or not arm
        plan.append((label, known if has_mechanism else None))
    jobs = [
        (str(paths[s]), overrides, seed)
        for _, overrides in plan
        if overrides is not None
        for s in PRESETS
        for seed in seeds
    ]
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(tqdm(pool.map(_one, jobs), total=len(jobs), desc="runs", unit="run"))
    it = iter(results)
    table: dict[str, dict[str, list[dict[str, float]]] | None] = {}
    for label, overrides in plan:
        table[label] = (
            None if overrides is None else {s: [next(it) for _ in seeds] for s in PRESETS}
        )

    print(
        f"\nOne at a time: {args.days} days, seeds 1-{args.seeds}, common random numbers; "
        "resolution in working hours; gap X - F paired by seed, 95% CI.\n"
    )
    print(
        "| arm (mechanism off) | F res (h) | X res (h) | M res (h) | gap X−F (h) ±CI "
        "| CSAT gap X−F ±CI | abandon F / X |"
    )
    print("|---|---|---|---|---|---|---|")
    rows = []
    for label, cells in table.items():
        if cells is None:
            print(f"| {label} | n/a | n/a | n/a | n/a | n/a | n/a |")
            continue
        res = {s: [r["resolution_hours_mean"] for r in cells[s]] for s in PRESETS}
        csat = {s: [r["csat_mean"] for r in cells[s]] for s in PRESETS}
        gap, ci = _paired(res["F"], res["X"])
        cgap, cci = _paired(csat["F"], csat["X"])
        ab = {s: sum(r["abandoned_share"] for r in cells[s]) / len(seeds) for s in PRESETS}
        mean = {s: sum(v) / len(v) for s, v in res.items()}
        print(
            f"| {label} | {mean['F']:.2f} | {mean['X']:.2f} | {mean['M']:.2f} | "
            f"{gap:+.2f} ±{ci:.2f} | {cgap:+.3f} ±{cci:.3f} | "
            f"{100 * ab['F']:.1f}% / {100 * ab['X']:.1f}% |"
        )
        for s in PRESETS:
            for seed, r in zip(seeds, cells[s], strict=True):
                rows.append({"arm": label, "structure": s, "seed": seed, **r})
    if args.csv:
        with args.csv.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["arm", "structure", "seed", *KPIS])
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
