"""Run a reader in a forked child with a CPU-time limit: for C libraries that can hang.

libhdf5 loops forever on some damaged files (``benchmarks/fuzz_loaders.py`` found one in
3,000 byte-level mutations of a ``.weights.h5``: a lookup in the root group never
returns), and a thread cannot stop C code. So :mod:`~deepgrad.formats.h5_weights` parses
files in a child process made by ``fork`` (cheap: it shares the parent's memory, modules
and open files), stopped when it overruns its CPU time. The child's memory is capped too:
a damaged attribute made libhdf5 allocate 830 MB for a 20 KB file. Results come back as
JSON through a pipe (small ones: shapes and dtypes; never pickle); array data is written by
the child into memory shared with the parent (:func:`shared_arrays`), so nothing is copied
twice.

Where ``fork`` is not available or not safe (Windows; macOS, whose system libraries do
not support it), the function runs in this process, without the time limit.

>>> run_isolated(lambda: 6 * 7, "demo", seconds=10)
42
"""

from __future__ import annotations

import json
import math
import mmap
import os
import select
import signal
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.formats.errors import FileFormatError

__all__ = ["run_isolated", "shared_arrays", "CAN_FORK"]

CAN_FORK = hasattr(os, "fork") and sys.platform != "darwin"
# A child that is blocked rather than computing is killed after this much waiting.
WALL_FACTOR = 10
WALL_EXTRA = 60.0


def shared_arrays(specs: list[tuple[tuple[int, ...], np.dtype]]) -> list[np.ndarray]:
    """Arrays of the given shapes and dtypes in memory a forked child writes to the parent.

    >>> a, b = shared_arrays([((2,), np.dtype("f4")), ((), np.dtype("i8"))])
    >>> a.shape, b.dtype
    ((2,), dtype('int64'))
    """
    sizes = [int(np.prod(shape, dtype=object)) * dtype.itemsize for shape, dtype in specs]
    offsets = [0]
    for size in sizes:
        offsets.append(offsets[-1] + -(-size // 64) * 64)  # 64-byte aligned starts
    if not CAN_FORK:
        buffer = bytearray(max(offsets[-1], 1))
    else:
        buffer = mmap.mmap(-1, max(offsets[-1], 1), flags=mmap.MAP_SHARED)
    return [np.frombuffer(buffer, dtype, count=int(np.prod(shape, dtype=object)),
                          offset=start).reshape(shape)
            for (shape, dtype), start in zip(specs, offsets)]


def _limit_memory(extra: int) -> None:
    """Cap this process's address space at its size now plus ``extra`` bytes (Linux)."""
    import resource

    try:
        with open("/proc/self/status") as status:
            size = next(int(line.split()[1]) * 1024 for line in status
                        if line.startswith("VmSize:"))
    except (OSError, StopIteration, ValueError):
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + extra
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _limit_cpu(seconds: float) -> None:
    """Stop this process after ``seconds`` of CPU time (SIGXCPU, then SIGKILL a second later).

    CPU time, not the clock: a machine loaded by other work slows a reader down but does not
    bring it nearer the limit; only the reader's own work (libhdf5 looping) does."""
    import resource

    limit = max(1, math.ceil(seconds))
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    if hard == resource.RLIM_INFINITY:
        hard = limit + 1
    elif hard <= limit:  # a lower limit set from outside stays (it can only be lowered)
        return
    resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))


def _child(function: Callable[[], Any], write_end: int, memory: int | None,
           seconds: float) -> None:
    try:
        try:
            _limit_cpu(seconds)
            if memory is not None:
                _limit_memory(memory)
            report = ("ok", function())
        except FileFormatError as error:
            report = ("error", error.part, error.detail)
        except BaseException as error:  # a damaged file can make a library raise anything
            report = ("error", "", f"the file is damaged ({type(error).__name__}: {error})")
        try:
            data = json.dumps(report).encode()
        except Exception as error:
            data = json.dumps(("error", "", f"unreadable result ({error})")).encode()
        with os.fdopen(write_end, "wb") as out:
            out.write(data)
    finally:
        os._exit(0)


def run_isolated(function: Callable[[], Any], where: str, seconds: float,
                 memory: int | None = None) -> Any:
    """Return ``function()`` (a JSON value) run in a forked child, failing past ``seconds``.

    ``seconds`` is the child's CPU time (``RLIMIT_CPU``): a loaded machine stretches the
    wait but never fails a good file. A child that stops using the CPU without finishing
    (blocked) is killed after :data:`WALL_FACTOR` times ``seconds`` plus
    :data:`WALL_EXTRA` seconds of waiting.
    ``memory``: the bytes the child may allocate beyond what it shares with this process
    (its address space is capped there, on Linux), or None for no cap.

    Raises:
        FileFormatError: with the child's FileFormatError (re-raised here), for any other
            exception in the child, for a child that crashed, and for one stopped at the
            time limit.
    """
    if not CAN_FORK:
        return function()
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12 warns that fork in a threaded process may deadlock the child; this
        # child runs only the reader, and the parent kills it at the time limit.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _child(function, write_end, memory, seconds)
    os.close(write_end)
    chunks = []
    timed_out = False
    try:
        with os.fdopen(read_end, "rb") as pipe:
            while True:
                ready, _, _ = select.select([pipe], [], [], WALL_FACTOR * seconds + WALL_EXTRA)
                if not ready:
                    os.kill(pid, signal.SIGKILL)
                    timed_out = True
                    break
                chunk = os.read(pipe.fileno(), 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        _, status = os.waitpid(pid, 0)
    if timed_out or (os.WIFSIGNALED(status)
                     and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)):
        raise FileFormatError(where, "", f"reading it took over {seconds:.0f} s of CPU time; "
                                         "the file is damaged (libhdf5 loops on some damaged "
                                         "files).")
    if not chunks:
        raise FileFormatError(where, "", "the reader crashed on it; the file is damaged.")
    report = json.loads(b"".join(chunks))
    if report[0] == "error":
        raise FileFormatError(where, report[1], report[2])
    return report[1]
