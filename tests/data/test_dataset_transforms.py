"""map, filter, batch, padded_batch, unbatch, take, skip, repeat, concatenate, enumerate,
reduce, apply: values, order and errors."""

from __future__ import annotations

import collections
import threading
import time

import numpy as np
import pytest

from deepgrad.data import AUTOTUNE, Dataset


def ints(ds):
    return [int(v) for v in ds]


def deepgrad_threads():
    """The pipeline's threads; the pooling kernels' worker pool lives for the whole process."""
    return [t for t in threading.enumerate()
            if t.name.startswith(("deepgrad-map", "deepgrad-prefetch"))]


class TestMap:
    def test_tuples_are_unpacked_dicts_and_namedtuples_are_not(self):
        pairs = Dataset.from_tensor_slices(([1, 2], [10, 20]))
        assert ints(pairs.map(lambda a, b: a + b)) == [11, 22]
        dicts = Dataset.from_tensor_slices({"a": [1, 2]})
        assert ints(dicts.map(lambda d: d["a"] * 3)) == [3, 6]
        Pair = collections.namedtuple("Pair", ["x", "y"])
        named = Dataset.from_tensor_slices(Pair([1, 2], [3, 4]))
        assert ints(named.map(lambda p: p.x + p.y)) == [4, 6]

    def test_returned_list_becomes_tuple_and_python_numbers_arrays(self):
        out = next(iter(Dataset.range(1).map(lambda x: [x, 2.5])))
        assert type(out) is tuple and out[1].dtype == np.float32

    def test_each_pass_reruns_the_pipeline(self):
        calls = []
        ds = Dataset.range(4).map(lambda x: calls.append(1) or x)
        list(ds), list(ds)
        assert len(calls) == 8

    def test_vectorised_function_after_batch_runs_once_per_batch(self):
        calls = []

        def scale(x, y):
            calls.append(len(x))
            return x * 2.0, y

        x, y = np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10)
        batches = list(Dataset.from_tensor_slices((x, y)).batch(4).map(scale))
        assert calls == [4, 4, 2]
        np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x * 2.0)

    def test_structure_change_is_an_error(self):
        ds = Dataset.range(3).map(lambda x: x if x < 2 else (x, x))
        with pytest.raises(ValueError, match="same structure.*element 2 gave"):
            list(ds)
        ds = Dataset.range(3).map(lambda x: {"a": x} if x < 1 else {"b": x})
        with pytest.raises(ValueError, match="same structure"):
            list(ds)

    def test_unconvertible_result(self):
        with pytest.raises(TypeError, match="Dataset.map: `map_func` must return arrays"):
            list(Dataset.range(2).map(lambda x: None))

    def test_parallel_preserves_order_and_stops_threads(self):
        def slow(x):
            time.sleep(0.002 * int(3 - x % 3))
            return x * 10

        for calls in (3, AUTOTUNE):
            assert ints(Dataset.range(12).map(slow, num_parallel_calls=calls)) == list(
                range(0, 120, 10)
            )
        for _ in Dataset.range(100).map(slow, num_parallel_calls=2):
            break
        assert deepgrad_threads() == []

    def test_parallel_error_propagates(self):
        def boom(x):
            if x == 3:
                raise RuntimeError("bad element")
            return x

        with pytest.raises(RuntimeError, match="bad element"):
            list(Dataset.range(8).map(boom, num_parallel_calls=2))
        seen = []
        with pytest.raises(RuntimeError, match="bad element"):
            for value in Dataset.range(8).map(boom, num_parallel_calls=2):
                seen.append(int(value))
        assert seen == [0, 1, 2]  # the elements before the failing one still arrive
        assert deepgrad_threads() == []

    def test_parallel_cheap_function_many_elements(self):
        ds = Dataset.range(5000).map(lambda x: x * 2, num_parallel_calls=AUTOTUNE)
        assert ints(ds) == list(range(0, 10000, 2))

    def test_argument_errors(self):
        with pytest.raises(TypeError, match="`map_func` must be callable"):
            Dataset.range(2).map(3)
        with pytest.raises(ValueError, match="`num_parallel_calls` must be a positive int"):
            Dataset.range(2).map(abs, num_parallel_calls=0)


class TestFilter:
    def test_keeps_true(self):
        ds = Dataset.from_tensor_slices(([1, 2, 3, 4], [0, 1, 0, 1])).filter(lambda x, y: y == 1)
        assert [int(x) for x, _ in ds] == [2, 4]

    def test_predicate_must_be_scalar_bool(self):
        with pytest.raises(ValueError, match="must return a scalar bool"):
            list(Dataset.range(3).filter(lambda x: x))
        with pytest.raises(ValueError, match="must return a scalar bool"):
            list(Dataset.from_tensor_slices(np.zeros((2, 3))).filter(lambda x: x > 0))


class TestBatch:
    def test_remainder_kept_or_dropped(self):
        assert [b.tolist() for b in Dataset.range(7).batch(3)] == [[0, 1, 2], [3, 4, 5], [6]]
        assert [b.tolist() for b in Dataset.range(7).batch(3, drop_remainder=True)] == [
            [0, 1, 2],
            [3, 4, 5],
        ]

    def test_batched_pairs_are_tuples_of_arrays(self):
        x, y = np.zeros((5, 4, 4), np.float32), np.arange(5)
        for path in (lambda d: d, lambda d: d.map(lambda image, label: (image, label))):
            batches = list(path(Dataset.from_tensor_slices((x, y))).batch(2))
            assert all(type(b) is tuple and len(b) == 2 for b in batches)
            assert all(isinstance(c, np.ndarray) for b in batches for c in b)
            assert [b[0].shape for b in batches] == [(2, 4, 4), (2, 4, 4), (1, 4, 4)]

    def test_batches_are_fresh_writable_arrays(self):
        batch = next(iter(Dataset.from_tensor_slices(np.arange(4)).batch(2)))
        batch[0] = 99
        assert int(next(iter(Dataset.from_tensor_slices(np.arange(4))))) == 0

    def test_mixed_shapes_or_dtypes_are_errors(self):
        gen = Dataset.from_generator(lambda: iter([[1, 2], [1, 2, 3]]))
        msg = r"different shapes in component 0.*element 1 had shape \(3,\)"
        with pytest.raises(ValueError, match=msg):
            list(gen.batch(2))
        mixed = Dataset.range(2).map(lambda x: np.float32(x) if x == 0 else np.float64(x))
        with pytest.raises(TypeError, match="different dtypes in component 0"):
            list(mixed.batch(2))

    def test_batch_size_errors(self):
        msg = r"Dataset.batch: `batch_size` must be a positive int. Received: batch_size=0"
        with pytest.raises(ValueError, match=msg):
            Dataset.range(3).batch(0)
        with pytest.raises(TypeError, match="`batch_size` must be a positive int"):
            Dataset.range(3).batch(2.0)
        with pytest.raises(TypeError, match="`drop_remainder` must be a bool"):
            Dataset.range(3).batch(2, drop_remainder=1)

    def test_padded_batch(self):
        ds = Dataset.from_generator(lambda: iter([[1], [2, 3], [4, 5, 6]]))
        assert [b.tolist() for b in ds.padded_batch(2)] == [[[1, 0], [2, 3]], [[4, 5, 6]]]
        padded = ds.padded_batch(3, padded_shapes=(4,), padding_values=-1)
        assert next(iter(padded)).tolist() == [[1, -1, -1, -1], [2, 3, -1, -1], [4, 5, 6, -1]]
        with pytest.raises(ValueError, match="larger than its padded shape"):
            list(ds.padded_batch(3, padded_shapes=(2,)))
        with pytest.raises(ValueError, match="does not match the rank"):
            list(ds.padded_batch(3, padded_shapes=(2, 2)))
        pairs = Dataset.from_generator(lambda: iter([([1], 5), ([1, 2], 6)]))
        batch = pairs.padded_batch(2, padded_shapes=([3], []), padding_values=(-1, 0))
        xb, yb = next(iter(batch))
        assert xb.tolist() == [[1, -1, -1], [1, 2, -1]] and yb.tolist() == [5, 6]
        assert batch.element_spec[0].shape == (None, 3)


def test_unbatch_inverts_batch_and_checks_components():
    x, y = np.arange(10).reshape(5, 2), np.arange(5)
    rows = list(Dataset.from_tensor_slices((x, y)).batch(2).unbatch())
    assert [r[0].tolist() for r in rows] == x.tolist()
    assert [int(r[1]) for r in rows] == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="must have a batch dimension"):
        list(Dataset.range(3).unbatch())
    with pytest.raises(ValueError, match="same batch size"):
        list(Dataset.from_tensors((np.zeros(2), np.zeros(3))).unbatch())


class TestTakeSkip:
    def test_values(self):
        assert ints(Dataset.range(10).take(3)) == [0, 1, 2]
        assert ints(Dataset.range(3).take(-1)) == [0, 1, 2]
        assert ints(Dataset.range(10).skip(7)) == [7, 8, 9]
        assert ints(Dataset.range(10).skip(-1)) == []
        assert ints(Dataset.range(3).repeat().take(5)) == [0, 1, 2, 0, 1]
        shuffled = Dataset.from_tensor_slices(np.arange(10)).shuffle(
            10, seed=0, reshuffle_each_iteration=False
        )
        head, tail = ints(shuffled.take(4)), ints(shuffled.skip(4))
        assert len(head) == 4 and sorted(head + tail) == list(range(10))
        assert [b.tolist() for b in shuffled.skip(4).take(4).batch(3)] == [tail[:3], tail[3:4]]

    def test_take_stops_pulling(self):
        pulled = []
        ds = Dataset.range(100).map(lambda x: pulled.append(1) or x).take(3)
        list(ds)
        assert len(pulled) == 3

    def test_count_must_be_int(self):
        msg = r"Dataset.take: `count` must be an int. Received: count=2.5"
        with pytest.raises(TypeError, match=msg):
            Dataset.range(3).take(2.5)
        with pytest.raises(TypeError, match="`count` must be an int"):
            Dataset.range(3).skip("1")


class TestRepeat:
    def test_counts(self):
        assert ints(Dataset.range(2).repeat(3)) == [0, 1] * 3
        assert ints(Dataset.range(2).repeat(0)) == []
        assert ints(Dataset.range(0).repeat()) == []  # ends instead of spinning, as tf
        assert ints(Dataset.from_tensor_slices(np.arange(2)).repeat(2)) == [0, 1, 0, 1]
        with pytest.raises(TypeError, match="`count` must be an int or None"):
            Dataset.range(2).repeat(1.5)


class TestConcatenate:
    def test_values_and_compatibility(self):
        ds = Dataset.range(2).concatenate(Dataset.range(5, 7))
        assert ints(ds) == [0, 1, 5, 6]
        with pytest.raises(TypeError, match="incompatible dataset elements"):
            Dataset.range(2).concatenate(Dataset.from_tensor_slices([1.0]))
        with pytest.raises(TypeError, match="expected a Dataset"):
            Dataset.range(2).concatenate([1])


def test_enumerate_reduce_apply_as_numpy_iterator():
    pairs = [(int(i), int(v)) for i, v in Dataset.range(5, 8).enumerate(start=10)]
    assert pairs == [(10, 5), (11, 6), (12, 7)]
    total = Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x)
    assert int(total) == 10
    state = Dataset.range(3).reduce((np.int64(0), np.int64(1)), lambda s, x: (s[0] + x, s[1] * 2))
    assert (int(state[0]), int(state[1])) == (3, 8)
    with pytest.raises(TypeError, match="structure of `initial_state`"):
        Dataset.range(2).reduce(np.int64(0), lambda s, x: (s, x))
    assert Dataset.range(4).apply(lambda d: d.batch(2)).cardinality() == 2
    assert ints(Dataset.range(2).as_numpy_iterator()) == [0, 1]
    assert bool(Dataset.range(3).filter(lambda x: x > 0)) is True
    assert repr(Dataset.range(3).batch(2)) == "<BatchDataset cardinality=2>"


def test_a_map_that_changes_its_element_in_place_says_how_to_fix_it():
    # keras.io's PointNet example augments with `points += noise` (a new tensor in tf.data);
    # deepgrad's elements are read-only arrays, and NumPy's message named neither.
    points = np.zeros((4, 3, 2))

    def augment(p, label):
        p += 0.5
        return p, label

    with pytest.raises(ValueError, match=r"`x = x \+ y` instead of `x \+= y`"):
        list(Dataset.from_tensor_slices((points, np.arange(4))).map(augment))
    fixed = Dataset.from_tensor_slices((points, np.arange(4))).map(lambda p, y: (p + 0.5, y))
    assert float(next(iter(fixed))[0].sum()) == 3.0
    assert float(points.sum()) == 0.0
