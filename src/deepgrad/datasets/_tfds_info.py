"""The info objects of :func:`deepgrad.datasets.load`, shaped like tensorflow_datasets' ones.

``info.features['label'].num_classes``, ``info.features['label'].names``,
``info.features['image'].shape``, ``info.splits['train'].num_examples`` (also for a
sliced split such as ``'train[:80%]'``) and a readable ``repr``.

>>> label = ClassLabel(names=["cat", "dog"])
>>> label.num_classes, label.int2str(1), label.str2int("cat")
(2, 'dog', 0)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Image", "Tensor", "ClassLabel", "FeaturesDict", "SplitInfo", "SplitDict", "DatasetInfo"]


@dataclass(frozen=True)
class Image:
    """An image feature: its shape ``(height, width, channels)`` and dtype.

    >>> Image((28, 28, 1))
    Image(shape=(28, 28, 1), dtype=uint8)
    """

    shape: tuple[int, ...]
    dtype: str = "uint8"

    def __repr__(self) -> str:
        return f"Image(shape={self.shape}, dtype={self.dtype})"


@dataclass(frozen=True)
class Tensor:
    """A plain array feature, e.g. iris's four measurements.

    >>> Tensor((4,), "float32")
    Tensor(shape=(4,), dtype=float32)
    """

    shape: tuple[int, ...]
    dtype: str = "float32"

    def __repr__(self) -> str:
        return f"Tensor(shape={self.shape}, dtype={self.dtype})"


@dataclass(frozen=True)
class ClassLabel:
    """An integer class label with names.

    >>> ClassLabel(names=["a", "b", "c"])
    ClassLabel(shape=(), dtype=int64, num_classes=3)
    """

    names: tuple[str, ...] | list[str]
    shape: tuple[int, ...] = ()
    dtype: str = "int64"

    @property
    def num_classes(self) -> int:
        return len(self.names)

    def int2str(self, value: int) -> str:
        """The name of class ``value``."""
        return self.names[int(value)]

    def str2int(self, name: str) -> int:
        """The index of the class called ``name``.

        Raises:
            ValueError: no class has that name.
        """
        try:
            return list(self.names).index(name)
        except ValueError:
            raise ValueError(
                f"ClassLabel: unknown class name {name!r}. Known: {list(self.names)}"
            ) from None

    def __repr__(self) -> str:
        return f"ClassLabel(shape={self.shape}, dtype={self.dtype}, num_classes={self.num_classes})"


class FeaturesDict(dict):
    """The features of one example, by name (``info.features['label']``).

    >>> FeaturesDict({"label": ClassLabel(names=["a"])})["label"].num_classes
    1
    """

    def __repr__(self) -> str:
        lines = "".join(f"    {name!r}: {feature!r},\n" for name, feature in self.items())
        return "FeaturesDict({\n" + lines + "})"


@dataclass(frozen=True)
class SplitInfo:
    """A split's name and size.

    >>> SplitInfo("train", 60000)
    <SplitInfo num_examples=60000, num_shards=1>
    """

    name: str
    num_examples: int
    num_shards: int = 1

    def __repr__(self) -> str:
        return f"<SplitInfo num_examples={self.num_examples}, num_shards={self.num_shards}>"


_SLICE = re.compile(r"^\s*(\w+)\s*(?:\[\s*(-?\d+%?)?\s*:\s*(-?\d+%?)?\s*\])?\s*$")


def _bound(text: str | None, n: int, default: int) -> int:
    if text is None:
        return default
    if text.endswith("%"):
        percent = int(text[:-1])
        if not -100 <= percent <= 100:
            raise ValueError(f"percent must be within [-100, 100]. Received: {text}")
        value = int(np.round(percent * n / 100))  # tfds's default rounding: closest
    else:
        value = int(text)
    if value < 0:
        value += n
    return min(max(value, 0), n)


class SplitDict(dict):
    """Splits by name; also answers sliced names such as ``'train[:80%]'`` or ``'train+test'``.

    >>> splits = SplitDict({"train": SplitInfo("train", 150)})
    >>> splits["train[:80%]"].num_examples, splits["train[-10:]"].num_examples
    (120, 10)
    """

    def ranges(self, spec: str) -> list[tuple[str, int, int]]:
        """``[(split, start, stop), ...]`` for a split specification.

        Raises:
            ValueError: a malformed specification or an unknown split name.
        """
        parts = []
        for piece in spec.split("+"):
            match = _SLICE.match(piece)
            if match is None:
                raise ValueError(
                    f"load: could not parse the split {spec!r}. Expected forms such as "
                    "'train', 'train[:80%]', 'test[1000:]' or 'train+test'."
                )
            name, start, stop = match.groups()
            if name not in self:
                raise ValueError(
                    f"load: unknown split {name!r} in {spec!r}. This dataset has the "
                    f"splits {sorted(self)}."
                )
            n = dict.__getitem__(self, name).num_examples
            first = _bound(start, n, 0)
            parts.append((name, first, max(first, _bound(stop, n, n))))
        return parts

    def __getitem__(self, key: str) -> SplitInfo:
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        total = sum(stop - start for _, start, stop in self.ranges(key))
        return SplitInfo(key, total)

    def __repr__(self) -> str:
        lines = "".join(f"    {name!r}: {info!r},\n" for name, info in sorted(self.items()))
        return "{\n" + lines + "}"


@dataclass
class DatasetInfo:
    """What :func:`~deepgrad.datasets.load` says about a dataset (``with_info=True``).

    >>> info = DatasetInfo("toy", "A toy.", FeaturesDict(), SplitDict(), None)
    >>> info.name
    'toy'
    """

    name: str
    description: str
    features: FeaturesDict
    splits: SplitDict
    supervised_keys: tuple[str, str] | None
    homepage: str = ""
    citation: str = ""
    data_dir: str = ""
    file_format: str = field(default="numpy (in memory)")

    @property
    def full_name(self) -> str:
        return f"{self.name}/1.0.0"

    def __repr__(self) -> str:
        features = repr(self.features).replace("\n", "\n    ")
        splits = repr(self.splits).replace("\n", "\n    ")
        return (
            "DatasetInfo(\n"
            f"    name={self.name!r},\n"
            f"    full_name={self.full_name!r},\n"
            f"    description=\"\"\"\n    {self.description}\n    \"\"\",\n"
            f"    homepage={self.homepage!r},\n"
            f"    data_dir={self.data_dir!r},\n"
            f"    features={features},\n"
            f"    supervised_keys={self.supervised_keys!r},\n"
            f"    splits={splits},\n"
            ")"
        )
