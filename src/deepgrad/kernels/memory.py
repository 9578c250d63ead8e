"""deepgrad's one memory policy: freed arrays stay with the process for the next step.

A training step allocates the same large activations, gradients and im2col columns every
step. glibc's allocator hands each array above its mmap threshold (128 kB at start, raised
on the fly up to 32 MB) to the operating system when it is freed and gives it back, zeroed
page by page, on the next step; and it returns the top of its heap once more than twice
that threshold is free there. Those page faults cost about a fifth of a MobileNetV2
training step. So, when a model first runs (:func:`deepgrad.kernels.parallel.own_threads`),
:func:`keep_freed_memory` sets, once for the whole process, ``M_MMAP_THRESHOLD`` to
32 MB (glibc's largest: arrays below it come from the heap) and ``M_TRIM_THRESHOLD`` to
its largest (the heap is not returned). Freed memory is then reused by the next step,
already mapped.

Measured (``benchmarks/allocator.py``: alternating child processes with and without it,
CPU time): MobileNetV2 training and inference and ResNet50 training each markedly faster,
with the same peak resident memory, since each step reuses what the one before freed.
The price: the resident memory of the process stays at its peak after the model stops,
until it exits (as it does with TensorFlow's and PyTorch's own allocators).

The decision against a pool of buffers per layer: the arrays that cost are the ones that
leave the kernel (activations kept for the backward pass, gradients), whose lifetimes
belong to the autograd graph and the optimizer, not to one kernel; scratch arrays that
never leave a call are already reused (:mod:`deepgrad.kernels.scratch`).

Set the environment variable ``DEEPGRAD_KEEP_FREED_MEMORY=0`` before the first model runs
to leave the allocator alone (an application that shares the process with other large
allocations and wants memory returned). Where the C library is not glibc this does
nothing.

>>> isinstance(keep_freed_memory(), bool)
True
"""

from __future__ import annotations

import ctypes
import os
import platform
import threading

__all__ = ["ENV_VAR", "MMAP_THRESHOLD", "keep_freed_memory"]

ENV_VAR = "DEEPGRAD_KEEP_FREED_MEMORY"
# glibc's largest mmap threshold on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX): larger arrays are
# still mapped and unmapped one by one.
MMAP_THRESHOLD = 32 * 1024 * 1024
_M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_TRIM_NEVER = 2**31 - 1  # mallopt takes an int

_lock = threading.Lock()
_decided: bool | None = None


def keep_freed_memory() -> bool:
    """Keep freed memory in the process (see the module): returns whether it is kept.

    Decided once per process, on the first call; later calls return the same answer at
    no cost. False where ``DEEPGRAD_KEEP_FREED_MEMORY=0`` or the C library is not glibc.
    """
    global _decided
    if _decided is None:
        with _lock:
            if _decided is None:
                _decided = _apply()
    return _decided


def _apply() -> bool:
    if os.environ.get(ENV_VAR, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success.
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(_M_TRIM_THRESHOLD, _TRIM_NEVER))
