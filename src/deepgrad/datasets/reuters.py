"""Reuters newswires as Keras ships them: 11,228 newswires of word ids in 46 topics.

Each newswire is a list of word indices (``1`` = the most frequent word, shifted by
``index_from``), labelled with one of 46 topics (:func:`get_label_names`).
``load_data`` reads Keras's own ``reuters.npz`` and ``get_word_index`` its
``reuters_word_index.json``, offline first (see :mod:`deepgrad.datasets._files`): a
folder or file you name, ``$DEEPGRAD_DATA/reuters``,
``~/.cache/deepgrad/datasets/reuters``, a system folder, then a download from Keras's
address, each file checked against the digest Keras checks. As with IMDB, the ragged
arrays are parsed by :mod:`deepgrad.datasets.npz`, never unpickled.

>>> get_label_names()[:3], len(get_label_names())
(('cocoa', 'grain', 'veg-oil'), 46)
"""

from __future__ import annotations

import json
import os

import numpy as np

from ._files import DatasetSpec, RemoteFile
from .boston_housing import ORIGIN
from .imdb import _fetch, _flat, _keep, _prepare, _rows
from .npz import load_npz

__all__ = ["load_data", "get_word_index", "get_label_names"]

DATASET = DatasetSpec(
    name="reuters",
    title="Reuters newswires (Keras's reuters.npz)",
    files=(
        RemoteFile(
            "reuters.npz",
            "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
            (ORIGIN + "reuters.npz",),
            max_size=8_000_000,  # about 2 MB as published
        ),
    ),
    homepage=f"{ORIGIN} (Keras's preprocessed Reuters-21578)",
    layout_hint="The file as Keras publishes it (~2 MB); it is read without unpickling.",
)
WORD_INDEX = DatasetSpec(
    name="reuters",
    title="Reuters word index (Keras's reuters_word_index.json)",
    files=(
        RemoteFile(
            "reuters_word_index.json",
            "",
            (ORIGIN + "reuters_word_index.json",),
            md5="4d44cc38712099c9e383dc6e5f11a921",
            max_size=4_000_000,  # about 0.5 MB as published
        ),
    ),
    homepage=f"{ORIGIN} (Keras's preprocessed Reuters-21578)",
)

_LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(
    path: str | os.PathLike = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    *,
    download: bool = True,
):
    """Load Reuters as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    The newswires are shuffled with ``np.random.RandomState(seed)``, every id is shifted
    by ``index_from``, ``start_char`` starts each one, newswires of ``maxlen`` ids or more
    are dropped, ids outside ``[skip_top, num_words)`` become ``oov_char`` (or are removed
    when it is None), and the first ``int(n * (1 - test_split))`` remaining newswires
    are the training set. Exactly Keras's rules, including its quirk that without
    ``num_words`` the largest id present counts as out of range.

    Args:
        path: a folder holding ``reuters.npz``, the file itself, or (Keras's form) a file
            name looked up in the usual folders.
        num_words: keep the ``num_words - 1`` most frequent ids (None: all).
        skip_top: treat the ``skip_top`` most frequent ids as out of range.
        maxlen: drop newswires with ``maxlen`` ids or more (counting ``start_char``).
        test_split: the fraction of the newswires kept for testing.
        seed: the shuffle's seed.
        start_char: the id that starts every newswire (None: none).
        oov_char: the id that replaces out-of-range ids (None: drop them).
        index_from: added to every word id (ids below it are reserved: 0 padding,
            1 start, 2 OOV).
        download: whether to download the file when no folder holds it (deepgrad only).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: 1-D object arrays of lists of ints, and
        int label arrays (topics 0 to 45, named by :func:`get_label_names`); 8,982 and
        2,246 newswires with the defaults.

    Raises:
        DatasetNotFoundError: (a ``FileNotFoundError``) no good copy and no download;
            the message lists the folders and says where to put ``reuters.npz``.
        ValueError: the file lacks Keras's arrays.

    Example (it needs ``reuters.npz``, so it is shown, not run by the doctests; the
    tests run it on small files they write)::

        (x_train, y_train), _ = dg.datasets.reuters.load_data(num_words=10000)
        x_train = dg.utils.pad_sequences(x_train, maxlen=200)
    """
    source = os.path.basename(os.fspath(path))
    arrays = load_npz(_fetch(DATASET, path, download), source)
    missing = {"x", "y"} - set(arrays)
    if missing:
        raise ValueError(f"{source}: not Keras's reuters.npz: it lacks {sorted(missing)}.")
    xs, labels = arrays["x"], arrays["y"]
    order = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(order)
    values, lengths = _prepare(*_flat(xs[order]), start_char, index_from)
    labels = labels[order]
    if maxlen:
        values, lengths, labels = _keep(values, lengths, labels, lengths < maxlen)
    if not num_words:
        num_words = int(values.max(initial=0))
    inside = (values >= skip_top) & (values < num_words)
    if oov_char is not None:
        values = np.where(inside, values, oov_char)
    else:
        row_of = np.repeat(np.arange(len(lengths)), lengths)
        values, lengths = values[inside], np.bincount(row_of[inside], minlength=len(lengths))
    rows = _rows(values, lengths)
    cut = int(len(rows) * (1 - test_split))
    return (rows[:cut], labels[:cut]), (rows[cut:], labels[cut:])


def get_word_index(path: str | os.PathLike = "reuters_word_index.json", *, download: bool = True):
    """The word index of Reuters, ``{word: id}`` (ids before ``index_from`` is added).

    Args:
        path: a folder holding ``reuters_word_index.json``, the file, or a file name.
        download: whether to download it when no folder holds it (deepgrad only).

    Returns:
        A dict from word to its frequency rank (1 = most frequent): the id ``i`` in
        :func:`load_data`'s output is the word of rank ``i - index_from``.

    Raises:
        DatasetNotFoundError: no good copy and no download.

    Example (it needs the file; the tests run it on a small one)::

        index = dg.datasets.reuters.get_word_index()
        words = {i + 3: w for w, i in index.items()}
    """
    return json.loads(_fetch(WORD_INDEX, path, download).decode("utf-8"))


def get_label_names() -> tuple[str, ...]:
    """The 46 topic names, indexed by the labels :func:`load_data` returns (Keras's list).

    >>> get_label_names()[3]
    'earn'
    """
    return _LABEL_NAMES
