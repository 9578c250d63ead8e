"""Boston Housing as Keras ships it: 506 districts, 13 features, median house value (k$).

**A warning Keras gives too:** the dataset's authors included a feature, "B", that may
appear to assume that racial self-segregation influences house prices. Keras and
deepgrad keep it loadable for old course material and for teaching about such problems;
prefer :mod:`deepgrad.datasets.california_housing` (its ``version="small"`` stands in
for this one).

``load_data`` reads Keras's own ``boston_housing.npz`` (plain numeric arrays, read with
``allow_pickle=False``), offline first (see :mod:`deepgrad.datasets._files`): a folder
or file you name, ``$DEEPGRAD_DATA/boston_housing``,
``~/.cache/deepgrad/datasets/boston_housing``, ``/usr/share/datasets/boston_housing``,
then a download from Keras's address, checked against Keras's SHA-256.

>>> x = np.arange(10.0)[:, None]
>>> (x_train, y_train), (x_test, y_test) = shuffle_split(x, x[:, 0] * 2, 0.2, 113)
>>> x_train.shape, x_test.shape, bool((y_test == 2 * x_test[:, 0]).all())
((8, 1), (2, 1), True)
"""

from __future__ import annotations

import os

import numpy as np

from ._files import DatasetSpec, RemoteFile
from .imdb import _fetch
from .npz import load_npz

__all__ = ["load_data", "shuffle_split"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

DATASET = DatasetSpec(
    name="boston_housing",
    title="Boston Housing (Keras's boston_housing.npz)",
    files=(
        RemoteFile(
            "boston_housing.npz",
            "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
            (ORIGIN + "boston_housing.npz",),
            max_size=1_000_000,  # about 57 kB as published: a larger file is not it
        ),
    ),
    homepage=f"{ORIGIN} (Keras's copy of StatLib's http://lib.stat.cmu.edu/datasets/boston)",
    layout_hint="The file as Keras publishes it (57 kB): arrays `x` (506, 13) and `y` (506,).",
)


def check_test_split(test_split) -> float:
    """Keras's check for the housing loaders: ``0 <= test_split < 1``.

    >>> check_test_split(1.0)
    Traceback (most recent call last):
    ...
    ValueError: Invalid `test_split` argument: 1.0. It must be between 0 and 1 (exclusive of 1).
    """
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float, np.floating)):
        raise TypeError(f"`test_split` must be a float. Received: test_split={test_split!r}")
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 "
            "(exclusive of 1)."
        )
    return float(test_split)


def shuffle_split(x: np.ndarray, y: np.ndarray, test_split: float, seed: int):
    """Keras's split: shuffle with ``np.random.RandomState(seed)``, the last fraction tests.

    The first ``int(len(x) * (1 - test_split))`` rows of the shuffled data are the
    training set, the rest the test set (exactly Keras's arithmetic, so the same seed
    gives the same rows as ``keras.datasets``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``, new arrays.
    """
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def read_xy(spec: DatasetSpec, path, download: bool) -> tuple[np.ndarray, np.ndarray]:
    """The ``x`` and ``y`` arrays of a Keras ``.npz`` dataset file, found and checked."""
    source = spec.files[0].filename
    arrays = load_npz(_fetch(spec, path, download), source)
    missing = {"x", "y"} - set(arrays)
    if missing:
        raise ValueError(f"{source}: not Keras's file: it lacks the arrays {sorted(missing)}.")
    x, y = arrays["x"], arrays["y"]
    if x.dtype == object or y.dtype == object or len(x) != len(y):
        raise ValueError(
            f"{source}: not Keras's file: expected numeric `x` and `y` with one row each per "
            f"sample. Received: x {x.dtype} {x.shape}, y {y.dtype} {y.shape}."
        )
    return x, y


def load_data(
    path: str | os.PathLike = "boston_housing.npz",
    test_split: float = 0.2,
    seed: int = 113,
    *,
    download: bool = True,
):
    """Load Boston Housing as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    Args:
        path: a folder holding ``boston_housing.npz``, the file itself, or (Keras's
            form) a file name looked up in the usual folders.
        test_split: the fraction of the (shuffled) samples kept for testing, in [0, 1).
        seed: the seed of the shuffle (``np.random.RandomState``, as Keras).
        download: whether to download the file when no folder holds it (deepgrad only).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: arrays of the file's dtype (float64 in
        Keras's) of shapes ``(404, 13)``, ``(404,)``, ``(102, 13)`` and ``(102,)`` with
        the defaults; the targets are median house values in thousands of dollars.

    Raises:
        ValueError: for ``test_split`` outside [0, 1), or a file without Keras's arrays.
        DatasetNotFoundError: (a ``FileNotFoundError``) no good copy and no download; the
            message lists the folders and says where to put ``boston_housing.npz``.

    Example (it needs the file, so it is shown, not run; the tests run it on small
    files they write)::

        (x_train, y_train), (x_test, y_test) = dg.datasets.boston_housing.load_data()
    """
    test_split = check_test_split(test_split)
    x, y = read_xy(DATASET, path, download)
    return shuffle_split(x, y, test_split, seed)
