"""The cases issue 10 quotes, re-measured: rare-skill waits by structure, tie density, team count.

    .venv/bin/python experiments/fairness_cases.py             # 60 days, seeds 1-4 (about 30 runs)
    cd old-tree && python /path/to/fairness_cases.py --root .  # the same on another tree

Prints, for the functional, matrix and cross-functional presets, the mean queue wait and the
abandonment of the two rare-skill request types (cover change: underwriting; disputed claim:
legal), the help-tie density on the last day and the mean resolution time; then the
cover-change wait in 2, 3, 4, 5 and 8 teams (seeds 1-2); then swarming (`--swarming` only, or
after the rest): the disputed claim's resolution time in each preset with its claims and legal
tasks in sequence and at once (`group`), the change paired by seed with a 95% CI (seeds 1-5).
Common random numbers throughout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--swarming", action="store_true", help="only the swarming case")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.root))
    from sim.runner import run
    from sim.scenario import load_scenario

    def scenario(name: str, **overrides: object):
        path = args.root / "scenarios" / f"{name}.toml"
        return load_scenario(path).with_overrides(**{"run.days": args.days, **overrides})

    def simulate(s, seed: int):
        return run(s, seed=seed, sample_every_hours=None, counterfactual=False)

    def wait_and_abandonment(result, request_type: str) -> tuple[float, float]:
        mine = result.requests[result.requests["request_type"] == request_type]
        done = mine[~mine["abandoned"]]
        return float(done["queue_hours"].mean()), float(mine["abandoned"].mean())

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    if not args.swarming:
        rare_skills(scenario, simulate, wait_and_abandonment, mean)
    swarming(scenario, simulate)
    return 0


def rare_skills(scenario, simulate, wait_and_abandonment, mean) -> None:
    for name in ("functional", "matrix", "cross-functional"):
        rows: dict[str, list[float]] = {}
        for seed in (1, 2, 3, 4):
            result = simulate(scenario(name), seed)
            for label, rtype in (("cover change", "cover change"), ("disputed", "disputed claim")):
                wait, gone = wait_and_abandonment(result, rtype)
                rows.setdefault(f"{label} wait", []).append(wait)
                rows.setdefault(f"{label} abandoned", []).append(gone)
            rows.setdefault("ties", []).append(float(result.daily["tie_density"].iloc[-1]))
            rows.setdefault("resolution", []).append(result.kpis["resolution_hours_mean"])
        print(
            f"{name}: cover-change wait {mean(rows['cover change wait']):.2f} h, abandoned "
            f"{100 * mean(rows['cover change abandoned']):.1f}%; disputed-claim wait "
            f"{mean(rows['disputed wait']):.2f} h, abandoned "
            f"{100 * mean(rows['disputed abandoned']):.1f}%; tie density on the last day "
            f"{mean(rows['ties']):.2f}; resolution {mean(rows['resolution']):.2f} h",
            flush=True,
        )
    for teams in (2, 3, 4, 5, 8):
        waits = [
            wait_and_abandonment(
                simulate(scenario("cross-functional", **{"structure.teams": teams}), seed),
                "cover change",
            )[0]
            for seed in (1, 2)
        ]
        print(f"{teams} teams: cover-change wait {mean(waits):.2f} h", flush=True)


def swarming(scenario, simulate) -> None:
    """The disputed claim (claims, legal, billing) with claims and legal at once."""
    import math

    from scipy import stats

    parallel = {f"demand.request_types.7.tasks.{i}.group": 1 for i in (0, 1)}
    seeds = (1, 2, 3, 4, 5)

    def disputed(result) -> float:
        r = result.requests
        mine = r[(r["request_type"] == "disputed claim") & ~r["abandoned"]]
        return float(mine["resolution_hours"].mean())

    times: dict[str, dict[str, list[float]]] = {}
    for name in ("functional", "cross-functional", "matrix"):
        times[name] = {
            arm: [disputed(simulate(scenario(name, **over), seed)) for seed in seeds]
            for arm, over in (("sequence", {}), ("parallel", parallel))
        }

    def paired(a: list[float], b: list[float]) -> str:
        d = [y - x for x, y in zip(a, b, strict=True)]
        m = sum(d) / len(d)
        sd = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1))
        return f"{m:+.2f} ±{stats.t.ppf(0.975, len(d) - 1) * sd / math.sqrt(len(d)):.2f} h"

    for name, arms in times.items():
        seq, par = (sum(v) / len(v) for v in arms.values())
        print(
            f"{name}: disputed claim {seq:.2f} h in sequence, {par:.2f} h with claims and legal "
            f"at once ({paired(arms['sequence'], arms['parallel'])})",
            flush=True,
        )
    for arm in ("sequence", "parallel"):
        gap = paired(times["functional"][arm], times["cross-functional"][arm])
        print(f"disputed claim, teams - departments, {arm}: {gap}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
