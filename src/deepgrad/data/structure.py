"""Nested elements: ``TensorSpec``, flattening and packing, conversion to arrays.

A dataset element is a leaf (a NumPy array or NumPy scalar) or a tuple, namedtuple
or dict of elements. As in tf.data, a Python *list* is not a structure: it is data,
converted to one array (``[1, 2, 3]`` becomes an int32 array). Dict entries are
flattened in sorted key order and packed back in their original order.

>>> from deepgrad.data.structure import flatten, pack
>>> flatten(({"b": 2, "a": 1}, 3))
[1, 2, 3]
>>> pack(({"b": 0, "a": 0}, 0), [1, 2, 3])
({'b': 2, 'a': 1}, 3)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from deepgrad import tree

__all__ = ["TensorSpec"]

_INT32 = np.iinfo(np.int32)


class TensorSpec:
    """Describe one component of a dataset element: its shape, dtype and an optional name.

    A ``None`` dimension is unknown (the batch dimension after ``batch`` without
    ``drop_remainder``); ``shape=None`` means even the rank is unknown.

    Args:
        shape: a sequence of ints or ``None``s, or ``None``.
        dtype: anything ``np.dtype`` accepts. Defaults to float32, as in tf.
        name: an optional name.

    Returns:
        A hashable, comparable spec.

    Raises:
        ValueError: if a dimension is negative.

    >>> TensorSpec((None, 28, 28), "float32")
    TensorSpec(shape=(None, 28, 28), dtype=float32, name=None)
    >>> TensorSpec((None, 3)).is_compatible_with(np.zeros((5, 3), "float32"))
    True
    >>> TensorSpec((), "string").is_compatible_with(np.array("any text"))
    True
    """

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(
        self, shape: Sequence[int | None] | None, dtype: Any = "float32", name: str | None = None
    ) -> None:
        if shape is not None:
            shape = tuple(None if d is None else int(d) for d in shape)
            if any(d is not None and d < 0 for d in shape):
                raise ValueError(
                    f"TensorSpec: `shape` dimensions must be >= 0 or None. Received: shape={shape}"
                )
        self._shape = shape
        self._dtype = _spec_dtype(dtype)
        self._name = name

    @property
    def shape(self) -> tuple[int | None, ...] | None:
        """The shape, ``None`` for unknown dimensions (or rank)."""
        return self._shape

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype."""
        return self._dtype

    @property
    def name(self) -> str | None:
        """The optional name."""
        return self._name

    @classmethod
    def from_value(cls, value: Any, name: str | None = None) -> TensorSpec:
        """Return the spec of an array (or anything ``np.asarray`` accepts).

        >>> TensorSpec.from_value(np.zeros((2, 3), "uint8"))
        TensorSpec(shape=(2, 3), dtype=uint8, name=None)
        """
        value = np.asarray(value)
        return cls(value.shape, value.dtype, name)

    def is_compatible_with(self, other: Any) -> bool:
        """Whether ``other`` (a spec or an array) has this dtype and a shape that fits this one.

        >>> TensorSpec((None,), "int64").is_compatible_with(TensorSpec((4,), "int64"))
        True
        """
        if not isinstance(other, TensorSpec):
            other = TensorSpec.from_value(other)
        same_dtype = other.dtype == self.dtype or (other.dtype.kind in "US" and
                                                   self.dtype.kind in "US")  # any text
        return same_dtype and shapes_compatible(self.shape, other.shape)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TensorSpec):
            return NotImplemented
        return (self._shape, self._dtype, self._name) == (other._shape, other._dtype, other._name)

    def __hash__(self) -> int:
        return hash((self._shape, self._dtype, self._name))

    def __repr__(self) -> str:
        name = None if self._name is None else repr(self._name)
        dtype = "string" if self._dtype == np.dtype(str) else self._dtype
        return f"TensorSpec(shape={self._shape}, dtype={dtype}, name={name})"


def _spec_dtype(dtype: Any) -> np.dtype:
    """A NumPy dtype; TensorFlow's ``"string"`` (also ``str``, ``bytes``) is text of any
    length (NumPy's unsized ``str``)."""
    if dtype is str or dtype is bytes or (isinstance(dtype, str) and dtype == "string"):
        return np.dtype(str)
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(
            "TensorSpec: `dtype` must be a NumPy dtype or its name (e.g. 'float32', "
            f"'int64'), or 'string' for text. Received: dtype={dtype!r}"
        ) from None


def shapes_compatible(a: tuple | None, b: tuple | None) -> bool:
    """Whether two partial shapes can describe the same array."""
    if a is None or b is None:
        return True
    if len(a) != len(b):
        return False
    return all(x is None or y is None or x == y for x, y in zip(a, b))


def most_specific_shape(a: tuple | None, b: tuple | None) -> tuple | None:
    """The most specific shape that both partial shapes fit (tf's concatenate rule)."""
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b))


# -- nesting: deepgrad.tree with tf.data's rule (a list is a leaf) --------------------------


def is_nested(value: Any) -> bool:
    """Whether ``value`` is a structure (tuple or dict) rather than a leaf."""
    return isinstance(value, (tuple, dict))


def _flat_tuple(value: Any) -> bool:
    """A plain tuple of leaves, the common element ``(x, y)``: the fast paths below."""
    if type(value) is not tuple:
        return False
    for item in value:
        if isinstance(item, (tuple, dict)):
            return False
    return True


def flatten(structure: Any) -> list:
    """Return the leaves of ``structure`` in a fixed order (dict keys sorted)."""
    if _flat_tuple(structure):
        return list(structure)
    return tree.flatten(structure, lists_are_leaves=True)


def pack(structure: Any, leaves: Sequence) -> Any:
    """Build a structure like ``structure`` whose leaves are ``leaves``, in flatten order."""
    if _flat_tuple(structure) and len(structure) == len(leaves):
        return tuple(leaves)
    return tree.pack_sequence_as(structure, leaves, lists_are_leaves=True)


def map_structure(fn: Callable[[Any], Any], structure: Any) -> Any:
    """Apply ``fn`` to every leaf, keeping the nesting."""
    if _flat_tuple(structure):
        return tuple([fn(leaf) for leaf in structure])
    return tree.map_structure(fn, structure, lists_are_leaves=True)


def flatten_up_to(structure: Any, value: Any) -> list:
    """Flatten ``value`` only as deep as ``structure`` nests (its leaves may be tuples)."""
    if isinstance(structure, tuple):
        if not isinstance(value, (tuple, list)) or len(value) != len(structure):
            raise ValueError(f"expected a structure like {describe(structure)}, got {value!r}")
        return [leaf for s, v in zip(structure, value) for leaf in flatten_up_to(s, v)]
    if isinstance(structure, dict):
        if not isinstance(value, dict) or value.keys() != structure.keys():
            raise ValueError(f"expected a structure like {describe(structure)}, got {value!r}")
        return [leaf for k in sorted(structure) for leaf in flatten_up_to(structure[k], value[k])]
    return [value]


def leaf_paths(structure: Any, prefix: str = "") -> list[str]:
    """Return a readable path for every leaf, in flatten order: ``[0]``, ``['image']``."""
    pairs = tree.flatten_with_path(structure, lists_are_leaves=True)
    return [prefix + "".join(f"[{key!r}]" for key in path) for path, _ in pairs]


def same_structure(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` nest the same way (same tuple lengths and types, same dict keys)."""
    try:
        tree.assert_same_structure(a, b, lists_are_leaves=True)
    except ValueError:
        return False
    return True


def describe(structure: Any) -> str:
    """Summarise a structure for error messages: ``(float32 (28, 28), int64 ())``."""
    if isinstance(structure, tuple):
        inner = ", ".join(describe(item) for item in structure)
        return f"({inner},)" if len(structure) == 1 else f"({inner})"
    if isinstance(structure, dict):
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in structure.items()) + "}"
    if isinstance(structure, TensorSpec):
        return f"{structure.dtype} {structure.shape}"
    if isinstance(structure, (np.ndarray, np.generic)):
        return f"{structure.dtype} {structure.shape}"
    return type(structure).__name__


# -- conversion ---------------------------------------------------------------------------


def _python_numbers(value: Any) -> bool:
    if isinstance(value, (bool, int, float)):
        return True
    return isinstance(value, list) and all(_python_numbers(item) for item in value)


def to_array(value: Any) -> np.ndarray | np.generic:
    """Convert a leaf as tf does: arrays keep their dtype; Python floats become float32 and
    Python ints int32 (int64 if they do not fit); 0-d results become NumPy scalars.

    Raises:
        TypeError: if ``value`` only converts to an object array (None, ragged lists).
    """
    if isinstance(value, np.generic):
        return value
    if isinstance(value, np.ndarray):
        array = value
    else:
        try:
            array = np.asarray(value)
        except ValueError as error:  # ragged nested lists
            raise TypeError(f"cannot convert {type(value).__name__} to an array: {error}") from None
        if _python_numbers(value):
            if array.dtype == np.float64:
                array = array.astype(np.float32)
            elif array.dtype == np.int64 and (
                array.size == 0 or (array.min() >= _INT32.min and array.max() <= _INT32.max)
            ):
                array = array.astype(np.int32)
    if array.dtype == object:
        raise TypeError(f"cannot convert {type(value).__name__} to an array of numbers or strings")
    return array[()] if array.ndim == 0 else array


def spec_of(element: Any) -> Any:
    """Return the structure of ``TensorSpec`` describing ``element``."""
    return map_structure(lambda leaf: TensorSpec(np.shape(leaf), leaf.dtype), element)


def sample_from_spec(spec: Any) -> Any:
    """Zeros shaped like ``spec``, or None when a dimension is unknown."""
    leaves = flatten(spec)
    if any(s.shape is None or None in s.shape for s in leaves):
        return None
    return pack(spec, [np.zeros(s.shape, s.dtype)[()] for s in leaves])
