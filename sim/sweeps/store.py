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

One process at a time writes to a sweep folder (`locked`: a second one is refused with one
line), and reading never trusts the folder: a part that is not a readable Parquet file of this
sweep's columns (truncated, empty, foreign, a stray file) is left out and named, with what to
do (`scan_parts`); resuming moves it to ``_damaged/`` and runs its runs again. A run saved
twice (a copied part file, two sweeps resumed at once before the lock existed) is counted once,
and said so. A manifest that cannot be read is named, never guessed at.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import sim
from sim.files import read_capped
from sim.sweeps.design import Sweep, canonical, run_id
from sim.sweeps.spec import SpecError, column_type

MANIFEST = "_manifest.json"
"""Underscored: Parquet readers skip it, so the folder is one dataset."""
OLD_MANIFEST = "manifest.json"
"""Where sweeps written before the folder was one dataset keep their manifest."""
PARTS = "parts"
MAX_MANIFEST_BYTES = 500_000_000
"""A manifest lists every design point: about 100 bytes each, so a million of them is 100 MB."""
DAMAGED = "_damaged"
"""Where resuming moves part files it cannot use (next to ``parts/``; underscored, so that
Parquet readers skip it)."""
LOCK = ".lock"
MANIFEST_KEYS = ("name", "fingerprint", "factors", "kpis", "seeds", "design")


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


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the sweep folder `out` (created if needed) for this process: a second process
    gets a `SpecError` at once, naming the first. The lock goes with the process, however it
    ends (an advisory `flock` on ``out/.lock``)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle = open(out / LOCK, "a+")  # noqa: SIM115 - held for the whole block
    except OSError as exc:
        raise SpecError([f"{out}: --out: cannot write here ({exc.strerror or exc})"]) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise SpecError(
                [
                    f"{out}: another sim sweep is writing to this folder ({holder}) (allowed: "
                    "wait for it to finish, or another output folder)"
                ]
            ) from None
        handle.truncate(0)
        handle.write(f"process {os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_output(out: Path, sweep: Sweep, resume: bool, force: bool = False) -> Path:
    """Check or write the manifest; the parts folder, without stale temporary files. The
    caller holds the folder (`locked`)."""
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
        _write_atomic(path, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1)))
    parts = out / PARTS
    if parts.exists() and not parts.is_dir():
        raise SpecError(
            [
                f"{parts}: is a file, not the folder of the sweep's runs (allowed: move it "
                "aside and run the same sweep with --resume)"
            ]
        )
    parts.mkdir(exist_ok=True)
    for stale in parts.glob(".*.tmp"):
        stale.unlink()
    return parts


def _write_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Readers see the old file or the whole new one, never half of it; a write that fails
    (a full disk) leaves no temporary file behind."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_part(parts: Path, rows: list[dict], schema: pa.Schema) -> None:
    table = pa.Table.from_pylist(rows, schema=schema)
    path = parts / f"part-{uuid.uuid4().hex[:16]}.parquet"
    _write_atomic(path, lambda tmp: pq.write_table(table, tmp))


def _part_files(parts: Path) -> list[Path]:
    return sorted(parts.glob("part-*.parquet"))


@dataclass
class Parts:
    """What a sweep's ``parts/`` folder holds (`scan_parts`)."""

    tables: list[pa.Table] = field(default_factory=list)
    """The readable parts of this sweep, in file order, cast to one schema."""
    damaged: dict[Path, str] = field(default_factory=dict)
    """Part files that cannot be used, and why."""

    @property
    def run_ids(self) -> set[str]:
        return {rid for table in self.tables for rid in table.column("run_id").to_pylist()}

    def notes(self, out: Path, moved: bool = False) -> list[str]:
        """One line per damaged part: which, why and what happens to its runs."""
        what = (
            f"moved to {out / DAMAGED}; its runs run again"
            if moved
            else "left out; run the same sweep with --resume to set it aside and run its runs again"
        )
        return [f"{path}: damaged ({why}): {what}" for path, why in self.damaged.items()]


def scan_parts(parts: Path, names: list[str], schema: pa.Schema | None = None) -> Parts:
    """Read every part file: those with exactly the columns `names` (cast to `schema`, or to
    the first good part's) are kept, the others named in `Parts.damaged`."""
    found = Parts()
    for path in _part_files(parts):
        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            found.damaged[path] = _first_line(exc).replace(
                f"Could not open Parquet input source '{path}': ", ""
            )
            continue
        if table.schema.names != names:
            strange = [n for n in table.schema.names if n not in names][:3]
            missing = [n for n in names if n not in table.schema.names][:3]
            found.damaged[path] = "not a part of this sweep: " + "; ".join(
                [f"no column {', '.join(missing)}"] * bool(missing)
                + [f"unknown column {', '.join(strange)}"] * bool(strange)
                or ["its columns are in another order"]
            )
            continue
        target = schema or (found.tables[0].schema if found.tables else table.schema)
        try:
            found.tables.append(table.cast(target))
        except (pa.ArrowException, ValueError) as exc:
            found.damaged[path] = f"not a part of this sweep: {_first_line(exc)}"
    return found


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def set_aside(out: Path, damaged: Mapping[Path, str]) -> None:
    """Move damaged part files to ``out/_damaged/`` (their runs are then missing: resuming
    runs them again)."""
    if not damaged:
        return
    (out / DAMAGED).mkdir(exist_ok=True)
    for path in damaged:
        target = out / DAMAGED / path.name
        if target.exists():
            target = target.with_name(f"{path.stem}-{uuid.uuid4().hex[:6]}{path.suffix}")
        path.replace(target)


def row_names(manifest: Mapping[str, Any]) -> list[str]:
    """The columns of every run's row, from the manifest (as `row_schema` makes them)."""
    return [
        "run_id",
        "replication",
        "seed",
        *manifest["factors"],
        *manifest["kpis"],
        "run_time_s",
        "status",
        "error",
    ]


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    """The manifest of the sweep in `out_dir` (an old folder's ``manifest.json`` too); a
    missing or damaged one is a `SpecError` that names it and says what to do."""
    path = next(
        (p for p in (Path(out_dir) / MANIFEST, Path(out_dir) / OLD_MANIFEST) if p.exists()), None
    )
    if path is None:
        raise SpecError([f"{out_dir}: no sweep here ({MANIFEST} not found)"])
    try:
        manifest = json.loads(read_capped(path, MAX_MANIFEST_BYTES, "manifest", SpecError))
    except (ValueError, UnicodeDecodeError) as exc:
        manifest = f"not valid JSON: {_first_line(exc)}"
    if isinstance(manifest, dict):
        missing = [k for k in MANIFEST_KEYS if k not in manifest]
        if not missing:
            return manifest
        manifest = f"no {', '.join(missing)}"
    elif not isinstance(manifest, str):
        manifest = f"a JSON {type(manifest).__name__}, not an object"
    raise SpecError(
        [
            f"{path}: damaged ({manifest}); it says which sweep the runs in {PARTS}/ belong to, "
            f"so they cannot be used without it (allowed: restore it, or move {out_dir} aside "
            "and run the sweep into a new folder)"
        ]
    )


def load_runs(out_dir: str | Path) -> pd.DataFrame:
    """Every finished run of the sweep in `out_dir`, one row each, in design order.

    Damaged part files are left out and a run saved twice is counted once: the lines that say
    so are in ``frame.attrs["notes"]``."""
    out = Path(out_dir)
    manifest = read_manifest(out)
    names = row_names(manifest)
    found = scan_parts(out / PARTS, names)
    notes = found.notes(out)
    if not found.tables:
        frame = pd.DataFrame(columns=names)
        frame.attrs["notes"] = notes
        return frame
    frame = pa.concat_tables(found.tables).to_pandas()
    twice = frame["run_id"].duplicated()
    if twice.any():
        extra = int(twice.sum())
        notes.append(
            f"{out}: {extra} {'run was' if extra == 1 else 'runs were'} saved twice (a copied "
            "part file, or two sweeps resumed at once): each is counted once"
        )
        frame = frame[~twice]
    order = {rid: i for i, rid in enumerate(_design_run_ids(manifest))}
    frame["_order"] = frame["run_id"].map(order)
    frame = frame.sort_values("_order").drop(columns="_order").reset_index(drop=True)
    frame.attrs["notes"] = notes
    return frame


def _design_run_ids(manifest: Mapping[str, Any]) -> Iterator[str]:
    """Run ids in design order, point by point (repeated where a point repeats)."""
    for point in manifest["design"]:
        values = dict(zip(manifest["factors"], point, strict=True))
        for replication in range(len(manifest["seeds"])):
            yield run_id(values, replication)
