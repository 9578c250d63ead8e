"""Conv*.convolution_op: Keras's hook for a subclass's own convolution (keras.io's recipe
"Customizing the convolution operation of a Conv2D layer", a weight-standardized
convolution). deepgrad had no such hook, so the override was silently ignored."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, ops

rng = np.random.default_rng(0)


class StandardizedConv2D(layers.Conv2D):
    """The recipe's layer."""

    def convolution_op(self, inputs, kernel):
        mean, var = ops.moments(kernel, axes=[0, 1, 2], keepdims=True)
        return ops.conv(inputs, (kernel - mean) / ops.sqrt(var + 1e-10), padding="valid",
                        strides=list(self.strides), data_format=self.data_format)


def _standardized(kernel):
    mean = kernel.mean(axis=(0, 1, 2), keepdims=True)
    return (kernel - mean) / np.sqrt(kernel.var(axis=(0, 1, 2), keepdims=True) + 1e-10)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_the_override_runs_then_the_bias_and_the_activation(data_format):
    layer = StandardizedConv2D(4, 3, activation="relu", data_format=data_format,
                               bias_initializer="random_normal")
    x = rng.normal(size=(2, 7, 7, 3)).astype(np.float32)
    given = x if data_format == "channels_last" else x.transpose(0, 3, 1, 2)
    out = layer(given).data
    expected = np.maximum(ops.conv(x, _standardized(layer.kernel.numpy())).data
                          + layer.bias.numpy(), 0)
    if data_format == "channels_first":
        expected = expected.transpose(0, 3, 1, 2)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_no_fusion_skips_the_override_and_gradients_reach_the_kernel():
    inputs = dg.Input((8, 8, 2))
    x = StandardizedConv2D(3, 3, name="std")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.MaxPooling2D(2)(StandardizedConv2D(3, 1, activation="relu")(x))
    model = dg.Model(inputs, x)
    steps = model._graph.plan.steps
    assert not any(isinstance(getattr(step.call, "first", None), StandardizedConv2D)
                   or type(step.call).__name__ == "InputFusedCall" for step in steps)
    data = rng.normal(size=(2, 8, 8, 2)).astype(np.float32)
    conv, bn = model.get_layer("std"), model.layers[2]
    first = ops.conv(data, _standardized(conv.kernel.numpy())).data + conv.bias.numpy()
    first = np.maximum((first - bn.moving_mean.numpy())
                       / np.sqrt(bn.moving_variance.numpy() + bn.epsilon), 0)
    second = model.layers[4]
    pre = np.maximum(ops.conv(first, _standardized(second.kernel.numpy())).data, 0)
    expected = pre.reshape(2, 3, 2, 3, 2, 3).max(axis=(2, 4))
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-4, atol=1e-5)
    with dg.GradientTape() as tape:
        loss = ops.sum(model(data, training=True))
    assert np.abs(tape.gradient(loss, conv.kernel).numpy()).sum() > 0


def test_a_transposed_convolution_has_no_such_hook_as_in_keras():
    class Transposed(layers.Conv2DTranspose):
        def convolution_op(self, inputs, kernel):
            raise AssertionError("Keras's transposed convolutions never call this")

    layer = Transposed(2, 3)
    assert layer(np.ones((1, 4, 4, 1), np.float32)).shape == (1, 6, 6, 2)


@pytest.mark.parametrize("padding", ["valid", "causal"])
def test_conv1d_never_calls_the_hook_as_in_keras(padding):
    """Keras's Conv1D.call convolves with ops.conv itself (causal padding first), so an
    override changes nothing there; deepgrad ran it, and causal padding then crashed."""

    class Doubled(layers.Conv1D):
        def convolution_op(self, inputs, kernel):
            return super().convolution_op(inputs, kernel * 2.0)

    x = rng.normal(size=(2, 6, 3)).astype(np.float32)
    layer = Doubled(4, 2, padding=padding)
    plain = layers.Conv1D(4, 2, padding=padding)
    plain.build(x.shape)
    out = layer(x).data
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(out, plain(x).data, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("base", [layers.DepthwiseConv2D, layers.SeparableConv2D])
def test_depthwise_and_separable_convolutions_have_no_such_hook_as_in_keras(base):
    """Keras's depthwise and separable convolutions never call a method of that name;
    deepgrad's call ran it (AttributeError: no 'filters' / 'kernel')."""

    class Named(base):
        def convolution_op(self, inputs, kernel):
            raise AssertionError("Keras's depthwise convolutions never call this")

    args = (3, 3) if base is layers.SeparableConv2D else (3,)
    layer = Named(*args, padding="same")
    x = rng.normal(size=(1, 4, 4, 2)).astype(np.float32)
    out = layer(x).data
    plain = base(*args, padding="same")
    plain.build(x.shape)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(out, plain(x).data, rtol=1e-6, atol=1e-6)
