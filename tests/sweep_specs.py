"""Tiny sweep files for the tests: the TOML text of a sweep spec, from Python values.

Shared by test_sweep.py, test_cli_experiments.py and dashboard/test_sweeps_render.py (this
folder is on the path: ``pythonpath`` in pyproject.toml). Tests edit the text with
`str.replace`, so its layout is part of the contract: one ``key = value`` a line, values
written as JSON (``replications = 2``, ``run.days = 3``, ``values = [0.25, 2]``,
``method = "morris"``, ``integer = true``), the tables in the order of the arguments.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Factor = list[Any] | dict[str, Any]
"""A factor's listed values, or the fields of its table (``{"range": [0, 4]}``)."""


def sweep_toml(
    name: str,
    base: Path,
    kpis: list[str],
    factors: dict[str, Factor],
    *,
    replications: int,
    days: int,
    warmup_days: int | None = None,
    seed: int | None = None,
    design: dict[str, Any] | None = None,
    description: str | None = None,
) -> str:
    """A sweep of the scenario file `base`, every run `days` long (`warmup_days` of them not
    counted); `factors` maps each scenario key to its values or its fields."""
    lines = [f"name = {_toml(name)}"]
    if description is not None:
        lines.append(f"description = {_toml(description)}")
    lines += [f"base = {_toml(str(base))}", f"replications = {replications}"]
    if seed is not None:
        lines.append(f"seed = {seed}")
    lines += [f"kpis = {_toml(kpis)}", "[set]", f"run.days = {days}"]
    if warmup_days is not None:
        lines.append(f"run.warmup_days = {warmup_days}")
    if design is not None:
        lines += ["[design]", *_fields(design)]
    for key, factor in factors.items():
        fields = factor if isinstance(factor, dict) else {"values": factor}
        lines += ["[[factors]]", f"key = {_toml(key)}", *_fields(fields)]
    return "\n".join(lines) + "\n"


def _fields(table: dict[str, Any]) -> list[str]:
    return [f"{key} = {_toml(value)}" for key, value in table.items()]


def _toml(value: Any) -> str:
    """JSON is TOML for strings, numbers, booleans and arrays of them."""
    return json.dumps(value)
