"""The depthwise kernels against kernels.reference: every geometry (strides, dilation,
padding on either side, taps that never reach the input), depth multipliers, chunks of
images split across calls, fused bias and activations, and each requested gradient."""

from __future__ import annotations

import numpy as np
import pytest

from deepgrad.kernels import depthwise, reference
from deepgrad.kernels.depthwise import depthwise_backward, depthwise_forward, taps
from deepgrad.kernels.geometry import conv_geometry

rng = np.random.default_rng(0)

GEOMETRIES = [
    # x_shape, k_shape (kh, kw, C, multiplier), strides, padding, dilation
    ((2, 7, 6, 3), (3, 3, 3, 1), (1, 1), "same", (1, 1)),
    ((3, 8, 8, 4), (3, 3, 4, 1), (2, 2), "same", (1, 1)),  # even size: pad after only
    ((2, 9, 7, 4), (3, 3, 4, 1), (2, 2), "same", (1, 1)),  # odd size: pad both sides
    ((2, 9, 9, 5), (3, 3, 5, 1), (2, 2), "valid", (1, 1)),  # MobileNetV2 after its pad
    ((1, 8, 9, 2), (2, 3, 2, 3), (2, 2), "valid", (1, 1)),
    ((2, 9, 9, 2), (3, 2, 2, 2), (1, 1), ((1, 0), (2, 1)), (2, 2)),
    ((2, 6, 6, 3), (5, 5, 3, 1), (1, 1), "same", (1, 1)),
    ((1, 2, 3, 2), (3, 3, 2, 1), (1, 1), ((3, 3), (1, 3)), (1, 1)),  # taps off the input
    ((2, 7, 5, 2), (3, 3, 2, 1), (3, 2), ((0, 2), (1, 1)), (1, 2)),
    ((2, 7, 8, 3), (3, 3, 3, 2), (1, 2), "same", (2, 1)),  # a stride on one axis only
    ((2, 8, 7, 2), (2, 3, 2, 1), (2, 1), ((1, 2), (0, 3)), (1, 2)),
]


def _geometry(x_shape, k_shape, strides, padding, dilation):
    out_c = k_shape[2] * k_shape[3]
    return conv_geometry(x_shape, k_shape[:3] + (out_c,), strides, padding, dilation)


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", GEOMETRIES)
@pytest.mark.parametrize("chunk_bytes", [1, depthwise.CHUNK_BYTES])
@pytest.mark.parametrize("windows_from", [1, 2, 1 << 30])  # einsum over windows from stride
def test_depthwise_matches_the_reference(x_shape, k_shape, strides, padding, dilation,
                                         chunk_bytes, windows_from, monkeypatch):
    monkeypatch.setattr(depthwise, "CHUNK_BYTES", chunk_bytes)  # 1: one image a chunk
    monkeypatch.setattr(depthwise, "WINDOWS_MIN_STRIDE", windows_from)
    x, k = rng.normal(size=x_shape), rng.normal(size=k_shape)
    geo = _geometry(x_shape, k_shape, strides, padding, dilation)
    y = depthwise_forward(x, k, geo)
    np.testing.assert_allclose(y, reference.depthwise_conv2d(x, k, strides, padding, dilation),
                               atol=1e-12)
    g = rng.normal(size=y.shape)
    want_dx, want_dk = reference.depthwise_conv2d_backward(x, k, g, strides, padding, dilation)
    dx, dk, db = depthwise_backward(x, k, g, geo, need_bias=True)
    np.testing.assert_allclose(dx, want_dx, atol=1e-12)
    np.testing.assert_allclose(dk, want_dk, atol=1e-12)
    np.testing.assert_allclose(db, g.reshape(-1, g.shape[3]).sum(axis=0), atol=1e-12)


@pytest.mark.parametrize("activation, low, high", [("relu", 0.0, np.inf), ("relu6", 0.0, 6.0)])
def test_fused_bias_and_activation_match_the_reference(activation, low, high):
    x_shape, k_shape = (3, 6, 5, 4), (3, 3, 4, 2)
    x, k, b = rng.normal(size=x_shape) * 3, rng.normal(size=k_shape), rng.normal(size=8)
    geo = _geometry(x_shape, k_shape, (1, 1), "same", (1, 1))
    pre = reference.depthwise_conv2d(x, k, (1, 1), "same") + b
    y = depthwise_forward(x, k, geo, b, activation)
    np.testing.assert_allclose(y, np.clip(pre, low, high), atol=1e-12)
    assert ((pre > 6) | (pre < 0)).any() and ((pre > 0) & (pre < 6)).any()
    g = rng.normal(size=y.shape)
    masked = g * ((pre > low) & (pre < high))
    want_dx, want_dk = reference.depthwise_conv2d_backward(x, k, masked, (1, 1), "same")
    dx, dk, db = depthwise_backward(x, k, g, geo, need_bias=True, activation=activation,
                                    output=y)
    np.testing.assert_allclose(dx, want_dx, atol=1e-12)
    np.testing.assert_allclose(dk, want_dk, atol=1e-12)
    np.testing.assert_allclose(db, masked.reshape(-1, 8).sum(axis=0), atol=1e-12)


def test_only_the_requested_gradients():
    x, k = rng.normal(size=(2, 5, 5, 3)), rng.normal(size=(3, 3, 3, 1))
    geo = _geometry(x.shape, k.shape, (2, 2), "same", (1, 1))
    g = rng.normal(size=(2, 3, 3, 3))
    want_dx, want_dk = reference.depthwise_conv2d_backward(x, k, g, (2, 2), "same")
    dx, dk, db = depthwise_backward(x, k, g, geo, need_weight=False)
    assert dk is None and db is None
    np.testing.assert_allclose(dx, want_dx, atol=1e-12)
    dx, dk, db = depthwise_backward(x, k, g, geo, need_input=False)
    assert dx is None and db is None
    np.testing.assert_allclose(dk, want_dk, atol=1e-12)


def test_float32_stays_float32_and_close_to_float64():
    x, k = rng.normal(size=(4, 9, 9, 16)), rng.normal(size=(3, 3, 16, 1))
    geo = _geometry(x.shape, k.shape, (1, 1), "same", (1, 1))
    y32 = depthwise_forward(x.astype(np.float32), k.astype(np.float32), geo, None, "relu6")
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, depthwise_forward(x, k, geo, None, "relu6"), atol=1e-5)
    grads = depthwise_backward(x.astype(np.float32), k.astype(np.float32),
                               np.ones_like(y32), geo, need_bias=True, activation="relu6",
                               output=y32)
    assert all(a.dtype == np.float32 for a in grads)


def test_taps_that_write_every_output_come_first_and_cover():
    geo = conv_geometry((1, 4, 4, 1), (3, 3, 1, 1), padding="same")
    covering = [(t.i, t.j) for t in taps(geo) if t.covers]
    assert covering == [(1, 1)]
    geo = conv_geometry((1, 4, 4, 1), (3, 3, 1, 1), strides=(2, 2), padding="same")
    assert [(t.i, t.j) for t in taps(geo) if t.covers] == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_errors_name_the_activation_and_the_missing_output():
    x, k = np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 1))
    geo = _geometry(x.shape, k.shape, (1, 1), "same", (1, 1))
    with pytest.raises(ValueError, match="depthwise_forward: `activation` must be one of"):
        depthwise_forward(x, k, geo, activation="tanh")
    with pytest.raises(ValueError, match="needs `output`"):
        depthwise_backward(x, k, np.ones((1, 3, 3, 1)), geo, activation="relu")


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-5), (np.float16, 3e-2)])
def test_a_strided_chunk_of_a_larger_array_in_its_own_dtype(dtype, tol):
    """The einsum over windows (a stride) reads an input that is not contiguous (every
    other column of a wider array) and keeps a float32 or float16 input's dtype."""
    local = np.random.default_rng(5)
    wide, k = local.normal(size=(3, 9, 16, 3)).astype(dtype), local.normal(size=(3, 3, 3, 2))
    x = wide[:, :, ::2]
    geo = _geometry(x.shape, k.shape, (2, 2), "same", (1, 1))
    y = depthwise_forward(x, k.astype(dtype), geo)
    assert y.dtype == dtype
    want = reference.depthwise_conv2d(x.astype(np.float64), k.astype(dtype).astype(np.float64),
                                      (2, 2), "same")
    np.testing.assert_allclose(y, want, rtol=tol, atol=tol)
