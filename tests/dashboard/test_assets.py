"""Solara's front end is fetched from the npm registry with a progress line (what, how far,
ETA), checked and unpacked where Solara's proxy serves it; a second run fetches nothing.

Real downloads from the npm registry (reachable here and in CI), of the two smallest packages
the dashboard needs; the others are stood in for by placeholder folders in a fresh cache.
"""

from __future__ import annotations

import os
import subprocess
import sys

from sim.dashboard import assets

SMALL = ("requirejs@", "font-awesome@")


def fill(cache, *skip: str) -> list[str]:
    """Placeholders for every needed package but those starting with `skip`; returns those."""
    fetched = []
    for spec in assets.needed():
        if spec.startswith(skip):
            fetched.append(spec)
        else:
            (cache / spec).mkdir(parents=True)
            (cache / spec / "placeholder").write_text("")
    return fetched


def fetch(cache) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOLARA_ASSETS_PROXY_CACHE_DIR": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "sim.dashboard.assets"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_missing_packages_are_fetched_with_progress_and_an_eta(tmp_path):
    cache = tmp_path / "cdn"
    wanted = fill(cache, *SMALL)
    assert len(wanted) == 2
    done = fetch(cache)
    assert done.returncode == 0, done.stderr
    progress = done.stderr
    assert "Fetching Solara's front end, 2 packages (first start only)" in progress
    for name in ("requirejs", "font-awesome"):
        assert f", {name}" in progress, "says what it is fetching"
    assert "ETA" in progress and "kB of" in progress and "100%" in progress, progress
    assert "for offline use (2 packages in" in progress
    requirejs = next(s for s in wanted if s.startswith("requirejs@"))
    assert (cache / requirejs / "require.js").stat().st_size > 50_000
    assert not list(cache.rglob("*.partial"))
    again = fetch(cache)
    assert again.returncode == 0 and again.stderr == ""
    assert again.stdout.endswith(f": 0 fetched, {len(assets.needed())} already there\n")
