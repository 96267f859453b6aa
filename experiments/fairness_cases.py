"""The cases issue 10 quotes, re-measured: rare-skill waits by structure, tie density, team count.

    .venv/bin/python experiments/fairness_cases.py             # 60 days, seeds 1-4 (about 30 runs)
    cd old-tree && python /path/to/fairness_cases.py --root .  # the same on another tree

Prints, for the functional, matrix and cross-functional presets, the mean queue wait and the
abandonment of the two rare-skill request types (cover change: underwriting; disputed claim:
legal), the help-tie density on the last day and the mean resolution time; then the
cover-change wait in 2, 3, 4, 5 and 8 teams (seeds 1-2). Common random numbers throughout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--days", type=int, default=60)
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
