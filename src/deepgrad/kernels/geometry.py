"""The sizes of sliding windows: output lengths and padding of convolution and pooling.

These follow Keras: ``conv_output_length`` and ``deconv_output_length`` are Keras's
formulas, ``'same'`` padding is TF's (the odd pixel goes after), every size of one
convolution is worked out and checked once in :func:`conv_geometry`, and a pooling
window along one axis is a :class:`Window`. The array routines that compute
convolutions start at :mod:`deepgrad.kernels.conv` (read :mod:`deepgrad.kernels.reference`
first); the differentiable ops are in ``deepgrad.ops.convolution`` and ``deepgrad.ops.pool``.

The output-size rule of the course, ``W_out = (W_in - F + 2P) / S + 1``:

>>> conv_output_length(28 + 2 * 2, 5, "valid", 1) == (28 - 5 + 2 * 2) // 1 + 1
True
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = [
    "conv_output_length",
    "deconv_output_length",
    "same_padding",
    "resolve_padding",
    "ConvGeometry",
    "conv_geometry",
    "pooled_output",
    "Window",
    "window",
    "pool_output_length",
    "window_counts",
]

Pairs = tuple[tuple[int, int], ...]


def _padding_name(padding, allowed: Sequence[str], name: str) -> str:
    if not isinstance(padding, str) or padding.lower() not in allowed:
        raise ValueError(
            f"{name}: `padding` must be one of {', '.join(map(repr, allowed))}. "
            f"Received: padding={padding!r}"
        )
    return padding.lower()


def conv_output_length(
    input_length: int | None, filter_size: int, padding: str, stride: int, dilation: int = 1
) -> int | None:
    """Output length of a convolution along one axis (Keras's ``conv_output_length``).

    ``'same'`` and ``'causal'`` give ``ceil(length / stride)``, ``'valid'`` gives
    ``floor((length - dilated_filter) / stride) + 1`` and ``'full'`` pads by
    ``dilated_filter - 1`` on both sides. None (an unknown length) gives None. A result
    of zero or less means the filter does not fit.

    >>> conv_output_length(28, 5, "same", 1), conv_output_length(28, 5, "valid", 2)
    (28, 12)
    >>> conv_output_length(None, 3, "valid", 1) is None
    True
    """
    if input_length is None:
        return None
    padding = _padding_name(padding, ("valid", "same", "full", "causal"), "conv_output_length")
    dilated = (filter_size - 1) * dilation + 1
    if padding in ("same", "causal"):
        length = input_length
    elif padding == "valid":
        length = input_length - dilated + 1
    else:
        length = input_length + dilated - 1
    return (length + stride - 1) // stride


def deconv_output_length(
    input_length: int | None,
    filter_size: int,
    padding: str,
    output_padding: int | None = None,
    stride: int = 0,
    dilation: int = 1,
) -> int | None:
    """Output length of a transposed convolution (Keras's ``deconv_output_length``).

    >>> deconv_output_length(7, 3, "same", stride=2), deconv_output_length(7, 3, "valid", stride=2)
    (14, 15)
    >>> deconv_output_length(7, 3, "same", output_padding=1, stride=2)
    14
    """
    if input_length is None:
        return None
    padding = _padding_name(padding, ("valid", "same", "full"), "deconv_output_length")
    filter_size = (filter_size - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            return input_length * stride + max(filter_size - stride, 0)
        if padding == "full":
            return input_length * stride - (stride + filter_size - 2)
        return input_length * stride
    pad = {"same": filter_size // 2, "valid": 0, "full": filter_size - 1}[padding]
    return (input_length - 1) * stride + filter_size - 2 * pad + output_padding


def same_padding(
    input_length: int, filter_size: int, stride: int, dilation: int = 1
) -> tuple[int, int]:
    """``(before, after)`` padding of TF/Keras ``'same'``: the odd one goes after.

    The output has ``ceil(length / stride)`` positions and the total padding is
    ``max((out - 1) * stride + dilated_filter - length, 0)``.

    >>> same_padding(28, 5, 1), same_padding(28, 4, 1), same_padding(7, 3, 2)
    ((2, 2), (1, 2), (1, 1))
    """
    out = (input_length + stride - 1) // stride
    total = max((out - 1) * stride + (filter_size - 1) * dilation + 1 - input_length, 0)
    return total // 2, total - total // 2


def resolve_padding(
    padding,
    spatial_shape: Sequence[int],
    kernel_shape: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    name: str = "conv",
) -> Pairs:
    """Turn ``'valid'``, ``'same'`` or explicit padding into ``(before, after)`` per axis.

    Explicit padding is one pair per spatial axis (an int means the same on both sides);
    a single int pads every side alike.

    >>> resolve_padding("SAME", (28, 28), (5, 4), (1, 1), (1, 1))
    ((2, 2), (1, 2))
    >>> resolve_padding(((1, 0), 2), (5, 5), (3, 3), (1, 1), (1, 1))
    ((1, 0), (2, 2))
    """
    nd = len(spatial_shape)
    if isinstance(padding, str):
        mode = _padding_name(padding, ("valid", "same"), name)
        if mode == "valid":
            return ((0, 0),) * nd
        return tuple(
            same_padding(n, k, s, d)
            for n, k, s, d in zip(spatial_shape, kernel_shape, strides, dilation)
        )
    if isinstance(padding, (int, np.integer)):
        padding = (padding,) * nd
    try:
        pairs = tuple(
            (int(p), int(p)) if np.ndim(p) == 0 else tuple(int(v) for v in p) for p in padding
        )
    except TypeError:
        pairs = ()
    if len(pairs) != nd or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(
            f"{name}: `padding` must be 'valid', 'same', a non-negative int, or {nd} pairs of "
            f"non-negative ints (before, after), one per spatial axis. "
            f"Received: padding={padding!r}"
        )
    return pairs


@dataclass(frozen=True)
class ConvGeometry:
    """Every size of one 2-D convolution: input, kernel, strides, dilation, padding, output."""

    batch: int
    in_h: int
    in_w: int
    in_c: int
    kh: int
    kw: int
    out_c: int
    sh: int
    sw: int
    dh: int
    dw: int
    pad: Pairs
    out_h: int
    out_w: int

    @property
    def padded_h(self) -> int:
        return self.in_h + self.pad[0][0] + self.pad[0][1]

    @property
    def padded_w(self) -> int:
        return self.in_w + self.pad[1][0] + self.pad[1][1]

    @property
    def patch(self) -> int:
        """Length of one im2col row, ``kh * kw * in_c``."""
        return self.kh * self.kw * self.in_c

    @property
    def is_pointwise(self) -> bool:
        """A 1x1 unpadded convolution: a plain matrix product (of every ``stride``-th
        pixel)."""
        return (self.kh, self.kw) == (1, 1) and self.pad == ((0, 0),) * 2


def conv_geometry(
    x_shape: Sequence[int],
    kernel_shape: Sequence[int],
    strides=(1, 1),
    padding="valid",
    dilation=(1, 1),
    name: str = "conv2d",
) -> ConvGeometry:
    """Check shapes and work out the geometry of a 2-D convolution.

    Args:
        x_shape: ``(N, H, W, Cin)``.
        kernel_shape: ``(kh, kw, Cin, Cout)``.
        strides, dilation: pairs of positive ints.
        padding: ``'valid'``, ``'same'`` or ``((top, bottom), (left, right))``.
        name: the caller's name for error messages.

    Raises:
        ValueError: on wrong ranks, different channel counts, or a (dilated) kernel
            larger than the padded input.

    >>> g = conv_geometry((2, 28, 28, 1), (5, 5, 1, 32), padding="same")
    >>> g.out_h, g.out_w, g.pad, g.patch
    (28, 28, ((2, 2), (2, 2)), 25)
    """
    try:
        return _cached_geometry(
            tuple(x_shape), tuple(kernel_shape), tuple(strides), padding, tuple(dilation), name
        )
    except TypeError:  # unhashable padding (lists): the same work, uncached
        return _cached_geometry.__wrapped__(
            tuple(x_shape), tuple(kernel_shape), tuple(strides), padding, tuple(dilation), name
        )


# A layer calls its conv with the same shapes at every step; the checks run once.
@functools.lru_cache(maxsize=256)
def _cached_geometry(x_shape, kernel_shape, strides, padding, dilation, name) -> ConvGeometry:
    if len(x_shape) != 4:
        raise ValueError(
            f"{name}: expected an input of rank 4 (batch, height, width, channels). "
            f"Received: input shape {tuple(x_shape)}"
        )
    if len(kernel_shape) != 4:
        raise ValueError(
            f"{name}: expected a kernel of rank 4 (kernel_h, kernel_w, in_channels, "
            f"out_channels). Received: kernel shape {tuple(kernel_shape)}"
        )
    n, h, w, c = (int(v) for v in x_shape)
    kh, kw, kc, co = (int(v) for v in kernel_shape)
    if kc != c:
        raise ValueError(
            f"{name}: the input has {c} channels but the kernel expects {kc} "
            f"(input shape {tuple(x_shape)}, kernel shape {tuple(kernel_shape)})."
        )
    if min(kh, kw, co) < 1:
        raise ValueError(f"{name}: the kernel has an empty axis: shape {tuple(kernel_shape)}.")
    sh, sw = (int(v) for v in strides)
    dh, dw = (int(v) for v in dilation)
    pad = resolve_padding(padding, (h, w), (kh, kw), (sh, sw), (dh, dw), name)
    hp, wp = h + pad[0][0] + pad[0][1], w + pad[1][0] + pad[1][1]
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if ekh > hp or ekw > wp:
        raise ValueError(
            f"{name}: the kernel ({kh}, {kw}) with dilation ({dh}, {dw}) spans ({ekh}, {ekw}), "
            f"larger than the padded input ({hp}, {wp}) (input shape {tuple(x_shape)}, "
            f"padding {pad})."
        )
    return ConvGeometry(
        n, h, w, c, kh, kw, co, sh, sw, dh, dw, pad, (hp - ekh) // sh + 1, (wp - ekw) // sw + 1
    )


def pooled_output(geo: ConvGeometry, pool: tuple[int, int], dtype) -> np.ndarray:
    """An empty array for the output of ``geo`` max-pooled by ``pool`` (``'valid'``).

    >>> pooled_output(conv_geometry((2, 9, 9, 1), (3, 3, 1, 4)), (2, 2), np.float32).shape
    (2, 3, 3, 4)
    """
    shape = (geo.batch, geo.out_h // pool[0], geo.out_w // pool[1], geo.out_c)
    return np.empty(shape, dtype)


class Window(NamedTuple):
    """How one axis is pooled: window ``size``, ``stride``, input ``length``, output
    length ``out``, and the padding added ``before`` and ``after`` the input."""

    size: int
    stride: int
    length: int
    out: int
    before: int
    after: int

    @property
    def padded(self) -> int:
        return self.length + self.before + self.after

    @property
    def exact(self) -> bool:
        """Every (padded) cell lies in exactly one window: a reshape of the axis."""
        return self.stride == self.size and self.size * self.out == self.padded


def pool_output_length(length: int, size: int, stride: int, padding: str) -> int:
    """Output length of pooling an axis of ``length`` (TensorFlow's rule): a convolution's
    with dilation 1, and 0 where a ``'valid'`` window does not fit.

    >>> pool_output_length(28, 2, 2, "valid"), pool_output_length(5, 2, 2, "valid")
    (14, 2)
    >>> pool_output_length(5, 2, 2, "same"), pool_output_length(5, 3, 1, "same")
    (3, 5)
    """
    return max(conv_output_length(length, size, padding, stride), 0)


def window(length: int, size: int, stride: int, padding: str) -> Window:
    """The :class:`Window` for one axis; ``padding`` is ``'valid'`` or ``'same'``.

    >>> window(5, 3, 2, "same")
    Window(size=3, stride=2, length=5, out=3, before=1, after=1)
    >>> window(4, 2, 1, "same")
    Window(size=2, stride=1, length=4, out=4, before=0, after=1)
    """
    out = pool_output_length(length, size, stride, padding)
    if padding != "same":
        return Window(size, stride, length, out, 0, 0)
    return Window(size, stride, length, out, *same_padding(length, size, stride))


def window_counts(w: Window) -> np.ndarray:
    """How many real (unpadded) cells each output window covers along one axis.

    >>> window_counts(window(5, 3, 2, "same"))
    array([2, 3, 2])
    """
    start = np.arange(w.out) * w.stride - w.before
    return np.minimum(start + w.size, w.length) - np.maximum(start, 0)
