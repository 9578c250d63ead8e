"""cardinality() as tf.data computes it, len(), and element_spec."""

from __future__ import annotations

import numpy as np
import pytest

from deepgrad.data import INFINITE_CARDINALITY as INF
from deepgrad.data import UNKNOWN_CARDINALITY as UNK
from deepgrad.data import Dataset, TensorSpec

R = Dataset.range
FILTERED = R(10).filter(lambda x: x > 2)

CARDINALITIES = [
    ("range", lambda: R(10), 10),
    ("range step", lambda: R(10, 0, -3), 4),
    ("from_tensors", lambda: Dataset.from_tensors(np.zeros(3)), 1),
    ("from_tensor_slices", lambda: Dataset.from_tensor_slices(np.zeros((7, 2))), 7),
    ("from_generator", lambda: Dataset.from_generator(lambda: iter([1])), UNK),
    ("map/shuffle/cache/prefetch keep", lambda: R(10).map(abs).shuffle(3).cache().prefetch(1), 10),
    ("filter", lambda: FILTERED, UNK),
    ("batch rounds up", lambda: R(10).batch(3), 4),
    ("batch drop rounds down", lambda: R(10).batch(3, drop_remainder=True), 3),
    ("batch exact", lambda: R(9).batch(3), 3),
    ("batch infinite", lambda: R(3).repeat().batch(2), INF),
    ("batch unknown", lambda: FILTERED.batch(2), UNK),
    ("repeat forever", lambda: R(3).repeat(), INF),
    ("repeat -1", lambda: R(3).repeat(-1), INF),
    ("repeat empty forever", lambda: R(0).repeat(), 0),
    ("repeat count", lambda: R(3).repeat(4), 12),
    ("repeat zero", lambda: FILTERED.repeat(0), 0),
    ("repeat unknown", lambda: FILTERED.repeat(2), UNK),
    ("repeat unknown forever", lambda: FILTERED.repeat(), INF),
    ("take", lambda: R(10).take(3), 3),
    ("take more", lambda: R(10).take(30), 10),
    ("take all", lambda: R(10).take(-1), 10),
    ("take of infinite", lambda: R(2).repeat().take(5), 5),
    ("take of unknown", lambda: FILTERED.take(3), UNK),
    ("skip", lambda: R(10).skip(3), 7),
    ("skip past end", lambda: R(10).skip(30), 0),
    ("skip all", lambda: R(10).skip(-1), 0),
    ("skip of infinite", lambda: R(2).repeat().skip(3), INF),
    ("concatenate", lambda: R(10).concatenate(R(5)), 15),
    ("concatenate infinite", lambda: FILTERED.concatenate(R(2).repeat()), INF),
    ("concatenate unknown", lambda: R(3).concatenate(FILTERED), UNK),
    ("zip shortest", lambda: Dataset.zip(R(10), R(4)), 4),
    ("zip with infinite", lambda: Dataset.zip(R(10), R(1).repeat()), 10),
    ("zip infinite", lambda: Dataset.zip(R(1).repeat(), R(1).repeat()), INF),
    ("zip unknown", lambda: Dataset.zip(R(1).repeat(), FILTERED), UNK),
    ("unbatch static", lambda: Dataset.from_tensors(np.zeros((3, 2))).unbatch(), 3),
    ("unbatch dynamic", lambda: R(10).batch(2).unbatch(), UNK),
    ("unbatch dropped", lambda: R(10).batch(2, drop_remainder=True).unbatch(), 10),
    ("enumerate", lambda: R(10).enumerate(), 10),
    ("enumerate infinite", lambda: R(1).repeat().enumerate(5), 2**63 - 1 - 5),
]


@pytest.mark.parametrize("name,make,expected", CARDINALITIES, ids=[c[0] for c in CARDINALITIES])
def test_cardinality_table(name, make, expected):
    ds = make()
    assert ds.cardinality() == expected
    if expected >= 0 and expected < 100:
        assert len(list(ds)) == expected == len(ds)


def test_len_raises_like_tf():
    with pytest.raises(TypeError, match="The dataset is infinite."):
        len(R(3).repeat())
    with pytest.raises(TypeError, match="The dataset length is unknown."):
        len(FILTERED)


def test_cardinality_does_not_run_the_pipeline():
    calls = []
    ds = Dataset.from_generator(lambda: calls.append(1) or iter([1])).map(abs).batch(2)
    assert ds.cardinality() == UNK and calls == []


def spec(shape, dtype):
    return TensorSpec(shape, dtype)


def test_element_spec_of_sources_and_batches():
    x, y = np.zeros((5, 28, 28), np.float32), np.zeros(5, np.int64)
    ds = Dataset.from_tensor_slices((x, y))
    assert ds.element_spec == (spec((28, 28), "float32"), spec((), "int64"))
    assert ds.batch(2).element_spec == (spec((None, 28, 28), "float32"), spec((None,), "int64"))
    assert ds.batch(2, drop_remainder=True).element_spec[0] == spec((2, 28, 28), "float32")
    assert ds.batch(2).unbatch().element_spec == ds.element_spec
    assert R(3).element_spec == spec((), "int64")
    assert Dataset.from_tensor_slices({"a": [1.0]}).element_spec == {"a": spec((), "float32")}
    assert R(2).enumerate().element_spec == (spec((), "int64"), spec((), "int64"))
    a, b = Dataset.from_tensors(np.zeros((2, 3))), Dataset.from_tensors(np.zeros((4, 3)))
    assert a.concatenate(b).element_spec == spec((None, 3), "float64")


def test_element_spec_through_map_infers_without_side_effects_on_epochs():
    ds = Dataset.from_tensor_slices(np.zeros((6, 4), np.uint8)).shuffle(6, seed=0)
    order = [e.tolist() for e in ds]
    mapped = ds.map(lambda v: (v.astype(np.float32) / 255, v.sum()))
    assert mapped.element_spec == (spec((4,), "float32"), spec((), "uint64"))
    batched = ds.batch(3).map(lambda v: v.astype(np.float32))
    assert batched.element_spec == spec((None, 4), "float32")
    fresh = Dataset.from_tensor_slices(np.zeros((6, 4), np.uint8)).shuffle(6, seed=0)
    _ = fresh.element_spec, fresh.map(lambda v: v).element_spec
    assert [e.tolist() for e in fresh] == order


def test_tensor_spec_basics():
    s = TensorSpec((None, 3), "float32", name="x")
    assert s.shape == (None, 3) and s.dtype == np.float32 and s.name == "x"
    same = TensorSpec([None, 3], np.float32, "x")
    assert s == same and hash(s) == hash(same)
    assert s.is_compatible_with(np.zeros((7, 3), np.float32))
    assert not s.is_compatible_with(np.zeros((7, 4), np.float32))
    assert not s.is_compatible_with(np.zeros((7, 3), np.float64))
    assert repr(TensorSpec(None, "int8")) == "TensorSpec(shape=None, dtype=int8, name=None)"
    with pytest.raises(ValueError, match="dimensions must be >= 0"):
        TensorSpec((-2,))


def test_tensorspec_string_is_text_of_any_length():
    # issue 12: TensorSpec((), "string") surfaced NumPy's "data type 'string' not understood"
    spec = TensorSpec((), "string")
    assert repr(spec) == "TensorSpec(shape=(), dtype=string, name=None)"
    assert spec == TensorSpec((), str) and spec.is_compatible_with(np.array("a longer text"))
    assert not spec.is_compatible_with(np.array(1.0))

    def texts():
        yield "short", 1
        yield "a much longer text", 2

    ds = Dataset.from_generator(texts, output_signature=(TensorSpec((), "string"),
                                                         TensorSpec((), "int64")))
    assert [str(t) for t, _ in ds] == ["short", "a much longer text"]
    with pytest.raises(TypeError, match=r"TensorSpec: `dtype` must be a NumPy dtype or its name "
                                        r".*Received: dtype='strng'"):
        TensorSpec((), "strng")
