"""Sweeps and sensitivity: spec errors, designs, and real sweeps on a process pool and on Dask.

Runs are tiny (the functional preset for 4 days, about 0.1 s each); the process pool is shared
by the module and the Dask cluster is started once.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd
import pytest
from sweep_specs import sweep_toml

import sim.runner
from sim.executors import dask_executor, local_executor
from sim.progress import progress_bar
from sim.replications import replication_seeds
from sim.runner import run
from sim.sweeps import (
    MANIFEST,
    SpecError,
    SweepError,
    SweepInterrupted,
    code_version,
    load_runs,
    load_spec,
    model_files,
    run_id,
    run_sweep,
    summarise_sweep,
)
from sim.sweeps.sensitivity import INDICES, analyse, check_design, plot_indices, run_sensitivity
from sim.sweeps.store import locked, open_output

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONAL = ROOT / "scenarios" / "functional.toml"
KPIS = ["resolution_hours_mean", "csat_mean", "handoffs_per_request"]

# 2 x 2 x 2 replications = 8 runs; misrouting = 1.5 is out of range, so 4 runs fail.
SWEEP = sweep_toml(
    "test sweep",
    FUNCTIONAL,
    KPIS,
    {"policies.handoff_delay_hours": [0.25, 2], "policies.misrouting": [0.1, 1.5]},
    replications=2,
    seed=11,
    days=4,
    warmup_days=1,
)

MORRIS = sweep_toml(
    "test morris",
    FUNCTIONAL,
    ["resolution_hours_mean", "csat_mean"],
    {
        "policies.handoff_delay_hours": {"range": [0.0, 4.0]},
        "structure.teams": {"range": [2, 6], "integer": True},
    },
    replications=1,
    seed=5,
    days=4,
    warmup_days=1,
    design={"method": "morris", "samples": 2, "levels": 4},
)


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def without_time(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="run_time_s")


@pytest.fixture(scope="module")
def pool():
    with local_executor(2) as executor:
        yield executor


@pytest.fixture(scope="module")
def reference(pool, tmp_path_factory):
    """The test sweep, run once without interruption on the process pool."""
    folder = tmp_path_factory.mktemp("sweep")
    sweep = load_spec(write(folder, SWEEP))
    with progress_bar("test") as progress:
        result = run_sweep(sweep, folder / "out", pool, progress=progress)
    return sweep, folder / "out", result


# --------------------------------------------------------------------------------------------
# The sweep file


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("replications = 2", "replication = 2"),
            "replication: unknown key (did you mean 'replications'?",
        ),
        (
            ('key = "policies.misrouting"', 'key = "policies.misrouteing"'),
            "factors.1.key: 'policies.misrouteing' is not a scenario key (did you mean "
            "'misrouting'?",
        ),
        (
            ("values = [0.1, 1.5]", "vals = [0.1, 1.5]"),
            "factors.1.vals: unknown key (did you mean 'values'?",
        ),
        (
            ("values = [0.1, 1.5]", "values = [0.1, 1.5]\nrange = [0, 1]"),
            "factors.1: give values or a range (allowed: values = [...] or range = [low, high])",
        ),
        (
            ("values = [0.1, 1.5]", "range = [0, 1]"),
            "factors.1.range: a factorial design needs listed values",
        ),
        (
            ("values = [0.1, 1.5]", 'values = [0.1, "high"]'),
            "factors.1.values: mixes number and text (allowed: values of one kind)",
        ),
        (("values = [0.1, 1.5]", "values = [0.1, 0.1]"), "factors.1.values: 0.1 is listed twice"),
        (
            ("kpis = ", "kpis = ['csat'] #"),
            "kpis.0: 'csat' is not a KPI (did you mean 'csat_mean'?",
        ),
        (("kpis = ", "kpis = ['utilisation_by_unit'] #"), "kpis.0: is a table per unit"),
        (("run.days = 4", "run.days = 0"), "set.run.days: 0 is out of range (allowed: >= 1)"),
        (
            ("run.days = 4", "run.dayz = 4"),
            "set.run.dayz: 'run.dayz' is not a scenario key (did you mean 'days'?",
        ),
        ((str(FUNCTIONAL), "nowhere.toml"), "base: "),
        (("seed = 11", "seed = -1"), "seed: -1 is out of range (allowed: >= 0)"),
    ],
)
def test_spec_errors_are_one_line_each(tmp_path, change, expected):
    path = write(tmp_path, SWEEP.replace(*change))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert any(line.startswith(f"{path}: {expected}") for line in caught.value.problems), (
        caught.value.problems
    )


def test_sampled_design_errors(tmp_path):
    text = MORRIS.replace('method = "morris"', 'method = "sobol"').replace("samples = 2", "")
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert f"{path}: design.samples: missing (required for a sobol design)" in caught.value.problems
    path = write(tmp_path, text.replace("levels = 4", "samples = 6"))
    with pytest.raises(SpecError, match=r"design.samples: 6 is not a power of 2"):
        load_spec(path)


def test_factorial_design(tmp_path):
    sweep = load_spec(write(tmp_path, SWEEP.replace("[0.25, 2]", "[0.25, 2, 4]")))
    assert sweep.points == tuple(itertools.product([0.25, 2.0, 4.0], [0.1, 1.5]))
    assert all(isinstance(p[0], float) for p in sweep.points)  # 2 and 2.0 are one level
    runs = sweep.runs()
    assert len(runs) == 3 * 2 * 2 == len({r.run_id for r in runs})
    assert list(sweep.seeds) == replication_seeds(11, 2)
    # Common random numbers: replication r has the same seed at every point.
    assert {(r.replication, r.seed) for r in runs} == set(enumerate(sweep.seeds))
    # Identity depends on the values and the replication only, not on the order of the keys.
    first = runs[0]
    assert first.run_id == run_id(dict(reversed(list(first.values.items()))), 0)
    assert first.run_id != run_id(first.values, 1)
    assert sweep.base.run.days == 4  # [set] applied


# --------------------------------------------------------------------------------------------
# Real sweeps


def test_sweep_on_a_process_pool_writes_tidy_rows(reference):
    sweep, out, result = reference
    assert (result.total, result.ran, result.skipped, result.errors) == (8, 8, 0, 4)
    assert (out / "_manifest.json").is_file()
    assert list((out / "parts").glob("part-*.parquet"))
    runs = load_runs(out)
    factors = ["policies.handoff_delay_hours", "policies.misrouting"]
    expected = ["run_id", "replication", "seed", *factors, *KPIS, "stable", "unstable_reason"]
    assert list(runs.columns) == [*expected, "run_time_s", "status", "error"]
    assert len(runs) == 8 and runs["run_id"].is_unique
    assert (runs["run_time_s"] > 0).all()
    assert set(runs["seed"]) == set(sweep.seeds)
    ok = runs[runs["status"] == "ok"]
    failed = runs[runs["status"] == "error"]
    # The invalid value fails its runs, with the reason; the other runs finish.
    assert (ok["policies.misrouting"] == 0.1).all() and len(ok) == 4
    assert (failed["policies.misrouting"] == 1.5).all() and len(failed) == 4
    assert failed["error"].str.contains("policies.misrouting: 1.5 is out of range").all()
    assert failed["resolution_hours_mean"].isna().all()
    assert ok[KPIS].notna().all().all() and ok["error"].isna().all()
    # A slower handoff makes requests slower (same seeds at both points).
    mean = ok.groupby("policies.handoff_delay_hours")["resolution_hours_mean"].mean()
    assert mean[2.0] > mean[0.25]

    summary = summarise_sweep(out)
    assert list(summary.columns) == [
        *factors,
        "kpi",
        "n",
        "mean",
        "ci_low",
        "ci_high",
        "runs",
        "errors",
        "unstable",
    ]
    assert len(summary) == 4 * len(KPIS)
    row = summary[
        (summary["policies.handoff_delay_hours"] == 0.25)
        & (summary["policies.misrouting"] == 0.1)
        & (summary["kpi"] == "csat_mean")
    ].iloc[0]
    values = ok[ok["policies.handoff_delay_hours"] == 0.25]["csat_mean"]
    assert row["n"] == 2 and row["mean"] == pytest.approx(values.mean())
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    failed_cell = summary[summary["policies.misrouting"] == 1.5]
    assert (failed_cell["errors"] == 2).all() and (failed_cell["n"] == 0).all()


def test_interrupted_sweep_resumes_without_repeating_or_losing_runs(reference, pool, tmp_path):
    sweep, reference_out, _ = reference
    out = tmp_path / "out"
    calls = []

    def interrupt_after_first_chunk(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 2:  # the first call reports the start, the second a saved chunk
            raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted, match="--resume") as caught:
        run_sweep(sweep, out, pool, progress=interrupt_after_first_chunk)
    saved = len(load_runs(out))
    assert 0 < saved < 8 and f"{saved} of 8 runs are saved" in str(caught.value)

    with pytest.raises(SpecError, match="holds a sweep already"):
        run_sweep(sweep, out, pool)
    other = load_spec(write(tmp_path, SWEEP.replace("replications = 2", "replications = 3")))
    with pytest.raises(SpecError, match=r"holds a different sweep \(changed: seeds\)"):
        run_sweep(other, out, pool, resume=True)

    result = run_sweep(sweep, out, pool, resume=True)
    assert (result.skipped, result.ran) == (saved, 8 - saved)
    runs = load_runs(out)
    assert runs["run_id"].is_unique and len(runs) == 8
    pd.testing.assert_frame_equal(without_time(runs), without_time(load_runs(reference_out)))
    # Resuming a finished sweep runs nothing.
    assert run_sweep(sweep, out, pool, resume=True).ran == 0


class DyingExecutor(ThreadPoolExecutor):
    """Runs in threads; from the `dies_at`-th task on, the task fails as if its worker died."""

    def __init__(self, dies_at: int):
        super().__init__(max_workers=1)
        self.workers = 1
        self.tasks = 0
        self.dies_at = dies_at

    def submit(self, fn, /, *args, **kwargs):
        self.tasks += 1
        if self.tasks < self.dies_at:
            return super().submit(fn, *args, **kwargs)
        future: Future = Future()
        future.set_exception(BrokenProcessPool("a worker was killed"))
        return future


def test_dead_worker_stops_the_sweep_and_keeps_finished_runs(reference, tmp_path):
    sweep, reference_out, _ = reference
    out = tmp_path / "out"
    with DyingExecutor(dies_at=3) as executor, pytest.raises(SweepError, match="resume"):
        run_sweep(sweep, out, executor)
    saved = len(load_runs(out))
    assert 0 < saved < 8
    with ThreadPoolExecutor(1) as executor:
        assert run_sweep(sweep, out, executor, resume=True).ran == 8 - saved
    pd.testing.assert_frame_equal(
        without_time(load_runs(out)), without_time(load_runs(reference_out))
    )


@pytest.mark.slow  # starts a Dask cluster
def test_dask_local_cluster_rows_equal_process_pool_rows(reference, tmp_path):
    sweep, reference_out, _ = reference
    with dask_executor(local_workers=2) as executor:
        assert executor.workers == 2
        result = run_sweep(sweep, tmp_path / "dask", executor)
    assert result.ran == 8
    pd.testing.assert_frame_equal(
        without_time(load_runs(tmp_path / "dask")), without_time(load_runs(reference_out))
    )


# --------------------------------------------------------------------------------------------
# Sensitivity


def test_morris_indices_for_each_factor(pool, tmp_path):
    sweep = load_spec(write(tmp_path, MORRIS))
    assert len(sweep.points) == 2 * (2 + 1)
    assert all(isinstance(p[1], int) for p in sweep.points)  # integer = true
    indices = run_sensitivity(sweep, tmp_path / "out", pool)
    assert indices.attrs["method"] == "morris"
    assert list(indices.columns) == ["kpi", "factor", *INDICES["morris"]]
    assert set(itertools.product(["resolution_hours_mean", "csat_mean"], sweep.factors)) == set(
        zip(indices["kpi"], indices["factor"], strict=True)
    )
    assert indices["mu_star"].notna().all() and (indices["mu_star"] >= 0).all()
    assert analyse(tmp_path / "out").equals(indices)  # from disk alone, reproducibly
    png = plot_indices(indices, tmp_path / "indices.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sensitivity_needs_a_sobol_or_morris_design(tmp_path):
    sweep = load_spec(write(tmp_path, SWEEP))
    with pytest.raises(SpecError, match=r"design\.method: 'factorial' gives no sensitivity"):
        check_design(sweep)


# --------------------------------------------------------------------------------------------
# The code version a sweep records


@pytest.mark.slow  # a fresh interpreter: which modules a run imports is the point
def test_the_code_version_covers_every_module_a_run_imports():
    """A sweep refuses to resume with other code (`code_version`): the hash must cover every
    module whose change can change a row, wherever in the package it lives. A worker imports
    these to run a chunk; none may be missing from `model_files`."""
    script = (
        "import sys; import sim.sweeps.runs; from sim.scenario import load_scenario; "
        "from sim.runner import run; "
        f"run(load_scenario({str(FUNCTIONAL)!r}, ['run.days=2', 'run.warmup_days=0']), 1); "
        "print('\\n'.join(m.__file__ for n, m in sys.modules.items() "
        "if (n == 'sim' or n.startswith('sim.')) and getattr(m, '__file__', None)))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    imported = {Path(line).resolve() for line in out.stdout.split()}
    core = {"model", "agents", "unit", "request", "structure", "metrics", "runner"}
    assert core <= {p.stem for p in imported}
    missing = imported - set(model_files())
    assert not missing, f"not in the sweep's code version: {sorted(map(str, missing))}"
    assert not any(p.parts[-2] in ("cli", "dashboard") for p in model_files())
    assert re.fullmatch(r"[0-9a-f]{12}", code_version()["hash"])


# --------------------------------------------------------------------------------------------
# A damaged, copied, shared or full sweep folder (issue 14): each of these was an "internal
# error ... a bug in sim", or silently counted runs twice.


def _finished(reference, tmp_path) -> Path:
    """A copy of the reference sweep's folder."""
    _, reference_out, _ = reference
    out = tmp_path / "out"
    subprocess.run(["cp", "-r", str(reference_out), str(out)], check=True)
    return out


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        ("truncate", "Parquet magic bytes not found"),
        ("empty", "Parquet file size is 0 bytes"),
        ("random", "Parquet magic bytes not found"),
        ("foreign", "not a part of this sweep: no column run_id, replication, seed"),
    ],
)
def test_a_damaged_part_is_named_set_aside_and_its_runs_run_again(
    reference, pool, tmp_path, damage, why
):
    sweep, reference_out, _ = reference
    out = _finished(reference, tmp_path)
    part = sorted((out / "parts").glob("part-*.parquet"))[0]
    lost = len(pd.read_parquet(part))
    if damage == "truncate":
        part.write_bytes(part.read_bytes()[:100])
    elif damage == "empty":
        part.write_bytes(b"")
    elif damage == "random":
        part.write_bytes(bytes(range(256)) * 8)
    else:
        pd.DataFrame({"x": [1, 2]}).to_parquet(part)
    # Reading leaves it out and says so (the dashboard reads this way too).
    runs = load_runs(out)
    assert len(runs) == 8 - lost
    [note] = runs.attrs["notes"]
    assert note.startswith(f"{part}: damaged (") and why in note
    assert note.endswith("run the same sweep with --resume to set it aside and run its runs again")
    # Resuming moves it aside and runs its runs again: the same rows as before.
    result = run_sweep(sweep, out, pool, resume=True)
    assert result.ran == lost
    assert result.notes == (f"{part}: damaged ({note.split('damaged (', 1)[1].split('): ')[0]})"
                            f": moved to {out / '_damaged'}; its runs run again",)  # fmt: skip
    assert (out / "_damaged" / part.name).is_file()
    final = load_runs(out)
    assert final.attrs["notes"] == []
    pd.testing.assert_frame_equal(without_time(final), without_time(load_runs(reference_out)))


def test_a_stray_file_in_parts_is_set_aside(reference, pool, tmp_path):
    sweep, _, _ = reference
    out = _finished(reference, tmp_path)
    (out / "parts" / "part-notes.parquet").write_text("my notes")
    result = run_sweep(sweep, out, pool, resume=True)
    assert result.ran == 0 and len(result.notes) == 1
    assert (out / "_damaged" / "part-notes.parquet").read_text() == "my notes"


def test_a_copied_part_file_counts_its_runs_once_and_says_so(reference, tmp_path):
    """`part-x (copy).parquet` made 19 rows of 18 runs, and n = 4 where there were 3."""
    _, reference_out, _ = reference
    out = _finished(reference, tmp_path)
    part = sorted((out / "parts").glob("part-*.parquet"))[0]
    (out / "parts" / f"{part.stem} (copy).parquet").write_bytes(part.read_bytes())
    runs = load_runs(out)
    assert len(runs) == 8 and runs["run_id"].is_unique
    copies = len(pd.read_parquet(part))
    expected = "run was" if copies == 1 else "runs were"
    assert runs.attrs["notes"] == [
        f"{out}: {copies} {expected} saved twice (a copied part file, or two sweeps resumed "
        "at once): each is counted once"
    ]
    summary = summarise_sweep(out)
    pd.testing.assert_frame_equal(summary, summarise_sweep(reference_out))
    assert summary.attrs["notes"] == runs.attrs["notes"]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ('{"name": "x", "fin', "not valid JSON: "),
        ("", "not valid JSON: Expecting value: line 1 column 1 (char 0)"),
        ("[1, 2]", "a JSON list, not an object"),
        (None, "no fingerprint"),
    ],
)
def test_a_damaged_manifest_is_named_with_what_to_do(reference, pool, tmp_path, content, why):
    sweep, _, _ = reference
    out = _finished(reference, tmp_path)
    manifest = out / "_manifest.json"
    if content is None:
        content = re.sub(r'\n *"fingerprint": "[0-9a-f]+",', "", manifest.read_text())
    manifest.write_text(content)
    for attempt in (lambda: run_sweep(sweep, out, pool, resume=True), lambda: load_runs(out)):
        with pytest.raises(SpecError) as caught:
            attempt()
        [line] = caught.value.problems
        assert line.startswith(f"{manifest}: damaged (") and why in line
        assert line.endswith(f"(allowed: restore it, or move {out} aside and run the sweep into "
                             "a new folder)")  # fmt: skip


def test_parts_that_is_a_file_is_named(reference, pool, tmp_path):
    sweep, _, _ = reference
    out = _finished(reference, tmp_path)
    subprocess.run(["rm", "-r", str(out / "parts")], check=True)
    (out / "parts").write_text("")
    with pytest.raises(SpecError) as caught:
        run_sweep(sweep, out, pool, resume=True)
    assert caught.value.problems == [
        f"{out / 'parts'}: is a file, not the folder of the sweep's runs (allowed: move it "
        "aside and run the same sweep with --resume)"
    ]


def test_a_huge_design_is_refused_before_it_is_made(tmp_path):
    """`design.samples = 67108864` (Sobol) asked for 2 GB and died with a MemoryError."""
    sobol = MORRIS.replace('method = "morris"', 'method = "sobol"').replace(
        "samples = 2", "samples = 67108864"
    )
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, sobol))
    assert caught.value.problems == [
        f"{tmp_path / 'sweep.toml'}: design.samples: the design has 268,435,456 points x 1 "
        "replications = 268,435,456 runs (allowed: up to 1,000,000 runs in one sweep; split "
        "it, or sample fewer points)"
    ]
    many = SWEEP.replace("values = [0.25, 2]", f"values = {list(range(1001))}").replace(
        "values = [0.1, 1.5]", f"values = {[i / 1000 for i in range(501)]}"
    )
    with pytest.raises(SpecError, match=r"factors: the design has 501,501 points x 2 "):
        load_spec(write(tmp_path, many))


def _sweep_process(spec: Path, out: Path, *options: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", str(spec), "--out", str(out), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


@pytest.mark.slow
def test_one_sweep_at_a_time_writes_to_a_folder(tmp_path):
    """Two `--resume` at once both ran the missing runs: 26-33 rows for 18 runs, and the
    summary counted 6 replications where there were 3."""
    spec = write(tmp_path, SWEEP.replace("days = 4", "days = 40"))
    out = tmp_path / "out"
    first = _sweep_process(spec, out, "--workers", "1")
    deadline = time.monotonic() + 60
    while not (out / ".lock").exists() or "process" not in (out / ".lock").read_text():
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.05)
    second = _sweep_process(spec, out, "--resume", "--workers", "1")
    _, stderr = second.communicate(timeout=120)
    assert second.returncode == 2
    assert stderr.strip() == (
        f"{out}: another sim sweep is writing to this folder (process {first.pid}) (allowed: "
        "wait for it to finish, or another output folder)"
    )
    first.communicate(timeout=300)
    assert first.returncode == 0
    runs = load_runs(out)
    assert len(runs) == 8 and runs["run_id"].is_unique and runs.attrs["notes"] == []


def _limit_file_size(limit: int):
    def limit_it() -> None:
        import resource
        import signal as signals

        signals.signal(signals.SIGXFSZ, signals.SIG_IGN)  # a write beyond it fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_it


@pytest.mark.slow
def test_a_write_that_fails_keeps_what_is_saved_and_says_how_to_finish(tmp_path):
    """A full disk gave "internal error: OSError ... a bug in sim". Here the sweep is started
    (its manifest written), then resumed where no file over 4 kB can be written, as on a disk
    that is full: a part with every KPI (over 10 kB) cannot be saved. The manifest is written
    first and without the limit, as its size grows with every scenario key the model gains."""
    every_kpi = re.sub(r"^kpis = .*$", "kpis = []", SWEEP, flags=re.M)
    spec = write(tmp_path, every_kpi)
    out = tmp_path / "out"
    with locked(out):
        open_output(out, load_spec(spec), resume=False)
    manifest = (out / MANIFEST).read_bytes()
    process = _sweep_process(
        spec, out, "--resume", "--workers", "1", preexec_fn=_limit_file_size(4096)
    )
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 1, stderr
    last = stderr.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith(f"sim sweep: cannot save runs in {out / 'parts'} (") and last.endswith(
        "File too large); 0 of 8 runs are saved; make room and run the same sweep with --resume "
        "to finish the rest"
    )
    assert (out / MANIFEST).read_bytes() == manifest
    assert not list((out / "parts").glob(".*.tmp"))  # no half-written file left behind
    finished = _sweep_process(spec, out, "--resume", "--workers", "1")
    _, stderr = finished.communicate(timeout=300)
    assert finished.returncode == 0, stderr
    runs = load_runs(out)
    assert len(runs) == 8 and runs["run_id"].is_unique


@pytest.mark.slow
def test_a_full_disk(reference, pool, tmp_path):
    """The same on a real full disk: a 40 kB tmpfs (needs the right to mount, as root)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=40k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip()})")
    try:
        big = load_spec(write(tmp_path, SWEEP.replace("replications = 2", "replications = 60")))
        with pytest.raises(SweepError) as caught:
            run_sweep(big, disk / "out", pool)
        assert "No space left on device" in str(caught.value)
        assert "make room and run the same sweep with --resume" in str(caught.value)
        saved = len(load_runs(disk / "out"))
        assert 0 < saved < 240 and f"{saved} of 240 runs are saved" in str(caught.value)
        with pytest.raises(SweepError, match="No space left on device"):
            run_sweep(big, disk / "out", pool, resume=True)
        assert len(load_runs(disk / "out")) >= saved  # nothing lost
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=False)  # even if a file is open


# --------------------------------------------------------------------------------------------
# A sweep of a reorganisation: its KPIs need no counterfactual

REORG = sweep_toml(
    "test reorganisation",
    ROOT / "scenarios" / "lessons" / "reorganisation.toml",
    ["csat_mean", "resolution_hours_mean", "engagement_mean"],
    {"events.0.day": [10, 20]},
    replications=2,
    seed=3,
    days=21,
    warmup_days=3,
)


def _reorganisation_rows(out: Path) -> pd.DataFrame:
    return without_time(load_runs(out)).sort_values("run_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def reorganisations(tmp_path_factory):
    """The sweep of switch days, in this process (one thread), counting models."""
    folder = tmp_path_factory.mktemp("reorganisation")
    sweep = load_spec(write(folder, REORG))
    built = []

    class Counted(sim.runner.OrgModel):
        def __init__(self, scenario, *args, **kwargs):
            built.append(scenario)
            super().__init__(scenario, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch, ThreadPoolExecutor(1) as executor:
        patch.setattr(sim.runner, "OrgModel", Counted)
        result = run_sweep(sweep, folder / "out", executor)
    return sweep, folder / "out", result, len(built)


def test_a_sweep_of_a_reorganisation_runs_no_counterfactual(reorganisations):
    """A sweep's KPIs are every run's (never a reorganisation's effect, `RUN_KPIS`): its 4
    runs are 4 simulations, not 8, with the numbers of each run as `sim run` has them."""
    sweep, out, result, built = reorganisations
    assert (result.ran, result.errors) == (4, 0)
    assert built == 4
    rows = _reorganisation_rows(out)
    for row in rows.to_dict("records"):
        values = {k: row[k] for k in sweep.factors}
        alone = run(sweep.base.with_overrides(values), row["seed"], sample_every_hours=None)
        assert "reorg_dip" in alone.kpis  # run on its own, with its counterfactual
        for kpi in ("csat_mean", "resolution_hours_mean", "engagement_mean"):
            assert alone.kpis[kpi] == row[kpi], (kpi, values)
    assert rows["csat_mean"].nunique() == 4  # every switch made a difference


@pytest.mark.slow  # a Dask cluster
def test_a_sweep_of_a_reorganisation_on_dask_gives_the_same_rows(reorganisations, tmp_path):
    _, out, _, _ = reorganisations
    sweep = load_spec(write(tmp_path, REORG))
    with dask_executor(local_workers=2) as executor:
        assert run_sweep(sweep, tmp_path / "dask", executor).ran == 4
    pd.testing.assert_frame_equal(
        _reorganisation_rows(tmp_path / "dask"), _reorganisation_rows(out)
    )
