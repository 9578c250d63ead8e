"""Nested structures: flatten, map and rebuild lists, tuples and dicts (Keras's ``keras.tree``).

A structure is a list, a tuple (namedtuples included) or a dict (any ``dict`` subclass),
nested to any depth; everything else, ``None`` included, is a leaf. As in Keras, a dict's
values are flattened in sorted key order (an ``OrderedDict``'s in its own order) and a
rebuilt dict keeps the original key order.

deepgrad adds one keyword to Keras's functions, ``lists_are_leaves``: tf.data's rule, where a
Python list is data (one array), not a structure. ``dg.data`` uses it.

>>> from deepgrad import tree
>>> tree.flatten({"b": [1, 2], "a": (3, None)})
[3, None, 1, 2]
>>> tree.map_structure(lambda v: v * 10, {"b": [1, 2], "a": 3})
{'b': [10, 20], 'a': 30}
>>> tree.pack_sequence_as(([0, 0], {"k": 0}), [1, 2, 3])
([1, 2], {'k': 3})
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = [
    "is_nested", "flatten", "flatten_with_path", "map_structure", "pack_sequence_as",
    "assert_same_structure", "map_shape_structure", "traverse", "MAP_TO_NONE",
    "assert_same_paths", "lists_to_tuples", "map_structure_up_to",
]

_ALL = (list, tuple, dict)
_NO_LISTS = (tuple, dict)


class MAP_TO_NONE:  # noqa: N801 (Keras's name)
    """Returned by a :func:`traverse` function to replace a sub-structure with ``None``."""


def _kinds(lists_are_leaves: bool) -> tuple:
    return _NO_LISTS if lists_are_leaves else _ALL


def _keys(mapping: dict) -> list:
    """A dict's keys in flatten order: sorted (an OrderedDict's own order)."""
    if type(mapping) is not dict and isinstance(mapping, OrderedDict):
        return list(mapping)
    try:
        return sorted(mapping)
    except TypeError:  # keys of mixed types: insertion order, as optree falls back to
        return list(mapping)


def _children(structure) -> list:
    if isinstance(structure, dict):
        return [structure[key] for key in _keys(structure)]
    return list(structure)


def _rebuild(structure, children: list):
    """A container like ``structure`` holding ``children`` (in flatten order)."""
    if isinstance(structure, dict):
        values = dict(zip(_keys(structure), children))
        if type(structure) is dict:
            return {key: values[key] for key in structure}
        items = [(key, values[key]) for key in structure]
        if isinstance(structure, defaultdict):
            return type(structure)(structure.default_factory, items)
        return type(structure)(items)
    if isinstance(structure, tuple) and hasattr(type(structure), "_fields"):
        return type(structure)(*children)
    return type(structure)(children)


def is_nested(structure: Any, *, lists_are_leaves: bool = False) -> bool:
    """Whether ``structure`` is a list, tuple or dict rather than a leaf.

    >>> is_nested(42), is_nested({"foo": 42}), is_nested([1], lists_are_leaves=True)
    (False, True, False)
    """
    return isinstance(structure, _kinds(lists_are_leaves))


def flatten(structure: Any, *, lists_are_leaves: bool = False) -> list:
    """The leaves of ``structure`` as a list, dict values in sorted key order.

    >>> flatten([[1, 2, 3], [4, [5], [[6]]]])
    [1, 2, 3, 4, 5, 6]
    >>> flatten(None), flatten({100: "world!", 6: "Hello"})
    ([None], ['Hello', 'world!'])
    """
    kinds = _NO_LISTS if lists_are_leaves else _ALL
    if not isinstance(structure, kinds):
        return [structure]
    leaves: list = []
    _flatten_into(structure, kinds, leaves)
    return leaves


def _flatten_into(structure, kinds: tuple, leaves: list) -> None:
    items = structure
    if isinstance(structure, dict):
        items = map(structure.__getitem__, _keys(structure))
    for item in items:
        if isinstance(item, kinds):
            _flatten_into(item, kinds, leaves)
        else:
            leaves.append(item)


def flatten_with_path(structure: Any, *, lists_are_leaves: bool = False) -> list[tuple]:
    """``(path, leaf)`` pairs in flatten order; a path is a tuple of indices and keys.

    >>> flatten_with_path([{"foo": 42}])
    [((0, 'foo'), 42)]
    """
    kinds = _kinds(lists_are_leaves)
    pairs: list[tuple] = []
    stack = [((), structure)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, kinds):
            keys = _keys(item) if isinstance(item, dict) else range(len(item))
            stack.extend(reversed([(path + (key,), item[key]) for key in keys]))
        else:
            pairs.append((path, item))
    return pairs


def pack_sequence_as(structure: Any, flat_sequence: Sequence, *, lists_are_leaves: bool = False):
    """``flat_sequence`` rebuilt in the shape of ``structure`` (the inverse of :func:`flatten`).

    Raises:
        ValueError: if ``flat_sequence`` has more or fewer items than ``structure`` leaves.

    >>> pack_sequence_as({"key3": "", "key1": "", "key2": ""}, ["v1", "v2", "v3"])
    {'key3': 'v3', 'key1': 'v1', 'key2': 'v2'}
    """
    kinds = _kinds(lists_are_leaves)
    if not isinstance(structure, kinds):
        if len(flat_sequence) != 1:
            raise ValueError(
                "pack_sequence_as: the structure is a single leaf, so `flat_sequence` must "
                f"hold one item. Received: {len(flat_sequence)} items"
            )
        return flat_sequence[0]
    if type(structure) in (list, tuple) and len(structure) == len(flat_sequence):
        for item in structure:
            if isinstance(item, kinds):
                break
        else:  # a flat list or tuple: no walk
            return type(structure)(flat_sequence)
    leaves = iter(flat_sequence)
    try:
        packed = _pack(structure, leaves, kinds)  # a container, never None
    except StopIteration:
        packed = None
    if packed is None or next(leaves, _END) is not _END:
        count = len(flatten(structure, lists_are_leaves=lists_are_leaves))
        raise ValueError(
            f"pack_sequence_as: the structure has {count} leaves, but `flat_sequence` has "
            f"{len(flat_sequence)} items."
        )
    return packed


_END = object()


def _pack(structure, leaves: Iterator, kinds: tuple):
    if type(structure) is dict:
        values = {
            key: _pack(structure[key], leaves, kinds)
            if isinstance(structure[key], kinds) else next(leaves)
            for key in _keys(structure)
        }
        return {key: values[key] for key in structure}
    children = [
        _pack(child, leaves, kinds) if isinstance(child, kinds) else next(leaves)
        for child in _children(structure)
    ]
    return _rebuild(structure, children)


def map_structure(func: Callable, *structures, lists_are_leaves: bool = False):
    """``func`` applied to the leaves of one or more structures of the same shape.

    Raises:
        ValueError: if several structures do not nest the same way.

    >>> map_structure(lambda v: v ** 2, [[1], [2], (3,)])
    [[1], [4], (9,)]
    >>> map_structure(lambda x, y: x * y, {"a": 2, "b": 3}, {"a": 4, "b": 5})
    {'a': 8, 'b': 15}
    """
    kinds = _NO_LISTS if lists_are_leaves else _ALL
    if len(structures) == 1:
        first = structures[0]
        if not isinstance(first, kinds):
            return func(first)
        if type(first) is tuple:
            for item in first:
                if isinstance(item, kinds):
                    break
            else:  # a flat tuple, the common (x, y): no walk
                return tuple([func(item) for item in first])
        return _map_one(func, first, kinds)
    if not structures:
        raise TypeError("map_structure: give at least one structure.")
    first = structures[0]
    for other in structures[1:]:
        assert_same_structure(first, other, lists_are_leaves=lists_are_leaves)
    columns = zip(*(flatten(s, lists_are_leaves=lists_are_leaves) for s in structures))
    return pack_sequence_as(
        first, [func(*leaves) for leaves in columns], lists_are_leaves=lists_are_leaves
    )


def _map_one(func: Callable, structure, kinds: tuple):
    if not isinstance(structure, kinds):
        return func(structure)
    return _rebuild(structure, [_map_one(func, child, kinds) for child in _children(structure)])


def assert_same_structure(a: Any, b: Any, *, lists_are_leaves: bool = False) -> None:
    """Raise unless ``a`` and ``b`` nest the same way.

    At each level the containers must be of the same type (a list is not a tuple, two
    namedtuple classes differ) with the same length; dicts of any kind match when their
    keys do. Leaves may differ.

    Raises:
        ValueError: naming the first place where the two differ.

    >>> assert_same_structure([(0, 1)], [(2, 3)])
    >>> assert_same_structure([0, 1], (0, 1))
    Traceback (most recent call last):
    ...
    ValueError: The two structures don't have the same nested structure: list against tuple \
at the top level.
    """
    kinds = _kinds(lists_are_leaves)
    stack = [((), a, b)]
    while stack:
        path, x, y = stack.pop()
        problem = _level_problem(x, y, kinds)
        if problem is not None:
            raise ValueError(
                f"The two structures don't have the same nested structure: {problem} "
                f"{_where(path)}."
            )
        if isinstance(x, kinds):
            keys = _keys(x) if isinstance(x, dict) else range(len(x))
            stack.extend((path + (key,), x[key], y[key]) for key in keys)


def _where(path: tuple) -> str:
    return "at the top level" if not path else f"at {list(path)}"


def _level_problem(x, y, kinds: tuple) -> str | None:
    """How ``y`` differs from ``x`` at this level (:func:`assert_same_structure`'s rules),
    or None."""
    x_nested, y_nested = isinstance(x, kinds), isinstance(y, kinds)
    if x_nested != y_nested:
        return "a structure against a leaf" if x_nested else "a leaf against a structure"
    if not x_nested:
        return None
    if isinstance(x, dict) or isinstance(y, dict):
        if not (isinstance(x, dict) and isinstance(y, dict)):
            return f"{type(x).__name__} against {type(y).__name__}"
        if x.keys() != y.keys():
            return f"keys {sorted(map(str, x))} against {sorted(map(str, y))}"
        return None
    if type(x) is not type(y):
        return f"{type(x).__name__} against {type(y).__name__}"
    if len(x) != len(y):
        return f"length {len(x)} against {len(y)}"
    return None


def assert_same_paths(a: Any, b: Any) -> None:
    """Raise unless ``a`` and ``b`` have the same paths (Keras's ``keras.tree``).

    Unlike :func:`assert_same_structure`, the container types do not matter: a list
    matches a tuple, two namedtuple classes match, as long as the indices and keys of
    every leaf are the same.

    Raises:
        ValueError: listing the paths each has that the other lacks.

    >>> assert_same_paths([0, 1], (2, 3))
    >>> assert_same_paths({"a": 1}, {"b": 1})
    Traceback (most recent call last):
    ...
    ValueError: assert_same_paths: `a` and `b` don't have the same paths.
    Paths in `a` missing in `b`: [('a',)]
    Paths in `b` missing in `a`: [('b',)]
    """
    a_paths = {path for path, _ in flatten_with_path(a)}
    b_paths = {path for path, _ in flatten_with_path(b)}
    if a_paths == b_paths:
        return
    message = "assert_same_paths: `a` and `b` don't have the same paths."
    for label, extra in (("Paths in `a` missing in `b`", a_paths - b_paths),
                         ("Paths in `b` missing in `a`", b_paths - a_paths)):
        if extra:
            message += f"\n{label}: {sorted(extra, key=repr)}"
    raise ValueError(message)


def lists_to_tuples(structure: Any):
    """``structure`` with every list, at any depth, made a tuple (Keras's ``keras.tree``).

    >>> lists_to_tuples([1, [2, {"a": [3]}], (4, [5])])
    (1, (2, {'a': (3,)}), (4, (5,)))
    """
    return traverse(lambda item: tuple(item) if isinstance(item, list) else None, structure,
                    top_down=False)


def map_structure_up_to(shallow_structure: Any, func: Callable, *structures):
    """``func`` applied to the structures down to the leaves of ``shallow_structure`` only:
    what lies deeper in ``structures`` is passed to ``func`` whole (Keras's ``keras.tree``).

    Each structure must nest like ``shallow_structure`` down to its leaves (same rules as
    :func:`assert_same_structure`) and may nest deeper below them. ``None`` in
    ``shallow_structure`` is a leaf, as Keras documents (Keras 3.15's optree code refuses
    its own example with ``None``; deepgrad follows the documentation).

    Returns:
        A structure laid out like ``shallow_structure``.

    Raises:
        TypeError: without structures, or if ``func`` is not callable.
        ValueError: where a structure is shallower than ``shallow_structure`` or differs
            from it.

    >>> map_structure_up_to([None, None], len, [[1, 1], [2, 2]])
    [2, 2]
    >>> map_structure_up_to([None, [None, None]], str, [[1, 1], [2, 2]])
    ['[1, 1]', ['2', '2']]
    """
    if not structures:
        raise TypeError("map_structure_up_to: give at least one structure.")
    if not callable(func):
        raise TypeError(f"map_structure_up_to: `func` must be callable. Received: {func!r}")

    def walk(path: tuple, shallow, items: list):
        if not isinstance(shallow, _ALL):
            return func(*items)
        for item in items:
            problem = _level_problem(shallow, item, _ALL)
            if problem is not None:
                raise ValueError(f"map_structure_up_to: a structure does not nest like "
                                 f"`shallow_structure`: {problem} {_where(path)}.")
        keys = _keys(shallow) if isinstance(shallow, dict) else range(len(shallow))
        return _rebuild(shallow, [walk(path + (key,), shallow[key], [i[key] for i in items])
                                  for key in keys])

    return walk((), shallow_structure, list(structures))


def map_shape_structure(func: Callable, structure: Any):
    """:func:`map_structure` where a tuple or list of ints and ``None`` is a leaf (a shape).

    >>> map_shape_structure(lambda shape: shape[1:], [(None, 3), {"a": (None, 4, 5)}])
    [(3,), {'a': (4, 5)}]
    """
    if _is_shape(structure):
        return func(tuple(structure))
    if not isinstance(structure, _ALL):
        return func(structure)
    return _rebuild(structure, [map_shape_structure(func, c) for c in _children(structure)])


def _is_shape(value) -> bool:
    return isinstance(value, (list, tuple)) and all(
        v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value
    )


def traverse(func: Callable, structure: Any, top_down: bool = True):
    """Call ``func`` on every sub-structure and leaf, depth first; Keras's rules.

    Top down, a result other than ``None`` replaces that sub-structure and stops the walk
    into it; bottom up, ``func`` sees the already traversed children. Return
    :class:`MAP_TO_NONE` to replace something with ``None``.

    >>> seen = []
    >>> traverse(seen.append, [(1, 2), {"a": 3}])
    [(1, 2), {'a': 3}]
    >>> seen
    [[(1, 2), {'a': 3}], (1, 2), 1, 2, {'a': 3}, 3]
    >>> traverse(lambda s: tuple(s) if isinstance(s, list) else None, [[1], 2], top_down=False)
    ((1,), 2)
    """

    def children_done(item):
        if not isinstance(item, _ALL):
            return item
        return _rebuild(item, [traverse(func, c, top_down) for c in _children(item)])

    if top_down:
        result = func(structure)
        if result is None:
            return children_done(structure)
    else:
        structure = children_done(structure)
        result = func(structure)
        if result is None:
            return structure
    return None if result is MAP_TO_NONE else result
