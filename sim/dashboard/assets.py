"""Solara's front end, offline: fill Solara's CDN proxy cache from the npm registry.

A Solara page loads its JavaScript (Vue, the vuetify app bundle, require.js, fonts...) through
the server's own ``/_solara/cdn/`` proxy, which fetches from cdn.jsdelivr.net on first use and
keeps a copy in ``solara.server.settings.assets.proxy_cache_dir`` (``{sys.prefix}/share/solara/cdn``
by default). With no internet the page stays blank. This fills that cache ahead of time with
``npm pack`` (npm's registry is reachable where the CDN is not), so the dashboard works with
no internet at all. The ``pkg@version`` names are read from the installed Solara's own
templates, so an upgraded Solara brings its own list.

Usage::

    python -m sim.dashboard.assets           # what the dashboard needs (about 100 MB, ~10 s)
    python -m sim.dashboard.assets --all     # also echarts, vega and the other vuetify bundle
    python -m sim.dashboard.assets --check   # exit 1 if something is missing; no network

Idempotent: a package already in the cache is not fetched again, so a second run takes about a
second (mostly importing Solara). Solara's CDN files are
taken from the npm registry, like every other front-end package.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

_SPEC = re.compile(r"(?:\{\{cdn\}\}|getCdn\(\)\})/((?:@[\w.-]+/)?[\w.-]+@[\w.-]+?)/")
"""``{{cdn}}/pkg@version/...`` in Solara's templates, ``getCdn()}/pkg@version/...`` in its JS."""


class AssetsError(RuntimeError):
    """The cache cannot be filled (no npm, or npm cannot reach its registry)."""


def cache_dir() -> pathlib.Path:
    import solara.server.settings as settings

    return pathlib.Path(settings.assets.proxy_cache_dir)


def needed(everything: bool = False) -> list[str]:
    """The npm ``pkg@version`` specs the installed Solara serves through its CDN proxy.

    By default only what this dashboard needs: no echarts or vega (matplotlib charts only), and
    only the vuetify app bundle of the installed ipyvuetify major version.
    """
    import solara
    import solara.server.settings as settings

    root = pathlib.Path(solara.__file__).parent
    specs: set[str] = set()
    for path in root.rglob("*"):
        if path.suffix in {".j2", ".vue", ".py", ".js"} and "website" not in path.parts:
            specs.update(_SPEC.findall(path.read_text(errors="ignore")))
    specs.add(settings.assets.fontawesome_path.strip("/").split("/")[0])  # font-awesome@4.5.0
    echarts = root / "components" / "echarts.vue"
    version = re.search(r'version = "([\d.]+)"', echarts.read_text()) if echarts.exists() else None
    if version:
        specs.add(f"echarts@{version.group(1)}")
    if not everything:
        from solara.util import ipyvuetify_major_version

        unused = "solara-vuetify-app@" if ipyvuetify_major_version == 3 else "solara-vuetify3-app@"
        specs = {s for s in specs if unused not in s and not s.startswith(("echarts@", "vega"))}
    return sorted(specs)


def missing(everything: bool = False) -> list[str]:
    cache = cache_dir()
    return [s for s in needed(everything) if not _present(cache / s)]


def _present(target: pathlib.Path) -> bool:
    return target.is_dir() and any(target.iterdir())


def fetch(spec: str, cache: pathlib.Path) -> pathlib.Path:
    """``npm pack`` one package and unpack it where Solara's proxy looks for it."""
    npm = shutil.which("npm")
    if npm is None:
        raise AssetsError("npm is not installed: it is needed once, to fetch Solara's front end")
    target = cache / spec
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [npm, "pack", "--silent", spec], cwd=tmp, capture_output=True, text=True
        )
        if done.returncode != 0 or not done.stdout.strip():
            raise AssetsError(f"npm pack {spec} failed: {done.stderr.strip()[-500:]}")
        tarball = pathlib.Path(tmp) / done.stdout.strip().splitlines()[-1]
        with tarfile.open(tarball) as tf:
            tf.extractall(tmp, filter="data")
        target.parent.mkdir(parents=True, exist_ok=True)
        # Copy next to the target, then rename: an interrupted run never leaves a half-filled
        # directory that a later run would take for a complete one.
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(pathlib.Path(tmp) / "package", partial)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    return target


def ensure(everything: bool = False, log=print) -> list[str]:
    """Fetch whatever is missing; return the specs fetched (empty when already filled)."""
    cache = cache_dir()
    fetched = []
    for spec in missing(everything):
        log(f"fetching {spec} from npm -> {cache / spec}")
        fetch(spec, cache)
        fetched.append(spec)
    return fetched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sim.dashboard.assets",
        description="Fill Solara's CDN proxy cache from npm, so the dashboard works offline.",
    )
    parser.add_argument(
        "--all", action="store_true", help="also echarts, vega (Altair) and the other vuetify app"
    )
    parser.add_argument(
        "--check", action="store_true", help="only report what is missing (exit 1 if anything)"
    )
    args = parser.parse_args(argv)
    if args.check:
        gaps = missing(args.all)
        for spec in gaps:
            print(f"missing {spec}")
        print(f"{cache_dir()}: {'complete' if not gaps else f'{len(gaps)} missing'}")
        return 1 if gaps else 0
    try:
        fetched = ensure(args.all)
    except AssetsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    already = len(needed(args.all)) - len(fetched)
    print(f"{cache_dir()}: {len(fetched)} fetched, {already} already there")
    return 0


if __name__ == "__main__":
    sys.exit(main())
