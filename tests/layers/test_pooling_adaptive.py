"""Adaptive pooling: the per-axis ops against PyTorch's adaptive pools (forward and
gradients) and float64 finite differences; the layers' shapes and errors. Keras's own
numbers: tests/layers/test_keras_layer_parity.py."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from deepgrad.utils import gradient_check

import torch_reference as tr

rng = np.random.default_rng(0)
L = dg.layers

SHAPES = [  # input shape (channels last), output size: divisible, overlapping, upsampling
    ((2, 9, 3), (3,)),
    ((2, 7, 3), (4,)),
    ((2, 7, 10, 3), (3, 4)),
    ((1, 5, 6, 2), (7, 1)),
    ((2, 4, 5, 6, 2), (2, 3, 4)),
]


@pytest.mark.parametrize("mode", ["average", "max"])
@pytest.mark.parametrize("shape,size", SHAPES, ids=[str(s[1]) for s in SHAPES])
def test_adaptive_pool_matches_torch(mode, shape, size):
    F = tr.import_torch().nn.functional
    rank = len(size)
    theirs_fn = getattr(F, f"adaptive_{'avg' if mode == 'average' else 'max'}_pool{rank}d")
    ours_fn = ops.adaptive_average_pool if mode == "average" else ops.adaptive_max_pool
    x = rng.normal(size=shape)
    tr.compare(lambda t: ours_fn(t, size),
               lambda t: tr.channels_last(theirs_fn(tr.channels_first(t), size)),
               [x], atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("mode", ["average", "max"])
def test_adaptive_pool_finite_differences_channels_first(mode):
    fn = ops.adaptive_average_pool if mode == "average" else ops.adaptive_max_pool
    x = rng.normal(size=(2, 3, 7, 5))
    assert gradient_check(lambda t: fn(t, (3, 2), data_format="channels_first"), [x],
                          atol=1e-7, rtol=1e-6)


def test_float32_stays_float32():
    x = dg.Tensor(rng.normal(size=(1, 5, 5, 2)).astype("float32"), requires_grad=True)
    out = ops.adaptive_max_pool(x, 2) + ops.adaptive_average_pool(x, 2)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_layers_shapes_formats_and_config():
    x = np.ones((2, 6, 7, 8, 3), np.float32)
    layer = L.AdaptiveMaxPooling3D((1, 2, 3), data_format="channels_first")
    assert layer(x).shape == (2, 6, 1, 2, 3)
    assert layer.compute_output_shape((None, 6, 7, 8, 3)) == (None, 6, 1, 2, 3)
    clone = L.AdaptiveMaxPooling3D.from_config(layer.get_config())
    assert clone.output_size == (1, 2, 3) and clone.data_format == "channels_first"


def test_errors():
    with pytest.raises(ValueError, match=r"AdaptiveAveragePooling2D: `output_size` must be a "
                                         r"positive int or a tuple of 2"):
        L.AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(ValueError, match=r"AdaptiveMaxPooling1D 'p': expected a 3-D input "
                                         r"\(batch, steps, channels\), got shape \(2, 4\)"):
        L.AdaptiveMaxPooling1D(2, name="p")(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"`data_format` must be 'channels_last' or"):
        L.AdaptiveMaxPooling1D(2, data_format="NCW")
    with pytest.raises(ValueError, match=r"adaptive_max_pool: expected a 3-D, 4-D or 5-D"):
        ops.adaptive_max_pool(np.ones((2, 3)), 1)
