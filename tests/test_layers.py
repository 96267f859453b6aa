"""The package's layers: imports point one way, down.

    core (the model: scenario, structure, agents, model, metrics, runner, ...)
      <- experiments (replications, sweeps, report, executors, ...)
        <- user interfaces (the `sim` command, the dashboard)

A module may import its own layer and the layers below it, never a layer above: the model
never imports an experiment, and nothing but the interfaces imports the command line or the
dashboard. Every import counts, at module level, inside functions and under TYPE_CHECKING.
A module that is neither core nor an interface is in the experiment layer, so a new core
module must be added to `CORE` before core modules may import it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sim"

CORE = {
    "sim",
    "sim.scenario",
    "sim.structure",
    "sim.unit",
    "sim.dispatch",
    "sim.request",
    "sim.agents",
    "sim.agenda",
    "sim.collector",
    "sim.calendar",
    "sim.streams",
    "sim.model",
    "sim.records",
    "sim.satisfaction",
    "sim.metrics",
    "sim.runner",
    "sim.queueing",
    "sim.kpi_catalogue",
    "sim.stability",
    "sim.files",
}
"""The model and what it needs (a name covers its subpackage: sim.scenario.*)."""
INTERFACES = {"sim.__main__", "sim.cli", "sim.dashboard"}
LAYERS = ("core", "experiments", "interfaces")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    def within(names: set[str]) -> bool:
        return module in names or any(module.startswith(n + ".") for n in names - {"sim"})

    if within(INTERFACES):
        return 2
    return 0 if within(CORE) else 1


def imports(path: Path) -> set[str]:
    """Every `sim` module `path` imports, anywhere in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name == "sim" or name.startswith("sim.")}


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_layers_are_known():
    assert layer("sim.model") == 0 and layer("sim.scenario.loading") == 0
    assert layer("sim.replications.comparison") == 1 and layer("sim.executors") == 1
    assert layer("sim.cli.run") == 2 and layer("sim.dashboard.compare.page") == 2
    assert len(MODULES) > 40


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_no_import_points_up(path: Path):
    here = module_name(path)
    upward = [
        f"{name} ({LAYERS[layer(name)]})"
        for name in sorted(imports(path))
        if layer(name) > layer(here) and _is_module(name)
    ]
    assert not upward, f"{here} ({LAYERS[layer(here)]}) imports a layer above it: {upward}"


def _is_module(name: str) -> bool:
    """`from sim.x import y` names y too: only the names that are modules or packages count."""
    relative = Path(*name.split("."))
    root = PACKAGE.parent
    return (root / relative).with_suffix(".py").is_file() or (root / relative).is_dir()


def private_imports(source: str, here: str) -> list[str]:
    """The private names (``_x``, not dunders) that module `here` imports from other `sim`
    modules."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
            continue
        if node.module.startswith("sim") and node.module != here:
            found += [
                f"{node.module}.{alias.name}"
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
    return found


def test_the_private_import_check_can_fail():
    source = "from sim.report.style import _hidden, STYLE\nfrom sim import __version__\n"
    assert private_imports(source, "sim.cli.run") == ["sim.report.style._hidden"]
    assert private_imports(source, "sim.report.style") == []  # its own names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_no_module_imports_another_modules_private_names(path: Path):
    """Modules talk through public names (a private name is free to change)."""
    found = private_imports(path.read_text(encoding="utf-8"), module_name(path))
    assert not found, f"{module_name(path)} imports private names: {found}"
