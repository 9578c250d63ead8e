"""Filters, colour spaces, patches, crops and box selection (``keras.ops.image``):
``rgb_to_grayscale, rgb_to_hsv, hsv_to_rgb, gaussian_blur, sobel_edges, ssim,
extract_patches, extract_patches_3d, crop_images, pad_images``, and
``non_max_suppression`` (TensorFlow's ``tf.image.non_max_suppression``, which Keras lacks).

All but ``non_max_suppression`` are composites of differentiable ops (depthwise
convolutions, gathers, ``where``), following Keras's TensorFlow backend.

>>> import deepgrad as dg
>>> dg.ops.image.rgb_to_grayscale(dg.Tensor(np.ones((2, 2, 3)))).shape
(2, 2, 1)
"""

from __future__ import annotations

import numpy as np

from deepgrad import config
from deepgrad._image_boxes import non_max_suppression as _non_max_suppression
from deepgrad.ops import elementwise as ew
from deepgrad.ops import reduce as rd
from deepgrad.ops.conv_forms import depthwise_conv
from deepgrad.ops.core import cast, float_tensor, tensor_of
from deepgrad.ops.dtypes import result_type
from deepgrad.ops.image_sampling import as_batch
from deepgrad.ops.products import tensordot
from deepgrad.ops.shaping import expand_dims, getitem, pad, reshape, stack
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor

__all__ = [
    "rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb", "gaussian_blur", "sobel_edges", "ssim",
    "extract_patches", "extract_patches_3d", "crop_images", "pad_images",
    "non_max_suppression",
]


def _first(data_format, name: str = "data_format") -> bool:
    """Whether ``data_format`` (None: :func:`deepgrad.config.image_data_format`, as Keras)
    is channels first."""
    return config.standardize_data_format(data_format, name) == "channels_first"


def _channels_axis(data_format) -> int:
    return -3 if _first(data_format) else -1


@op(name="image.rgb_to_grayscale")
def rgb_to_grayscale(images, data_format=None) -> Tensor:
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B`` as one channel (as ``tf.image``).

    >>> rgb_to_grayscale(Tensor([[[1.0, 0.0, 0.0]]]))
    Tensor([[[0.2989]]], dtype=float32)
    """
    x = tensor_of(images)
    axis = _channels_axis(data_format)
    if x.ndim not in (3, 4) or x.shape[axis] not in (1, 3):
        raise ValueError(
            "rgb_to_grayscale: expected rank 3 or 4 images with 1 or 3 channels. Received: "
            f"images.shape={x.shape}"
        )
    if x.shape[axis] == 1:
        return x
    compute = tensor_of(x, result_type(x.dtype.name, float))
    weights = np.array([0.2989, 0.5870, 0.1140], compute.dtype)
    gray = expand_dims(tensordot(compute, weights, axes=([axis % x.ndim], [0])), axis)
    return gray if x.dtype == compute.dtype else cast(gray, x.dtype)


def _planes(x: Tensor, axis: int) -> list[Tensor]:
    return [getitem(x, (Ellipsis, i) + (slice(None),) * (-axis - 1)) for i in range(3)]


@op(name="image.rgb_to_hsv")
def rgb_to_hsv(images, data_format=None) -> Tensor:
    """RGB in [0, 1] to hue, saturation, value (each in [0, 1]).

    >>> rgb_to_hsv(Tensor([[[1.0, 0.0, 0.0]]]))
    Tensor([[[0., 1., 1.]]], dtype=float32)
    """
    x = tensor_of(images)
    if x.dtype.kind != "f":
        raise ValueError(f"rgb_to_hsv: expected float images. Received: dtype={x.dtype}")
    axis = _channels_axis(data_format)
    eps = np.finfo(x.dtype).eps
    x = ew.where(np.abs(x.data) < eps, np.zeros((), x.dtype), x)
    r, g, b = _planes(x, axis)
    value = ew.maximum(ew.maximum(r, g), b)
    spread = ew.subtract(value, ew.minimum(ew.minimum(r, g), b))
    safe_value = ew.where(value.data > 0, value, np.ones((), x.dtype))
    safe_spread = ew.where(spread.data > 0, spread, np.ones((), x.dtype))
    saturation = ew.where(value.data > 0, ew.divide(spread, safe_value), np.zeros((), x.dtype))
    norm = ew.divide(1.0, ew.multiply(safe_spread, 6.0))
    hue = ew.where(value.data == g.data,
                   ew.add(ew.multiply(norm, ew.subtract(b, r)), 2.0 / 6.0),
                   ew.add(ew.multiply(norm, ew.subtract(r, g)), 4.0 / 6.0))
    hue = ew.where(value.data == r.data, ew.multiply(norm, ew.subtract(g, b)), hue)
    wrapped = (hue.data < 0).astype(x.dtype)
    hue = ew.add(ew.where(spread.data > 0, hue, np.zeros((), x.dtype)), wrapped)
    return stack([hue, saturation, value], axis=axis)


@op(name="image.hsv_to_rgb")
def hsv_to_rgb(images, data_format=None) -> Tensor:
    """Hue, saturation, value (in [0, 1]) to RGB.

    >>> hsv_to_rgb(Tensor([[[0.0, 1.0, 1.0]]]))
    Tensor([[[1., 0., 0.]]], dtype=float32)
    """
    x = tensor_of(images)
    if x.dtype.kind != "f":
        raise ValueError(f"hsv_to_rgb: expected float images. Received: dtype={x.dtype}")
    axis = _channels_axis(data_format)
    hue, saturation, value = _planes(x, axis)
    from deepgrad.ops.binary import mod

    dh = ew.multiply(mod(hue, 1.0), 6.0)
    dr = ew.clip(ew.subtract(ew.abs(ew.subtract(dh, 3.0)), 1.0), 0.0, 1.0)
    dg = ew.clip(ew.subtract(2.0, ew.abs(ew.subtract(dh, 2.0))), 0.0, 1.0)
    db = ew.clip(ew.subtract(2.0, ew.abs(ew.subtract(dh, 4.0))), 0.0, 1.0)
    rest = ew.subtract(1.0, saturation)
    planes = [ew.multiply(value, ew.add(rest, ew.multiply(saturation, d))) for d in (dr, dg, db)]
    return stack(planes, axis=axis)


def _gaussian_1d(size: int, sigma: float) -> np.ndarray:
    x = np.arange(size) - (size - 1) / 2
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


@op(name="image.gaussian_blur")
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None) -> Tensor:
    """Blur with a Gaussian kernel (``'same'`` size, zero padding), channel by channel.

    >>> gaussian_blur(Tensor(np.ones((1, 5, 5, 1))))[0, 2, 2, 0]
    Tensor(1., dtype=float64)
    """
    x, undo = as_batch(images, data_format, "gaussian_blur")
    x = float_tensor(x)
    size = [int(s) for s in np.broadcast_to(np.asarray(tensor_of(kernel_size).data), (2,))]
    sig = [float(s) for s in np.broadcast_to(np.asarray(tensor_of(sigma).data), (2,))]
    kernel = np.outer(_gaussian_1d(size[1], sig[1]), _gaussian_1d(size[0], sig[0]))
    kernel = kernel.reshape(size[0], size[1], 1, 1)
    kernel = np.tile(kernel, (1, 1, x.shape[-1], 1)).astype(x.dtype)
    return undo(depthwise_conv(x, kernel, padding="same"))


@op(name="image.sobel_edges")
def sobel_edges(images, data_format=None) -> Tensor:
    """Sobel gradients ``(..., 2)``: vertical ``dy`` then horizontal ``dx`` per channel
    (reflect padding, as ``tf.image.sobel_edges``).

    >>> sobel_edges(Tensor(np.arange(9.0).reshape(1, 3, 3, 1)))[0, 1, 1, 0]
    Tensor([24.,  8.], dtype=float64)
    """
    x = float_tensor(images)
    first = _first(data_format, "sobel_edges")
    if first:
        from deepgrad.ops.shaping import moveaxis

        x = moveaxis(x, 1, -1)
    dy = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], x.dtype)
    kernels = np.stack([dy, dy.T], -1)[:, :, None, :]  # (3, 3, 1, 2)
    padded = pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    c = x.shape[-1]
    edges = depthwise_conv(padded, np.tile(kernels, (1, 1, c, 1)))  # channel-major pairs
    edges = reshape(edges, x.shape[:3] + (c, 2))
    if first:
        from deepgrad.ops.shaping import transpose

        edges = transpose(edges, (0, 3, 1, 2, 4))
    return edges


@op(name="image.ssim")
def ssim(image1, image2, max_val: float = 1.0, filter_size: int = 11,
         filter_sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03,
         data_format=None) -> Tensor:
    """Structural similarity of two image batches (Gaussian window, ``'valid'``), averaged
    over positions and channels: one value per image.

    >>> img = Tensor(np.random.default_rng(0).uniform(size=(1, 16, 16, 1)))
    >>> ssim(img, img, filter_size=5)
    Tensor([1.], dtype=float64)
    """
    a, undo = as_batch(image1, data_format, "ssim")
    b, _ = as_batch(image2, data_format, "ssim")
    original = a.dtype
    a, b = float_tensor(a), float_tensor(b)
    window = np.outer(*[_gaussian_1d(filter_size, filter_sigma)] * 2)
    kernel = np.tile(window[:, :, None, None], (1, 1, a.shape[-1], 1)).astype(a.dtype)

    def blur(t):
        return depthwise_conv(t, kernel)

    mu1, mu2 = blur(a), blur(b)
    mu1_sq, mu2_sq, mu12 = ew.square(mu1), ew.square(mu2), ew.multiply(mu1, mu2)
    s1 = ew.subtract(blur(ew.square(a)), mu1_sq)
    s2 = ew.subtract(blur(ew.square(b)), mu2_sq)
    s12 = ew.subtract(blur(ew.multiply(a, b)), mu12)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    top = ew.multiply(ew.add(ew.multiply(mu12, 2.0), c1), ew.add(ew.multiply(s12, 2.0), c2))
    bottom = ew.multiply(ew.add(ew.add(mu1_sq, mu2_sq), c1), ew.add(ew.add(s1, s2), c2))
    value = rd.mean(ew.divide(top, bottom), axis=(1, 2, 3))
    value = value if tensor_of(image1).ndim == 4 else reshape(value, ())
    return value if value.dtype == original or original.kind != "f" else cast(value, original)


def _patches(x: Tensor, size, strides, dilation, padding: str, name: str) -> Tensor:
    """Patches of a channels-last batch over its spatial axes, flattened as
    ``(*size, channels)``, by one gather."""
    n = len(size)
    spatial = x.shape[1:-1]
    if padding not in ("valid", "same"):
        raise ValueError(f"{name}: `padding` must be 'valid' or 'same'. Received: {padding!r}")
    if padding == "same":
        widths = []
        for length, k, s, d in zip(spatial, size, strides, dilation):
            out = -(-length // s)
            total = max((out - 1) * s + (k - 1) * d + 1 - length, 0)
            widths.append((total // 2, total - total // 2))
        x = pad(x, [(0, 0), *widths, (0, 0)])
        spatial = x.shape[1:-1]
    outs = [(length - (k - 1) * d - 1) // s + 1
            for length, k, s, d in zip(spatial, size, strides, dilation)]
    index = []
    for axis, (o, k, s, d) in enumerate(zip(outs, size, strides, dilation)):
        index.append((np.arange(o)[:, None] * s + np.arange(k)[None, :] * d)
                     .reshape([o if i == axis else 1 for i in range(n)]
                              + [k if i == axis else 1 for i in range(n)]))
    gathered = getitem(x, (slice(None), *index))  # (N, *outs, *size, C)
    return reshape(gathered, (x.shape[0], *outs, -1))


def _extract(images, size, strides, dilation_rate, padding, data_format, n: int, name: str):
    x = tensor_of(images)
    size = (int(size),) * n if np.ndim(size) == 0 else tuple(int(s) for s in size)
    if len(size) != n:
        raise TypeError(f"{name}: `size` must be an int or a tuple of {n}. Received: {size}")
    strides = size if not strides else (
        (int(strides),) * n if np.ndim(strides) == 0 else tuple(int(s) for s in strides))
    dilation = (int(dilation_rate),) * n if np.ndim(dilation_rate) == 0 else tuple(dilation_rate)
    single = x.ndim == n + 1
    if single:
        x = reshape(x, (1,) + x.shape)
    first = _first(data_format, name)
    from deepgrad.ops.shaping import moveaxis

    if first:
        x = moveaxis(x, 1, -1)
    out = _patches(x, size, strides, dilation, padding.lower(), name)
    if first:
        out = moveaxis(out, -1, 1)
    return reshape(out, out.shape[1:]) if single else out


@op(name="image.extract_patches")
def extract_patches(images, size, strides=None, dilation_rate=1, padding: str = "valid",
                    data_format=None) -> Tensor:
    """Image patches as vectors ``(N, out_h, out_w, ph * pw * C)`` (``size`` an int or a
    pair; ``strides`` default to ``size``); a 3-tuple ``size`` extracts 3-D patches.

    >>> extract_patches(Tensor(np.zeros((1, 4, 4, 3))), 2).shape
    (1, 2, 2, 12)
    """
    if np.ndim(size) == 1 and len(size) == 3:
        return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    return _extract(images, size, strides, dilation_rate, padding, data_format, 2,
                    "extract_patches")


@op(name="image.extract_patches_3d")
def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding: str = "valid",
                       data_format=None) -> Tensor:
    """Volume patches as vectors ``(N, out_d, out_h, out_w, pd * ph * pw * C)``.

    >>> extract_patches_3d(Tensor(np.zeros((1, 4, 4, 4, 1))), 2).shape
    (1, 2, 2, 2, 8)
    """
    return _extract(volumes, size, strides, dilation_rate, padding, data_format, 3,
                    "extract_patches_3d")


def _exactly_two(name: str, names: tuple, values: tuple) -> None:
    if values.count(None) != 1:
        raise ValueError(
            f"{name}: give exactly two of {', '.join(names)}. Received: "
            + ", ".join(f"{n}={v}" for n, v in zip(names, values))
        )
    for n, v in zip(names, values):
        if v is not None and v < 0:
            raise ValueError(f"{name}: {n} must be >= 0. Received: {n}={v}")


def _spatial(x: Tensor, data_format) -> tuple[int, int]:
    return (x.shape[-3], x.shape[-2]) if not _first(data_format) else x.shape[-2:]


def _region(x: Tensor, data_format, rows: slice, cols: slice) -> tuple:
    if _first(data_format):
        return (Ellipsis, rows, cols)
    return (Ellipsis, rows, cols, slice(None))


@op(name="image.crop_images")
def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None,
                data_format=None) -> Tensor:
    """Crop images, given two of (top, bottom, target height) and two of (left, right,
    target width).

    >>> crop_images(Tensor(np.zeros((4, 4, 1))), 1, 1, target_height=2, target_width=2).shape
    (2, 2, 1)
    """
    x = tensor_of(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"crop_images: expected rank 3 or 4 images. Received: {x.shape}")
    _exactly_two("crop_images", ("top_cropping", "bottom_cropping", "target_height"),
                 (top_cropping, bottom_cropping, target_height))
    _exactly_two("crop_images", ("left_cropping", "right_cropping", "target_width"),
                 (left_cropping, right_cropping, target_width))
    h, w = _spatial(x, data_format)
    top = h - target_height - bottom_cropping if top_cropping is None else top_cropping
    height = h - bottom_cropping - top if target_height is None else target_height
    left = w - target_width - right_cropping if left_cropping is None else left_cropping
    width = w - right_cropping - left if target_width is None else target_width
    for n, v in (("top_cropping", top), ("target_height", height), ("left_cropping", left),
                 ("target_width", width)):
        if v < 0:
            raise ValueError(f"crop_images: {n} must be >= 0. Received: {n}={v}")
    return getitem(x, _region(x, data_format, slice(top, top + height),
                              slice(left, left + width)))


@op(name="image.pad_images")
def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None,
               data_format=None) -> Tensor:
    """Zero-pad images, given two of (top, bottom, target height) and two of (left, right,
    target width).

    >>> pad_images(Tensor(np.ones((2, 2, 1))), 1, 1, target_height=4, target_width=4).shape
    (4, 4, 1)
    """
    x = tensor_of(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"pad_images: expected rank 3 or 4 images. Received: {x.shape}")
    _exactly_two("pad_images", ("top_padding", "bottom_padding", "target_height"),
                 (top_padding, bottom_padding, target_height))
    _exactly_two("pad_images", ("left_padding", "right_padding", "target_width"),
                 (left_padding, right_padding, target_width))
    h, w = _spatial(x, data_format)
    top = target_height - bottom_padding - h if top_padding is None else top_padding
    bottom = target_height - top - h if bottom_padding is None else bottom_padding
    left = target_width - right_padding - w if left_padding is None else left_padding
    right = target_width - left - w if right_padding is None else right_padding
    for n, v in (("top_padding", top), ("bottom_padding", bottom), ("left_padding", left),
                 ("right_padding", right)):
        if v < 0:
            raise ValueError(f"pad_images: {n} must be >= 0. Received: {n}={v}")
    spatial = [(top, bottom), (left, right)]
    widths = [(0, 0)] + spatial if _first(data_format) else spatial + [(0, 0)]
    if x.ndim == 4:
        widths = [(0, 0)] + widths
    return pad(x, widths)


@op(name="image.non_max_suppression")
def non_max_suppression(boxes, scores, max_output_size: int, iou_threshold: float = 0.5,
                        score_threshold: float = float("-inf")) -> Tensor:
    """Greedy non-maximum suppression, as ``tf.image.non_max_suppression``: the indices
    (int32, best first) of at most ``max_output_size`` boxes ``[y1, x1, y2, x2]`` (corners in
    either order) whose overlap with every better kept box is at most ``iou_threshold``
    and whose score exceeds ``score_threshold``. No gradient. The same rule as
    ``dg.image.non_max_suppression`` (one implementation), as a Tensor.

    >>> boxes = [[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 2, 1, 3]]
    >>> non_max_suppression(boxes, [0.9, 0.8, 0.7], 3)
    Tensor([0, 2], dtype=int32)
    """
    kept = _non_max_suppression(tensor_of(boxes).data, tensor_of(scores).data,
                                max_output_size, iou_threshold, score_threshold)
    return Tensor(np.asarray(kept, np.int32))
