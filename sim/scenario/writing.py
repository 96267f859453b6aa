"""Scenarios as TOML text: what ``sim calibrate --out`` and the dashboard's "Download as
TOML" write. The text reads back (`sim.scenario.parse_toml`) to the same scenario.

Plain keys come before sub-tables and arrays of tables, as TOML requires; notes become
comments above the keys they explain.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sim.scenario.schema import Scenario

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
WIDTH = 98
"""Comment lines are wrapped to this width."""


def scenario_toml(scenario: Scenario, header: Sequence[str] = ()) -> str:
    """A validated scenario as the text of a scenario file, every key written out (so a
    reader sees every lever), under the comment lines `header`."""
    return toml_text(scenario.model_dump(exclude_none=True), header)


def toml_text(
    raw: Mapping[str, Any], header: Sequence[str] = (), notes: Mapping[str, str] | None = None
) -> str:
    """A raw scenario mapping as TOML: the `header` comment, the top-level keys, then every
    section; `notes` maps dotted keys (``demand.request_types.0``) to comments."""
    notes = notes or {}
    lines = [*comment(header), ""] if header else []
    for key, value in raw.items():
        if not isinstance(value, dict | list):
            lines += _keyed(key, value, notes.get(key))
    for section, body in raw.items():
        if isinstance(body, dict) and body:
            lines += ["", f"[{section}]"]
            lines += _table(body, section, notes)
        elif isinstance(body, list) and body and isinstance(body[0], dict):
            if section in notes:
                lines += ["", *comment([notes[section]])]
            for i, item in enumerate(body):
                lines += ["", f"[[{section}]]"]
                if f"{section}.{i}" in notes:
                    lines += comment([notes[f"{section}.{i}"]])
                lines += _table(item, f"{section}.{i}", notes)
    return "\n".join(lines).rstrip() + "\n"


def comment(texts: Sequence[str]) -> list[str]:
    """Each text as ``#`` lines wrapped to `WIDTH` (an empty text: a bare ``#``)."""
    lines = []
    for text in texts:
        lines += ["# " + line for line in textwrap.wrap(text, WIDTH - 2)] or ["#"]
    return lines


def _table(body: Mapping[str, Any], path: str, notes: Mapping[str, str]) -> list[str]:
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
                lines += comment([notes[where]])
            lines += _table(item, where, notes)
    return lines


def _keyed(key: str, value: Any, note: str | None) -> list[str]:
    lines = comment([note]) if note else []
    return [*lines, f"{_key(key)} = {_value(value)}"]


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
        if len(flat) <= WIDTH - 20 and not any(isinstance(v, dict) for v in value):
            return flat
        return "[\n" + "".join(f"    {item},\n" for item in items) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
