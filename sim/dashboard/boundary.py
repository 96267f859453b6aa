"""The last line of defence of every page: no traceback ever reaches a browser.

Bad input is explained where it happens, one line per problem (a `ScenarioError`'s lines, a
sweep folder's `SweepDataError`). Anything else is a bug, and a bug's traceback names server
paths and code: it is logged on the server (stderr of ``sim dashboard``) under a short
reference, and the page shows one line with that reference instead (`failure_line`).
`guarded` does this for whatever a page raises while it renders; without it Solara replaces
the whole page with the traceback.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

import solara

log = logging.getLogger("sim.dashboard")


def failure_line(exc: BaseException, doing: str) -> str:
    """Log `exc` with its traceback and return the one line a page shows for it: what failed
    (`doing`, e.g. 'reading the file'), the kind of error, and the log's reference."""
    reference = secrets.token_hex(3)
    log.error("error %s while %s", reference, doing, exc_info=exc)
    return (
        f"Something went wrong while {doing} ({type(exc).__name__}, a bug in sim: the details "
        f"are in the server's log as error {reference})."
    )


def guarded(page: Callable[[], Any], doing: str = "showing this page") -> Callable[[], Any]:
    """The page component `page`, guarded: if it raises while rendering, one line (see
    `failure_line`) and a button to try again take its place. The guard makes the page's
    element itself (Solara's `use_exception` catches what a component's own children raise)."""

    @solara.component
    def Guarded():
        exception, clear = solara.use_exception()
        line = solara.use_memo(
            lambda: failure_line(exception, doing) if exception is not None else "", [exception]
        )
        if exception is None:
            page()
            return
        with solara.Column(classes=["page-failure"]):
            solara.Error(line, dense=True)
            solara.Button("Try again", icon_name="mdi-refresh", outlined=True, on_click=clear)

    Guarded.__name__ = f"Guarded{getattr(page, '__name__', 'Page')}"
    return Guarded
