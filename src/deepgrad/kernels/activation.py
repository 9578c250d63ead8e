"""The bounded activations that other kernels fuse (ReLU, ReLU6), and ReLU6 on its own.

A fused activation clips a result while it is still in the cache: ``'relu'`` to
``[0, inf)``, ``'relu6'`` to ``[0, 6]``. Its gradient passes where the output lies
strictly inside the bounds, so the backward pass needs only the forward output.

:func:`clip` and :func:`clip_grad` are the standalone ReLU6 (``ops.relu6``), in deepgrad's
threads: the clip is one pass, so a large array is cut only in as many parts as threads
may run; the gradient's mask takes four passes, so it goes in chunks that stay in the
cache (``benchmarks/kernel_choices.py clip_parts``).

>>> y = np.array([-1.0, 3.0, 9.0])
>>> apply(y, bounds("relu6")); y
array([0., 3., 6.])
>>> passed(y, bounds("relu6"), np.empty(3))
array([0., 1., 0.])
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels.parallel import MAX_THREADS, chunks, run_groups, split

__all__ = [
    "BOUNDS", "CHUNK_BYTES", "SUM_CHUNK_BYTES", "SMALL_SIZE", "bounds", "relu_clip", "apply",
    "passed", "masked", "clip", "clip_grad", "sum_clipped", "sum_clipped_grad",
]

# Below this many numbers ReLU is np.maximum (its call costs 0.6 us against np.clip's
# 1.8 us on 64 to 1024 numbers; equal at 4096; np.clip 1.8x faster at 16384:
# ``benchmarks/kernel_choices_apps.py relu_by_clip``).
SMALL_SIZE = 4096
# name -> (lowest, highest) output; None for no activation.
BOUNDS = {None: None, "relu": (0.0, None), "relu6": (0.0, 6.0)}
# Bytes of one chunk of the gradient's mask, and the least a thread gets of a clip
# (``benchmarks/kernel_choices.py clip_parts``).
CHUNK_BYTES = 512 << 10
# Bytes of one chunk of a residual sum and its clip (:func:`sum_clipped`). On two threads
# 4 MB chunks took 0.42-0.77x the time of one pass over the whole array (ResNet50's three
# sizes, forward and forward+backward), 1 MB 0.61-1.0x, 256 KB up to 2.9x that of 4 MB:
# each small chunk's NumPy calls cost the other thread a turn at the interpreter. On one
# thread all were within 0.94-1.09x (``benchmarks/kernel_choices_apps.py residual_chunk``).
SUM_CHUNK_BYTES = 4 << 20


def bounds(activation: str | None, who: str = "activation") -> tuple | None:
    """The bounds of a fused activation, or a clear error naming ``who``.

    >>> bounds("relu"), bounds(None)
    ((0.0, None), None)
    """
    if activation not in BOUNDS:
        raise ValueError(
            f"{who}: `activation` must be one of {list(BOUNDS)}. "
            f"Received: activation={activation!r}"
        )
    return BOUNDS[activation]


def relu_clip(
    y: np.ndarray, out: np.ndarray | None = None, high: float | None = None
) -> np.ndarray:
    """``max(y, 0)`` (and at most ``high``: ReLU6) of a float array into ``out`` (``y``
    itself when None), by ``np.clip``: a scalar ``np.maximum`` runs several times slower
    on large arrays, but below :data:`SMALL_SIZE` numbers ``np.clip``'s fixed cost is
    larger and ``np.maximum`` is used (``benchmarks/kernel_choices_apps.py
    relu_by_clip``). A ``-0.0`` stays ``-0.0`` with ``np.clip``, and becomes ``0.0`` with
    ``np.maximum``.

    >>> relu_clip(np.array([-1.0, 2.0])), relu_clip(np.array([-1.0, 9.0]), high=6.0)
    (array([0., 2.]), array([0., 6.]))
    """
    if high is None and y.size < SMALL_SIZE:
        return np.maximum(y, 0, out=y if out is None else out)
    return np.clip(y, 0, np.inf if high is None else high, out=y if out is None else out)


def apply(y: np.ndarray, limits: tuple) -> None:
    """Clip ``y`` to ``limits`` in place (``np.clip`` with two bounds, as :func:`relu_clip`;
    with a bound of None it runs as slowly as a scalar ``np.maximum``)."""
    low, high = limits
    np.clip(y, low, np.inf if high is None else high, out=y)


def passed(y: np.ndarray, limits: tuple, out: np.ndarray) -> np.ndarray:
    """1 where the clipped output ``y`` lies strictly inside ``limits`` (the gradient
    passes), else 0, written into ``out`` (a float array of ``y``'s shape)."""
    low, high = limits
    if high is None:
        return np.greater(y, low, out=out)
    # low < y < high  <=>  (y - low) * (high - y) > 0, for y already within the bounds:
    # three vectorised passes and no boolean temporaries.
    np.subtract(high, y, out=out)
    out *= y if low == 0 else y - low
    return np.greater(out, 0, out=out)


def masked(g: np.ndarray, y: np.ndarray, limits: tuple, out: np.ndarray) -> np.ndarray:
    """``g`` where the gradient passes the activation (:func:`passed`), else 0, in ``out``."""
    passed(y, limits, out)
    out *= g
    return out


def _cached_parts(size: int, itemsize: int) -> list[slice]:
    """Cache-sized chunks of a flat array; a small array is one, run in this thread."""
    return chunks(size, max(1, CHUNK_BYTES // itemsize))


def _thread_parts(size: int, itemsize: int) -> list[slice]:
    """A flat array in at most :data:`~deepgrad.kernels.parallel.MAX_THREADS` parts of at
    least :data:`CHUNK_BYTES`: one pass over each, in deepgrad's threads."""
    return split(size, max(1, min(MAX_THREADS, size * itemsize // CHUNK_BYTES)))


def _by_parts(fn, arrays: list[np.ndarray], parts: list[slice]) -> None:
    """``fn(*pieces)`` for each slice of ``parts`` of the flattened, C-contiguous
    ``arrays`` (one size), in deepgrad's threads: elementwise work, the same numbers for
    any split."""
    flat = [a.reshape(-1) for a in arrays]

    def run(group: list[slice]) -> None:
        for part in group:
            fn(*(a[part] for a in flat))

    run_groups(run, parts)


def clip(x: np.ndarray, low: float, high: float | None) -> np.ndarray:
    """``x`` clipped to ``[low, high]`` (``high`` None: no ceiling), a new array.

    >>> clip(np.array([-1.0, 3.0, 9.0], np.float32), 0.0, 6.0)
    array([0., 3., 6.], dtype=float32)
    """
    source = np.ascontiguousarray(x)
    y = np.empty_like(source)
    top = np.inf if high is None else high
    _by_parts(lambda s, o: np.clip(s, low, top, out=o), [source, y],
              _thread_parts(y.size, y.itemsize))
    return y.reshape(x.shape)


def clip_grad(g: np.ndarray, y: np.ndarray, low: float, high: float | None) -> np.ndarray:
    """The gradient through :func:`clip`: ``g`` where ``low < y < high``, else 0; ``y`` is
    the clipped output.

    >>> clip_grad(np.ones(3), np.array([0.0, 3.0, 6.0]), 0.0, 6.0)
    array([0., 1., 0.])
    """
    dtype = np.result_type(g.dtype, y.dtype)
    gs, ys = np.ascontiguousarray(g), np.ascontiguousarray(y)
    dx = np.empty(gs.shape, dtype)
    _by_parts(lambda d, g_, y_: masked(g_, y_, (low, high), d), [dx, gs, ys],
              _cached_parts(dx.size, dx.itemsize))
    return dx.reshape(np.shape(g))


def _sum_parts(size: int, itemsize: int) -> list[slice]:
    """:data:`SUM_CHUNK_BYTES` chunks of a flat array."""
    return chunks(size, max(1, SUM_CHUNK_BYTES // itemsize))


def sum_clipped(arrays: list[np.ndarray], limits: tuple | None) -> np.ndarray:
    """``arrays[0] + arrays[1] + ...`` clipped to ``limits`` (None: not clipped), a new
    array: each chunk is clipped while it is in the cache, the chunks in deepgrad's
    threads (a residual connection's sum and ReLU, ``ops.residual.add_activation``).

    >>> sum_clipped([np.array([1.0, -3.0]), np.array([1.0, 1.0])], bounds("relu"))
    array([2., 0.])
    """
    out = np.empty_like(arrays[0], order="C")

    def add(o, a, b, *rest):
        np.add(a, b, out=o)
        for r in rest:
            o += r
        if limits is not None:
            apply(o, limits)

    _by_parts(add, [out] + [np.ascontiguousarray(a) for a in arrays],
              _sum_parts(out.size, out.itemsize))
    return out


def sum_clipped_grad(g: np.ndarray, y: np.ndarray, limits: tuple) -> np.ndarray:
    """The gradient through :func:`sum_clipped`'s clip: ``g`` where the output ``y`` lies
    strictly inside ``limits``, else 0, in ``g``'s dtype; in chunks in deepgrad's threads.

    >>> sum_clipped_grad(np.ones(3), np.array([0.0, 2.0, 6.0]), bounds("relu6"))
    array([0., 1., 0.])
    """
    dx = np.empty(g.shape, g.dtype)
    if limits == BOUNDS["relu"]:
        def mask(d, g, y):  # a byte mask: less to write than a float one
            np.multiply(g, y > 0, out=d)
    else:
        def mask(d, g, y):
            masked(g, y, limits, d)
    _by_parts(mask, [dx, np.ascontiguousarray(g), y], _sum_parts(dx.size, dx.itemsize))
    return dx
