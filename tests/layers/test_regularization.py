"""SpatialDropout1D/2D, GaussianNoise, GaussianDropout, ActivityRegularization."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils import gradient_check

L = dg.layers


@pytest.mark.parametrize("layer_cls, shape", [(L.SpatialDropout1D, (16, 10, 32)),
                                              (L.SpatialDropout2D, (16, 5, 6, 32))])
def test_spatial_dropout_drops_whole_channels_in_training_only(layer_cls, shape):
    x = np.ones(shape, dtype="float32")
    layer = layer_cls(0.5)
    np.testing.assert_array_equal(layer(x).data, x)  # training=None: inference, as Keras
    np.testing.assert_array_equal(layer(x, training=False).data, x)
    out = layer(x, training=True).data
    assert out.dtype == np.float32
    per_channel = out.reshape(shape[0], -1, shape[-1])
    # Every channel of every sample is constant over the spatial positions: 0 or 2.
    assert (per_channel == per_channel[:, :1]).all()
    assert set(np.unique(out)) == {0.0, 2.0}
    assert 0.35 < (per_channel[:, 0] == 0).mean() < 0.65


def test_spatial_dropout_channels_first_and_gradient():
    x = np.ones((4, 8, 3, 3), dtype="float32")
    out = L.SpatialDropout2D(0.5, data_format="channels_first")(x, training=True).data
    assert (out == out[:, :, :1, :1]).all()
    layer = L.SpatialDropout1D(0.4, seed=3, dtype="float64")
    x = np.random.default_rng(0).normal(size=(3, 4, 5))

    def fn(t):
        layer._generator = np.random.default_rng(3)  # the same mask at every evaluation
        return layer(t, training=True)

    gradient_check(fn, [x])


def test_seeded_and_global_seed_reproducible():
    x = np.ones((4, 3, 3, 8), dtype="float32")
    a = L.SpatialDropout2D(0.5, seed=7)(x, training=True).data
    b = L.SpatialDropout2D(0.5, seed=7)(x, training=True).data
    np.testing.assert_array_equal(a, b)
    dg.utils.set_random_seed(1)
    c = L.SpatialDropout2D(0.5)(x, training=True).data
    dg.utils.set_random_seed(1)
    np.testing.assert_array_equal(c, L.SpatialDropout2D(0.5)(x, training=True).data)


def test_gaussian_layers():
    x = np.ones((200, 50), dtype="float32")
    noisy = L.GaussianNoise(0.5, seed=0)(x, training=True).data
    assert noisy.dtype == np.float32
    assert abs(noisy.std() - 0.5) < 0.02 and abs(noisy.mean() - 1) < 0.02
    dropped = L.GaussianDropout(0.5, seed=0)(x, training=True).data
    assert abs(dropped.std() - 1.0) < 0.03 and abs(dropped.mean() - 1) < 0.03
    np.testing.assert_array_equal(L.GaussianNoise(1.0)(x).data, x)
    np.testing.assert_array_equal(L.GaussianDropout(0.3)(x, training=False).data, x)


def test_activity_regularization_adds_loss():
    layer = L.ActivityRegularization(l1=0.1, l2=0.01)
    x = np.array([[1.0, -2.0, 3.0]], dtype="float32")
    np.testing.assert_array_equal(layer(x).data, x)
    assert float(layer.losses[0].data) == pytest.approx(0.1 * 6 + 0.01 * 14)


def test_config_round_trip():
    for layer in (L.SpatialDropout1D(0.2, seed=1), L.SpatialDropout2D(0.3, "channels_first"),
                  L.GaussianNoise(0.2), L.GaussianDropout(0.1, seed=4),
                  L.ActivityRegularization(0.1, 0.2)):
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_errors():
    for bad in (1.0, -0.1, "0.5", True):
        with pytest.raises(ValueError, match=r"SpatialDropout2D: `rate` must be a float in \[0, 1"):
            L.SpatialDropout2D(bad)
    with pytest.raises(ValueError, match="data_format"):
        L.SpatialDropout2D(0.1, data_format="NHWC")
    with pytest.raises(ValueError, match="stddev"):
        L.GaussianNoise(-1)
    with pytest.raises(ValueError, match="SpatialDropout2D 'sd'.*exactly 4.*Missing batch"):
        L.SpatialDropout2D(0.1, name="sd")(np.zeros((5, 5, 3), "float32"))
