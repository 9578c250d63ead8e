"""Tests for the convolution kernels: geometry formulas, im2col/col2im, and every path
kernels.conv picks (chunked im2col GEMM, pointwise, the flipped-kernel input gradient), against
kernels.reference."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from deepgrad.kernels import conv, conv_gemm, pointwise, reference
from deepgrad.kernels.conv import conv_backward, conv_forward
from deepgrad.kernels.conv_gemm import col2im, im2col
from deepgrad.kernels.geometry import (
    conv_geometry,
    conv_output_length,
    deconv_output_length,
    resolve_padding,
    same_padding,
)

rng = np.random.default_rng(0)


# ---------------------------------------------------------------------------
# Geometry


def test_output_size_formula_of_the_course():
    # W_out = (W_in - F + 2P) / S + 1, for every combination where S divides evenly.
    for w_in, f, p, s in itertools.product(range(5, 30), (1, 2, 3, 5), (0, 1, 2), (1, 2, 3)):
        if (w_in - f + 2 * p) % s == 0 and w_in + 2 * p >= f:
            expected = (w_in - f + 2 * p) // s + 1
            assert conv_output_length(w_in + 2 * p, f, "valid", s) == expected
    # 'same' padding with P = (F - 1) / 2 and stride 1 keeps the size.
    assert conv_output_length(28, 5, "same", 1) == (28 - 5 + 2 * 2) // 1 + 1 == 28


@pytest.mark.parametrize(
    "length, kernel, padding, stride, dilation, expected",
    [
        (28, 5, "valid", 1, 1, 24),
        (28, 5, "same", 1, 1, 28),
        (28, 3, "valid", 2, 1, 13),
        (27, 3, "same", 2, 1, 14),
        (10, 3, "valid", 1, 2, 6),
        (10, 3, "causal", 3, 2, 4),
        (10, 3, "full", 1, 1, 12),
        (None, 3, "valid", 1, 1, None),
    ],
)
def test_conv_output_length(length, kernel, padding, stride, dilation, expected):
    assert conv_output_length(length, kernel, padding, stride, dilation) == expected


@pytest.mark.parametrize(
    "length, kernel, padding, output_padding, stride, dilation, expected",
    [
        # Values from Keras's deconv_output_length formulas.
        (7, 3, "same", None, 2, 1, 14),
        (7, 3, "valid", None, 2, 1, 15),
        (7, 1, "valid", None, 2, 1, 14),
        (7, 3, "full", None, 2, 1, 11),
        (7, 3, "same", 1, 2, 1, 14),
        (7, 4, "same", 1, 2, 1, 13),
        (7, 3, "valid", 1, 2, 1, 16),
        (5, 3, "valid", None, 1, 2, 9),
        (None, 3, "same", None, 2, 1, None),
    ],
)
def test_deconv_output_length(length, kernel, padding, output_padding, stride, dilation, expected):
    got = deconv_output_length(length, kernel, padding, output_padding, stride, dilation)
    assert got == expected


def test_same_padding_puts_the_odd_pixel_after():
    assert same_padding(28, 5, 1) == (2, 2)
    assert same_padding(28, 4, 1) == (1, 2)
    assert same_padding(4, 3, 2) == (0, 1)
    assert same_padding(5, 3, 2) == (1, 1)
    assert same_padding(9, 3, 1, dilation=2) == (2, 2)
    assert same_padding(2, 1, 3) == (0, 0)


def test_resolve_padding_forms_and_errors():
    assert resolve_padding("Valid", (5, 5), (3, 3), (1, 1), (1, 1)) == ((0, 0), (0, 0))
    assert resolve_padding(1, (5, 5), (3, 3), (1, 1), (1, 1)) == ((1, 1), (1, 1))
    assert resolve_padding([(0, 1), (2, 3)], (5, 5), (3, 3), (1, 1), (1, 1)) == ((0, 1), (2, 3))
    with pytest.raises(ValueError, match="padding"):
        resolve_padding("full", (5, 5), (3, 3), (1, 1), (1, 1))
    with pytest.raises(ValueError, match="non-negative ints"):
        resolve_padding(((1, -1), (0, 0)), (5, 5), (3, 3), (1, 1), (1, 1))
    with pytest.raises(ValueError, match="non-negative ints"):
        resolve_padding(((1, 1),), (5, 5), (3, 3), (1, 1), (1, 1))


def test_conv_geometry_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"rank 4.*\(5, 5, 1\)"):
        conv_geometry((5, 5, 1), (3, 3, 1, 1))
    with pytest.raises(ValueError, match=r"kernel of rank 4.*\(3, 3, 1\)"):
        conv_geometry((1, 5, 5, 1), (3, 3, 1))
    with pytest.raises(ValueError, match=r"3 channels but the kernel expects 2"):
        conv_geometry((1, 5, 5, 3), (3, 3, 2, 4))
    with pytest.raises(ValueError, match=r"spans \(5, 3\).*padded input \(4, 4\)"):
        conv_geometry((1, 4, 4, 1), (3, 3, 1, 1), dilation=(2, 1))


# ---------------------------------------------------------------------------
# im2col / col2im


@pytest.mark.parametrize("transposed", [False, True])
def test_im2col_rows_are_receptive_fields(transposed):
    xp = rng.normal(size=(2, 7, 6, 3))
    geo = conv_geometry(xp.shape, (3, 2, 3, 1), strides=(2, 1), dilation=(1, 2))
    cols = im2col(xp, geo, transposed=transposed)
    cols = cols.T if transposed else cols
    assert cols.shape == (2 * geo.out_h * geo.out_w, 3 * 2 * 3)
    row = 0
    for n, i, j in itertools.product(range(2), range(geo.out_h), range(geo.out_w)):
        field = xp[n, i * 2 : i * 2 + 3, j : j + 3 : 2]
        np.testing.assert_array_equal(cols[row], field.ravel())
        row += 1


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize(
    "strides, dilation", [((1, 1), (1, 1)), ((2, 3), (1, 1)), ((1, 2), (2, 1))]
)
def test_col2im_is_the_adjoint_of_im2col(transposed, strides, dilation):
    # <im2col(x), c> == <x, col2im(c)> for all x, c.
    xp = rng.normal(size=(2, 8, 7, 2))
    geo = conv_geometry(xp.shape, (3, 2, 2, 1), strides=strides, dilation=dilation)
    cols = im2col(xp, geo, transposed=transposed)
    c = rng.normal(size=cols.shape)
    back = col2im(c, geo, np.zeros_like(xp), transposed=transposed)
    np.testing.assert_allclose(np.vdot(cols, c), np.vdot(xp, back), rtol=1e-12)


# ---------------------------------------------------------------------------
# Forward and backward against the reference, over layouts, chunk sizes and paths

CASES = [
    # (x shape, kernel shape, strides, padding, dilation)
    ((3, 7, 6, 1), (5, 5, 1, 4), (1, 1), "same", (1, 1)),  # transposed columns
    ((2, 9, 8, 5), (3, 2, 5, 3), (2, 3), "valid", (1, 1)),  # row columns, col2im
    ((2, 8, 9, 8), (3, 3, 8, 4), (1, 1), "same", (2, 1)),  # flipped-kernel input grad
    ((2, 6, 7, 8), (2, 3, 8, 3), (1, 1), ((3, 0), (1, 2)), (1, 1)),  # top > kernel: col2im
    ((1, 5, 5, 9), (1, 1, 9, 2), (1, 1), "valid", (1, 1)),  # pointwise matmul
    ((3, 5, 6, 6), (1, 1, 6, 2), (2, 2), "same", (1, 1)),  # strided 1x1: pointwise rows
    ((2, 7, 5, 3), (1, 1, 3, 4), (3, 2), "valid", (1, 1)),  # strided 1x1, odd sizes
    ((2, 10, 4, 2), (4, 1, 2, 2), (3, 1), "same", (2, 1)),
    ((4, 9, 9, 16), (3, 3, 16, 32), (1, 1), "same", (1, 1)),  # Winograd, flipped input grad
]


@pytest.mark.parametrize("chunk_bytes", [1, 1 << 22])
@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", CASES)
def test_conv_forward_backward_match_the_reference(
    monkeypatch, chunk_bytes, x_shape, k_shape, strides, padding, dilation
):
    monkeypatch.setattr(conv_gemm, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(pointwise, "ROWS_BYTES", chunk_bytes)  # 1: a block per row
    x, w, b = rng.normal(size=x_shape), rng.normal(size=k_shape), rng.normal(size=k_shape[3])
    geo = conv_geometry(x_shape, k_shape, strides, padding, dilation)
    w2 = w.reshape(-1, k_shape[3])
    expected = reference.conv2d(x, w, b, strides, padding, dilation)
    np.testing.assert_allclose(conv_forward(x, w2, geo, b), expected, atol=1e-10)
    y = conv_forward(x, w2, geo, b, relu=True)
    np.testing.assert_allclose(y, np.maximum(expected, 0), atol=1e-10)
    capped = conv_forward(x, w2, geo, b, relu=True, ceiling=1.0)
    np.testing.assert_allclose(capped, np.clip(expected, 0, 1), atol=1e-10)
    g = rng.normal(size=y.shape)
    want = reference.conv2d_backward(x, w, g, strides, padding, dilation)
    for got, ref in zip(conv_backward(x, w2, g, geo, need_bias=True), want, strict=True):
        np.testing.assert_allclose(got.reshape(ref.shape), ref, atol=1e-10)
    # The fused ReLU masks the gradient and never writes into it.
    g_copy = g.copy()
    masked = reference.conv2d_backward(x, w, g * (y > 0), strides, padding, dilation)
    fused_relu = conv_backward(x, w2, g, geo, need_bias=True, relu_output=y)
    for got, ref in zip(fused_relu, masked, strict=True):
        np.testing.assert_allclose(got.reshape(ref.shape), ref, atol=1e-10)
    np.testing.assert_array_equal(g, g_copy)


def test_backward_skips_what_is_not_needed():
    x, w2 = rng.normal(size=(2, 6, 6, 3)), rng.normal(size=(27, 4))
    geo = conv_geometry(x.shape, (3, 3, 3, 4))
    g = rng.normal(size=(2, 4, 4, 4))
    dx, dw, db = conv_backward(x, w2, g, geo, need_input=False)
    assert dx is None and db is None and dw.shape == (27, 4)
    dx, dw, db = conv_backward(None, w2, g, geo, need_weight=False)
    assert dx.shape == x.shape and dw is None


def test_float32_stays_float32():
    x = rng.normal(size=(2, 6, 6, 3)).astype(np.float32)
    w2 = rng.normal(size=(27, 4)).astype(np.float32)
    geo = conv_geometry(x.shape, (3, 3, 3, 4), padding="same")
    y = conv_forward(x, w2, geo, np.zeros(4, np.float32), relu=True)
    assert y.dtype == np.float32
    assert all(a.dtype == np.float32 for a in conv_backward(x, w2, y, geo, need_bias=True))


def test_bias_gradient_alike_with_and_without_the_kernel_product():
    # Transposed columns sum the bias gradient inside the kernel product (a row of ones);
    # without a kernel gradient it is a column sum.
    x, w2 = rng.normal(size=(3, 7, 6, 2)), rng.normal(size=(50, 4))
    geo = conv_geometry(x.shape, (5, 5, 2, 4), padding="same")
    g = rng.normal(size=(3, 7, 6, 4))
    _, dw, db_fused = conv_backward(x, w2, g, geo, need_input=False, need_bias=True)
    _, none, db_sum = conv_backward(x, w2, g, geo, need_weight=False, need_bias=True)
    assert none is None and dw.shape == (50, 4)
    np.testing.assert_allclose(db_fused, db_sum, rtol=1e-12)
    np.testing.assert_allclose(db_sum, g.sum(axis=(0, 1, 2)), rtol=1e-12)


def test_input_gradient_is_a_flipped_convolution_unless_the_batch_is_too_small():
    # From 4 input channels on the flip is faster; with fewer positions than kernel-matrix
    # rows (ResNet50's 7x7x512 at batch 8) col2im is (kernel_choices.py flipped_input_grad).
    small = conv_geometry((32, 28, 28, 4), (3, 3, 4, 32), padding="same")
    assert conv.flipped_geometry(small, (32, 28, 28, 32)) is not None
    deep = conv_geometry((8, 7, 7, 512), (3, 3, 512, 512), padding="same")
    assert conv.flipped_geometry(deep, (8, 7, 7, 512)) is None
    x, w2 = rng.normal(size=(2, 5, 5, 3)), rng.normal(size=(27, 40))
    g = rng.normal(size=(2, 5, 5, 40))
    geo = conv_geometry(x.shape, (3, 3, 3, 40), padding="same")  # 50 positions < 360 rows
    assert conv.flipped_geometry(geo, g.shape) is None
    dx, _, _ = conv_backward(x, w2, g, geo)
    want, _, _ = reference.conv2d_backward(x, w2.reshape(3, 3, 3, 40), g, padding="same")
    np.testing.assert_allclose(dx, want, atol=1e-10)
