"""dg.constraints: formulas, get/serialize/deserialize, and the layers that take them
(stored on the weight, applied after each optimizer step, kept in configs and saved
files). Keras's own values: tests/test_keras_train_parity.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import constraints as C
from deepgrad.tensor import Tensor


def _norms(w, axis):
    return np.sqrt((w.astype(np.float64) ** 2).sum(axis=axis, keepdims=True))


def test_formulas():
    w = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32) * 3
    n = _norms(w, 0)
    np.testing.assert_allclose(C.MaxNorm(2.0)(w).numpy(), w * np.minimum(n, 2) / (n + 1e-7),
                               rtol=1e-6)
    np.testing.assert_allclose(C.UnitNorm()(w).numpy(), w / (n + 1e-7), rtol=1e-6)
    target = 0.25 * np.clip(n, 1.0, 2.0) + 0.75 * n
    np.testing.assert_allclose(C.MinMaxNorm(1.0, 2.0, rate=0.25)(w).numpy(),
                               w * target / (n + 1e-7), rtol=1e-6)
    np.testing.assert_array_equal(C.NonNeg()(w).numpy(), np.maximum(w, 0))
    assert C.MaxNorm()(Tensor(w)).dtype == np.float32
    assert C.UnitNorm(axis=[0, 1])(w.astype(np.float64)).dtype == np.float64


@pytest.mark.parametrize("constraint", [C.MaxNorm(3, axis=[0, 1, 2]), C.MinMaxNorm(0.5, 4.0,
                         0.3, axis=1), C.NonNeg(), C.UnitNorm(axis=-1), C.Constraint()],
                         ids=lambda c: type(c).__name__)
def test_serialize_round_trips_through_json(constraint):
    again = C.deserialize(json.loads(json.dumps(C.serialize(constraint))))
    assert type(again) is type(constraint) and again.get_config() == constraint.get_config()


@pytest.mark.parametrize("name, cls", [("max_norm", C.MaxNorm), ("MaxNorm", C.MaxNorm),
                                       ("min_max_norm", C.MinMaxNorm), ("non_neg", C.NonNeg),
                                       ("unit_norm", C.UnitNorm), ("NonNeg", C.NonNeg)])
def test_get_by_keras_names(name, cls):
    assert type(C.get(name)) is cls
    assert C.max_norm is C.MaxNorm and C.non_neg is C.NonNeg


def test_get_passes_functions_and_none_and_refuses_the_rest():
    def clip(w):
        return w

    assert C.get(clip) is clip and C.get(None) is None and C.serialize(None) is None
    with pytest.raises(ValueError, match="Unknown constraint: 'max_nrom'. Valid names: "):
        C.get("max_nrom")
    with pytest.raises(TypeError, match="constraints.get: `identifier` must be"):
        C.get(3)
    with pytest.raises(TypeError, match="constraints.serialize: expected a Constraint"):
        C.serialize(clip)
    with pytest.raises(ValueError, match="MaxNorm: `axis` must be an int or a list of ints"):
        C.MaxNorm(axis="rows")
    with pytest.raises(ValueError, match="MinMaxNorm: `rate` must be a finite number"):
        C.MinMaxNorm(rate=float("nan"))


def test_registered_custom_constraint_round_trips():
    @dg.saving.register_keras_serializable(package="Test")
    class Clip(C.Constraint):
        def __init__(self, limit=1.0):
            self.limit = limit

        def __call__(self, w):
            return Tensor(np.clip(w.numpy(), -self.limit, self.limit))

        def get_config(self):
            return {"limit": self.limit}

    config = C.serialize(Clip(0.5))
    assert config["class_name"] == "Test>Clip" and C.deserialize(config).limit == 0.5


# Every layer with constraints in Keras, the weights each constraint lands on, and an input.
LAYERS = [
    (lambda c: dg.layers.Dense(3, kernel_constraint=c, bias_constraint=c),
     {"kernel", "bias"}, (2, 4)),
    (lambda c: dg.layers.Conv1D(2, 3, kernel_constraint=c, bias_constraint=c),
     {"kernel", "bias"}, (2, 6, 3)),
    (lambda c: dg.layers.Conv2D(2, 3, kernel_constraint=c, bias_constraint=c),
     {"kernel", "bias"}, (2, 5, 5, 3)),
    (lambda c: dg.layers.Conv2DTranspose(2, 3, kernel_constraint=c, bias_constraint=c),
     {"kernel", "bias"}, (2, 4, 4, 3)),
    (lambda c: dg.layers.Conv1DTranspose(2, 3, kernel_constraint=c, bias_constraint=c),
     {"kernel", "bias"}, (2, 5, 3)),
    (lambda c: dg.layers.Conv3D(2, 2, kernel_constraint=c, bias_constraint=c),
     {"kernel", "bias"}, (2, 3, 3, 3, 2)),
    (lambda c: dg.layers.Conv3DTranspose(2, 2, kernel_constraint=c, bias_constraint=c),
     {"kernel", "bias"}, (2, 3, 3, 3, 2)),
    (lambda c: dg.layers.DepthwiseConv1D(3, depthwise_constraint=c, bias_constraint=c),
     {"kernel", "bias"}, (2, 6, 3)),
    (lambda c: dg.layers.SeparableConv1D(2, 3, depthwise_constraint=c, pointwise_constraint=c,
                                         bias_constraint=c),
     {"depthwise_kernel", "pointwise_kernel", "bias"}, (2, 6, 3)),
    (lambda c: dg.layers.DepthwiseConv2D(3, depthwise_constraint=c, bias_constraint=c),
     {"kernel", "bias"}, (2, 5, 5, 3)),
    (lambda c: dg.layers.SeparableConv2D(2, 3, depthwise_constraint=c, pointwise_constraint=c,
                                         bias_constraint=c),
     {"depthwise_kernel", "pointwise_kernel", "bias"}, (2, 5, 5, 3)),
    (lambda c: dg.layers.BatchNormalization(beta_constraint=c, gamma_constraint=c),
     {"gamma", "beta"}, (4, 3)),
    (lambda c: dg.layers.LayerNormalization(beta_constraint=c, gamma_constraint=c),
     {"gamma", "beta"}, (4, 3)),
    (lambda c: dg.layers.GroupNormalization(groups=2, beta_constraint=c, gamma_constraint=c),
     {"gamma", "beta"}, (4, 6)),
    (lambda c: dg.layers.MultiHeadAttention(2, 3, kernel_constraint=c, bias_constraint=c),
     {"kernel", "bias"}, [(2, 4, 5), (2, 3, 5)]),
    (lambda c: dg.layers.PReLU(alpha_constraint=c), {"alpha"}, (2, 3)),
    (lambda c: dg.layers.Embedding(7, 2, embeddings_constraint=c), {"embeddings"}, None),
    (lambda c: dg.layers.SimpleRNN(2, kernel_constraint=c, recurrent_constraint=c,
                                   bias_constraint=c),
     {"kernel", "recurrent_kernel", "bias"}, (2, 3, 4)),
    (lambda c: dg.layers.LSTM(2, kernel_constraint=c, recurrent_constraint=c,
                              bias_constraint=c),
     {"kernel", "recurrent_kernel", "bias"}, (2, 3, 4)),
    (lambda c: dg.layers.GRU(2, kernel_constraint=c, recurrent_constraint=c,
                             bias_constraint=c),
     {"kernel", "recurrent_kernel", "bias"}, (2, 3, 4)),
    (lambda c: dg.layers.ConvLSTM1D(2, 3, kernel_constraint=c, recurrent_constraint=c,
                                    bias_constraint=c),
     {"kernel", "recurrent_kernel", "bias"}, (2, 3, 5, 1)),
]


def _call(layer, shape):
    rng = np.random.default_rng(0)
    if shape is None:
        return layer(rng.integers(0, 7, size=(2, 5)))
    shapes = shape if isinstance(shape, list) else [shape]
    return layer(*[rng.normal(size=s).astype(np.float32) for s in shapes])


@pytest.mark.parametrize("make, names, shape", LAYERS, ids=lambda v: "" if not callable(v)
                         else type(v("non_neg")).__name__)
def test_layers_take_keep_and_save_their_constraints(make, names, shape):
    layer = make("non_neg")
    _call(layer, shape)
    constrained = {v.path.rsplit("/", 1)[-1]: v for v in layer.trainable_weights
                   if v.constraint is not None}
    assert set(constrained) == names and all(isinstance(v.constraint, C.NonNeg)
                                             for v in constrained.values())
    config = json.loads(json.dumps(layer.get_config()))
    keys = [k for k in config if k.endswith("_constraint")]
    assert keys and all(config[k] == {"class_name": "NonNeg", "config": {}} for k in keys)
    again = type(layer).from_config(config)
    _call(again, shape)
    assert {v.path.rsplit("/", 1)[-1] for v in again.trainable_weights
            if isinstance(v.constraint, C.NonNeg)} == names
    assert all(type(layer).from_config(json.loads(json.dumps(make(None).get_config())))
               .get_config()[k] is None for k in keys)


def test_training_keeps_weights_within_their_constraints(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 6)).astype(np.float32)
    y = (x @ rng.normal(size=(6, 1)) * 5).astype(np.float32)
    model = dg.Sequential([dg.Input((6,)),
                           dg.layers.Dense(8, kernel_constraint=C.MaxNorm(0.5),
                                           bias_constraint="non_neg"),
                           dg.layers.Dense(1, kernel_constraint="unit_norm")])
    model.compile(dg.optimizers.Adam(0.05), "mse")
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    first, second = model.layers
    assert np.all(_norms(first.kernel.numpy(), 0) <= 0.5 + 1e-6)
    assert np.all(first.bias.numpy() >= 0)
    np.testing.assert_allclose(_norms(second.kernel.numpy(), 0), 1.0, rtol=1e-5)
    model.save(tmp_path / "c.deepgrad")
    loaded = dg.models.load_model(tmp_path / "c.deepgrad")
    assert isinstance(loaded.layers[0].kernel.constraint, C.MaxNorm)
    assert loaded.layers[0].kernel.constraint.max_value == 0.5


def test_add_weight_resolves_a_constraint_name():
    class Scale(dg.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                         constraint="non_neg", name="scale")

        def call(self, inputs):
            return inputs * self.scale

    layer = Scale()
    layer(np.ones((2, 3), np.float32))
    assert isinstance(layer.scale.constraint, C.NonNeg)
    dg.optimizers.SGD(1.0).apply([np.full(3, 5.0, np.float32)], [layer.scale])
    np.testing.assert_array_equal(layer.scale.numpy(), np.zeros(3, np.float32))
