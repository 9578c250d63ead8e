"""Fashion-MNIST: Zalando's article images, 60,000 training and 10,000 test, 28x28 grayscale.

A drop-in replacement for MNIST with the same files and layout and 10 classes of
clothing (:data:`CLASS_NAMES`). On Debian and Ubuntu, ``sudo apt-get install
dataset-fashion-mnist`` puts the files in ``/usr/share/datasets/fashion-mnist``,
where :func:`load_data` finds them without a network.

>>> CLASS_NAMES[9]
'Ankle boot'
"""

from __future__ import annotations

import os

import numpy as np

from ._files import DatasetSpec, idx_remote_file
from .mnist import load_idx_dataset

__all__ = ["load_data", "CLASS_NAMES"]

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

_MIRRORS = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
)

# SHA-256 of the .gz files: as TensorFlow Datasets records them for the second
# mirror (url_checksums/fashion_mnist.txt; torchvision lists their MD5s).
# SHA-256 of the decompressed files: computed from Debian's dataset-fashion-mnist
# (which recompressed them) and identical to the digests other projects publish.
DATASET = DatasetSpec(
    name="fashion-mnist",
    title="Fashion-MNIST",
    files=(
        idx_remote_file(
            "train-images-idx3-ubyte.gz",
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            _MIRRORS,
            16 + 60_000 * 28 * 28,  # the uncompressed file's size: header and values
        ),
        idx_remote_file(
            "train-labels-idx1-ubyte.gz",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            _MIRRORS,
            8 + 60_000,  # the uncompressed file's size: header and values
        ),
        idx_remote_file(
            "t10k-images-idx3-ubyte.gz",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            _MIRRORS,
            16 + 10_000 * 28 * 28,  # the uncompressed file's size: header and values
        ),
        idx_remote_file(
            "t10k-labels-idx1-ubyte.gz",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            _MIRRORS,
            8 + 10_000,  # the uncompressed file's size: header and values
        ),
    ),
    homepage="https://github.com/zalandoresearch/fashion-mnist",
    install_hint="sudo apt-get install dataset-fashion-mnist (Debian, Ubuntu)",
    layout_hint="gzip'd or uncompressed (the same names without .gz) both work.",
)


def load_data(
    path: str | os.PathLike | None = None, *, download: bool = True
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load Fashion-MNIST as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    Offline first: the files are taken from ``path``,
    ``$DEEPGRAD_DATA/fashion-mnist``, ``~/.cache/deepgrad/datasets/fashion-mnist``
    or ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``;
    also ``/usr/local/share``), and downloaded into the cache only if none of
    them holds a copy whose SHA-256 matches the published one. Nothing is
    downloaded when the module is imported.

    Args:
        path: a folder holding ``train-images-idx3-ubyte.gz``,
            ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
            ``t10k-labels-idx1-ubyte.gz`` (gzip'd or not), searched first.
        download: whether to download files no folder holds.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
        (60000, 28, 28), (60000,), (10000, 28, 28) and (10000,); pixels are 0 to
        255 and labels 0 to 9, named by :data:`CLASS_NAMES`.

    Raises:
        DatasetNotFoundError: (a ``FileNotFoundError``) if no good copy is found and
            downloading is off or fails; it lists the folders, says which files to
            put where, and mentions ``apt-get install dataset-fashion-mnist``.

    Example (it needs the files, so it is shown, not run by the doctests: a doctest must
    not depend on what the machine holds, and tests never download;
    tests/datasets/test_fashion_mnist.py runs it on Debian's copy, which CI installs)::

        (x_train, y_train), (x_test, y_test) = dg.datasets.fashion_mnist.load_data()
        x_train.shape, x_test.shape  # ((60000, 28, 28), (10000, 28, 28)), uint8
        CLASS_NAMES[y_train[0]]  # 'Ankle boot'

    The label names need no files:

    >>> CLASS_NAMES[9]
    'Ankle boot'
    """
    return load_idx_dataset(DATASET, path, download)
