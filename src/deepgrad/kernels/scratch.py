"""Per-thread scratch buffers, reused across calls, for arrays that never leave one call.

Fresh multi-megabyte arrays come from the operating system page by page; reusing them
saves that cost on every layer of every step. Each thread has its own buffers, so kernels
running in worker threads never share one.

>>> a = scratch_buffer("doc", (2, 3), np.float32)
>>> a.shape, a.dtype
((2, 3), dtype('float32'))
>>> np.shares_memory(scratch_buffer("doc", (3,), np.float32), a)  # the same memory
True
"""

from __future__ import annotations

import math
import threading

import numpy as np

__all__ = ["scratch_buffer"]

_scratch = threading.local()


def scratch_buffer(slot: str, shape: tuple[int, ...], dtype, xp=np) -> np.ndarray:
    """An uninitialised ``shape`` array of ``dtype`` from this thread's buffer ``slot``.

    ``xp`` is the array module (NumPy, or CuPy for device memory). The memory is only
    valid until the next request for the same slot in this thread.
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    raw = getattr(_scratch, slot, None)
    if raw is None or raw.nbytes < nbytes or not isinstance(raw, xp.ndarray):
        raw = xp.empty(max(nbytes, 64), np.uint8)
        setattr(_scratch, slot, raw)
    return raw[:nbytes].view(dtype).reshape(shape)
