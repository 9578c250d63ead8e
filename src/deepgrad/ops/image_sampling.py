"""Resampling images (``keras.ops.image``): ``resize, scale_and_translate, map_coordinates,
affine_transform, perspective_transform, elastic_transform``.

Resizing is separable: per spatial axis one weight matrix (half-pixel centres; triangle,
Keys cubic or Lanczos kernels, widened when shrinking with ``antialias``), applied with a
differentiable ``tensordot``; ``nearest`` is a gather. Warps sample with
:func:`map_coordinates`'s rule (TensorFlow's fill modes), a composite of gathers, so
gradients reach the images and the coordinates. ``affine_transform`` on tensors that need
no gradient runs the batched kernel of ``kernels/affine.py`` instead (the same values,
tested against each other).

>>> import deepgrad as dg
>>> dg.ops.image.resize(dg.Tensor(np.ones((1, 2, 2, 1))), (4, 4)).shape
(1, 4, 4, 1)
"""

from __future__ import annotations

import itertools

import numpy as np

from deepgrad import config
from deepgrad.kernels import affine as affine_kernel
from deepgrad.kernels.resize import aspect_ratio_crop_box, aspect_ratio_padding
from deepgrad.ops import elementwise as ew
from deepgrad.ops.core import cast, float_tensor, tensor_of
from deepgrad.ops.dtypes import result_type
from deepgrad.ops.indexing import take
from deepgrad.ops.products import tensordot
from deepgrad.ops.shaping import getitem, moveaxis, pad, reshape
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, is_grad_enabled

__all__ = ["resize", "scale_and_translate", "map_coordinates", "affine_transform",
           "perspective_transform", "elastic_transform", "as_batch"]


def as_batch(images, data_format, name: str):
    """``(NHWC tensor, undo)``: a channels-last batch of the images, and the function
    that gives a result back in the caller's layout (batched or not, channels first or
    last)."""
    x = tensor_of(images)
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{name}: expected a rank 3 (single image) or rank 4 (batch) input. Received: "
            f"images.shape={x.shape}"
        )
    data_format = config.standardize_data_format(data_format, name)
    single = x.ndim == 3
    if single:
        x = reshape(x, (1,) + x.shape)
    first = data_format == "channels_first"
    if first:
        x = moveaxis(x, 1, -1)

    def undo(y: Tensor) -> Tensor:
        if first:
            y = moveaxis(y, -1, 1)
        return reshape(y, y.shape[1:]) if single else y

    return x, undo


def _triangle(x):
    return np.maximum(0, 1 - np.abs(x))


def _keys_cubic(x):
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return np.where(x >= 2.0, 0.0, out)


def _lanczos(radius: float):
    def kernel(x):
        y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius)
        out = np.where(x > 1e-3, y / np.where(x != 0, np.pi**2 * x**2, 1), 1)
        return np.where(x > radius, 0.0, out)

    return kernel


_KERNELS = {"linear": _triangle, "bilinear": _triangle, "trilinear": _triangle,
            "cubic": _keys_cubic, "bicubic": _keys_cubic, "tricubic": _keys_cubic,
            "lanczos3": _lanczos(3.0), "lanczos5": _lanczos(5.0)}


def _weights(in_size: int, out_size: int, scale: float, translation: float, kernel,
             antialias: bool) -> np.ndarray:
    """The ``(in_size, out_size)`` matrix of a scale-and-translate resampling (JAX's rule)."""
    inv_scale = 1.0 / scale
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    sample = (np.arange(out_size) + 0.5) * inv_scale - translation * inv_scale - 0.5
    w = kernel(np.abs(sample[None, :] - np.arange(in_size)[:, None]) / kernel_scale)
    total = w.sum(axis=0, keepdims=True)
    w = np.where(np.abs(total) > 1000.0 * np.finfo(np.float32).eps,
                 w / np.where(total != 0, total, 1), 0)
    return np.where(((sample >= -0.5) & (sample <= in_size - 0.5))[None, :], w, 0)


def _area_weights(in_size: int, out_size: int) -> np.ndarray:
    """The ``(in_size, out_size)`` matrix of TensorFlow's ``'area'`` resize: each output
    pixel averages the input pixels under its footprint, weighted by the overlap."""
    step = in_size / out_size
    starts = np.arange(out_size) * step
    first = np.arange(in_size)[:, None]
    overlap = np.minimum(starts + step, first + 1) - np.maximum(starts, first)
    return np.maximum(overlap, 0) / step


def _resample(x: Tensor, shape, axes, scales, translations, kernel, antialias) -> Tensor:
    integer = x.dtype.kind in "iub"
    out = float_tensor(x) if not integer else tensor_of(x, "float32")
    for axis, scale, shift in zip(axes, scales, translations):
        if kernel == "area":
            w = _area_weights(x.shape[axis], shape[axis])
        else:
            w = _weights(x.shape[axis], shape[axis], float(scale), float(shift), kernel,
                         antialias)
        out = moveaxis(tensordot(out, w.astype(out.dtype), axes=([axis], [0])), -1, axis)
    if integer:
        low, high = x.data.min(), x.data.max()
        return Tensor(np.clip(np.round(out.data), low, high).astype(x.dtype))
    return out


@op(name="image.scale_and_translate")
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method: str,
                        antialias: bool = True) -> Tensor:
    """Resample ``images`` along ``spatial_dims`` to ``output_shape``, scaling each by
    ``scale`` and shifting by ``translation`` (``jax.image.scale_and_translate``);
    ``method`` is ``'linear'``, ``'cubic'``, ``'lanczos3'`` or ``'lanczos5'`` (and their
    bi-/tri- names).

    >>> scale_and_translate(Tensor([[0.0, 1.0]]), (1, 4), [2.0], [0.0], (1,), "linear")
    Tensor([[0.  , 0.25, 0.75, 1.  ]], dtype=float32)
    """
    if method not in _KERNELS:
        raise ValueError(
            f"scale_and_translate: `method` must be one of {sorted(_KERNELS)}. Received: "
            f"{method!r}"
        )
    x = tensor_of(images)
    scales = np.asarray(tensor_of(scale).data, np.float64).reshape(-1)
    shifts = np.asarray(tensor_of(translation).data, np.float64).reshape(-1)
    axes = [int(d) % x.ndim for d in spatial_dims]
    return _resample(x, tuple(int(n) for n in output_shape), axes, scales, shifts,
                     _KERNELS[method], antialias)


_RESIZE_METHODS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


@op(name="image.resize")
def resize(images, size, interpolation: str = "bilinear", antialias: bool = False,
           crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
           fill_mode: str = "constant", fill_value: float = 0.0, data_format=None) -> Tensor:
    """Resize images to ``size`` = ``(height, width)`` with half-pixel centres, as
    ``tf.image.resize``: ``'bilinear'``, ``'nearest'``, ``'bicubic'``, ``'lanczos3'``,
    ``'lanczos5'``, ``'area'`` (Keras's TensorFlow backend only); optionally first cropping
    or padding to the target's aspect ratio.

    The filters' weights are JAX's ``scale_and_translate`` (Keras's JAX and NumPy
    backends): equal to TensorFlow's to 1e-6 for ``'bilinear'`` and the Lanczos filters;
    ``'bicubic'`` differs from TensorFlow's by up to ~5e-4 (of a [0, 1] image) at the
    borders, where TensorFlow clamps the taps and JAX renormalises them.

    Raises:
        ValueError: for an unknown ``interpolation``, a ``fill_mode`` other than
            ``'constant'``, both aspect-ratio options, or a bad ``size``.

    >>> resize(Tensor(np.array([[[0.0], [1.0]]])), (1, 4))[0, :, 0]
    Tensor([0.  , 0.25, 0.75, 1.  ], dtype=float64)
    """
    if interpolation not in _RESIZE_METHODS:
        raise ValueError(f"resize: `interpolation` must be one of {_RESIZE_METHODS}. "
                         f"Received: {interpolation!r}")
    if fill_mode != "constant":
        raise ValueError(f"resize: only fill_mode='constant' is supported. Received: {fill_mode!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("resize: only one of `crop_to_aspect_ratio` and "
                         "`pad_to_aspect_ratio` can be True.")
    if len(size) != 2:
        raise ValueError(f"resize: `size` must be (height, width). Received: size={size}")
    x, undo = as_batch(images, data_format, "resize")
    out_h, out_w = int(size[0]), int(size[1])
    h, w = x.shape[1:3]
    if crop_to_aspect_ratio:
        top, left, h, w = aspect_ratio_crop_box(h, w, out_h, out_w)
        x = getitem(x, (slice(None), slice(top, top + h), slice(left, left + w)))
    elif pad_to_aspect_ratio:
        top, bottom, left, right = aspect_ratio_padding(h, w, out_h, out_w)
        x = pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)),
                constant_values=fill_value)
        h, w = x.shape[1:3]
    if interpolation == "nearest":
        rows = np.floor((np.arange(out_h) + 0.5) * h / out_h).astype(np.intp)
        cols = np.floor((np.arange(out_w) + 0.5) * w / out_w).astype(np.intp)
        return undo(getitem(getitem(x, (slice(None), np.minimum(rows, h - 1))),
                            (slice(None), slice(None), np.minimum(cols, w - 1))))
    axes = [a for a, (n, m) in zip((1, 2), ((h, out_h), (w, out_w))) if n != m]
    scales = [(out_h / h) if a == 1 else (out_w / w) for a in axes]
    shape = (x.shape[0], out_h, out_w, x.shape[3])
    kernel = "area" if interpolation == "area" else _KERNELS[interpolation]
    return undo(_resample(x, shape, axes, scales, [0.0] * len(axes), kernel, antialias))


def _fix_index(index: np.ndarray, size: int, fill_mode: str) -> tuple[np.ndarray, np.ndarray]:
    """An index into ``[0, size)`` for each integer sample position, and where it is valid
    (TensorFlow's ``map_coordinates`` rules)."""
    if fill_mode == "constant":
        return np.clip(index, 0, size - 1), (index >= 0) & (index < size)
    if fill_mode == "nearest":
        return np.clip(index, 0, size - 1), np.ones(index.shape, bool)
    if fill_mode == "wrap":
        return np.mod(index, size), np.ones(index.shape, bool)
    if fill_mode == "mirror":
        if size == 1:
            return np.zeros_like(index), np.ones(index.shape, bool)
        period = 2 * (size - 1)
        folded = np.mod(np.abs(index), period)
        return np.where(folded < size, folded, period - folded), np.ones(index.shape, bool)
    folded = np.mod(np.abs(index) - (index < 0), 2 * size)  # 'reflect': d c b a | a b c d
    return np.where(folded < size, folded, 2 * size - 1 - folded), np.ones(index.shape, bool)


_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _sample(source: Tensor, coords: list, order: int, fill_mode: str, fill_value) -> Tensor:
    """Interpolate ``source`` (its leading ``len(coords)`` axes indexed) at ``coords``, a
    list of coordinate tensors of one shape; trailing axes of ``source`` are carried."""
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"map_coordinates: `fill_mode` must be one of {_FILL_MODES}. "
                         f"Received: {fill_mode!r}")
    if order not in (0, 1):
        raise ValueError(f"map_coordinates: `order` must be 0 or 1. Received: {order}")
    sizes = source.shape[: len(coords)]
    flat = reshape(source, (-1,) + source.shape[len(coords):])
    dtype = source.dtype
    axes = []
    for c in coords:
        if order == 0:
            axes.append([(np.round(c.data).astype(np.int64), None)])
        else:
            lower = np.floor(c.data)
            upper_weight = ew.subtract(c, lower.astype(c.dtype))
            axes.append([(lower.astype(np.int64), ew.subtract(1.0, upper_weight)),
                         (lower.astype(np.int64) + 1, upper_weight)])
    strides = np.cumprod((1,) + tuple(sizes[::-1]))[::-1][1:]
    total = None
    for corner in itertools.product(*axes):
        flat_index = np.zeros(coords[0].shape, np.int64)
        valid = np.ones(coords[0].shape, bool)
        weight = None
        for (index, w), n, stride in zip(corner, sizes, strides):
            fixed, ok = _fix_index(index, n, fill_mode)
            flat_index += fixed * stride
            valid &= ok
            if w is not None:
                weight = w if weight is None else ew.multiply(weight, w)
        values = take(flat, flat_index, axis=0)
        extra = (1,) * (source.ndim - len(coords))
        if fill_mode == "constant":
            values = ew.where(valid.reshape(valid.shape + extra), values,
                              np.asarray(fill_value, dtype))
        if weight is not None:
            values = ew.multiply(values, reshape(cast(weight, dtype), weight.shape + extra))
        total = values if total is None else ew.add(total, values)
    return total


@op(name="image.map_coordinates")
def map_coordinates(inputs, coordinates, order: int, fill_mode: str = "constant",
                    fill_value=0) -> Tensor:
    """Sample ``inputs`` at ``coordinates`` (one coordinate array per axis of ``inputs``),
    by nearest (``order=0``) or linear (``order=1``) interpolation; outside points follow
    ``fill_mode`` (``'constant'``, ``'nearest'``, ``'wrap'``, ``'mirror'``, ``'reflect'``).

    >>> map_coordinates(Tensor([10.0, 20.0]), [Tensor([0.25, 3.0])], 1)
    Tensor([12.5,  0. ], dtype=float32)
    """
    x = tensor_of(inputs)
    coords = coordinates if isinstance(coordinates, (list, tuple)) else [
        getitem(tensor_of(coordinates), i) for i in range(tensor_of(coordinates).shape[0])]
    if len(coords) != x.ndim:
        raise ValueError(
            "map_coordinates: give one coordinate array per axis of `inputs`. Received: "
            f"{len(coords)} for inputs of shape {x.shape}"
        )
    dtype = result_type(x.dtype.name, "float32") if x.dtype.kind != "f" else x.dtype.name
    coords = [tensor_of(c, dtype) for c in coords]
    out = _sample(tensor_of(x, dtype), coords, order, fill_mode, fill_value)
    return out if x.dtype.kind == "f" else cast(out, x.dtype)


def _transform_coordinates(t: np.ndarray, n: int, out_h: int, out_w: int, dtype, transform):
    """Input sample positions ``(ys, xs)`` of every output pixel for transforms ``t``."""
    from deepgrad.ops.shaping import expand_dims

    ys, xs = np.meshgrid(np.arange(out_h, dtype=dtype), np.arange(out_w, dtype=dtype),
                         indexing="ij")
    t = tensor_of(transform, dtype) if isinstance(transform, Tensor) else Tensor(t.astype(dtype))
    if t.ndim == 1:
        t = reshape(t, (1, 8))

    def col(i):
        return expand_dims(expand_dims(getitem(t, (slice(None), i)), -1), -1)

    k = ew.add(ew.add(ew.multiply(col(6), xs), ew.multiply(col(7), ys)), 1.0)
    x_in = ew.divide(ew.add(ew.add(ew.multiply(col(0), xs), ew.multiply(col(1), ys)), col(2)), k)
    y_in = ew.divide(ew.add(ew.add(ew.multiply(col(3), xs), ew.multiply(col(4), ys)), col(5)), k)
    from deepgrad.ops.shaping import broadcast_to

    return broadcast_to(y_in, (n, out_h, out_w)), broadcast_to(x_in, (n, out_h, out_w))


@op(name="image.affine_transform")
def affine_transform(images, transform, interpolation: str = "bilinear",
                     fill_mode: str = "constant", fill_value=0, data_format=None) -> Tensor:
    """Warp images by projective transforms ``[a0, a1, a2, b0, b1, b2, c0, c1]`` (one, or
    one per image) that map output points ``(x, y)`` to input points
    ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``.

    Raises:
        ValueError: for an unknown ``interpolation`` or ``fill_mode`` or bad ranks.

    >>> row = Tensor(np.arange(1.0, 6.0).reshape(1, 5, 1))
    >>> affine_transform(row, [1.0, 0, -2, 0, 1, 0, 0, 0])[0, :, 0]
    Tensor([0., 0., 1., 2., 3.], dtype=float64)
    """
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError("affine_transform: `interpolation` must be 'nearest' or 'bilinear'. "
                         f"Received: {interpolation!r}")
    if fill_mode not in ("constant", "nearest", "wrap", "reflect"):
        raise ValueError("affine_transform: `fill_mode` must be 'constant', 'nearest', 'wrap' "
                         f"or 'reflect'. Received: {fill_mode!r}")
    x, undo = as_batch(images, data_format, "affine_transform")
    t = tensor_of(transform)
    if t.ndim not in (1, 2):
        raise ValueError("affine_transform: `transform` must have rank 1 or 2. Received: "
                         f"shape={t.shape}")
    wants_grad = is_grad_enabled() and (x.requires_grad or t.requires_grad)
    if not wants_grad:
        out = affine_kernel.affine_transform(x.data, t.data, fill_mode, interpolation,
                                             fill_value)
        return undo(Tensor(out))
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype("float32")
    n, h, w, _ = x.shape
    ys, xs = _transform_coordinates(t.data, n, h, w, dtype, t if t.requires_grad else None)
    batch = np.broadcast_to(np.arange(n, dtype=dtype)[:, None, None], ys.shape)
    out = _sample(tensor_of(x, dtype), [Tensor(batch), ys, xs],
                  0 if interpolation == "nearest" else 1, fill_mode, fill_value)
    return undo(out if x.dtype == dtype else cast(out, x.dtype))


def homography(start_points, end_points) -> np.ndarray:
    """The ``(N, 8)`` projective transforms that map each output point of ``end_points``
    onto the input point of ``start_points`` (four ``(x, y)`` corners each)."""
    start = np.asarray(tensor_of(start_points).data, np.float64).reshape(-1, 4, 2)
    end = np.asarray(tensor_of(end_points).data, np.float64).reshape(-1, 4, 2)
    rows, rhs = [], []
    for k in range(4):
        (sx, sy), (ex, ey) = start[:, k].T, end[:, k].T
        zero, one = np.zeros_like(ex), np.ones_like(ex)
        rows.append(np.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], -1))
        rows.append(np.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], -1))
        rhs += [sx, sy]
    return np.linalg.solve(np.stack(rows, 1), np.stack(rhs, 1)[..., None])[..., 0]


@op(name="image.perspective_transform")
def perspective_transform(images, start_points, end_points, interpolation: str = "bilinear",
                          fill_value=0, data_format=None) -> Tensor:
    """Warp images so that the four ``start_points`` land on ``end_points`` (``(x, y)``
    corners, one set or one per image); outside points take ``fill_value``.

    >>> corners = [[0, 0], [0, 2], [2, 0], [2, 2]]
    >>> perspective_transform(Tensor(np.ones((3, 3, 1))), corners, corners).shape
    (3, 3, 1)
    """
    transforms = homography(start_points, end_points)
    x = tensor_of(images)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype("float32")
    return affine_transform(images, Tensor(transforms.astype(dtype)), interpolation, "constant",
                            fill_value, data_format)


@op(name="image.elastic_transform")
def elastic_transform(images, alpha: float = 20.0, sigma: float = 5.0,
                      interpolation: str = "bilinear", fill_mode: str = "reflect",
                      fill_value: float = 0.0, seed=None, data_format=None) -> Tensor:
    """Distort images by a smooth random displacement field: Gaussian noise blurred with
    ``sigma`` and scaled by ``alpha`` (pixels), drawn from ``seed`` (deepgrad's global
    seed when None).

    >>> elastic_transform(Tensor(np.ones((8, 8, 1))), seed=1).shape
    (8, 8, 1)
    """
    from deepgrad import random as dg_random
    from deepgrad.ops.image_filters import gaussian_blur

    if interpolation not in ("nearest", "bilinear"):
        raise ValueError("elastic_transform: `interpolation` must be 'nearest' or 'bilinear'. "
                         f"Received: {interpolation!r}")
    x, undo = as_batch(images, data_format, "elastic_transform")
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype("float32")
    n, h, w, _ = x.shape
    rng = dg_random.make_generator(seed)
    size = int(6 * sigma) | 1
    fields = []
    for _ in range(2):
        noise = rng.normal(size=(n, h, w, 1)).astype(dtype) * sigma
        fields.append(gaussian_blur(Tensor(noise), (size, size), (sigma, sigma)).data[..., 0])
    rows, cols = np.meshgrid(np.arange(h, dtype=dtype), np.arange(w, dtype=dtype),
                             indexing="ij")
    batch = np.broadcast_to(np.arange(n, dtype=dtype)[:, None, None], (n, h, w))
    coords = [Tensor(batch), Tensor(rows + alpha * fields[1]), Tensor(cols + alpha * fields[0])]
    out = _sample(tensor_of(x, dtype), coords, 0 if interpolation == "nearest" else 1,
                  fill_mode, fill_value)
    return undo(out if x.dtype == dtype else cast(out, x.dtype))
