"""``Layer.add_loss`` and ``Metric.add_variable``, as in Keras's guide to making new layers
and models via subclassing."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops


class Penalty(dg.layers.Layer):
    def __init__(self, rate=0.5, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


def test_losses_hold_the_last_outermost_call_and_a_shared_layer_adds_up():
    layer = Penalty()
    layer(np.full((2, 2), 4.0, np.float32))
    layer(np.full((2, 2), 2.0, np.float32))
    assert [float(v.numpy()) for v in layer.losses] == [1.0]  # cleared by the second call
    inputs = dg.Input((2,))
    shared = Penalty()
    model = dg.Model(inputs, shared(shared(inputs) * 3.0))
    model(np.full((1, 2), 1.0, np.float32))
    assert sorted(float(v.numpy()) for v in model.losses) == [0.5, 1.5]


def test_fit_minimises_the_compiled_loss_plus_the_added_ones():
    def build(with_penalty):
        dg.utils.set_random_seed(0)
        inputs = dg.Input((3,))
        x = dg.layers.Dense(2)(inputs)
        model = dg.Model(inputs, Penalty(0.25)(x) if with_penalty else x)
        model.compile(dg.optimizers.SGD(0.1), "mse")
        return model

    x = np.random.default_rng(0).random((8, 3)).astype(np.float32)
    y = np.zeros((8, 2), np.float32)
    penalised, plain = build(True), build(False)
    loss = penalised.train_on_batch(x, y)
    expected = plain.evaluate(x, y, verbose=0) + 0.25 * float(plain.predict(x, verbose=0).mean())
    assert loss == pytest.approx(expected, rel=1e-6)
    # the penalty's gradient moved the bias: d(0.25 * mean(out)) / d(bias_j) = 0.25 / 2
    plain.train_on_batch(x, y)
    np.testing.assert_allclose(penalised.get_weights()[1] - plain.get_weights()[1],
                               -0.1 * 0.125, atol=1e-6)


def test_add_loss_refuses_what_is_not_a_tensor():
    class Bad(dg.layers.Layer):
        def call(self, inputs):
            self.add_loss(1.0)
            return inputs

    with pytest.raises(ValueError, match="`add_loss\\(\\)` can only be called"):
        Bad()(np.ones((1, 2), np.float32))


class TruePositives(dg.metrics.Metric):
    """Keras's guide's CategoricalTruePositives (add_variable, assign_add, the default
    reset_state)."""

    def __init__(self, name="true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(ops.cast(y_true, "int32") == ops.cast(y_pred, "int32"), "float32")
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives


def test_a_metric_made_of_variables_counts_and_resets():
    metric = TruePositives()
    metric.update_state(np.array([[0], [1], [1]]), np.array([[1.0, 0], [0, 1], [1, 0]]))
    assert metric.result() == 2.0 and metric.result().numpy() == np.float32(2.0)
    assert [v.shape for v in metric.variables] == [()]
    metric.reset_state()
    assert metric.result() == 0.0
    model = dg.Sequential([dg.Input((2,)), dg.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=[TruePositives()])
    history = model.fit(np.eye(2, dtype=np.float32), np.array([[0], [1]]), epochs=2,
                        verbose=0).history
    assert all(0.0 <= v <= 2.0 for v in history["true_positives"])
