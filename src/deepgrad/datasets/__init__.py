"""Datasets in the Keras ``load_data()`` form, found offline first and checked by checksum.

``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``, ``imdb``, ``reuters``,
``boston_housing`` and ``california_housing`` read their published files from a
folder you name, ``$DEEPGRAD_DATA/<name>``, ``~/.cache/deepgrad/datasets/<name>``
or a system folder (``sudo apt-get install dataset-fashion-mnist`` provides
Fashion-MNIST), and download them into the cache only when none holds a copy
whose SHA-256 matches; nothing downloads at import. ``iris`` and ``digits`` come
from scikit-learn's bundled data. ``shipsnet`` (the course's ship tiles) is read
offline only: it sits behind a Kaggle login. Nothing is ever unpickled. :func:`load` gives
the same data as ``dg.data.Dataset`` objects in the ``tensorflow_datasets`` form.

>>> import deepgrad as dg
>>> x, y = dg.datasets.iris.load_data()
>>> dg.datasets.iris.CLASS_NAMES[y[0]]
'setosa'
"""

from __future__ import annotations

from . import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    idx,
    imdb,
    iris,
    mnist,
    reuters,
    shipsnet,
)
from ._files import ChecksumError, DatasetNotFoundError
from .idx import read_idx, write_idx
from .tfds import list_builders, load

__all__ = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "digits",
    "fashion_mnist",
    "idx",
    "imdb",
    "iris",
    "mnist",
    "reuters",
    "shipsnet",
    "ChecksumError",
    "DatasetNotFoundError",
    "read_idx",
    "write_idx",
    "load",
    "list_builders",
]
