"""A first guess at a log's mapping, for people who map columns by hand (the dashboard): which
column holds what, from the column names and a look at the values, and which activities mean
waiting for the customer, resolved or cancelled, from their names.

The XES standard names win where the log has them. Otherwise each role has words that name it
(`COLUMN_WORDS`); a column whose whole name is such a word beats one where it is one word of
several, which beats one where it is part of a word, and earlier words beat later ones. Roles
are filled best match first, each column once. A time column must hold times. The guess is a
proposal to correct, never a silent decision: the page shows it in dropdowns.
"""

from __future__ import annotations

import re

from sim.calibration.mapping import Columns
from sim.calibration.readers import RawLog, looks_like_times

COLUMN_WORDS: dict[str, tuple[str, ...]] = {
    "case": ("case", "ticket", "number", "incident", "issue", "request", "key", "id"),
    "activity": ("activity", "state", "status", "event", "action", "stage", "task", "step"),
    "timestamp": ("timestamp", "updated", "complete", "end", "time", "date"),
    "start": ("start",),
    "team": ("group", "team", "queue", "department", "unit"),
    "resource": ("resource", "assigned", "agent", "assignee", "owner", "user", "person"),
    "lifecycle": ("lifecycle", "transition"),
    "order": ("mod_count", "sequence", "seq", "order"),
    "priority": ("priority",),
}
"""Words that name each role's column, most telling first (compared in lower case)."""
REQUIRED = ("case", "activity", "timestamp", "team", "resource")
"""Roles every mapping fills (`sim.calibration.readers`); the others may be None."""
TIMES = ("timestamp", "start")
STATE_WORDS: dict[str, tuple[str, ...]] = {
    "waiting": ("await", "waiting", "pending", "on hold"),
    "resolved": ("resolved", "solved"),
    "cancelled": ("cancel", "withdraw", "abandon"),
}
"""Words in an activity's name that say what it means for the customer."""
SAMPLE_ROWS = 200


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^0-9a-z]+", spaced.lower()) if t]


def _score(role: str, column: str) -> float:
    """How well `column`'s name says `role` (0: not at all)."""
    low, tokens = column.lower(), _tokens(column)
    best = 0.0
    for rank, word in enumerate(COLUMN_WORDS[role]):
        if low == word or "_".join(tokens) == word:
            strength = 3.0
        elif word in tokens:
            strength = 2.0
        elif word in low:
            strength = 1.0
        else:
            continue
        best = max(best, strength - rank / 100)
    return best


def propose_columns(log: RawLog) -> dict[str, str | None]:
    """Role -> column of `log` (None for an optional role with no column that fits)."""
    columns = log.columns
    sample = log.frame.head(SAMPLE_ROWS)
    defaults = Columns().model_dump()
    chosen: dict[str, str | None] = dict.fromkeys(COLUMN_WORDS)
    for role in COLUMN_WORDS:
        if defaults.get(role) in columns:
            chosen[role] = defaults[role]
    used = {c for c in chosen.values() if c is not None}

    def fits(role: str, column: str) -> bool:
        return role not in TIMES or looks_like_times(sample[column])

    pairs = sorted(
        (
            (-_score(role, column), i, role, column)
            for role in COLUMN_WORDS
            if chosen[role] is None
            for i, column in enumerate(columns)
            if _score(role, column) > 0
        ),
    )
    for _, _, role, column in pairs:
        if chosen[role] is None and column not in used and fits(role, column):
            chosen[role] = column
            used.add(column)
    timely = {c for c in columns if looks_like_times(sample[c])}
    for role in sorted(REQUIRED, key=lambda r: r not in TIMES):  # times first
        if chosen[role] is None:  # something to correct in the dropdown
            free = [c for c in columns if c not in used]
            liked = [c for c in free if (c in timely) == (role in TIMES)]
            pick = (liked or free or columns)[0]
            chosen[role] = pick
            used.add(pick)
    return chosen


def propose_states(activities: list[str]) -> dict[str, list[str]]:
    """Meaning ('waiting', 'resolved', 'cancelled') -> the activities whose names say it."""
    return {
        meaning: [a for a in activities if any(word in a.lower() for word in words)]
        for meaning, words in STATE_WORDS.items()
    }


def activities_of(log: RawLog, column: str, limit: int = 200) -> list[str]:
    """The most frequent values of `column` (at most `limit`): what the states are chosen
    from."""
    values = log.frame[column].astype("string").str.strip()
    counts = values[values.notna() & (values != "")].value_counts()
    return [str(v) for v in counts.index[:limit]]
