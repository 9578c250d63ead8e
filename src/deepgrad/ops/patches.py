"""Rearranging blocks of tensors (``keras.ops.nn`` and ``keras.ops``): ``unfold, fold,
depth_to_space, space_to_depth, extract_sequences``.

``unfold`` and ``extract_sequences`` are gathers and ``depth_to_space``/``space_to_depth``
reshapes and transposes, so their gradients come from those ops; ``fold`` (a sum of
overlapping blocks) is a primitive whose backward is ``unfold``.

>>> import deepgrad as dg
>>> x = dg.ops.reshape(dg.ops.arange(16.0), (1, 1, 4, 4))
>>> dg.ops.unfold(x, 2, stride=2).shape
(1, 4, 4)
"""

from __future__ import annotations

import numpy as np

from deepgrad.ops.core import tensor_of
from deepgrad.ops.shaping import getitem, pad, reshape, transpose
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, make_result

__all__ = ["unfold", "fold", "depth_to_space", "space_to_depth", "extract_sequences"]


def _pair(value) -> tuple[int, int]:
    return (int(value), int(value)) if np.ndim(value) == 0 else tuple(int(v) for v in value)


def _block_index(size, kernel, dilation, padding, stride):
    """Row and column indices (into the padded image) of every block element:
    arrays of shape ``(kh, kw, L)``, and the block grid ``(n_h, n_w)``."""
    (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = size, kernel, dilation, padding, stride
    n_h = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    n_w = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    rows = (np.arange(kh) * dh)[:, None, None, None] + (np.arange(n_h) * sh)[None, None, :, None]
    cols = (np.arange(kw) * dw)[None, :, None, None] + (np.arange(n_w) * sw)[None, None, None, :]
    rows, cols = np.broadcast_arrays(rows, cols)
    return rows.reshape(kh, kw, -1), cols.reshape(kh, kw, -1), (n_h, n_w)


@op
def unfold(x, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding blocks of a channels-first image batch ``(N, C, H, W)`` as columns
    ``(N, C * kh * kw, L)`` (PyTorch's ``unfold``, im2col).

    >>> unfold(Tensor(np.ones((1, 2, 3, 3))), 2).shape
    (1, 8, 4)
    """
    x = tensor_of(x)
    n, c, h, w = x.shape
    kernel, dil, pads, strides = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    if any(pads):
        x = pad(x, ((0, 0), (0, 0), (pads[0], pads[0]), (pads[1], pads[1])))
    rows, cols, _ = _block_index((h, w), kernel, dil, pads, strides)
    blocks = getitem(x, (slice(None), slice(None), rows, cols))  # (N, C, kh, kw, L)
    return reshape(blocks, (n, c * kernel[0] * kernel[1], -1))


@op
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum columns of blocks ``(N, C * kh * kw, L)`` back into images ``(N, C, H, W)``:
    the adjoint of :func:`unfold` (overlapping blocks add up).

    >>> fold(unfold(Tensor(np.ones((1, 1, 3, 3))), 2), 3, 2).data[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    x = tensor_of(x)
    (h, w), kernel = _pair(output_size), _pair(kernel_size)
    dil, pads, strides = _pair(dilation), _pair(padding), _pair(stride)
    n, ckk, _ = x.shape
    c = ckk // (kernel[0] * kernel[1])
    rows, cols, _ = _block_index((h, w), kernel, dil, pads, strides)
    blocks = x.data.reshape(n, c, kernel[0], kernel[1], -1)
    out = np.zeros((n, c, h + 2 * pads[0], w + 2 * pads[1]), x.dtype)
    np.add.at(out, (slice(None), slice(None), rows, cols), blocks)
    inner = (slice(None), slice(None), slice(pads[0], pads[0] + h), slice(pads[1], pads[1] + w))

    def backward(g):
        padded = np.zeros(out.shape, g.dtype)
        padded[inner] = g
        return (padded[:, :, rows, cols].reshape(x.shape),)

    return make_result(out[inner], (x,), backward)


def _check_block(x: Tensor, block_size: int, data_format: str, name: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{name}: expected a 4-D input. Received: shape={x.shape}")
    if int(block_size) < 2:
        raise ValueError(f"{name}: `block_size` must be at least 2. Received: {block_size}")
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{name}: `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: {data_format!r}"
        )


@op
def depth_to_space(x, block_size: int, data_format: str = "channels_last") -> Tensor:
    """Move channel blocks into ``block_size x block_size`` spatial blocks (pixel shuffle):
    ``(N, H, W, C)`` to ``(N, H*b, W*b, C/b**2)``.

    >>> depth_to_space(Tensor(np.zeros((1, 2, 2, 12))), 2).shape
    (1, 4, 4, 3)
    """
    x = tensor_of(x)
    _check_block(x, block_size, data_format, "depth_to_space")
    b = int(block_size)
    if data_format == "channels_last":
        n, h, w, c = x.shape
        y = transpose(reshape(x, (n, h, w, b, b, c // b**2)), (0, 1, 3, 2, 4, 5))
        return reshape(y, (n, h * b, w * b, c // b**2))
    n, c, h, w = x.shape
    y = transpose(reshape(x, (n, c // b**2, b, b, h, w)), (0, 1, 4, 2, 5, 3))
    return reshape(y, (n, c // b**2, h * b, w * b))


@op
def space_to_depth(x, block_size: int, data_format: str = "channels_last") -> Tensor:
    """Move ``block_size x block_size`` spatial blocks into channels (pixel unshuffle):
    ``(N, H, W, C)`` to ``(N, H/b, W/b, C*b**2)``.

    >>> space_to_depth(Tensor(np.zeros((1, 4, 4, 3))), 2).shape
    (1, 2, 2, 12)
    """
    x = tensor_of(x)
    _check_block(x, block_size, data_format, "space_to_depth")
    b = int(block_size)
    if data_format == "channels_last":
        n, h, w, c = x.shape
        y = transpose(reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5))
        return reshape(y, (n, h // b, w // b, c * b * b))
    n, c, h, w = x.shape
    y = transpose(reshape(x, (n, c, h // b, b, w // b, b)), (0, 1, 3, 5, 2, 4))
    return reshape(y, (n, c * b * b, h // b, w // b))


@op
def extract_sequences(x, sequence_length: int, sequence_stride: int) -> Tensor:
    """Overlapping frames of the last axis: ``(..., T)`` to ``(..., frames, length)``.

    >>> extract_sequences(Tensor([1.0, 2.0, 3.0, 4.0]), 2, 1)
    Tensor([[1., 2.],
            [2., 3.],
            [3., 4.]], dtype=float32)
    """
    x = tensor_of(x)
    frames = (x.shape[-1] - sequence_length) // sequence_stride + 1
    index = np.arange(frames)[:, None] * sequence_stride + np.arange(sequence_length)[None, :]
    return getitem(x, (Ellipsis, index))
