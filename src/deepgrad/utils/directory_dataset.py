"""What ``image_dataset_from_directory`` and ``text_dataset_from_directory`` share, as Keras.

Both index a folder the same way (Keras's ``dataset_utils``): with
``labels='inferred'`` each non-hidden subfolder is a class (sorted names, or the
order of ``class_names``, which may name a subset), files are found recursively,
folders in sorted path order and files sorted within each; otherwise every file under
the folder counts, with the given labels (one per file in that order) or none. The
files are shuffled once by ``seed`` (NumPy's ``RandomState``, as Keras), split into
training and validation by position, and read lazily, a batch at a time.

>>> check_split("loader", None, None, True, None)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from deepgrad.data import AUTOTUNE, Dataset
from deepgrad.random import generator

__all__ = [
    "FolderDataset",
    "LABEL_MODES",
    "check_labels",
    "check_split",
    "index_directory",
    "folder_datasets",
]

LABEL_MODES = ("int", "categorical", "binary", None)


class FolderDataset(Dataset):
    """The Dataset a ``*_dataset_from_directory`` returns, with ``class_names`` and
    ``file_paths`` (transformations return a plain Dataset, as in Keras).

    >>> FolderDataset.__slots__
    ('class_names', 'file_paths')
    """

    __slots__ = ("class_names", "file_paths")


def check_labels(where: str, labels, label_mode, class_names) -> None:
    """Validate ``labels``, ``label_mode`` and ``class_names`` together."""
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(
            f"{where}: `labels` must be 'inferred', None or a list of integer labels (one per "
            f"file, in sorted path order). Received: labels={labels!r}"
        )
    if labels != "inferred" and class_names is not None:
        raise ValueError(
            f"{where}: `class_names` can only be given with labels='inferred' (they name the "
            f"class subfolders). Received: class_names={list(class_names)}"
        )
    if label_mode not in LABEL_MODES:
        raise ValueError(
            f"{where}: `label_mode` must be 'int', 'categorical', 'binary' or None. "
            f"Received: label_mode={label_mode!r}"
        )


def check_split(where: str, validation_split, subset, shuffle: bool, seed) -> None:
    """Validate ``validation_split`` and ``subset`` (Keras's ``check_validation_split_arg``).

    Raises:
        ValueError: a split outside (0, 1), one of the two without the other, an unknown
            subset, or a split of shuffled files without a ``seed``.
    """
    if validation_split is not None and not 0 < validation_split < 1:
        raise ValueError(
            f"{where}: `validation_split` must be between 0 and 1. "
            f"Received: validation_split={validation_split!r}"
        )
    if subset is not None and subset not in ("training", "validation", "both"):
        raise ValueError(
            f"{where}: `subset` must be 'training', 'validation', 'both' or None. "
            f"Received: subset={subset!r}"
        )
    if (subset is None) != (validation_split is None):
        raise ValueError(
            f"{where}: `subset` and `validation_split` go together: give both or neither. "
            f"Received: subset={subset!r}, validation_split={validation_split!r}"
        )
    if validation_split is not None and shuffle and seed is None:
        raise ValueError(
            f"{where}: with `validation_split` and shuffle=True, give a `seed` so that "
            "the training and validation subsets do not overlap."
        )


def _files(folder: Path, formats: tuple[str, ...], follow_links: bool) -> list[str]:
    """Files under ``folder`` ending in ``formats``: folders in sorted path order (Keras)."""
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda w: w[0]):
        found += [os.path.join(root, f) for f in sorted(files) if f.lower().endswith(formats)]
    return found


def index_directory(
    where: str, directory: Path, labels, formats: tuple[str, ...], class_names, follow_links,
    kind: str = "",
):
    """File paths, their int64 labels (or None) and the class names, in Keras's order.

    Raises:
        FileNotFoundError: ``directory`` does not exist.
        ValueError: ``class_names`` that are not subfolders, or a label count that
            differs from the file count.
    """
    if not directory.is_dir():
        raise FileNotFoundError(f"{where}: the directory {str(directory)!r} does not exist.")
    if labels != "inferred":
        paths = _files(directory, formats, follow_links)
        if labels is None:
            return paths, None, None
        labels = np.asarray(labels)
        if len(labels) != len(paths):
            raise ValueError(
                f"{where}: `labels` must hold one label per {kind} file ({len(paths)} found in "
                f"{directory}, in sorted path order). Received {len(labels)} labels."
            )
        names = [str(label) for label in sorted(set(labels.tolist()))]
        return paths, labels.astype(np.int64), names
    subdirs = sorted(
        p.name for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    if class_names is not None:
        if not set(class_names) <= set(subdirs):
            raise ValueError(
                f"{where}: `class_names` must name subfolders of {directory}: {subdirs} (or "
                f"some of them). Received: class_names={list(class_names)}"
            )
        subdirs = list(class_names)
    paths, label_list = [], []
    for index, name in enumerate(subdirs):
        files = _files(directory / name, formats, follow_links)
        paths += files
        label_list += [index] * len(files)
    return paths, np.asarray(label_list, np.int64), subdirs


def _targets(labels: np.ndarray, label_mode: str, num_classes: int) -> np.ndarray:
    if label_mode == "int":
        return labels.astype(np.int32)
    if label_mode == "binary":
        return labels.astype(np.float32)[:, None]
    return np.eye(num_classes, dtype=np.float32)[labels]


def _dataset(paths, labels, class_names, label_mode, num_classes, load, batch_size, shuffle,
             seed) -> FolderDataset:
    path_array = np.asarray(paths, dtype=str)
    buffer = batch_size * 8 if batch_size else 1024
    if labels is None or label_mode is None:
        ds = Dataset.from_tensor_slices(path_array)
        if shuffle:
            ds = ds.shuffle(buffer, seed=seed)
        ds = ds.map(load, num_parallel_calls=AUTOTUNE)
    else:
        ds = Dataset.from_tensor_slices((path_array, _targets(labels, label_mode, num_classes)))
        if shuffle:
            ds = ds.shuffle(buffer, seed=seed)
        ds = ds.map(lambda path, target: (load(path), target), num_parallel_calls=AUTOTUNE)
    if batch_size is not None:
        ds = ds.batch(batch_size)
    out = FolderDataset(ds._node)
    out.class_names = class_names
    out.file_paths = list(paths)
    return out


def folder_datasets(
    where: str,
    kind: str,
    directory,
    labels,
    label_mode,
    class_names,
    formats: tuple[str, ...],
    load: Callable,
    batch_size,
    shuffle: bool,
    seed,
    validation_split,
    subset,
    follow_links: bool,
    verbose: bool,
):
    """Index, shuffle and split the files, and make the Dataset(s) that ``load`` each file.

    ``kind`` names the files in messages (``'image'``, ``'text'``).

    Returns:
        One :class:`FolderDataset`, or ``(training, validation)`` for ``subset='both'``.
    """
    check_split(where, validation_split, subset, shuffle, seed)
    paths, label_array, names = index_directory(
        where, Path(directory), labels, formats, class_names, follow_links, kind
    )
    files = "images" if kind == "image" else f"{kind} files"
    if not paths:
        raise ValueError(
            f"{where}: no {files} found in directory {str(directory)!r}. "
            f"Allowed formats: {formats}"
        )
    if labels == "inferred":
        num_classes = len(names)
    else:
        num_classes = 0 if label_array is None else int(label_array.max()) + 1
    if label_mode == "binary" and num_classes != 2:
        raise ValueError(
            f"{where}: label_mode='binary' needs exactly 2 classes; found {num_classes}"
            f"{f' ({names})' if names else ''}."
        )
    if verbose:
        print(
            f"Found {len(paths)} files belonging to {len(names)} classes."
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
    def make(select, shuffled):
        chosen = [paths[i] for i in select]
        chosen_labels = None if label_array is None else label_array[select]
        return _dataset(chosen, chosen_labels, names, label_mode, num_classes, load,
                        batch_size, shuffled, seed)

    if validation_split is None:
        return make(np.arange(len(paths)), shuffle)
    num_val = int(validation_split * len(paths))
    train_index = np.arange(len(paths) - num_val)
    val_index = np.arange(len(paths) - num_val, len(paths))
    if subset in ("training", "both") and verbose:
        print(f"Using {len(train_index)} files for training.")
    if subset in ("validation", "both") and verbose:
        print(f"Using {len(val_index)} files for validation.")
    for chosen, name in ((train_index, "training"), (val_index, "validation")):
        if subset in (name, "both") and not len(chosen):
            raise ValueError(
                f"{where}: no {name} {files} left after validation_split={validation_split} "
                f"of the {len(paths)} files in {str(directory)!r}."
            )
    if subset == "training":
        return make(train_index, shuffle)
    if subset == "validation":
        return make(val_index, shuffle)
    # Keras does not reshuffle the validation half of subset='both'.
    return make(train_index, shuffle), make(val_index, False)
