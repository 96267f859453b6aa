"""Every third-party module `sim` imports comes from a declared runtime dependency.

A module that only the test extra brings in (networkx through ciw, say) works in CI and fails
for a newcomer who runs ``pip install -e .``: Mesa 3.5.1 imports networkx without declaring it,
so `sim dashboard` died with ``ModuleNotFoundError`` on a clean machine. This test imports every
module of `sim` (the dashboard and its server included) in a fresh interpreter and checks that
each third-party package it loaded belongs to the dependency closure of `sim`'s own requirements,
extras left out. ``.ci/run`` also installs without the test extra and starts the dashboard.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import re
import subprocess
import sys

import pytest
from packaging.requirements import Requirement

IMPORT_ALL = """
import importlib, json, pkgutil, sys
import sim
for info in pkgutil.walk_packages(sim.__path__, "sim."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure(project: str = "sim") -> set[str]:
    """Distributions installed because `project` needs them, without any of its extras (but
    with the extras its requirements ask of their own dependencies, like ``mesa[network]``)."""
    done: set[tuple[str, tuple[str, ...]]] = set()
    todo: list[tuple[str, tuple[str, ...]]] = [(project, ())]
    while todo:
        name, extras = todo.pop()
        if (_key(name), extras) in done:
            continue
        done.add((_key(name), extras))
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue  # a requirement for another platform
        environments = [{"extra": e} for e in extras] or [{"extra": ""}]
        for text in dist.requires or []:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is None or any(marker.evaluate(env) for env in environments):
                todo.append((requirement.name, tuple(sorted(requirement.extras))))
    return {name for name, _ in done}


@pytest.mark.slow  # imports all of sim in a fresh interpreter
def test_every_imported_package_is_a_declared_runtime_dependency():
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    imported = json.loads(done.stdout.splitlines()[-1])
    providers = md.packages_distributions()
    closure = runtime_closure()
    undeclared = {
        f"{top} (from {dist})"
        for top in imported
        if top not in sys.stdlib_module_names and not top.startswith("_")
        for dist in providers.get(top, [])
        if _key(dist) not in closure
    }
    assert not undeclared, (
        "imported by sim but not installed by `pip install .` (declare them in pyproject.toml's "
        f"dependencies): {', '.join(sorted(undeclared))}"
    )
