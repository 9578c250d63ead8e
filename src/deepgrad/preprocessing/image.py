"""``dg.preprocessing.image``, as Keras 3's ``keras.preprocessing.image``.

``load_img``, ``img_to_array``, ``array_to_img`` and ``save_img`` are
:mod:`deepgrad.utils.image_io`'s (Pillow is imported when they run); ``smart_resize``
resizes without distorting, as Keras does.

>>> smart_resize(np.zeros((40, 60, 3), "uint8"), (20, 20)).shape
(20, 20, 3)
"""

from __future__ import annotations

import numpy as np

from deepgrad import config
from deepgrad.kernels.resize import resize_images
from deepgrad.utils.image_io import array_to_img, img_to_array, load_img, save_img

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]


def smart_resize(x, size, interpolation: str = "bilinear", data_format: str = "channels_last"):
    """Resize images to ``size`` keeping their aspect ratio, as Keras's ``smart_resize``.

    The largest centred window with the aspect ratio of ``size`` is cut out first
    (``crop_height = int(width * target_height / target_width)``, clipped, as Keras),
    then resized. As in Keras, the result is float32 (``floatx``) except with
    ``interpolation='nearest'``, which keeps the dtype.

    Args:
        x: an image ``(height, width, channels)`` or a batch ``(n, height, width, channels)``.
        size: ``(height, width)`` of the output.
        interpolation: ``'bilinear'`` or ``'nearest'``.
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Returns:
        The resized image(s), same rank and layout as ``x``.

    Raises:
        ValueError: ``size`` is not two ints, or ``x`` is not rank 3 or 4.

    >>> smart_resize(np.arange(8.0).reshape(1, 2, 4, 1), (1, 1))[0, 0, 0, 0].item()
    3.5
    """
    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise ValueError(
            f"smart_resize: `size` must be (height, width), a tuple of 2 ints. Received: {size!r}"
        )
    images = np.asarray(x)
    if images.ndim not in (3, 4):
        raise ValueError(
            "smart_resize: expected an image (height, width, channels) or a batch (batch, "
            f"height, width, channels), got an array of shape {images.shape}."
        )
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "smart_resize: `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    single = images.ndim == 3
    batch = images[None] if single else images
    if data_format == "channels_first":
        batch = np.moveaxis(batch, 1, -1)
    if interpolation != "nearest":
        batch = batch.astype(config.floatx())
    out = resize_images(batch, tuple(int(s) for s in size), interpolation, False, True)
    if data_format == "channels_first":
        out = np.moveaxis(out, -1, 1)
    return out[0] if single else out
