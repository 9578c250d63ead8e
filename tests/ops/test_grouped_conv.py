"""Grouped convolution (``Conv1D``/``Conv2D`` with ``groups``): float64 finite differences,
PyTorch's ``groups`` on identical weights (forward and input/kernel/bias gradients), the
layer's kernel shape, and Keras's errors."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.ops.grouped_conv import grouped_conv
from deepgrad.utils import gradient_check

import torch_reference as tr

rng = np.random.default_rng(0)

CASES = [
    # (x shape, kernel shape, groups, strides, padding)
    ((2, 6, 5, 4), (3, 3, 1, 4), 4, 1, "same"),  # one group per channel: the depthwise path
    ((2, 6, 5, 4), (3, 3, 1, 8), 4, 2, "valid"),  # two filters per channel
    ((1, 7, 6, 6), (2, 3, 3, 4), 2, (2, 1), "valid"),  # the sliced path
    ((1, 6, 6, 6), (3, 3, 2, 6), 3, 1, "same"),
    ((2, 9, 6), (3, 2, 6), 3, 1, "valid"),  # Conv1D
]


@pytest.mark.parametrize("x_shape, k_shape, groups, strides, padding", CASES)
def test_gradients_match_finite_differences(x_shape, k_shape, groups, strides, padding):
    inputs = [rng.normal(size=x_shape), rng.normal(size=k_shape), rng.normal(size=k_shape[-1])]
    assert gradient_check(
        lambda x, k, b: grouped_conv(x, k, b, groups=groups, strides=strides, padding=padding),
        inputs,
    )


@pytest.mark.parametrize("x_shape, k_shape, groups, strides, padding", CASES)
def test_matches_pytorch_groups(x_shape, k_shape, groups, strides, padding):
    torch = tr.import_torch()
    functional = torch.nn.functional.conv2d if len(x_shape) == 4 else torch.nn.functional.conv1d
    inputs = [rng.normal(size=s).astype("float32") for s in (x_shape, k_shape, k_shape[-1:])]

    def theirs(x, k, b):
        y = functional(tr.channels_first(x), tr.conv_kernel(k), b, stride=strides,
                       padding=padding, groups=groups)
        return tr.channels_last(y)

    tr.compare(lambda x, k, b: grouped_conv(x, k, b, groups=groups, strides=strides,
                                            padding=padding),
               theirs, inputs, atol=1e-5, rtol=1e-4)


def test_conv2d_layer_with_groups_has_keras_kernel_shape_and_config():
    layer = dg.layers.Conv2D(6, 3, groups=3, padding="same")
    out = layer(np.ones((1, 5, 5, 3), "float32"))
    assert out.shape == (1, 5, 5, 6)
    assert layer.kernel.shape == (3, 3, 1, 6)
    assert dg.layers.Conv2D.from_config(layer.get_config()).groups == 3


def test_conv2d_groups_errors_are_keras_s():
    with pytest.raises(ValueError, match="filters must be evenly divisible by the number of "
                                         "groups. Received: groups=4, filters=6"):
        dg.layers.Conv2D(6, 3, groups=4)
    with pytest.raises(ValueError, match="input channels must be evenly divisible .* groups=2, "
                                         "but the input has 3 channels"):
        dg.layers.Conv2D(4, 3, groups=2)(np.ones((1, 5, 5, 3), "float32"))
