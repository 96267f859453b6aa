"""Silos or cross-functional teams? A Mesa simulation of what a reorganisation does to customers.

    >>> from sim import load_scenario, run
    >>> result = run(load_scenario("scenarios/functional.toml"), seed=1)
    >>> result.kpis["resolution_hours_mean"]
"""

from sim.runner import RunResult, run
from sim.scenario import Scenario, ScenarioError, load_scenario

__all__ = ["RunResult", "Scenario", "ScenarioError", "load_scenario", "run"]
