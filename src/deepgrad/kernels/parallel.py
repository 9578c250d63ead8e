"""deepgrad's one thread policy: which work runs on deepgrad's own threads, which on BLAS's.

NumPy releases the GIL inside its loops and BLAS calls, so a large array pass split in a
few parts runs on a few cores. The policy, decided here from the work's size and
:func:`thread_count` (which follows :func:`deepgrad.config.set_num_threads`) and nowhere
else:

- A kernel splits work over deepgrad's threads (:func:`run_parts`, :func:`run_groups`,
  :func:`blockwise`, :func:`matmul`) when it is large enough; the kernels below decide
  "large enough" from their own sizes. With one thread nothing splits.
- While deepgrad's threads work, BLAS runs single-threaded: after a multi-threaded call
  OpenBLAS's workers spin for a while and would take the cores from ours.
- A model's loops (``fit``, ``evaluate``, ``predict``, ``*_on_batch``) each run inside
  one :func:`own_threads` block. BLAS keeps its own threads there until a kernel first
  splits work; from then to the end of the block it stays single-threaded, so its
  workers never spin between our kernels. A model whose work never splits (a small dense
  network) thus runs all its products on BLAS's threads, which take a product faster
  than ours wake up; a CNN runs on ours (``benchmarks/mlp.py``, ``benchmarks/cnn.py``).
  Outside a block, a split runs with BLAS single-threaded for that call only.

Determinism: for a given thread count, results are the same bit for bit run after run.
Splits over independent elements or images (pooling, the optimizer's updates) and the
fixed groups of :func:`run_groups` (convolutions) give the same numbers for any thread
count too. Products do not: :func:`matmul` splits a large product into
:func:`thread_count` parts, and BLAS does not promise the same last bits for different
splits or for different numbers of its own threads (OpenBLAS 0.3.31 differs in both), so
a product computed outside a model's loops, or with another thread count, may differ in
its last bits. With ``dg.config.set_num_threads(1)`` nothing splits and BLAS has one
thread: the results depend on nothing else.

>>> run_parts(lambda part: part.stop - part.start, split(10, parts=2))
[5, 5]
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from deepgrad import config
from deepgrad.kernels.memory import keep_freed_memory

__all__ = [
    "MAX_THREADS", "thread_count", "split", "chunks", "chunk_size", "run_parts", "run_groups",
    "blockwise", "matmul", "own_threads",
]

MAX_THREADS = 4
_executor: tuple[int, ThreadPoolExecutor] | None = None
_executor_lock = threading.Lock()
_blas = None


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

    >>> chunk_size(128, 23), chunk_size(128, 3), chunk_size(1, 23), chunk_size(0, 23)
    (16, 3, 1, 1)
    """
    if length <= 0:  # an empty batch: one (empty) chunk
        return 1
    count = -(-length // max(1, min(most, length)))
    count = -(-count // MAX_THREADS) * MAX_THREADS
    return max(1, -(-length // count))


def run_parts(fn: Callable, items: Sequence) -> list:
    """``[fn(item) for item in items]``, the first in this thread and the rest in a pool,
    with BLAS single-threaded (see the module's policy).

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
    with _BLOCKS.splitting():
        futures = [executor.submit(fn, item) for item in items[1:]]
        first = fn(items[0])
        return [first] + [f.result() for f in futures]


def _blas_controller():
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController().select(user_api="blas")
    return _blas


class _Blocks:
    """The open :func:`own_threads` blocks (counted per thread) and BLAS's limit in them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.local = threading.local()
        self.limiter = None  # set by the first split inside a block
        self.owner = None  # the thread that set it

    @property
    def depth(self) -> int:
        """This thread's open blocks."""
        return getattr(self.local, "depth", 0)

    def __enter__(self) -> None:
        keep_freed_memory()  # the memory policy, decided when the first model runs
        self.local.depth = self.depth + 1

    def __exit__(self, *exc) -> None:
        self.local.depth -= 1
        if self.local.depth == 0 and self.owner is threading.current_thread():
            with self.lock:
                # Only the thread that lowered BLAS's thread count can raise it again
                # (OpenBLAS 0.3.31 ignores a raise from another thread). Blocks still open
                # in other threads run on with BLAS's threads until their next split.
                self.limiter.restore_original_limits()
                self.limiter = self.owner = None

    def limited(self) -> bool:
        """Whether BLAS is single-threaded now because deepgrad's threads work."""
        return self.limiter is not None

    def splitting(self):
        """Context for work split over deepgrad's threads: BLAS single-threaded from now
        to the end of this thread's open blocks, or for this work alone outside any."""
        if self.depth == 0:
            return _OneSplit(self)
        if self.limiter is None:
            with self.lock:
                if self.limiter is None:
                    self.limiter = _blas_controller().limit(limits=1)
                    self.owner = threading.current_thread()
        return _NOTHING


class _OneSplit:
    def __init__(self, blocks: _Blocks) -> None:
        self.blocks = blocks

    def __enter__(self) -> None:
        self.blocks.__enter__()
        self.blocks.splitting()

    def __exit__(self, *exc) -> None:
        self.blocks.__exit__(*exc)


class _Nothing:
    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        pass


_NOTHING = _Nothing()
_BLOCKS = _Blocks()


def own_threads() -> _Blocks:
    """The block a model's loop runs in: once a kernel splits work over deepgrad's
    threads, BLAS stays single-threaded until the block ends (see the module's policy).

    Blocks nest (a callback that predicts during ``fit``) and may overlap in several
    threads; BLAS gets its threads back when the last one ends, also on an error.

    >>> with own_threads():
    ...     matmul(np.ones((2, 2)), np.ones((2, 2)))
    array([[2., 2.],
           [2., 2.]])
    """
    return _BLOCKS


def run_groups(fn: Callable, items: Sequence) -> list:
    """``fn(group)`` for :data:`MAX_THREADS` fixed groups of ``items``, in threads.

    The groups do not depend on the number of threads, so a result summed group by
    group is the same bit for bit on any machine. Each core works through its own
    groups' chunks (copies, transforms and products) in its own cache with BLAS
    single-threaded inside: faster and far steadier than one chunk at a time with BLAS's
    threads splitting each product (``benchmarks/conv_ops.py``, ``benchmarks/cnn.py``).
    Returns the groups' results in order (fewer groups than MAX_THREADS for fewer items).

    >>> run_groups(lambda group: sum(group), list(range(10)))
    [1, 9, 11, 24]
    """
    groups = [list(items[part]) for part in split(len(items), MAX_THREADS)]
    threads = min(thread_count(), len(groups))
    if threads == 1:
        return [fn(group) for group in groups]
    shares = split(len(groups), threads)
    results = run_parts(lambda share: [fn(group) for group in groups[share]], shares)
    return [result for share in results for result in share]


# Elements per block of an elementwise pass over flat arrays. A pass such as an optimizer
# update makes about ten sweeps over its arrays; on blocks this size the sweeps after the
# first read the cache, not memory. Arrays under two blocks run in one call on this thread
# (benchmarks/cnn.py: Adam over the course CNN's 3.27M parameters).
BLOCK = 1 << 17


def blockwise(fn: Callable[..., None], arrays: Sequence[np.ndarray]) -> None:
    """Run the elementwise ``fn(*arrays)`` block by block, the blocks shared between
    threads (each element sees the same operations whatever the cut: the same numbers).

    Arrays smaller than two :data:`BLOCK` s, or not all flat and of one size, run in one
    call.

    >>> a = np.arange(4.0)
    >>> blockwise(lambda x: np.multiply(x, 2, out=x), [a]); a
    array([0., 2., 4., 6.])
    """
    size = arrays[0].size
    if size < 2 * BLOCK or any(a.ndim != 1 or a.size != size for a in arrays):
        fn(*arrays)
        return

    def run(part: slice) -> None:
        for start in range(part.start, part.stop, BLOCK):
            block = slice(start, min(start + BLOCK, part.stop))
            fn(*(a[block] for a in arrays))

    run_parts(run, split(size))


# Below this many multiply-adds a product runs as one BLAS call: handing part of it to
# another thread costs more than it saves, and the 784-128-10 MLP's products (13M) then
# stay on BLAS's threads (benchmarks/mlp.py).
_MATMUL_MIN_WORK = 1 << 24
# While deepgrad's threads work, one row times a matrix of this many numbers or more
# (a single image's dense layer) goes to BLAS's own threads: reading the matrix is
# memory-bound and BLAS's threads answer faster than ours wake up; smaller ones were
# slower on two threads (benchmarks/cnn.py, single-image latency).
_ROW_MIN_SIZE = 1 << 20


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` for 2-D arrays; a large product's output is split over
    :func:`thread_count` of deepgrad's threads, by its longer side, BLAS single-threaded.

    The split depends only on the shapes and the thread count, inside a model's loops or
    outside them. One row times a matrix is one BLAS call, on BLAS's own threads when the
    matrix is large (see ``_ROW_MIN_SIZE``).

    >>> a, b = np.arange(6.0).reshape(2, 3), np.ones((3, 4))
    >>> matmul(a, b)
    array([[ 3.,  3.,  3.,  3.],
           [12., 12., 12., 12.]])
    """
    m, k = a.shape
    n = b.shape[1]
    work = m * n * k
    if work < _ROW_MIN_SIZE or (work < _MATMUL_MIN_WORK and m > 1):
        # One BLAS call, straight away: a small model's products (the iris network's
        # step, benchmarks/mlp.py) pay for every check made before them.
        return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
    if out is None:
        out = np.empty((m, n), np.result_type(a.dtype, b.dtype))
    if m == 1 and k * n >= _ROW_MIN_SIZE and _BLOCKS.limited():
        with _blas_controller().limit(limits=thread_count()):
            return np.matmul(a, b, out=out)
    if m == 1 or m * n * k < _MATMUL_MIN_WORK:
        return np.matmul(a, b, out=out)
    threads = min(thread_count(), max(m, n))
    if threads == 1:
        return np.matmul(a, b, out=out)
    if m > n:  # split the longer side of the output (benchmarks/cnn.py: the dense layers)
        run_parts(lambda part: np.matmul(a[part], b, out=out[part]), split(m, threads))
    else:
        run_parts(lambda part: np.matmul(a, b[:, part], out=out[:, part]), split(n, threads))
    return out
