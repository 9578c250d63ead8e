"""Convolution ops: conv1d, conv2d, conv2d_transpose, depthwise and separable conv2d.

Images are NHWC and kernels have Keras's shapes. Each op is one fused op with a
hand-written backward built on ``deepgrad.kernels.conv`` (which picks Winograd, a
plain matrix product or im2col; the plain version to read is
``deepgrad.kernels.reference``) or ``deepgrad.kernels.depthwise``; ``conv1d`` and
``separable_conv2d`` are composed from the others. ``activation='relu'`` is fused into
the op, as in ``dense``. The input gradient is computed only when the input needs one,
so a first layer skips it.

>>> import deepgrad as dg
>>> x = dg.Tensor(np.ones((1, 3, 3, 1), np.float32))
>>> k = dg.Tensor(np.ones((2, 2, 1, 1), np.float32), requires_grad=True)
>>> y = conv2d(x, k)
>>> y.data[0, :, :, 0]
array([[4., 4.],
       [4., 4.]], dtype=float32)
>>> y.sum().backward(); k.grad.ravel()
array([4., 4., 4., 4.], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels.activation import BOUNDS, masked, relu_clip
from deepgrad.kernels.conv import conv_backward, conv_forward, conv_input_grad, pools_in_chunks
from deepgrad.kernels.depthwise import depthwise_backward, depthwise_forward
from deepgrad.kernels.geometry import conv_geometry, deconv_output_length, pooled_output
from deepgrad.kernels.pool import max_unpool
from deepgrad.ops.pool import max_pool2d
from deepgrad.ops.shaping import expand_dims, squeeze
from deepgrad.ops.symbolic import op
from deepgrad.tensor import (
    Tensor,
    as_tensor,
    gradient_destination,
    is_grad_enabled,
    make_result,
)

__all__ = [
    "conv1d", "conv2d", "conv2d_max_pool", "conv2d_transpose", "depthwise_conv2d",
    "separable_conv2d",
]


def _tuple(value, n: int, arg: str, name: str) -> tuple[int, ...]:
    """An int or a sequence of ``n`` positive ints, as a tuple of ``n`` ints."""
    values = (value,) * n if isinstance(value, (int, np.integer)) else value
    try:
        values = tuple(values)
    except TypeError:
        values = ()
    if len(values) != n or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in values
    ):
        raise ValueError(
            f"{name}: `{arg}` must be a positive int or a tuple of {n} positive ints. "
            f"Received: {arg}={value!r}"
        )
    return tuple(int(v) for v in values)


def _relu(activation, name: str, ceiling: bool = False) -> bool:
    """Whether ``activation`` clips at 0; ``'relu6'`` too where ``ceiling`` is allowed."""
    if activation is None or activation == "linear":
        return False
    if activation == "relu" or (ceiling and activation == "relu6"):
        return True
    allowed = "'relu' or 'relu6'" if ceiling else "'relu'"
    raise ValueError(
        f"{name}: `activation` must be None, 'linear' or {allowed} (other activations are "
        f"separate ops). Received: activation={activation!r}"
    )


def _inputs(x, kernel, bias, channels_axis: int, name: str):
    """Tensors for the arguments, a float input array, and the checked bias."""
    x, kernel = as_tensor(x), as_tensor(kernel)
    data = x.data
    if data.dtype.kind != "f":
        data = data.astype(kernel.dtype if kernel.dtype.kind == "f" else np.float32)
    if bias is None:
        return x, kernel, None, data
    bias = as_tensor(bias)
    if kernel.ndim == 4 and bias.shape != (kernel.shape[channels_axis],):
        raise ValueError(
            f"{name}: `bias` must have shape ({kernel.shape[channels_axis]},), one value per "
            f"output channel of the kernel {kernel.shape}. Received: bias shape {bias.shape}"
        )
    return x, kernel, bias, data


def _as(grad: np.ndarray | None, like: Tensor) -> np.ndarray | None:
    if grad is None or grad.dtype == like.dtype:
        return grad
    return grad.astype(like.dtype)


def _parents(x: Tensor, kernel: Tensor, bias: Tensor | None) -> tuple[Tensor, ...]:
    return (x, kernel) if bias is None else (x, kernel, bias)


def _conv2d_inputs(x, kernel, bias, strides, padding, dilation_rate, activation, name: str):
    """The checked arguments of a 2-D convolution: tensors, the input array, the
    geometry and whether ReLU is fused."""
    relu = _relu(activation, name, ceiling=True)
    x, kernel, bias, data = _inputs(x, kernel, bias, 3, name)
    strides = _tuple(strides, 2, "strides", name)
    dilation = _tuple(dilation_rate, 2, "dilation_rate", name)
    geo = conv_geometry(data.shape, kernel.shape, strides, padding, dilation, name)
    return x, kernel, bias, data, geo, relu


def _conv2d_grads(x, kernel, bias, data, w2, geo, g, relu_output=None) -> tuple:
    """The gradients a 2-D convolution's op returns for its parents, from the output
    gradient ``g`` (masked where ``relu_output`` is zero, when given)."""
    need_bias = bias is not None and bias.requires_grad
    # The kernel's gradient goes straight into the training step's buffer where it offers
    # one of the product's dtype (no second kernel-sized array).
    into = gradient_destination(kernel) if kernel.requires_grad else None
    if into is not None and into.dtype != np.result_type(g.dtype, w2.dtype):
        into = None
    dx, dw, db = conv_backward(
        data, w2, g, geo, need_input=x.requires_grad, need_weight=kernel.requires_grad,
        need_bias=need_bias, relu_output=relu_output,
        dw_out=None if into is None else into.reshape(w2.shape),
    )
    if into is not None:
        grads = (_as(dx, x), into)  # the buffer itself: the tape then skips its copy
    else:
        grads = (_as(dx, x), None if dw is None else _as(dw.reshape(kernel.shape), kernel))
    return grads if bias is None else grads + (_as(db, bias),)


@op
def conv2d(
    x,
    kernel,
    bias=None,
    strides=(1, 1),
    padding="valid",
    dilation_rate=(1, 1),
    activation: str | None = None,
    name: str = "conv2d",
    residual=None,
) -> Tensor:
    """2-D convolution (cross-correlation, as in Keras) with optional fused bias and ReLU.

    Args:
        x: input ``(N, H, W, Cin)``.
        kernel: ``(kh, kw, Cin, Cout)``.
        bias: optional ``(Cout,)``.
        strides, dilation_rate: an int or a pair.
        padding: ``'valid'``, ``'same'`` (TF rule: the odd pixel goes bottom/right), or
            explicit ``((top, bottom), (left, right))``.
        activation: None, ``'relu'`` or ``'relu6'``, fused into the op (ReLU6: a
            BatchNormalization folded into a convolution in inference, then MobileNet's
            ``ReLU(6.0)``).
        name: the name used in error messages.
        residual: optional tensor of the output's shape, added before the activation (a
            residual block's ``Add`` then ``ReLU``, in the same op: on the 1x1 path each
            block of the output takes it while in the cache; deepgrad's addition).

    Returns:
        ``(N, out_h, out_w, Cout)``.

    Raises:
        ValueError: on wrong ranks, different channel counts, a (dilated) kernel larger
            than the padded input, a residual of another shape, or bad arguments.

    With ``'same'`` padding and stride 2 a 4x4 image gets one row and column of zeros,
    at the bottom and right, so the windows start at rows and columns 0 and 2:

    >>> x = Tensor(np.arange(16.0).reshape(1, 4, 4, 1))
    >>> conv2d(x, Tensor(np.ones((3, 3, 1, 1))), padding="same", strides=2).data[0, :, :, 0]
    array([[45., 39.],
           [66., 50.]])
    """
    x, kernel, bias, data, geo, relu = _conv2d_inputs(
        x, kernel, bias, strides, padding, dilation_rate, activation, name
    )
    w2 = kernel.data.reshape(-1, geo.out_c)
    ceiling = BOUNDS["relu6"][1] if activation == "relu6" else None
    if residual is not None:
        return _conv2d_residual(x, kernel, bias, data, w2, geo, relu, ceiling, residual, name)
    y = conv_forward(data, w2, geo, None if bias is None else bias.data, relu, ceiling=ceiling)
    output = y if relu else None  # kept for the activation's mask only

    def backward(g):
        if ceiling is not None:
            return _conv2d_grads(x, kernel, bias, data, w2, geo, masked(
                g, output, BOUNDS["relu6"], np.empty_like(g)))
        return _conv2d_grads(x, kernel, bias, data, w2, geo, g, output)

    return make_result(y, _parents(x, kernel, bias), backward)


def _conv2d_residual(x, kernel, bias, data, w2, geo, relu, ceiling, residual, name):
    """:func:`conv2d` with ``residual`` added before the activation."""
    r = as_tensor(residual)
    shape = (geo.batch, geo.out_h, geo.out_w, geo.out_c)
    if r.shape != shape:
        raise ValueError(f"{name}: `residual` must have the output's shape {shape}. "
                         f"Received: residual shape {r.shape}")
    dtype = np.result_type(data.dtype, w2.dtype)
    y = conv_forward(data, w2, geo, None if bias is None else bias.data, relu,
                     ceiling=ceiling, residual=r.data.astype(dtype, copy=False))

    def backward(g):
        # The masked gradient is the residual's own, and the convolution's.
        if relu:
            g = masked(g, y, BOUNDS["relu6" if ceiling is not None else "relu"],
                       np.empty_like(g))
        return _conv2d_grads(x, kernel, bias, data, w2, geo, g) + (_as(g, r),)

    return make_result(y, _parents(x, kernel, bias) + (r,), backward)


@op
def conv2d_max_pool(
    x,
    kernel,
    bias=None,
    strides=(1, 1),
    padding="valid",
    dilation_rate=(1, 1),
    activation: str | None = None,
    pool_size=(2, 2),
    name: str = "conv2d",
) -> Tensor:
    """``max_pool2d(conv2d(x, ...), pool_size)`` (pool strides equal to its size,
    ``'valid'``) in one pass: each chunk of the convolution's output is pooled while it
    is in the CPU cache, and the full output is never written out.

    Where a gradient is recorded, each window's winning cell is kept (one byte per
    pooled output) instead of the full output; the backward sends the gradient to the
    winners (masked where ReLU cut the pooled value) and runs the convolution's
    backward on that. The numbers, forward and backward, are those of the two ops, bit
    for bit. Where the chunks cannot be pooled (a Winograd convolution whose tiles the
    window does not divide, a 1x1 kernel) the two ops run one after the other.

    Arguments as :func:`conv2d`, plus ``pool_size``, an int or a pair.

    >>> x = Tensor(np.arange(16.0).reshape(1, 4, 4, 1))
    >>> conv2d_max_pool(x, Tensor(np.ones((1, 1, 1, 1))), pool_size=2).data[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    pool = _tuple(pool_size, 2, "pool_size", name)
    x, kernel, bias, data, geo, relu = _conv2d_inputs(
        x, kernel, bias, strides, padding, dilation_rate, activation, name
    )
    recorded = is_grad_enabled() and any(t.requires_grad for t in _parents(x, kernel, bias))
    w2 = kernel.data.reshape(-1, geo.out_c)
    dtype = np.result_type(data.dtype, w2.dtype)
    misfit = geo.out_h < pool[0] or geo.out_w < pool[1]  # (max_pool2d names a misfit)
    if misfit or activation == "relu6" or (recorded and not pools_in_chunks(geo, pool, dtype)):
        y = conv2d(x, kernel, bias, strides, padding, dilation_rate, activation, name)
        return max_pool2d(y, pool)
    b = None if bias is None else bias.data
    argmax = pooled_output(geo, pool, np.uint8) if recorded else None
    out = conv_forward(data, w2, geo, b, relu, pool, argmax)
    if not recorded:
        return Tensor(out)

    def backward(g):
        if relu:
            g = np.multiply(g, out > 0)
        full = max_unpool(g, argmax, pool, (geo.batch, geo.out_h, geo.out_w, geo.out_c))
        return _conv2d_grads(x, kernel, bias, data, w2, geo, full)

    return make_result(out, _parents(x, kernel, bias), backward)


@op
def conv1d(
    x,
    kernel,
    bias=None,
    strides=1,
    padding="valid",
    dilation_rate=1,
    activation: str | None = None,
) -> Tensor:
    """1-D convolution over sequences ``(N, T, Cin)`` with a kernel ``(k, Cin, Cout)``.

    ``padding`` is ``'valid'``, ``'same'``, ``'causal'`` (all padding on the left, so an
    output never sees later steps) or explicit ``(left, right)``. Runs as a conv2d of
    height 1.

    >>> a = Tensor(np.array([5.0, 3, 7, 5, 9, 7]).reshape(1, 6, 1))
    >>> conv1d(a, Tensor(np.array([1.0, 2, 3]).reshape(3, 1, 1))).data.ravel()
    array([32., 32., 44., 44.])
    """
    name = "conv1d"
    x, kernel = as_tensor(x), as_tensor(kernel)
    if x.ndim != 3 or kernel.ndim != 3:
        raise ValueError(
            f"{name}: expected an input (batch, steps, channels) and a kernel (kernel_size, "
            f"in_channels, out_channels), both of rank 3. Received: input shape {x.shape}, "
            f"kernel shape {kernel.shape}"
        )
    (stride,) = _tuple(strides, 1, "strides", name)
    (dilation,) = _tuple(dilation_rate, 1, "dilation_rate", name)
    if isinstance(padding, str) and padding.lower() == "causal":
        padding = ((0, 0), ((kernel.shape[0] - 1) * dilation, 0))
    elif not isinstance(padding, str):
        pair = (padding, padding) if isinstance(padding, (int, np.integer)) else padding
        padding = ((0, 0), tuple(pair))
    y = conv2d(
        expand_dims(x, 1), expand_dims(kernel, 0), bias, (1, stride), padding, (1, dilation),
        activation, name,
    )
    return squeeze(y, 1)


@op
def conv2d_transpose(
    x,
    kernel,
    bias=None,
    strides=(1, 1),
    padding="valid",
    output_padding=None,
    dilation_rate=(1, 1),
    activation: str | None = None,
) -> Tensor:
    """Transposed 2-D convolution: the gradient of ``conv2d`` for its input, as an op.

    Args:
        x: input ``(N, H, W, Cin)``.
        kernel: Keras's Conv2DTranspose shape ``(kh, kw, Cout, Cin)``.
        bias: optional ``(Cout,)``.
        strides, dilation_rate: an int or a pair.
        padding: ``'valid'`` or ``'same'``.
        output_padding: None, an int or a pair, each smaller than the stride.
        activation: None or ``'relu'``.

    Returns:
        ``(N, out_h, out_w, Cout)`` with Keras's ``deconv_output_length`` sizes.

    Raises:
        ValueError: on wrong ranks, channel counts or arguments.

    >>> x = Tensor(np.ones((1, 2, 2, 1)))
    >>> conv2d_transpose(x, Tensor(np.ones((2, 2, 1, 1)))).data[0, :, :, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    name = "conv2d_transpose"
    relu = _relu(activation, name)
    x, kernel, bias, data = _inputs(x, kernel, bias, 2, name)
    strides = _tuple(strides, 2, "strides", name)
    dilation = _tuple(dilation_rate, 2, "dilation_rate", name)
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"{name}: `padding` must be 'valid' or 'same'. Received: {padding!r}")
    out_pad = (None, None)
    if output_padding is not None:
        out_pad = tuple(
            int(v) for v in ((output_padding,) * 2 if np.ndim(output_padding) == 0
                             else output_padding)
        )
        if len(out_pad) != 2 or any(not 0 <= p < s for p, s in zip(out_pad, strides)):
            raise ValueError(
                f"{name}: `output_padding` must be non-negative and smaller than the strides "
                f"{strides}. Received: output_padding={output_padding!r}"
            )
    if data.ndim != 4 or kernel.ndim != 4 or kernel.shape[3] != data.shape[3]:
        raise ValueError(
            f"{name}: expected an input (batch, height, width, channels) and a kernel "
            f"(kernel_h, kernel_w, out_channels, in_channels) whose last axis matches the "
            f"input channels. Received: input shape {x.shape}, kernel shape {kernel.shape}"
        )
    n, h, w, _ = data.shape
    kh, kw, cout, _ = kernel.shape
    out_h = deconv_output_length(h, kh, padding, out_pad[0], strides[0], dilation[0])
    out_w = deconv_output_length(w, kw, padding, out_pad[1], strides[1], dilation[1])
    geo = conv_geometry((n, out_h, out_w, cout), kernel.shape, strides, padding, dilation, name)
    w2 = kernel.data.reshape(-1, kernel.shape[3])
    y = conv_input_grad(data, w2, geo)
    if bias is not None:
        y += bias.data
    if relu:
        relu_clip(y)

    def backward(g):
        if relu:
            g = g * (y > 0)
        dx = conv_forward(g, w2, geo) if x.requires_grad else None
        dw = None
        if kernel.requires_grad:
            _, dw, _ = conv_backward(g, w2, data, geo, need_input=False)
            dw = dw.reshape(kernel.shape)
        grads = (_as(dx, x), _as(dw, kernel))
        if bias is None:
            return grads
        return grads + (_as(np.add.reduce(g.reshape(-1, cout), axis=0), bias),)

    return make_result(y, _parents(x, kernel, bias), backward)


@op
def depthwise_conv2d(
    x,
    kernel,
    bias=None,
    strides=(1, 1),
    padding="valid",
    dilation_rate=(1, 1),
    activation: str | None = None,
) -> Tensor:
    """Depthwise 2-D convolution: each input channel convolved with its own filters.

    Args:
        x: input ``(N, H, W, Cin)``.
        kernel: ``(kh, kw, Cin, depth_multiplier)``.
        bias: optional ``(Cin * depth_multiplier,)``.
        strides, dilation_rate, padding: as in :func:`conv2d`.
        activation: None, ``'linear'``, ``'relu'`` or ``'relu6'``, fused into the op.

    Returns:
        ``(N, out_h, out_w, Cin * depth_multiplier)``; channel ``c * depth_multiplier + m``
        is input channel ``c`` through filter ``m``.

    >>> x = Tensor(np.ones((1, 2, 2, 2)))
    >>> kernel = Tensor(np.ones((2, 2, 2, 1)) * np.array([1.0, 2.0]).reshape(2, 1))
    >>> depthwise_conv2d(x, kernel).data.ravel()
    array([4., 8.])
    """
    name = "depthwise_conv2d"
    if activation == "linear":
        activation = None
    if activation not in BOUNDS:
        raise ValueError(
            f"{name}: `activation` must be None, 'linear', 'relu' or 'relu6' (other "
            f"activations are separate ops). Received: activation={activation!r}"
        )
    x, kernel, _, data = _inputs(x, kernel, None, 3, name)
    strides = _tuple(strides, 2, "strides", name)
    dilation = _tuple(dilation_rate, 2, "dilation_rate", name)
    if kernel.ndim != 4:
        raise ValueError(
            f"{name}: expected a kernel (kernel_h, kernel_w, in_channels, depth_multiplier). "
            f"Received: kernel shape {kernel.shape}"
        )
    kh, kw, cin, mult = kernel.shape
    geo = conv_geometry(data.shape, (kh, kw, cin, cin * mult), strides, padding, dilation, name)
    if bias is not None:
        bias = as_tensor(bias)
        if bias.shape != (cin * mult,):
            raise ValueError(
                f"{name}: `bias` must have shape ({cin * mult},) (in_channels * "
                f"depth_multiplier). Received: bias shape {bias.shape}"
            )
    y = depthwise_forward(data, kernel.data, geo, None if bias is None else bias.data, activation)

    def backward(g):
        dx, dk, db = depthwise_backward(
            data, kernel.data, g, geo, need_input=x.requires_grad,
            need_weight=kernel.requires_grad, need_bias=bias is not None and bias.requires_grad,
            activation=activation, output=y,
        )
        grads = (_as(dx, x), _as(dk, kernel))
        return grads if bias is None else grads + (_as(db, bias),)

    return make_result(y, _parents(x, kernel, bias), backward)


@op
def separable_conv2d(
    x,
    depthwise_kernel,
    pointwise_kernel,
    bias=None,
    strides=(1, 1),
    padding="valid",
    dilation_rate=(1, 1),
    activation: str | None = None,
) -> Tensor:
    """Depthwise convolution followed by a 1x1 convolution that mixes the channels.

    Args:
        x: input ``(N, H, W, Cin)``.
        depthwise_kernel: ``(kh, kw, Cin, depth_multiplier)``.
        pointwise_kernel: ``(1, 1, Cin * depth_multiplier, Cout)``.
        bias: optional ``(Cout,)``, added after the pointwise step.
        strides, padding, dilation_rate: of the depthwise step.
        activation: None, ``'relu'`` or ``'relu6'``, applied at the end.

    >>> x = Tensor(np.ones((1, 3, 3, 2)))
    >>> y = separable_conv2d(x, Tensor(np.ones((3, 3, 2, 1))), Tensor(np.ones((1, 1, 2, 4))))
    >>> y.shape, float(y.data[0, 0, 0, 0])
    ((1, 1, 1, 4), 18.0)
    """
    pointwise_kernel = as_tensor(pointwise_kernel)
    if pointwise_kernel.ndim != 4 or pointwise_kernel.shape[:2] != (1, 1):
        raise ValueError(
            f"separable_conv2d: `pointwise_kernel` must have shape (1, 1, in_channels * "
            f"depth_multiplier, out_channels). Received: shape {pointwise_kernel.shape}"
        )
    mid = depthwise_conv2d(x, depthwise_kernel, None, strides, padding, dilation_rate)
    return conv2d(mid, pointwise_kernel, bias, activation=activation, name="separable_conv2d")
