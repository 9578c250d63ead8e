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

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from deepgrad import config

__all__ = [
    "MAX_THREADS", "thread_count", "split", "chunks", "chunk_size", "run_parts", "run_groups",
    "matmul", "own_threads",
]

MAX_THREADS = 4
_executor: tuple[int, ThreadPoolExecutor] | None = None
_executor_lock = threading.Lock()
_blas = None
_owned = 0  # own_threads() blocks open, in any thread: BLAS is single-threaded meanwhile
_owned_lock = threading.Lock()


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


def chunks(length: int, size: int) -> list[slice]:
    """``range(length)`` in consecutive slices of ``size`` (the last may be shorter).

    >>> chunks(5, 2)
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    return [slice(start, min(start + size, length)) for start in range(0, length, size)]


def chunk_size(length: int, most: int) -> int:
    """A chunk size of at most ``most`` that cuts ``range(length)`` into a multiple of
    :data:`MAX_THREADS` near-equal chunks, so that :func:`run_groups`'s fixed groups get
    equal work. The course CNN's first layer had 6 chunks of 23 images: 4 on one thread
    and 2 on the other.

    >>> chunk_size(128, 23), chunk_size(128, 3), chunk_size(1, 23)
    (16, 3, 1)
    """
    count = -(-length // max(1, min(most, length)))
    count = -(-count // MAX_THREADS) * MAX_THREADS
    return max(1, -(-length // count))


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


def _blas_controller():
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController().select(user_api="blas")
    return _blas


@contextlib.contextmanager
def own_threads():
    """BLAS single-threaded for the block, while deepgrad's kernels use their own threads.

    The model's loops (``fit``, ``predict``, ``train_on_batch``...) run inside one: every
    large product then goes through :func:`matmul` or :func:`run_groups`, and no small
    one wakes BLAS's worker threads, which would spin for about 0.1 s and take half a
    core from ours. Course CNN, whole steps alternated in one process: training 122 ->
    102 ms, inference 37 -> 30 ms (/tmp/ab3.py, lead, 2026-11-23).

    >>> with own_threads():
    ...     matmul(np.ones((2, 2)), np.ones((2, 2)))
    array([[2., 2.],
           [2., 2.]])
    """
    global _owned
    with _owned_lock:  # blocks may overlap in several threads (two fits at once)
        first = _owned == 0 and thread_count() > 1
        limiter = _blas_controller().limit(limits=1) if first else None
        _owned += 1
    try:
        yield
    finally:
        with _owned_lock:
            _owned -= 1
            # Only the thread that set the limit can lift it (OpenBLAS 0.3.31 ignores a
            # setting from another thread): when blocks overlap in two threads and the
            # first ends first, the second runs on with BLAS's threads, slower, not wrong.
            if limiter is not None:
                limiter.restore_original_limits()


def run_groups(fn: Callable, items: Sequence) -> list:
    """``fn(group)`` for :data:`MAX_THREADS` fixed groups of ``items``, in threads.

    The groups do not depend on the number of threads, so a result summed group by
    group is the same bit for bit on any machine. While several threads run, BLAS runs
    single-threaded inside each: every core then works through its own chunks (copies,
    transforms and products) in its own cache, which measured faster and far steadier
    than one chunk at a time with BLAS's threads splitting each product (the course
    CNN's 5x5 layer: 10-18 ms against 14-40 ms, /tmp/probe2.py, lead, 2026-11-23).
    Returns the groups' results in order (fewer groups than MAX_THREADS for fewer items).

    >>> run_groups(lambda group: sum(group), list(range(10)))
    [1, 9, 11, 24]
    """
    groups = [list(items[part]) for part in split(len(items), MAX_THREADS)]
    threads = min(thread_count(), len(groups))
    if threads == 1:
        return [fn(group) for group in groups]
    shares = split(len(groups), threads)
    with own_threads():
        results = run_parts(lambda share: [fn(group) for group in groups[share]], shares)
    return [result for share in results for result in share]


# Below this many multiply-adds a product runs as one BLAS call. Handing half of it to
# another thread costs about 100 us here: a 128x784x128 product took 245 us split and
# 260 us in one call, 256x784x256 655 against 1056 us; the 784-128-10 MLP's epoch was 10%
# faster with its 13M products in one call (/tmp/s5/abmlp.py, lead, 2026-11-23).
_MATMUL_MIN_WORK = 1 << 24
# A single row times a matrix of this many numbers or more goes to BLAS's own threads
# (see matmul). One image's 3136x1024 dense layer: 250 us on one thread, 176 us on
# BLAS's two; at 1024x1024 62 against 47 us; at 512x512 two threads were slower
# (/tmp/gemv2.py, lead, 2026-11-23).
_ROW_MIN_SIZE = 1 << 20


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` for 2-D arrays; inside :func:`own_threads`, a large product's output is
    split over deepgrad's threads (by its longer side) with BLAS single-threaded.

    Inside own_threads every large product in deepgrad's kernels goes through here or
    :func:`run_groups`, so BLAS's own worker threads stay asleep: after a multi-threaded
    call OpenBLAS's workers spin for about 0.1 s, and our threads running meanwhile get
    half a core (the course CNN's 5x5 layer in threads: 13 ms alone, 22 ms after a
    2-thread BLAS call). The exception is one row times a large matrix (a single image's
    dense layer), which BLAS's own threads run: with one image no other work is split
    over threads. Outside own_threads (a small dense model's loops, see
    ``Model._threads``) this is ``np.matmul``, BLAS's threads and all.

    >>> a, b = np.arange(6.0).reshape(2, 3), np.ones((3, 4))
    >>> matmul(a, b)
    array([[ 3.,  3.,  3.,  3.],
           [12., 12., 12., 12.]])
    """
    m, k = a.shape
    n = b.shape[1]
    if out is None:
        out = np.empty((m, n), np.result_type(a.dtype, b.dtype))
    if m == 1 and k * n >= _ROW_MIN_SIZE and _owned:
        # One row reads the whole matrix once: the speed is memory's, and BLAS's spinning
        # threads answer faster than ours wake up (about 57 us per hand-over here).
        with _blas_controller().limit(limits=thread_count()):
            return np.matmul(a, b, out=out)
    if not _owned or m * n * k < _MATMUL_MIN_WORK:
        return np.matmul(a, b, out=out)  # outside own_threads, BLAS's threads do it all
    threads = min(thread_count(), max(m, n))
    if threads == 1:
        return np.matmul(a, b, out=out)
    if m > n:  # split the longer side of the output: a dense layer's kernel gradient
        # (3136x128 @ 128x1024) took 4.8-4.9 ms by rows against 5.3-5.5 ms by columns;
        # its forward and input gradient the other way round (/tmp/s5/densesplit.py).
        run_parts(lambda part: np.matmul(a[part], b, out=out[part]), split(m, threads))
    else:
        run_parts(lambda part: np.matmul(a, b[:, part], out=out[:, part]), split(n, threads))
    return out
