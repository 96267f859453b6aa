"""The scenario: one TOML file describing a whole organisation and its customers.

The package: `schema` (every section and key, with its unit, default, source and neutral
value), `errors` (problems as one line each), `loading` (reading files, overrides, the
checks across fields) and `writing` (a scenario as the text of a file). Everything a user
needs is importable from here::

    from sim.scenario import load_scenario

    scenario = load_scenario("scenarios/functional.toml", ["run.days=30"])
"""

from sim.scenario.errors import ProblemsError, ScenarioError, allowed_keys, describe_errors
from sim.scenario.loading import (
    apply_overrides,
    consistency_problems,
    load_scenario,
    parse_scenario,
    parse_toml,
    read_toml,
    scenario_warnings,
    set_path,
)
from sim.scenario.schema import (
    NEUTRAL,
    Calendar,
    Costs,
    CustomUnit,
    Demand,
    Lesson,
    Managers,
    People,
    Plausible,
    Policies,
    Reorganisation,
    RequestType,
    RunSettings,
    SatisfactionSettings,
    Scenario,
    StrictSection,
    Structure,
    Task,
    WorkforceGroup,
    event_scenario,
)
from sim.scenario.writing import scenario_toml, toml_text

__all__ = [
    "NEUTRAL",
    "Calendar",
    "Costs",
    "CustomUnit",
    "Demand",
    "Lesson",
    "Managers",
    "People",
    "Plausible",
    "Policies",
    "ProblemsError",
    "Reorganisation",
    "RequestType",
    "RunSettings",
    "SatisfactionSettings",
    "Scenario",
    "ScenarioError",
    "StrictSection",
    "Structure",
    "Task",
    "WorkforceGroup",
    "allowed_keys",
    "apply_overrides",
    "consistency_problems",
    "describe_errors",
    "event_scenario",
    "load_scenario",
    "parse_scenario",
    "parse_toml",
    "read_toml",
    "scenario_toml",
    "scenario_warnings",
    "set_path",
    "toml_text",
]
