"""Bounding boxes on NumPy arrays: format conversion, IoU, clipping, non-maximum suppression.

The public names live in :mod:`deepgrad.utils.bounding_boxes` (Keras 3's
``keras.utils.bounding_boxes``) and :func:`deepgrad.image.non_max_suppression`; this
module is private and imports only NumPy, so every part of deepgrad may use it.

Formats are Keras 3's (case-insensitive): ``"xyxy"`` (left, top, right, bottom),
``"yxyx"``, ``"xywh"`` (left, top, width, height), ``"center_xywh"``, ``"center_yxhw"``,
and the relative ``"rel_xyxy"``, ``"rel_yxyx"``, ``"rel_xywh"``, ``"rel_center_xywh"``
(coordinates divided by the image's width and height).

>>> import numpy as np
>>> convert_format(np.array([[10, 20, 30, 40]]), source="xyxy", target="xywh")
array([[10., 20., 20., 20.]], dtype=float32)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from deepgrad import config

__all__ = [
    "SUPPORTED_FORMATS",
    "clip_to_image_size",
    "compute_iou",
    "convert_format",
    "non_max_suppression",
]

SUPPORTED_FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)


def box_array(where: str, name: str, boxes) -> np.ndarray:
    """``boxes`` as an array of shape ``(num_boxes, 4)`` or ``(batch, num_boxes, 4)``; a
    ValueError naming the function and the argument otherwise."""
    array = np.asarray(boxes)
    if array.ndim not in (2, 3) or array.shape[-1] != 4:
        raise ValueError(
            f"{where}: `{name}` must have shape (num_boxes, 4) or (batch, num_boxes, 4). "
            f"Received: {name}.shape={array.shape}")
    return array


def _split(boxes: np.ndarray) -> list[np.ndarray]:
    return [boxes[..., i] for i in range(4)]


def _to_xyxy(boxes: np.ndarray, source: str, height, width) -> np.ndarray:
    a, b, c, d = _split(boxes)
    relative = source.startswith("rel_")
    base = source.removeprefix("rel_")
    if base == "xyxy":
        x1, y1, x2, y2 = a, b, c, d
    elif base == "yxyx":
        y1, x1, y2, x2 = a, b, c, d
    elif base == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif base == "center_xywh":
        x1, y1, x2, y2 = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    else:  # center_yxhw
        x1, y1, x2, y2 = b - d / 2, a - c / 2, b + d / 2, a + c / 2
    if relative:
        x1, y1, x2, y2 = x1 * width, y1 * height, x2 * width, y2 * height
    return np.stack([x1, y1, x2, y2], axis=-1)


def _from_xyxy(boxes: np.ndarray, target: str, height, width) -> np.ndarray:
    x1, y1, x2, y2 = _split(boxes)
    if target.startswith("rel_"):
        x1, y1, x2, y2 = x1 / width, y1 / height, x2 / width, y2 / height
    base = target.removeprefix("rel_")
    w, h = x2 - x1, y2 - y1
    columns = {
        "xyxy": (x1, y1, x2, y2),
        "yxyx": (y1, x1, y2, x2),
        "xywh": (x1, y1, w, h),
        "center_xywh": (x1 + w / 2, y1 + h / 2, w, h),
        "center_yxhw": (y1 + h / 2, x1 + w / 2, h, w),
    }[base]
    return np.stack(columns, axis=-1)


def _check_format(name: str, value, where: str) -> str:
    if not isinstance(value, str) or value.lower() not in SUPPORTED_FORMATS:
        raise ValueError(
            f"{where}: `{name}` must be one of {SUPPORTED_FORMATS}. Received: {name}={value!r}"
        )
    return value.lower()


def convert_format(boxes, source: str, target: str, height=None, width=None,
                   dtype="float32"):
    """Convert bounding boxes from one format to another, as Keras 3's function.

    Args:
        boxes: an array ``(..., 4)``, or a dict whose ``"boxes"`` entry is one (the
            other entries are kept).
        source: the format of ``boxes`` (see the module docstring).
        target: the format to return.
        height: the image height, needed when either format is relative.
        width: the image width, needed when either format is relative.
        dtype: the dtype of the result.

    Returns:
        The converted boxes, same shape; a new dict when ``boxes`` was a dict (Keras
        writes into the dict it receives; deepgrad leaves it alone).

    Raises:
        ValueError: an unknown format, a last axis other than 4, or a relative format
            without ``height`` and ``width``.

    >>> convert_format(np.array([[10, 20, 30, 40]]), "xyxy", "rel_xyxy", height=200, width=100)
    array([[0.1, 0.1, 0.3, 0.2]], dtype=float32)
    """
    if isinstance(boxes, dict):
        result = dict(boxes)
        result["boxes"] = convert_format(boxes["boxes"], source, target, height, width, dtype)
        return result
    where = "convert_format"
    array = np.asarray(boxes)
    if array.ndim == 0 or array.shape[-1] != 4:
        raise ValueError(f"{where}: `boxes` must have a last dimension of 4. "
                         f"Received: boxes.shape={array.shape}")
    source = _check_format("source", source, where)
    target = _check_format("target", target, where)
    if (source.startswith("rel_") or target.startswith("rel_")) and (
            height is None or width is None):
        raise ValueError(
            f"{where}: `height` and `width` are needed to convert between relative and "
            f"absolute formats. Received: source={source!r}, target={target!r}, "
            f"height={height}, width={width}")
    array = array.astype(dtype)
    if source == target:
        return array
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[4:], target[4:]
    cast = np.dtype(dtype).type
    height = None if height is None else cast(height)
    width = None if width is None else cast(width)
    return _from_xyxy(_to_xyxy(array, source, height, width), target, height, width)


def compute_iou(boxes1, boxes2, bounding_box_format: str, use_masking: bool = False,
                mask_val: float = -1, image_shape=None) -> np.ndarray:
    """Intersection over union of every box in ``boxes1`` with every box in ``boxes2``.

    As Keras 3's ``keras.utils.bounding_boxes.compute_iou``: boxes of shape ``(M, 4)``
    or ``(batch, M, 4)``; ``(M, 4)`` with ``(N, 4)`` gives ``(M, N)``, and a batched
    input on either side gives ``(batch, M, N)``. The union has ``1e-7`` added, as Keras.

    Args:
        boxes1: the first boxes.
        boxes2: the second boxes.
        bounding_box_format: the format of both (see the module docstring).
        use_masking: where a box's four values are all negative (padding), write
            ``mask_val`` instead of its IoU.
        mask_val: the value for masked pairs.
        image_shape: ``(height, width, channels)``, needed for relative formats.

    Returns:
        The IoU table, float32.

    Raises:
        ValueError: boxes of another rank, or a relative format without ``image_shape``.

    >>> boxes = np.array([[0, 0, 10, 10], [5, 5, 15, 15]])
    >>> compute_iou(boxes, boxes, "xyxy").round(3)
    array([[1.   , 0.143],
           [0.143, 1.   ]], dtype=float32)
    """
    where = "compute_iou"
    a, b = box_array(where, "boxes1", boxes1), box_array(where, "boxes2", boxes2)
    fmt = _check_format("bounding_box_format", bounding_box_format, where)
    if fmt.startswith("rel_") and image_shape is None:
        raise ValueError(f"{where}: relative formats need `image_shape`. "
                         f"Received: bounding_box_format={bounding_box_format!r}, "
                         f"image_shape=None")
    height, width = (None, None) if image_shape is None else tuple(image_shape)[:2]
    a = convert_format(a, fmt, "xyxy", height, width)
    b = convert_format(b, fmt, "xyxy", height, width)
    x1, y1, x2, y2 = _split(a[..., :, None, :])
    u1, v1, u2, v2 = _split(b[..., None, :, :])
    inter = (np.maximum(np.minimum(x2, u2) - np.maximum(x1, u1), 0)
             * np.maximum(np.minimum(y2, v2) - np.maximum(y1, v1), 0))
    union = (x2 - x1) * (y2 - y1) + (u2 - u1) * (v2 - v1) - inter
    iou = (inter / (union + np.float32(config.epsilon()))).astype(np.float32)
    if use_masking:
        background = (a.max(axis=-1) < 0)[..., :, None] | (b.max(axis=-1) < 0)[..., None, :]
        iou = np.where(background, np.float32(mask_val), iou)
    return iou


def clip_to_image_size(bounding_boxes: dict, height=None, width=None,
                       bounding_box_format: str = "xyxy") -> dict:
    """Clip boxes to the image; a box left with no area gets the label -1, as Keras 3.

    Args:
        bounding_boxes: a dict with ``"boxes"`` ``(N, 4)`` or ``(batch, N, 4)`` and
            optionally ``"labels"`` ``(N,)`` or ``(batch, N)``.
        height: the image height (needed for ``"xyxy"``).
        width: the image width (needed for ``"xyxy"``).
        bounding_box_format: ``"xyxy"`` or ``"rel_xyxy"`` (Keras supports only these).

    Returns:
        A new dict with the clipped boxes and the updated labels.

    >>> out = clip_to_image_size({"boxes": np.array([[-10., -20, 150, 160], [50, 40, 50, 80]]),
    ...                           "labels": np.array([0, 1])}, height=100, width=120)
    >>> out["boxes"].tolist(), out["labels"].tolist()
    ([[0.0, 0.0, 120.0, 100.0], [50.0, 40.0, 50.0, 80.0]], [0, -1])
    """
    where = "clip_to_image_size"
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(
            f"{where}: only 'xyxy' and 'rel_xyxy' are supported, as in Keras. To fix, "
            f"convert_format(...) first. Received: bounding_box_format={bounding_box_format!r}")
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError(f"{where}: `height` and `width` must be set for 'xyxy'. "
                         f"Received: height={height}, width={width}")
    boxes = np.asarray(bounding_boxes["boxes"])
    limit_x, limit_y = (1.0, 1.0) if bounding_box_format == "rel_xyxy" else (width, height)
    x1, y1, x2, y2 = _split(boxes)
    clipped = np.stack([np.clip(x1, 0, limit_x), np.clip(y1, 0, limit_y),
                        np.clip(x2, 0, limit_x), np.clip(y2, 0, limit_y)], axis=-1)
    result = dict(bounding_boxes)
    result["boxes"] = clipped.astype(boxes.dtype, copy=False)
    if "labels" in bounding_boxes and bounding_boxes["labels"] is not None:
        area = (clipped[..., 2] - clipped[..., 0]) * (clipped[..., 3] - clipped[..., 1])
        result["labels"] = np.where(area > 0, bounding_boxes["labels"], -1)
    return result


def non_max_suppression(boxes: ArrayLike, scores: ArrayLike, max_output_size: int,
                        iou_threshold: float = 0.5, score_threshold: float = float("-inf"),
                        bounding_box_format: str = "yxyx") -> np.ndarray:
    """Greedy non-maximum suppression: the indices of the boxes to keep, best first.

    As ``tf.image.non_max_suppression`` (Keras 3 has no such op): boxes are visited
    from the highest score down (ties: the lower index first); a box is kept unless its
    IoU with a box already kept is above ``iou_threshold``; boxes whose score is not
    above ``score_threshold`` are dropped; at most ``max_output_size`` are kept. Boxes
    are ``(y1, x1, y2, x2)`` as in TensorFlow unless ``bounding_box_format`` says
    otherwise (a deepgrad addition); corners may come in either order.

    Args:
        boxes: ``(num_boxes, 4)``.
        scores: ``(num_boxes,)``.
        max_output_size: the most boxes to keep.
        iou_threshold: overlap above which the lower-scored box is suppressed.
        score_threshold: boxes scoring this or less are never kept.
        bounding_box_format: the format of ``boxes``.

    Returns:
        int32 indices into ``boxes``, shape ``(kept,)``.

    Raises:
        ValueError: shapes that do not match, a negative ``max_output_size``, or an
            ``iou_threshold`` outside [0, 1].

    >>> boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]])
    >>> non_max_suppression(boxes, [0.9, 0.8, 0.7], max_output_size=10)
    array([0, 2], dtype=int32)
    """
    where = "non_max_suppression"
    box_array = np.asarray(boxes, dtype=np.float64)
    score_array = np.asarray(scores, dtype=np.float64)
    if box_array.ndim != 2 or box_array.shape[1] != 4:
        raise ValueError(f"{where}: `boxes` must have shape (num_boxes, 4). "
                         f"Received: boxes.shape={box_array.shape}")
    if score_array.shape != (len(box_array),):
        raise ValueError(f"{where}: `scores` must have shape ({len(box_array)},), one per box. "
                         f"Received: scores.shape={score_array.shape}")
    if int(max_output_size) < 0:
        raise ValueError(f"{where}: `max_output_size` must be >= 0. "
                         f"Received: max_output_size={max_output_size}")
    if not 0.0 <= float(iou_threshold) <= 1.0:
        raise ValueError(f"{where}: `iou_threshold` must be in [0, 1]. "
                         f"Received: iou_threshold={iou_threshold}")
    fmt = _check_format("bounding_box_format", bounding_box_format, where)
    if fmt.startswith("rel_"):
        fmt = fmt[4:]  # IoU does not change when both axes are scaled
    xyxy = _from_xyxy(_to_xyxy(box_array, fmt, None, None), "xyxy", None, None)
    x1 = np.minimum(xyxy[:, 0], xyxy[:, 2])
    x2 = np.maximum(xyxy[:, 0], xyxy[:, 2])
    y1 = np.minimum(xyxy[:, 1], xyxy[:, 3])
    y2 = np.maximum(xyxy[:, 1], xyxy[:, 3])
    area = (x2 - x1) * (y2 - y1)
    order = np.argsort(-score_array, kind="stable")
    order = order[score_array[order] > score_threshold]
    keep: list[int] = []
    while order.size and len(keep) < int(max_output_size):
        best, rest = order[0], order[1:]
        keep.append(int(best))
        inter = (np.maximum(np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]), 0)
                 * np.maximum(np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]), 0))
        union = area[best] + area[rest] - inter
        iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        order = rest[iou <= iou_threshold]
    return np.asarray(keep, dtype=np.int32)
