"""deepgrad.tree against Keras's keras.tree rules (ordering, containers, errors)."""

from collections import OrderedDict, defaultdict, namedtuple

import numpy as np
import pytest

from deepgrad import tree

Point = namedtuple("Point", ["x", "y"])
OtherPoint = namedtuple("OtherPoint", ["x", "y"])


def test_flatten_orders_dict_values_by_key_and_ordered_dicts_by_insertion():
    assert tree.flatten({"b": 1, "a": 2, "c": [3, (4,)]}) == [2, 1, 3, 4]
    assert tree.flatten(OrderedDict([("b", 1), ("a", 2)])) == [1, 2]
    assert tree.flatten({2: "x", 1: "y"}) == ["y", "x"]


def test_leaves_include_none_and_arrays():
    array = np.zeros(3)
    assert tree.flatten(None) == [None]
    leaves = tree.flatten([array, None])
    assert leaves[0] is array and leaves[1] is None
    assert not tree.is_nested(array) and not tree.is_nested("text")


@pytest.mark.parametrize(
    "structure",
    [
        5,
        [],
        [1, 2],
        (1, [2, 3], {"z": 4, "a": (5, 6)}),
        Point(1, [2, 3]),
        OrderedDict([("b", 1), ("a", [2, 3])]),
        defaultdict(list, {"b": 1, "a": 2}),
        {"outer": {"inner": [Point(1, 2), (3,)]}},
    ],
)
def test_pack_sequence_as_inverts_flatten(structure):
    leaves = tree.flatten(structure)
    packed = tree.pack_sequence_as(structure, leaves)
    assert packed == structure
    assert type(packed) is type(structure)
    if isinstance(structure, dict):
        assert list(packed) == list(structure)  # original key order kept


def test_map_structure_keeps_containers_and_key_order():
    out = tree.map_structure(lambda v: v + 1, {"b": [1, Point(2, 3)], "a": (4,)})
    assert out == {"b": [2, Point(3, 4)], "a": (5,)}
    assert list(out) == ["b", "a"] and type(out["b"][1]) is Point
    assert isinstance(tree.map_structure(str, defaultdict(int, {"k": 1})), defaultdict)


def test_map_structure_over_several_structures_checks_they_match():
    assert tree.map_structure(lambda a, b: a - b, [1, (5, 6)], [1, (2, 2)]) == [0, (3, 4)]
    with pytest.raises(ValueError, match="tuple against list at \\[1\\]"):
        tree.map_structure(lambda a, b: a, [1, (5, 6)], [1, [2, 2]])
    with pytest.raises(TypeError, match="at least one structure"):
        tree.map_structure(abs)


def test_assert_same_structure_names_what_differs():
    tree.assert_same_structure({"a": [1]}, OrderedDict(a=[2]))  # dict kinds match
    with pytest.raises(ValueError, match="Point against OtherPoint"):
        tree.assert_same_structure(Point(1, 2), OtherPoint(1, 2))
    with pytest.raises(ValueError, match="length 2 against 3 at \\['k'\\]"):
        tree.assert_same_structure({"k": [1, 2]}, {"k": [1, 2, 3]})
    with pytest.raises(ValueError, match="keys"):
        tree.assert_same_structure({"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match="a structure against a leaf"):
        tree.assert_same_structure([1], 1)


def test_pack_sequence_as_rejects_the_wrong_number_of_leaves():
    with pytest.raises(ValueError, match="3 leaves, but `flat_sequence` has 2"):
        tree.pack_sequence_as([1, (2, 3)], [1, 2])
    with pytest.raises(ValueError, match="3 leaves, but `flat_sequence` has 4"):
        tree.pack_sequence_as([1, (2, 3)], [1, 2, 3, 4])
    with pytest.raises(ValueError, match="one item"):
        tree.pack_sequence_as(1, [1, 2])


def test_lists_are_leaves_is_tf_datas_rule():
    structure = ([1, 2], {"b": [3], "a": 4})
    assert tree.flatten(structure, lists_are_leaves=True) == [[1, 2], 4, [3]]
    assert tree.map_structure(len, ([1, 2], [3]), lists_are_leaves=True) == (2, 1)
    assert tree.pack_sequence_as(([0], 0), ["x", "y"], lists_are_leaves=True) == ("x", "y")
    tree.assert_same_structure(([1, 2],), ([3],), lists_are_leaves=True)
    assert not tree.is_nested([1], lists_are_leaves=True)


def test_flatten_with_path():
    assert tree.flatten_with_path({"b": [7, 8], "a": 9}) == [
        (("a",), 9), (("b", 0), 7), (("b", 1), 8)
    ]


def test_nesting_a_few_hundred_deep():
    deep = 0
    for _ in range(300):
        deep = [deep]
    assert tree.flatten(deep) == [0]


def test_map_shape_structure_treats_shapes_as_leaves():
    shapes = [(None, 3), {"b": [None, 4], "a": (2,)}]
    assert tree.map_shape_structure(len, shapes) == [2, {"b": 2, "a": 1}]


def test_traverse_can_stop_and_map_to_none():
    def stop_at_tuples(s):
        return "T" if isinstance(s, tuple) else None

    assert tree.traverse(stop_at_tuples, [(1, 2), [3]]) == ["T", [3]]
    none_for_lists = lambda s: tree.MAP_TO_NONE if s == [3] else None  # noqa: E731
    assert tree.traverse(none_for_lists, [(1, 2), [3]], top_down=False) == [(1, 2), None]
