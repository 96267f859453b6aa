"""Fingerprints of whole runs, to compare the compiled core with the pure Python reference.

Each case is run with events logged; every table of its result and its KPIs are hashed. Two
cores that give the same fingerprints produced the same numbers, to the last bit, in every
table a user sees. The cases cover the three presets, every mechanism switched on, the lessons
(a reorganisation among them), validation mode, a calendar, help switched on and off mid-run,
five-fold organisations and the 50-unit Jackson network of the benchmark.

`python tests/core_fingerprints.py` prints them as JSON, with the core that ran them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path

from sim import load_scenario, run
from sim.model import OrgModel
from sim.runner import RunResult, summarise
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("requests", "units", "timeseries", "unit_timeseries", "daily", "events", "counterfactual")


def _benchmark():
    spec = importlib.util.spec_from_file_location("benchmark", ROOT / "experiments/benchmark.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["benchmark"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _scenario(path: str, **overrides: object) -> Scenario:
    scenario = load_scenario(ROOT / path)
    return scenario.with_overrides(**overrides) if overrides else scenario


def cases() -> dict[str, tuple[Scenario, int]]:
    """Name: (scenario, seed)."""
    b = _benchmark()
    every = {
        **b.EVERY_MECHANISM,
        "people.planned_absence": 0.05,
        "people.sickness_absence": 0.03,
        "policies.dispatch": "fastest",
        "policies.customer_metric_weight": 0.2,
    }
    return {
        "functional": (_scenario("scenarios/functional.toml"), 1),
        "cross-functional": (_scenario("scenarios/cross-functional.toml"), 2),
        "matrix": (_scenario("scenarios/matrix.toml"), 3),
        "functional, every mechanism": (_scenario("scenarios/functional.toml", **every), 4),
        "reorganisation": (_scenario("scenarios/lessons/reorganisation.toml"), 5),
        "silos-teams": (_scenario("scenarios/lessons/silos-teams.toml"), 6),
        "managers-encounters": (_scenario("scenarios/lessons/managers-encounters.toml"), 7),
        "mmc": (_scenario("scenarios/validation/mmc.toml"), 9),
        "tandem": (_scenario("scenarios/validation/tandem.toml"), 10),
        "calendar": (_scenario("tests/data/calibration/roundtrip.toml"), 11),
        "matrix x5": (b.scaled(_scenario("scenarios/matrix.toml"), 5, 10), 12),
        "cross-functional x5, oldest first": (
            b.scaled(_scenario("scenarios/cross-functional.toml"), 5, 10).with_overrides(
                **{"policies.dispatch": "oldest"}
            ),
            13,
        ),
        "50-unit network": (b.jackson_network(3000), 14),
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _hashes(result: RunResult) -> dict[str, object]:
    out: dict[str, object] = {}
    for table in TABLES:
        frame = getattr(result, table)
        out[table] = None if frame is None else _digest(frame.to_csv())
    out["kpis"] = _digest(json.dumps(result.kpis, sort_keys=True, default=str))
    out["requests_n"] = len(result.requests)
    return out


def _help_switched_mid_run() -> dict[str, object]:
    """The functional preset with help off, switched on, off and on again by `adjust`."""
    s = _scenario("scenarios/functional.toml").with_overrides(
        **{"policies.help_across_units": 0.0, "run.days": 30}
    )
    model = OrgModel(s, rng=3, event_log=True)
    day = model.hours_per_day
    model.run_until(5 * day)
    model.adjust(**{"policies.help_across_units": 0.7})
    model.run_until(12 * day)
    model.adjust(**{"policies.help_across_units": 0.0})
    model.run_until(16 * day)
    model.adjust(**{"policies.help_across_units": 0.4, "policies.help_decline": 0.3})
    model.simulate()
    return _hashes(summarise(model))


def fingerprints() -> dict[str, dict[str, object]]:
    out = {name: _hashes(run(s, seed=seed, events=True)) for name, (s, seed) in cases().items()}
    out["help switched mid-run"] = _help_switched_mid_run()
    return out


if __name__ == "__main__":
    from sim.core import core

    print(json.dumps({"core": core(), "fingerprints": fingerprints()}))
