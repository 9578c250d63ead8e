"""``load``: datasets as ``dg.data.Dataset`` objects, in the ``tensorflow_datasets`` form.

Code written for ``tfds.load`` runs after ``tfds.load`` becomes ``dg.datasets.load``::

    (train, test), info = dg.datasets.load(
        "fashion_mnist", split=["train", "test"], as_supervised=True, with_info=True,
        shuffle_files=True)

The files are found offline first, as by the ``load_data()`` loaders
(:mod:`deepgrad.datasets`). Elements follow tfds: images ``uint8 (H, W, C)`` and
labels ``int64``; ``as_supervised=True`` gives ``(image, label)`` pairs, otherwise
dicts ``{'image': ..., 'label': ...}`` (iris: ``{'features': ..., 'label': ...}``).
Split strings may be sliced and joined as in tfds: ``'train[:80%]'``,
``'train[80%:]'``, ``'test[:1000]'``, ``'train+test'`` (percent bounds round to the
nearest example).

>>> import deepgrad as dg
>>> (train, test), info = dg.datasets.load(
...     "iris", split=["train[:80%]", "train[80%:]"], as_supervised=True, with_info=True)
>>> len(train), len(test), info.features["label"].names
(120, 30, ['setosa', 'versicolor', 'virginica'])
>>> x, y = next(iter(train))
>>> x.dtype, x.shape, y.dtype
(dtype('float32'), (4,), dtype('int64'))
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._tfds_info import ClassLabel, DatasetInfo, FeaturesDict, Image, SplitDict, SplitInfo, Tensor

__all__ = ["load", "list_builders", "DatasetInfo"]

# Examples of the small in-memory datasets come in this fixed shuffled order (tfds
# shuffles examples when it writes its files), so that 'train[:80%]' holds every class.
_ORDER_SEED = 0

_Arrays = dict[str, tuple[np.ndarray, np.ndarray]]


def _idx_loader(module_name: str) -> Callable[[str | None, bool], _Arrays]:
    def load(path, download):
        import importlib

        from deepgrad.datasets._files import DatasetNotFoundError

        module = importlib.import_module(f"deepgrad.datasets.{module_name}")
        try:
            (x_train, y_train), (x_test, y_test) = module.load_data(path, download=download)
        except DatasetNotFoundError as error:  # name load()'s own argument in the hint
            raise DatasetNotFoundError(str(error).replace("`path=`", "`data_dir=`")) from None
        return {
            "train": (x_train.reshape(x_train.shape[:3] + (-1,)), y_train.reshape(-1)),
            "test": (x_test.reshape(x_test.shape[:3] + (-1,)), y_test.reshape(-1)),
        }

    return load


def _sklearn_loader(module_name: str, image_shape: tuple[int, ...] | None):
    def load(path, download):
        import importlib

        module = importlib.import_module(f"deepgrad.datasets.{module_name}")
        x, y = module.load_data()
        order = np.random.default_rng(_ORDER_SEED).permutation(len(x))
        x = x[order]
        if image_shape is not None:
            x = x.reshape((-1,) + image_shape).astype(np.uint8)
        return {"train": (x, y[order])}

    return load


@dataclass(frozen=True)
class _Builder:
    load: Callable[[str | None, bool], _Arrays]
    feature: str
    shape: tuple[int, ...]
    dtype: str
    class_names: tuple[str, ...]
    folder: str
    description: str
    homepage: str


def _names(module_name: str) -> tuple[str, ...]:
    import importlib

    return tuple(importlib.import_module(f"deepgrad.datasets.{module_name}").CLASS_NAMES)


_BUILDERS: dict[str, Callable[[], _Builder]] = {
    "mnist": lambda: _Builder(
        _idx_loader("mnist"), "image", (28, 28, 1), "uint8", _names("mnist"), "mnist",
        "The MNIST database of handwritten digits.", "http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion_mnist": lambda: _Builder(
        _idx_loader("fashion_mnist"), "image", (28, 28, 1), "uint8", _names("fashion_mnist"),
        "fashion-mnist",
        "Fashion-MNIST: Zalando's article images, 28x28 grayscale, in 10 classes.",
        "https://github.com/zalandoresearch/fashion-mnist",
    ),
    "cifar10": lambda: _Builder(
        _idx_loader("cifar10"), "image", (32, 32, 3), "uint8", _names("cifar10"), "cifar10",
        "CIFAR-10: 60,000 32x32 colour images in 10 classes.",
        "https://www.cs.toronto.edu/~kriz/cifar.html",
    ),
    "iris": lambda: _Builder(
        _sklearn_loader("iris", None), "features", (4,), "float32", _names("iris"), "iris",
        "Fisher's iris flowers: 4 measurements (cm) of 150 flowers of 3 species.",
        "https://archive.ics.uci.edu/ml/datasets/iris",
    ),
    "digits": lambda: _Builder(
        _sklearn_loader("digits", (8, 8, 1)), "image", (8, 8, 1), "uint8", _names("digits"),
        "digits",
        "Handwritten digits (scikit-learn's copy of UCI's optdigits): 8x8 images, values 0-16.",
        "https://archive.ics.uci.edu/dataset/80",
    ),
}  # fmt: skip


def list_builders() -> list[str]:
    """The names :func:`load` knows.

    >>> list_builders()
    ['cifar10', 'digits', 'fashion_mnist', 'iris', 'mnist']
    """
    return sorted(_BUILDERS)


def _builder(name) -> _Builder:
    if not isinstance(name, str) or name not in _BUILDERS:
        close = difflib.get_close_matches(str(name).lower().replace("-", "_"), _BUILDERS, 1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"load: unknown dataset {name!r}. Known datasets: {', '.join(list_builders())}."
            f"{hint}"
        )
    return _BUILDERS[name]()


def _dataset(arrays, builder, splits, spec, as_supervised, batch_size):
    from deepgrad.data import Dataset

    xs, ys = [], []
    for split, start, stop in splits.ranges(spec):
        x, y = arrays[split]
        xs.append(x[start:stop])
        ys.append(y[start:stop])
    x = np.concatenate(xs) if len(xs) > 1 else xs[0]
    y = (np.concatenate(ys) if len(ys) > 1 else ys[0]).astype(np.int64)
    x = x.astype(builder.dtype, copy=False)
    element = (x, y) if as_supervised else {builder.feature: x, "label": y}
    ds = Dataset.from_tensor_slices(element)
    if batch_size is not None:
        ds = ds.batch(len(x) if batch_size == -1 else batch_size)
    return ds


def load(
    name: str,
    split: str | list[str] | None = None,
    data_dir: str | os.PathLike | None = None,
    batch_size: int | None = None,
    shuffle_files: bool = False,
    download: bool = True,
    as_supervised: bool = False,
    with_info: bool = False,
):
    """Load a dataset as ``dg.data.Dataset`` objects, as ``tfds.load`` does.

    Args:
        name: ``'mnist'``, ``'fashion_mnist'``, ``'cifar10'``, ``'iris'`` or ``'digits'``.
        split: a split string (``'train'``, ``'test'``, ``'train[:80%]'``,
            ``'train+test'``...), a list of them, or None for a dict of every split.
            iris and digits have only ``'train'`` (slice it for a test set).
        data_dir: a folder holding the dataset's files (or a ``<name>`` folder in it),
            searched before the usual places.
        batch_size: batch the examples; -1 gives the whole split as one batch.
        shuffle_files: tfds shuffles the order of a split's files; each split here is
            one file (as tfds stores these small datasets), so the order does not
            change. Shuffle examples with ``ds.shuffle(buffer_size)``.
        download: whether missing files may be downloaded (into the cache).
        as_supervised: elements as ``(input, label)`` pairs instead of dicts.
        with_info: also return a :class:`DatasetInfo`.

    Returns:
        One Dataset (``split`` a string), a list (``split`` a list) or a dict of them
        (``split=None``); with ``with_info``, the pair ``(datasets, info)``.

    Raises:
        ValueError: an unknown dataset (the message lists the known ones) or split,
            a malformed split string, or a bad ``batch_size``.
        DatasetNotFoundError: the files are nowhere and cannot be downloaded.

    >>> ds = load("digits", split="train[:10]", as_supervised=True, batch_size=5)
    >>> [(x.shape, x.dtype.name) for x, _ in ds]
    [((5, 8, 8, 1), 'uint8'), ((5, 8, 8, 1), 'uint8')]
    """
    builder = _builder(name)
    flags = {
        "shuffle_files": shuffle_files,
        "as_supervised": as_supervised,
        "with_info": with_info,
        "download": download,
    }
    for arg, value in flags.items():
        if not isinstance(value, bool):
            raise TypeError(f"load: `{arg}` must be a bool. Received: {arg}={value!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or (batch_size < 1 and batch_size != -1)
    ):
        raise ValueError(
            f"load: `batch_size` must be a positive int, -1 or None. Received: {batch_size!r}"
        )
    if split is not None and not isinstance(split, (str, list, tuple)):
        raise TypeError(f"load: `split` must be a str, a list of str or None. Received: {split!r}")
    path = None
    if data_dir is not None:
        path = Path(data_dir) / builder.folder
        path = str(path if path.is_dir() else Path(data_dir))
    arrays = builder.load(path, download)
    splits = SplitDict({s: SplitInfo(s, len(x)) for s, (x, _) in arrays.items()})
    names = list(arrays) if split is None else [split] if isinstance(split, str) else list(split)
    for spec in names:
        if not isinstance(spec, str):
            raise TypeError(f"load: each split must be a str. Received: {spec!r}")
        splits.ranges(spec)  # validates before any copy
    made = [_dataset(arrays, builder, splits, s, as_supervised, batch_size) for s in names]
    if split is None:
        result = dict(zip(names, made))
    elif isinstance(split, str):
        result = made[0]
    else:
        result = made
    if not with_info:
        return result
    info = DatasetInfo(
        name=name,
        description=builder.description,
        features=FeaturesDict(
            {
                builder.feature: (Image if builder.feature == "image" else Tensor)(
                    builder.shape, builder.dtype
                ),
                "label": ClassLabel(names=list(builder.class_names)),
            }
        ),
        splits=splits,
        supervised_keys=(builder.feature, "label"),
        homepage=builder.homepage,
        data_dir=path or "",
    )
    return result, info
