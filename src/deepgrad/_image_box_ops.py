"""Box arithmetic for detection with Keras 3's names: crop, pad, affine moves, CIoU, and
the anchor deltas of a regression head. NumPy only (a leaf, like :mod:`_image_boxes`).

The numbers are Keras 3.15's (``tests/fixtures/make_keras_boxes.py`` records them), with
one noted difference: Keras's ``crop`` docstring prints ``[[0, 10, 30, 50], ...]`` for its
example, but its code clips to the crop's height (``40``); deepgrad gives what Keras's code
gives.

>>> import numpy as np
>>> boxes = np.array([[10, 20, 50, 60], [70, 80, 100, 120]], "float32")
>>> crop(boxes, top=10, left=20, height=40, width=30)
array([[ 0., 10., 30., 40.],
       [30., 40., 30., 40.]], dtype=float32)
>>> anchors = np.array([[0, 0, 10, 10]], "float32")
>>> deltas = encode_box_to_deltas(anchors, np.array([[1, 1, 11, 13]], "float32"),
...                               "xyxy", "xyxy")
>>> decode_deltas_to_boxes(anchors, deltas, "xyxy", "xyxy").round(4)
array([[ 1.,  1., 11., 13.]], dtype=float32)
"""

from __future__ import annotations

import math

import numpy as np

from deepgrad import config
from deepgrad._image_boxes import _split, box_array, convert_format

__all__ = ["affine_transform", "compute_ciou", "crop", "decode_deltas_to_boxes",
           "encode_box_to_deltas", "pad"]

_ENCODINGS = ("center_xywh", "center_yxhw")


def _xyxy_only(name: str, bounding_box_format: str) -> None:
    if bounding_box_format != "xyxy":
        raise NotImplementedError(
            f"{name}: only bounding_box_format='xyxy' is supported, as in Keras 3. Received: "
            f"bounding_box_format={bounding_box_format!r}. To fix, convert first with "
            "convert_format(boxes, source, 'xyxy').")


def _boxes(where: str, boxes) -> np.ndarray:
    array = box_array(where, "boxes", boxes)
    return array.astype(np.result_type(array.dtype, np.float32), copy=False)


def crop(boxes, top, left, height, width, bounding_box_format: str = "xyxy") -> np.ndarray:
    """The boxes in the frame of a crop ``height x width`` at ``(top, left)``, clipped to it.

    >>> crop(np.array([[5.0, 5.0, 20.0, 20.0]]), top=10, left=0, height=5, width=30)
    array([[ 5.,  0., 20.,  5.]])
    """
    _xyxy_only("crop", bounding_box_format)
    boxes = _boxes("crop", boxes)
    shift = np.array([left, top, left, top], boxes.dtype)
    limit = np.array([width, height, width, height], boxes.dtype)
    return np.clip(boxes - shift, 0, limit).astype(boxes.dtype)


def pad(boxes, top, left, height=None, width=None, bounding_box_format: str = "xyxy"
        ) -> np.ndarray:
    """The boxes in the frame of an image padded by ``top`` rows and ``left`` columns
    (``height`` and ``width`` are accepted as Keras accepts them, and unused).

    >>> pad(np.array([[1.0, 2.0, 3.0, 4.0]]), top=10, left=5)
    array([[ 6., 12.,  8., 14.]])
    """
    _xyxy_only("pad", bounding_box_format)
    boxes = _boxes("pad", boxes)
    return boxes + np.array([left, top, left, top], boxes.dtype)


def _per_batch(value, batch: int, dtype) -> np.ndarray:
    array = np.asarray(value, dtype)
    return np.broadcast_to(array, (batch,)) if array.ndim == 0 else array.reshape(batch)


def _inverse_affine_matrix(center_x, center_y, angle, translate_x, translate_y, scale,
                           shear_x, shear_y, height, width) -> np.ndarray:
    """Keras's (TensorFlow's) inverse affine matrix, one ``(3, 3)`` per batch entry."""
    cx, cy = center_x * (width - 1), center_y * (height - 1)
    rot = -angle * math.pi / 180
    tx, ty = -translate_x * (width - 1), -translate_y * (height - 1)
    sx, sy = -shear_x * math.pi / 180, -shear_y * math.pi / 180
    cos_sy, tan_sx = np.cos(sy), np.tan(sx)
    a = np.cos(rot - sy) / cos_sy
    b = a * tan_sx + np.sin(rot)
    c = -np.sin(rot - sy) / cos_sy
    d = np.cos(rot) - c * tan_sx
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    zeros, ones = np.zeros_like(a0), np.ones_like(a0)
    return np.stack([a0, a1, a2, b0, b1, b2, zeros, zeros, ones], -1).reshape(-1, 3, 3)


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y, height,
                     width, center_x=None, center_y=None, bounding_box_format: str = "xyxy"
                     ) -> np.ndarray:
    """Move boxes as Keras's augmentation moves their image: each box's four corners go
    through the affine map and the box becomes their bounding box.

    Args:
        boxes: ``(batch, N, 4)`` (or ``(N, 4)``, one image) in ``xyxy``.
        angle, shear_x, shear_y: degrees; translate_x, translate_y, center_x, center_y:
            fractions of the image (centre 0.5 by default); scale: a factor. Each a number
            or one per batch entry.
        height, width: the image's size.

    >>> affine_transform(np.array([[0.0, 0.0, 10.0, 10.0]]), 0, 0.5, 0, 1, 0, 0, 21, 21)
    array([[10.,  0., 20., 10.]])
    """
    _xyxy_only("affine_transform", bounding_box_format)
    array = _boxes("affine_transform", boxes)
    points = array if array.ndim == 3 else array[None]
    batch, dtype = points.shape[0], np.result_type(points.dtype, np.float32)
    values = [_per_batch(v, batch, dtype) for v in (
        0.5 if center_x is None else center_x, 0.5 if center_y is None else center_y,
        angle, translate_x, translate_y, scale, shear_x, shear_y)]
    matrix = _inverse_affine_matrix(*values, height, width)
    x1, y1, x2, y2 = _split(points.astype(dtype))
    corners = np.stack([np.stack(p, -1) for p in ((x1, y1), (x2, y1), (x2, y2), (x1, y2))], 2)
    moved = corners @ matrix[:, None, :2, :2].transpose(0, 1, 3, 2) + matrix[:, None, None, :2, 2]
    out = np.concatenate([moved.min(axis=2), moved.max(axis=2)], -1).astype(dtype)
    return out if array.ndim == 3 else out[0]


def compute_ciou(boxes1, boxes2, bounding_box_format: str, image_shape=None) -> np.ndarray:
    """Complete IoU of matching boxes (elementwise, not every pair): the IoU less the
    squared centre distance over the enclosing box's squared diagonal, less the aspect-ratio
    term (Zheng et al. 2020); ``1 - compute_ciou`` is the CIoU loss.

    >>> compute_ciou(np.array([[0.0, 0.0, 2.0, 2.0]]), np.array([[0.0, 0.0, 2.0, 2.0]]),
    ...              "xyxy").round(4)
    array([1.], dtype=float32)
    """
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(
            "compute_ciou: relative box formats (e.g. 'rel_yxyx') need `image_shape`. "
            f"Received: bounding_box_format={bounding_box_format!r}, image_shape=None")
    height, width = (None, None) if image_shape is None else image_shape[:2]
    a = convert_format(boxes1, bounding_box_format, "xyxy", height=height, width=width)
    b = convert_format(boxes2, bounding_box_format, "xyxy", height=height, width=width)
    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = _split(a), _split(b)
    eps = config.epsilon()  # Keras reads backend.epsilon() here
    w1, h1 = ax2 - ax1, ay2 - ay1 + eps
    w2, h2 = bx2 - bx1, by2 - by1 + eps
    inter = (np.maximum(np.minimum(ax2, bx2) - np.maximum(ax1, bx1), 0)
             * np.maximum(np.minimum(ay2, by2) - np.maximum(ay1, by1), 0))
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / (union + eps)
    diagonal = ((np.maximum(ax2, bx2) - np.minimum(ax1, bx1)) ** 2
                + (np.maximum(ay2, by2) - np.minimum(ay1, by1)) ** 2 + eps)
    centres = ((ax1 + ax2) / 2 - (bx1 + bx2) / 2) ** 2 + ((ay1 + ay2) / 2 - (by1 + by2) / 2) ** 2
    v = 4 / math.pi**2 * (np.arctan(w2 / h2) - np.arctan(w1 / h1)) ** 2
    alpha = v / (v - iou + (1 + eps))
    return iou - (centres / diagonal + v * alpha)


def _variance(name: str, variance):
    if variance is None:
        return None
    array = np.asarray(variance, np.float32)
    if array.shape[-1:] != (4,):
        raise ValueError(f"{name}: `variance` must be length 4. Received: {variance!r}")
    return array


def _encoding(name: str, arg: str, value: str) -> str:
    if value not in _ENCODINGS:
        raise ValueError(f"{name}: `{arg}` must be one of {_ENCODINGS}. Received: "
                         f"{arg}={value!r}")
    return value


def encode_box_to_deltas(anchors, boxes, anchor_format: str, box_format: str,
                         encoding_format: str = "center_yxhw", variance=None,
                         image_shape=None) -> np.ndarray:
    """The regression targets of ``boxes`` against ``anchors``: centre offsets in anchor
    sizes and log size ratios (in ``encoding_format``'s order), divided by ``variance``.

    Args:
        anchors: ``(N, 4)``; boxes: ``(N, 4)`` or ``(batch, N, 4)``.
        anchor_format, box_format: their box formats; image_shape: ``(height, width, c)``
            for relative formats.

    >>> encode_box_to_deltas(np.array([[0, 0, 10, 10]], "f4"), np.array([[0, 0, 20, 10]], "f4"),
    ...                      "xyxy", "xyxy").round(4)
    array([[0.    , 0.5   , 0.    , 0.6931]], dtype=float32)
    """
    name = "encode_box_to_deltas"
    variance = _variance(name, variance)
    fmt = _encoding(name, "encoding_format", encoding_format)
    height, width = (None, None) if image_shape is None else image_shape[:2]
    a = convert_format(anchors, anchor_format, fmt, height=height, width=width)
    b = convert_format(boxes, box_format, fmt, height=height, width=width)
    eps = config.epsilon()  # Keras reads backend.epsilon() here
    a_size = np.maximum(a[..., 2:], eps)
    b_size = np.maximum(b[..., 2:], eps)
    deltas = np.concatenate([(b[..., :2] - a[..., :2]) / a_size, np.log(b_size / a_size)], -1)
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format: str, box_format: str,
                           encoded_format: str = "center_yxhw", variance=None,
                           image_shape=None):
    """Boxes from a regression head's deltas against ``anchors`` (the inverse of
    :func:`encode_box_to_deltas`); dicts of levels (``{level: anchors}`` with the same keys
    in ``boxes_delta``) give a dict of boxes per level, as in Keras.

    >>> decode_deltas_to_boxes(np.array([[0, 0, 10, 10]], "f4"),
    ...                        np.array([[0, 0.5, 0, np.log(2)]], "f4"), "xyxy", "xyxy")
    array([[ 0.,  0., 20., 10.]], dtype=float32)
    """
    name = "decode_deltas_to_boxes"
    variance = _variance(name, variance)
    fmt = _encoding(name, "encoded_format", encoded_format)
    height, width = (None, None) if image_shape is None else image_shape[:2]

    def one_level(anchor, delta):
        a = convert_format(anchor, anchor_format, fmt, height=height, width=width)
        delta = np.asarray(delta, a.dtype) if variance is None else np.asarray(delta) * variance
        box = np.concatenate([delta[..., :2] * a[..., 2:] + a[..., :2],
                              np.exp(delta[..., 2:]) * a[..., 2:]], -1)
        return convert_format(box, fmt, box_format, height=height, width=width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        if anchors.keys() != boxes_delta.keys():
            raise ValueError(f"{name}: `anchors` and `boxes_delta` must have the same levels. "
                             f"Received: {sorted(anchors)} and {sorted(boxes_delta)}")
        return {level: one_level(anchors[level], boxes_delta[level]) for level in anchors}
    return one_level(anchors, boxes_delta)
