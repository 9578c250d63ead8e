"""3-D convolution and pooling: the fast kernels (depth taps of the 2-D paths) against the
plain 3-D im2col of kernels/reference.py, the ops against PyTorch (forward and
gradients) and float64 finite differences."""

import numpy as np
import pytest

from deepgrad.kernels import conv3d as kernels
from deepgrad.kernels import reference
from deepgrad.ops.conv3d import conv3d, conv3d_transpose
from deepgrad.ops.pool3d import avg_pool3d, max_pool3d
from deepgrad.utils import gradient_check

import torch_reference as tr

rng = np.random.default_rng(0)

CASES = [  # input, kernel, strides, padding, dilation: im2col, Winograd (8 channels), 1x1
    ((2, 5, 6, 7, 3), (3, 3, 3, 3, 4), (1, 1, 1), "valid", (1, 1, 1)),
    ((2, 5, 6, 7, 8), (3, 3, 3, 8, 4), (1, 1, 1), "same", (1, 1, 1)),
    ((1, 7, 6, 5, 2), (2, 3, 2, 2, 3), (2, 2, 1), "same", (1, 1, 1)),
    ((1, 7, 6, 5, 2), (2, 2, 2, 2, 3), (1, 1, 1), "valid", (2, 2, 1)),
    ((1, 4, 4, 4, 9), (1, 1, 1, 9, 5), (1, 1, 1), "valid", (1, 1, 1)),
]


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 2e-4)])
@pytest.mark.parametrize("shape,kshape,strides,padding,dilation", CASES)
def test_kernels_match_the_reference(shape, kshape, strides, padding, dilation, dtype, tol):
    x, k = rng.normal(size=shape).astype(dtype), rng.normal(size=kshape).astype(dtype)
    geo = kernels.conv3d_geometry(shape, kshape, strides, padding, dilation)
    y = kernels.forward(x, k, geo)
    expected = reference.conv3d(x, k, None, strides, padding, dilation)
    assert y.dtype == dtype and y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=tol, atol=tol)
    g = rng.normal(size=y.shape).astype(dtype)
    dx, dk = kernels.backward(x, k, g, geo)
    dx_ref, dk_ref, _ = reference.conv3d_backward(x, k, g, strides, padding, dilation)
    np.testing.assert_allclose(dx, dx_ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(dk, dk_ref, rtol=tol, atol=tol * 10)


@pytest.mark.parametrize("strides,padding,dilation", [((1, 1, 1), "valid", (1, 1, 1)),
                                                      ((2, 1, 2), "same", (1, 1, 1)),
                                                      ((1, 1, 1), "same", (2, 1, 1))])
def test_conv3d_matches_torch(strides, padding, dilation):
    torch = tr.import_torch()
    x, k, b = rng.normal(size=(2, 5, 6, 4, 2)), rng.normal(size=(3, 2, 3, 2, 3)), rng.normal(
        size=3)

    def theirs(x, k, b):
        padded = tr.keras_padding(tr.channels_first(x), padding, (3, 2, 3), strides, dilation)
        return tr.channels_last(torch.nn.functional.conv3d(
            padded, tr.conv_kernel(k), b, stride=strides, dilation=dilation))

    tr.compare(lambda x, k, b: conv3d(x, k, b, strides, padding, dilation), theirs, [x, k, b])


@pytest.mark.parametrize("strides,output_padding", [((1, 1, 1), None), ((2, 1, 3), (1, 0, 2))])
def test_conv3d_transpose_matches_torch(strides, output_padding):
    torch = tr.import_torch()
    x, k, b = rng.normal(size=(2, 3, 4, 2, 3)), rng.normal(size=(2, 3, 2, 4, 3)), rng.normal(
        size=4)

    def theirs(x, k, b):  # torch's weight is (in, out, *kernel); Keras's (*kernel, out, in)
        y = torch.nn.functional.conv_transpose3d(
            tr.channels_first(x), k.permute(4, 3, 0, 1, 2), b, stride=strides,
            output_padding=output_padding or 0)
        return tr.channels_last(y)

    tr.compare(lambda x, k, b: conv3d_transpose(x, k, b, strides,
                                                 output_padding=output_padding),
               theirs, [x, k, b])


def test_conv_ops_finite_differences():
    x = rng.normal(size=(1, 3, 4, 3, 2))
    assert gradient_check(lambda x, k, b: conv3d(x, k, b, (1, 2, 1), "same", activation="relu"),
                          [x, rng.normal(size=(2, 2, 2, 2, 3)), rng.normal(size=3)],
                          atol=1e-7, rtol=1e-6)
    assert gradient_check(lambda x, k: conv3d_transpose(x, k, strides=2, padding="same"),
                          [x, rng.normal(size=(2, 3, 2, 3, 2))], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("size,strides,padding", [(2, None, "valid"), ((2, 3, 2), 1, "valid"),
                                                  (3, 2, "same"), (2, None, "same")])
def test_pool3d_matches_torch(mode, size, strides, padding):
    F = tr.import_torch().nn.functional
    x = rng.normal(size=(2, 5, 6, 7, 3))
    sizes = (size,) * 3 if isinstance(size, int) else size
    steps = sizes if strides is None else (strides,) * 3
    ours = max_pool3d if mode == "max" else avg_pool3d

    def theirs(t):
        t = tr.channels_first(t)
        if mode == "max":  # zero padding loses to the shifted inputs (below), as -inf would
            return tr.channels_last(F.max_pool3d(tr.keras_padding(t, padding, sizes, steps),
                                                 sizes, steps))
        # Keras's average over the real cells: the padded sum over the padded count.
        total = F.avg_pool3d(tr.keras_padding(t, padding, sizes, steps), sizes, steps,
                             divisor_override=1)
        ones = tr.keras_padding(t[:, :1] * 0 + 1, padding, sizes, steps)
        return tr.channels_last(total / F.avg_pool3d(ones, sizes, steps, divisor_override=1))

    if mode == "max":
        x = x + 10  # every real cell beats zero padding
    tr.compare(lambda t: ours(t, size, strides, padding), theirs, [x])


def test_pool3d_finite_differences_and_errors():
    x = rng.normal(size=(1, 3, 4, 5, 2))
    assert gradient_check(lambda t: avg_pool3d(t, 2, padding="same"), [x], atol=1e-7, rtol=1e-6)
    assert gradient_check(lambda t: max_pool3d(t, (2, 2, 3), 1), [x], atol=1e-7, rtol=1e-6)
    with pytest.raises(ValueError, match=r"max_pool3d: the pool size \(4, 4, 4\) is larger"):
        max_pool3d(x, 4)
    with pytest.raises(ValueError, match=r"conv3d: expected an input \(batch, depth, height"):
        conv3d(x[0], np.ones((1, 1, 1, 2, 2)))
