"""A sweep's output folder: the manifest, the Parquet parts, and reading them back.

The folder holds ``_manifest.json`` (the spec, the resolved base scenario, the seeds, the design
points and the code version, `code_version`) and ``parts/part-*.parquet``, one tidy row per
run: run_id, replication, seed, one column per factor (named by its key), the KPIs, stable,
unstable_reason, run_time_s, status ("ok" or "error") and error (the error text). Each finished
chunk of runs becomes one part, written under a temporary name and then renamed, so a crash
loses at most the chunks in flight. Resuming with other code is refused unless forced: runs of
two code versions may not be comparable.

Everything in the folder that is not data starts with an underscore (or a dot, while it is
being written), as Parquet readers expect: pandas, pyarrow and DuckDB read the whole folder as
one dataset (``pd.read_parquet(folder)``). A folder an older `sim` wrote, with a
``manifest.json``, still reads here, and ``--resume`` renames its manifest.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import sim
from sim.sweeps.design import Sweep, canonical, run_id
from sim.sweeps.spec import SpecError, column_type

MANIFEST = "_manifest.json"
"""Underscored: Parquet readers skip it, so the folder is one dataset."""
OLD_MANIFEST = "manifest.json"
"""Where sweeps written before the folder was one dataset keep their manifest."""
PARTS = "parts"


class CodeChanged(SpecError):
    """Resuming a sweep that other code started (see `code_version`; `force_resume` allows it)."""


MODEL_EXCLUDES = ("cli", "dashboard")
"""Subpackages of `sim` that cannot change a run's numbers: the command line and the dashboard."""


def model_files() -> list[Path]:
    """The source files whose change can change a sweep's rows: every ``*.py`` of the `sim`
    package, at any depth, but the command line and the dashboard (`MODEL_EXCLUDES`)."""
    root = Path(sim.__file__).resolve().parent
    return sorted(
        path for path in root.rglob("*.py") if path.relative_to(root).parts[0] not in MODEL_EXCLUDES
    )


def code_version() -> dict[str, str]:
    """The code that runs the sweep: the package version and a short hash of the contents of
    `model_files`, read now (an edited, not reinstalled, checkout changes the hash)."""
    try:
        version = importlib.metadata.version("sim")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    root = Path(sim.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in model_files():
        name = path.relative_to(root).as_posix()
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return {"version": version, "hash": digest.hexdigest()[:12]}


def manifest_of(sweep: Sweep) -> dict[str, Any]:
    """What `MANIFEST` holds: the spec, the resolved base scenario, the seeds, the design
    points, a fingerprint of them (a resumed sweep must match it) and the code version."""
    identity = {
        "base": sweep.base.model_dump(mode="json"),
        "factors": sweep.factors,
        "kpis": list(sweep.kpis),
        "seeds": list(sweep.seeds),
        "design": [list(p) for p in sweep.points],
    }
    fingerprint = hashlib.sha256(canonical(identity).encode()).hexdigest()
    return {
        "format": 1,
        "name": sweep.spec.name,
        "spec_file": sweep.source,
        "spec": sweep.spec.model_dump(mode="json"),
        **identity,
        "sample": [list(x) for x in sweep.sample],
        "runs": len(sweep.runs()),
        "fingerprint": fingerprint,
        "code": code_version(),
    }


def row_schema(sweep: Sweep) -> pa.Schema:
    """The Parquet schema of a run's row."""
    columns = [("run_id", pa.string()), ("replication", pa.int64()), ("seed", pa.int64())]
    columns += [(f.key, column_type(f)) for f in sweep.spec.factors]
    columns += [
        (k, {"stable": pa.bool_(), "unstable_reason": pa.string()}.get(k, pa.float64()))
        for k in sweep.kpis
    ]
    columns += [("run_time_s", pa.float64()), ("status", pa.string()), ("error", pa.string())]
    return pa.schema(columns)


def _code_text(code: Any) -> str:
    if not isinstance(code, Mapping):
        return "unrecorded"
    return f"sim {code.get('version', '?')}, code {code.get('hash', '?')}"


def open_output(out: Path, sweep: Sweep, resume: bool, force: bool = False) -> Path:
    """Check or write the manifest; the parts folder, without stale temporary files."""
    manifest = manifest_of(sweep)
    path = out / MANIFEST
    old_path = out / OLD_MANIFEST
    if resume and old_path.exists() and not path.exists():
        os.replace(old_path, path)  # upgrade an old folder: now it is one Parquet dataset
    if path.exists() or old_path.exists():
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


def write_part(parts: Path, rows: list[dict], schema: pa.Schema) -> None:
    table = pa.Table.from_pylist(rows, schema=schema)
    path = parts / f"part-{uuid.uuid4().hex[:16]}.parquet"
    _write_atomic(path, lambda tmp: pq.write_table(table, tmp))


def _part_files(parts: Path) -> list[Path]:
    return sorted(parts.glob("part-*.parquet"))


def finished_ids(parts: Path) -> set[str]:
    return {
        rid
        for path in _part_files(parts)
        for rid in pq.read_table(path, columns=["run_id"]).column(0).to_pylist()
    }


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    """The sweep's manifest (an old folder's ``manifest.json`` too)."""
    for name in (MANIFEST, OLD_MANIFEST):
        try:
            return json.loads((Path(out_dir) / name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
    raise SpecError([f"{out_dir}: no sweep here ({MANIFEST} not found)"])


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
