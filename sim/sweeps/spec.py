"""The sweep file (TOML): what it may say, and every problem in it as one line.

A sweep file names a base scenario, fixed overrides, the factors, the replications, the KPIs
to keep and a root seed::

    name = "Handoff delay x demand"
    base = "../../scenarios/functional.toml"   # relative to this file
    replications = 3
    seed = 2024
    kpis = ["resolution_hours_mean", "csat_mean"]   # default: every number a run reports

    [set]                    # fixed overrides, as `sim run --set` takes them
    run.days = 20

    [[factors]]
    key = "policies.handoff_delay_hours"
    values = [0.25, 1.0, 4.0]          # listed values are crossed: a full factorial

    [[factors]]
    key = "policies.misrouting"
    range = [0.0, 0.3]                 # ranges are sampled, with
                                       # [design] method = "latin" | "sobol" | "morris", samples = N
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import pyarrow as pa
from pydantic import Field, ValidationError

from sim.kpi_catalogue import RUN_KPIS
from sim.scenario import (
    ProblemsError,
    Scenario,
    ScenarioError,
    StrictSection,
    allowed_keys,
    describe_errors,
    load_scenario,
    read_toml,
)

Value = bool | int | float | str
"""A factor's value."""
MAX_SWEEP_RUNS = 1_000_000
"""Runs in one sweep: the design and the manifest (100 bytes a point) stay in memory."""
STATUS_COLUMNS = ("stable", "unstable_reason")
"""Recorded for every run whatever `kpis` says: a mean over unstable runs needs the warning."""


class SpecError(ProblemsError):
    """Bad sweep input: one ``file: key.path: what is wrong (what is allowed)`` line each."""


class Factor(StrictSection):
    key: Annotated[str, Field(min_length=1)]
    """A dotted scenario key, as `sim run --set` takes it (``policies.handoff_delay_hours``)."""
    values: Annotated[list[Value], Field(min_length=1)] | None = None
    """Listed values (a factorial design crosses them)."""
    range: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None
    """[low, high] for latin, sobol and morris designs."""
    integer: bool = False
    """Round sampled values to whole numbers (for keys such as structure.teams)."""


class Design(StrictSection):
    method: Literal["factorial", "latin", "sobol", "morris"] = "factorial"
    samples: Annotated[int, Field(ge=1)] | None = None
    """latin: points; sobol: base sample N (N x (factors + 2) points, no second-order
    indices); morris: trajectories (trajectories x (factors + 1) points)."""
    levels: Annotated[int, Field(ge=2)] = 4
    """morris only: grid levels per factor."""


class SweepSpec(StrictSection):
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    base: Annotated[str, Field(min_length=1)]
    """The base scenario file, relative to the sweep file."""
    set: dict[str, Any] = Field(default_factory=dict)
    """Fixed overrides of the base (dotted keys; tables are merged key by key)."""
    factors: Annotated[list[Factor], Field(min_length=1)]
    design: Design = Design()
    replications: Annotated[int, Field(ge=1, le=10_000)] = 3
    seed: Annotated[int, Field(ge=0)] = 1
    """Root seed of the replication seeds (and of the SALib sample)."""
    kpis: list[str] = Field(default_factory=list)
    """KPIs to keep; empty = every number a run reports (`sim.kpi_catalogue.RUN_KPIS`)."""


def read_spec(path: str | Path, allow_large: bool = False) -> tuple[SweepSpec, Scenario, str]:
    """Read and validate a sweep file: its spec, the base scenario with `set` applied, and the
    file name the errors name. Every problem is one line of a `SpecError`. `allow_large`: the
    base may be over the size limits (`sim.scenario.limits`)."""
    path = Path(path)
    source = str(path)
    raw = read_toml(path, "sweep", SpecError)
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(
            [f"{source}: {key}: {message}" for key, message in describe_errors(exc, SweepSpec)]
        ) from None
    base_path = path.parent / spec.base
    if not base_path.is_file():
        raise SpecError(
            [
                f"{source}: base: {base_path} not found (allowed: a scenario file, relative to "
                "the sweep file)"
            ]
        )
    scenario = load_scenario(base_path, allow_large=allow_large)
    fixed = _flatten(spec.set)
    dump = scenario.model_dump()
    problems = _spec_problems(spec, dump) + [
        (f"set.{key}", message) for key in fixed if (message := _key_problem(dump, key)) is not None
    ]
    if problems:
        raise SpecError([f"{source}: {key}: {message}" for key, message in problems])
    try:
        base = scenario.with_overrides(fixed, allow_large=allow_large)
    except ScenarioError as exc:
        raise SpecError(
            [f"{source}: set.{line.removeprefix('<overrides>: ')}" for line in exc.problems]
        ) from None
    return spec, base, source


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _key_problem(dump: dict[str, Any], key: str) -> str | None:
    """What is wrong with a dotted scenario key, or None. Values are checked run by run."""
    parts = key.split(".")
    node: Any = dump
    for depth, part in enumerate(parts):
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return f"{here}: no item {part!r} (allowed: 0 to {len(node) - 1})"
            node = node[int(part)]
            continue
        if not isinstance(node, dict):
            return f"{here}: {'.'.join(parts[:depth])} is a value, not a table"
        allowed = allowed_keys(parts[:depth])
        if allowed and part not in allowed:
            close = difflib.get_close_matches(part, allowed, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            return f"{here!r} is not a scenario key ({hint}allowed: {', '.join(allowed)})"
        node = node.get(part)
    if isinstance(node, list | dict) or allowed_keys(parts):
        return f"{key!r} is a table or a list, not a value (allowed: one of its keys)"
    return None


def _kind(value: Value) -> str:
    if isinstance(value, bool):
        return "true/false"
    return "number" if isinstance(value, int | float) else "text"


def _spec_problems(spec: SweepSpec, dump: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems that need more than one field, or the base scenario, to see."""
    problems: list[tuple[str, str]] = []
    method, design = spec.design.method, spec.design
    keys = [f.key for f in spec.factors]
    for i, f in enumerate(spec.factors):
        where = f"factors.{i}"
        if keys.index(f.key) != i:
            problems.append((f"{where}.key", f"{f.key!r} is a factor twice"))
        if (message := _key_problem(dump, f.key)) is not None:
            problems.append((f"{where}.key", message))
        if (f.values is None) == (f.range is None):
            problems.append(
                (where, "give values or a range (allowed: values = [...] or range = [low, high])")
            )
        elif f.values is not None:
            kinds = {_kind(v) for v in f.values}
            if len(kinds) > 1:
                problems.append(
                    (
                        f"{where}.values",
                        f"mixes {' and '.join(sorted(kinds))} (allowed: values of one kind)",
                    )
                )
            duplicates = [v for j, v in enumerate(f.values) if v in f.values[:j]]
            if duplicates:
                problems.append((f"{where}.values", f"{duplicates[0]!r} is listed twice"))
            if method != "factorial":
                problems.append(
                    (
                        f"{where}.values",
                        f"a {method} design samples ranges (allowed: range = [low, high])",
                    )
                )
            if f.integer:
                problems.append((f"{where}.integer", "is for ranges (allowed: with range)"))
        else:
            low, high = f.range or (0.0, 0.0)
            if not low < high:
                problems.append(
                    (f"{where}.range", f"[{low:g}, {high:g}] is empty (allowed: low < high)")
                )
            if method == "factorial":
                problems.append(
                    (
                        f"{where}.range",
                        "a factorial design needs listed values (allowed: "
                        "values = [...], or design.method = latin, sobol or morris)",
                    )
                )
    if method == "factorial" and design.samples is not None:
        problems.append(
            (
                "design.samples",
                "is for sampled designs (allowed: latin, sobol, "
                "morris; a factorial design crosses the listed values)",
            )
        )
    if method != "factorial" and design.samples is None:
        problems.append(("design.samples", f"missing (required for a {method} design)"))
    if method == "sobol" and design.samples and design.samples & (design.samples - 1):
        problems.append(
            ("design.samples", f"{design.samples} is not a power of 2 (allowed: 2, 4, 8, 16, ...)")
        )
    problems += _size_problems(spec)
    allowed_kpis = [*RUN_KPIS, *STATUS_COLUMNS]
    for i, name in enumerate(spec.kpis):
        if spec.kpis.index(name) != i:
            problems.append((f"kpis.{i}", f"{name!r} is listed twice"))
        elif name == "utilisation_by_unit":
            problems.append(
                (f"kpis.{i}", "is a table per unit, not a number (allowed: utilisation)")
            )
        elif name not in allowed_kpis:
            close = difflib.get_close_matches(name, allowed_kpis, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.append(
                (f"kpis.{i}", f"{name!r} is not a KPI ({hint}allowed: {', '.join(allowed_kpis)})")
            )
    return problems


def design_points(spec: SweepSpec) -> int:
    """How many design points the spec makes (computed, not made: a design can be huge)."""
    n, k = spec.design.samples or 0, len(spec.factors)
    method = spec.design.method
    if method == "factorial":
        return math.prod(len(f.values or ()) for f in spec.factors)
    return {"latin": n, "sobol": n * (k + 2), "morris": n * (k + 1)}[method]


def _size_problems(spec: SweepSpec) -> list[tuple[str, str]]:
    points = design_points(spec)
    runs = points * spec.replications
    if runs <= MAX_SWEEP_RUNS:
        return []
    where = "factors" if spec.design.method == "factorial" else "design.samples"
    return [
        (
            where,
            f"the design has {points:,} points x {spec.replications} replications = {runs:,} "
            f"runs (allowed: up to {MAX_SWEEP_RUNS:,} runs in one sweep; split it, or sample "
            "fewer points)",
        )
    ]


def column_type(f: Factor) -> pa.DataType:
    """The Parquet type of a factor's column (and whether a factorial level is a float)."""
    if f.values is None:
        return pa.int64() if f.integer else pa.float64()
    if all(isinstance(v, bool) for v in f.values):
        return pa.bool_()
    if all(isinstance(v, int) and not isinstance(v, bool) for v in f.values):
        return pa.int64()
    return pa.float64() if _kind(f.values[0]) == "number" else pa.string()
