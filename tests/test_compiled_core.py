"""The compiled core (`SIM_COMPILE=1 pip install .`, mypyc) computes what pure Python computes.

Pure Python is the reference and the default install. `.ci/run` also installs the compiled
core in a venv of its own and runs there this file, the validation against queueing theory
(tests/test_validation.py) and the reproducibility and common-random-number tests
(tests/test_reproducibility.py), with `SIM_EXPECT_CORE` naming the core it installed. Tests
that replace a class's methods (monkeypatch) stay pure-only: compiled classes are not patchable.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from core_fingerprints import fingerprints
from sim_in_process import sim

from sim.core import COMPILED, COMPILED_MODULES, PURE, compiled_modules, core

ROOT = Path(__file__).resolve().parent.parent


def test_the_core_is_all_pure_or_all_compiled() -> None:
    assert core() in (PURE, COMPILED)
    assert len(compiled_modules()) in (0, len(COMPILED_MODULES))
    expected = os.environ.get("SIM_EXPECT_CORE")  # set by .ci/run for its compiled venv
    if expected:
        assert core() == expected, f"sim imported from {sys.modules['sim'].__file__}"


def test_version_names_the_core() -> None:
    done = sim("--version")
    assert done.returncode == 0
    assert done.stdout.startswith("sim ") and done.stdout.rstrip().endswith(f"{core()} core")


@pytest.mark.skipif(core() == PURE, reason="the pure core is the reference: nothing to compare")
def test_compiled_runs_are_bit_identical_to_pure_python() -> None:
    pure_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    reference = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "core_fingerprints.py")],
        env=pure_env,
        capture_output=True,
        text=True,
    )
    assert reference.returncode == 0, reference.stderr
    pure = json.loads(reference.stdout)
    assert pure["core"] == PURE  # the source tree's modules, ahead of the installed ones
    compiled = fingerprints()
    assert compiled.keys() == pure["fingerprints"].keys()
    differ = {name for name, hashes in compiled.items() if hashes != pure["fingerprints"][name]}
    assert not differ, f"the compiled core differs from pure Python in: {sorted(differ)}"


def generator_sums(source: str) -> list[int]:
    """Lines of `source` that sum a generator of anything but comparisons (counts of booleans,
    exact in any order). Compiled, such a sum is a plain loop, while CPython's `sum` of floats
    is compensated: the two cores would differ in the last bits (docs/architecture.md)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "sum"
        and node.args
        and isinstance(node.args[0], ast.GeneratorExp)
        and not isinstance(node.args[0].elt, ast.Compare)
    ]


def test_the_compiled_modules_sum_no_generator_of_numbers() -> None:
    found = {
        name: lines
        for name in COMPILED_MODULES
        if (lines := generator_sums((ROOT / f"{name.replace('.', '/')}.py").read_text()))
    }
    assert not found, f"sum a list (sum([...])) instead of a generator at: {found}"


def test_the_sum_check_finds_what_compiled_would_round_differently() -> None:
    assert generator_sums("x = sum(e.engagement for e in members)") == [1]
    assert generator_sums("x = sum([e.engagement for e in members])") == []
    assert generator_sums("n = sum(e.activity == 'off duty' for e in members)") == []


def _third_party_imports_of_compiled_modules() -> set[str]:
    """The top-level packages the compiled modules import, and the sim modules they import."""
    seen: set[str] = set()
    found: set[str] = set()
    todo = list(COMPILED_MODULES)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        base = ROOT / Path(*name.split("."))
        path = base.with_suffix(".py") if base.with_suffix(".py").exists() else base / "__init__.py"
        if not path.exists():
            continue  # a name imported from a module, not a module
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for module in modules:
                if module.split(".")[0] == "sim":
                    todo.append(module)
                elif module.split(".")[0] not in sys.stdlib_module_names:
                    found.add(module.split(".")[0])
    return found


def test_the_compiled_core_s_build_installs_every_typed_library_it_imports() -> None:
    """The build environment holds only `TYPED_IMPORTS` of the dependencies (and mypy): a typed
    library imported by a compiled module, or by a sim module it imports, must be one of them,
    or mypyc would compile against it as Any (slower, different code). Untyped libraries (the
    mypy overrides' ignore_missing_imports list) are Any anyway."""
    backend = ast.parse((ROOT / "build_support" / "sim_build_backend.py").read_text())
    typed = next(
        ast.literal_eval(node.value)
        for node in backend.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "TYPED_IMPORTS" for t in node.targets)
    )
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    untyped = {
        m.split(".")[0] for o in config if o.get("ignore_missing_imports") for m in o["module"]
    }
    imported = _third_party_imports_of_compiled_modules()
    assert {"numpy", "pandas", "pydantic", "mesa"} <= imported  # the walk finds what is there
    assert imported - untyped <= set(typed), (
        f"add to TYPED_IMPORTS: {imported - untyped - set(typed)}"
    )
