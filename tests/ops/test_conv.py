"""Convolution ops: the course's worked examples, forward and the fused conv + max-pool
against kernels.reference, float64 central finite differences for all five ops, dtypes,
errors, and PyTorch on identical weights (forward and input/weight/bias gradients)."""

from __future__ import annotations

import numpy as np
import pytest

from deepgrad import ops
from deepgrad.kernels import conv_gemm, reference, winograd
from deepgrad.kernels.geometry import conv_output_length, deconv_output_length
from deepgrad.tensor import Tensor, grad
from deepgrad.utils import gradient_check

import torch_reference as tr

rng = np.random.default_rng(0)


def _pair(v):
    return (v, v) if isinstance(v, int) else v


# ---------------------------------------------------------------------------
# The course's worked examples


def test_course_1d_sliding_dot_product():
    # The course prints [17, 22, 39, 44], but its own rule (slide B along A, multiply
    # and add) gives these; the length is len(A) - len(B) + 1.
    a = np.array([5, 3, 7, 5, 9, 7], dtype=np.float32)
    b = np.array([1, 2, 3], dtype=np.float32)
    out = ops.conv1d(Tensor(a.reshape(1, 6, 1)), Tensor(b.reshape(3, 1, 1))).data.ravel()
    np.testing.assert_array_equal(out, [32, 32, 44, 44])
    assert out.shape == (len(a) - len(b) + 1,)
    assert out.dtype == np.float32


def test_course_binary_image_with_x_kernel():
    # The course shows the 5x5 picture, not its numbers; this is one binary image
    # consistent with its printed result [[3, 2, 4], [2, 5, 0], [4, 1, 4]].
    image = np.array([[0, 1, 0, 0, 1],
                      [1, 1, 0, 1, 0],
                      [1, 1, 1, 0, 1],
                      [0, 1, 0, 1, 0],
                      [0, 0, 1, 0, 0]], dtype=np.float32)
    kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=np.float32)
    out = ops.conv2d(Tensor(image.reshape(1, 5, 5, 1)), Tensor(kernel.reshape(3, 3, 1, 1)))
    np.testing.assert_array_equal(out.data[0, :, :, 0], [[3, 2, 4], [2, 5, 0], [4, 1, 4]])


def test_course_output_size_formula():
    # W_out = (W_in - F + 2P) / S + 1, e.g. 32x32 input, 5x5 filter, P=2, S=1 -> 32.
    x = Tensor(np.zeros((1, 32, 32, 3), np.float32))
    for f, p, s in [(5, 2, 1), (3, 0, 1), (3, 1, 2), (5, 0, 3)]:
        out = ops.conv2d(x, Tensor(np.zeros((f, f, 3, 2), np.float32)), strides=s,
                         padding=((p, p), (p, p)))
        expected = (32 - f + 2 * p) // s + 1
        assert out.shape == (1, expected, expected, 2)
        assert conv_output_length(32 + 2 * p, f, "valid", s) == expected


# ---------------------------------------------------------------------------
# Forward against the reference

FORWARD_CASES = [
    # (x shape, kernel shape, strides, padding, dilation)
    ((1, 7, 7, 1), (3, 3, 1, 2), 1, "valid", 1),
    ((3, 8, 6, 2), (3, 2, 2, 3), (2, 1), "SAME", 1),
    ((2, 9, 9, 5), (4, 4, 5, 2), 3, "same", 1),
    ((2, 10, 9, 8), (3, 3, 8, 2), 1, "same", 2),
    ((1, 6, 7, 3), (2, 3, 3, 4), (1, 2), ((2, 1), (0, 3)), (2, 1)),
]


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", FORWARD_CASES)
def test_conv2d_forward_matches_the_reference(x_shape, k_shape, strides, padding, dilation):
    x, w, b = rng.normal(size=x_shape), rng.normal(size=k_shape), rng.normal(size=k_shape[3])
    expected = reference.conv2d(x, w, b, _pair(strides), padding, _pair(dilation))
    out = ops.conv2d(Tensor(x), Tensor(w), Tensor(b), strides, padding, dilation, "relu")
    np.testing.assert_allclose(out.data, np.maximum(expected, 0), atol=1e-12)


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", FORWARD_CASES + [
    ((2, 5, 5, 6), (1, 1, 6, 4), 1, "valid", 1), ((2, 5, 5, 6), (1, 1, 6, 4), 2, "valid", 1)])
def test_conv2d_relu6_matches_the_reference_clipped(x_shape, k_shape, strides, padding,
                                                     dilation):
    x, w, b = rng.normal(size=x_shape), 3 * rng.normal(size=k_shape), rng.normal(size=k_shape[3])
    expected = np.clip(reference.conv2d(x, w, b, _pair(strides), padding, _pair(dilation)), 0, 6)
    assert (expected == 6).any() and (expected == 0).any()
    out = ops.conv2d(Tensor(x), Tensor(w), Tensor(b), strides, padding, dilation, "relu6")
    np.testing.assert_allclose(out.data, expected, atol=1e-12)


def test_same_padding_extra_goes_bottom_right():
    x = np.zeros((1, 4, 4, 1))
    x[0, 3, 3, 0] = 1.0  # only the bottom-right pixel
    out = ops.conv2d(Tensor(x), Tensor(np.ones((2, 2, 1, 1))), padding="same")
    # Keras pads (0, 1) for a 2x2 kernel: the bottom-right output sees only that pixel.
    assert out.shape == (1, 4, 4, 1)
    assert out.data[0, 3, 3, 0] == 1.0 and out.data[0, 0, 0, 0] == 0.0


# ---------------------------------------------------------------------------
# Finite differences (float64), all five ops

GRAD_CASES = [
    # (x shape, kernel shape, strides, padding, dilation, bias, activation)
    ((1, 5, 5, 1), (3, 3, 1, 2), 1, "valid", 1, True, None),
    ((3, 6, 5, 2), (2, 3, 2, 3), 1, "same", 1, False, "relu"),
    ((2, 7, 7, 2), (3, 3, 2, 2), 2, "same", 1, True, "relu"),
    ((1, 8, 7, 2), (3, 2, 2, 2), 3, "valid", 1, True, None),
    ((2, 7, 8, 3), (3, 3, 3, 2), 1, "same", 2, True, None),
    ((1, 6, 6, 2), (2, 2, 2, 2), 2, ((1, 0), (2, 1)), (2, 1), False, None),
    ((2, 6, 5, 5), (3, 2, 5, 2), (2, 1), "valid", 1, True, "relu"),
    ((2, 6, 6, 8), (3, 3, 8, 2), 1, "same", 1, True, "relu"),  # flipped-kernel dx
    ((3, 4, 4, 3), (1, 1, 3, 2), 1, "valid", 1, True, None),  # pointwise
    ((2, 6, 6, 3), (3, 3, 3, 4), 1, "same", 1, True, "relu6"),  # outputs beyond 6 too
    ((3, 4, 4, 6), (1, 1, 6, 5), 1, "valid", 1, False, "relu6"),  # pointwise
]


def _args(bias):
    return (lambda x, k, b: (x, k, b)) if bias else (lambda x, k: (x, k, None))


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation, bias, act", GRAD_CASES)
def test_conv2d_gradients(x_shape, k_shape, strides, padding, dilation, bias, act):
    inputs = [rng.normal(size=x_shape), rng.normal(size=k_shape)]
    if bias:
        inputs.append(rng.normal(size=k_shape[3]))

    def fn(*t):
        x, k, b = _args(bias)(*t)
        return ops.conv2d(x, k, b, strides, padding, dilation, act)

    assert gradient_check(fn, inputs)


RESIDUAL_CASES = [
    ((2, 5, 5, 3), (1, 1, 3, 4), 1, "valid", "relu"),  # pointwise: added block by block
    ((2, 6, 6, 3), (1, 1, 3, 2), 2, "valid", None),  # strided pointwise
    ((2, 6, 6, 8), (3, 3, 8, 4), 1, "same", "relu"),  # Winograd
    ((2, 6, 5, 2), (3, 2, 2, 3), 1, "same", "relu6"),  # im2col
]


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, act", RESIDUAL_CASES)
def test_conv2d_with_residual_is_the_sum_then_the_activation(x_shape, k_shape, strides,
                                                             padding, act):
    x, k, b = rng.normal(size=x_shape), rng.normal(size=k_shape), rng.normal(size=k_shape[3])
    plain = ops.conv2d(x, k, b, strides, padding)
    r = rng.normal(size=plain.shape)
    expected = (plain.data + r).clip(0, 6.0 if act == "relu6" else None) if act else plain.data + r
    got = ops.conv2d(x, k, b, strides, padding, activation=act, residual=r)
    np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-12)

    def fn(x, k, b, r):
        return ops.conv2d(x, k, b, strides, padding, activation=act, residual=r)

    assert gradient_check(fn, [x, k, b, r])


def test_conv2d_with_pointwise_residual_blocks_matches_one_pass(monkeypatch):
    from deepgrad.kernels import pointwise
    x, k = rng.normal(size=(4, 6, 6, 3)), rng.normal(size=(1, 1, 3, 5))
    r = rng.normal(size=(4, 6, 6, 5))
    whole = ops.conv2d(x, k, activation="relu", residual=r).data
    monkeypatch.setattr(pointwise, "ROWS_BYTES", 64)  # blocks of one or two rows
    np.testing.assert_allclose(ops.conv2d(x, k, activation="relu", residual=r).data, whole,
                               rtol=1e-12, atol=0)


def test_conv2d_residual_of_another_shape_is_refused():
    message = (r"conv2d: `residual` must have the output's shape \(1, 3, 3, 2\). "
               r"Received: residual shape \(1, 3, 3, 1\)")
    with pytest.raises(ValueError, match=message):
        ops.conv2d(np.ones((1, 3, 3, 1)), np.ones((1, 1, 1, 2)), residual=np.ones((1, 3, 3, 1)))


def test_conv2d_gradients_with_tiny_chunks(monkeypatch):
    monkeypatch.setattr(conv_gemm, "CHUNK_BYTES", 1)  # one image per chunk
    for x_shape, k_shape, padding in [((3, 6, 6, 2), (3, 3, 2, 2), "same"),
                                      ((3, 6, 6, 8), (3, 3, 8, 2), "same")]:
        inputs = [rng.normal(size=x_shape), rng.normal(size=k_shape), rng.normal(size=2)]
        assert gradient_check(lambda x, k, b, p=padding: ops.conv2d(x, k, b, padding=p,
                                                                    activation="relu"), inputs)


@pytest.mark.parametrize(
    "t, k, strides, padding, dilation, bias, act",
    [(7, 3, 1, "valid", 1, True, None), (8, 2, 1, "same", 1, False, "relu"),
     (9, 3, 2, "causal", 1, True, None), (8, 3, 1, "causal", 2, True, "relu"),
     (7, 3, 3, "same", 1, False, None), (6, 2, 1, (2, 1), 1, True, None)],
)
def test_conv1d_gradients(t, k, strides, padding, dilation, bias, act):
    inputs = [rng.normal(size=(2, t, 3)), rng.normal(size=(k, 3, 2))]
    if bias:
        inputs.append(rng.normal(size=2))
    assert gradient_check(
        lambda *a: ops.conv1d(*_args(bias)(*a), strides, padding, dilation, act), inputs
    )


@pytest.mark.parametrize(
    "x_shape, k_shape, strides, padding, output_padding, dilation, bias, act",
    [((1, 3, 3, 2), (3, 3, 2, 2), 2, "same", None, 1, True, None),
     ((2, 3, 4, 2), (2, 3, 3, 2), (2, 1), "valid", None, 1, False, "relu"),
     ((1, 4, 3, 3), (3, 2, 2, 3), 3, "valid", (1, 2), 1, True, None),
     ((2, 4, 4, 2), (3, 3, 2, 2), 1, "same", None, 2, True, "relu"),
     ((1, 3, 3, 8), (3, 3, 2, 8), 1, "valid", None, 1, True, None),
     ((1, 3, 2, 2), (1, 1, 2, 2), 2, "valid", None, 1, False, None)],
)
def test_conv2d_transpose_gradients(x_shape, k_shape, strides, padding, output_padding,
                                    dilation, bias, act):
    inputs = [rng.normal(size=x_shape), rng.normal(size=k_shape)]
    if bias:
        inputs.append(rng.normal(size=k_shape[2]))

    def fn(*t):
        x, k, b = _args(bias)(*t)
        return ops.conv2d_transpose(x, k, b, strides, padding, output_padding, dilation, act)

    assert gradient_check(fn, inputs)


@pytest.mark.parametrize(
    "x_shape, k_shape, strides, padding, dilation, bias, act",
    [((2, 5, 6, 3), (3, 3, 3, 1), 1, "same", 1, True, None),
     ((1, 6, 6, 2), (2, 3, 2, 2), 2, "valid", 1, False, "relu"),
     ((2, 7, 7, 2), (3, 3, 2, 2), 1, "same", 2, True, "relu"),
     ((1, 7, 6, 2), (3, 2, 2, 1), 3, ((1, 0), (0, 2)), 1, True, None),
     ((2, 6, 5, 2), (3, 3, 2, 1), 2, "same", 1, True, "relu6")],
)
def test_depthwise_conv2d_gradients(x_shape, k_shape, strides, padding, dilation, bias, act):
    # Large enough inputs that ReLU6 clips at both ends.
    inputs = [rng.normal(size=x_shape) * (3 if act == "relu6" else 1), rng.normal(size=k_shape)]
    if bias:
        inputs.append(rng.normal(size=k_shape[2] * k_shape[3]))
    assert gradient_check(
        lambda *a: ops.depthwise_conv2d(*_args(bias)(*a), strides, padding, dilation, act),
        inputs,
    )


@pytest.mark.parametrize("strides, padding, dilation, bias, act", [
    (1, "same", 1, True, "relu"), (2, "valid", 1, False, None), (1, "valid", 2, True, None),
])
def test_separable_conv2d_gradients(strides, padding, dilation, bias, act):
    inputs = [rng.normal(size=(2, 6, 7, 2)), rng.normal(size=(3, 3, 2, 2)),
              rng.normal(size=(1, 1, 4, 3))]
    if bias:
        inputs.append(rng.normal(size=3))

    def fn(x, dk, pk, b=None):
        return ops.separable_conv2d(x, dk, pk, b, strides, padding, dilation, act)

    assert gradient_check(fn, inputs)


# ---------------------------------------------------------------------------
# dtypes, skipped gradients, shapes


# (x shape, kernel shape, strides, padding, pool): the transposed-columns path (1 and 3
# channels), the row path with stride 2, a 1x1 kernel; the Winograd path pooled after
# (a window of 3 does not divide its 4x4 tiles) and pooled inside its tiles (2x2 with a
# partial last tile, 4x2, and 1x2 and 1x4 after kernels one row high and 2x2); outputs
# that pooling divides and ones it leaves a row or column of; square and oblong pools.
FUSED_CASES = [
    ((3, 12, 12, 1), (5, 5, 1, 4), 1, "same", (2, 2)),
    ((2, 11, 9, 3), (3, 3, 3, 5), 1, "valid", (3, 2)),
    ((2, 13, 13, 6), (3, 3, 6, 4), 2, "same", (2, 2)),
    ((2, 7, 7, 5), (1, 1, 5, 3), 1, "valid", (2, 2)),
    ((2, 12, 11, 8), (3, 3, 8, 6), 1, "same", (2, 3)),
    ((3, 14, 14, 8), (5, 5, 8, 4), 1, "same", (2, 2)),
    ((2, 13, 11, 8), (3, 3, 8, 5), 1, "same", (4, 2)),
    ((2, 5, 10, 8), (1, 3, 8, 4), 1, "valid", (1, 2)),
    ((2, 9, 9, 9), (2, 2, 9, 3), 1, "valid", (1, 4)),
]


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, pool", FUSED_CASES)
@pytest.mark.parametrize("bias, act", [(True, "relu"), (False, None)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("chunk_bytes", [1, conv_gemm.CHUNK_BYTES])
def test_conv2d_max_pool_is_the_two_ops_bit_for_bit(monkeypatch, x_shape, k_shape, strides,
                                                    padding, pool, bias, act, dtype,
                                                    chunk_bytes):
    monkeypatch.setattr(conv_gemm, "CHUNK_BYTES", chunk_bytes)  # 1: one image per chunk
    monkeypatch.setattr(winograd, "CHUNK_BYTES", chunk_bytes)
    x, k = rng.normal(size=x_shape).astype(dtype), rng.normal(size=k_shape).astype(dtype)
    b = rng.normal(size=k_shape[3]).astype(dtype) if bias else None
    args = dict(strides=strides, padding=padding, activation=act)
    fused = ops.conv2d_max_pool(x, k, b, pool_size=pool, **args)
    y = ops.conv2d(x, k, b, **args).data
    (ph, pw), (n, h, w, c) = pool, y.shape
    windows = y[:, : h // ph * ph, : w // pw * pw].reshape(n, h // ph, ph, w // pw, pw, c)
    assert fused.dtype == dtype and not fused.requires_grad
    np.testing.assert_array_equal(fused.data, windows.max(axis=(2, 4)))


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, pool", FUSED_CASES)
@pytest.mark.parametrize("bias, act", [(True, "relu"), (False, None)])
def test_conv2d_max_pool_gradients_are_the_two_ops_bit_for_bit(monkeypatch, x_shape, k_shape,
                                                               strides, padding, pool, bias,
                                                               act):
    """Training keeps the winners instead of the full output; the gradients for the
    input, the kernel and the bias are still those of conv2d then max_pool2d, ties (a zero
    image) going to each window's first cell."""
    monkeypatch.setattr(conv_gemm, "CHUNK_BYTES", 1)  # one image per chunk
    monkeypatch.setattr(winograd, "CHUNK_BYTES", 1)
    x = rng.normal(size=x_shape).astype(np.float32)
    x[0] = 0  # without a bias every output of the first image is 0: all ties
    k = rng.normal(size=k_shape).astype(np.float32)
    args = dict(strides=strides, padding=padding, activation=act)
    tensors = [Tensor(x, requires_grad=True), Tensor(k, requires_grad=True)]
    if bias:
        tensors.append(Tensor(rng.normal(size=k_shape[3]).astype(np.float32), requires_grad=True))
    b = tensors[2] if bias else None
    fused = ops.conv2d_max_pool(*tensors[:2], b, pool_size=pool, **args)
    apart = ops.max_pool2d(ops.conv2d(*tensors[:2], b, **args), pool)
    np.testing.assert_array_equal(fused.data, apart.data)
    g = rng.normal(size=fused.shape).astype(np.float32)
    for a, b_ in zip(grad(fused, tensors, g), grad(apart, tensors, g), strict=True):
        np.testing.assert_array_equal(a, b_)


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, pool", FUSED_CASES)
def test_conv2d_max_pool_and_its_gradients_match_the_reference(x_shape, k_shape, strides,
                                                                padding, pool):
    """Every path of the fused op (im2col rows and transposed columns, Winograd's tiles,
    a 1x1 kernel, pooled after) against the plain convolution and pooling, float64."""
    x, k, b = rng.normal(size=x_shape), rng.normal(size=k_shape), rng.normal(size=k_shape[3])
    tensors = [Tensor(a, requires_grad=True) for a in (x, k, b)]
    fused = ops.conv2d_max_pool(*tensors, strides=strides, padding=padding, activation="relu",
                                pool_size=pool)
    s = _pair(strides)
    y = np.maximum(reference.conv2d(x, k, b, s, padding), 0)
    np.testing.assert_allclose(fused.data, reference.max_pool2d(y, pool), atol=1e-10)
    g = rng.normal(size=fused.shape)
    dy = reference.max_pool2d_backward(y, g, pool) * (y > 0)
    want = reference.conv2d_backward(x, k, dy, s, padding)
    for got, ref in zip(grad(fused, tensors, g), want, strict=True):
        np.testing.assert_allclose(got, ref, atol=1e-10)


@pytest.mark.parametrize("dilation, strides, padding, pool", [
    ((2, 2), 1, "same", (2, 2)), ((1, 2), 1, "valid", (2, 3)), ((2, 1), 2, "same", (3, 2)),
])
def test_conv2d_max_pool_with_dilation_is_the_two_ops(dilation, strides, padding, pool):
    tensors = [Tensor(rng.normal(size=s).astype(np.float32), requires_grad=True)
               for s in ((3, 13, 12, 5), (3, 3, 5, 4), (4,))]
    args = dict(strides=strides, padding=padding, dilation_rate=dilation, activation="relu")
    fused = ops.conv2d_max_pool(*tensors, pool_size=pool, **args)
    apart = ops.max_pool2d(ops.conv2d(*tensors, **args), pool)
    np.testing.assert_array_equal(fused.data, apart.data)
    g = rng.normal(size=fused.shape).astype(np.float32)
    for a, b in zip(grad(fused, tensors, g), grad(apart, tensors, g), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("x_shape, k_shape, padding, pool", [
    ((2, 6, 6, 2), (3, 3, 2, 3), "same", 2),        # im2col, transposed columns
    ((2, 7, 7, 5), (3, 3, 5, 2), "valid", (2, 3)),  # im2col rows; the pool drops a row
    ((2, 9, 9, 8), (3, 3, 8, 3), "same", 2),        # Winograd, pooled in its tiles
])
def test_conv2d_max_pool_finite_differences(x_shape, k_shape, padding, pool):
    inputs = [rng.normal(size=x_shape), rng.normal(size=k_shape), rng.normal(size=k_shape[3])]
    assert gradient_check(lambda x, k, b: ops.conv2d_max_pool(
        x, k, b, padding=padding, activation="relu", pool_size=pool), inputs)


def test_float32_stays_float32_for_all_ops():
    def f32(*shape):
        return Tensor(rng.normal(size=shape).astype(np.float32), requires_grad=True)

    x = f32(2, 6, 6, 3)
    outputs = [
        ops.conv2d(x, f32(3, 3, 3, 4), f32(4), padding="same", activation="relu"),
        ops.conv1d(f32(2, 6, 3), f32(3, 3, 4), f32(4), padding="causal"),
        ops.conv2d_transpose(x, f32(3, 3, 4, 3), f32(4), strides=2, padding="same"),
        ops.depthwise_conv2d(x, f32(3, 3, 3, 2), f32(6)),
        ops.separable_conv2d(x, f32(3, 3, 3, 1), f32(1, 1, 3, 4), f32(4)),
    ]
    for out in outputs:
        assert out.dtype == np.float32
        out.sum().backward()
    assert x.grad.dtype == np.float32


def test_uint8_images_become_float32():
    x = Tensor(rng.integers(0, 255, size=(1, 5, 5, 1)).astype(np.uint8))
    out = ops.conv2d(x, Tensor(np.ones((3, 3, 1, 2), np.float32)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data[0, 0, 0, 0], x.data[0, :3, :3, 0].sum())


def test_input_gradient_only_when_needed():
    x = Tensor(rng.normal(size=(2, 5, 5, 1)).astype(np.float32))  # data: no grad
    k = Tensor(rng.normal(size=(3, 3, 1, 2)).astype(np.float32), requires_grad=True)
    ops.conv2d(x, k, padding="same").sum().backward()
    assert x.grad is None and k.grad.shape == (3, 3, 1, 2)


def test_conv2d_transpose_output_sizes_follow_keras():
    x = Tensor(np.zeros((1, 7, 5, 2), np.float32))
    for strides, padding, output_padding, k in [(2, "same", None, 3), (2, "valid", None, 3),
                                                (3, "valid", 1, 2), (2, "same", 1, 4)]:
        out = ops.conv2d_transpose(x, Tensor(np.zeros((k, k, 3, 2), np.float32)), None,
                                   strides, padding, output_padding)
        op = output_padding
        assert out.shape == (1, deconv_output_length(7, k, padding, op, strides),
                             deconv_output_length(5, k, padding, op, strides), 3)


# ---------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize("call, match", [
    (lambda: ops.conv2d(np.zeros((5, 5, 1)), np.zeros((3, 3, 1, 1))), r"rank 4.*\(5, 5, 1\)"),
    (lambda: ops.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 2, 1))),
     r"3 channels but the kernel expects 2"),
    (lambda: ops.conv2d(np.zeros((1, 2, 2, 1)), np.zeros((3, 3, 1, 1))),
     r"larger than the padded input \(2, 2\)"),
    (lambda: ops.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 2)), np.zeros(3)),
     r"`bias` must have shape \(2,\)"),
    (lambda: ops.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), padding="full"),
     "padding"),
    (lambda: ops.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), strides=0),
     r"`strides` must be a positive int.*strides=0"),
    (lambda: ops.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), dilation_rate=(1, 1, 1)),
     "dilation_rate"),
    (lambda: ops.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), activation="tanh"),
     "activation"),
    (lambda: ops.conv1d(np.zeros((1, 5, 5, 1)), np.zeros((3, 1, 1))), r"conv1d.*rank 3"),
    (lambda: ops.conv1d(np.zeros((1, 2, 1)), np.zeros((3, 1, 1))), r"conv1d.*larger"),
    (lambda: ops.conv2d_transpose(np.zeros((1, 3, 3, 2)), np.zeros((3, 3, 1, 4))),
     r"kernel shape \(3, 3, 1, 4\)"),
    (lambda: ops.conv2d_transpose(np.zeros((1, 3, 3, 1)), np.zeros((3, 3, 1, 1)), strides=2,
                                  output_padding=2), "output_padding"),
    (lambda: ops.depthwise_conv2d(np.zeros((1, 5, 5, 2)), np.zeros((3, 3, 3, 1))),
     "2 channels but the kernel expects 3"),
    (lambda: ops.separable_conv2d(np.zeros((1, 5, 5, 2)), np.zeros((3, 3, 2, 1)),
                                  np.zeros((3, 3, 2, 4))), "pointwise_kernel"),
])
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------------
# Against PyTorch on identical weights


@pytest.mark.parametrize("dtype, atol", [(np.float64, 1e-10), (np.float32, 1e-4)])
@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", FORWARD_CASES)
def test_conv2d_against_torch(dtype, atol, x_shape, k_shape, strides, padding, dilation):
    F = tr.import_torch().nn.functional
    x, w = rng.normal(size=x_shape).astype(dtype), rng.normal(size=k_shape).astype(dtype)
    b = rng.normal(size=k_shape[3]).astype(dtype)
    s, d = _pair(strides), _pair(dilation)

    def reference(xt, wt, bt):
        # Keras's asymmetric 'same' padding is an explicit F.pad in torch.
        padded = tr.keras_padding(tr.channels_first(xt), padding, k_shape[:2], s, d)
        return tr.channels_last(F.relu(F.conv2d(padded, tr.conv_kernel(wt), bt, s, dilation=d)))

    tr.compare(lambda xs, ks, bs: ops.conv2d(xs, ks, bs, strides, padding, dilation, "relu"),
               reference, [x, w, b], atol=atol, rtol=0, grad_atol=atol * 10, grad_rtol=0)


@pytest.mark.parametrize("strides, padding, output_padding, dilation", [
    (2, "same", None, 1), (2, "valid", None, 1), (3, "valid", (1, 2), 1), (1, "same", None, 2),
    (3, "same", None, 1),
])
def test_conv2d_transpose_against_torch(strides, padding, output_padding, dilation):
    # conv2d_transpose is F.conv_transpose2d without padding, cropped by the padding of
    # the conv2d it is the adjoint of (and extended with zeros where Keras's size is larger).
    F = tr.import_torch().nn.functional
    x, w, b = rng.normal(size=(2, 4, 5, 3)), rng.normal(size=(3, 2, 4, 3)), rng.normal(size=4)
    s, d = (strides, strides), (dilation, dilation)

    def ours(xs, ks, bs):
        return ops.conv2d_transpose(xs, ks, bs, strides, padding, output_padding, dilation)

    out_shape = ours(Tensor(x), Tensor(w), Tensor(b)).shape

    def reference(xt, wt, bt):
        full = F.conv_transpose2d(tr.channels_first(xt), tr.conv_kernel(wt), stride=s,
                                  dilation=d)
        top, left = (tr.same_padding(n, k, st, dl)[0] if padding == "same" else 0
                     for n, k, st, dl in zip(out_shape[1:3], w.shape[:2], s, d, strict=True))
        extra = (0, max(0, left + out_shape[2] - full.shape[3]),
                 0, max(0, top + out_shape[1] - full.shape[2]))
        cropped = F.pad(full, extra)[:, :, top : top + out_shape[1], left : left + out_shape[2]]
        return tr.channels_last(cropped + bt[:, None, None])

    tr.compare(ours, reference, [x, w, b], atol=1e-10, rtol=0)


@pytest.mark.parametrize("multiplier, strides, padding", [(1, 1, "same"), (2, 2, "valid"),
                                                          (3, 1, "valid")])
def test_depthwise_and_separable_against_torch(multiplier, strides, padding):
    F = tr.import_torch().nn.functional
    c = 3
    x, dk = rng.normal(size=(2, 6, 7, c)), rng.normal(size=(3, 3, c, multiplier))
    pk = rng.normal(size=(1, 1, c * multiplier, 4))

    def depthwise(xt, dkt):
        padded = tr.keras_padding(tr.channels_first(xt), padding, (3, 3), (strides,) * 2)
        # Output channel c * multiplier + m is input channel c through filter m (groups=Cin).
        weight = dkt.permute(2, 3, 0, 1).reshape(-1, 1, 3, 3)
        return F.conv2d(padded, weight, stride=strides, groups=c)

    tr.compare(lambda xs, dks: ops.depthwise_conv2d(xs, dks, None, strides, padding),
               lambda xt, dkt: tr.channels_last(depthwise(xt, dkt)), [x, dk], atol=1e-10,
               rtol=0)
    tr.compare(lambda xs, dks, pks: ops.separable_conv2d(xs, dks, pks, None, strides, padding),
               lambda xt, dkt, pkt: tr.channels_last(F.conv2d(depthwise(xt, dkt),
                                                              tr.conv_kernel(pkt))),
               [x, dk, pk], atol=1e-10, rtol=0)


def test_conv1d_causal_against_torch():
    F = tr.import_torch().nn.functional
    x, w, b = rng.normal(size=(2, 9, 3)), rng.normal(size=(3, 3, 4)), rng.normal(size=4)
    tr.compare(lambda xs, ks, bs: ops.conv1d(xs, ks, bs, strides=2, padding="causal",
                                             dilation_rate=2),
               lambda xt, wt, bt: tr.channels_last(F.conv1d(
                   tr.keras_padding(tr.channels_first(xt), "causal", (3,), (2,), (2,)),
                   tr.conv_kernel(wt), bt, stride=2, dilation=2)),
               [x, w, b], atol=1e-10, rtol=0)
