"""The uploaded ticket export: read as data, bounded, kept in memory only.

The page never writes the upload anywhere: its bytes are read (at most `MAX_LOG_UPLOAD_BYTES`
as uploaded, `MAX_LOG_UNPACKED_BYTES` once unpacked from gzip, `MAX_LOG_ROWS` rows or events),
parsed by `sim.calibration.readers` as the command line parses a file, and dropped with the
page. Larger logs are for ``sim calibrate`` on the command line, which the messages say.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from sim.calibration import LogError, LogMapping
from sim.calibration.mapping import Columns, States, parse_mapping
from sim.calibration.proposal import REQUIRED, activities_of, propose_columns, propose_states
from sim.calibration.readers import RawLog, raw_log
from sim.files import MAX_TOML_BYTES, gunzip_capped, size_text, too_large

MAX_LOG_UPLOAD_BYTES = 25_000_000
"""Largest export the page accepts, as uploaded (the ServiceNow audit log, 120,000 rows, is
2 MB gzip-compressed and 39 MB unpacked)."""
MAX_LOG_UNPACKED_BYTES = 100_000_000
"""Largest export once unpacked from gzip."""
MAX_LOG_ROWS = 200_000
"""Most rows (CSV) or events (XES) the page calibrates from: discovery takes about 15 s of
one core for 100,000 events."""
HINT = "larger logs: sim calibrate on the command line"
ROLES = {
    "case": ("Case (ticket) id", True),
    "activity": ("Activity or state", True),
    "timestamp": ("Time (end of the work)", True),
    "team": ("Team (assignment group)", True),
    "resource": ("Person (only counted)", True),
    "start": ("Start time of the work", False),
    "lifecycle": ("Lifecycle (start/complete)", False),
    "order": ("Order of updates in one minute", False),
    "priority": ("Priority", False),
}
"""Role -> (label, required): the dropdowns of the page's step 2."""
DROPDOWNS = {
    **{role: f"the '{label}' dropdown" for role, (label, _) in ROLES.items()},
    "timestamp_format": "timestamp_format in a map file",
}
"""Where the page chooses each column: what the readers' messages name on the page, where
the command line's name its flags (`sim.calibration.readers.FLAGS`)."""


def safe_name(name: str) -> str:
    """The uploaded file's own name, printable and short (never a path)."""
    base = PurePath(str(name).replace("\\", "/")).name or "export.csv"
    base = "".join(c if c.isprintable() else "?" for c in base)
    return base if len(base) <= 80 else base[:77] + "..."


@dataclass(frozen=True, eq=False)  # compared by identity: it holds tables
class Upload:
    """An export read into rows, and what the page proposes to map it with."""

    name: str
    size: int
    log: RawLog
    proposed: LogMapping

    @property
    def rows(self) -> int:
        return len(self.log.frame)


def read_upload(name: str, data: bytes, size: int) -> Upload:
    """The upload as rows, with a proposed mapping. `LogError` (one line per problem) when it
    is too large, has too many rows, or cannot be read."""
    name = safe_name(name)
    if max(size, len(data)) > MAX_LOG_UPLOAD_BYTES:
        raise LogError([too_large(name, MAX_LOG_UPLOAD_BYTES, max(size, len(data))) + f" ({HINT})"])
    if data[:2] == b"\x1f\x8b":
        data = gunzip_capped(data, MAX_LOG_UNPACKED_BYTES, name, LogError)
    elif len(data) > MAX_LOG_UNPACKED_BYTES:
        raise LogError([too_large(name, MAX_LOG_UNPACKED_BYTES, len(data))])
    xes = name.lower().removesuffix(".gz").endswith(".xes") or data.lstrip()[:1] == b"<"
    # Counted before parsing, so an oversized log costs no more than this count.
    rows = data.count(b"<event") if xes else max(0, data.count(b"\n") - 1)
    if rows > MAX_LOG_ROWS:
        what = "events" if xes else "rows"
        raise LogError(
            [
                f"{name}: too many {what} ({rows:,}; allowed: up to {MAX_LOG_ROWS:,} on this "
                f"page, {size_text(MAX_LOG_UNPACKED_BYTES)} unpacked; {HINT})"
            ]
        )
    log = raw_log(data, name, name, MAX_LOG_UNPACKED_BYTES)
    return Upload(name, size, log, propose(log))


def propose(log: RawLog) -> LogMapping:
    """The mapping the page starts from: columns by their names, states by theirs."""
    columns = propose_columns(log)
    activity = columns["activity"]
    states = propose_states(activities_of(log, activity)) if activity else {}
    return LogMapping(columns=Columns.model_validate(columns), states=States(**states))


def map_file(name: str, data: bytes, size: int, columns: list[str]) -> LogMapping:
    """An uploaded ``--map`` file as a mapping for a log with `columns`: optional columns it
    leaves at their XES defaults are dropped when the log lacks them (as `sim calibrate` skips
    them), any other column it names must be in the log. `LogError`, one line per problem."""
    source = safe_name(name)
    if max(size, len(data)) > MAX_TOML_BYTES:
        raise LogError([too_large(source, MAX_TOML_BYTES, max(size, len(data)))])
    mapped = parse_mapping(data, source)
    raw = mapped.model_dump()
    defaults = Columns().model_dump()
    for role, column in raw["columns"].items():
        if role not in REQUIRED and column == defaults[role] and column not in columns:
            raw["columns"][role] = None
    unknown = [c for c in raw["columns"].values() if c is not None and c not in columns]
    if unknown:
        raise LogError([f"{source}: column {c!r} is not in the export" for c in unknown])
    return LogMapping.model_validate(raw)
