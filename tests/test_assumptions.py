"""Assumption ranges: every modelling choice has a plausible range in the schema, the scenario
reference lists them all, and a scenario's [assumptions] table replaces them with its own."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from sim.scenario import ScenarioError, load_scenario, parse_scenario
from sim.scenario.assumptions import (
    AssumptionConflict,
    assumption_ranges,
    markdown_table,
    plausible_ranges,
    with_assumptions,
)

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONAL = ROOT / "scenarios" / "functional.toml"


def test_the_reference_lists_every_range_as_the_schema_has_it():
    text = (ROOT / "docs" / "scenario-reference.md").read_text()
    match = re.search(
        r"<!-- assumption-ranges:start.*?-->\n(.*?)<!-- assumption-ranges:end", text, re.S
    )
    assert match, "docs/scenario-reference.md has lost its assumption-ranges markers"
    assert match.group(1) == markdown_table(), (
        "regenerate the table: python -m sim.scenario.assumptions"
    )


def test_every_range_holds_its_default_and_stays_within_what_the_key_allows():
    ranges = plausible_ranges()
    assert len(ranges) >= 30
    for r in ranges.values():
        assert r.low < r.high, r.path
        assert r.low <= r.default <= r.high, r.path
        assert r.allowed_low <= r.low and r.high <= r.allowed_high, r.path


def test_the_keys_the_review_found_deciding_the_verdict_are_ranged():
    ranges = plausible_ranges()
    for path in (
        "policies.coordination",
        "policies.handoff_delay_hours",
        "policies.handoff_info_loss",
        "workforce.*.baseline_engagement",
        "events.*.role_slowdown",
    ):
        assert path in ranges


def test_a_world_sets_every_item_of_a_list():
    s = load_scenario(FUNCTIONAL)
    world = with_assumptions(
        s,
        {
            "policies.coordination": 0.02,
            "workforce.*.baseline_engagement": 0.55,
            "events.*.role_slowdown": 1.4,
        },
    )
    assert world.policies.coordination == 0.02
    assert {g.baseline_engagement for g in world.workforce} == {0.55}
    assert world.events == s.events == []
    assert world.workforce[0].headcount == s.workforce[0].headcount


def _with_assumptions(table: dict) -> dict:
    import tomllib

    raw = tomllib.loads(FUNCTIONAL.read_text())
    raw["assumptions"] = table
    return raw


def test_a_scenario_gives_its_own_estimate():
    s = parse_scenario(_with_assumptions({"policies.coordination": [0, 0.005]}))
    ranges = assumption_ranges([s])
    r = ranges["policies.coordination"]
    assert (r.low, r.high, r.estimate) == (0.0, 0.005, True)
    assert not ranges["policies.handoff_delay_hours"].estimate


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"policies.coordnation": [0, 0.01]}, "is not a modelling choice with a range"),
        ({"policies.coordination": [0.02, 0.01]}, "is not a range"),
        ({"policies.coordination": [0, 0.5]}, "goes outside what policies.coordination allows"),
        ({"policies.coordination": [0.01]}, "assumptions.policies.coordination"),
        ({"run.days": [10, 20]}, "is not a modelling choice"),
    ],
)
def test_a_wrong_estimate_is_one_clear_line(table, message):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(_with_assumptions(table), source="org.toml")
    (line,) = err.value.problems
    assert line.startswith("org.toml: assumptions.")
    assert message in line


def test_two_scenarios_may_not_estimate_one_assumption_differently():
    a = parse_scenario(_with_assumptions({"policies.coordination": [0, 0.005]}))
    b = parse_scenario(_with_assumptions({"policies.coordination": [0, 0.01]}))
    same = parse_scenario(_with_assumptions({"policies.coordination": [0, 0.005]}))
    assert assumption_ranges([a, same])["policies.coordination"].high == 0.005
    assert assumption_ranges([a, load_scenario(FUNCTIONAL)])["policies.coordination"].estimate
    with pytest.raises(AssumptionConflict, match=r"A estimates .* and B"):
        assumption_ranges([a, b], ["A", "B"])


def test_a_range_value_is_uniform_over_the_range():
    r = plausible_ranges()["policies.coordination"]
    assert r.value(0.0) == r.low and r.value(1.0) == r.high
    assert math.isclose(r.value(0.5), (r.low + r.high) / 2)
