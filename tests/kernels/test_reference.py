"""kernels.reference, the oracle of every fast convolution and pooling path, held to the
loop definitions (tests/numpy_reference.py) forward, to adjoint identities and finite
differences backward, and to PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from deepgrad.kernels import reference
from deepgrad.kernels.geometry import resolve_padding

from numpy_reference import naive_conv2d, naive_depthwise, naive_pool

rng = np.random.default_rng(0)

CONV_CASES = [
    # (x shape, kernel shape, strides, padding, dilation)
    ((2, 7, 6, 1), (3, 3, 1, 2), (1, 1), "valid", (1, 1)),
    ((3, 8, 6, 2), (3, 2, 2, 3), (2, 1), "same", (1, 1)),
    ((2, 9, 9, 5), (4, 4, 5, 2), (3, 3), "same", (1, 1)),
    ((2, 10, 9, 3), (3, 3, 3, 2), (1, 1), "same", (2, 2)),
    ((1, 6, 7, 3), (2, 3, 3, 4), (1, 2), ((2, 1), (0, 3)), (2, 1)),
    ((2, 5, 5, 4), (1, 1, 4, 3), (1, 1), "valid", (1, 1)),
]
POOL_CASES = [
    # (x shape, pool size, strides, padding): overlap, stride > size, odd sizes, size 1
    ((2, 4, 4, 3), (2, 2), None, "valid"),
    ((3, 5, 5, 2), (2, 2), None, "same"),
    ((3, 5, 7, 2), (3, 3), (2, 2), "same"),
    ((1, 6, 5, 2), (3, 2), (1, 1), "valid"),
    ((3, 7, 5, 2), (2, 3), (3, 1), "valid"),
    ((2, 5, 4, 2), (4, 2), (3, 1), "same"),
    ((3, 4, 6, 2), (1, 1), (2, 2), "valid"),
]


def distinct(*shape):
    """Values at least 0.05 apart: a max has no ties, and a small step keeps every winner."""
    return (rng.permutation(math.prod(shape)).reshape(shape) - math.prod(shape) / 2) * 0.05


def vdot(a, b):
    return float(np.vdot(a, b))


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", CONV_CASES)
def test_conv2d_is_the_loop_definition_and_its_backward_the_adjoint(
    x_shape, k_shape, strides, padding, dilation
):
    x, k, b = rng.normal(size=x_shape), rng.normal(size=k_shape), rng.normal(size=k_shape[3])
    pads = resolve_padding(padding, x_shape[1:3], k_shape[:2], strides, dilation)
    y = reference.conv2d(x, k, b, strides, padding, dilation)
    np.testing.assert_allclose(y, naive_conv2d(x, k, pads, strides, dilation) + b, atol=1e-12)
    g = rng.normal(size=y.shape)
    dx, dk, db = reference.conv2d_backward(x, k, g, strides, padding, dilation)
    # The convolution is linear in x and in k: <dx, v> = <g, conv(v, k)> for every v.
    v, u = rng.normal(size=x_shape), rng.normal(size=k_shape)
    np.testing.assert_allclose(vdot(dx, v), vdot(g, reference.conv2d(v, k, None, strides,
                                                                      padding, dilation)))
    np.testing.assert_allclose(vdot(dk, u), vdot(g, reference.conv2d(x, u, None, strides,
                                                                      padding, dilation)))
    np.testing.assert_allclose(db, g.sum(axis=(0, 1, 2)))
    assert dx.shape == x_shape and dk.shape == k_shape


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", CONV_CASES[:5])
def test_depthwise_is_the_loop_definition_and_its_backward_the_adjoint(
    x_shape, k_shape, strides, padding, dilation
):
    k_shape = k_shape[:3] + (2,)  # depth multiplier 2
    x, k = rng.normal(size=x_shape), rng.normal(size=k_shape)
    pads = resolve_padding(padding, x_shape[1:3], k_shape[:2], strides, dilation)
    y = reference.depthwise_conv2d(x, k, strides, padding, dilation)
    np.testing.assert_allclose(y, naive_depthwise(x, k, pads, strides, dilation), atol=1e-12)
    g = rng.normal(size=y.shape)
    dx, dk = reference.depthwise_conv2d_backward(x, k, g, strides, padding, dilation)
    v, u = rng.normal(size=x_shape), rng.normal(size=k_shape)
    np.testing.assert_allclose(vdot(dx, v), vdot(g, reference.depthwise_conv2d(
        v, k, strides, padding, dilation)))
    np.testing.assert_allclose(vdot(dk, u), vdot(g, reference.depthwise_conv2d(
        x, u, strides, padding, dilation)))


@pytest.mark.parametrize("shape, size, strides, padding", POOL_CASES)
def test_pooling_is_the_loop_definition_and_its_backward_the_derivative(
    shape, size, strides, padding
):
    x = distinct(*shape)
    for forward, backward, reduce in (
        (reference.max_pool2d, reference.max_pool2d_backward, np.max),
        (reference.avg_pool2d, reference.avg_pool2d_backward, np.mean),
    ):
        y = forward(x, size, strides, padding)
        np.testing.assert_allclose(y, naive_pool(x, size, strides, padding, reduce), atol=1e-12)
        g = rng.normal(size=y.shape)
        dx = backward(x, g, size, strides, padding)
        # Both are linear near x (max: no winner changes for a step this small).
        v, eps = rng.normal(size=shape), 1e-3
        step = (forward(x + eps * v, size, strides, padding) - y) / eps
        np.testing.assert_allclose(vdot(dx, v), vdot(g, step), rtol=1e-9)


def test_max_pool_ties_go_to_the_first_cell_and_padding_never_wins():
    x = np.array([[0.0, 5.0], [5.0, 5.0]]).reshape(1, 2, 2, 1)
    dx = reference.max_pool2d_backward(x, np.ones((1, 1, 1, 1)), (2, 2))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 1], [0, 0]])
    x = -np.ones((1, 3, 3, 1))
    np.testing.assert_array_equal(reference.max_pool2d(x, (2, 2), padding="same"), -1)
    ints = np.arange(-9, 0).reshape(1, 3, 3, 1)
    assert reference.max_pool2d(ints, (2, 2), padding="same").dtype == ints.dtype


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is the reference; pip install '.[test]'")


def _nchw(torch, a):
    return torch.tensor(np.ascontiguousarray(a.transpose(0, 3, 1, 2)), requires_grad=True)


def _nhwc(t):
    return t.detach().numpy().transpose(0, 2, 3, 1)


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", CONV_CASES)
def test_conv2d_and_its_gradients_against_torch(x_shape, k_shape, strides, padding, dilation):
    torch = _torch()
    F = torch.nn.functional
    x, k, b = rng.normal(size=x_shape), rng.normal(size=k_shape), rng.normal(size=k_shape[3])
    y = reference.conv2d(x, k, b, strides, padding, dilation)
    g = rng.normal(size=y.shape)
    dx, dk, db = reference.conv2d_backward(x, k, g, strides, padding, dilation)
    (top, bottom), (left, right) = resolve_padding(padding, x_shape[1:3], k_shape[:2], strides,
                                                   dilation)
    xt, bt = _nchw(torch, x), torch.tensor(b, requires_grad=True)
    kt = torch.tensor(np.ascontiguousarray(k.transpose(3, 2, 0, 1)), requires_grad=True)
    yt = F.conv2d(F.pad(xt, (left, right, top, bottom)), kt, bt, strides, dilation=dilation)
    yt.backward(torch.tensor(np.ascontiguousarray(g.transpose(0, 3, 1, 2))))
    np.testing.assert_allclose(y, _nhwc(yt), atol=1e-10)
    np.testing.assert_allclose(dx, _nhwc(xt.grad), atol=1e-10)
    np.testing.assert_allclose(dk, kt.grad.numpy().transpose(2, 3, 1, 0), atol=1e-10)
    np.testing.assert_allclose(db, bt.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("shape, size, strides, padding", [
    c for c in POOL_CASES if c[3] == "valid"  # torch pads symmetrically: 'valid' only
])
def test_pooling_and_its_gradients_against_torch(shape, size, strides, padding):
    torch = _torch()
    F = torch.nn.functional
    x = distinct(*shape)
    for ours, ours_backward, theirs in (
        (reference.max_pool2d, reference.max_pool2d_backward, F.max_pool2d),
        (reference.avg_pool2d, reference.avg_pool2d_backward, F.avg_pool2d),
    ):
        y = ours(x, size, strides, padding)
        g = rng.normal(size=y.shape)
        xt = _nchw(torch, x)
        yt = theirs(xt, size, strides or size)
        yt.backward(torch.tensor(np.ascontiguousarray(g.transpose(0, 3, 1, 2))))
        np.testing.assert_allclose(y, _nhwc(yt), atol=1e-12)
        np.testing.assert_allclose(ours_backward(x, g, size, strides, padding), _nhwc(xt.grad),
                                   atol=1e-12)
