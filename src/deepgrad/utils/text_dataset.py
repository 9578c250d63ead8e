"""``text_dataset_from_directory``: a Dataset of text batches from a folder per class, as Keras.

::

    main_directory/
        class_a/  a_text_1.txt  a_text_2.txt ...
        class_b/  b_text_1.txt  b_text_2.txt ...

gives batches ``(texts, labels)``: a 1-D array of Python strings (each file's whole
content, read as UTF-8) and labels 0 for ``class_a`` and 1 for ``class_b`` (class
folders sorted by name). Only ``.txt`` files are read, lazily, a batch at a time.
The folder indexing, shuffling and splitting are shared with
:func:`~deepgrad.utils.image_dataset_from_directory` (see
:mod:`deepgrad.utils.directory_dataset`).

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> for name, text in (("neg", "Dull."), ("pos", "Great fun!")):
...     (root / name).mkdir()
...     _ = (root / name / "1.txt").write_text(text)
>>> ds = text_dataset_from_directory(root, batch_size=2, shuffle=False)
Found 2 files belonging to 2 classes.
>>> ds.class_names, [(x.tolist(), y.tolist()) for x, y in ds]
(['neg', 'pos'], [(['Dull.', 'Great fun!'], [0, 1])])
"""

from __future__ import annotations

import os

import numpy as np

from deepgrad.utils.directory_dataset import check_labels, folder_datasets

__all__ = ["text_dataset_from_directory"]

_WHERE = "text_dataset_from_directory"


def _loader(max_length: int | None):
    def load(path) -> np.ndarray:
        with open(str(path), encoding="utf-8", errors="replace") as f:
            text = f.read() if max_length is None else f.read(max_length)
        return np.asarray(text)

    return load


def text_dataset_from_directory(
    directory: str | os.PathLike,
    labels="inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    format: str = "tf",
    verbose: bool = True,
):
    """Make a Dataset of ``(texts, labels)`` batches from a folder per class, as Keras does.

    Args:
        directory: the folder; with ``labels='inferred'`` it holds one subfolder per
            class (searched recursively), otherwise ``.txt`` files at any depth.
        labels: ``'inferred'`` (from the subfolders), None (texts only), or a list of
            integer labels, one per ``.txt`` file in sorted path order.
        label_mode: ``'int'`` (int32 labels), ``'categorical'`` (float32 one-hot),
            ``'binary'`` (float32 of shape ``(batch, 1)``, two classes) or None.
        class_names: with inferred labels, the subfolders in the order that gives
            their labels (sorted names by default; a subset leaves the others out).
        batch_size: texts per batch, or None for single texts.
        max_length: keep at most this many characters of each text (Keras with
            TensorFlow counts bytes; deepgrad counts characters, as Keras's ``'grain'``
            format does, so no character is cut in half).
        shuffle: shuffle the files (once, by ``seed``) and each epoch's order.
        seed: seeds the shuffle and the validation split; None draws one from
            deepgrad's global generator (``dg.utils.set_random_seed``).
        validation_split: the fraction of files held out for validation.
        subset: ``'training'``, ``'validation'`` or ``'both'`` (a pair of datasets);
            only with ``validation_split``.
        follow_links: follow symbolic links to folders.
        format: ``'tf'`` or ``'grain'``, accepted for Keras compatibility: either way
            the result is a ``dg.data.Dataset`` yielding NumPy string arrays.
        verbose: print how many files and classes were found.

    Returns:
        A Dataset with ``class_names`` (the sorted labels as strings for explicit
        labels, None without labels, as Keras) and ``file_paths``; for
        ``subset='both'``, the pair ``(training, validation)``.

    Raises:
        FileNotFoundError: ``directory`` does not exist.
        ValueError: no ``.txt`` files, a bad argument, ``subset`` without
            ``validation_split``, a validation split with shuffling but no ``seed``,
            or ``'binary'`` with other than two classes.
    """
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    check_labels(_WHERE, labels, label_mode, class_names)
    if format not in ("tf", "grain"):
        raise ValueError(
            f"{_WHERE}: `format` must be 'tf' or 'grain' (both give a dg.data.Dataset). "
            f"Received: format={format!r}"
        )
    if max_length is not None and (
        isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer))
        or max_length < 0
    ):
        raise ValueError(
            f"{_WHERE}: `max_length` must be None or an int >= 0. "
            f"Received: max_length={max_length!r}"
        )
    return folder_datasets(
        _WHERE, "text", directory, labels, label_mode, class_names, (".txt",),
        _loader(max_length), batch_size, shuffle, seed, validation_split, subset,
        follow_links, verbose,
    )
