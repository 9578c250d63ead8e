"""``image_dataset_from_directory``: a Dataset of image batches from a folder per class, as Keras.

::

    main_directory/
        class_a/  a_image_1.jpg  a_image_2.jpg ...
        class_b/  b_image_1.jpg  b_image_2.jpg ...

gives batches ``(images, labels)``: float32 images ``(batch, height, width,
channels)`` with values 0..255, and labels 0 for ``class_a`` and 1 for ``class_b``
(class folders sorted by name). Files are read lazily, a batch at a time, with
Pillow (``.bmp``, ``.gif``, ``.jpeg``, ``.jpg``, ``.png``).

>>> import tempfile, pathlib
>>> from PIL import Image
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> for name in ("cat", "dog"):
...     (root / name).mkdir()
...     Image.new("RGB", (5, 4)).save(root / name / "1.png")
>>> ds = image_dataset_from_directory(root, image_size=(8, 8), batch_size=2)
Found 2 files belonging to 2 classes.
>>> ds.class_names, [(x.shape, y.tolist()) for x, y in ds.map(lambda x, y: (x, np.sort(y)))]
(['cat', 'dog'], [((2, 8, 8, 3), [0, 1])])
"""

from __future__ import annotations

import os

import numpy as np

from deepgrad.kernels.image_common import check_interpolation
from deepgrad.kernels.resize import resize_images
from deepgrad.utils.directory_dataset import FolderDataset, check_labels, folder_datasets

__all__ = ["image_dataset_from_directory", "ALLOWLIST_FORMATS"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
_WHERE = "image_dataset_from_directory"
# The Dataset it returns (with ``class_names`` and ``file_paths``), under its former name.
ImageFolderDataset = FolderDataset


def _check_image_args(color_mode, image_size, interpolation, data_format) -> None:
    if color_mode not in _CHANNELS:
        raise ValueError(
            f"{_WHERE}: `color_mode` must be 'rgb', 'rgba' or 'grayscale'. "
            f"Received: color_mode={color_mode!r}"
        )
    ok = isinstance(image_size, (tuple, list)) and len(image_size) == 2
    if not ok or not all(isinstance(s, (int, np.integer)) and s > 0 for s in image_size):
        raise ValueError(
            f"{_WHERE}: `image_size` must be (height, width), two positive ints. "
            f"Received: image_size={image_size!r}"
        )
    check_interpolation(interpolation, _WHERE)
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{_WHERE}: only data_format='channels_last' is supported.")


def _loader(size, color_mode, interpolation, crop, pad):
    from deepgrad.utils.image_io import img_to_array, load_img

    def load(path):
        image = img_to_array(load_img(str(path), color_mode=color_mode), dtype="float32")
        out = resize_images(image[None], size, interpolation, False, crop, pad)[0]
        return out

    return load


def image_dataset_from_directory(
    directory: str | os.PathLike,
    labels="inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size: tuple[int, int] = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    verbose: bool = True,
):
    """Make a Dataset of ``(images, labels)`` batches from a folder per class, as Keras does.

    Args:
        directory: the folder; with ``labels='inferred'`` it holds one subfolder per
            class (searched recursively), otherwise image files at any depth.
        labels: ``'inferred'`` (from the subfolders), None (images only), or a list of
            integer labels, one per image file in sorted path order.
        label_mode: ``'int'`` (int32 labels), ``'categorical'`` (float32 one-hot),
            ``'binary'`` (float32 of shape ``(batch, 1)``, two classes) or None.
        class_names: with inferred labels, the subfolders in the order that gives
            their labels (sorted names by default; a subset leaves the others out).
        color_mode: ``'rgb'``, ``'rgba'`` or ``'grayscale'`` (3, 4 or 1 channels).
        batch_size: images per batch, or None for single images.
        image_size: ``(height, width)`` every image is resized to.
        shuffle: shuffle the files (once, by ``seed``) and each epoch's order.
        seed: seeds the shuffle and the validation split; None draws one from
            deepgrad's global generator (``dg.utils.set_random_seed``).
        validation_split: the fraction of files held out for validation.
        subset: ``'training'``, ``'validation'`` or ``'both'`` (a pair of datasets);
            only with ``validation_split``.
        interpolation: ``'bilinear'`` or ``'nearest'``, for the resize.
        follow_links: follow symbolic links to folders.
        crop_to_aspect_ratio: resize the largest centred window with the target's
            aspect ratio (no distortion).
        pad_to_aspect_ratio: pad with zeros to the target's aspect ratio instead.
        data_format: only ``'channels_last'`` (or None).
        verbose: print how many files and classes were found.

    Returns:
        A Dataset with ``class_names`` (the sorted labels as strings for explicit
        labels, None without labels, as Keras) and ``file_paths``; for
        ``subset='both'``, the pair ``(training, validation)``.

    Raises:
        FileNotFoundError: ``directory`` does not exist.
        ValueError: no images, a bad argument, ``subset`` without ``validation_split``,
            a validation split with shuffling but no ``seed``, or ``'binary'`` with
            other than two classes.
    """
    if labels is None:
        label_mode = None
    check_labels(_WHERE, labels, label_mode, class_names)
    _check_image_args(color_mode, image_size, interpolation, data_format)
    load = _loader(
        tuple(int(s) for s in image_size),
        color_mode,
        interpolation,
        crop_to_aspect_ratio,
        pad_to_aspect_ratio,
    )
    return folder_datasets(
        _WHERE, "image", directory, labels, label_mode, class_names, ALLOWLIST_FORMATS, load,
        batch_size, shuffle, seed, validation_split, subset, follow_links, verbose,
    )
