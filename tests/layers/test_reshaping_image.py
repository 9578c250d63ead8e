"""ZeroPadding, UpSampling and Cropping in 1-D and 2-D: values, shapes, gradients, errors."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils import gradient_check

import torch_reference as tr

L = dg.layers
rng = np.random.default_rng(0)


@pytest.mark.parametrize(
    "padding, expected",
    [(1, ((1, 1), (1, 1))), ((2, 3), ((2, 2), (3, 3))), (((1, 0), (2, 3)), ((1, 0), (2, 3)))],
)
def test_zero_padding_2d_forms(padding, expected):
    x = rng.normal(size=(2, 4, 5, 3)).astype("float32")
    layer = L.ZeroPadding2D(padding)
    out = layer(x)
    np.testing.assert_array_equal(out.data, np.pad(x, ((0, 0),) + expected + ((0, 0),)))
    assert layer.compute_output_shape((None, 4, 5, 3)) == (None,) + out.shape[1:]
    assert layer.get_config()["padding"] == expected
    assert out.dtype == np.float32


def test_zero_padding_1d_and_channels_first():
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    np.testing.assert_array_equal(L.ZeroPadding1D((1, 2))(x).data,
                                  np.pad(x, ((0, 0), (1, 2), (0, 0))))
    assert L.ZeroPadding1D().compute_output_shape((None, None, 3)) == (None, None, 3)
    y = L.ZeroPadding2D(1, data_format="channels_first")(np.zeros((1, 3, 4, 4), "float32"))
    assert y.shape == (1, 3, 6, 6)


def test_cropping_values_and_shapes():
    x = rng.normal(size=(2, 6, 7, 3)).astype("float32")
    out = L.Cropping2D(((1, 2), (3, 0)))(x)
    np.testing.assert_array_equal(out.data, x[:, 1:4, 3:, :])
    np.testing.assert_array_equal(L.Cropping2D(1)(x).data, x[:, 1:5, 1:6])
    np.testing.assert_array_equal(L.Cropping2D((1, 2))(x).data, x[:, 1:5, 2:5])
    seq = rng.normal(size=(2, 5, 3)).astype("float32")
    np.testing.assert_array_equal(L.Cropping1D((1, 2))(seq).data, seq[:, 1:3])
    assert L.Cropping1D(1).compute_output_shape((None, 5, 3)) == (None, 3, 3)


def test_upsampling_nearest():
    x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    out = L.UpSampling2D((2, 3))(x)
    assert out.shape == (1, 4, 6, 1)
    np.testing.assert_array_equal(out.data[0, :, :, 0], np.kron(x[0, :, :, 0], np.ones((2, 3))))
    assert L.UpSampling2D(2).compute_output_shape((None, 7, 7, 8)) == (None, 14, 14, 8)
    assert L.UpSampling1D(3)(np.ones((2, 4, 5), "float32")).shape == (2, 12, 5)


@pytest.mark.parametrize(
    "layer",
    [
        lambda: L.ZeroPadding2D(((1, 0), (2, 1)), dtype="float64"),
        lambda: L.ZeroPadding1D(2, dtype="float64"),
        lambda: L.Cropping2D(((1, 0), (0, 2)), dtype="float64"),
        lambda: L.Cropping1D((0, 1), dtype="float64"),
        lambda: L.UpSampling2D((2, 3), dtype="float64"),
        lambda: L.UpSampling1D(2, dtype="float64"),
        lambda: L.UpSampling2D(2, interpolation="bilinear", dtype="float64"),
    ],
)
def test_gradients_through_layers(layer):
    layer = layer()
    shape = (2, 4, 3) if "1D" in type(layer).__name__ else (2, 3, 4, 2)
    gradient_check(lambda t: layer(t), [rng.normal(size=shape)])


def test_config_round_trips():
    for layer in (L.ZeroPadding2D(((1, 0), (2, 3))), L.ZeroPadding1D((1, 2)),
                  L.Cropping2D(((1, 2), (0, 1))), L.Cropping1D(3), L.UpSampling1D(3),
                  L.UpSampling2D((2, 3), interpolation="bilinear")):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"ZeroPadding2D: `padding` .*padding=\(1, 2, 3\)"):
        L.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="non-negative"):
        L.ZeroPadding1D(-1)
    with pytest.raises(ValueError, match="`size`"):
        L.UpSampling2D((2, 0))
    with pytest.raises(ValueError, match="interpolation"):
        L.UpSampling2D(interpolation="cubic")
    with pytest.raises(ValueError, match="data_format"):
        L.Cropping2D(data_format="NHWC")
    with pytest.raises(ValueError, match=r"Cropping2D 'crop'.*removes 6 of 5.*at least one"):
        L.Cropping2D(((3, 3), (0, 0)), name="crop")(np.zeros((1, 5, 5, 1), "float32"))
    with pytest.raises(ValueError, match="Cropping1D .*removes 4 of 4"):
        L.Cropping1D(2).compute_output_shape((None, 4, 1))
    with pytest.raises(ValueError, match="exactly 4 dimensions.*Missing batch dimension"):
        L.ZeroPadding2D(1)(np.zeros((5, 5, 1), "float32"))


def test_in_a_functional_model():
    inputs = dg.Input((8, 8, 2))
    layers = [L.ZeroPadding2D(1), L.UpSampling2D(2), L.Cropping2D(1)]
    out = inputs
    for layer in layers:
        out = layer(out)
    assert out.shape == (None, 18, 18, 2)
    x = rng.normal(size=(2, 8, 8, 2)).astype("float32")
    expected = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))).repeat(2, 1).repeat(2, 2)[:, 1:-1, 1:-1]
    np.testing.assert_array_equal(dg.Model(inputs, out).predict(x, verbose=0), expected)


@pytest.mark.parametrize("size", [(2, 2), (3, 2)])
def test_bilinear_matches_torch(size):
    F = tr.import_torch().nn.functional
    tr.compare(L.UpSampling2D(size, interpolation="bilinear", dtype="float64"),
               lambda t: tr.channels_last(F.interpolate(
                   tr.channels_first(t), scale_factor=size, mode="bilinear",
                   align_corners=False)),
               [rng.normal(size=(2, 3, 5, 4))], atol=1e-12, rtol=0)


def test_nearest_matches_torch():
    F = tr.import_torch().nn.functional
    tr.compare(L.UpSampling2D((2, 3)),
               lambda t: tr.channels_last(F.interpolate(tr.channels_first(t), scale_factor=(2, 3),
                                                        mode="nearest")),
               [rng.normal(size=(2, 3, 5, 4)).astype("float32")], atol=0, rtol=0,
               grad_atol=1e-6, grad_rtol=1e-6)
