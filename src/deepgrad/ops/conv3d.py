"""3-D convolution ops: ``conv3d`` and ``conv3d_transpose`` over volumes
``(N, D, H, W, C)`` with Keras's kernel shapes.

Each is one fused op with a hand-written backward on :mod:`deepgrad.kernels.conv3d`
(depth taps of the 2-D convolution paths; the plain 3-D im2col is
:func:`deepgrad.kernels.reference.conv3d`). The transposed convolution is the input
gradient of a convolution, and its backward is that convolution's forward pass and
kernel gradient, as for :func:`~deepgrad.ops.conv2d_transpose`.

>>> import deepgrad as dg
>>> x = dg.Tensor(np.ones((1, 2, 2, 2, 1), np.float32))
>>> k = dg.Tensor(np.ones((2, 2, 2, 1, 1), np.float32), requires_grad=True)
>>> y = conv3d(x, k)
>>> y.data.ravel()
array([8.], dtype=float32)
>>> y.sum().backward(); k.grad.ravel().tolist() == [1.0] * 8
True
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels import conv3d as kernels
from deepgrad.kernels.geometry import deconv_output_length
from deepgrad.ops.convolution import _as, _inputs, _parents, _relu, _tuple
from deepgrad.tensor import Tensor, make_result

__all__ = ["conv3d", "conv3d_transpose"]


def _check_bias(name: str, kernel: Tensor, bias: Tensor | None, channels: int) -> None:
    if kernel.ndim != 5:
        raise ValueError(f"{name}: expected a kernel of rank 5. Received: shape {kernel.shape}")
    if bias is not None and bias.shape != (channels,):
        raise ValueError(
            f"{name}: `bias` must have shape ({channels},), one value per output channel of "
            f"the kernel {kernel.shape}. Received: bias shape {bias.shape}"
        )


def _bias_grad(g: np.ndarray, bias: Tensor | None) -> tuple:
    if bias is None:
        return ()
    return (_as(np.add.reduce(g.reshape(-1, bias.shape[0]), axis=0), bias),)


def conv3d(x, kernel, bias=None, strides=(1, 1, 1), padding="valid", dilation_rate=(1, 1, 1),
           activation: str | None = None) -> Tensor:
    """3-D convolution of ``x`` (N, D, H, W, Cin) with ``kernel`` (kd, kh, kw, Cin, Cout).

    Args:
        strides, dilation_rate: an int or three ints.
        padding: ``'valid'``, ``'same'`` (TensorFlow's: the odd cell after) or three
            ``(before, after)`` pairs.
        bias: optional ``(Cout,)``; activation: None or ``'relu'`` (fused).

    Returns:
        ``(N, out_d, out_h, out_w, Cout)``.

    >>> conv3d(np.ones((2, 4, 4, 4, 3)), np.ones((3, 3, 3, 3, 5)), padding="same").shape
    (2, 4, 4, 4, 5)
    """
    name = "conv3d"
    relu = _relu(activation, name)
    x, kernel, bias, data = _inputs(x, kernel, bias, 4, name)
    _check_bias(name, kernel, bias, kernel.shape[-1])
    strides = _tuple(strides, 3, "strides", name)
    dilation = _tuple(dilation_rate, 3, "dilation_rate", name)
    geo = kernels.conv3d_geometry(data.shape, kernel.shape, strides, padding, dilation, name)
    y = kernels.forward(data, kernel.data, geo, None if bias is None else bias.data, relu)

    def backward(g):
        if relu:
            g = g * (y > 0)
        dx, dk = kernels.backward(data, kernel.data, g, geo, need_input=x.requires_grad,
                                  need_weight=kernel.requires_grad)
        return (_as(dx, x), _as(dk, kernel)) + _bias_grad(g, bias)

    return make_result(y, _parents(x, kernel, bias), backward)


def conv3d_transpose(x, kernel, bias=None, strides=(1, 1, 1), padding="valid",
                     output_padding=None, dilation_rate=(1, 1, 1),
                     activation: str | None = None) -> Tensor:
    """Transposed 3-D convolution: the gradient of :func:`conv3d` for its input, as an op.

    Args:
        x: ``(N, D, H, W, Cin)``; kernel: Keras's Conv3DTranspose shape
            ``(kd, kh, kw, Cout, Cin)``.
        strides, dilation_rate: an int or three ints; padding: ``'valid'`` or ``'same'``.
        output_padding: None, an int or three ints, each smaller than its stride.

    Returns:
        ``(N, D', H', W', Cout)`` with Keras's ``deconv_output_length`` sizes.

    >>> conv3d_transpose(np.ones((1, 2, 3, 4, 2)), np.ones((2, 2, 2, 5, 2)), strides=2).shape
    (1, 4, 6, 8, 5)
    """
    name = "conv3d_transpose"
    relu = _relu(activation, name)
    x, kernel, bias, data = _inputs(x, kernel, bias, 3, name)
    _check_bias(name, kernel, bias, kernel.shape[3])
    strides = _tuple(strides, 3, "strides", name)
    dilation = _tuple(dilation_rate, 3, "dilation_rate", name)
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"{name}: `padding` must be 'valid' or 'same'. Received: {padding!r}")
    extra = (None,) * 3
    if output_padding is not None:
        extra = tuple(int(v) for v in np.broadcast_to(output_padding, (3,)))
        if any(not 0 <= p < s for p, s in zip(extra, strides)):
            raise ValueError(
                f"{name}: `output_padding` must be non-negative and smaller than the strides "
                f"{strides}. Received: output_padding={output_padding!r}"
            )
    if data.ndim != 5 or kernel.shape[4] != data.shape[4]:
        raise ValueError(
            f"{name}: expected an input (batch, depth, height, width, channels) whose channels "
            f"match the kernel's last axis (kernel_d, kernel_h, kernel_w, out_channels, "
            f"in_channels). Received: input shape {x.shape}, kernel shape {kernel.shape}"
        )
    sizes = tuple(deconv_output_length(n, k, padding, e, s, d) for n, k, e, s, d in zip(
        data.shape[1:4], kernel.shape[:3], extra, strides, dilation))
    shape = (data.shape[0],) + sizes + (kernel.shape[3],)
    geo = kernels.conv3d_geometry(shape, kernel.shape, strides, padding, dilation, name)
    y = kernels.input_grad(data, kernel.data, geo)
    if bias is not None:
        y += bias.data
    if relu:
        np.maximum(y, 0, out=y)

    def backward(g):
        if relu:
            g = g * (y > 0)
        dx = kernels.forward(g, kernel.data, geo) if x.requires_grad else None
        dk = None
        if kernel.requires_grad:
            _, dk = kernels.backward(g, kernel.data, data, geo, need_input=False)
        return (_as(dx, x), _as(dk, kernel)) + _bias_grad(g, bias)

    return make_result(y, _parents(x, kernel, bias), backward)
