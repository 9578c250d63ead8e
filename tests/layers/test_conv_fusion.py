"""Chains fused by a model's plan (layers/conv_fusion.py, BatchNormalization.fuse): a
convolution with a batch normalization folded in and a ReLU/ReLU6, in inference; batch
norm with its ReLU in training. The same model run call by call (a plan made without
fusion) is the reference: outputs, losses, gradients and moving statistics agree."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.kernels import winograd
from deepgrad.layers import conv_fusion
from deepgrad.models.functional import Plan
from deepgrad.tensor import Tensor

L = dg.layers


def _model(head, activation=lambda: L.ReLU(6.0), batch_norm=True):
    dg.utils.set_random_seed(0)
    inp = dg.Input((9, 9, 6))
    x = head()(inp)
    if batch_norm:
        x = L.BatchNormalization(name="bn")(x)
    if activation is not None:
        x = activation()(x)
    x = L.GlobalAveragePooling2D()(x)
    model = dg.Model(inp, L.Dense(3)(x))
    rng = np.random.default_rng(1)
    for layer in model.layers:  # statistics away from (0, 1), so folding shows
        if isinstance(layer, L.BatchNormalization):
            c = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 2.0, c), rng.normal(size=c),
                               rng.normal(size=c), rng.uniform(0.5, 2.0, c)])
    return model


HEADS = {
    "conv": lambda: L.Conv2D(8, 3, padding="same", use_bias=False),
    "conv_bias_strided": lambda: L.Conv2D(8, 3, strides=2, padding="same"),
    "pointwise": lambda: L.Conv2D(8, 1),
    "depthwise": lambda: L.DepthwiseConv2D(3, padding="same", use_bias=False),
    "depthwise_multiplier": lambda: L.DepthwiseConv2D(3, depth_multiplier=2, strides=2),
    "separable": lambda: L.SeparableConv2D(8, 3, padding="same"),
}
ACTIVATIONS = {
    "relu6": lambda: L.ReLU(6.0),
    "relu": lambda: L.Activation("relu"),
    "none": None,
}
X = np.random.default_rng(2).normal(size=(4, 9, 9, 6)).astype("float32") * 3


def _unfused(model):
    return Plan(model._graph, fuse=False)


def _run(model, plan, training):
    model._graph._plan = plan
    return model(X, training=training)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("head", HEADS)
def test_inference_folds_batch_norm_into_the_convolution(head, activation):
    model = _model(HEADS[head], ACTIVATIONS[activation])
    fused = model._graph.plan
    assert type(fused.steps[0].call).__name__ == "FusedCall"
    assert fused.steps[0].call.second.name == "bn"
    expected = _run(model, _unfused(model), False).data
    np.testing.assert_allclose(_run(model, fused, False).data, expected, rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, rtol=2e-5, atol=2e-5)


def _grads(model, plan, training):
    model._graph._plan = plan
    out = model(Tensor(X), training=training)
    loss = (out * out).sum()
    weights = model.trainable_weights
    grads = dg.tensor.grad(loss, weights)
    return float(loss.data), [np.asarray(g) for g in grads]


@pytest.mark.parametrize("head", ["conv", "depthwise", "separable"])
def test_training_runs_batch_norm_with_its_relu_and_matches(head):
    model = _model(HEADS[head])
    fused_plan, unfused_plan = model._graph.plan, _unfused(model)
    bn = model.get_layer("bn")
    start = [w.numpy() for w in (bn.moving_mean, bn.moving_variance)]
    loss_f, grads_f = _grads(model, fused_plan, True)
    moved_f = [w.numpy() for w in (bn.moving_mean, bn.moving_variance)]
    bn.moving_mean.assign(start[0])
    bn.moving_variance.assign(start[1])
    loss_u, grads_u = _grads(model, unfused_plan, True)
    moved_u = [w.numpy() for w in (bn.moving_mean, bn.moving_variance)]
    assert loss_f == pytest.approx(loss_u, rel=1e-5)
    for a, b in zip(grads_f + moved_f, grads_u + moved_u, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_frozen_batch_norm_folds_in_training_and_gradients_reach_the_kernel():
    # Fine-tuning: a frozen BatchNormalization normalizes with its moving statistics even
    # with training=True, so it folds; the kernel's gradient goes through the fold.
    model = _model(HEADS["conv_bias_strided"])
    model.get_layer("bn").trainable = False
    loss_f, grads_f = _grads(model, model._graph.plan, True)
    loss_u, grads_u = _grads(model, _unfused(model), True)
    assert loss_f == pytest.approx(loss_u, rel=1e-5)
    assert len(grads_f) == len(grads_u) == 4  # conv kernel and bias, dense kernel and bias
    for a, b in zip(grads_f, grads_u, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_float64_gradients_through_the_fold_match_the_layers():
    dg.config.set_floatx("float64")
    try:
        model = _model(HEADS["depthwise_multiplier"], ACTIVATIONS["relu"])
        model.get_layer("bn").trainable = False
        x = Tensor(X.astype("float64"), requires_grad=True)
        outs = []
        for plan in (model._graph.plan, _unfused(model)):
            model._graph._plan = plan
            y = model(x, training=False)
            outs.append([g for g in dg.tensor.grad((y * y).sum(), [x, *model.weights[:1]])])
        for a, b in zip(*outs, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    finally:
        dg.config.set_floatx("float32")


def test_what_is_not_fused():
    relu_conv = L.Conv2D(4, 3, activation="relu")  # its ReLU comes before the normalization
    bn, relu6 = L.BatchNormalization(), L.ReLU(6.0)
    assert relu_conv.fuse(bn, relu6) is None and relu_conv.fuse(bn) is None
    assert conv_fusion.fuse(L.Conv2D(4, 3, data_format="channels_first"), bn) is None
    assert L.Conv1D(4, 3).fuse(bn) is None  # a subclass with its own convolution
    assert L.Conv2D(4, 3, groups=2).fuse(bn) is None
    assert L.Conv2D(4, 3).fuse(L.ReLU(negative_slope=0.1)) is None
    assert L.Conv2D(4, 3).fuse(L.Activation("relu"), bn) is None  # not a chain it takes
    assert bn.fuse(L.Activation("tanh")) is None
    assert bn.fuse(L.ReLU(6.0)) is not None


@pytest.mark.parametrize("build, layer", [
    (lambda: _model(HEADS["conv"]), "bn"),  # in the middle of a chain
    (lambda: _padded_model(PADDED["conv"]), "pad"),  # a padding the convolution would do
])
def test_an_activity_regularizer_on_a_fused_layer_declines(build, layer):
    model = build()
    model.get_layer(layer).activity_regularizer = dg.regularizers.L2(0.1)
    expected = _run(model, _unfused(model), False).data
    np.testing.assert_array_equal(_run(model, model._graph.plan, False).data, expected)
    assert model.get_layer(layer)._activity_losses


class _ScaledBatchNorm(L.BatchNormalization):  # a subclass that changes the forward pass
    def call(self, inputs, training=None):
        return super().call(inputs, training=training) * 2.0


@pytest.mark.parametrize("build", [
    lambda: _model(HEADS["conv"], activation=None),
    lambda: _padded_model(PADDED["depthwise"], activation=None),
], ids=["conv", "padding"])
def test_a_batch_norm_subclass_that_changes_call_is_not_folded(build, monkeypatch):
    monkeypatch.setattr(L, "BatchNormalization", _ScaledBatchNorm)
    model = build()
    assert type(model.get_layer("bn")) is _ScaledBatchNorm
    assert model.get_layer("bn").epilogue() is None
    np.testing.assert_allclose(_run(model, model._graph.plan, False).data,
                               _run(model, _unfused(model), False).data, rtol=1e-6)


def test_batch_norm_on_another_axis_is_not_folded():
    dg.utils.set_random_seed(0)
    inp = dg.Input((9, 9, 6))
    x = L.Conv2D(4, 3)(inp)
    x = L.BatchNormalization(axis=1)(x)
    model = dg.Model(inp, x)
    assert model.get_layer(index=2).folded() is None
    np.testing.assert_allclose(model.predict(X, verbose=0), _run(model, _unfused(model),
                                                                 False).data, rtol=1e-6)


PADDED = {  # a ZeroPadding2D, then a 'valid' convolution that takes the padding over
    "conv": lambda: L.Conv2D(8, 3, strides=2, use_bias=False),
    "depthwise": lambda: L.DepthwiseConv2D(3, strides=2, use_bias=False),
    "separable": lambda: L.SeparableConv2D(8, 3),
}


def _padded_model(conv, padding=((0, 1), (2, 1)), batch_norm=True, activation="relu6"):
    dg.utils.set_random_seed(0)
    inp = dg.Input((9, 9, 6))
    x = L.ZeroPadding2D(padding, name="pad")(inp)
    x = conv()(x)
    if batch_norm:
        x = L.BatchNormalization(name="bn")(x)
    if activation:
        x = L.ReLU(6.0)(x)
    x = L.GlobalAveragePooling2D()(x)
    model = dg.Model(inp, L.Dense(3)(x))
    rng = np.random.default_rng(1)
    for layer in model.layers:
        if isinstance(layer, L.BatchNormalization):
            c = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 2.0, c), rng.normal(size=c),
                               rng.normal(size=c), rng.uniform(0.5, 2.0, c)])
    return model


@pytest.mark.parametrize("chain", [(True, "relu6"), (True, None), (False, None)])
@pytest.mark.parametrize("conv", PADDED)
def test_a_zero_padding_is_done_by_the_convolution_after_it(conv, chain):
    model = _padded_model(PADDED[conv], batch_norm=chain[0], activation=chain[1])
    first = model._graph.plan.steps[0].call
    assert type(first).__name__ == "FusedCall" and first.first.name == "pad"
    assert len(first.then) == sum(map(bool, chain))  # the whole chain in one op
    expected = _run(model, _unfused(model), False).data
    np.testing.assert_allclose(_run(model, model._graph.plan, False).data, expected,
                               rtol=2e-5, atol=2e-5)
    # training: a batch norm on the batch's statistics cannot fold, the chain runs as
    # the separate calls (a padding-only chain keeps the padding in the convolution)
    loss_f, grads_f = _grads(model, model._graph.plan, True)
    loss_u, grads_u = _grads(model, _unfused(model), True)
    assert loss_f == pytest.approx(loss_u, rel=1e-5)
    for a, b in zip(grads_f, grads_u, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


PADDED_GEOMETRIES = {  # the convolution after an uneven pad, in each of its kernels' cases
    "conv_dilated": lambda: L.Conv2D(4, 3, dilation_rate=2),
    "conv_stride_rows": lambda: L.Conv2D(4, (3, 2), strides=(2, 1)),
    "conv_winograd": lambda: L.Conv2D(4, 3),
    "conv_pointwise_strided": lambda: L.Conv2D(4, 1, strides=2),
    "depthwise_stride_cols_multiplier": lambda: L.DepthwiseConv2D(3, (1, 2), depth_multiplier=2),
    "depthwise_dilated": lambda: L.DepthwiseConv2D(3, dilation_rate=(1, 2)),
    "separable_dilated": lambda: L.SeparableConv2D(4, 3, dilation_rate=2, depth_multiplier=2),
}


@pytest.mark.parametrize("conv", PADDED_GEOMETRIES)
def test_a_padding_before_each_geometry_matches_the_layers(conv, monkeypatch):
    """An uneven pad ((1, 2), (0, 3)) taken over by a dilated, one-axis-strided, Winograd,
    pointwise, multiplier and separable convolution: outputs in inference (with the batch
    norm and ReLU6 folded in) and, for the pad and convolution alone, gradients in
    training equal the layers run one by one."""
    if conv == "conv_winograd":  # the rule that keeps small layers off Winograd, lifted
        for name, value in [("MIN_CHANNELS", 1), ("GAIN", 0), ("TILES_PER_CHANNEL", 0)]:
            monkeypatch.setattr(winograd, name, value)
    model = _padded_model(PADDED_GEOMETRIES[conv], padding=((1, 2), (0, 3)))
    first = model._graph.plan.steps[0].call
    assert type(first).__name__ == "FusedCall" and first.first.name == "pad"
    np.testing.assert_allclose(_run(model, model._graph.plan, False).data,
                               _run(model, _unfused(model), False).data, rtol=2e-5, atol=2e-5)
    # training: the pad and the convolution alone stay one op
    model = _padded_model(PADDED_GEOMETRIES[conv], ((1, 2), (0, 3)), batch_norm=False,
                          activation=None)
    assert type(model._graph.plan.steps[0].call).__name__ == "FusedCall"
    results = []
    for plan in (model._graph.plan, _unfused(model)):
        model._graph._plan = plan
        x = Tensor(X, requires_grad=True)
        out = model(x, training=True)
        results.append(dg.tensor.grad((out * out).sum(), [x, *model.trainable_weights]))
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_float64_gradients_through_the_padding_match_the_layers():
    dg.config.set_floatx("float64")
    try:
        model = _padded_model(PADDED["depthwise"], batch_norm=False, activation=None)
        x = Tensor(X.astype("float64"), requires_grad=True)
        outs = []
        for plan in (model._graph.plan, _unfused(model)):
            model._graph._plan = plan
            y = model(x, training=True)
            outs.append(dg.tensor.grad((y * y).sum(), [x, *model.weights]))
        for a, b in zip(*outs, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    finally:
        dg.config.set_floatx("float32")


def test_what_padding_is_not_fused():
    pad, bn = L.ZeroPadding2D(1), L.BatchNormalization()
    assert pad.fuse(L.Conv2D(4, 3, padding="same")) is None  # two paddings
    assert pad.fuse(L.MaxPooling2D(2)) is None  # not a convolution
    assert pad.fuse(L.Conv2D(4, 3, groups=2)) is None
    assert pad.fuse(L.Conv2D(4, 3, activation="tanh")) is None  # an activation it can't fuse
    assert pad.fuse(L.Conv2D(4, 3, activation="relu")) is not None
    assert pad.fuse(L.Conv2D(4, 3, activation="relu"), bn) is None  # ReLU before the norm
    assert L.ZeroPadding2D(1, data_format="channels_first").fuse(L.Conv2D(4, 3)) is None

    class MyPad(L.ZeroPadding2D):
        def call(self, inputs):
            return super().call(inputs) + 1.0

    assert MyPad(1).fuse(L.Conv2D(4, 3)) is None
