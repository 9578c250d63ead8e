"""``MaxNumBoundingBoxes``: give every image the same number of boxes (Keras 3's layer).

Detection data has a different number of boxes per image; a batch needs one. The layer
takes Keras's dict ``{"images": ..., "bounding_boxes": {"boxes": ..., "labels": ...}}``
and cuts or pads ``boxes`` to ``(batch, max_number, 4)`` and ``labels`` to
``(batch, max_number)``, padding with ``fill_value``. Boxes may come as one array
``(batch, n, 4)`` or, ragged, as a list of ``(n_i, 4)`` arrays (one per image). Images
and anything else pass through; a plain image batch is returned as it is.

>>> import deepgrad as dg
>>> layer = dg.layers.MaxNumBoundingBoxes(max_number=3)
>>> boxes = [np.array([[0, 0, 5, 5]]), np.array([[1, 1, 2, 2], [0, 0, 1, 1]])]
>>> out = layer({"images": np.zeros((2, 8, 8, 3)),
...              "bounding_boxes": {"boxes": boxes, "labels": [[1], [2, 3]]}})
>>> out["bounding_boxes"]["labels"].data.tolist()
[[1.0, -1.0, -1.0], [2.0, 3.0, -1.0]]
>>> out["bounding_boxes"]["boxes"].shape
(2, 3, 4)
"""

from __future__ import annotations

import numpy as np

from deepgrad.layers.base import Layer
from deepgrad.tensor import Tensor

__all__ = ["MaxNumBoundingBoxes"]


def _array(value) -> np.ndarray:
    return np.asarray(value.data if isinstance(value, Tensor) else value)


class MaxNumBoundingBoxes(Layer):
    """Cut or pad each image's boxes and labels to ``max_number``.

    Args:
        max_number: the number of boxes per image after the layer (> 0).
        fill_value: the value of padded boxes and labels (default -1).
        bounding_box_format: accepted for Keras compatibility (the layer does not look
            at coordinates).

    Raises:
        ValueError: a bad ``max_number``, or ``bounding_boxes`` without ``boxes`` and
            ``labels`` or with other keys (as Keras).

    >>> MaxNumBoundingBoxes(2).get_config()["max_number"]
    2
    """

    _accepts_strings = True  # the dict may carry anything beside the boxes

    def __init__(self, max_number: int, fill_value: int = -1, bounding_box_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_number, bool) or not isinstance(max_number, (int, np.integer)) or (
                max_number <= 0):
            raise ValueError(f"MaxNumBoundingBoxes '{self.name}': `max_number` must be a "
                             f"positive int. Received: max_number={max_number!r}")
        self.max_number, self.fill_value = int(max_number), int(fill_value)
        self.bounding_box_format = bounding_box_format

    def _pad(self, rows, width: int | None) -> np.ndarray:
        """Per-image arrays (or one batched array) to ``(batch, max_number[, width])``."""
        items = [_array(r) for r in rows] if isinstance(rows, (list, tuple)) else list(
            _array(rows))
        tail = () if width is None else (width,)
        dtype = np.result_type(*[i.dtype for i in items]) if items else np.float32
        out = np.full((len(items), self.max_number) + tail, self.fill_value, dtype)
        for i, item in enumerate(items):
            item = item.reshape((-1,) + tail)[: self.max_number]
            out[i, : len(item)] = item
        return out

    def call(self, inputs):
        if not isinstance(inputs, dict) or "bounding_boxes" not in inputs:
            return inputs
        boxes = inputs["bounding_boxes"]
        if not isinstance(boxes, dict) or set(boxes) != {"boxes", "labels"}:
            given = sorted(boxes) if isinstance(boxes, dict) else type(boxes).__name__
            raise ValueError(
                f"MaxNumBoundingBoxes '{self.name}': `bounding_boxes` must be a dict with "
                f"exactly the keys 'boxes' and 'labels'. Received: {given}"
            )
        padded = {"boxes": Tensor(self._pad(boxes["boxes"], 4)),
                  "labels": Tensor(self._pad(boxes["labels"], None))}
        return {**inputs, "bounding_boxes": padded}

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "max_number": self.max_number,
                "fill_value": self.fill_value, "bounding_box_format": self.bounding_box_format}
