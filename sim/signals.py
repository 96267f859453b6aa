"""Stopping on a signal: SIGTERM and SIGHUP are handled as Ctrl-C is.

``kill``, ``timeout``, a service manager, a container runtime and a CI system all stop a
program with SIGTERM (a closed terminal sends SIGHUP). Inside `stop_signals`, the first of
them raises `Stopped`, a `KeyboardInterrupt`, so every place that keeps finished work on Ctrl-C
(a sweep's saved runs, a pool stopped at once) does the same for them; later signals are
ignored, so that stopping is not itself interrupted. A signal the caller ignored stays ignored
(``nohup``, the SIGINT of a background job).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: stop as on Ctrl-C. `name` is the signal's name."""

    def __init__(self, signum: int):
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(self.name)

    @property
    def status(self) -> int:
        """The exit status of a program that stopped on this signal (128 + its number)."""
        return 128 + self.signum


class Received:
    """What `stop_signals` received: `stop` is the `Stopped` raised for SIGTERM or SIGHUP
    (None for none, or for Ctrl-C), for callers that see the interruption only as an exit
    status (click turns a `KeyboardInterrupt` into exit status 130)."""

    stop: Stopped | None = None


@contextlib.contextmanager
def stop_signals() -> Iterator[Received]:
    """Within the block, Ctrl-C raises `KeyboardInterrupt` and SIGTERM or SIGHUP `Stopped`;
    after the first, they are ignored. Signals arrive in the main thread only: elsewhere this
    does nothing."""
    received = Received()
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    stopping = False

    def stop(signum: int, _frame) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        received.stop = Stopped(signum)
        raise received.stop

    ignored = {kind for kind in STOP_SIGNALS if signal.getsignal(kind) == signal.SIG_IGN}
    previous = {kind: signal.signal(kind, stop) for kind in STOP_SIGNALS if kind not in ignored}
    try:
        yield received
    finally:
        for kind, handler in previous.items():
            signal.signal(kind, handler)
