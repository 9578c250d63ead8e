"""iris and digits, from scikit-learn's bundled data."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.datasets import digits, iris


def test_iris_whole():
    x, y = iris.load_data()
    assert x.shape == (150, 4) and x.dtype == np.float32
    assert y.shape == (150,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 50, 50]
    assert iris.CLASS_NAMES == ("setosa", "versicolor", "virginica")
    assert len(iris.FEATURE_NAMES) == 4
    np.testing.assert_allclose(x[0], [5.1, 3.5, 1.4, 0.2], rtol=1e-6)


def test_digits_whole():
    x, y = digits.load_data()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0 and x.max() == 16 and set(y.tolist()) == set(range(10))
    assert digits.CLASS_NAMES[y[0]] == "0"


@pytest.mark.parametrize("module, n", [(iris, 150), (digits, 1797)])
def test_split_is_stratified_disjoint_and_complete(module, n):
    x, y = module.load_data()
    (x_train, y_train), (x_test, y_test) = module.load_data(test_split=0.2)
    assert len(x_train) + len(x_test) == n and len(y_test) == len(x_test)
    expected = np.round(np.bincount(y) * 0.2).astype(int)
    np.testing.assert_array_equal(np.bincount(y_test, minlength=10 if n > 150 else 3), expected)
    both = np.concatenate([x_train, x_test])
    rows = np.concatenate([y_train, y_test])
    order = np.lexsort(np.column_stack([both, rows]).T)
    full = np.lexsort(np.column_stack([x, y]).T)
    np.testing.assert_array_equal(both[order], x[full])
    assert not np.all(np.diff(y_train) >= 0)  # shuffled, classes interleaved


def test_split_is_reproducible():
    first = iris.load_data(test_split=0.3)
    again = iris.load_data(test_split=0.3)
    other = iris.load_data(test_split=0.3, seed=1)
    np.testing.assert_array_equal(first[1][0], again[1][0])
    assert not np.array_equal(first[1][0], other[1][0])
    dg.random.set_random_seed(5)
    a = iris.load_data(test_split=0.3, seed=None)
    dg.random.set_random_seed(5)
    b = iris.load_data(test_split=0.3, seed=None)
    np.testing.assert_array_equal(a[0][1], b[0][1])


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5])
def test_bad_test_split(bad):
    with pytest.raises(ValueError, match=r"iris.load_data: `test_split` must be strictly between"):
        iris.load_data(test_split=bad)


def test_test_split_must_be_a_number():
    with pytest.raises(TypeError, match=r"digits.load_data: `test_split` must be a float"):
        digits.load_data(test_split="0.2")
