"""Image files to arrays and back, as ``keras.utils`` does it (Pillow images, HWC arrays).

Images are Pillow images; arrays are channels last, ``(height, width, channels)``: load_img,
img_to_array, array_to_img and save_img.
Pillow is imported only when one of these functions runs.

>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "square.png")
>>> save_img(path, np.full((4, 6, 3), 200, np.uint8), scale=False)
>>> img_to_array(load_img(path, target_size=(2, 3))).shape
(2, 3, 3)
"""

from __future__ import annotations

import io
import os
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from deepgrad import config

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img"]

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
_COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


def _resample(interpolation: str) -> int:
    from PIL import Image

    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"load_img: `interpolation` must be one of {', '.join(map(repr, _INTERPOLATIONS))}. "
            f"Received: interpolation={interpolation!r}"
        )
    return getattr(Image.Resampling, interpolation.upper())


def _check_data_format(data_format: str | None, caller: str) -> str:
    return config.standardize_data_format(data_format, caller)


def load_img(
    path: str | os.PathLike | bytes | IO[bytes],
    color_mode: str = "rgb",
    target_size: tuple[int, int] | None = None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
) -> Image.Image:
    """Load an image file into a Pillow image, as ``keras.utils.load_img`` does.

    Args:
        path: a path, or a binary file object (e.g. ``io.BytesIO``) holding an image file.
        color_mode: ``"rgb"``, ``"rgba"`` or ``"grayscale"``. Grayscale keeps 8-, 16-
            and 32-bit grayscale images as they are and converts the rest to 8-bit.
        target_size: ``(height, width)`` to resize to, or None to keep the size.
        interpolation: how to resize: ``"nearest"``, ``"bilinear"``, ``"bicubic"``,
            ``"hamming"``, ``"box"`` or ``"lanczos"``.
        keep_aspect_ratio: when resizing, first crop the centre of the image to the
            target's aspect ratio, so nothing is stretched.

    Returns:
        A ``PIL.Image.Image`` with its pixels loaded (the file is closed).

    Raises:
        ValueError: for an unknown ``color_mode`` or ``interpolation``, or a bad ``target_size``.
        TypeError: if ``path`` is neither path-like nor a binary file object.
        FileNotFoundError: if the file does not exist.
        PIL.UnidentifiedImageError: if the file is not an image Pillow can read.

    >>> import io
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("RGB", (6, 4), (255, 0, 0)).save(buffer, format="PNG")
    >>> img = load_img(buffer, color_mode="grayscale", target_size=(2, 3))
    >>> img.mode, img.size
    ('L', (3, 2))
    """
    from PIL import Image

    if color_mode not in _COLOR_MODES:
        raise ValueError(
            "load_img: `color_mode` must be 'grayscale', 'rgb' or 'rgba'. "
            f"Received: color_mode={color_mode!r}"
        )
    if target_size is not None and (
        len(target_size) != 2
        or not all(isinstance(size, (int, np.integer)) and size > 0 for size in target_size)
    ):
        raise ValueError(
            "load_img: `target_size` must be (height, width), two positive ints, or None. "
            f"Received: target_size={target_size!r}"
        )
    if isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as file:
            img = Image.open(io.BytesIO(file.read()))
    elif hasattr(path, "read"):
        img = Image.open(path)
    else:
        raise TypeError(
            "load_img: `path` must be a path or a binary file object. "
            f"Received: path of type {type(path).__name__}"
        )
    img.load()

    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif img.mode != _COLOR_MODES[color_mode]:
        img = img.convert(_COLOR_MODES[color_mode])

    if target_size is not None:
        width_height = (int(target_size[1]), int(target_size[0]))
        if img.size != width_height:
            resample = _resample(interpolation)
            if keep_aspect_ratio:
                width, height = img.size
                crop_height = min(height, (width * width_height[1]) // width_height[0])
                crop_width = min(width, (height * width_height[0]) // width_height[1])
                left = (width - crop_width) // 2
                top = (height - crop_height) // 2
                box = (left, top, left + crop_width, top + crop_height)
                img = img.resize(width_height, resample, box=box)
            else:
                img = img.resize(width_height, resample)
    return img


def img_to_array(
    img: Image.Image | np.ndarray,
    data_format: str | None = None,
    dtype: str | np.dtype | None = None,
) -> np.ndarray:
    """Convert a Pillow image into a 3-D array, as ``keras.utils.img_to_array`` does.

    Args:
        img: a Pillow image (or anything ``np.asarray`` turns into a 2-D or 3-D array).
        data_format: ``"channels_last"`` (the default, ``(height, width, channels)``)
            or ``"channels_first"``.
        dtype: the array's dtype; None means deepgrad's float type, float32 by default.

    Input shape:
        An image of ``width x height`` pixels; grayscale ones get a channel axis of 1.

    Returns:
        A new array of shape ``(height, width, channels)`` (or channels first) with
        the pixel values unscaled (0 to 255 for 8-bit images).

    Raises:
        ValueError: if the image is not 2-D or 3-D, or ``data_format`` is unknown.

    >>> from PIL import Image
    >>> x = img_to_array(Image.new("L", (5, 3), 7))
    >>> x.shape, x.dtype, float(x[0, 0, 0])
    ((3, 5, 1), dtype('float32'), 7.0)
    """
    from deepgrad.config import floatx

    data_format = _check_data_format(data_format, "img_to_array")
    x = np.array(img, dtype=floatx() if dtype is None else dtype)
    if x.ndim == 2:
        x = x[:, :, np.newaxis]
    elif x.ndim != 3:
        raise ValueError(
            "img_to_array: expected an image of 2 or 3 dimensions (height, width[, channels]). "
            f"Received an array of shape {x.shape}"
        )
    if data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(2, 0, 1))
    return x


def array_to_img(
    x: Any,
    data_format: str | None = None,
    scale: bool = True,
    dtype: str | np.dtype | None = None,
) -> Image.Image:
    """Convert a 3-D array into a Pillow image, as ``keras.utils.array_to_img`` does.

    Args:
        x: an array of shape ``(height, width, channels)`` (or channels first) with
            1 (grayscale), 3 (RGB) or 4 (RGBA) channels.
        data_format: ``"channels_last"`` (the default) or ``"channels_first"``.
        scale: stretch the values linearly so the smallest becomes 0 and the
            largest 255 (a constant image becomes 0). With ``scale=False`` the
            values are used as they are.
        dtype: the float type the scaling is done in; None means deepgrad's float type.

    Returns:
        A Pillow image in mode ``"L"``, ``"RGB"`` or ``"RGBA"``; or ``"I"`` (32-bit)
        for one channel with values above 255.

    Raises:
        ValueError: if ``x`` is not 3-D or its channel count is not 1, 3 or 4.

    Unlike Keras, which truncates, values are rounded to the nearest integer and
    clipped to 0..255 (0..2**31-1 for mode ``"I"``), so ``array_to_img(x, scale=False)``
    of a float copy of an 8-bit image gives that image back, and values out of
    range saturate instead of wrapping around.

    >>> import numpy as np
    >>> img = array_to_img(np.array([[[0.0], [0.5]], [[1.0], [0.25]]]))
    >>> img.mode, img.size, np.asarray(img).tolist()
    ('L', (2, 2), [[0, 128], [255, 64]])
    """
    from PIL import Image

    from deepgrad.config import floatx

    data_format = _check_data_format(data_format, "array_to_img")
    x = np.array(x, dtype=floatx() if dtype is None else dtype)
    if x.ndim != 3:
        raise ValueError(
            "array_to_img: expected an image array of rank 3 (a single image). "
            f"Received an array of shape {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    channels = x.shape[2]
    if channels not in (1, 3, 4):
        raise ValueError(
            "array_to_img: expected 1, 3 or 4 channels (grayscale, RGB, RGBA). "
            f"Received an array of shape {x.shape}"
        )
    if channels == 1 and np.max(x) > 255:
        pixels = np.clip(np.rint(x[:, :, 0]), 0, 2**31 - 1).astype(np.int32)
        return Image.fromarray(pixels, "I")
    pixels = np.clip(np.rint(x), 0, 255).astype(np.uint8)
    if channels == 1:
        return Image.fromarray(pixels[:, :, 0], "L")
    return Image.fromarray(pixels, "RGB" if channels == 3 else "RGBA")


def save_img(
    path: str | os.PathLike | IO[bytes],
    x: Any,
    data_format: str | None = None,
    file_format: str | None = None,
    scale: bool = True,
    **kwargs: Any,
) -> None:
    """Save an image array to a file, as ``keras.utils.save_img`` does.

    Args:
        path: a path, or a binary file object (then give ``file_format``).
        x: the image, as :func:`array_to_img` takes it.
        data_format: ``"channels_last"`` (the default) or ``"channels_first"``.
        file_format: e.g. ``"png"`` or ``"jpeg"``; None infers it from the file name.
        scale: as in :func:`array_to_img`: stretch values to 0..255 first.
        **kwargs: passed to ``PIL.Image.Image.save`` (e.g. ``quality=95``).

    Raises:
        ValueError: as :func:`array_to_img`, or if Pillow cannot tell or write the format.

    An RGBA image saved as JPEG, which has no alpha channel, is converted to RGB
    with a warning.

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "gray.png")
    >>> save_img(path, np.arange(12.0).reshape(3, 4, 1))
    >>> img_to_array(load_img(path, color_mode="grayscale"))[:, :, 0].tolist()[0]
    [0.0, 23.0, 46.0, 70.0]
    """
    if file_format is None and isinstance(path, (str, os.PathLike)):
        file_format = os.path.splitext(os.fspath(path))[1][1:].lower() or None
    if file_format is not None and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format is not None and file_format.lower() == "jpeg":
        import warnings

        warnings.warn(
            "save_img: JPEG does not support an alpha channel; converting RGBA to RGB.",
            UserWarning,
            stacklevel=2,
        )
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)
