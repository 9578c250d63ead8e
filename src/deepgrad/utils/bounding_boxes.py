"""Bounding-box utilities with Keras 3's names (``keras.utils.bounding_boxes``).

``convert_format`` between Keras's box formats, ``compute_iou`` (every pair of two sets
of boxes), ``clip_to_image_size``, ``crop``, ``pad``, ``affine_transform``,
``compute_ciou`` and the anchor deltas of a regression head (``encode_box_to_deltas``,
``decode_deltas_to_boxes``; code in :mod:`deepgrad._image_box_ops`). Non-maximum suppression is
:func:`deepgrad.image.non_max_suppression` (TensorFlow's ``tf.image`` name; Keras 3 has
none). The formats are listed in :mod:`deepgrad._image_boxes`, which holds the code.

>>> import numpy as np
>>> import deepgrad as dg
>>> dg.utils.bounding_boxes.convert_format(np.array([[10, 20, 30, 40]]), "xyxy", "center_xywh")
array([[20., 30., 20., 20.]], dtype=float32)
"""

from deepgrad._image_box_ops import (
    affine_transform,
    compute_ciou,
    crop,
    decode_deltas_to_boxes,
    encode_box_to_deltas,
    pad,
)
from deepgrad._image_boxes import (
    SUPPORTED_FORMATS,
    clip_to_image_size,
    compute_iou,
    convert_format,
)

__all__ = ["SUPPORTED_FORMATS", "affine_transform", "clip_to_image_size", "compute_ciou",
           "compute_iou", "convert_format", "crop", "decode_deltas_to_boxes",
           "encode_box_to_deltas", "pad"]
