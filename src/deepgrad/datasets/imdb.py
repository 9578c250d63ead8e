"""IMDB movie reviews as Keras ships them: 25,000 training and 25,000 test reviews of word ids.

Each review is a list of word indices (``1`` = most frequent word in the corpus, shifted
by ``index_from``), labelled 0 (negative) or 1 (positive). ``load_data`` reads Keras's own
``imdb.npz`` and ``get_word_index`` its ``imdb_word_index.json``, offline first (see
:mod:`deepgrad.datasets._files`): a folder you name, ``$DEEPGRAD_DATA/imdb``,
``~/.cache/deepgrad/datasets/imdb``, ``/usr/share/datasets/imdb``, then a download from
Keras's address, each file checked against its published digest.

``imdb.npz`` keeps the reviews in NumPy object arrays, which NumPy can only store
pickled. deepgrad never unpickles: the arrays are *parsed* by
:func:`deepgrad.datasets.npz.read_object_array`, which accepts nothing but an object
array of integer lists and calls nothing named in the file. So the original file is
read as published; no converted copy is needed.

>>> START_CHAR, OOV_CHAR, INDEX_FROM
(1, 2, 3)
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import numpy as np

from deepgrad.formats.errors import FileFormatError

from ._files import DatasetSpec, RemoteFile, fetch_files
from .npz import load_npz

__all__ = ["load_data", "get_word_index"]

START_CHAR, OOV_CHAR, INDEX_FROM = 1, 2, 3
_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_HOMEPAGE = f"{_ORIGIN} (Keras's preprocessed IMDB; the reviews: https://ai.stanford.edu/~amaas/data/sentiment/)"

# The digests Keras's own loaders check: SHA-256 of imdb.npz, MD5 of the word index.
DATASET = DatasetSpec(
    name="imdb",
    title="IMDB (Keras's imdb.npz)",
    files=(
        RemoteFile(
            "imdb.npz",
            "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
            (_ORIGIN + "imdb.npz",),
            max_size=32_000_000,  # about 17 MB as published: a larger file is not it
        ),
    ),
    homepage=_HOMEPAGE,
    layout_hint="The file as Keras publishes it (~17 MB); it is read without unpickling.",
)
WORD_INDEX = DatasetSpec(
    name="imdb",
    title="IMDB word index (Keras's imdb_word_index.json)",
    files=(
        RemoteFile(
            "imdb_word_index.json",
            "",
            (_ORIGIN + "imdb_word_index.json",),
            md5="bfafd718b763782e994055a2d397834f",
            max_size=4_000_000,  # about 1.6 MB as published
        ),
    ),
    homepage=_HOMEPAGE,
)


def _fetch(spec: DatasetSpec, path, download: bool) -> bytes:
    """The file's verified bytes. ``path``: a folder, a file, or (Keras's form) a file name."""
    remote = spec.files[0]
    folder, name = None, remote.filename
    if path is not None:
        given = Path(path).expanduser()
        if given.is_dir():
            folder = given
        else:
            name = given.name
            folder = None if str(given.parent) == "." else given.parent
    if name != remote.filename:
        remote = RemoteFile(remote.filename, remote.sha256, remote.urls, aliases=(name,),
                            md5=remote.md5, max_size=remote.max_size)
        spec = DatasetSpec(spec.name, spec.title, (remote,), spec.homepage, spec.install_hint,
                           spec.layout_hint)
    return fetch_files(spec, folder, download)[remote.filename]


def _flat(rows) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter(map(len, rows), np.int64, count=len(rows))
    values = np.fromiter(itertools.chain.from_iterable(rows), np.int64, count=int(lengths.sum()))
    return values, lengths


def _rows(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A 1-D object array of Python lists, one per length."""
    flat = values.tolist()
    ends = np.cumsum(lengths).tolist()
    out = np.empty(len(lengths), dtype=object)
    out[:] = [flat[end - n : end] for end, n in zip(ends, lengths.tolist())]
    return out


def _prepare(values, lengths, start_char, index_from):
    """Shift the ids by ``index_from`` and put ``start_char`` first, as Keras does."""
    values = values + index_from if index_from else values
    if start_char is None:
        return values, lengths
    starts = np.cumsum(lengths) - lengths
    out = np.insert(values, starts, start_char)
    return out, lengths + 1


def _keep(values, lengths, labels, keep):
    row_of = np.repeat(np.arange(len(lengths)), lengths)
    return values[keep[row_of]], lengths[keep], labels[keep]


def load_data(
    path: str | os.PathLike = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = START_CHAR,
    oov_char: int | None = OOV_CHAR,
    index_from: int = INDEX_FROM,
    *,
    download: bool = True,
):
    """Load IMDB as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    The reviews are shuffled with ``np.random.RandomState(seed)`` (training set, then
    test set, as Keras), every id is shifted by ``index_from``, ``start_char`` starts
    each review, reviews of ``maxlen`` ids or more are dropped, and ids outside
    ``[skip_top, num_words)`` become ``oov_char`` (or are removed when ``oov_char`` is
    None). Exactly Keras's rules, including its quirk that without ``num_words`` the
    largest id present counts as out of range.

    Args:
        path: a folder holding ``imdb.npz``, the file itself, or (Keras's form) a file
            name looked up in the usual folders.
        num_words: keep the ``num_words - 1`` most frequent ids (None: all).
        skip_top: treat the ``skip_top`` most frequent ids as out of range.
        maxlen: drop reviews with ``maxlen`` ids or more (counting ``start_char``).
        seed: the shuffle's seed.
        start_char: the id that starts every review (None: none).
        oov_char: the id that replaces out-of-range ids (None: drop them).
        index_from: added to every word id (ids below it are reserved: 0 padding,
            1 start, 2 OOV).
        download: whether to download the file when no folder holds it.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: 1-D object arrays of lists of ints,
        and int label arrays (0 negative, 1 positive).

    Raises:
        DatasetNotFoundError: (a ``FileNotFoundError``) no good copy and no download;
            the message lists the folders and says where to put ``imdb.npz``.
        ValueError: the file lacks Keras's arrays, or ``maxlen`` drops every review.

    Example (it needs ``imdb.npz``, so it is shown, not run by the doctests; the tests
    run it on small files they write)::

        (x_train, y_train), _ = dg.datasets.imdb.load_data(num_words=10000)
        x_train = dg.utils.pad_sequences(x_train, maxlen=200)
    """
    source = Path(str(path)).name
    arrays = load_npz(_fetch(DATASET, path, download), source)
    missing = {"x_train", "y_train", "x_test", "y_test"} - set(arrays)
    if missing:
        raise FileFormatError(source, "", f"not Keras's imdb.npz: it lacks {sorted(missing)}.")
    rng = np.random.RandomState(seed)
    parts = []
    for x, y in ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])):
        order = np.arange(len(x))
        rng.shuffle(order)
        values, lengths = _prepare(*_flat(x[order]), start_char, index_from)
        labels = y[order]
        if maxlen:
            values, lengths, labels = _keep(values, lengths, labels, lengths < maxlen)
        parts.append([values, lengths, labels])
    if maxlen and not (len(parts[0][1]) and len(parts[1][1])):
        raise ValueError(
            f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was "
            "kept. Increase maxlen."
        )
    if not num_words:
        num_words = max(int(v.max(initial=0)) for v, _, _ in parts)
    for part in parts:
        values, lengths, _ = part
        inside = (values >= skip_top) & (values < num_words)
        if oov_char is not None:
            part[0] = np.where(inside, values, oov_char)
        else:
            row_of = np.repeat(np.arange(len(lengths)), lengths)
            part[0] = values[inside]
            part[1] = np.bincount(row_of[inside], minlength=len(lengths))
    (train_x, train_n, y_train), (test_x, test_n, y_test) = parts
    return (_rows(train_x, train_n), y_train), (_rows(test_x, test_n), y_test)


def get_word_index(path: str | os.PathLike = "imdb_word_index.json", *, download: bool = True):
    """The word index of IMDB, ``{word: id}`` (ids before ``index_from`` is added), as Keras.

    Args:
        path: a folder holding ``imdb_word_index.json``, the file, or a file name.
        download: whether to download it when no folder holds it.

    Returns:
        A dict from word to its frequency rank (1 = most frequent).

    Raises:
        DatasetNotFoundError: no good copy and no download.

    Example (it needs the file; the tests run it on a small one)::

        index = dg.datasets.imdb.get_word_index()
        words = {i + 3: w for w, i in index.items()}
    """
    return json.loads(_fetch(WORD_INDEX, path, download).decode("utf-8"))
