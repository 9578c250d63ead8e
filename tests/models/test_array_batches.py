"""ArrayBatches: each epoch's batches are the rows of the data in the drawn order."""

from __future__ import annotations

import numpy as np
import pytest

from deepgrad.models.data_adapter import ArrayBatches

rng = np.random.default_rng(0)
X = rng.normal(size=(10, 3)).astype(np.float32)
Y = np.arange(10)
W = rng.random(10)


def _order(n):
    return np.random.default_rng(5).permutation(n)


@pytest.mark.parametrize("sample_weight", [None, W])
def test_shuffled_batches_are_copies_of_the_drawn_rows(sample_weight):
    batches = ArrayBatches(X, Y, sample_weight, batch_size=4)
    batches.permutation = _order
    order = _order(10)
    seen = list(batches.epoch(shuffle=True))
    assert [len(b[0]) for b in seen] == [4, 4, 2]
    for (x, y, sw), start in zip(seen, (0, 4, 8), strict=True):
        rows = order[start:start + 4]
        np.testing.assert_array_equal(x, X[rows])
        np.testing.assert_array_equal(y, Y[rows])
        if sample_weight is None:
            assert sw is None
        else:
            np.testing.assert_array_equal(sw, W[rows])
        assert not np.shares_memory(x, X) and x.flags.c_contiguous


def test_unshuffled_batches_are_views_in_order():
    x, y, sw = next(iter(ArrayBatches(X, Y, W, batch_size=4).epoch(shuffle=False)))
    assert np.shares_memory(x, X) and np.shares_memory(y, Y) and np.shares_memory(sw, W)
    np.testing.assert_array_equal(x, X[:4])


def test_structured_data_is_gathered_per_array():
    batches = ArrayBatches({"a": X, "b": X[:, :1]}, [Y, Y * 2], {"out": W}, batch_size=6)
    batches.permutation = _order
    rows = _order(10)[:6]
    x, y, sw = next(iter(batches.epoch(shuffle=True)))
    np.testing.assert_array_equal(x["a"], X[rows])
    np.testing.assert_array_equal(x["b"], X[rows, :1])
    np.testing.assert_array_equal(y[1], Y[rows] * 2)
    np.testing.assert_array_equal(sw["out"], W[rows])
