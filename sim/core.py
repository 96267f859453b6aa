"""Which event core runs: the pure Python reference, or the same modules compiled by mypyc.

The modules named here are the model's hot path (the event loop, dispatch, the agents, the
requests, their random streams, the routing of tasks, the recorders called as requests close).
`SIM_COMPILE=1 pip install .` compiles them with mypyc (`setup.py`, which reads
`COMPILED_MODULES` from this file); without it, and always for an editable install, they stay
Python. Both cores run the same source and give bit-identical
results (tests/test_compiled_core.py); pure Python is the reference and the default.
"""

from importlib.machinery import EXTENSION_SUFFIXES
from importlib.util import find_spec

COMPILED_MODULES = (
    "sim.agenda",
    "sim.agents",
    "sim.dispatch",
    "sim.model",
    "sim.records",
    "sim.request",
    "sim.satisfaction",
    "sim.streams",
    "sim.structure",
    "sim.unit",
)
"""What a compiled build compiles (`setup.py`): literals, read by the build without importing."""

PURE = "pure Python"
COMPILED = "compiled (mypyc)"


def compiled_modules() -> list[str]:
    """The modules of `COMPILED_MODULES` this installation loads as compiled extensions."""
    compiled = []
    for name in COMPILED_MODULES:
        spec = find_spec(name)
        origin = spec.origin if spec is not None else None
        if origin is not None and origin.endswith(tuple(EXTENSION_SUFFIXES)):
            compiled.append(name)
    return compiled


def core() -> str:
    """'compiled (mypyc)', 'pure Python', or which modules are compiled if only some are."""
    compiled = compiled_modules()
    if not compiled:
        return PURE
    if len(compiled) == len(COMPILED_MODULES):
        return COMPILED
    return f"partly compiled (mypyc: {', '.join(compiled)})"
