"""Solara's front end, offline: fill Solara's CDN proxy cache from the npm registry.

A Solara page loads its JavaScript (Vue, the vuetify app bundle, require.js, fonts...) through
the server's own ``/_solara/cdn/`` proxy, which fetches from cdn.jsdelivr.net on first use and
keeps a copy in ``solara.server.settings.assets.proxy_cache_dir`` (``{sys.prefix}/share/solara/cdn``
by default). With no internet the page stays blank. This fills that cache ahead of time from the
npm registry (reachable where the CDN is not; ``$npm_config_registry`` names another), with
Python alone: no npm needed. The ``pkg@version`` names are read from the installed Solara's own
templates, so an upgraded Solara brings its own list.

The first start of a fresh install downloads about 25 MB (100 MB unpacked): seconds on a good
line, minutes on a slow one, so it shows what it fetches, how far it is, and an ETA. Each
package is checked against the registry's integrity hash and unpacked next to its place, then
renamed into it: an interrupted fetch never leaves a half-filled package behind.

Usage::

    python -m sim.dashboard.assets           # what the dashboard needs (sim dashboard does this)
    python -m sim.dashboard.assets --all     # also echarts, vega and the other vuetify bundle
    python -m sim.dashboard.assets --check   # exit 1 if something is missing; no network

Idempotent: a package already in the cache is not fetched again, so a second run takes about a
second (mostly importing Solara).
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import hashlib
import json
import os
import pathlib
import re
import shutil
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import IO

REGISTRY = "https://registry.npmjs.org/"
PARALLEL = 4
"""Packages downloaded at once."""
TIMEOUT_S = 60
CHUNK = 1 << 16

_SPEC = re.compile(r"(?:\{\{cdn\}\}|getCdn\(\)\})/((?:@[\w.-]+/)?[\w.-]+@[\w.-]+?)/")
"""``{{cdn}}/pkg@version/...`` in Solara's templates, ``getCdn()}/pkg@version/...`` in its JS."""


class AssetsError(RuntimeError):
    """The cache cannot be filled (the npm registry cannot be reached, a damaged download)."""


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


@dataclass(frozen=True)
class Package:
    """A ``pkg@version`` as the registry serves it."""

    spec: str
    tarball: str
    integrity: str
    """``sha512-<base64>`` (or ``sha1-<hex>`` from an old ``shasum``)."""
    size: int
    """Bytes to download."""


def registry() -> str:
    """The npm registry: npm's own ``npm_config_registry`` setting if set, else npmjs.org."""
    url = next((v for k, v in os.environ.items() if k.lower() == "npm_config_registry"), None)
    return (url or REGISTRY).rstrip("/") + "/"


def _open(url: str, method: str = "GET"):
    request = urllib.request.Request(url, method=method, headers={"User-Agent": "sim-dashboard"})
    return urllib.request.urlopen(request, timeout=TIMEOUT_S)


def resolve(spec: str) -> Package:
    """Where the registry keeps `spec`, its hash and its size (two small requests)."""
    name, _, version = spec.rpartition("@")
    try:
        with _open(f"{registry()}{name.replace('/', '%2f')}/{version}") as answer:
            dist = json.load(answer)["dist"]
        with _open(dist["tarball"], "HEAD") as answer:
            size = int(answer.headers.get("Content-Length") or 0)
    except (OSError, ValueError, KeyError) as exc:
        raise AssetsError(
            f"cannot look up {spec} in the npm registry {registry()} ({exc})"
        ) from None
    integrity = dist.get("integrity") or f"sha1-{dist.get('shasum', '')}"
    return Package(spec, dist["tarball"], integrity, size)


def _check(package: Package, digests: dict[str, hashlib._Hash]) -> None:
    kind, _, expected = package.integrity.partition("-")
    digest = digests.get(kind)
    if digest is None:
        return  # a hash kind we do not compute: TLS to the registry is the check
    got = digest.hexdigest() if kind == "sha1" else base64.b64encode(digest.digest()).decode()
    if got != expected:
        raise AssetsError(f"{package.spec}: the download does not match the registry's hash")


class Progress:
    """One line on stderr: what is being fetched, how much of it, how fast, and the ETA."""

    def __init__(self, packages: list[Package], out: IO[str] | None) -> None:
        from tqdm import tqdm

        out = out or sys.stderr
        self.lock = threading.Lock()
        self.active: list[str] = []
        self.bar = tqdm(
            total=sum(p.size for p in packages) or None,
            desc=f"Fetching Solara's front end, {len(packages)} packages (first start only)",
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=out,
            mininterval=0.5 if out.isatty() else 5.0,
            bar_format="{desc}: {percentage:3.0f}%|{bar:20}| {n_fmt}B of {total_fmt}B, "
            "{rate_fmt}, ETA {remaining}{postfix}",
            dynamic_ncols=True,
        )

    def _show(self) -> None:
        """Name what is in flight, now: a log (no terminal) gets a line per package."""
        names = [spec.rpartition("@")[0].rpartition("/")[2] for spec in self.active]
        self.bar.set_postfix_str(", ".join(names) or "done", refresh=False)
        self.bar.refresh()

    def started(self, spec: str) -> None:
        with self.lock:
            self.active.append(spec)
            self._show()

    def advanced(self, count: int) -> None:
        with self.lock:
            self.bar.update(count)

    def finished(self, spec: str) -> None:
        with self.lock:
            self.active.remove(spec)
            self._show()

    def close(self) -> None:
        self.bar.close()


def _fetch(package: Package, cache: pathlib.Path, progress: Progress, stop: threading.Event):
    """Download, check and unpack one package where Solara's proxy looks for it."""
    target = cache / package.spec
    progress.started(package.spec)
    digests = {"sha512": hashlib.sha512(), "sha1": hashlib.sha1()}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tarball = pathlib.Path(tmp) / "package.tgz"
            with _open(package.tarball) as answer, open(tarball, "wb") as out:
                while chunk := answer.read(CHUNK):
                    if stop.is_set():
                        return
                    out.write(chunk)
                    for digest in digests.values():
                        digest.update(chunk)
                    progress.advanced(len(chunk))
            _check(package, digests)
            unpacked = pathlib.Path(tmp) / "unpacked"
            with tarfile.open(tarball) as tf:
                tf.extractall(unpacked, filter="data")
            (root,) = unpacked.iterdir()  # npm packs a package in one folder ("package/")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            shutil.copytree(root, partial)
            shutil.rmtree(target, ignore_errors=True)
            partial.rename(target)
    except (OSError, tarfile.TarError, ValueError) as exc:
        raise AssetsError(f"cannot fetch {package.spec} from {package.tarball} ({exc})") from None
    finally:
        progress.finished(package.spec)


def fetch_all(specs: list[str], cache: pathlib.Path, out: IO[str] | None = None) -> None:
    """Fetch `specs` into `cache`, several at a time, with one progress line on `out`
    (stderr by default). Ctrl+C stops at once; what was complete stays."""
    if not specs:
        return
    stop = threading.Event()
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        packages = list(pool.map(resolve, specs))
        progress = Progress(packages, out)
        futures = [pool.submit(_fetch, p, cache, progress, stop) for p in packages]
        try:
            while not all(f.done() for f in futures):  # short waits: Ctrl+C gets through
                concurrent.futures.wait(futures, timeout=0.2)
            for future in futures:
                future.result()
        finally:
            stop.set()
            progress.close()


def ensure(everything: bool = False, out: IO[str] | None = None) -> list[str]:
    """Fetch whatever is missing into Solara's cache; return the specs fetched (empty when it
    was complete). Progress and a closing line go to `out` (stderr by default)."""
    specs = missing(everything)
    if specs:
        started = time.monotonic()
        fetch_all(specs, cache_dir(), out)
        print(
            f"Solara's front end is cached in {cache_dir()} for offline use "
            f"({len(specs)} packages in {time.monotonic() - started:.0f} s).",
            file=out or sys.stderr,
        )
    return specs


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
