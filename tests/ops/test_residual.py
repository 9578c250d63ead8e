"""ops.residual.add_activation (a residual sum and its ReLU as one op) against the plain
formula, float64 central finite differences, and a ResNet block fused by a model's plan
against the same block run call by call (a plan made without fusion)."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.layers.base import FusedCall, InputFusedCall
from deepgrad.models.functional import Plan
from deepgrad.ops.residual import add_activation
from deepgrad.tensor import Tensor, grad
from deepgrad.utils import gradient_check

L = dg.layers
rng = np.random.default_rng(0)


@pytest.mark.parametrize("activation, clip", [("relu", (0, np.inf)), ("relu6", (0, 6)),
                                              (None, (-np.inf, np.inf))])
@pytest.mark.parametrize("count", [2, 3])
def test_forward_is_the_clipped_sum(activation, clip, count):
    arrays = [rng.normal(size=(2, 3, 4)).astype(np.float32) * 5 for _ in range(count)]
    out = add_activation([Tensor(a) for a in arrays], activation)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, np.clip(sum(arrays), *clip), rtol=1e-6)


@pytest.mark.parametrize("activation", ["relu", "relu6", None])
def test_finite_differences(activation):
    # values away from the kinks at 0 and 6, where the gradient is not defined
    inputs = [rng.choice([-1, 1], size=(2, 5)) * rng.uniform(0.5, 2.5, size=(2, 5)) + s
              for s in (0.0, 1.0, 2.0)]
    assert gradient_check(lambda a, b, c: add_activation([a, b, c], activation), inputs)


@pytest.mark.parametrize("activation", ["relu", "relu6", None])
def test_chunks_in_threads_give_the_same_numbers(activation, monkeypatch):
    from deepgrad.kernels import activation as act

    # a transposed (not C-contiguous) input among them, and a transposed gradient
    arrays = [rng.normal(size=(4, 6, 5)).astype(np.float32) * 5 for _ in range(2)]
    arrays.append(rng.normal(size=(5, 6, 4)).astype(np.float32).transpose(2, 1, 0) * 5)
    g = rng.normal(size=(5, 6, 4)).astype(np.float32).transpose(2, 1, 0)
    results = []
    for chunk_bytes in (1 << 30, 28):  # one chunk; chunks of 7 numbers, several groups
        monkeypatch.setattr(act, "SUM_CHUNK_BYTES", chunk_bytes)
        out = add_activation([Tensor(a, requires_grad=True) for a in arrays], activation)
        results.append((out.data, out._node.backward(g)))
    (expected, expected_grads), (got, got_grads) = results
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(expected, np.clip(
        arrays[0] + arrays[1] + arrays[2], 0 if activation else -np.inf,
        {"relu": np.inf, "relu6": 6, None: np.inf}[activation]))
    for a, b in zip(got_grads, expected_grads, strict=True):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)
        mask = (expected > 0) & (expected < 6) if activation == "relu6" else (
            expected > 0 if activation else np.ones(expected.shape, bool))
        np.testing.assert_array_equal(a, np.where(mask, g, 0))


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="at least 2 inputs"):
        add_activation([np.ones(2)])
    with pytest.raises(ValueError, match="one shape and dtype"):
        add_activation([np.ones((2, 3)), np.ones((1, 3))])
    with pytest.raises(ValueError, match="`activation` must be one of"):
        add_activation([np.ones(2), np.ones(2)], "tanh")


def _block(activation=lambda: L.Activation("relu"), shortcut_shape=(6, 6, 4)):
    dg.utils.set_random_seed(0)
    inp = dg.Input((6, 6, 4))
    x = L.Conv2D(4, 3, padding="same", name="conv")(inp)
    x = L.BatchNormalization(name="bn")(x)
    shortcut = inp if shortcut_shape == (6, 6, 4) else L.Conv2D(1, 1)(inp)
    x = L.Add(name="add")([x, shortcut])
    x = activation()(x)
    x = L.GlobalAveragePooling2D()(x)
    return dg.Model(inp, L.Dense(3)(x))


X = rng.normal(size=(3, 6, 6, 4)).astype(np.float32)


def _fused_calls(model):
    """The plan's fused calls, those inside an InputFusedCall too."""
    found = []
    for step in model._graph.plan.steps:
        inner = [step.call.producer, step.call.merge] if isinstance(
            step.call, InputFusedCall) else [step.call]
        found += [call for call in inner if isinstance(call, FusedCall)]
    return found


def _step_names(model):
    return [call.first.name for call in _fused_calls(model)]


@pytest.mark.parametrize("activation", [lambda: L.Activation("relu"), lambda: L.ReLU(6.0)])
@pytest.mark.parametrize("training", [False, True])
def test_a_resnet_block_fuses_its_sum_and_relu(activation, training, monkeypatch):
    from deepgrad.layers import merging

    calls = []
    monkeypatch.setattr(merging, "add_activation", lambda inputs, act: (
        calls.append(act), add_activation(inputs, act))[1])
    model = _block(activation)
    assert "add" in _step_names(model)
    fused = model._graph.plan
    weights = model.trainable_weights
    results = []
    for plan in (Plan(model._graph, fuse=False), fused):
        model._graph._plan = plan
        out = model(Tensor(X), training=training)
        loss = (out * out).sum()
        results.append((out.data, grad(loss, weights)))
    (expected, expected_grads), (got, got_grads) = results
    # In inference the sum is the convolution's (Add.fuse_input); in training the batch
    # norm cannot fold and the sum and ReLU run as one op after it.
    assert calls == ([activation().epilogue()[1]] if training else [])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    for a, b in zip(got_grads, expected_grads, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_a_broadcast_sum_runs_unfused_with_the_same_numbers():
    model = _block(shortcut_shape=(6, 6, 1))
    fused = model.predict_on_batch(X)
    model._graph._plan = Plan(model._graph, fuse=False)
    np.testing.assert_allclose(fused, model.predict_on_batch(X), rtol=1e-6)


def test_a_sum_read_twice_is_not_fused():
    inp = dg.Input((4,))
    total = L.Add(name="add")([inp, inp])
    model = dg.Model(inp, [L.ReLU()(total), total])
    assert "add" not in _step_names(model)


@pytest.mark.parametrize("activation, fused", [
    (lambda: L.ReLU(max_value=3.0), False),
    (lambda: L.ReLU(negative_slope=0.1), False),
    (lambda: L.ReLU(threshold=0.5), False),
    (lambda: L.Activation("relu6"), True),
], ids=["max_value", "negative_slope", "threshold", "relu6"])
def test_three_inputs_of_two_dtypes_and_relu_variants_match_the_calls(activation, fused):
    """A sum of three inputs (one float64, converted by the layer) and a ReLU that the
    sum takes only as plain ReLU or ReLU6: the outputs and each input's gradient equal
    the calls one by one."""
    inputs = [dg.Input((5, 4)), dg.Input((5, 4), dtype="float64"), dg.Input((5, 4))]
    model = dg.Model(inputs, activation()(L.Add(name="add")(inputs)))
    assert ("add" in _step_names(model)) is fused
    data = [rng.normal(size=(2, 5, 4)).astype(t) * 4 for t in ("f4", "f8", "f4")]
    results = []
    for plan in (model._graph.plan, Plan(model._graph, fuse=False)):
        model._graph._plan = plan
        xs = [Tensor(a, requires_grad=True) for a in data]
        out = model(xs)
        results.append([out.data, *grad((out * Tensor(data[0])).sum(), xs)])
    for a, b in zip(*results, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def _bottleneck(order="x first", activation="relu", frozen=False):
    """A ResNet50 bottleneck's end: 1x1 convolution, batch norm, the sum with the block's
    input (in either order), then ReLU (or nothing)."""
    dg.utils.set_random_seed(1)
    inp = dg.Input((5, 5, 8))
    x = L.Conv2D(4, 1, name="reduce")(inp)
    x = L.Conv2D(8, 1, name="expand")(x)
    bn = L.BatchNormalization(name="bn")
    x = bn(x)
    parts = [x, inp] if order == "x first" else [inp, x]
    x = L.Add(name="add")(parts)
    if activation:
        x = L.Activation(activation)(x)
    model = dg.Model(inp, L.Conv2D(2, 1, name="head")(x))
    bn.moving_mean.assign(rng.normal(size=8))
    bn.moving_variance.assign(rng.uniform(0.5, 2.0, size=8))
    bn.trainable = not frozen
    return model


def _input_fused(model):
    return [step.call for step in model._graph.plan.steps if isinstance(step.call, InputFusedCall)]


@pytest.mark.parametrize("order", ["x first", "input first"])
@pytest.mark.parametrize("activation", ["relu", "relu6", None])
def test_the_sum_goes_into_the_convolution_before_it_in_inference(order, activation,
                                                                  monkeypatch):
    from deepgrad.kernels import pointwise

    model = _bottleneck(order, activation)
    (call,) = _input_fused(model)
    assert call.index == (0 if order == "x first" else 1) and call.producer.first.name == "expand"
    assert len(model._graph.plan.steps) == 3  # reduce; expand, bn, add (and ReLU) as one; head
    x = rng.normal(size=(3, 5, 5, 8)).astype(np.float32)
    got = model.predict_on_batch(x)
    monkeypatch.setattr(pointwise, "ROWS_BYTES", 256)  # the sum added block by block
    blocks = model.predict_on_batch(x)
    fused = model._graph._plan
    model._graph._plan = Plan(model._graph, fuse=False)
    expected = model.predict_on_batch(x)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(blocks, got, rtol=1e-6, atol=1e-6)
    model._graph._plan = fused


@pytest.mark.parametrize("frozen", [False, True])
def test_training_and_a_frozen_batch_norm_give_the_gradients_of_the_calls(frozen):
    """In training the batch norm cannot fold: the calls run as they are. A frozen one
    folds, and the fused op's gradients reach the kernel, gamma, beta and both inputs."""
    model = _bottleneck()
    if frozen:
        model.get_layer("bn").trainable = False
    x = rng.normal(size=(2, 5, 5, 8)).astype(np.float32)
    weights = model.trainable_weights
    results = []
    for plan in (model._graph.plan, Plan(model._graph, fuse=False)):
        model._graph._plan = plan
        xt = Tensor(x, requires_grad=True)
        out = model(xt, training=True)
        loss = (out * out).sum()
        results.append([out.data, *grad(loss, [xt, *weights])])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_a_convolution_read_by_another_layer_or_a_sum_with_a_regularizer_is_not_fused():
    inp = dg.Input((4, 4, 3))
    conv = L.Conv2D(3, 1)(inp)
    x = L.BatchNormalization()(conv)
    model = dg.Model(inp, [L.Add()([x, inp]), x])  # the batch norm's output read twice
    assert not _input_fused(model)
    model = _bottleneck()
    model.get_layer("add").activity_regularizer = dg.regularizers.L2(0.1)
    x = rng.normal(size=(2, 5, 5, 8)).astype(np.float32)
    assert _input_fused(model)  # the run declines at call time
    got = model(x, training=False)
    assert model.get_layer("add").losses  # the regularizer saw the sum
    model._graph._plan = Plan(model._graph, fuse=False)
    np.testing.assert_allclose(got.data, model(x, training=False).data, rtol=1e-5, atol=1e-6)


def test_a_sum_of_the_chain_with_itself_runs_the_chain_once_for_both():
    """``Add()([x, x])``: the chain's output is read twice by the one sum, so the sum
    cannot take the chain (it crashed on the slot the chain no longer filled)."""
    inp = dg.Input((4, 4, 3))
    x = L.BatchNormalization()(L.Conv2D(3, 1)(inp))
    model = dg.Model(inp, L.ReLU()(L.Add()([x, x])))
    assert not _input_fused(model)
    data = rng.normal(size=(2, 4, 4, 3)).astype(np.float32)
    got = model(data, training=False).data
    model._graph._plan = Plan(model._graph, fuse=False)
    np.testing.assert_allclose(got, model(data, training=False).data, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("training", [False, True])
def test_the_batch_norms_activity_regularizer_sees_its_output(training):
    """The chain's last layer's regularizer needs the chain's output, which the fused sum
    never makes: the run declines (the batch norm's loss was silently lost)."""
    model = _bottleneck(frozen=True)
    model.get_layer("bn").activity_regularizer = dg.regularizers.L2(0.1)
    x = rng.normal(size=(2, 5, 5, 8)).astype(np.float32)
    got = model(x, training=training)
    losses = [float(loss.data) for loss in model.losses]
    model._graph._plan = Plan(model._graph, fuse=False)
    expected = model(x, training=training)
    np.testing.assert_allclose(got.data, expected.data, rtol=1e-5, atol=1e-6)
    assert len(model.losses) == len(losses) == 1
    np.testing.assert_allclose(losses, [float(loss.data) for loss in model.losses], rtol=1e-5)
