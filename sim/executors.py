"""Where runs execute: one `concurrent.futures.Executor` interface for replications and sweeps.

- `local_executor(workers)`: a process pool on this machine. Workers fork from a server that has
  imported `sim` once ("forkserver", "spawn" where there is none), so they start in
  milliseconds, warm, and never inherit this process's threads. Workers ignore Ctrl-C and
  SIGHUP, which a terminal sends its whole process group: the parent handles them
  (`sim.signals`) and stops its workers. SIGTERM, sent to one process, still ends a worker, as
  the pool itself expects when it stops a broken pool's workers. Workers die with
  the process that started the pool, however it ends (even SIGKILL, which it cannot handle):
  each watches it (`_watch_parent`). Used as a context manager, the pool stops *at once* when
  the block raises (Ctrl-C, an error): queued tasks are cancelled and running workers are
  killed, instead of finishing the queue first.
- `dask_executor(address=None, local_workers=None)`: a Dask cluster behind the same interface.
- `stop_now(executor)`: that immediate stop, for any executor.
- `executor_workers(executor)`: how many tasks an executor runs at once (chunk sizing).

`sim.replications` (`replicate`, `compare`) and `sim.sweeps` (`run_sweep`) take any executor; both
are identical on one worker or many, because a run is a pure function of (scenario, seed).
Like every pool that starts processes, a script that uses one needs the
``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from types import TracebackType

PRELOAD = ["sim.replications", "sim.sweeps"]
"""Modules the worker server imports once (they import the model, pandas, pyarrow, scipy)."""


class ExecutorError(RuntimeError):
    """The executor cannot run anything (for instance Dask workers without `sim`)."""


def cpu_count() -> int:
    """The CPUs this process may use (its affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def executor_workers(executor: Executor | None) -> int:
    """Tasks the executor runs at once: its `workers` attribute (set by `local_executor` and
    `dask_executor`), else the CPU count."""
    return max(1, int(getattr(executor, "workers", 0) or cpu_count()))


def _start_worker(parent: int) -> None:
    """Worker initializer: the stop signals a terminal sends the whole group are the parent's
    to handle (no traceback from each worker; the parent stops its workers), and the worker
    goes when `parent` does."""
    for kind in (signal.SIGINT, signal.SIGHUP):
        signal.signal(kind, signal.SIG_IGN)
    _watch_parent(parent)


def _watch_parent(parent: int) -> None:
    """End this process the moment process `parent` has ended (a thread waits on a pidfd: no
    polling, no confusion with a later process of the same number). The worker's own parent
    is the fork server, not `parent`, so the kernel's parent-death signal cannot be used."""
    try:
        handle = os.pidfd_open(parent)
    except ProcessLookupError:  # already gone
        os._exit(1)
    except (AttributeError, OSError):  # pragma: no cover - not Linux >= 5.3: poll instead
        handle = None

    def wait() -> None:
        if handle is not None:
            select.select([handle], [], [])  # readable once the process has ended
        else:  # pragma: no cover
            while _alive(parent):
                time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=wait, name="parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:  # pragma: no cover - the fallback of `_watch_parent`
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)  # only has an effect before the server starts
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


class LocalExecutor(ProcessPoolExecutor):
    """A `ProcessPoolExecutor` that knows its size and, as a context manager, stops at once
    when the block raises."""

    def __init__(self, workers: int):
        super().__init__(
            max_workers=workers,
            mp_context=_context(),
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )
        self.workers = workers

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.shutdown(wait=True)
        else:
            stop_now(self)


def local_executor(workers: int | None = None) -> LocalExecutor:
    """A process pool of `workers` processes (default and ``<= 0``: one per CPU this process
    may use). Use it as a context manager: see the module docstring."""
    return LocalExecutor(workers if workers is not None and workers > 0 else cpu_count())


def stop_now(executor: Executor) -> None:
    """Stop an executor at once: cancel what has not started and, for a process pool, kill the
    workers running tasks (their results are lost)."""
    if isinstance(executor, ProcessPoolExecutor):
        kill = getattr(executor, "kill_workers", None)  # Python 3.14+
        if kill is not None:  # pragma: no cover - Python 3.14
            kill()
            return
        processes = list((getattr(executor, "_processes", None) or {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.kill()
        for process in processes:
            process.join(timeout=5)
        return
    try:
        executor.shutdown(wait=False, cancel_futures=True)
    except TypeError:  # executors without cancel_futures (Dask's cancels on wait=False)
        executor.shutdown(wait=False)


def _warm() -> None:
    """Run on every Dask worker before the first task: unpickling it imports `sim`."""


@contextmanager
def dask_executor(
    address: str | None = None, local_workers: int | None = None
) -> Iterator[Executor]:
    """A Dask cluster behind the `concurrent.futures` interface (`Client.get_executor`).

    Either the scheduler at `address` (``tcp://host:8786``), or a `distributed.LocalCluster` of
    `local_workers` single-threaded worker processes (the simulation holds the GIL, so threads
    would not help). Every worker imports `sim` first, so a worker without the project
    installed fails here with one `ExecutorError`, not task by task.
    """
    if (address is None) == (local_workers is None):
        raise ValueError("dask_executor needs a scheduler address or a number of local workers")
    from distributed import Client, LocalCluster  # only Dask users pay for the import

    cluster = None
    if address is None:
        cluster = LocalCluster(
            n_workers=local_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
    try:
        with Client(cluster if cluster is not None else address) as client:
            try:
                client.run(_warm)
            except Exception as exc:
                raise ExecutorError(
                    f"the Dask workers cannot import sim ({type(exc).__name__}: {exc}); "
                    "install this project in the workers' environment"
                ) from exc
            executor = client.get_executor(pure=False)
            executor.workers = sum(client.nthreads().values())
            yield executor
    finally:
        if cluster is not None:
            cluster.close()
