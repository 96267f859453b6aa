"""The build backend: setuptools', plus mypyc when `SIM_COMPILE=1` asks for the compiled core.

pip builds a wheel in an isolated environment holding only what the backend asks for. A pure
build (the default) asks for setuptools alone. `SIM_COMPILE=1 pip install .` also asks for
mypy, whose mypyc compiles the event core (`sim.core.COMPILED_MODULES`) to C, and for the
packages whose types it compiles against (`TYPED_IMPORTS` of the project's dependencies and
the pandas stubs, at the versions CI's type check uses). An editable install (`pip install -e
.`) is never compiled: a compiled module beside its `.py` would hide the developer's edits.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import sysconfig
import tomllib
from contextlib import contextmanager
from pathlib import Path

from setuptools import build_meta
from setuptools.build_meta import build_sdist, get_requires_for_build_sdist  # unchanged

__all__ = [
    "build_editable",
    "build_sdist",
    "build_wheel",
    "ext_modules",
    "get_requires_for_build_editable",
    "get_requires_for_build_sdist",
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "prepare_metadata_for_build_wheel",
]

ROOT = Path(__file__).resolve().parent.parent
_pure_only = False  # setup.py run for requirements, metadata or an editable install


@contextmanager
def _pure():
    """setup.py, run inside, builds no extension (pip runs each hook in a process of its own)."""
    global _pure_only
    _pure_only = True
    try:
        yield
    finally:
        _pure_only = False


def compile_requested() -> bool:
    """`SIM_COMPILE` is set to 1 (or true, yes)."""
    return os.environ.get("SIM_COMPILE", "").lower() in ("1", "true", "yes")


TYPED_IMPORTS = ("numpy", "pandas", "pydantic")
"""The typed libraries the compiled modules and the modules they import use (Mesa is untyped:
its objects are Any either way). Only these of the project's dependencies go into the build
environment, with mypy and the pandas stubs: mypyc generates the same C as with every
dependency installed (compared file by file), and the build skips installing the dashboard's,
Dask's and the plots' packages. tests/test_compiled_core.py checks that the compiled modules
import no other typed library."""


def _compiler_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    test = project["optional-dependencies"]["test"]
    pinned = [r for r in test if r.startswith(("mypy", "pandas-stubs"))]
    typed = [r for r in project["dependencies"] if _name(r) in TYPED_IMPORTS]
    return [*typed, *pinned]


def _name(requirement: str) -> str:
    """The distribution name of a requirement such as "pandas>=2.2" or "mesa[network]==3.5"
    (PEP 508: it starts with the name)."""
    return re.match(r"[A-Za-z0-9._-]*", requirement.strip()).group().lower()


def get_requires_for_build_wheel(config_settings=None):
    with _pure():
        requires = build_meta.get_requires_for_build_wheel(config_settings)
    return [*requires, *_compiler_requirements()] if compile_requested() else requires


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    with _pure():
        return build_meta.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return build_meta.build_wheel(wheel_directory, config_settings, metadata_directory)


def get_requires_for_build_editable(config_settings=None):
    with _pure():
        return build_meta.get_requires_for_build_editable(config_settings)


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    with _pure():
        return build_meta.prepare_metadata_for_build_editable(metadata_directory, config_settings)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    with _pure():
        return build_meta.build_editable(wheel_directory, config_settings, metadata_directory)


def _compiled_paths() -> list[str]:
    """`sim.core.COMPILED_MODULES`, read from the source (the package is not importable here)."""
    tree = ast.parse((ROOT / "sim" / "core.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "COMPILED_MODULES" for t in node.targets
        ):
            names = ast.literal_eval(node.value)
            return [name.replace(".", "/") + ".py" for name in names]
    raise SystemExit("sim/core.py: COMPILED_MODULES not found")


def ext_modules() -> list:
    """The compiled core's extension modules for `setup.py`: none unless compiling."""
    if _pure_only or not compile_requested():
        return []
    pure = "or install the pure Python core instead: pip install . (without SIM_COMPILE)"
    try:
        from mypyc.build import mypycify
    except ImportError:
        raise SystemExit(
            "SIM_COMPILE=1: the compiled core needs mypyc, which comes with mypy, and mypy is not "
            f"installed in this build environment; install it (pip install mypy), {pure}"
        ) from None
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        raise SystemExit(
            f"SIM_COMPILE=1: the compiled core needs a C compiler, and {compiler!r} was not found "
            f"(on Debian or Ubuntu: apt install gcc), {pure}"
        )
    return mypycify(_compiled_paths(), opt_level="3")
