"""Where independent work runs (DESIGN section 9): in this process, on a
Dask ``LocalCluster`` of one single-threaded worker process per core, or on
an existing Dask cluster given by its scheduler's address.

A ``Runner`` takes tasks (``submit``) whose arguments may be the handles of
earlier tasks, so a chain of dependent tasks is one Dask graph, and calls
``on_done`` as each finishes; ``gather`` waits for handles and returns their
values. In-process, ``submit`` runs the task at once. Results never depend
on where tasks ran.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence

from tc0.errors import ClusterError

#: seconds to wait for an external scheduler to answer
CONNECT_TIMEOUT = 5


class Runner:
    """Runs tasks in this process (the base class: no cluster)."""

    workers = 1
    where = "this process"

    def scatter(self, value):
        """A handle for ``value`` that tasks may take as an argument."""
        return value

    def submit(self, fn: Callable, *args, on_done: Callable[[], None] | None = None):
        """Run ``fn(*args)`` (handles among ``args`` stand for their values), then
        ``on_done()``; returns a handle."""
        value = fn(*args)
        if on_done is not None:
            on_done()
        return value

    def gather(self, handles: Sequence) -> list:
        """The values of ``handles``, in order."""
        return list(handles)


class DaskRunner(Runner):
    """Runs tasks on a Dask cluster through ``client``."""

    def __init__(self, client, where: str):
        self.client = client
        self.where = where
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))

    def scatter(self, value):
        # a task holding the value, not scattered data: Dask can recompute it if its worker dies
        return self.client.submit(_identity, value, pure=False)

    def submit(self, fn: Callable, *args, on_done: Callable[[], None] | None = None):
        future = self.client.submit(fn, *args, pure=False)
        if on_done is not None:
            future.add_done_callback(lambda _: on_done())
        return future

    def gather(self, handles: Sequence) -> list:
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        try:
            return self.client.gather(list(handles))
        except KilledWorker as exc:
            raise ClusterError(f"a task killed its Dask workers more often than allowed ({exc})") from None
        except (FutureCancelledError, OSError) as exc:
            raise ClusterError(f"the Dask cluster at {self.where} failed: {type(exc).__name__}: {exc}") from None


def _identity(value):
    return value


def default_workers() -> int:
    """One worker per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextlib.contextmanager
def open_runner(workers: int | None = None, scheduler: str | None = None) -> Iterator[Runner]:
    """A runner for the duration of the block.

    ``scheduler`` (an address such as ``tcp://127.0.0.1:8786``): that
    cluster. Otherwise ``workers`` worker processes on a local Dask cluster
    (default: one per core); with one worker, this process (a cluster would
    add only overhead)."""
    if scheduler is not None and workers is not None:
        raise ClusterError("give either workers or scheduler, not both", parameters=("workers", "scheduler"))
    if workers is not None and workers < 1:
        raise ClusterError(f"workers must be >= 1, got {workers}", parameters=("workers",))
    if scheduler is None and (workers or default_workers()) == 1:
        yield Runner()
        return
    import dask
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=True)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {scheduler!r} ({type(exc).__name__}: {exc})",
                               parameters=("scheduler",)) from None
        with client:
            yield DaskRunner(client, scheduler)
        return
    count = workers or default_workers()
    # pieces allocate and free large arrays in turn: no trimming of freed memory, one malloc
    # arena (tasks run in a worker thread, whose arena mmaps every large array afresh), arrays
    # up to glibc's 32 MiB ceiling taken from the heap rather than fresh zeroed pages from the
    # kernel, and no statistical profiler sampling the worker's stack every 10 ms
    environ = "distributed.nanny.pre-spawn-environ."
    quiet_workers = {environ + "MALLOC_TRIM_THRESHOLD_": 1 << 40,
                     environ + "MALLOC_ARENA_MAX": 1,
                     environ + "MALLOC_MMAP_THRESHOLD_": 32 << 20,
                     environ + "MALLOC_TOP_PAD_": 256 << 20,
                     "distributed.worker.profile.enabled": False}
    with (
        dask.config.set(quiet_workers),
        LocalCluster(n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None,
                     silence_logs=logging.ERROR) as cluster,
        Client(cluster, set_as_default=True) as client,
    ):
        yield DaskRunner(client, f"a local cluster of {count} workers")
