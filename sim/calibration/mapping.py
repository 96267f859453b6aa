"""How a ticket export's columns and states map onto what calibration needs.

Defaults are the XES standard attributes (a trace's `concept:name` is read as the column
``case:concept:name``, as process-mining tools export it to CSV). A ``--map FILE.toml`` holds
the same settings for logs that need more, typically *audit* logs (one row per update of a
ticket, a state column, states that mean "waiting for the customer"); the command-line flags
override the file. Example for a ServiceNow incident audit log::

    [columns]
    case = "number"
    activity = "incident_state"     # the state after each update
    timestamp = "sys_updated_at"
    team = "assignment_group"
    resource = "assigned_to"
    order = "sys_mod_count"         # the order of updates within the same minute
    priority = "priority"

    [states]
    waiting = ["Awaiting User Info", "Awaiting Vendor", "Awaiting Problem"]
    resolved = ["Resolved"]
    cancelled = []

    timestamp_format = "%d/%m/%Y %H:%M"
    missing = ["", "?"]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.scenario import ScenarioError, describe_errors, parse_toml, read_toml

Name = Annotated[str, Field(min_length=1)]


class LogError(ScenarioError):
    """A log (or its mapping) that cannot be calibrated from: one line per problem, each
    naming the file, the column and, where there is one, the row."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Columns(_Strict):
    """Which column holds what. `None` means the log has no such column."""

    case: Name = "case:concept:name"
    """The case (ticket) id. In XES, the trace's `concept:name`."""
    activity: Name = "concept:name"
    """What happened; in an audit log, the state after the update."""
    timestamp: Name = "time:timestamp"
    """When it happened (the end of the work, for logs with a start column)."""
    start: Name | None = None
    """When the work started, for logs with one row per activity and two timestamps."""
    team: Name = "org:group"
    """The team (assignment group, org line, queue) that holds the case."""
    resource: Name = "org:resource"
    """The person; only counted, never written out."""
    lifecycle: Name | None = "lifecycle:transition"
    """start/complete pairs give observed work times; ignored when the log lacks the column
    and it was not asked for."""
    order: Name | None = None
    """A number that orders events with the same timestamp (an update counter)."""
    priority: Name | None = None
    """The case's priority, where the log has one."""


class States(_Strict):
    """Activities (or states, in an audit log) with a meaning for the customer."""

    waiting: list[Name] = []
    """After one of these, the case waits for the customer (or a third party) until the next
    event: time on the customer's side, not work, not queue."""
    resolved: list[Name] = []
    """Reaching one of these ends the customer's wait (later events such as an automatic
    closure do not count); leaving it again is a reopen. Empty: a case ends at its last
    event."""
    cancelled: list[Name] = []
    """A case whose last state is one of these was cancelled or abandoned."""


class LogMapping(_Strict):
    columns: Columns = Columns()
    states: States = States()
    timestamp_format: Name | None = None
    """A `strftime` format such as ``%d/%m/%Y %H:%M``; without it ISO 8601 and the common
    day-first and month-first formats are recognised."""
    missing: list[str] = ["", "?"]
    """Cell values that mean "none" (an unassigned ticket's team or person)."""

    def with_flags(self, **flags: Any) -> LogMapping:
        """A copy with command-line flags applied: ``case="number"``, ``resolved="Resolved"``;
        flags that are None leave the mapping's value."""
        columns = {k: v for k, v in flags.items() if k in Columns.model_fields and v is not None}
        raw = self.model_dump()
        raw["columns"].update(columns)
        if flags.get("resolved") is not None:
            raw["states"]["resolved"] = [flags["resolved"]]
        try:
            return LogMapping.model_validate(raw)
        except ValidationError as exc:
            raise LogError(
                [
                    f"sim calibrate: --{where.split('.')[-1].replace('_', '-')}: {message}"
                    for where, message in describe_errors(exc, LogMapping)
                ]
            ) from None


def load_mapping(path: Path | None) -> LogMapping:
    """The mapping in a ``--map`` file (the defaults without one); `LogError` when bad."""
    if path is None:
        return LogMapping()
    return mapping_of(read_toml(path, kind="mapping", error=LogError), str(path))


def parse_mapping(data: bytes, source: str) -> LogMapping:
    """A map file's bytes (an upload) as a mapping; `LogError` when bad."""
    return mapping_of(parse_toml(data, source, kind="mapping", error=LogError), source)


def mapping_of(raw: dict[str, Any], path: str) -> LogMapping:
    try:
        return LogMapping.model_validate(raw)
    except ValidationError as exc:
        raise LogError(
            [f"{path}: {where}: {message}" for where, message in describe_errors(exc, LogMapping)]
        ) from None
