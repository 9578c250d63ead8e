"""Constructors: from_tensor_slices, from_tensors, from_generator, range, zip."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.data import Dataset, TensorSpec


def ints(ds):
    return [int(v) for v in ds]


def test_package_exports():
    assert dg.data.Dataset is Dataset
    assert (dg.data.AUTOTUNE, dg.data.INFINITE_CARDINALITY, dg.data.UNKNOWN_CARDINALITY) == (
        -1,
        -1,
        -2,
    )
    assert set(dg.data.__all__) >= {"Dataset", "AUTOTUNE", "TensorSpec"}


class TestFromTensorSlices:
    def test_array_rows(self):
        x = np.arange(12, dtype=np.float32).reshape(4, 3)
        rows = list(Dataset.from_tensor_slices(x))
        assert len(rows) == 4
        np.testing.assert_array_equal(rows[2], x[2])
        assert rows[0].dtype == np.float32

    def test_tuple_and_dict_and_nested(self):
        x, y = np.arange(6).reshape(3, 2), np.array([7, 8, 9])
        ds = Dataset.from_tensor_slices(({"a": x, "b": y}, y))
        first = next(iter(ds))
        assert isinstance(first, tuple) and set(first[0]) == {"a", "b"}
        np.testing.assert_array_equal(first[0]["a"], [0, 1])
        assert int(first[1]) == 7

    def test_dict_keeps_key_order(self):
        ds = Dataset.from_tensor_slices({"z": [1, 2], "a": [3, 4]})
        assert list(next(iter(ds))) == ["z", "a"]

    def test_namedtuple_structure(self):
        Pair = collections.namedtuple("Pair", ["x", "y"])
        first = next(iter(Dataset.from_tensor_slices(Pair([1, 2], [3, 4]))))
        assert type(first) is Pair and (int(first.x), int(first.y)) == (1, 3)

    def test_lists_are_arrays_with_tf_dtypes(self):
        assert Dataset.from_tensor_slices([1, 2]).element_spec.dtype == np.int32
        assert Dataset.from_tensor_slices([1.5, 2.0]).element_spec.dtype == np.float32
        assert Dataset.from_tensor_slices([2**40, 1]).element_spec.dtype == np.int64
        assert Dataset.from_tensor_slices(np.zeros(2)).element_spec.dtype == np.float64
        rows = list(Dataset.from_tensor_slices([[1, 2], [3, 4]]))
        assert [r.tolist() for r in rows] == [[1, 2], [3, 4]]

    def test_copies_input_and_elements_are_read_only(self):
        x = np.arange(4)
        ds = Dataset.from_tensor_slices(x.reshape(2, 2))
        x[:] = 0
        row = next(iter(ds))
        assert row.tolist() == [0, 1]
        with pytest.raises(ValueError, match="read-only"):
            row[0] = 5

    def test_mismatched_lengths_name_components(self):
        msg = r"tensors\[0\] with length 3, tensors\[1\] with length 2"
        with pytest.raises(ValueError, match=msg):
            Dataset.from_tensor_slices((np.zeros(3), np.zeros(2)))
        with pytest.raises(ValueError, match=r"tensors\['image'\] with length 4"):
            Dataset.from_tensor_slices({"image": np.zeros((4, 2)), "label": np.zeros(5)})

    def test_scalar_component_rejected(self):
        msg = r"at least one dimension.*tensors\[1\] with shape \(\)"
        with pytest.raises(ValueError, match=msg):
            Dataset.from_tensor_slices((np.zeros(3), 5))

    def test_unconvertible_component(self):
        with pytest.raises(TypeError, match=r"Dataset.from_tensor_slices: `tensors\[0\]`"):
            Dataset.from_tensor_slices(([None, None], [1, 2]))

    def test_empty(self):
        ds = Dataset.from_tensor_slices(np.zeros((0, 3)))
        assert list(ds) == [] and ds.cardinality() == 0
        assert ds.element_spec == TensorSpec((3,), "float64")


def test_from_tensors_single_element():
    ds = Dataset.from_tensors((np.zeros((2, 3)), 1.0))
    elements = list(ds)
    assert len(elements) == 1 and ds.cardinality() == 1
    assert elements[0][0].shape == (2, 3) and elements[0][1].dtype == np.float32


class TestRange:
    def test_forms(self):
        assert ints(Dataset.range(4)) == [0, 1, 2, 3]
        assert ints(Dataset.range(2, 5)) == [2, 3, 4]
        assert ints(Dataset.range(5, 0, -2)) == [5, 3, 1]
        assert next(iter(Dataset.range(3))).dtype == np.int64
        assert next(iter(Dataset.range(3, output_type=np.int32))).dtype == np.int32

    def test_errors(self):
        with pytest.raises(ValueError, match="`step` must not be zero"):
            Dataset.range(0, 5, 0)
        with pytest.raises(TypeError, match="`stop` must be an int"):
            Dataset.range(2.5)
        with pytest.raises(ValueError, match="1 to 3 arguments"):
            Dataset.range()


class TestFromGenerator:
    def test_signature_and_fresh_call_per_pass(self):
        calls = []

        def gen():
            calls.append(1)
            for i in range(3):
                yield np.full(2, i, dtype=np.float64), i

        signature = (TensorSpec((2,), "float32"), TensorSpec((), "int64"))
        ds = Dataset.from_generator(gen, output_signature=signature)
        first = list(ds)
        assert len(first) == 3 and first[1][0].dtype == np.float32 and first[1][1] == 1
        list(ds)
        assert len(calls) == 2
        assert ds.element_spec == signature

    def test_legacy_types_and_shapes_and_args(self):
        ds = Dataset.from_generator(
            lambda n: ((i, [i] * 2) for i in range(n)),
            output_types=("int32", "float32"),
            output_shapes=((), (2,)),
            args=(3,),
        )
        assert [(int(a), b.tolist()) for a, b in ds] == [(0, [0, 0]), (1, [1, 1]), (2, [2, 2])]
        assert ds.element_spec[1] == TensorSpec((2,), "float32")

    def test_inferred_from_first_element(self):
        ds = Dataset.from_generator(lambda: iter([(1.0, [1, 2]), (2.0, [3, 4])]))
        assert ds.element_spec == (TensorSpec((), "float32"), TensorSpec((2,), "int32"))
        assert [(float(a), b.tolist()) for a, b in ds] == [(1.0, [1, 2]), (2.0, [3, 4])]

    def test_bad_elements(self):
        spec = TensorSpec((2,), "float32")
        with pytest.raises(TypeError, match="did not match the expected structure"):
            list(Dataset.from_generator(lambda: iter([(1.0, 2.0)]), output_signature=spec))
        with pytest.raises(ValueError, match=r"shape \(3,\) where an element of shape \(2,\)"):
            list(Dataset.from_generator(lambda: iter([[1.0, 2.0, 3.0]]), output_signature=spec))
        with pytest.raises(TypeError, match="could not be converted to the expected type"):
            list(Dataset.from_generator(lambda: iter([["a", "b"]]), output_signature=spec))

    def test_bad_arguments(self):
        with pytest.raises(TypeError, match="`generator` must be callable"):
            Dataset.from_generator(iter([1, 2]))
        with pytest.raises(TypeError, match="nested structure of TensorSpec"):
            Dataset.from_generator(lambda: iter([]), output_signature=(np.float32,))
        with pytest.raises(ValueError, match="cannot infer the spec"):
            _ = Dataset.from_generator(lambda: iter([])).element_spec


class TestZip:
    def test_positional_nested_and_shortest(self):
        a, b = Dataset.range(3), Dataset.range(10, 20)
        assert [(int(x), int(y)) for x, y in Dataset.zip(a, b)] == [(0, 10), (1, 11), (2, 12)]
        nested = Dataset.zip((a, {"k": b}))
        first = next(iter(nested))
        assert int(first[0]) == 0 and int(first[1]["k"]) == 10
        assert [int(x) for x, _ in Dataset.zip(datasets=(a, b))] == [0, 1, 2]

    def test_rejects_non_datasets(self):
        with pytest.raises(TypeError, match="Dataset.zip: expected a Dataset"):
            Dataset.zip((Dataset.range(2), [1, 2]))
