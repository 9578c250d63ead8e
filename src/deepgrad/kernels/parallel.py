"""Worker threads for the kernels: NumPy releases the GIL inside its loops and BLAS calls,
so a large array pass split in a few parts runs on a few cores.

Every split here is over independent elements (or images), so each number is computed by
the same operations in the same order whatever the number of threads: results are the
same bit for bit. The thread count follows :func:`deepgrad.config.set_num_threads`, as
BLAS does.

>>> run_parts(lambda part: part.stop - part.start, split(10, parts=2))
[5, 5]
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from deepgrad import config

__all__ = ["MAX_THREADS", "thread_count", "split", "run_parts"]

MAX_THREADS = 4
_executor: tuple[int, ThreadPoolExecutor] | None = None
_executor_lock = threading.Lock()


def thread_count() -> int:
    """Threads a kernel may use: the cores this process may run on, at most
    :data:`MAX_THREADS` and at most :func:`deepgrad.config.thread_cap`.

    >>> 1 <= thread_count() <= MAX_THREADS
    True
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_THREADS, config.thread_cap() or MAX_THREADS))


def split(length: int, parts: int | None = None) -> list[slice]:
    """``range(length)`` as ``parts`` contiguous slices (default: :func:`thread_count`).

    >>> split(7, parts=2)
    [slice(0, 3, None), slice(3, 7, None)]
    """
    parts = max(1, min(parts or thread_count(), length))
    return [slice(length * i // parts, length * (i + 1) // parts) for i in range(parts)]


def run_parts(fn: Callable, items: Sequence) -> list:
    """``[fn(item) for item in items]``, the first in this thread and the rest in a pool.

    >>> run_parts(lambda i: i * i, [1, 2, 3])
    [1, 4, 9]
    """
    if len(items) == 1:
        return [fn(items[0])]
    global _executor
    with _executor_lock:
        # A forked child inherits the executor object but not its threads: make a new one.
        if _executor is None or _executor[0] != os.getpid():
            _executor = (os.getpid(), ThreadPoolExecutor(MAX_THREADS - 1, "deepgrad-pool"))
        executor = _executor[1]
    futures = [executor.submit(fn, item) for item in items[1:]]
    first = fn(items[0])
    return [first] + [f.result() for f in futures]
