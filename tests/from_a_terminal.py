"""Child processes that get Ctrl-C and a closed terminal's SIGHUP as a user's terminal gives them.

A test run started in the background (`pytest &`, or a CI runner without job control) has
SIGINT ignored, and one started under ``nohup`` has SIGHUP ignored; every child inherits that,
and `sim` rightly keeps an ignored signal ignored (that is what ``nohup sim dashboard &`` asks
for) — so a test that sends such a signal to a child would wait for an exit that never comes.
Pass `preexec_fn=signals_as_from_a_terminal` to give the child both at their defaults, as a
terminal's user has them.
"""

from __future__ import annotations

import signal


def signals_as_from_a_terminal() -> None:
    """In the child, before `exec`: SIGINT and SIGHUP at their defaults."""
    for kind in (signal.SIGINT, signal.SIGHUP):
        signal.signal(kind, signal.SIG_DFL)
