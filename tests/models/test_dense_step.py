"""The compiled step of Dense stacks (deepgrad.models.dense_step) against the reference path.

Every supported configuration trains to the same weights and logs, bit for bit, as
``compile(run_eagerly=True)`` (the tape, layer by layer); every condition it does not
cover falls back to the reference path, which the tests check it really does.
"""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.models import dense_step

rng = np.random.default_rng(0)
X = rng.normal(size=(70, 5)).astype(np.float32)  # batches of 16 and a last one of 6
LABELS = rng.integers(0, 3, 70)
ONE_HOT = np.eye(3, dtype=np.float32)[LABELS]
BINARY = (rng.random((70, 1)) > 0.5).astype(np.float32)


def _model(hidden="relu", last="softmax", units=3, use_bias=True, functional=False,
           **last_kwargs):
    layers = [dg.layers.Dense(8, activation=hidden, use_bias=use_bias),
              dg.layers.Dense(6, activation=hidden),
              dg.layers.Dense(units, activation=last, **last_kwargs)]
    if not functional:
        return dg.Sequential([dg.Input((5,))] + layers)
    inputs = x = dg.Input((5,))
    for layer in layers:
        x = layer(x)
    return dg.Model(inputs, x)


def _train(eager: bool, make, loss, y, optimizer=lambda: "adam", metrics=("accuracy",),
           x=X, epochs=3, **fit_kwargs):
    dg.utils.set_random_seed(1)
    model = make()
    model.compile(optimizer=optimizer(), loss=loss, metrics=list(metrics), run_eagerly=eager)
    history = model.fit(x, y, batch_size=16, epochs=epochs, verbose=0, **fit_kwargs)
    return model, history.history


def _same(make, loss, y, **kwargs):
    """Train the reference and the compiled step; return the compiled model."""
    reference, reference_logs = _train(True, make, loss, y, **kwargs)
    fast, logs = _train(False, make, loss, y, **kwargs)
    assert reference._dense_step is False  # run_eagerly: the tape's path
    assert isinstance(fast._dense_step, dense_step.DenseStep)
    for a, b in zip(reference.get_weights(), fast.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert logs == reference_logs
    return fast


CASES = {
    "iris-like": (_model, "sparse_categorical_crossentropy", LABELS),
    "labels-column": (_model, "sparse_categorical_crossentropy", LABELS[:, None].astype(np.int32)),
    "tanh": (lambda: _model("tanh"), "sparse_categorical_crossentropy", LABELS),
    "sigmoid-hidden": (lambda: _model("sigmoid"), "sparse_categorical_crossentropy", LABELS),
    "linear-hidden": (lambda: _model(None), "sparse_categorical_crossentropy", LABELS),
    "sparse-logits": (lambda: _model(last=None),
                      dg.losses.SparseCategoricalCrossentropy(from_logits=True), LABELS),
    "categorical": (_model, "categorical_crossentropy", ONE_HOT),
    "categorical-logits": (lambda: _model(last=None),
                           dg.losses.CategoricalCrossentropy(from_logits=True), ONE_HOT),
    "binary": (lambda: _model(last="sigmoid", units=1), "binary_crossentropy", BINARY),
    "binary-flat-labels": (lambda: _model(last="sigmoid", units=1), "binary_crossentropy",
                           BINARY[:, 0]),
    "binary-logits": (lambda: _model(last=None, units=1),
                      dg.losses.BinaryCrossentropy(from_logits=True), BINARY),
    "multilabel": (lambda: _model(last="sigmoid"), "binary_crossentropy", ONE_HOT),
    "mse": (lambda: _model(last=None), "mse", ONE_HOT.astype(np.float64)),
    "mse-relu-out": (lambda: _model(last="relu"), "mse", ONE_HOT),
    "mse-sigmoid-out": (lambda: _model(last="sigmoid"), "mse", ONE_HOT),
    "mse-tanh-out": (lambda: _model(last="tanh"), "mse", ONE_HOT),
    "no-bias": (lambda: _model(use_bias=False), "sparse_categorical_crossentropy", LABELS),
    "functional": (lambda: _model(functional=True), "sparse_categorical_crossentropy", LABELS),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_bits_as_the_tape(name):
    make, loss, y = CASES[name]
    _same(make, loss, y, metrics=("accuracy",) if "mse" not in name else ("mae",))


def test_same_bits_in_float64():
    dg.config.set_floatx("float64")
    try:
        fast = _same(_model, "sparse_categorical_crossentropy", LABELS, x=X.astype(np.float64))
    finally:
        dg.config.set_floatx("float32")
    assert fast.get_weights()[0].dtype == np.float64


@pytest.mark.parametrize("optimizer", [
    lambda: dg.optimizers.SGD(0.1, momentum=0.9, nesterov=True, clipnorm=1.0),
    lambda: dg.optimizers.RMSprop(global_clipnorm=0.5),
    lambda: dg.optimizers.AdamW(weight_decay=0.01, use_ema=True),
    lambda: dg.optimizers.Adam(gradient_accumulation_steps=2),
    lambda: dg.optimizers.Adam(dg.optimizers.schedules.ExponentialDecay(1e-2, 3, 0.5)),
], ids=["sgd-clipnorm", "rmsprop-global-clip", "adamw-ema", "accumulation", "schedule"])
def test_same_bits_with_other_optimizers(optimizer):
    _same(_model, "sparse_categorical_crossentropy", LABELS, optimizer=optimizer)


def test_frozen_layer_and_constraint():
    def make():
        model = _model(kernel_constraint=dg.constraints.NonNeg())
        model.layers[0].trainable = False
        return model

    fast = _same(make, "sparse_categorical_crossentropy", LABELS)
    assert (fast.layers[-1].kernel.numpy() >= 0).all()


def test_validation_callbacks_and_train_on_batch():
    _same(_model, "sparse_categorical_crossentropy", LABELS, validation_split=0.2,
          callbacks=[dg.callbacks.EarlyStopping(patience=1)])
    results = []
    for eager in (True, False):
        dg.utils.set_random_seed(2)
        model = _model()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], run_eagerly=eager)
        results.append([model.train_on_batch(X[:16], LABELS[:16]) for _ in range(3)]
                       + model.get_weights())
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


def _plan_of(model, **compile_kwargs):
    model.compile(**{"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                     **compile_kwargs})
    return dense_step.plan(model, model.trainable_variables)


class _OwnCall(dg.Model):
    def call(self, inputs, training=None):
        return super().call(inputs, training=training) * 2.0


class _OwnLoss(dg.Model):
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return super().compute_loss(x, y, y_pred, sample_weight, training) * 2.0


def _subclassed(cls):
    inputs = dg.Input((5,))
    return cls(inputs, dg.layers.Dense(3, activation="softmax")(inputs))


FALLBACKS = {
    "run-eagerly": lambda: _plan_of(_model(), run_eagerly=True),
    "kernel-regularizer": lambda: _plan_of(_model(kernel_regularizer="l2")),
    "activity-regularizer": lambda: _plan_of(_model(activity_regularizer="l1")),
    "dropout": lambda: _plan_of(dg.Sequential([dg.Input((5,)), dg.layers.Dense(4),
                                               dg.layers.Dropout(0.5), dg.layers.Dense(3)])),
    "other-activation": lambda: _plan_of(_model("elu")),
    "softmax-hidden": lambda: _plan_of(_model("softmax")),
    "probabilities-from-linear": lambda: _plan_of(_model(last=None)),
    "logits-from-softmax": lambda: _plan_of(
        _model(), loss=dg.losses.SparseCategoricalCrossentropy(from_logits=True)),
    "softmax-mse": lambda: _plan_of(_model(), loss="mse"),
    "other-loss": lambda: _plan_of(_model(last=None), loss="mae"),
    "label-smoothing": lambda: _plan_of(
        _model(), loss=dg.losses.CategoricalCrossentropy(label_smoothing=0.1)),
    "ignore-class": lambda: _plan_of(
        _model(), loss=dg.losses.SparseCategoricalCrossentropy(ignore_class=0)),
    "sum-reduction": lambda: _plan_of(
        _model(), loss=dg.losses.SparseCategoricalCrossentropy(reduction="sum")),
    "loss-weights": lambda: _plan_of(_model(), loss_weights=[2.0]),
    "loss-scale": lambda: _plan_of(_model(), optimizer=dg.optimizers.Adam(loss_scale_factor=8.0)),
    "loss-scale-optimizer": lambda: _plan_of(
        _model(), optimizer=dg.optimizers.LossScaleOptimizer(dg.optimizers.Adam())),
    "own-call": lambda: _plan_of(_subclassed(_OwnCall)),
    "own-compute-loss": lambda: _plan_of(_subclassed(_OwnLoss)),
    "mixed-dtypes": lambda: _plan_of(dg.Sequential([
        dg.Input((5,)), dg.layers.Dense(4), dg.layers.Dense(3, dtype="float64")])),
}


def test_a_patched_dense_call_runs_the_tape(monkeypatch):
    monkeypatch.setattr(dg.layers.Dense, "call", lambda self, x: dg.ops.matmul(x, self.kernel))
    assert _plan_of(_model(last=None), loss="mse") is None


@pytest.mark.parametrize("name", sorted(FALLBACKS))
def test_falls_back_to_the_tape(name):
    assert FALLBACKS[name]() is None


def test_the_fallbacks_train_as_before():
    # A regularized model runs the tape's step (its penalty has a gradient).
    weights = []
    for eager in (True, False):
        dg.utils.set_random_seed(3)
        model = _model(kernel_regularizer="l2")
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      run_eagerly=eager)
        model.fit(X, LABELS, batch_size=16, epochs=2, verbose=0)
        assert model._dense_step is False
        weights.append(model.get_weights())
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)


def _fast_model():
    model = _model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.train_on_batch(X[:16], LABELS[:16])
    assert isinstance(model._dense_step, dense_step.DenseStep)
    return model


@pytest.mark.parametrize("batch", [
    (X[:16], LABELS[:16], np.ones(16, np.float32)),  # sample weights
    (X[:16], LABELS[:16].astype(np.float32)),  # float labels: the reference checks them
    (X[:16], LABELS[:16] + 3),  # out of range
    (X[:16].astype(np.float64), LABELS[:16]),  # another dtype
    (X[:16, :4], LABELS[:16]),  # another shape
    (X[:16], np.zeros((16, 3), np.int64)),  # one-hot labels for the sparse loss
], ids=["sample-weight", "float-labels", "out-of-range", "float64-input", "shape",
        "one-hot"])
def test_batches_the_reference_must_take(batch):
    model = _fast_model()
    before = model.get_weights()
    assert model._dense_step(batch) is None
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # nothing was done


def test_bad_batches_raise_the_reference_errors():
    model = _fast_model()
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\]"):
        model.fit(X, LABELS + 3, verbose=0)
    with pytest.raises(ValueError, match="expected input with last dimension 5|shape"):
        model.fit(X[:, :4], LABELS, verbose=0)
    # Integer-valued float labels and sample weights train through the reference path.
    model.fit(X, LABELS.astype(np.float32), sample_weight=np.ones(70), verbose=0)


@pytest.mark.parametrize("last", ["softmax", "sigmoid", "tanh", "relu", None])
@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", None])
def test_predict_same_bits_as_the_layers(hidden, last):
    outputs = []
    for eager in (True, False):
        dg.utils.set_random_seed(4)
        model = _model(hidden, last, functional=eager)  # functional or Sequential alike
        model.run_eagerly = eager
        outputs.append((model.predict(X, batch_size=16, verbose=0), model.predict(X[:5]),
                        model.predict_on_batch(X[:7])))
    assert dense_step.predict(model, X) is not None
    for a, b in zip(*outputs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_predict_falls_back_to_the_layers():
    assert dense_step.predict(_model("elu"), X) is None
    assert dense_step.predict(_model(activity_regularizer="l2"), X) is None
    assert dense_step.predict(_model(), X.astype(np.float64)) is None  # predict casts first
    assert dense_step.predict(_model(), X[:, :4]) is None
    with pytest.warns(UserWarning, match="softmax"):  # one unit: the layers' warning
        _model(last="softmax", units=1).predict(X[:3], verbose=0)


@pytest.mark.parametrize("width", [3, 90])  # a transposed copy, and `max(axis=-1)`
def test_row_maximum_keeps_the_losses_and_softmax_bits(width):
    """Where a row's maximum is a zero, the maximum the step takes may have the other sign
    than ``max(axis=-1)``'s: the shifted logits' ``exp``, the softmax and the loss that
    subtracts them must be the same bit for bit with either sign."""
    zeros = np.array([[-0.0, 0.0, -1.0], [0.0, -0.0, -2.0], [-0.0, -0.0, 0.5],
                      [0.0, 0.0, -0.0]], np.float32)
    logits = np.concatenate([zeros, np.full((4, width - 3), -3.0, np.float32)], axis=1)
    labels = np.array([0, 1, 2, 1])
    reference = logits.max(axis=-1, keepdims=True)
    np.testing.assert_array_equal(dense_step._row_max(logits), reference)

    def bits(a):
        return np.asarray(a, np.float32).view(np.uint32)

    results = []
    for zero in (0.0, -0.0):
        shifted = logits - np.where(reference == 0, np.float32(zero), reference)
        exp = np.exp(shifted)
        total = exp.sum(axis=1)
        loss = np.log(total) - shifted[np.arange(4), labels]
        results.append((bits(exp), bits(loss), bits(exp / total[:, None])))
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(bits(dense_step._softmax(logits)), results[0][2])
