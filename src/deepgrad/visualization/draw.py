"""``draw_bounding_boxes`` and ``draw_segmentation_masks``: Keras 3's functions on arrays.

Both return NumPy arrays and need only NumPy and Pillow (Keras draws boxes with OpenCV;
deepgrad draws with Pillow's ``ImageDraw``, so text looks a little different).

>>> import numpy as np
>>> images = np.zeros((1, 20, 20, 3), np.uint8)
>>> boxes = {"boxes": np.array([[[2, 2, 12, 12]]]), "labels": np.array([[0]])}
>>> out = draw_bounding_boxes(images, boxes, "xyxy", color=(255, 0, 0), line_thickness=1)
>>> out[0, 2, 2:13, 0].tolist() == [255] * 11, out[0, 7, 7].tolist()
(True, [0, 0, 0])
"""

from __future__ import annotations

import numpy as np

from deepgrad import config
from deepgrad._image_boxes import convert_format

__all__ = ["draw_bounding_boxes", "draw_segmentation_masks"]


def _batch4(images, who: str) -> np.ndarray:
    array = np.asarray(images)
    if array.ndim != 4:
        raise ValueError(f"{who}: `images` must be a batch of rank 4 (batch, height, width, "
                         f"channels). Received: images.shape={array.shape}")
    return array


def _channels_last(array: np.ndarray, data_format: str | None, who: str) -> np.ndarray:
    data_format = config.standardize_data_format(data_format, who)
    return array.transpose(0, 2, 3, 1) if data_format == "channels_first" else array


def _to_uint8(images: np.ndarray) -> np.ndarray:
    """Keras's rule: float images up to 1.0 are scaled by 255, others clipped to 0..255."""
    if images.dtype.kind == "f" and images.size:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else np.clip(images, 0, 255)
    return images.astype(np.uint8)


def _text_location(x: int, y: int, font_scale: float, thickness: int) -> tuple[int, int]:
    """Keras's placement: above the box when there is room, else just inside it."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8 - font_height
    return x + 3, y + thickness + 3


def draw_bounding_boxes(images, bounding_boxes: dict, bounding_box_format: str,
                        class_mapping: dict | None = None, color=(128, 128, 128),
                        line_thickness: int = 2, text_thickness: int = 1,
                        font_scale: float = 1.0, data_format: str | None = None) -> np.ndarray:
    """Draw boxes (and their class names and confidences) on a batch of images.

    Args:
        images: ``(batch, height, width, channels)`` (1, 3 or 4 channels); floats up to
            1.0 are taken as 0..1, other floats as 0..255.
        bounding_boxes: a dict with ``"boxes"`` ``(batch, num_boxes, 4)``, ``"labels"``
            ``(batch, num_boxes)`` (label -1: not drawn) and optionally
            ``"confidences"`` ``(batch, num_boxes)``.
        bounding_box_format: the boxes' format (see ``dg.utils.bounding_boxes``).
        class_mapping: class id to name; boxes whose label is in it get their name
            (and confidence) written beside them.
        color: the RGB colour of lines and text.
        line_thickness: line width in pixels.
        text_thickness: kept for Keras compatibility (Pillow's text has one weight).
        font_scale: the text size, 1.0 about 12 pixels high.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        uint8 images with the boxes drawn, the input's shape.

    Raises:
        ValueError: images not of rank 4, or a dict without ``boxes`` and ``labels``.
        TypeError: ``bounding_boxes`` not a dict.
    """
    from PIL import Image, ImageDraw, ImageFont

    who = "draw_bounding_boxes"
    array = _batch4(images, who)
    if not isinstance(bounding_boxes, dict):
        raise TypeError(f"{who}: `bounding_boxes` must be a dict with 'boxes' and 'labels'. "
                        f"Received: {type(bounding_boxes).__name__}")
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError(f"{who}: `bounding_boxes` must contain 'boxes' and 'labels'. "
                         f"Received keys: {sorted(bounding_boxes)}")
    class_mapping = class_mapping or {}
    first = config.standardize_data_format(data_format, who) == "channels_first"
    array = _to_uint8(_channels_last(array, data_format, who))
    height, width, channels = array.shape[1:]
    boxes = convert_format(np.asarray(bounding_boxes["boxes"]), bounding_box_format, "xyxy",
                           height, width)
    labels = np.asarray(bounding_boxes["labels"])
    confidences = bounding_boxes.get("confidences")
    font = ImageFont.load_default(size=max(6, round(12 * font_scale)))
    modes = {1: "L", 3: "RGB", 4: "RGBA"}
    if channels not in modes:
        raise ValueError(f"{who}: images must have 1, 3 or 4 channels. "
                         f"Received: images.shape={np.shape(images)}")
    ink = (int(round(float(np.mean(color)))) if channels == 1
           else tuple(int(c) for c in color) + ((255,) if channels == 4 else ()))
    result = []
    for i, image in enumerate(array):
        picture = Image.fromarray(image[..., 0] if channels == 1 else image, modes[channels])
        pen = ImageDraw.Draw(picture)
        for j, (x1, y1, x2, y2) in enumerate(boxes[i].astype(np.int64).tolist()):
            label = int(labels[i][j])
            if label == -1:
                continue
            pen.rectangle([min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)], outline=ink,
                          width=line_thickness)
            if label in class_mapping:
                text = str(class_mapping[label])
                if confidences is not None:
                    text = f"{text} | {float(np.asarray(confidences)[i][j]):.2f}"
                pen.text(_text_location(x1, y1, font_scale, text_thickness), text, fill=ink,
                         font=font)
        drawn = np.asarray(picture)
        result.append(drawn[..., None] if channels == 1 else drawn)
    out = np.stack(result)
    return out.transpose(0, 3, 1, 2) if first else out


def _palette(num_classes: int) -> list[list[int]]:
    """Keras's default colours, one per class."""
    base = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [((i * base) % 255).tolist() for i in range(num_classes)]


def draw_segmentation_masks(images, segmentation_masks, num_classes: int | None = None,
                            color_mapping: dict | None = None, alpha: float = 0.8,
                            blend: bool = True, ignore_index: int = -1,
                            data_format: str | None = None) -> np.ndarray:
    """Colour each pixel of a batch of images by its class in a segmentation mask.

    Args:
        images: ``(batch, height, width, 3)``.
        segmentation_masks: integer classes ``(batch, height, width)`` or
            ``(batch, height, width, 1)``.
        num_classes: the number of classes; the largest class present + 1 by default.
        color_mapping: class to RGB colour; Keras's palette by default.
        alpha: the colour's weight when blending.
        blend: mix colour and image (uint8 result), or paint the colour over the
            image (float32 result, as Keras).
        ignore_index: a class left unpainted.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        The painted images ``(batch, height, width, 3)``.

    Raises:
        ValueError: images not of rank 4, or masks of another size.
        TypeError: masks that are not integers.

    >>> images = np.zeros((1, 2, 2, 3), np.uint8)
    >>> masks = np.array([[[0, 1], [1, -1]]])
    >>> draw_segmentation_masks(images, masks, color_mapping={0: (0, 0, 0), 1: (100, 0, 0)},
    ...                         alpha=0.5)[0, :, :, 0].tolist()
    [[0, 50], [50, 0]]
    """
    who = "draw_segmentation_masks"
    array = _channels_last(_batch4(images, who), data_format, who).astype(np.float32)
    masks = np.asarray(segmentation_masks)
    if masks.dtype.kind not in "iu":
        raise TypeError(f"{who}: `segmentation_masks` must have an integer dtype. "
                        f"Received: segmentation_masks.dtype={masks.dtype}")
    if config.standardize_data_format(data_format, who) == "channels_first" and masks.ndim == 4:
        masks = masks.transpose(0, 2, 3, 1)
    if masks.ndim == 4 and masks.shape[-1] == 1:
        masks = masks[..., 0]
    if masks.shape != array.shape[:3]:
        raise ValueError(f"{who}: `segmentation_masks` must have shape {array.shape[:3]} (or "
                         f"with a last axis of 1). Received: {np.shape(segmentation_masks)}")
    valid = masks != ignore_index
    if num_classes is None:
        num_classes = max(1, int(np.where(valid, masks, -1).max(initial=-1)) + 1)
    colors = (_palette(num_classes) if color_mapping is None
              else [color_mapping[i] for i in range(num_classes)])
    painted = array.copy()
    for cls, color in enumerate(colors):
        painted[masks == cls] = np.asarray(color, np.float32)
    if not blend:
        return painted
    mixed = array * (1 - alpha) + painted * alpha
    return np.where(valid[..., None], mixed, array).astype(np.uint8)
