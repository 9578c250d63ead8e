"""Winograd convolution F(4x4, kh x kw): its matrices, forward and kernel gradient against
kernels.reference, float32 error bounds, when it is used, and float64 finite differences
of conv2d through it."""

from __future__ import annotations

import numpy as np
import pytest

from deepgrad import ops
from deepgrad.kernels import conv, reference, winograd
from deepgrad.kernels.geometry import conv_geometry
from deepgrad.utils import gradient_check

rng = np.random.default_rng(0)
GAIN, TILES_PER_CHANNEL = winograd.GAIN, winograd.TILES_PER_CHANNEL


@pytest.fixture(autouse=True)
def small_shapes_take_winograd(monkeypatch):
    """The kernel is tested on shapes too small for the dispatch to choose it."""
    monkeypatch.setattr(winograd, "GAIN", 0)
    monkeypatch.setattr(winograd, "TILES_PER_CHANNEL", 0)


@pytest.mark.parametrize("m, r", [(2, 3), (4, 3), (4, 5), (4, 2), (2, 5), (5, 4)])
def test_matrices_correlate(m, r):
    at, g, bt = winograd.matrices(m, r)
    d, k = rng.normal(size=m + r - 1), rng.normal(size=r)
    expected = [d[o : o + r] @ k for o in range(m)]
    np.testing.assert_allclose(at @ ((g @ k) * (bt @ d)), expected, atol=1e-12)
    assert not bt.flags.writeable  # cached: nobody may change them


CASES = [
    # (x shape, kernel shape, padding): widths that are and are not multiples of 4,
    # 5x5, 3x3 and 2-wide kernels, asymmetric explicit padding.
    ((3, 14, 14, 32), (5, 5, 32, 16), "same"),
    ((2, 9, 11, 8), (3, 3, 8, 5), "valid"),  # 7x9 outputs: partial tiles on both axes
    ((2, 7, 13, 9), (5, 2, 9, 3), ((1, 2), (0, 3))),
    ((1, 6, 4, 8), (1, 3, 8, 2), "same"),
    ((4, 5, 17, 12), (2, 4, 12, 7), "same"),
]


@pytest.mark.parametrize("x_shape, k_shape, padding", CASES)
@pytest.mark.parametrize("chunk_bytes", [1, winograd.CHUNK_BYTES])
def test_forward_and_weight_grad_match_the_reference(monkeypatch, x_shape, k_shape, padding,
                                                     chunk_bytes):
    monkeypatch.setattr(winograd, "CHUNK_BYTES", chunk_bytes)  # 1: one image per chunk
    x, k = rng.normal(size=x_shape), rng.normal(size=k_shape)
    b = rng.normal(size=k_shape[3])
    geo = conv_geometry(x_shape, k_shape, padding=padding)
    assert winograd.applies(geo, np.float64)
    y = winograd.forward(x, k, geo, b, relu=True)
    g = rng.normal(size=y.shape)
    dw = winograd.weight_grad(x, g, geo)
    want = np.maximum(reference.conv2d(x, k, b, padding=padding), 0)
    np.testing.assert_allclose(y, want, atol=1e-11)
    _, dw_ref, _ = reference.conv2d_backward(x, k, g, padding=padding)
    np.testing.assert_allclose(dw, dw_ref, atol=1e-10)


@pytest.mark.parametrize("k_shape, tiles", [
    ((5, 5, 8, 4), (4, 4, 8, 8)),
    ((1, 3, 8, 4), (1, 4, 1, 6)),
])
def test_plan_tiles_both_axes_or_only_the_width(k_shape, tiles):
    p = winograd.plan(conv_geometry((1, 14, 14, 8), k_shape, padding="same"), np.float32)
    assert (p.mh, p.mw, p.ah, p.aw) == tiles
    assert (p.th, p.tw) == (-(-14 // p.mh), 4)


def test_float32_error_is_bounded():
    """The course CNN's 5x5 layer: forward, input and kernel gradients within 1e-5 of the
    largest value (measured: 4.0e-6, 6.1e-6 and 5.7e-6) of the float64 result."""
    x = np.maximum(rng.normal(size=(8, 14, 14, 32)), 0)
    w2 = rng.normal(0, 1 / np.sqrt(800), (800, 64))
    geo = conv_geometry(x.shape, (5, 5, 32, 64), padding="same")
    g = rng.normal(size=(8, 14, 14, 64))
    f32 = [a.astype(np.float32) for a in (x, w2, g)]
    got = conv.conv_forward(*f32[:2], geo), *conv.conv_backward(*f32, geo)[:2]
    kernel = w2.reshape(geo.kh, geo.kw, geo.in_c, geo.out_c)
    want = (reference.conv2d(x, kernel, padding="same"),
            *reference.conv2d_backward(x, kernel, g, padding="same")[:2])
    for a, b in zip(got, want, strict=True):
        assert a.dtype == np.float32
        assert np.abs(a.reshape(b.shape) - b).max() <= 1e-5 * np.abs(b).max()


@pytest.mark.parametrize("size, cin, cout, batch, k, uses", [
    (28, 32, 32, 32, 3, True),   # 0.69x im2col's time, forward and backward
    (14, 8, 16, 128, 3, False),  # 1.50x: too few channels for a 3x3 kernel
    (14, 8, 64, 32, 3, False),   # 1.22x
    (28, 8, 32, 128, 5, True),   # 0.63x: a 5x5 kernel saves more
    (7, 512, 512, 8, 3, False),  # 1.63x: 32 tiles cannot pay for the kernel's transform
    (7, 128, 128, 32, 3, True),  # 0.66x
    (6, 384, 384, 32, 3, False),  # 1.20x
])
def test_it_applies_where_it_gains(monkeypatch, size, cin, cout, batch, k, uses):
    # Measured in benchmarks/kernel_choices_apps.py winograd_gain (ratios above).
    monkeypatch.setattr(winograd, "GAIN", GAIN)
    monkeypatch.setattr(winograd, "TILES_PER_CHANNEL", TILES_PER_CHANNEL)
    geo = conv_geometry((batch, size, size, cin), (k, k, cin, cout), padding="same")
    assert winograd.applies(geo, np.float32) is uses


@pytest.mark.parametrize("change, uses", [
    ({}, True),
    ({"strides": (1, 2)}, False),
    ({"dilation": (2, 1)}, False),
    ({"k_shape": (3, 6, 8, 4)}, False),   # wider than 5: more points, more error
    ({"x_shape": (2, 9, 9, 4), "k_shape": (3, 3, 4, 4)}, False),  # too few channels
    ({"x_shape": (2, 9, 5, 8)}, False),   # fewer than 4 output columns
    ({"x_shape": (2, 5, 9, 8)}, False),   # fewer than 4 output rows
    ({"x_shape": (2, 3, 9, 8), "k_shape": (1, 3, 8, 4)}, True),  # one row high: width only
    ({"x_shape": (2, 10, 9, 8), "k_shape": (6, 3, 8, 4)}, False),  # higher than 5
])
def test_when_it_applies(change, uses):
    args = {"x_shape": (2, 9, 9, 8), "k_shape": (3, 3, 8, 4), "strides": (1, 1),
            "dilation": (1, 1)} | change
    geo = conv_geometry(args["x_shape"], args["k_shape"], args["strides"], "valid",
                        args["dilation"])
    assert winograd.applies(geo, np.float32) is uses
    assert not winograd.applies(geo, np.int32)


@pytest.mark.parametrize("x_shape, k_shape, padding", [
    ((2, 6, 7, 8), (3, 3, 8, 8), "same"),
    ((2, 5, 9, 8), (2, 5, 8, 8), "valid"),
])
def test_conv2d_gradients_through_winograd(x_shape, k_shape, padding):
    """Finite differences in float64, on shapes where forward, kernel gradient and the
    flipped-kernel input gradient all take the Winograd path."""
    geo = conv_geometry(x_shape, k_shape, padding=padding)
    assert winograd.applies(geo, np.float64)
    grad_shape = (x_shape[0], geo.out_h, geo.out_w, k_shape[3])
    assert winograd.applies(conv.flipped_geometry(geo, grad_shape), np.float64)
    inputs = [rng.normal(size=x_shape), rng.normal(size=k_shape), rng.normal(size=k_shape[3])]
    assert gradient_check(
        lambda x, k, b: ops.conv2d(x, k, b, padding=padding, activation="relu"), inputs
    )


@pytest.mark.parametrize("k_shape, pool, inside", [
    ((5, 5, 8, 4), (2, 2), True),
    ((3, 3, 8, 4), (4, 1), True),
    ((3, 3, 8, 4), (3, 3), False),  # a window of 3 straddles the 4x4 tiles
    ((1, 3, 8, 4), (1, 2), True),
    ((1, 3, 8, 4), (2, 2), False),  # one row high: tiles are one output high
])
def test_pools_inside_tiles_only_where_windows_divide_them(k_shape, pool, inside):
    x, k = rng.normal(size=(2, 13, 11, 8)), rng.normal(size=k_shape)
    geo = conv_geometry(x.shape, k_shape, padding="same")
    assert winograd.applies(geo, np.float64)
    assert winograd.pools_in_tiles(geo, pool) is inside
    if inside:
        y = winograd.forward(x, k, geo)
        n, h, w, c = y.shape
        ph, pw = pool
        want = y[:, : h // ph * ph, : w // pw * pw].reshape(n, h // ph, ph, w // pw, pw, c)
        np.testing.assert_array_equal(winograd.forward(x, k, geo, pool=pool),
                                      want.max(axis=(2, 4)))
    else:
        with pytest.raises(ValueError, match="does not divide the tiles"):
            winograd.forward(x, k, geo, pool=pool)
