"""The 1-D transposed, depthwise and separable convolutions: PyTorch on identical
weights (forward and gradients, float64) and float64 finite differences."""

import numpy as np
import pytest

from deepgrad.ops.conv_1d import conv1d_transpose, depthwise_conv1d, separable_conv1d
from deepgrad.utils import gradient_check

import torch_reference as tr

rng = np.random.default_rng(0)


def _f():
    return tr.import_torch().nn.functional


@pytest.mark.parametrize("strides,dilation,output_padding", [(1, 1, None), (2, 1, 1),
                                                             (3, 1, 2), (1, 2, None)])
def test_conv1d_transpose_matches_torch(strides, dilation, output_padding):
    F = _f()
    x, k, b = rng.normal(size=(2, 5, 3)), rng.normal(size=(3, 4, 3)), rng.normal(size=4)

    def theirs(x, k, b):  # torch's weight is (in, out, k); 'valid' padding
        y = F.conv_transpose1d(x.permute(0, 2, 1), k.permute(2, 1, 0), b, stride=strides,
                               output_padding=output_padding or 0, dilation=dilation)
        return y.permute(0, 2, 1)

    tr.compare(lambda x, k, b: conv1d_transpose(x, k, b, strides=strides,
                                                 output_padding=output_padding,
                                                 dilation_rate=dilation),
               theirs, [x, k, b])


@pytest.mark.parametrize("strides,padding", [(1, "valid"), (2, "same"), (1, "same")])
def test_depthwise_and_separable_conv1d_match_torch(strides, padding):
    F = _f()
    x = rng.normal(size=(2, 7, 3))
    depthwise, pointwise, b = (rng.normal(size=(3, 3, 2)), rng.normal(size=(1, 6, 4)),
                               rng.normal(size=4))

    def torch_depthwise(x, k):
        padded = tr.keras_padding(x.permute(0, 2, 1), padding, (3,), (strides,))
        weight = k.reshape(3, 6, 1).permute(1, 2, 0)  # (C*m, 1, k), channel-major as Keras
        return F.conv1d(padded, weight, stride=strides, groups=3).permute(0, 2, 1)

    tr.compare(lambda x, k: depthwise_conv1d(x, k, strides=strides, padding=padding),
               torch_depthwise, [x, depthwise])
    tr.compare(lambda x, k, p, b: separable_conv1d(x, k, p, b, strides=strides,
                                                   padding=padding),
               lambda x, k, p, b: torch_depthwise(x, k) @ p[0] + b, [x, depthwise, pointwise, b])


def test_finite_differences():
    x = rng.normal(size=(2, 5, 2))
    assert gradient_check(lambda x, k: conv1d_transpose(x, k, strides=2, padding="same"),
                          [x, rng.normal(size=(3, 3, 2))], atol=1e-7, rtol=1e-6)
    assert gradient_check(lambda x, k: depthwise_conv1d(x, k, padding="same", dilation_rate=2),
                          [x, rng.normal(size=(2, 2, 3))], atol=1e-7, rtol=1e-6)
    assert gradient_check(lambda x, k, p: separable_conv1d(x, k, p, strides=2),
                          [x, rng.normal(size=(2, 2, 1)), rng.normal(size=(1, 2, 3))],
                          atol=1e-7, rtol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match=r"depthwise_conv1d: expected an input \(batch, steps"):
        depthwise_conv1d(np.ones((2, 5)), np.ones((3, 5, 1)))
