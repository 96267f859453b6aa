"""Child processes that get Ctrl-C as a user's terminal gives it.

A test run started in the background (`pytest &`, or a CI runner without job control) has
SIGINT ignored, every child inherits that, and `sim` rightly keeps an ignored signal ignored —
so a test that sends SIGINT to a child would wait for an exit that never comes. Pass
`preexec_fn=sigint_as_from_a_terminal` to give the child SIGINT at its default, as typed.
"""

from __future__ import annotations

import functools
import signal

sigint_as_from_a_terminal = functools.partial(signal.signal, signal.SIGINT, signal.SIG_DFL)
