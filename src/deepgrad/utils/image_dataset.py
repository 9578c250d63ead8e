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
from pathlib import Path

import numpy as np

from deepgrad.data import AUTOTUNE, Dataset
from deepgrad.kernels.affine import check_interpolation
from deepgrad.kernels.resize import resize_images
from deepgrad.random import generator

__all__ = ["image_dataset_from_directory", "ALLOWLIST_FORMATS"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
_LABEL_MODES = ("int", "categorical", "binary", None)
_WHERE = "image_dataset_from_directory"


class ImageFolderDataset(Dataset):
    """The Dataset :func:`image_dataset_from_directory` returns, with ``class_names``
    and ``file_paths`` (transformations return a plain Dataset, as in Keras).

    >>> ImageFolderDataset.__slots__
    ('class_names', 'file_paths')
    """

    __slots__ = ("class_names", "file_paths")


def _image_files(folder: Path, follow_links: bool) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder, followlinks=follow_links):
        dirs.sort()
        found += [
            os.path.join(root, f) for f in sorted(files) if f.lower().endswith(ALLOWLIST_FORMATS)
        ]
    return found


def _index(directory: Path, labels, class_names, follow_links):
    """File paths, their labels (or None) and the class names, in Keras's sorted order."""
    if labels != "inferred":
        paths = _image_files(directory, follow_links)
        if labels is None:
            return paths, None, None
        labels = np.asarray(labels)
        if len(labels) != len(paths):
            raise ValueError(
                f"{_WHERE}: `labels` must hold one label per image file ({len(paths)} found in "
                f"{directory}, in sorted order). Received {len(labels)} labels."
            )
        return paths, labels.astype(np.int64), None
    subdirs = sorted(p.name for p in directory.iterdir() if p.is_dir())
    if class_names is not None:
        if sorted(class_names) != subdirs and set(class_names) != set(subdirs):
            raise ValueError(
                f"{_WHERE}: `class_names` must name the subfolders of {directory}: "
                f"{subdirs}. Received: class_names={list(class_names)}"
            )
        subdirs = list(class_names)
    paths, label_list = [], []
    for index, name in enumerate(subdirs):
        files = _image_files(directory / name, follow_links)
        paths += files
        label_list += [index] * len(files)
    return paths, np.asarray(label_list, np.int64), subdirs


def _check_args(label_mode, color_mode, image_size, interpolation, validation_split, subset):
    if label_mode not in _LABEL_MODES:
        raise ValueError(
            f"{_WHERE}: `label_mode` must be 'int', 'categorical', 'binary' or None. "
            f"Received: label_mode={label_mode!r}"
        )
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
    if validation_split is not None and not 0 < validation_split < 1:
        raise ValueError(
            f"{_WHERE}: `validation_split` must be between 0 and 1. "
            f"Received: validation_split={validation_split!r}"
        )
    if subset is not None and subset not in ("training", "validation", "both"):
        raise ValueError(
            f"{_WHERE}: `subset` must be 'training', 'validation', 'both' or None. "
            f"Received: subset={subset!r}"
        )
    if (subset is None) != (validation_split is None):
        raise ValueError(
            f"{_WHERE}: `subset` and `validation_split` go together: give both or neither. "
            f"Received: subset={subset!r}, validation_split={validation_split!r}"
        )


def _loader(size, color_mode, interpolation, crop, pad):
    from deepgrad.utils.image_io import img_to_array, load_img

    def load(path):
        image = img_to_array(load_img(str(path), color_mode=color_mode), dtype="float32")
        out = resize_images(image[None], size, interpolation, False, crop, pad)[0]
        return out

    return load


def _make(paths, labels, class_names, label_mode, num_classes, load, batch_size, shuffle, seed):
    path_array = np.asarray(paths, dtype=str)
    if labels is None or label_mode is None:
        ds = Dataset.from_tensor_slices(path_array)
        if shuffle:
            ds = ds.shuffle((batch_size or 128) * 8, seed=seed)
        ds = ds.map(load, num_parallel_calls=AUTOTUNE)
    else:
        if label_mode == "int":
            targets = labels.astype(np.int32)
        elif label_mode == "binary":
            targets = labels.astype(np.float32)[:, None]
        else:
            targets = np.eye(num_classes, dtype=np.float32)[labels]
        ds = Dataset.from_tensor_slices((path_array, targets))
        if shuffle:
            ds = ds.shuffle((batch_size or 128) * 8, seed=seed)
        ds = ds.map(lambda path, target: (load(path), target), num_parallel_calls=AUTOTUNE)
    if batch_size is not None:
        ds = ds.batch(batch_size)
    out = ImageFolderDataset(ds._node)
    out.class_names = class_names
    out.file_paths = list(paths)
    return out


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
            their labels (sorted names by default).
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
        A Dataset with ``class_names`` (None without inferred labels) and ``file_paths``;
        for ``subset='both'``, the pair ``(training, validation)``.

    Raises:
        FileNotFoundError: ``directory`` does not exist.
        ValueError: no images, a bad argument, ``subset`` without ``validation_split``,
            a validation split with shuffling but no ``seed``, or ``'binary'`` with
            other than two classes.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{_WHERE}: the directory {str(directory)!r} does not exist.")
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(
            f"{_WHERE}: `labels` must be 'inferred', None or a list of labels. "
            f"Received: labels={labels!r}"
        )
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{_WHERE}: only data_format='channels_last' is supported.")
    if labels is None:
        label_mode = None
    _check_args(label_mode, color_mode, image_size, interpolation, validation_split, subset)
    if validation_split is not None and shuffle and seed is None:
        raise ValueError(
            f"{_WHERE}: with `validation_split` and shuffle=True, give a `seed` so that "
            "the training and validation subsets do not overlap."
        )
    paths, label_array, names = _index(directory, labels, class_names, follow_links)
    if not paths:
        raise ValueError(
            f"{_WHERE}: no images found in directory {str(directory)!r}. "
            f"Allowed formats: {ALLOWLIST_FORMATS}"
        )
    if names is not None:
        num_classes = len(names)
    else:
        num_classes = 0 if label_array is None else int(label_array.max()) + 1
    if label_mode == "binary" and num_classes != 2:
        raise ValueError(
            f"{_WHERE}: label_mode='binary' needs exactly 2 classes; found {num_classes}"
            f"{f' ({names})' if names else ''}."
        )
    if verbose:
        print(
            f"Found {len(paths)} files belonging to {num_classes} classes."
            if label_array is not None
            else f"Found {len(paths)} files."
        )
    if seed is None:
        seed = int(generator().integers(1_000_000))
    order = np.arange(len(paths))
    if shuffle:
        np.random.RandomState(seed).shuffle(order)
    paths = [paths[i] for i in order]
    label_array = None if label_array is None else label_array[order]
    load = _loader(
        tuple(int(s) for s in image_size),
        color_mode,
        interpolation,
        crop_to_aspect_ratio,
        pad_to_aspect_ratio,
    )

    def make(select):
        chosen = [paths[i] for i in select]
        chosen_labels = None if label_array is None else label_array[select]
        return _make(
            chosen, chosen_labels, names, label_mode, num_classes, load, batch_size, shuffle, seed
        )

    if validation_split is None:
        return make(np.arange(len(paths)))
    num_val = int(validation_split * len(paths))
    train_index = np.arange(len(paths) - num_val)
    val_index = np.arange(len(paths) - num_val, len(paths))
    if subset in ("training", "both") and verbose:
        print(f"Using {len(train_index)} files for training.")
    if subset in ("validation", "both") and verbose:
        print(f"Using {len(val_index)} files for validation.")
    if subset == "training":
        return make(train_index)
    if subset == "validation":
        return make(val_index)
    return make(train_index), make(val_index)
