"""Read a ticket export (CSV or XES, gzip-compressed or not) into one canonical event table.

The table has one row per event: ``case``, ``time`` (when it happened: the end of the work),
``start`` (when the work started, where the log says so), ``activity``, ``team``,
``resource``, ``lifecycle``, ``order``, ``priority`` and ``row`` (where it came from, for
messages). Missing values are NA. Times are the wall-clock times written in the log: a time
zone offset is dropped, not converted, so that "Monday 09:00" is the local working hour the
people saw (one time-zone policy for every log; a daylight-saving change shifts one hour).

Every problem is one line ``file: column 'x', row n: what is wrong (what is allowed)``
collected in a `LogError`; rows count from 1 for the first data row after a CSV header
(the line number is one more), events count from 1 in an XES file.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.mapping import LogError, LogMapping
from sim.files import MAX_LOG_BYTES, gunzip_capped, read_capped, too_large

CANONICAL = ("case", "time", "start", "activity", "team", "resource", "lifecycle", "order")
"""Columns of the event table (``priority`` and ``row`` follow)."""

_REQUIRED = ("case", "activity", "timestamp", "team", "resource")
FLAGS: dict[str, str] = {
    "case": "--case COLUMN",
    "activity": "--activity COLUMN",
    "timestamp": "--timestamp COLUMN",
    "start": "--start COLUMN",
    "team": "--team COLUMN",
    "resource": "--resource COLUMN",
    "lifecycle": "--lifecycle COLUMN",
    "order": "[columns] order in --map",
    "priority": "[columns] priority in --map",
    "timestamp_format": "timestamp_format in --map",
}
"""Where the command line chooses each column (and the time format): the messages below say
"choose ... with <this>". The dashboard passes its own (its dropdowns), so each message has
one source and two renderings."""
_DATE_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y",
)
"""Tried in order when a log's times are not ISO 8601: day-first before month-first (a log
whose days never exceed 12 cannot tell them apart; set ``timestamp_format`` then)."""
_ISO = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")
_ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_XES_VALUES = {"string", "date", "int", "float", "boolean", "id"}


def read_log(path: Path, mapping: LogMapping) -> pd.DataFrame:
    """The canonical event table of the log at `path` (see the module docstring)."""
    source = str(path)
    data = read_capped(path, MAX_LOG_BYTES, "log", LogError)
    return canonical_table(raw_log(data, source, path.name), mapping, source)


@dataclass(frozen=True, eq=False)  # compared by identity: it holds tables
class RawLog:
    """A log's rows as written, every cell text, before any column is given a meaning: what
    the dashboard shows to map the columns, and what `canonical_table` reads."""

    frame: pd.DataFrame
    unit: str
    """What a row is called in messages: 'row' (CSV) or 'event' (XES)."""

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


def raw_log(data: bytes, source: str, name: str, limit: int = MAX_LOG_BYTES) -> RawLog:
    """The rows of a log's bytes (CSV or XES, gzip or not, told by `name` and the content),
    at most `limit` bytes once unpacked."""
    if data[:2] == b"\x1f\x8b":
        data = gunzip_capped(data, limit, source, LogError)
    elif len(data) > limit:
        raise LogError([too_large(source, limit, len(data))])
    xes = name.lower().removesuffix(".gz").endswith(".xes") or data.lstrip()[:1] == b"<"
    raw = _read_xes(data, source) if xes else _read_csv(data, source)
    if raw.empty:
        raise LogError([f"{source}: no events (the file has no data rows)"])
    return RawLog(raw, "event" if xes else "row")


def _read_csv(data: bytes, source: str) -> pd.DataFrame:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # old exports; every byte decodes
    first = text[: text.find("\n")] if "\n" in text else text
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise LogError([f"{source}: not a readable CSV file ({_one_line(exc)})"]) from None
    except pd.errors.EmptyDataError:
        raise LogError([f"{source}: empty file (expected a CSV header and rows)"]) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read_xes(data: bytes, source: str) -> pd.DataFrame:
    """A flat table of an XES log: event attributes by key, trace attributes as
    ``case:<key>`` (the convention of process-mining tools' CSV exports)."""
    rows: list[dict[str, str]] = []
    trace: dict[str, str] = {}
    event: dict[str, str] = {}
    events: list[dict[str, str]] = []
    tags: list[str] = []
    try:
        for kind, element in ET.iterparse(io.BytesIO(data), events=("start", "end")):
            tag = element.tag.rsplit("}", 1)[-1]
            if kind == "start":
                tags.append(tag)
                if tag == "trace":
                    trace, events = {}, []
                elif tag == "event":
                    event = {}
                continue
            tags.pop()
            parent = tags[-1] if tags else ""
            if tag in _XES_VALUES:
                key, value = element.get("key"), element.get("value")
                if key is not None and value is not None:
                    if parent == "event":
                        event[key] = value
                    elif parent == "trace":
                        trace[f"case:{key}"] = value
            elif tag == "event":
                events.append(event)
                element.clear()
            elif tag == "trace":
                # Trace attributes may follow the events: join them at the end of the trace.
                rows += [{**trace, **e} for e in events]
                element.clear()
    except ET.ParseError as exc:
        raise LogError([f"{source}: not a readable XES file ({exc})"]) from None
    return pd.DataFrame(rows, dtype=object).fillna("")


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def canonical_table(
    log: RawLog, mapping: LogMapping, source: str, choose: Mapping[str, str] = FLAGS
) -> pd.DataFrame:
    """The canonical event table: `log`'s columns read as `mapping` says; `LogError` with one
    line per problem (a column missing or empty, a time or number that does not parse), each
    naming where the user chooses that column (`choose`: role -> the flag or the dropdown)."""
    raw, unit = log.frame, log.unit
    columns = mapping.columns
    wanted = columns.model_dump()
    defaults = type(columns)().model_dump()
    problems = []
    available = list(raw.columns)
    for key, name in wanted.items():
        if name is None or name in raw.columns:
            continue
        # Optional columns left at their defaults may be absent.
        if key not in _REQUIRED and name == defaults[key]:
            continue
        listing = ", ".join(available[:30]) + (", ..." if len(available) > 30 else "")
        problems.append(
            f"{source}: column {name!r} not found (it should hold the {key}; choose the column "
            f"with {choose[key]}; the log has: {listing})"
        )
    if problems:
        raise LogError(problems)

    missing = set(mapping.missing)

    def text(key: str) -> pd.Series:
        name = wanted[key]
        if name is None or name not in raw.columns:
            return pd.Series(pd.NA, index=raw.index, dtype="string")
        values = raw[name].astype("string").str.strip()
        return values.mask(values.isin(missing))

    rows = np.arange(1, len(raw) + 1)
    table = pd.DataFrame(
        {
            "case": text("case"),
            "time": _times(raw, wanted["timestamp"], mapping, source, unit, choose, required=True),
            "start": (
                _times(raw, wanted["start"], mapping, source, unit, choose, required=False)
                if wanted["start"] is not None
                else pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
            ),
            "activity": text("activity"),
            "team": text("team"),
            "resource": text("resource"),
            "lifecycle": text("lifecycle").str.lower(),
            "order": _order(raw, wanted["order"], source, unit),
            "priority": text("priority"),
            "row": rows,
        }
    )
    for key in ("case", "activity"):
        empty = table[key].isna()
        if empty.any():
            row = int(table.loc[empty, "row"].iloc[0])
            problems.append(
                f"{source}: column {wanted[key]!r}, {unit} {row}: empty "
                f"(allowed: a {key} on every {unit}; {int(empty.sum())} {unit}s lack one)"
            )
    if table["team"].isna().all():
        problems.append(
            f"{source}: column {wanted['team']!r}: empty on every {unit} (allowed: the team "
            f"holding the case; choose another column with {choose['team']})"
        )
    if table["resource"].isna().all():
        problems.append(
            f"{source}: column {wanted['resource']!r}: empty on every {unit} (allowed: the "
            f"person; headcount is counted from it; choose another column with "
            f"{choose['resource']})"
        )
    if problems:
        raise LogError(problems)
    cases = table["case"].nunique()
    if cases < 2:
        problems.append(
            f"{source}: column {wanted['case']!r}: only {cases} case in {len(table)} {unit}s "
            f"(allowed: at least 2 cases; choose the ticket id with {choose['case']})"
        )
        raise LogError(problems)
    return table


def _times(
    raw: pd.DataFrame,
    column: str,
    mapping: LogMapping,
    source: str,
    unit: str,
    choose: Mapping[str, str],
    required: bool,
) -> pd.Series:
    """Parse a time column; the first value that is not a time is an error naming its row."""
    values = raw[column].astype("string").str.strip()
    empty = values.isna() | values.isin(set(mapping.missing))
    if required and empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0]) + 1
        raise LogError(
            [
                f"{source}: column {column!r}, {unit} {row}: empty (allowed: a date and time on "
                f"every {unit}; {int(empty.sum())} {unit}s lack one)"
            ]
        )
    present = values[~empty]
    fmt = mapping.timestamp_format
    if fmt is None and len(present):
        sample = present.iloc[0]
        if _ISO.match(sample):
            present = present.str.replace(_ZONE, "", regex=True).str.replace(" ", "T", n=1)
            fmt = "ISO8601"
        else:
            fmt = _guess_format(present.head(2000))
    parsed = (
        pd.to_datetime(present, format=fmt, errors="coerce")
        if fmt is not None
        else pd.Series(pd.NaT, index=present.index)
    )
    bad = parsed.isna()
    if bad.any():
        position = int(np.flatnonzero(~empty.to_numpy())[int(np.flatnonzero(bad.to_numpy())[0])])
        value = values.iloc[position]
        hint = f"the format {fmt!r}" if mapping.timestamp_format else "ISO 8601 such as "
        hint += (
            ""
            if mapping.timestamp_format
            else f"2016-02-29T08:15:00, or {choose['timestamp_format']}"
        )
        raise LogError(
            [
                f"{source}: column {column!r}, {unit} {position + 1}: {value!r} is not a date "
                f"and time (allowed: {hint})"
            ]
        )
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    out[~empty] = parsed.astype("datetime64[us]")
    return out


def looks_like_times(values: pd.Series) -> bool:
    """Whether the non-empty `values` all read as dates and times (ISO 8601 or one of the
    formats tried without a ``timestamp_format``)."""
    present = values.astype("string").str.strip()
    present = present[present.notna() & (present != "")]
    if present.empty:
        return False
    if present.map(lambda v: bool(_ISO.match(v))).all():
        iso = present.str.replace(_ZONE, "", regex=True).str.replace(" ", "T", n=1)
        return bool(pd.to_datetime(iso, format="ISO8601", errors="coerce").notna().all())
    return _guess_format(present) is not None


def _guess_format(sample: pd.Series) -> str | None:
    for fmt in _DATE_FORMATS:
        if pd.to_datetime(sample, format=fmt, errors="coerce").notna().all():
            return fmt
    return None


def _order(raw: pd.DataFrame, column: str | None, source: str, unit: str) -> pd.Series:
    if column is None:
        return pd.Series(np.zeros(len(raw)), index=raw.index)
    numbers = pd.to_numeric(raw[column], errors="coerce")
    bad = numbers.isna() & (raw[column].astype(str).str.strip() != "")
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise LogError(
            [
                f"{source}: column {column!r}, {unit} {position + 1}: "
                f"{raw[column].iloc[position]!r} is not a number (allowed: a number that "
                "orders events with the same time)"
            ]
        )
    return numbers.fillna(0.0)
