"""Sweeps: one base scenario run over a design of factor values, in parallel, streamed to Parquet.

Why not `mesa.batch_run` (docs/domain-notes.md §6.5): it keeps every row in memory, cannot resume,
sets a global start method and pays an interpreter start for short runs. Here a sweep file
(`spec`) is planned into runs (`design`), run in chunks on any executor (`runs`), saved one
Parquet part per chunk with a manifest (`store`), summarised per design point (`summary`), and
a Sobol or Morris design gives sensitivity indices (`sensitivity`)::

    from sim.executors import local_executor
    from sim.sweeps import load_spec, run_sweep, summarise_sweep

    sweep = load_spec("experiments/sweeps/demo.toml")
    with local_executor(2) as pool:
        run_sweep(sweep, "out/sweeps/demo", pool)
    summarise_sweep("out/sweeps/demo")
"""

from sim.sweeps.design import PlannedRun, Sweep, load_spec, run_id
from sim.sweeps.runs import CHUNK_SECONDS, SweepError, SweepInterrupted, SweepResult, run_sweep
from sim.sweeps.spec import STATUS_COLUMNS, Factor, SpecError, SweepSpec, Value
from sim.sweeps.store import (
    MANIFEST,
    PARTS,
    CodeChanged,
    code_version,
    load_runs,
    model_files,
    read_manifest,
)
from sim.sweeps.summary import summarise_sweep

__all__ = [
    "CHUNK_SECONDS",
    "MANIFEST",
    "PARTS",
    "STATUS_COLUMNS",
    "CodeChanged",
    "Factor",
    "PlannedRun",
    "SpecError",
    "Sweep",
    "SweepError",
    "SweepInterrupted",
    "SweepResult",
    "SweepSpec",
    "Value",
    "code_version",
    "load_runs",
    "load_spec",
    "model_files",
    "read_manifest",
    "run_id",
    "run_sweep",
    "summarise_sweep",
]
