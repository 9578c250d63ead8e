"""dg.tree's last Keras names: assert_same_paths, lists_to_tuples, map_structure_up_to,
against Keras 3.15's results for the same calls (run with its optree implementation)."""

from __future__ import annotations

import collections

import pytest

import deepgrad as dg
from deepgrad import tree

Point1 = collections.namedtuple("Point1", ["x", "y"])
Point2 = collections.namedtuple("Point2", ["x", "y"])


@pytest.mark.parametrize("a, b", [
    ([1, 2], (3, 4)),                 # container types do not matter
    (Point1(0, 1), Point2(2, 3)),
    ({"a": [1]}, {"a": (2,)}),
    ([1, None], [1, 2]),              # None is a leaf
])
def test_assert_same_paths_accepts(a, b):
    tree.assert_same_paths(a, b)


def test_assert_same_paths_lists_both_sides():
    """Keras 3.15: {('a',)} missing in b, {('b',)} missing in a."""
    with pytest.raises(ValueError, match=r"don't have the same paths\.\n"
                                         r"Paths in `a` missing in `b`: \[\('a',\)\]\n"
                                         r"Paths in `b` missing in `a`: \[\('b',\)\]"):
        tree.assert_same_paths({"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match=r"Paths in `a` missing in `b`: \[\(1, 0\)\]\n"
                                         r"Paths in `b` missing in `a`: \[\(1,\)\]"):
        tree.assert_same_paths([1, [2]], [1, 2])
    with pytest.raises(ValueError, match=r"don't have the same paths\.\n"
                                         r"Paths in `b` missing in `a`: \[\(1,\)\]$"):
        tree.assert_same_paths([1, []], [1, 2])  # an empty list has no paths


def test_lists_to_tuples():
    """Keras 3.15's outputs."""
    assert tree.lists_to_tuples([1, [2, {"a": [3]}], (4, [5])]) == (1, (2, {"a": (3,)}),
                                                                    (4, (5,)))
    assert tree.lists_to_tuples([]) == ()
    assert tree.lists_to_tuples(5) == 5
    assert tree.lists_to_tuples({"a": [1, [2]]}) == {"a": (1, (2,))}


def test_map_structure_up_to_keras_examples():
    structure = [[1, 1], [2, 2]]
    assert tree.map_structure_up_to([0, 0], len, structure) == [2, 2]
    assert tree.map_structure_up_to([0, [0, 0]], str, structure) == ["[1, 1]", ["2", "2"]]
    assert tree.map_structure_up_to([None, [None, None]], str, structure) == [
        "[1, 1]", ["2", "2"]]  # Keras's documented example (its optree code refuses None)
    assert tree.map_structure_up_to({"a": 0, "b": [0]}, lambda x, y: (x, y),
                                    {"a": 1, "b": [2]}, {"a": 3, "b": [4]}) == {
        "a": (1, 3), "b": [(2, 4)]}
    assert tree.map_structure_up_to(0, lambda x: x, [1, 2]) == [1, 2]
    assert tree.map_structure_up_to(Point1(0, 0), lambda v: v * 2, Point1(1, [2])) == Point1(
        2, [2, 2])


@pytest.mark.parametrize("shallow, structure, problem", [
    ([0, 0], [1], "length 2 against 1 at the top level"),
    ([0, [0]], [1, 2], "a structure against a leaf at \\[1\\]"),
    ([0, 0], (1, 2), "list against tuple at the top level"),
    ({"a": 0}, {"a": 1, "b": 2}, "keys \\['a'\\] against \\['a', 'b'\\]"),
])
def test_map_structure_up_to_refuses_what_does_not_nest(shallow, structure, problem):
    """Keras 3.15 refuses each of these (arity, 'Expected an instance of list', key
    mismatch)."""
    with pytest.raises(ValueError, match="map_structure_up_to: a structure does not nest "
                                         f"like `shallow_structure`: {problem}"):
        tree.map_structure_up_to(shallow, lambda *v: v, structure)


def test_map_structure_up_to_argument_errors():
    with pytest.raises(TypeError, match="map_structure_up_to: give at least one structure"):
        tree.map_structure_up_to([0], len)
    with pytest.raises(TypeError, match="`func` must be callable"):
        tree.map_structure_up_to([0], None, [1])


def test_version():
    assert dg.version() == dg.__version__
    assert "version" in dir(dg)
