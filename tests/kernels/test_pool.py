"""The pooling kernels' fast paths against kernels.reference: separable 2-D max and average
pooling with and without the winners, the cell-by-cell inference max, the tiled backward,
pooling along one axis, and the unpooling the fused conv + max-pool trains with."""

from __future__ import annotations

import math

import numpy as np
import pytest

from deepgrad.kernels import pool, reference
from deepgrad.kernels.geometry import window, window_counts
from deepgrad.kernels.pool_axis import max_along, max_along_backward, sum_along, sum_along_backward

rng = np.random.default_rng(0)

CASES = [
    # (x shape, pool size, strides, padding): 2x2 tiles (tiled backward), the course CNN's
    # first pool, overlap, stride > size, odd sizes, a window as large as the input.
    ((3, 8, 8, 4), (2, 2), (2, 2), "valid"),
    ((2, 28, 28, 32), (2, 2), (2, 2), "valid"),
    ((3, 9, 6, 2), (3, 3), (3, 3), "valid"),
    ((3, 5, 5, 2), (2, 2), (2, 2), "same"),
    ((3, 5, 7, 2), (3, 3), (2, 2), "same"),
    ((1, 6, 5, 2), (3, 2), (1, 1), "valid"),
    ((3, 7, 5, 2), (2, 3), (3, 1), "valid"),
    ((2, 5, 4, 2), (4, 2), (3, 1), "same"),
    ((2, 3, 3, 1), (3, 3), (3, 3), "valid"),
]


def distinct(*shape, dtype=np.float32):
    return ((rng.permutation(math.prod(shape)).reshape(shape) - 100) * 0.25).astype(dtype)


@pytest.mark.parametrize("shape, size, strides, padding", CASES)
def test_max_pool2d_matches_the_reference(shape, size, strides, padding):
    x = distinct(*shape)
    x[0, : size[0], : size[1]] = 1.0  # a window of ties: the first cell wins
    want = reference.max_pool2d(x, size, strides, padding)
    # Without the winners (inference) a 2x2 window goes cell by cell, else separably.
    np.testing.assert_array_equal(pool.max_pool2d(x, size, strides, padding, False)[0], want)
    out, state = pool.max_pool2d(x, size, strides, padding)
    np.testing.assert_array_equal(out, want)
    g = rng.normal(size=want.shape).astype(np.float32)  # overlapping windows add in any order
    np.testing.assert_allclose(pool.max_pool2d_backward(g, state),
                               reference.max_pool2d_backward(x, g, size, strides, padding),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape, size, strides, padding", CASES)
def test_avg_pool2d_matches_the_reference(shape, size, strides, padding):
    x = rng.normal(size=shape)
    out, state = pool.avg_pool2d(x, size, strides, padding)
    np.testing.assert_allclose(out, reference.avg_pool2d(x, size, strides, padding), atol=1e-12)
    g = rng.normal(size=out.shape)
    np.testing.assert_allclose(pool.avg_pool2d_backward(g, state),
                               reference.avg_pool2d_backward(x, g, size, strides, padding),
                               atol=1e-12)


@pytest.mark.parametrize("length, size, stride, padding", [
    (7, 2, 2, "valid"), (7, 2, 2, "same"), (8, 3, 1, "same"), (9, 3, 2, "valid"), (7, 2, 3, "same"),
])
def test_pooling_along_one_axis_is_2d_pooling_of_height_one(length, size, stride, padding):
    x = distinct(3, length, 2, dtype=np.float64)
    w = window(length, size, stride, padding)
    image, window_2d, strides_2d = x[:, None], (1, size), (1, stride)
    out, argmax = max_along(x, 1, w)
    np.testing.assert_array_equal(out, reference.max_pool2d(image, window_2d, strides_2d,
                                                            padding)[:, 0])
    g = rng.normal(size=out.shape)
    np.testing.assert_array_equal(
        max_along_backward(g, argmax, 1, w),
        reference.max_pool2d_backward(image, g[:, None], window_2d, strides_2d, padding)[:, 0])
    # A sum is the average times the count of real cells in each window.
    counts = window_counts(w).astype(float)[:, None]
    average = reference.avg_pool2d(image, window_2d, strides_2d, padding)[:, 0]
    np.testing.assert_allclose(sum_along(x, 1, w), average * counts, atol=1e-12)
    np.testing.assert_allclose(
        sum_along_backward(g, 1, w),
        reference.avg_pool2d_backward(image, (g * counts)[:, None], window_2d, strides_2d,
                                      padding)[:, 0], atol=1e-12)


@pytest.mark.parametrize("shape, size", [((2, 8, 8, 3), (2, 2)), ((2, 7, 9, 3), (3, 2)),
                                         ((1, 4, 6, 2), (1, 3))])
def test_max_of_and_max_unpool_are_pooling_and_its_backward(shape, size):
    """What the fused conv + max-pool does with each chunk: the running max over the
    window's cells with the winners (ties to the first cell), and the gradient sent back
    to them (rows and columns the pool leaves out get zero)."""
    x = distinct(*shape)
    x[0, : size[0], : size[1]] = 1.0
    ph, pw = size
    oh, ow = shape[1] // ph, shape[2] // pw
    cells = [x[:, i : oh * ph : ph, j : ow * pw : pw] for i in range(ph) for j in range(pw)]
    out = np.empty(cells[0].shape, x.dtype)
    argmax = np.empty(out.shape, np.uint8)
    pool.max_of(cells, out, argmax)
    np.testing.assert_array_equal(out, reference.max_pool2d(x, size))
    g = rng.normal(size=out.shape).astype(np.float32)
    np.testing.assert_array_equal(pool.max_unpool(g, argmax, size, x.shape),
                                  reference.max_pool2d_backward(x, g, size))
