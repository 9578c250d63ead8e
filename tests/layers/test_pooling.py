"""Pooling layers: values, shapes and the output-size formula, Keras config round trips,
aliases, gradients through the layers, use in models, and errors that name the layer."""

import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from deepgrad.utils import gradient_check

L = dg.layers
rng = np.random.default_rng(0)


def distinct(*shape):
    """Values at least 0.05 apart: no ties for a max, safe for finite differences."""
    return rng.permutation(math.prod(shape)).reshape(shape) * 0.05


POOLS = [
    (L.MaxPooling2D, ops.max_pool2d, (2, 9, 7, 3)),
    (L.AveragePooling2D, ops.avg_pool2d, (2, 9, 7, 3)),
    (L.MaxPooling1D, ops.max_pool1d, (2, 9, 3)),
    (L.AveragePooling1D, ops.avg_pool1d, (2, 9, 3)),
]


@pytest.mark.parametrize("layer_cls,op,shape", POOLS)
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_layer_calls_the_op_and_predicts_its_shape(layer_cls, op, shape, padding):
    rank = len(shape) - 2
    pool, strides = (3,) * rank, (2,) * rank
    layer = layer_cls(pool_size=pool, strides=strides, padding=padding)
    x = distinct(*shape).astype(np.float32)
    out = layer(x)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, op(dg.Tensor(x), pool, strides, padding).data)
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + out.shape[1:]
    # The course's formula: valid floor((n - k) / s) + 1, same ceil(n / s).
    for n, o in zip(shape[1:-1], out.shape[1:-1]):
        assert o == ((n - 3) // 2 + 1 if padding == "valid" else math.ceil(n / 2))


def test_defaults_follow_keras():
    assert L.MaxPooling2D().pool_size == (2, 2) and L.MaxPooling2D().strides == (2, 2)
    assert L.MaxPooling1D().pool_size == (2,) and L.AveragePooling1D().strides == (2,)
    layer = L.AveragePooling2D(3, padding="SAME")
    assert (layer.pool_size, layer.strides, layer.padding) == ((3, 3), (3, 3), "same")
    assert L.MaxPooling2D((2, 3), strides=1).strides == (1, 1)
    assert L.MaxPooling2D().data_format == "channels_last"
    assert L.GlobalAveragePooling2D().keepdims is False


def test_keras_aliases_are_the_same_classes():
    assert L.MaxPool2D is L.MaxPooling2D and L.MaxPool1D is L.MaxPooling1D
    assert L.AvgPool2D is L.AveragePooling2D and L.AvgPool1D is L.AveragePooling1D
    assert L.GlobalAvgPool2D is L.GlobalAveragePooling2D
    assert L.GlobalMaxPool2D is L.GlobalMaxPooling2D
    assert L.GlobalAvgPool1D is L.GlobalAveragePooling1D
    assert L.GlobalMaxPool1D is L.GlobalMaxPooling1D


@pytest.mark.parametrize("layer", [
    L.MaxPooling2D((3, 2), strides=(1, 2), padding="same", name="pool"),
    L.AveragePooling2D(),
    L.MaxPooling1D(3, strides=1, padding="same"),
    L.AveragePooling1D(4, strides=2),
    L.GlobalAveragePooling2D(keepdims=True),
    L.GlobalMaxPooling2D(),
    L.GlobalAveragePooling1D(),
    L.GlobalMaxPooling1D(keepdims=True),
], ids=lambda layer: type(layer).__name__)
def test_config_round_trip(layer):
    config = layer.get_config()
    assert config["data_format"] == "channels_last"
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    shape = (2, 8, 6, 3) if layer.rank == 2 else (2, 8, 3)
    x = distinct(*shape).astype(np.float32)
    np.testing.assert_array_equal(clone(x).data, layer(x).data)


def test_config_keys_and_values_are_keras():
    config = L.MaxPooling2D(pool_size=3, padding="Same").get_config()
    assert {k: config[k] for k in ("pool_size", "strides", "padding", "data_format")} == {
        "pool_size": (3, 3), "strides": (3, 3), "padding": "same", "data_format": "channels_last"
    }
    # A config that went through JSON has lists: still accepted.
    clone = L.MaxPooling2D.from_config({**config, "pool_size": [3, 3], "strides": [3, 3]})
    assert clone.pool_size == (3, 3)
    assert L.GlobalMaxPooling1D(keepdims=True).get_config()["keepdims"] is True


@pytest.mark.parametrize("layer_cls,axes,reduce", [
    (L.GlobalAveragePooling2D, (1, 2), np.mean), (L.GlobalMaxPooling2D, (1, 2), np.max),
    (L.GlobalAveragePooling1D, (1,), np.mean), (L.GlobalMaxPooling1D, (1,), np.max),
])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(layer_cls, axes, reduce, keepdims):
    shape = (3, 5, 4, 6) if len(axes) == 2 else (3, 5, 6)
    x = distinct(*shape).astype(np.float32)
    layer = layer_cls(keepdims=keepdims)
    out = layer(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, reduce(x, axis=axes, keepdims=keepdims), rtol=1e-6)
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + out.shape[1:]
    layer64 = layer_cls(keepdims=keepdims, dtype="float64")
    assert gradient_check(layer64, [distinct(*shape)])


@pytest.mark.parametrize("layer_cls,shape", [
    (L.MaxPooling2D, (3, 5, 5, 2)), (L.AveragePooling2D, (1, 5, 5, 2)),
    (L.MaxPooling1D, (3, 7, 2)), (L.AveragePooling1D, (1, 7, 2)),
])
def test_gradient_through_the_layer(layer_cls, shape):
    layer = layer_cls(pool_size=3, strides=2, padding="same", dtype="float64")
    assert gradient_check(layer, [distinct(*shape)])


def test_in_sequential_and_functional_models():
    model = dg.Sequential([
        dg.Input(shape=(8, 8, 2)),
        L.MaxPooling2D(),
        L.AveragePooling2D(padding="same", pool_size=3, strides=1),
        L.Flatten(),
        L.Dense(3),
    ])
    assert model.compute_output_shape((None, 8, 8, 2)) == (None, 3)
    assert model.layers[1].compute_output_shape((None, 4, 4, 2)) == (None, 4, 4, 2)
    model.compile(optimizer="sgd", loss="mse")
    x = rng.normal(size=(16, 8, 8, 2)).astype(np.float32)
    y = rng.normal(size=(16, 3)).astype(np.float32)
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, verbose=0)
    assert model.evaluate(x, y, verbose=0) < first
    inputs = dg.Input(shape=(None, None, 3))
    assert L.MaxPool2D(3, padding="same")(inputs).shape == (None, None, None, 3)
    assert L.GlobalMaxPool2D()(inputs).shape == (None, 3)
    sequence = dg.Input(shape=(10, 4))
    assert L.AvgPool1D(3)(sequence).shape == (None, 3, 4)


@pytest.mark.parametrize("layer_cls,shape,expected", [
    (L.MaxPooling2D, (28, 28, 1),
     "expected a 4-D input (batch, height, width, channels), got shape (28, 28, 1) — missing "
     "batch dimension?"),
    (L.AveragePooling2D, (2, 28, 28, 1, 1), "expected a 4-D input"),
    (L.MaxPooling1D, (10, 4), "expected a 3-D input (batch, steps, channels), got shape "
                              "(10, 4) — missing batch dimension?"),
    (L.GlobalAveragePooling2D, (7, 7, 64), "expected a 4-D input"),
    (L.GlobalMaxPooling1D, (2, 3, 4, 5), "expected a 3-D input"),
])
def test_wrong_rank_names_the_layer(layer_cls, shape, expected):
    layer = layer_cls(name="pool")
    with pytest.raises(ValueError) as info:
        layer(np.zeros(shape, np.float32))
    assert str(info.value).startswith(f"{layer_cls.__name__} 'pool': {expected}")
    # A built layer checks later calls too.
    good = (2,) + shape[1:] if len(shape) > 3 else (2,) + shape
    if layer_cls.rank + 2 == len(good):
        built = layer_cls(name="built")
        built(np.zeros(good, np.float32))
        with pytest.raises(ValueError, match="'built': expected"):
            built(np.zeros(shape, np.float32))


def test_pool_larger_than_a_valid_input():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'p': pool_size \(3, 3\) is larger than "
                                         r"the input's spatial size \(2, 2\) with padding='valid'"):
        L.MaxPooling2D(3, name="p")(np.zeros((1, 2, 2, 1), np.float32))
    with pytest.raises(ValueError, match=r"AveragePooling1D 'a': pool_size \(5,\) is larger"):
        L.AveragePooling1D(5, name="a").compute_output_shape((None, 4, 2))
    with pytest.raises(ValueError, match="is larger"):
        L.MaxPooling2D(8)(dg.Input(shape=(4, 4, 1)))
    assert L.MaxPooling2D(3, padding="same")(np.zeros((1, 2, 2, 1), np.float32)).shape == (
        1, 1, 1, 1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="MaxPooling2D: `data_format` must be"):
        L.MaxPooling2D(data_format="NCHW")
    with pytest.raises(ValueError, match="GlobalAveragePooling2D: `data_format` must be"):
        L.GlobalAveragePooling2D(data_format="NHWC")
    with pytest.raises(ValueError, match=r"AveragePooling1D: `data_format` must be "
                                         r"'channels_last' or 'channels_first'. "
                                         r"Received: data_format='nhwc'"):
        L.AveragePooling1D(data_format="nhwc")
    with pytest.raises(ValueError, match=r"MaxPooling2D: `pool_size` must be .* Received: "
                                         r"pool_size=\(2, 2, 2\)"):
        L.MaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match=r"AveragePooling2D: `strides` must be .*strides=0"):
        L.AveragePooling2D(strides=0)
    with pytest.raises(ValueError, match=r"MaxPooling1D: `padding` must be 'valid' or 'same'"):
        L.MaxPooling1D(padding="causal")


def test_course_cnn_shapes_and_keras_names():
    # The course CNN: each 2x2 pool halves the image; 'same' convolutions keep it.
    model = dg.Sequential([
        dg.Input(shape=(28, 28, 1)),
        L.Conv2D(32, 3, padding="same", activation="relu"),
        L.MaxPooling2D(),
        L.Conv2D(64, 3, padding="same", activation="relu"),
        L.MaxPooling2D(),
        L.GlobalAveragePooling2D(),
    ])
    shape, shapes = (None, 28, 28, 1), []
    for layer in model.layers:
        shape = layer.compute_output_shape(shape)
        shapes.append(shape)
    assert shapes[1] == (None, 14, 14, 32) and shapes[3] == (None, 7, 7, 64)
    assert shapes[4] == (None, 64)
    names = [layer.name for layer in model.layers]
    assert names[1::2] + names[4:] == [
        "max_pooling2d", "max_pooling2d_1", "global_average_pooling2d"]
    assert model.predict(rng.normal(size=(2, 28, 28, 1)).astype(np.float32),
                         verbose=0).shape == (2, 64)
