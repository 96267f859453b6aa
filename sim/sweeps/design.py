"""A sweep's design: the factor values of every design point, and the runs they make.

A run's identity is a hash of its factor values and replication index (`run_id`), and
replication r has the same seed at every design point (common random numbers,
`sim.replications.replication_seeds`). A run is a pure function of (scenario, seed), so a
finished run never runs again: resuming skips the ids already on disk, and a design point
listed twice runs once.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from sim.kpi_catalogue import RUN_KPIS
from sim.replications import replication_seeds
from sim.scenario import Scenario
from sim.sweeps.spec import STATUS_COLUMNS, SweepSpec, Value, column_type, read_spec


@dataclass(frozen=True, slots=True)
class PlannedRun:
    run_id: str
    replication: int
    seed: int
    values: dict[str, Value]
    """Factor key -> value."""


@dataclass(frozen=True)
class Sweep:
    """A validated sweep file, resolved: base scenario with [set] applied, design, seeds."""

    spec: SweepSpec
    source: str
    base: Scenario
    kpis: tuple[str, ...]
    """The KPI columns of every row (the spec's, then `STATUS_COLUMNS`)."""
    points: tuple[tuple[Value, ...], ...]
    """Design points in order, one value per factor."""
    seeds: tuple[int, ...]
    """One per replication (`replication_seeds` of the root seed)."""
    sample: tuple[tuple[float, ...], ...] = ()
    """The SALib sample before rounding `integer` factors (empty for factorial designs)."""
    allow_large: bool = False
    """Runs may be over the size limits (`sim.scenario.limits`): ``--allow-large``."""

    @property
    def factors(self) -> list[str]:
        return [f.key for f in self.spec.factors]

    def runs(self) -> list[PlannedRun]:
        """Every distinct run, point by point, replications of a point together."""
        planned: dict[str, PlannedRun] = {}
        for point in self.points:
            values = dict(zip(self.factors, point, strict=True))
            for replication, seed in enumerate(self.seeds):
                rid = run_id(values, replication)
                planned.setdefault(rid, PlannedRun(rid, replication, seed, values))
        return list(planned.values())


def run_id(values: Mapping[str, Value], replication: int) -> str:
    """The identity of a run: a hash of its factor values and replication index."""
    text = canonical([sorted(values.items()), replication])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def canonical(obj: Any) -> str:
    """JSON with sorted keys and no spaces: equal objects, equal text (ids, fingerprints)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def load_spec(path: str | Path, *, allow_large: bool = False) -> Sweep:
    """Read and validate a sweep file and plan its runs; every problem is one line of a
    `SpecError`. `allow_large`: runs may be over the size limits (`sim.scenario.limits`)."""
    spec, base, source = read_spec(path, allow_large)
    points, sample = _design(spec)
    kpis = list(spec.kpis or RUN_KPIS)
    return Sweep(
        spec=spec,
        source=source,
        base=base,
        kpis=tuple(dict.fromkeys([*kpis, *STATUS_COLUMNS])),
        points=points,
        seeds=tuple(replication_seeds(spec.seed, spec.replications)),
        sample=sample,
        allow_large=allow_large,
    )


def _design(
    spec: SweepSpec,
) -> tuple[tuple[tuple[Value, ...], ...], tuple[tuple[float, ...], ...]]:
    """The design points (and, for sampled designs, the raw SALib sample)."""
    factors = spec.factors
    if spec.design.method == "factorial":
        levels = []
        for f in factors:
            values = f.values or []
            # 1 and 1.0 are one level: a column of numbers is float as soon as one value is.
            if column_type(f) == pa.float64():
                values = [float(v) for v in values]
            levels.append(values)
        return tuple(itertools.product(*levels)), ()
    # SALib takes half a second to import: only sampled designs pay for it.
    from SALib.sample import latin, morris, sobol

    problem = {
        "num_vars": len(factors),
        "names": [f.key for f in factors],
        "bounds": [list(f.range or ()) for f in factors],
    }
    n, method = spec.design.samples or 0, spec.design.method
    if method == "latin":
        sample = latin.sample(problem, n, seed=spec.seed)
    elif method == "sobol":
        sample = sobol.sample(problem, n, calc_second_order=False, seed=spec.seed)
    else:
        sample = morris.sample(problem, n, num_levels=spec.design.levels, seed=spec.seed)
    points = tuple(
        tuple(round(x) if f.integer else float(x) for x, f in zip(row, factors, strict=True))
        for row in sample
    )
    return points, tuple(tuple(float(x) for x in row) for row in sample)
