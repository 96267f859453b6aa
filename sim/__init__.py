"""Silos or cross-functional teams? A Mesa simulation of what a reorganisation does to customers.

    >>> from sim import load_scenario, run
    >>> result = run(load_scenario("scenarios/functional.toml", ["run.days=10"]), seed=1)
    >>> result.kpis["resolution_hours_mean"] > 0
    True
    >>> k = result.kpis
    >>> k["arrived"] == k["resolved"] + k["abandoned"] + k["open_at_end"]  # the books balance
    True

The names below are imported lazily, so that `sim validate` and `sim --help` start without
loading Mesa and pandas.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.runner import RunResult, run
    from sim.scenario import Scenario, ScenarioError, load_scenario

_WHERE = {
    "RunResult": "sim.runner",
    "run": "sim.runner",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "load_scenario": "sim.scenario",
}

__all__ = ["RunResult", "Scenario", "ScenarioError", "load_scenario", "run"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
