"""MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grayscale, 10 classes.

The four IDX files (``train-images-idx3-ubyte.gz`` and the others) are looked up
offline first, then downloaded and checked against their published SHA-256
(see :mod:`deepgrad.datasets._files` for the order of folders).

>>> CLASS_NAMES[7]
'7'
"""

from __future__ import annotations

import os

import numpy as np

from deepgrad.formats.errors import FileFormatError

from ._files import DatasetSpec, fetch_files, idx_remote_file
from .idx import parse_idx

__all__ = ["load_data", "CLASS_NAMES"]

CLASS_NAMES = tuple(str(digit) for digit in range(10))

_MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)


# SHA-256 of the .gz files: as TensorFlow Datasets records them for the first mirror
# (url_checksums/mnist.txt; torchvision lists the MD5s of LeCun's originals, which
# have the same sizes). SHA-256 of the decompressed files: as several independent
# projects publish them (not recomputed here: no copy on this machine); they also
# accept a mirror that serves a recompressed copy.
DATASET = DatasetSpec(
    name="mnist",
    title="MNIST",
    files=(
        idx_remote_file(
            "train-images-idx3-ubyte.gz",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            _MIRRORS,
            16 + 60_000 * 28 * 28,  # the uncompressed file's size: header and values
        ),
        idx_remote_file(
            "train-labels-idx1-ubyte.gz",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            _MIRRORS,
            8 + 60_000,  # the uncompressed file's size: header and values
        ),
        idx_remote_file(
            "t10k-images-idx3-ubyte.gz",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            _MIRRORS,
            16 + 10_000 * 28 * 28,  # the uncompressed file's size: header and values
        ),
        idx_remote_file(
            "t10k-labels-idx1-ubyte.gz",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            _MIRRORS,
            8 + 10_000,  # the uncompressed file's size: header and values
        ),
    ),
    homepage="http://yann.lecun.com/exdb/mnist/ (mirror: " + _MIRRORS[0] + ")",
    layout_hint="gzip'd or uncompressed (the same names without .gz) both work.",
)


def load_idx_dataset(
    spec: DatasetSpec, path: str | os.PathLike | None, download: bool
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load a dataset in MNIST's layout: train images, train labels, test images, test labels.

    Args:
        spec: the dataset, its four IDX files in that order.
        path: a folder to look in first, or None.
        download: whether to download files found nowhere.

    Returns:
        ``((x_train, y_train), (x_test, y_test))`` as the files hold them.

    Raises:
        DatasetNotFoundError: if a file has no good copy and cannot be downloaded.
        ValueError: if the files do not make images and matching labels.

    Example (it needs the files, so it is shown, not run by the doctests)::

        (x_train, y_train), (x_test, y_test) = load_idx_dataset(DATASET, None, download=False)
    """
    contents = fetch_files(spec, path, download)
    arrays = [parse_idx(contents[remote.filename], remote.filename) for remote in spec.files]
    splits = []
    for images, labels, remote in zip(arrays[0::2], arrays[1::2], spec.files[0::2], strict=True):
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise FileFormatError(
                remote.filename, "", f"{spec.title}: the images and their labels do not "
                                     "match: expected images of shape (n, rows, cols) and "
                                     f"labels of shape (n,), got {images.shape} and "
                                     f"{labels.shape}."
            )
        splits.append((images, labels))
    return splits[0], splits[1]


def load_data(
    path: str | os.PathLike | None = None, *, download: bool = True
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    Offline first: the files are taken from ``path``, ``$DEEPGRAD_DATA/mnist``,
    ``~/.cache/deepgrad/datasets/mnist`` or ``/usr/share/datasets/mnist`` (also
    ``/usr/local/share``), and downloaded into the cache only if none of them
    holds a copy whose SHA-256 matches the published one. Nothing is downloaded
    when the module is imported.

    Args:
        path: a folder holding ``train-images-idx3-ubyte.gz``,
            ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
            ``t10k-labels-idx1-ubyte.gz`` (gzip'd or not), searched first.
        download: whether to download files no folder holds.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
        (60000, 28, 28), (60000,), (10000, 28, 28) and (10000,); pixels are 0 to
        255 and labels 0 to 9.

    Raises:
        DatasetNotFoundError: (a ``FileNotFoundError``) if no good copy is found and
            downloading is off or fails; it lists the folders and says which files
            to put where.

    Example (it needs the files, so it is shown, not run by the doctests; the tests run
    it on a small fixture in tests/datasets)::

        (x_train, y_train), (x_test, y_test) = dg.datasets.mnist.load_data()
        x_train.shape, y_train.dtype  # ((60000, 28, 28), dtype('uint8'))
    """
    return load_idx_dataset(DATASET, path, download)
