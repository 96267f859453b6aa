"""Where the dashboard's pages find scenario files."""

from __future__ import annotations

import os
from pathlib import Path

SCENARIOS_ENV = "SIM_SCENARIOS_DIR"
"""Where the presets and lessons are, when not in the project's own ``scenarios/``."""


def scenarios_dir() -> Path:
    """``$SIM_SCENARIOS_DIR``; else the project's ``scenarios/`` (a source checkout, found from
    the package); else ``./scenarios``."""
    value = os.environ.get(SCENARIOS_ENV)
    if value:
        return Path(value).expanduser()
    here = Path(__file__).resolve().parents[2] / "scenarios"
    return here if here.is_dir() else Path.cwd() / "scenarios"
