"""Write a `Calibration` as an ordinary scenario file: TOML with comments saying what each
number was measured from, validated by the same schema as every scenario."""

from __future__ import annotations

import tomllib
from pathlib import Path

from sim.calibration.discovery import Calibration
from sim.scenario import Scenario, parse_scenario
from sim.scenario.writing import toml_text


def to_scenario(calibration: Calibration, source: str = "<calibration>") -> Scenario:
    """The calibrated scenario, validated (a failure here is a bug in the calibration)."""
    return parse_scenario(calibration.scenario, source)


def scenario_toml(calibration: Calibration) -> str:
    """The scenario file's text: the header, then every section with its notes."""
    header = [*calibration.header, *(f"Warning: {w}" for w in calibration.warnings)]
    return toml_text(calibration.scenario, header, calibration.notes)


def write_scenario(calibration: Calibration, path: Path) -> Scenario:
    """Validate, then write the file; returns the validated scenario."""
    scenario = to_scenario(calibration, str(path))
    text = scenario_toml(calibration)
    parse_scenario(tomllib.loads(text), str(path))  # what is written reads back the same
    path.write_text(text, encoding="utf-8")
    return scenario
