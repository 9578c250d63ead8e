"""data_format='channels_first' in the layers that move channels at their edge: the same
numbers as channels_last on the transposed input, shapes, and the helper module."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.layers.data_format import standardize_data_format

L = dg.layers
rng = np.random.default_rng(0)


def _first(x):
    return np.moveaxis(x, -1, 1)


IMAGE_LAYERS = [
    lambda f: L.RandomFlip(seed=3, data_format=f),
    lambda f: L.RandomRotation(0.2, seed=3, data_format=f),
    lambda f: L.RandomTranslation(0.2, 0.1, seed=3, data_format=f),
    lambda f: L.RandomZoom(0.2, seed=3, data_format=f),
    lambda f: L.RandomCrop(3, 4, seed=3, data_format=f),
    lambda f: L.RandomContrast(0.3, seed=3, data_format=f),
    lambda f: L.RandomBrightness(0.3, seed=3, data_format=f),
    lambda f: L.Resizing(3, 7, data_format=f),
    lambda f: L.CenterCrop(4, 3, data_format=f),
]


@pytest.mark.parametrize("make", IMAGE_LAYERS, ids=lambda m: type(m(None)).__name__)
def test_image_layers_channels_first_are_channels_last_transposed(make):
    x = rng.uniform(0, 255, size=(3, 6, 8, 2)).astype("float32")
    last = make("channels_last")(x, training=True).data
    first_layer = make("channels_first")
    first = first_layer(_first(x), training=True).data
    np.testing.assert_allclose(first, _first(last), rtol=1e-6)
    assert first_layer.compute_output_shape((None, 2, 6, 8)) == (None, *first.shape[1:])
    single = first_layer(_first(x)[0], training=False).data
    assert single.shape == first.shape[1:]


def test_flatten_channels_first_flattens_in_channels_last_order():
    x = rng.normal(size=(2, 3, 4, 5)).astype("float32")
    got = L.Flatten(data_format="channels_first")(x).data
    np.testing.assert_array_equal(got, np.moveaxis(x, 1, -1).reshape(2, -1))
    with pytest.raises(ValueError, match=r"`data_format` must be 'channels_last' or"):
        L.Flatten(data_format="NCHW")


def test_spatial_dropout_3d_drops_whole_channels():
    layer = L.SpatialDropout3D(0.5, seed=1, data_format="channels_first")
    out = layer(np.ones((4, 6, 2, 3, 3), np.float32), training=True).data
    per_channel = out.reshape(4, 6, -1)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))  # one draw per channel
    assert set(np.unique(out)) == {0.0, 2.0}


def test_standardize_data_format():
    assert standardize_data_format("X", "channels_first") == "channels_first"
    with pytest.raises(ValueError, match=r"X: `data_format` must be"):
        standardize_data_format("X", "NHWC")


SPATIAL_LAYERS = [  # (make(data_format), sample shape channels_last)
    (lambda f: L.Conv1D(3, 3, padding="causal", data_format=f), (7, 2)),
    (lambda f: L.Conv2D(3, 3, strides=2, padding="same", activation="relu", data_format=f),
     (6, 5, 2)),
    (lambda f: L.Conv2D(4, 3, groups=2, data_format=f), (6, 5, 2)),
    (lambda f: L.Conv3D(2, 2, data_format=f), (3, 4, 3, 2)),
    (lambda f: L.Conv1DTranspose(2, 3, strides=2, data_format=f), (4, 3)),
    (lambda f: L.Conv2DTranspose(2, 3, strides=2, padding="same", data_format=f), (3, 4, 3)),
    (lambda f: L.Conv3DTranspose(2, 2, strides=2, data_format=f), (2, 2, 3, 3)),
    (lambda f: L.DepthwiseConv1D(3, depth_multiplier=2, data_format=f), (6, 2)),
    (lambda f: L.DepthwiseConv2D(3, data_format=f), (5, 5, 2)),
    (lambda f: L.SeparableConv1D(3, 2, data_format=f), (6, 2)),
    (lambda f: L.SeparableConv2D(3, 2, data_format=f), (5, 5, 2)),
    (lambda f: L.MaxPooling1D(2, padding="same", data_format=f), (5, 3)),
    (lambda f: L.AveragePooling2D(2, data_format=f), (4, 6, 3)),
    (lambda f: L.MaxPooling3D(2, data_format=f), (4, 4, 2, 3)),
    (lambda f: L.AveragePooling3D(2, padding="same", data_format=f), (3, 3, 3, 2)),
    (lambda f: L.GlobalMaxPooling1D(data_format=f), (5, 3)),
    (lambda f: L.GlobalAveragePooling2D(keepdims=True, data_format=f), (4, 5, 3)),
    (lambda f: L.GlobalAveragePooling3D(data_format=f), (2, 3, 4, 3)),
    (lambda f: L.AdaptiveMaxPooling2D(2, data_format=f), (5, 6, 3)),
    (lambda f: L.ZeroPadding2D(((1, 0), (0, 2)), data_format=f), (3, 3, 2)),
    (lambda f: L.UpSampling3D(2, data_format=f), (2, 2, 2, 2)),
    (lambda f: L.SpatialDropout2D(0.0, data_format=f), (3, 3, 2)),
]


@pytest.mark.parametrize("make,shape", SPATIAL_LAYERS,
                         ids=[f"{type(m('channels_last')).__name__}-{i}"
                              for i, (m, _) in enumerate(SPATIAL_LAYERS)])
def test_spatial_layers_channels_first_are_channels_last_transposed(make, shape):
    x = rng.normal(size=(2, *shape)).astype("float32")
    last, first = make("channels_last"), make("channels_first")
    expected = last(x).data
    first(_first(x))
    first.set_weights(last.get_weights())
    got = dg.Tensor(_first(x), requires_grad=True)
    out = first(got)
    moved = _first(expected) if expected.ndim > 2 else expected
    np.testing.assert_allclose(out.data, moved, rtol=1e-5, atol=1e-6)
    assert first.compute_output_shape((None, *_first(x).shape[1:])) == (None, *out.shape[1:])
    out.sum().backward()
    assert got.grad is not None and got.grad.shape == got.shape


def test_conv_and_pool_fuse_only_channels_last():
    conv, pool = L.Conv2D(2, 3, data_format="channels_first"), L.MaxPooling2D(
        data_format="channels_first")
    assert pool.epilogue() is None
    assert conv.fuse(L.MaxPooling2D()) is None
    model = dg.Sequential([dg.Input((2, 8, 8)), conv, pool])
    assert model.predict(np.ones((1, 2, 8, 8), np.float32), verbose=0).shape == (1, 2, 3, 3)
