"""What reaches a terminal: text without control characters.

A scenario name, a file name, a sweep factor or a Host header sent to the dashboard is the
user's text, or a stranger's, and a terminal obeys the escape sequences in it: ``ESC[31m``
recolours it, ``ESC]0;…BEL`` retitles the window, others move the cursor over what was
printed. Every printer of `sim` (its error lines, its tables, the dashboard's log) passes text
through `printable`, which writes such characters out visibly instead: ``\\x1b[31m``.
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 and C1 controls but tab and newline; DEL
    "\u202a-\u202e\u2066-\u2069]"  # bidirectional embeddings, overrides and isolates
)


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with control characters (but tab and newline) and the bidirectional overrides
    written as ``\\xNN`` or ``\\uNNNN``, so that the terminal shows them instead of obeying."""
    return _CONTROL.sub(_shown, text)


class PrintableFormatter(logging.Formatter):
    """A log formatter whose lines pass through `printable` (the dashboard logs Host headers
    and client addresses that anyone can send)."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))
