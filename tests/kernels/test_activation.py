"""kernels.activation: ReLU by np.maximum on small arrays and np.clip on large ones, the
same numbers either way; parallel.matmul's small-product shortcut against np.matmul."""

from __future__ import annotations

import numpy as np
import pytest

from deepgrad.kernels import activation, parallel

rng = np.random.default_rng(0)


@pytest.mark.parametrize("size", [1, 320, activation.SMALL_SIZE - 1, activation.SMALL_SIZE,
                                  3 * activation.SMALL_SIZE])
def test_relu_clip_is_max_with_zero_on_both_sides_of_small_size(size):
    y = rng.normal(size=size).astype(np.float32)
    expected = np.where(y > 0, y, 0)
    out = np.empty_like(y)
    np.testing.assert_array_equal(activation.relu_clip(y, out=out), expected)
    np.testing.assert_array_equal(activation.relu_clip(y * 4, high=6.0), np.clip(y * 4, 0, 6))
    assert activation.relu_clip(y) is y and np.array_equal(y, expected)


@pytest.mark.parametrize("m, k, n", [(32, 4, 10), (1, 3136, 128), (1, 2048, 1000),
                                     (300, 200, 300)])
def test_matmul_shapes_agree_with_numpy(m, k, n):
    a, b = rng.normal(size=(m, k)).astype(np.float32), rng.normal(size=(k, n)).astype(np.float32)
    np.testing.assert_allclose(parallel.matmul(a, b), a @ b, rtol=1e-5, atol=1e-4)
    out = np.empty((m, n), np.float32)
    assert parallel.matmul(a, b, out=out) is out
