"""1-D transposed, depthwise and separable convolutions over sequences ``(N, T, C)``.

Each runs as its 2-D op (``conv2d_transpose``, ``depthwise_conv2d``,
``separable_conv2d``) on images of height 1, as :func:`deepgrad.ops.conv1d` does: the
sequence gets a unit axis, the kernel a unit first axis, and the result loses the unit
axis again. The added axes are views, so the 2-D kernels and their backward passes are
all there is.

>>> import deepgrad as dg
>>> x = dg.Tensor(np.ones((1, 3, 1), np.float32))
>>> conv1d_transpose(x, dg.Tensor(np.ones((2, 1, 1), np.float32)), strides=2).data.ravel()
array([1., 1., 1., 1., 1., 1.], dtype=float32)
"""

from __future__ import annotations

from deepgrad.ops.convolution import conv2d_transpose, depthwise_conv2d, separable_conv2d
from deepgrad.ops.shaping import expand_dims, squeeze
from deepgrad.tensor import Tensor, as_tensor

__all__ = ["conv1d_transpose", "depthwise_conv1d", "separable_conv1d"]


def _check(name: str, x: Tensor, *kernels: Tensor) -> None:
    if x.ndim != 3 or any(k.ndim != 3 for k in kernels):
        raise ValueError(
            f"{name}: expected an input (batch, steps, channels) and rank-3 kernels. "
            f"Received: input shape {x.shape}, kernel shapes {[k.shape for k in kernels]}"
        )


def _one(value) -> int:
    return int(value if isinstance(value, int) else tuple(value)[0])


def conv1d_transpose(x, kernel, bias=None, strides=1, padding: str = "valid",
                     output_padding=None, dilation_rate=1,
                     activation: str | None = None) -> Tensor:
    """Transposed 1-D convolution: ``(N, T, Cin)`` with a kernel ``(k, Cout, Cin)``
    (Keras's order) to ``(N, T', Cout)``; arguments as :func:`conv2d_transpose`, ints.

    >>> conv1d_transpose(np.ones((2, 4, 3)), np.ones((3, 5, 3)), padding="same").shape
    (2, 4, 5)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    _check("conv1d_transpose", x, kernel)
    extra = None if output_padding is None else (0, _one(output_padding))
    y = conv2d_transpose(expand_dims(x, 1), expand_dims(kernel, 0), bias,
                         strides=(1, _one(strides)), padding=padding, output_padding=extra,
                         dilation_rate=(1, _one(dilation_rate)), activation=activation)
    return squeeze(y, 1)


def depthwise_conv1d(x, kernel, bias=None, strides=1, padding: str = "valid",
                     dilation_rate=1, activation: str | None = None) -> Tensor:
    """Each channel of ``(N, T, C)`` convolved with its own filters, kernel
    ``(k, C, depth_multiplier)``; arguments as :func:`depthwise_conv2d`, ints.

    >>> depthwise_conv1d(np.ones((1, 5, 2)), np.ones((3, 2, 2))).shape
    (1, 3, 4)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    _check("depthwise_conv1d", x, kernel)
    y = depthwise_conv2d(expand_dims(x, 1), expand_dims(kernel, 0), bias,
                         strides=(1, _one(strides)), padding=padding,
                         dilation_rate=(1, _one(dilation_rate)), activation=activation)
    return squeeze(y, 1)


def separable_conv1d(x, depthwise_kernel, pointwise_kernel, bias=None, strides=1,
                     padding: str = "valid", dilation_rate=1,
                     activation: str | None = None) -> Tensor:
    """A depthwise 1-D convolution (kernel ``(k, C, m)``) then a pointwise one (kernel
    ``(1, C * m, filters)``); arguments as :func:`separable_conv2d`, ints.

    >>> separable_conv1d(np.ones((1, 5, 2)), np.ones((3, 2, 1)), np.ones((1, 2, 4))).shape
    (1, 3, 4)
    """
    x = as_tensor(x)
    depthwise_kernel, pointwise_kernel = as_tensor(depthwise_kernel), as_tensor(pointwise_kernel)
    _check("separable_conv1d", x, depthwise_kernel, pointwise_kernel)
    y = separable_conv2d(expand_dims(x, 1), expand_dims(depthwise_kernel, 0),
                         expand_dims(pointwise_kernel, 0), bias, strides=(1, _one(strides)),
                         padding=padding, dilation_rate=(1, _one(dilation_rate)),
                         activation=activation)
    return squeeze(y, 1)
