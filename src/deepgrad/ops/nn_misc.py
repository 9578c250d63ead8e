"""The remaining ``keras.ops.nn`` functions in Keras's signatures: ``moments, normalize,
psnr, layer_normalization, batch_normalization, one_hot, multi_hot, polar``.

``layer_normalization`` and ``batch_normalization`` call the fused ops of
``ops/normalization.py``; the rest are composites.

>>> import deepgrad as dg
>>> dg.ops.one_hot(dg.Tensor([0, 2]), 3)
Tensor([[1., 0., 0.],
        [0., 0., 1.]], dtype=float32)
"""

from __future__ import annotations

import warnings

import numpy as np

from deepgrad import config
from deepgrad.ops import elementwise as ew
from deepgrad.ops import reduce as rd
from deepgrad.ops.core import float_tensor, tensor_of
from deepgrad.ops.dtypes import standardize_dtype
from deepgrad.ops.normalization import batch_normalization as _fused_batch_norm
from deepgrad.ops.normalization import layer_norm
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor

__all__ = [
    "moments", "normalize", "psnr", "layer_normalization", "batch_normalization", "one_hot",
    "multi_hot", "polar",
]



@op
def moments(x, axes, keepdims: bool = False, synchronized: bool = False) -> tuple[Tensor, Tensor]:
    """Mean and variance over ``axes``.

    >>> moments(Tensor([1.0, 2.0, 3.0, 4.0]), axes=[0])
    (Tensor(2.5, dtype=float32), Tensor(1.25, dtype=float32))
    """
    if synchronized:
        raise NotImplementedError("moments: synchronized=True needs a distribution strategy.")
    axes = tuple(axes) if isinstance(axes, list) else axes
    x = float_tensor(x)
    mean = rd.mean(x, axis=axes, keepdims=True)
    variance = rd.mean(ew.square(ew.subtract(x, mean)), axis=axes, keepdims=keepdims)
    if not keepdims:
        from deepgrad.ops.shaping import squeeze

        mean = squeeze(mean, axes)
    return mean, variance


@op
def normalize(x, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Tensor:
    """``x`` divided by its ``order``-norm along ``axis`` (at least ``epsilon``, 1e-7 by
    default; the L2 case clamps the squared norm, so zero vectors get a finite gradient).

    Raises:
        ValueError: unless ``order`` is an int >= 1.

    >>> normalize(Tensor([[3.0, 4.0]]))
    Tensor([[0.6, 0.8]], dtype=float32)
    """
    from deepgrad.ops.solvers import norm
    from deepgrad.ops.unary import rsqrt

    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: `order` must be an int >= 1. Received: order={order}")
    x = float_tensor(x)
    if x.ndim == 0:
        from deepgrad.ops.shaping import expand_dims

        x = expand_dims(x, 0)
    epsilon = config.epsilon() if epsilon is None else epsilon
    if order == 2:
        squares = rd.sum(ew.square(x), axis=axis, keepdims=True)
        return ew.multiply(x, rsqrt(ew.maximum(squares, epsilon * epsilon)))
    return ew.divide(x, ew.maximum(norm(x, ord=order, axis=axis, keepdims=True), epsilon))


@op
def psnr(x1, x2, max_val) -> Tensor:
    """Peak signal-to-noise ratio in dB: ``20 log10(max_val) - 10 log10(mse)``.

    Raises:
        ValueError: if the shapes differ.

    >>> psnr(Tensor([1.0, 0.0]), Tensor([0.9, 0.1]), 1.0)
    Tensor(20., dtype=float32)
    """
    from deepgrad.ops.unary import log10

    a, b = float_tensor(x1), float_tensor(x2)
    if a.shape != b.shape:
        raise ValueError(f"psnr: the shapes must match. Received: {a.shape} and {b.shape}")
    mse = rd.mean(ew.square(ew.subtract(a, b)))
    peak = 20 * np.log10(np.asarray(getattr(max_val, "data", max_val), b.dtype))
    return ew.subtract(np.asarray(peak, b.dtype), ew.multiply(log10(mse), 10.0))


@op
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon: float | None = None,
                        **kwargs) -> Tensor:
    """Normalize over ``axis``: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``
    (``epsilon`` 1e-7 by default, as Keras's op; the layer defaults to 1e-3).

    ``rms_scaling=True`` selects Keras's deprecated uncentred form and warns as Keras.

    >>> layer_normalization(Tensor([[1.0, 3.0]])).data.round(4)
    array([[-1.,  1.]], dtype=float32)
    """
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected arguments {sorted(kwargs)}")
    if rms_scaling:
        warnings.warn(
            "You passed `rms_scaling=True`, which is deprecated. This argument incorrectly "
            "scales the input by the variance, not the root mean square. To correctly use "
            "RMS Normalization, please use `keras.ops.rms_normalization` / "
            "`keras.ops.nn.rms_normalization` instead.", stacklevel=2,
        )
    epsilon = config.epsilon() if epsilon is None else epsilon
    return layer_norm(float_tensor(x), gamma, beta, axis=axis, epsilon=epsilon,
                      rms_scaling=rms_scaling)


@op
def batch_normalization(x, mean, variance, axis: int, offset=None, scale=None,
                        epsilon: float = 1e-3, *, activation: str | None = None) -> Tensor:
    """``(x - mean) * scale / sqrt(variance + epsilon) + offset`` with 1-D statistics laid
    along ``axis`` (Keras's argument order; one fused op). ``activation`` (None, ``'relu'``
    or ``'relu6'``) is applied in the same pass: deepgrad's addition, Keras has none.

    >>> batch_normalization(Tensor([[1.0, 4.0]]), Tensor([1.0, 2.0]), Tensor([4.0, 1.0]),
    ...                     axis=-1, epsilon=0.0)
    Tensor([[0., 2.]], dtype=float32)
    """
    return _fused_batch_norm(x, mean, variance, offset, scale, epsilon=epsilon, axis=axis,
                             activation=activation)


def _one_hot_array(x: np.ndarray, num_classes, axis: int, dtype) -> np.ndarray:
    flat = x.reshape(-1).astype(np.int64)
    n = int(flat.max()) + 1 if not num_classes else int(num_classes)
    out = np.zeros((flat.size, n), dtype)
    valid = (flat >= 0) & (flat < n)
    out[np.arange(flat.size)[valid], flat[valid]] = 1
    out = out.reshape(x.shape + (n,))
    return out if axis == -1 else np.moveaxis(out, -1, axis)


@op
def one_hot(x, num_classes: int, axis: int = -1, dtype=None, sparse: bool = False) -> Tensor:
    """One-hot vectors of integer labels along a new ``axis`` (negative labels give zeros).

    >>> one_hot(Tensor([1, -1]), 2, dtype="int32")
    Tensor([[0, 1],
            [0, 0]], dtype=int32)
    """
    if sparse:
        raise ValueError("one_hot: deepgrad has dense tensors only. Received: sparse=True")
    dtype = "float32" if dtype is None else standardize_dtype(dtype)
    return Tensor(_one_hot_array(tensor_of(x).data, num_classes, axis, dtype))


@op
def multi_hot(inputs, num_classes: int | None = None, axis: int = -1, dtype=None,
              sparse: bool = False, **kwargs) -> Tensor:
    """Multi-hot vectors: 1 for every label present in each sample (1-D input: one sample).

    >>> multi_hot(Tensor([[0, 2], [1, 1]]), 3)
    Tensor([[1., 0., 1.],
            [0., 1., 0.]], dtype=float32)
    """
    if sparse:
        raise ValueError("multi_hot: deepgrad has dense tensors only. Received: sparse=True")
    num_classes = kwargs.pop("num_tokens", num_classes)
    if kwargs:
        raise TypeError(f"multi_hot: unexpected arguments {sorted(kwargs)}")
    if num_classes is None:
        raise ValueError("multi_hot: `num_classes` is required.")
    data = tensor_of(inputs).data
    dtype = "float32" if dtype is None else standardize_dtype(dtype)
    encoded = _one_hot_array(data, num_classes, axis, dtype)
    return Tensor(encoded.max(axis=1 if data.ndim > 1 else 0))


@op
def polar(abs_, angle) -> Tensor:
    """The complex numbers ``abs_ * exp(1j * angle)``.

    deepgrad's complex tensors are data without gradients: unlike Keras on TensorFlow,
    no gradient flows back through ``polar`` (nor ``view_as_complex``).

    >>> polar(Tensor([2.0]), Tensor([0.0]))
    Tensor([2.+0.j], dtype=complex64)
    """
    magnitude, phase = tensor_of(abs_).data, tensor_of(angle).data
    dtype = np.complex128 if magnitude.dtype == np.float64 else np.complex64
    return Tensor((magnitude * np.cos(phase) + 1j * magnitude * np.sin(phase)).astype(dtype))
