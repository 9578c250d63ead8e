"""The side table linking softmax and sigmoid outputs to their logits (ops/logits.py)."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from deepgrad import ops
from deepgrad.ops import logits
from deepgrad.tensor import Tensor


def test_tensor_has_no_logits_attribute():
    assert "_logits" not in Tensor.__slots__
    with pytest.raises(AttributeError):
        Tensor([1.0])._logits = None


def test_outputs_are_noted_with_their_kind():
    z = Tensor(np.array([[1.0, 2.0, 3.0]]))
    assert logits.logits_of(ops.softmax(z), "softmax") is z
    assert logits.logits_of(ops.sigmoid(z), "sigmoid") is z
    assert logits.logits_of(ops.softmax(z), "sigmoid") is None
    assert logits.logits_of(ops.softmax(z, axis=0), "softmax") is None  # not the class axis
    assert logits.logits_of(ops.relu(z), "softmax") is None


def test_notes_are_dropped_with_their_outputs():
    z = Tensor(np.ones((2, 3)))
    gc.collect()
    before = len(logits._sources)
    kept = [ops.softmax(z) for _ in range(5)]
    for _ in range(100):
        ops.sigmoid(z)
    gc.collect()
    assert len(logits._sources) == before + len(kept)
    del kept
    gc.collect()
    assert len(logits._sources) == before


def test_binary_crossentropy_of_a_softmax_uses_the_probabilities():
    """Unlike Keras's TensorFlow backend, a softmax's logits never feed the sigmoid
    formula: the value is that of the probabilities, as Keras's other backends give."""
    z = np.array([[2.0, -1.0, 0.5]])
    target = np.array([[1.0, 0.0, 1.0]])
    probabilities = ops.softmax(Tensor(z))
    got = ops.binary_crossentropy(target, probabilities).data
    expected = ops.binary_crossentropy(target, Tensor(probabilities.data.copy())).data
    np.testing.assert_array_equal(got, expected)
