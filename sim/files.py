"""Reading the user's files with a bound: nothing a user points `sim` at is read whole on trust.

A scenario is a few kilobytes, but a path can name ``/dev/zero``, a FIFO's endless writer or a
100 GB file by mistake, and a gzip file can unpack a thousandfold (a "gzip bomb"). Every input
file (scenarios, sweep files, calibration maps and logs) is read here, at most `limit` bytes
plus one, and refused with one line when it is bigger::

    data = read_capped(path, MAX_TOML_BYTES, "scenario", ScenarioError)

The error type is the caller's (`sim.scenario.ProblemsError` subclasses), so each command keeps
its own exit status and wording.
"""

from __future__ import annotations

import zlib
from pathlib import Path

MAX_TOML_BYTES = 2_000_000
"""Largest scenario, sweep or mapping file (TOML) read: the presets are 6-10 kB, a sweep file
listing 20,000 factor values about 200 kB."""
MAX_LOG_BYTES = 512_000_000
"""Largest ticket log (`sim calibrate`), after unpacking gzip: the bundled ServiceNow log
(141,712 events) is 39 MB unpacked, so this is about 1.8 million such events."""


def size_text(size: int) -> str:
    """'2,000 kB', '512 MB': sizes in the units people read."""
    return f"{size / 1e6:,.0f} MB" if size >= 10_000_000 else f"{size / 1000:,.0f} kB"


def too_large(source: str, limit: int, size: int | None = None, what: str = "file") -> str:
    """The one line for a file over its limit (`size` when known; else 'more than')."""
    found = size_text(size) if size is not None else f"more than {size_text(limit)}"
    return f"{source}: the {what} is too large ({found}; allowed: up to {size_text(limit)})"


def read_capped(path: Path, limit: int, kind: str, error: type[Exception]) -> bytes:
    """The bytes of the file at `path`, if it holds at most `limit`; else `error` with one line
    (as for a missing, unreadable or folder path). Reads at most `limit` + 1 bytes."""
    source = str(path)
    try:
        with open(path, "rb") as stream:
            data = stream.read(limit + 1)
    except FileNotFoundError:
        raise error([f"{source}: file not found"]) from None
    except IsADirectoryError:
        raise error([f"{source}: is a directory, not a {kind} file"]) from None
    except OSError as exc:
        raise error([f"{source}: cannot be read ({exc.strerror or exc})"]) from None
    if len(data) > limit:
        raise error([too_large(source, limit)])
    return data


def gunzip_capped(data: bytes, limit: int, source: str, error: type[Exception]) -> bytes:
    """`data` unpacked from gzip, if it unpacks to at most `limit` bytes; else `error` with one
    line. Unpacks at most `limit` + 1 bytes, so a gzip bomb costs no more than that."""
    out = bytearray()
    rest = data
    while rest[:2] == b"\x1f\x8b":  # one gzip member after another, as gzip itself reads them
        unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out += unpacker.decompress(rest, limit + 1 - len(out))
        except zlib.error as exc:
            raise error([f"{source}: a damaged gzip file ({exc})"]) from None
        if len(out) > limit or unpacker.unconsumed_tail:
            raise error([too_large(source, limit, what="unpacked file")])
        if not unpacker.eof:
            raise error([f"{source}: a damaged gzip file (it ends too early)"])
        rest = unpacker.unused_data
    return bytes(out)
