"""The sweep explorer's data: which sweeps are under the results folder, and their numbers.

No Solara here (the page is `sim.dashboard.sweeps.page`, the charts `plots`): a sweep folder
(``sim sweep SPEC --out DIR``: ``_manifest.json`` + ``parts/*.parquet``) is found, opened and
summarised with the same estimator as `sim.sweeps.summarise_sweep` (mean and 95% t-interval over the
runs of a group, `sim.replications.estimate`), but over any subset of the factors: the factors a
chart does not show are either pooled (all their levels) or fixed at one level.

Every problem of a folder (unreadable manifest, corrupt Parquet, no runs yet) is a
`SweepDataError` with a message for the page; nothing here reads outside the results folder.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.kpi_catalogue import RUN_KPIS, grouped, kpi_info
from sim.scenario.errors import ProblemsError

MANIFESTS = ("_manifest.json", "manifest.json")
"""A sweep folder's manifest, and an older sweep's (= sim.sweeps.store.MANIFEST, OLD_MANIFEST;
not imported: sim.sweeps loads the model)."""
PARTS = "parts"
STATUS_COLUMNS = ("stable", "unstable_reason")
MAX_SWEEPS = 500
"""The listing stops here (a results folder of thousands of sweeps is a mistake, not a use)."""
MAX_LEVELS = 12
"""A numeric factor with more distinct values is shown in `BINS` bins."""
BINS = 5
"""Bins of a factor of a sampled design (latin, sobol) with more distinct values than this."""
POOLED = "*"
"""`fixed` value of a factor whose levels are all pooled."""
STRUCTURE_KEYS = ("structure.kind",)
"""Factors whose levels are organisation structures: the default contest of the winner map."""


class SweepDataError(ProblemsError):
    """A sweep folder that cannot be shown: bad input like a bad scenario, one line for the
    page that says why (`problems`, the message)."""

    def __init__(self, message: str):
        super().__init__([message])


# --------------------------------------------------------------------------------------------
# Finding sweeps


def manifest_name(folder: Path) -> str | None:
    """The name of the manifest in `folder` (an older sweep's too), or None."""
    return next((name for name in MANIFESTS if (folder / name).is_file()), None)


def find_sweeps(root: Path, limit: int = MAX_SWEEPS) -> list[str]:
    """The sweep folders below `root` (those with a manifest), as POSIX paths relative to it,
    sorted. Symbolic links are not followed and hidden folders are skipped, so nothing outside
    `root` is listed; a sweep folder's own subfolders are not searched."""
    root = Path(root).resolve()
    found: list[str] = []
    for here, folders, files in os.walk(root, followlinks=False):
        name = next((m for m in MANIFESTS if m in files), None)
        if name is not None and not (Path(here) / name).is_symlink():
            found.append(Path(here).relative_to(root).as_posix())
            folders[:] = []
        else:
            folders[:] = sorted(f for f in folders if not f.startswith("."))
        if len(found) >= limit:
            break
    return sorted(found)


def sweep_folder(root: Path, relative: str) -> Path:
    """The folder `relative` below `root`, refused when it, its manifest, its ``parts/`` or a
    file in there leads outside `root` (through a symbolic link: real paths are compared)."""
    root = Path(root).resolve()
    folder = (root / relative).resolve()
    if not folder.is_relative_to(root):
        raise SweepDataError(f"{relative}: not inside the results folder")
    manifest = manifest_name(folder)
    if manifest is None:
        raise SweepDataError(f"{relative}: no sweep here ({MANIFESTS[0]} not found)")
    parts = folder / PARTS
    inside = [folder / manifest, parts, *(parts.iterdir() if parts.is_dir() else ())]
    for path in inside:
        if not path.resolve().is_relative_to(root):
            raise SweepDataError(
                f"{relative}: {path.relative_to(folder).as_posix()} is a link to a place outside "
                "the results folder, which this page does not read (copy the files instead)"
            )
    return folder


def sweep_title(root: Path, relative: str) -> str:
    """'relative/path: Sweep name' for the list (the path alone if the manifest is unreadable)."""
    shown = relative if relative != "." else "(the results folder itself)"
    folder = Path(root) / relative
    manifest = manifest_name(folder) or MANIFESTS[0]
    try:
        with open(folder / manifest, encoding="utf-8") as f:
            name = json.load(f).get("name")
    except (OSError, ValueError, AttributeError):
        return f"{shown} (unreadable {manifest})"
    return f"{shown}: {name}" if isinstance(name, str) and name else shown


# --------------------------------------------------------------------------------------------
# Factors: units, levels


def _scenario_field(key: str):
    from sim.scenario import Scenario

    model: Any = Scenario
    info = None
    for part in key.split("."):
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        info = fields[part]
        model = info.annotation
    return info


def factor_unit(key: str) -> str:
    """The unit of a scenario key, for axis labels ('' for categories and plain numbers)."""
    name = key.rsplit(".", 1)[-1]
    if name.endswith("hours") or name.endswith("_hours_per_week"):
        return "hours per week" if name.endswith("per_week") else "hours"
    if name == "requests_per_day":
        return "requests per day"
    if name.endswith("per_week"):
        return "per week"
    if name.endswith("days"):
        return "working days"
    if key == "structure.teams":
        return "teams"
    if name.endswith("_score"):
        return "1-5 scale"
    info = _scenario_field(key)
    if info is not None:
        bounds = {type(m).__name__: m for m in info.metadata}
        ge, le = bounds.get("Ge"), bounds.get("Le")
        if ge is not None and le is not None and (ge.ge, le.le) == (0.0, 1.0):
            return "0-1"
    return ""


def factor_label(key: str, wrap: bool = False) -> str:
    """'policies.handoff_delay_hours (hours)': the key as the sweep file writes it, and its unit
    (on a second line with `wrap`, for vertical axes)."""
    unit = factor_unit(key)
    return f"{key}{chr(10) if wrap else ' '}({unit})" if unit else key


def level_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def is_structure(key: str) -> bool:
    return key in STRUCTURE_KEYS


# --------------------------------------------------------------------------------------------
# A sweep, loaded


@dataclass
class SavedSweep:
    """One sweep folder, read: its manifest and every run, factor values as the charts use them."""

    relative: str
    folder: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    """Every run found (errors included), one row each."""
    factors: list[str]
    levels: dict[str, list[Any]]
    """Per factor, its levels in order (bin midpoints for binned factors)."""
    binned: dict[str, dict[float, str]] = field(default_factory=dict)
    """Binned factors: bin midpoint -> '0.4-1.2'."""
    kpis: list[str] = field(default_factory=list)
    """KPIs with at least one value, in catalogue order."""

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.relative)

    @property
    def notes(self) -> list[str]:
        """What reading the runs left out, and why (`sim.sweeps.load_runs`), with paths below
        the results folder (the page shows no server paths)."""
        return [n.replace(str(self.folder), self.relative) for n in self.runs.attrs["notes"]]

    @property
    def description(self) -> str:
        spec = self.manifest.get("spec")
        return str(spec.get("description") or "") if isinstance(spec, Mapping) else ""

    @property
    def method(self) -> str:
        return design_method(self.manifest)

    @property
    def planned(self) -> int:
        return int(self.manifest.get("runs") or 0)

    @property
    def replications(self) -> int:
        return len(self.manifest.get("seeds") or [])

    @property
    def points(self) -> int:
        return len(self.manifest.get("design") or [])

    @property
    def ok(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == "ok"]

    @property
    def errors(self) -> int:
        return int((self.runs["status"] == "error").sum())

    @property
    def unstable(self) -> int:
        if "stable" not in self.runs:
            return 0
        return int(self.runs["stable"].eq(False).sum())

    def first_error(self) -> str:
        failed = self.runs[self.runs["status"] == "error"]
        return str(failed["error"].iloc[0]) if len(failed) else ""

    def level_label(self, factor: str, value: Any) -> str:
        bins = self.binned.get(factor)
        if bins is not None:
            return bins.get(value, level_text(value))
        return level_text(value)

    def numeric(self, factor: str) -> bool:
        values = self.levels[factor]
        return all(
            isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
            for v in values
        )

    def has_sensitivity(self) -> bool:
        return self.method in ("sobol", "morris")

    @property
    def currency(self) -> str | None:
        """What the sweep's costs are counted in (its base scenario's ``run.currency``)."""
        base = self.manifest.get("base")
        run = base.get("run") if isinstance(base, Mapping) else None
        value = run.get("currency") if isinstance(run, Mapping) else None
        return value if isinstance(value, str) else None

    @property
    def old_layout(self) -> bool:
        """Written by an older `sim`: its ``manifest.json`` stops Parquet readers from reading
        the folder as one dataset."""
        return manifest_name(self.folder) == MANIFESTS[1]

    def code(self) -> str:
        code = self.manifest.get("code")
        if not isinstance(code, Mapping):
            return "unrecorded"
        return f"sim {code.get('version', '?')}, code {code.get('hash', '?')}"


def design_method(manifest: Mapping[str, Any]) -> str:
    """factorial, latin, sobol or morris."""
    spec = manifest.get("spec")
    design = spec.get("design") if isinstance(spec, Mapping) else None
    method = design.get("method") if isinstance(design, Mapping) else None
    return str(method or "factorial")


def _manifest(folder: Path, relative: str) -> dict[str, Any]:
    name = manifest_name(folder) or MANIFESTS[0]
    try:
        manifest = json.loads((folder / name).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SweepDataError(f"{relative}: cannot read {name} ({exc.strerror})") from None
    except ValueError as exc:
        raise SweepDataError(f"{relative}: {name} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise SweepDataError(f"{relative}: {name} is not a sweep manifest")
    for key, kind in (("factors", list), ("kpis", list), ("design", list), ("seeds", list)):
        if not isinstance(manifest.get(key), kind):
            raise SweepDataError(
                f"{relative}: {name} is not a sweep manifest (no list {key!r}); "
                "was it written by `sim sweep`?"
            )
    if not manifest["factors"] or not all(isinstance(f, str) for f in manifest["factors"]):
        raise SweepDataError(f"{relative}: {name} names no factors")
    return manifest


def _spec_order(manifest: Mapping[str, Any], factor: str) -> list[Any]:
    spec = manifest.get("spec")
    for f in spec.get("factors", []) if isinstance(spec, Mapping) else []:
        if isinstance(f, Mapping) and f.get("key") == factor and isinstance(f.get("values"), list):
            return list(f["values"])
    return []


def _spec_range(manifest: Mapping[str, Any], factor: str) -> tuple[float, float] | None:
    spec = manifest.get("spec")
    for f in spec.get("factors", []) if isinstance(spec, Mapping) else []:
        if isinstance(f, Mapping) and f.get("key") == factor and isinstance(f.get("range"), list):
            low, high = f["range"]
            return float(low), float(high)
    return None


def _listed_first(order: list[Any], value: Any) -> tuple[int, str]:
    """Sort key: the sweep file's order first, then the others by name."""
    return (order.index(value) if value in order else len(order), str(value))


def _bins(
    values: pd.Series, span: tuple[float, float] | None = None
) -> tuple[pd.Series, dict[float, str]]:
    """`BINS` equal bins over `span` (the factor's range in the sweep file) or the values'."""
    low, high = span or (float(values.min()), float(values.max()))
    low, high = min(low, float(values.min())), max(high, float(values.max()))
    edges = np.linspace(low, high, BINS + 1)
    index = np.clip(np.searchsorted(edges, values.to_numpy(float), side="right") - 1, 0, BINS - 1)
    mids = (edges[:-1] + edges[1:]) / 2
    digits = max(0, 2 - math.floor(math.log10(max(high - low, 1e-12))))
    mids = np.round(mids, digits + 1)
    labels = {
        float(m): f"{edges[i]:.{digits}f}-{edges[i + 1]:.{digits}f}" for i, m in enumerate(mids)
    }
    return pd.Series(mids[index], index=values.index), labels


def load_sweep(root: Path, relative: str) -> SavedSweep:
    """Read the sweep at `relative` below `root`; `SweepDataError` says what is wrong."""
    from sim.sweeps import load_runs

    folder = sweep_folder(root, relative)
    manifest = _manifest(folder, relative)
    try:
        runs = load_runs(folder)
    except Exception as exc:  # pyarrow's errors for a damaged part, a wrong schema, ...
        raise SweepDataError(
            f"{relative}: cannot read the runs in {PARTS}/ ({type(exc).__name__}: {exc})"
        ) from None
    factors = list(manifest["factors"])
    missing = [c for c in [*factors, "status"] if c not in runs.columns]
    if missing:
        raise SweepDataError(f"{relative}: the runs have no column {', '.join(missing)}")
    if runs.empty:
        raise SweepDataError(
            f"{relative}: no runs yet ({manifest.get('runs', '?')} planned). Is the sweep still "
            f"running? Finish it with `sim sweep SPEC --out {relative} --resume`."
        )
    levels: dict[str, list[Any]] = {}
    binned: dict[str, dict[float, str]] = {}
    for factor in factors:
        column = runs[factor]
        distinct = list(dict.fromkeys(column.dropna().tolist()))
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        integer = pd.api.types.is_integer_dtype(column)
        few = MAX_LEVELS if integer or design_method(manifest) == "factorial" else BINS
        crowded = len(distinct) > few
        if numeric and crowded:
            runs[factor], binned[factor] = _bins(column, _spec_range(manifest, factor))
            levels[factor] = sorted(binned[factor])
        elif numeric or pd.api.types.is_bool_dtype(column):
            levels[factor] = sorted(distinct)
        else:
            order = _spec_order(manifest, factor)
            levels[factor] = sorted(distinct, key=functools.partial(_listed_first, order))
    ok = runs[runs["status"] == "ok"]
    known = [k for k in manifest["kpis"] if k not in STATUS_COLUMNS and k in runs.columns]
    present = [
        k
        for k in known
        if pd.api.types.is_numeric_dtype(ok[k]) and np.isfinite(ok[k].to_numpy(float)).any()
    ]
    kpis = [k for _, keys in grouped(present) for k in keys]
    return SavedSweep(relative, folder, manifest, runs, factors, levels, binned, kpis)


def kpi_choices(sweep: SavedSweep) -> list[tuple[str, str]]:
    """(key, 'Group: Label (unit)') of the sweep's KPIs, for the KPI list."""
    infos = [kpi_info(k, sweep.currency) for k in sweep.kpis]
    return [(info.key, f"{info.group}: {info.title}") for info in infos]


def default_kpi(sweep: SavedSweep) -> str | None:
    for key in ("resolution_hours_mean", *RUN_KPIS):
        if key in sweep.kpis:
            return key
    return sweep.kpis[0] if sweep.kpis else None


# --------------------------------------------------------------------------------------------
# Numbers for the charts


def display_scale(kpi: str) -> float:
    """Shares are 0-1 in the runs and % in the catalogue's units: charts show %."""
    return 100.0 if kpi_info(kpi).kind == "share" else 1.0


def _filtered(sweep: SavedSweep, shown: Sequence[str], fixed: Mapping[str, Any]):
    frame = sweep.ok
    for factor, value in fixed.items():
        if factor in shown or value == POOLED or factor not in sweep.levels:
            continue
        frame = frame[frame[factor] == value]
    return frame


def aggregate(
    sweep: SavedSweep, kpi: str, by: Sequence[str], fixed: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Mean and 95% t-CI of `kpi` (in display units) per combination of the `by` factors' levels,
    over the finished runs; factors not in `by` are fixed where `fixed` names a level, else
    pooled. Columns: the `by` factors, n, mean, ci_low, ci_high (one row per combination that
    has runs)."""
    from sim.replications import estimate

    by = list(dict.fromkeys(by))
    frame = _filtered(sweep, by, fixed or {})
    scale = display_scale(kpi)
    rows = []
    if not by:
        groups = [((), frame)] if len(frame) else []
    else:
        groups = frame.groupby(by, sort=False, dropna=False)
    for values, cell in groups:
        key = values if isinstance(values, tuple) else (values,)
        e = estimate(pd.to_numeric(cell[kpi], errors="coerce").to_numpy(float) * scale)
        rows.append(
            {
                **dict(zip(by, key, strict=True)),
                "n": e.n,
                "mean": e.mean,
                "ci_low": e.ci_low,
                "ci_high": e.ci_high,
            }
        )
    return pd.DataFrame(rows, columns=[*by, "n", "mean", "ci_low", "ci_high"])


NO_CLEAR_WINNER = "no clear winner"


def winners(
    sweep: SavedSweep,
    kpi: str,
    contest: str,
    axes: Sequence[str],
    fixed: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Per combination of the `axes` factors' levels: which level of `contest` has the best
    mean `kpi` (direction from `sim.kpi_catalogue`), or `NO_CLEAR_WINNER` when its 95% CI overlaps
    another level's (or a level has fewer than 2 runs there). Columns: the axes, winner, and
    per level of the contest its mean. Raises `SweepDataError` for a KPI with no direction."""
    better = kpi_info(kpi).better
    if better == 0:
        raise SweepDataError(
            f"{kpi_info(kpi).label}: neither higher nor lower is better, so no level 'wins' "
            "(pick another KPI)"
        )
    axes = [a for a in dict.fromkeys(axes) if a != contest]
    table = aggregate(sweep, kpi, [*axes, contest], fixed)
    contenders = sweep.levels[contest]
    rows = []
    groups = table.groupby(axes, sort=False) if axes else [((), table)]
    for values, cell in groups:
        key = values if isinstance(values, tuple) else (values,)
        cell = cell.set_index(contest).reindex(contenders)
        row: dict[str, Any] = dict(zip(axes, key, strict=True))
        row.update({f"mean:{level_text(c)}": cell.loc[c, "mean"] for c in contenders})
        score = better * cell["mean"]
        if score.isna().any() or cell["ci_low"].isna().any():
            row["winner"] = NO_CLEAR_WINNER
        else:
            best = score.idxmax()
            others = cell.drop(index=best)
            if better > 0:
                clear = bool((cell.loc[best, "ci_low"] > others["ci_high"]).all())  # type: ignore[index]
            else:
                clear = bool((cell.loc[best, "ci_high"] < others["ci_low"]).all())  # type: ignore[index]
            row["winner"] = best if clear else NO_CLEAR_WINNER
        rows.append(row)
    return pd.DataFrame(rows)


def sensitivity_indices(sweep: SavedSweep) -> pd.DataFrame:
    """`sim.sweeps.sensitivity.analyse` of the sweep (Sobol or Morris design)."""
    from sim.sweeps.sensitivity import analyse

    try:
        return analyse(sweep.folder)
    except Exception as exc:  # SweepError (points without a value), SpecError, SALib's errors
        raise SweepDataError(f"no sensitivity indices: {exc}") from None
