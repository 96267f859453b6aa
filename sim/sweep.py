"""Sweeps: one base scenario run over a design of factor values, in parallel, streamed to Parquet.

A sweep file (TOML) names a base scenario, fixed overrides, the factors, the replications, the
KPIs to keep and a root seed::

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

Why not `mesa.batch_run` (docs/domain-notes.md §6.5): it keeps every row in memory, cannot resume,
sets a global start method and pays an interpreter start for short runs. Here:

- A run's identity is a hash of its factor values and replication index, and replication r has
  the same seed at every design point (common random numbers, `replication_seeds`). A run is a
  pure function of (scenario, seed), so a finished run never runs again: resuming skips the ids
  already on disk, and a design point listed twice runs once.
- Runs travel to the workers in chunks of about `CHUNK_SECONDS` of work, so the cost of a task
  (pickling, a round trip, one Parquet part) is small next to the work. Workers import `sim`
  once, before the first task.
- Each finished chunk becomes one Parquet part (written under a temporary name, then renamed):
  a crash loses at most the chunks in flight, and memory stays flat however long the sweep.
- Any `concurrent.futures.Executor` runs a sweep: a local process pool (`local_executor`) or a
  Dask cluster (`dask_executor`, through `Client.get_executor()`), both from `sim.executors`.

The output folder holds ``manifest.json`` (the spec, the resolved base scenario, the seeds, the
design points and the code version, `code_version`) and ``parts/part-*.parquet``, one tidy row
per run: run_id, replication, seed, one column per factor (named by its key), the KPIs, stable,
unstable_reason, run_time_s, status ("ok" or "error") and error (the error text). Resuming with
other code is refused unless forced: runs of two code versions may not be comparable.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.metadata
import itertools
import json
import math
import os
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import Field, ValidationError

from sim.executors import ExecutorError, executor_workers
from sim.executors import dask_executor as dask_executor  # re-exported: sweeps run on these
from sim.executors import local_executor as local_executor
from sim.experiment import _NO_SAMPLING, estimate, replication_seeds
from sim.kpis import RUN_KPIS
from sim.runner import run
from sim.scenario import (
    Scenario,
    ScenarioError,
    _allowed_keys,
    _describe,
    _Strict,
    load_scenario,
    read_toml,
)

Value = bool | int | float | str
ProgressCallback = Callable[[int, int], None]
"""``progress(runs_done, runs_total)``; runs found on disk when resuming count as done."""

CHUNK_SECONDS = 1.0
"""Work per task once run times are known: long enough that a task's cost is noise, short
enough that Ctrl-C loses little and the last tasks balance across workers."""
STATUS_COLUMNS = ("stable", "unstable_reason")
"""Recorded for every run whatever `kpis` says: a mean over unstable runs needs the warning."""
MANIFEST = "manifest.json"
PARTS = "parts"


class SpecError(ScenarioError):
    """Bad sweep input: one ``file: key.path: what is wrong (what is allowed)`` line each."""


class CodeChanged(SpecError):
    """Resuming a sweep that other code started (see `code_version`; `force_resume` allows it)."""


class SweepError(ExecutorError):
    """The sweep could not go on (a worker died); the finished runs are saved."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep; the finished runs are saved and the message says how to resume."""


# --------------------------------------------------------------------------------------------
# The sweep file


class Factor(_Strict):
    key: Annotated[str, Field(min_length=1)]
    """A dotted scenario key, as `sim run --set` takes it (``policies.handoff_delay_hours``)."""
    values: Annotated[list[Value], Field(min_length=1)] | None = None
    """Listed values (a factorial design crosses them)."""
    range: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None
    """[low, high] for latin, sobol and morris designs."""
    integer: bool = False
    """Round sampled values to whole numbers (for keys such as structure.teams)."""


class Design(_Strict):
    method: Literal["factorial", "latin", "sobol", "morris"] = "factorial"
    samples: Annotated[int, Field(ge=1)] | None = None
    """latin: points; sobol: base sample N (N x (factors + 2) points, no second-order
    indices); morris: trajectories (trajectories x (factors + 1) points)."""
    levels: Annotated[int, Field(ge=2)] = 4
    """morris only: grid levels per factor."""


class SweepSpec(_Strict):
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
    """KPIs to keep; empty = every number a run reports (`sim.kpis.RUN_KPIS`)."""


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

    def manifest(self) -> dict[str, Any]:
        identity = {
            "base": self.base.model_dump(mode="json"),
            "factors": self.factors,
            "kpis": list(self.kpis),
            "seeds": list(self.seeds),
            "design": [list(p) for p in self.points],
        }
        fingerprint = hashlib.sha256(_canonical(identity).encode()).hexdigest()
        return {
            "format": 1,
            "name": self.spec.name,
            "spec_file": self.source,
            "spec": self.spec.model_dump(mode="json"),
            **identity,
            "sample": [list(x) for x in self.sample],
            "runs": len(self.runs()),
            "fingerprint": fingerprint,
            "code": code_version(),
        }

    def schema(self) -> pa.Schema:
        columns = [("run_id", pa.string()), ("replication", pa.int64()), ("seed", pa.int64())]
        columns += [(f.key, _arrow_type(f)) for f in self.spec.factors]
        columns += [
            (k, {"stable": pa.bool_(), "unstable_reason": pa.string()}.get(k, pa.float64()))
            for k in self.kpis
        ]
        columns += [("run_time_s", pa.float64()), ("status", pa.string()), ("error", pa.string())]
        return pa.schema(columns)


def code_version() -> dict[str, str]:
    """The code that runs the sweep: the package version and a short hash of the contents of
    the `sim/*.py` files, read now (an edited, not reinstalled, checkout changes the hash)."""
    try:
        version = importlib.metadata.version("sim")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return {"version": version, "hash": digest.hexdigest()[:12]}


def _code_text(code: Any) -> str:
    if not isinstance(code, Mapping):
        return "unrecorded"
    return f"sim {code.get('version', '?')}, code {code.get('hash', '?')}"


def run_id(values: Mapping[str, Value], replication: int) -> str:
    """The identity of a run: a hash of its factor values and replication index."""
    text = _canonical([sorted(values.items()), replication])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def load_spec(path: str | Path) -> Sweep:
    """Read and validate a sweep file; every problem is one line of a `SpecError`."""
    path = Path(path)
    source = str(path)
    raw = read_toml(path, "sweep", SpecError)
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(
            [f"{source}: {key}: {message}" for key, message in _describe(exc, SweepSpec)]
        ) from None
    base_path = path.parent / spec.base
    if not base_path.is_file():
        raise SpecError(
            [
                f"{source}: base: {base_path} not found (allowed: a scenario file, relative to "
                "the sweep file)"
            ]
        )
    scenario = load_scenario(base_path)
    fixed = _flatten(spec.set)
    dump = scenario.model_dump()
    problems = _spec_problems(spec, dump) + [
        (f"set.{key}", message) for key in fixed if (message := _key_problem(dump, key)) is not None
    ]
    if problems:
        raise SpecError([f"{source}: {key}: {message}" for key, message in problems])
    try:
        base = scenario.with_overrides(**fixed)
    except ScenarioError as exc:
        raise SpecError(
            [f"{source}: set.{line.removeprefix('<overrides>: ')}" for line in exc.problems]
        ) from None
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
    )


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
        allowed = _allowed_keys(parts[:depth])
        if allowed and part not in allowed:
            close = difflib.get_close_matches(part, allowed, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            return f"{here!r} is not a scenario key ({hint}allowed: {', '.join(allowed)})"
        node = node.get(part)
    if isinstance(node, list | dict) or _allowed_keys(parts):
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


def _arrow_type(f: Factor) -> pa.DataType:
    if f.values is None:
        return pa.int64() if f.integer else pa.float64()
    if all(isinstance(v, bool) for v in f.values):
        return pa.bool_()
    if all(isinstance(v, int) and not isinstance(v, bool) for v in f.values):
        return pa.int64()
    return pa.float64() if _kind(f.values[0]) == "number" else pa.string()


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
            if _arrow_type(f) == pa.float64():
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


# --------------------------------------------------------------------------------------------
# Running


def _run_chunk(base: Scenario, runs: list[PlannedRun], kpis: tuple[str, ...]) -> list[dict]:
    """Worker entry point: one row per run. A run that raises becomes an "error" row."""
    rows = []
    for planned in runs:
        row: dict[str, Any] = {
            "run_id": planned.run_id,
            "replication": planned.replication,
            "seed": planned.seed,
            **planned.values,
        }
        start = time.perf_counter()
        try:
            scenario = base.with_overrides(**planned.values)
            numbers = run(scenario, planned.seed, sample_every_hours=_NO_SAMPLING).kpis
            row.update({k: numbers[k] for k in kpis}, status="ok", error=None)
        except Exception as exc:
            row.update(status="error", error=_error_text(exc))
        row["run_time_s"] = time.perf_counter() - start
        rows.append(row)
    return rows


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ScenarioError):
        problems = [p.removeprefix("<overrides>: ") for p in exc.problems]
        return "invalid scenario: " + "; ".join(problems)
    where = ""
    if exc.__traceback__ is not None:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f" (at {Path(frame.filename).name}:{frame.lineno} in {frame.name})"
    return f"{type(exc).__name__}: {exc}{where}"


@dataclass(frozen=True)
class SweepResult:
    out_dir: Path
    total: int
    """Distinct runs in the design."""
    skipped: int
    """Runs already on disk when this call started (resume)."""
    ran: int
    errors: int
    """Runs of this call recorded with status "error"."""
    elapsed_s: float

    @property
    def runs_per_minute(self) -> float:
        return 60 * self.ran / self.elapsed_s if self.elapsed_s > 0 else math.nan


def run_sweep(
    sweep: Sweep,
    out_dir: str | Path,
    executor: Executor | None = None,
    *,
    resume: bool = False,
    force_resume: bool = False,
    progress: ProgressCallback | None = None,
) -> SweepResult:
    """Run every run of `sweep` not yet in `out_dir`, appending rows to Parquet as chunks finish.

    `executor`: any `concurrent.futures.Executor`; its `workers` attribute (set by
    `local_executor` and `dask_executor`) sizes the chunks, else the CPU count is assumed.
    Default: a `local_executor` for this call. A folder that holds a sweep needs
    ``resume=True``, and then must hold *this* sweep, started by the same code
    (`code_version`): else `CodeChanged`, unless ``force_resume=True`` (which implies
    `resume`; the manifest then lists the code of every forced resume under
    ``resumed_with``). Raises `SweepInterrupted` on Ctrl-C and `SweepError` when a worker dies;
    in both cases the finished runs are kept and the same call with ``resume=True`` finishes
    the rest.
    """
    out = Path(out_dir)
    parts = _open_output(out, sweep, resume or force_resume, force_resume)
    planned = sweep.runs()
    done = _finished_ids(parts)
    todo = [r for r in planned if r.run_id not in done]
    if executor is None:
        with local_executor() as pool:
            return _execute(sweep, todo, len(planned), out, pool, progress)
    return _execute(sweep, todo, len(planned), out, executor, progress)


def _execute(
    sweep: Sweep,
    todo: list[PlannedRun],
    total: int,
    out: Path,
    executor: Executor,
    progress: ProgressCallback | None,
) -> SweepResult:
    schema = sweep.schema()
    workers = executor_workers(executor)
    queue = deque(todo)
    pending: set[Future] = set()
    finished, ran, errors, run_seconds = total - len(todo), 0, 0, 0.0
    start = time.perf_counter()

    def chunk_size() -> int:
        if ran == 0:
            return 1
        per_run = max(run_seconds / ran, 1e-3)
        return max(1, min(int(CHUNK_SECONDS / per_run), math.ceil(len(queue) / workers)))

    def submit() -> None:
        # A few chunks per worker in flight: workers never wait, and Ctrl-C has little to cancel.
        while queue and len(pending) < 2 * workers:
            chunk = [queue.popleft() for _ in range(min(chunk_size(), len(queue)))]
            pending.add(executor.submit(_run_chunk, sweep.base, chunk, sweep.kpis))

    try:
        if progress is not None:
            progress(finished, total)
        submit()
        while pending:
            ready, _ = wait(pending, return_when=FIRST_COMPLETED)
            failure: BaseException | None = None
            for future in ready:
                pending.discard(future)
                try:
                    rows = future.result()
                except Exception as exc:  # the worker, not the run: runs record their errors
                    failure = failure or exc
                    continue
                _write_part(out / PARTS, rows, schema)
                finished += len(rows)
                ran += len(rows)
                errors += sum(row["status"] == "error" for row in rows)
                run_seconds += sum(row["run_time_s"] for row in rows)
            if failure is not None:
                raise SweepError(
                    f"a worker failed ({type(failure).__name__}: {failure}); {finished} of "
                    f"{total} runs are saved in {out}; run the same sweep with --resume to "
                    "finish the rest"
                ) from failure
            if progress is not None:
                progress(finished, total)
            submit()
    except KeyboardInterrupt:
        raise SweepInterrupted(
            f"interrupted: {finished} of {total} runs are saved in {out}; run the same sweep "
            f"with --resume to finish the other {total - finished}"
        ) from None
    finally:
        for future in pending:
            future.cancel()
    return SweepResult(out, total, total - len(todo), ran, errors, time.perf_counter() - start)


# --------------------------------------------------------------------------------------------
# The output folder


def _open_output(out: Path, sweep: Sweep, resume: bool, force: bool = False) -> Path:
    """Check or write the manifest; the parts folder, without stale temporary files."""
    manifest = sweep.manifest()
    path = out / MANIFEST
    if path.exists():
        old = read_manifest(out)
        if not resume:
            raise SpecError(
                [
                    f"{out}: holds a sweep already ({old['name']!r}) (allowed: --resume to finish "
                    "it, or another output folder)"
                ]
            )
        if old["fingerprint"] != manifest["fingerprint"]:
            changed = [
                k
                for k in ("base", "factors", "kpis", "seeds", "design")
                if old.get(k) != manifest[k]
            ]
            raise SpecError(
                [
                    f"{out}: holds a different sweep (changed: {', '.join(changed)}) (allowed: "
                    "the same sweep file, or another output folder)"
                ]
            )
        accepted = [old.get("code"), *old.get("resumed_with", [])]
        if manifest["code"] not in accepted:
            if not force:
                raise CodeChanged(
                    [
                        f"{out}: code: the sweep was started by other code "
                        f"({_code_text(old.get('code'))}; now {_code_text(manifest['code'])}), "
                        "so new runs may not match the saved ones (allowed: --force-resume to "
                        "finish it anyway, or another output folder)"
                    ]
                )
            old["resumed_with"] = [*old.get("resumed_with", []), manifest["code"]]
            _write_atomic(path, lambda tmp: tmp.write_text(json.dumps(old, indent=1)))
    else:
        out.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1)))
    parts = out / PARTS
    parts.mkdir(exist_ok=True)
    for stale in parts.glob(".*.tmp"):
        stale.unlink()
    return parts


def _write_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Readers see the old file or the whole new one, never half of it."""
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


def _write_part(parts: Path, rows: list[dict], schema: pa.Schema) -> None:
    table = pa.Table.from_pylist(rows, schema=schema)
    path = parts / f"part-{uuid.uuid4().hex[:16]}.parquet"
    _write_atomic(path, lambda tmp: pq.write_table(table, tmp))


def _part_files(parts: Path) -> list[Path]:
    return sorted(parts.glob("part-*.parquet"))


def _finished_ids(parts: Path) -> set[str]:
    return {
        rid
        for path in _part_files(parts)
        for rid in pq.read_table(path, columns=["run_id"]).column(0).to_pylist()
    }


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    path = Path(out_dir) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError([f"{out_dir}: no sweep here ({MANIFEST} not found)"]) from None


def load_runs(out_dir: str | Path) -> pd.DataFrame:
    """Every finished run of the sweep in `out_dir`, one row each, in design order."""
    manifest = read_manifest(out_dir)
    files = _part_files(Path(out_dir) / PARTS)
    if not files:
        columns = ["run_id", "replication", "seed", *manifest["factors"], *manifest["kpis"]]
        return pd.DataFrame(columns=[*columns, "run_time_s", "status", "error"])
    frame = pa.concat_tables([pq.read_table(f) for f in files]).to_pandas()
    order = {rid: i for i, rid in enumerate(_design_run_ids(manifest))}
    frame["_order"] = frame["run_id"].map(order)
    return frame.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def _design_run_ids(manifest: Mapping[str, Any]) -> Iterator[str]:
    """Run ids in design order, point by point (repeated where a point repeats)."""
    for point in manifest["design"]:
        values = dict(zip(manifest["factors"], point, strict=True))
        for replication in range(len(manifest["seeds"])):
            yield run_id(values, replication)


def summarise(out_dir: str | Path) -> pd.DataFrame:
    """Per design point (one combination of factor levels) and KPI: mean and 95% t-CI.

    Tidy: one row per (point, KPI) with the factor columns, kpi, n (runs with a value), mean,
    ci_low, ci_high, and per point the runs, errors and unstable counts. Error rows and
    undefined values (NaN) are left out of the mean; unstable runs are in it, and counted.
    """
    manifest = read_manifest(out_dir)
    runs = load_runs(out_dir)
    factors = manifest["factors"]
    kpis = [k for k in manifest["kpis"] if k not in STATUS_COLUMNS]
    rows = []
    for values, cell in runs.groupby(factors, sort=False, dropna=False):
        point = dict(zip(factors, values if isinstance(values, tuple) else (values,), strict=True))
        counts = {
            "runs": len(cell),
            "errors": int((cell["status"] == "error").sum()),
            "unstable": int(cell["stable"].eq(False).sum()),
        }
        for kpi in kpis:
            e = estimate(pd.to_numeric(cell[kpi], errors="coerce").to_numpy(float))
            rows.append(
                {
                    **point,
                    "kpi": kpi,
                    "n": e.n,
                    "mean": e.mean,
                    "ci_low": e.ci_low,
                    "ci_high": e.ci_high,
                    **counts,
                }
            )
    return pd.DataFrame(rows)


@contextmanager
def progress_bar(description: str = "sweep", unit: str = "run") -> Iterator[ProgressCallback]:
    """A tqdm bar (runs, rate, ETA) on stderr as a `progress(done, total)` callback.

    Runs already on disk when resuming start the bar but do not count towards the rate; a
    total that grows (`sim.experiment.compare` with ``reps="auto"``) extends the bar.
    """
    from tqdm import tqdm

    bar: tqdm | None = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, initial=done, desc=description, unit=unit, smoothing=0.1)
            return
        if total != bar.total:
            bar.total = total
            bar.refresh()
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()
