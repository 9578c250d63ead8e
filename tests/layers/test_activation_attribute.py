"""``layer.activation`` set after the layer is made, as Keras allows (keras.io's Grad-CAM
example sets the last layer's to None to read the logits): every path that runs the layer
(its own call, the plan's fused chains, the compiled Dense step) follows the new value."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg

rng = np.random.default_rng(0)


def _copy_of(model, build):
    twin = build()
    twin.set_weights(model.get_weights())
    return twin


def test_none_on_the_last_dense_layer_gives_the_logits():
    model = dg.Sequential([dg.Input((4,)), dg.layers.Dense(8, activation="relu"),
                           dg.layers.Dense(3, activation="softmax")])
    x = rng.normal(size=(5, 4)).astype("float32")
    probabilities = model.predict(x, verbose=0)
    model.layers[-1].activation = None
    logits = model.predict(x, verbose=0)
    assert model.layers[-1].activation is dg.activations.linear
    assert not np.allclose(logits.sum(axis=1), 1.0)
    np.testing.assert_allclose(dg.ops.softmax(logits).numpy(), probabilities, atol=1e-6)
    np.testing.assert_allclose(model(x).numpy(), logits, atol=1e-6)


@pytest.mark.parametrize("after", ["max_pool", "batch_norm", "padding"])
def test_a_convolution_follows_an_activation_set_after_its_first_run(after):
    def build(activation):
        layers = [dg.Input((9, 9, 2))]
        if after == "padding":
            layers.append(dg.layers.ZeroPadding2D(1))
        layers.append(dg.layers.Conv2D(3, 3, activation=activation))
        if after == "max_pool":
            layers.append(dg.layers.MaxPooling2D())
        if after == "batch_norm":
            layers += [dg.layers.BatchNormalization(), dg.layers.ReLU()]
        return dg.Sequential(layers)

    model = build("relu" if after != "batch_norm" else None)
    x = rng.normal(size=(2, 9, 9, 2)).astype("float32")
    model.predict(x, verbose=0)  # the plan is made with the first activation
    conv = next(layer for layer in model.layers if isinstance(layer, dg.layers.Conv2D))
    conv.activation = "tanh"
    expected = _copy_of(model, lambda: build("tanh"))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected.predict(x, verbose=0),
                               atol=1e-6)


def test_the_compiled_dense_step_plans_again_after_an_activation_changes():
    def build(activation):
        model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(4, activation=activation),
                               dg.layers.Dense(1)])
        model.compile(optimizer=dg.optimizers.SGD(0.1), loss="mse")
        return model

    x, y = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    model = build("relu")
    model.train_on_batch(x, y)
    model.layers[0].activation = "tanh"
    expected = _copy_of(model, lambda: build("tanh"))
    assert model.train_on_batch(x, y) == pytest.approx(expected.train_on_batch(x, y), rel=1e-6)
    for got, want in zip(model.get_weights(), expected.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: dg.layers.Activation("relu"),
    lambda: dg.layers.EinsumDense("ab,bc->ac", output_shape=2, activation="relu"),
    lambda: dg.layers.DepthwiseConv2D(1, activation="relu"),
])
def test_none_makes_other_layers_linear(make):
    layer = make()
    x = -np.abs(rng.normal(size=(1, 2, 2, 2))).astype("float32")
    if isinstance(layer, dg.layers.EinsumDense):
        x = x.reshape(4, 2)
    layer(x)
    layer.activation = None
    assert layer.activation is dg.activations.linear
    assert (layer(x).numpy() < 0).any()
