"""Write a `Calibration` as an ordinary scenario file: TOML with comments saying what each
number was measured from, validated by the same schema as every scenario."""

from __future__ import annotations

import json
import re
import textwrap
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from sim.calibration.discovery import Calibration
from sim.scenario import Scenario, parse_scenario

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
_WIDTH = 98


def to_scenario(calibration: Calibration, source: str = "<calibration>") -> Scenario:
    """The calibrated scenario, validated (a failure here is a bug in the calibration)."""
    return parse_scenario(calibration.scenario, source)


def scenario_toml(calibration: Calibration) -> str:
    """The scenario file's text: the header, then every section with its notes."""
    notes = calibration.notes
    lines = [*_comment(calibration.header)]
    for warning in calibration.warnings:
        lines += _comment([f"Warning: {warning}"])
    lines.append("")
    scenario = calibration.scenario
    for key, value in scenario.items():
        if not isinstance(value, dict | list):
            lines += _keyed(key, value, notes.get(key))
    for section, body in scenario.items():
        if isinstance(body, dict):
            lines += ["", f"[{section}]"]
            lines += _table(body, section, notes)
        elif isinstance(body, list) and body and isinstance(body[0], dict):
            if section in notes:
                lines += ["", *_comment([notes[section]])]
            for i, item in enumerate(body):
                lines += ["", f"[[{section}]]"]
                if f"{section}.{i}" in notes:
                    lines += _comment([notes[f"{section}.{i}"]])
                lines += _table(item, f"{section}.{i}", notes)
    return "\n".join(lines).rstrip() + "\n"


def write_scenario(calibration: Calibration, path: Path) -> Scenario:
    """Validate, then write the file; returns the validated scenario."""
    scenario = to_scenario(calibration, str(path))
    text = scenario_toml(calibration)
    parse_scenario(tomllib.loads(text), str(path))  # what is written reads back the same
    path.write_text(text, encoding="utf-8")
    return scenario


def _table(body: dict[str, Any], path: str, notes: dict[str, str]) -> list[str]:
    """Keys and values of one table; sub-tables (non-empty mappings) and arrays of tables
    follow its plain keys, as TOML requires."""
    lines: list[str] = []
    later = []
    header = path.split(".")[0] if path.split(".")[-1].isdigit() else path
    for key, value in body.items():
        is_tables = isinstance(value, list) and value and isinstance(value[0], dict)
        if (is_tables and key != "tasks") or (isinstance(value, dict) and value):
            later.append((key, value))
            continue
        lines += _keyed(key, value, notes.get(f"{path}.{key}"))
    for key, value in later:
        if isinstance(value, dict):
            lines += [f"[{header}.{_key(key)}]"]
            lines += _table(value, f"{path}.{key}", notes)
            continue
        for i, item in enumerate(value):
            where = f"{path}.{key}.{i}"
            lines += ["", f"[[{header}.{key}]]"]
            if where in notes:
                lines += _comment([notes[where]])
            lines += _table(item, where, notes)
    return lines


def _keyed(key: str, value: Any, note: str | None) -> list[str]:
    lines = _comment([note]) if note else []
    return [*lines, f"{_key(key)} = {_value(value)}"]


def _comment(texts: list[str]) -> list[str]:
    lines = []
    for text in texts:
        lines += ["# " + line for line in textwrap.wrap(text, _WIDTH - 2)] or ["#"]
    return lines


def _key(key: str) -> str:
    return key if _BARE.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()  # a TOML local date
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list):
        items = [_value(v) for v in value]
        flat = "[" + ", ".join(items) + "]"
        if len(flat) <= _WIDTH - 20 and not any(isinstance(v, dict) for v in value):
            return flat
        return "[\n" + "".join(f"    {item},\n" for item in items) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
