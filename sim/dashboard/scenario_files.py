"""Where the dashboard's pages find scenario files, and the names they give structures."""

from __future__ import annotations

import os
from pathlib import Path

SCENARIOS_ENV = "SIM_SCENARIOS_DIR"
"""Where the presets and lessons are, when not in the project's own ``scenarios/``."""

KIND_LABELS = {
    "functional": "Functional departments",
    "cross_functional": "Cross-functional teams",
    "matrix": "Matrix (teams + pools)",
    "custom": "Custom units",
}
"""A structure kind as the pages name it."""


def scenarios_dir() -> Path:
    """``$SIM_SCENARIOS_DIR``; else the project's ``scenarios/`` (a source checkout, found from
    the package); else ``./scenarios``."""
    value = os.environ.get(SCENARIOS_ENV)
    if value:
        return Path(value).expanduser()
    here = Path(__file__).resolve().parents[2] / "scenarios"
    return here if here.is_dir() else Path.cwd() / "scenarios"
