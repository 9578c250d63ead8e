"""An overriding ``train_step`` / ``test_step`` / ``predict_step`` gets each batch as Keras
gives it (``(x, y)``, ``(x, y, sample_weight)``, ``x``), and the code of Keras's guide to
customizing ``fit`` runs unchanged but for its imports, compiled metrics included."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg

rng = np.random.default_rng(0)
X = rng.random((64, 5)).astype("float32")
Y = rng.random((64, 1)).astype("float32")


class GuideModel(dg.Model):
    """The first example of Keras's "Customizing what happens in fit()" guide (its loop over
    ``self.metrics`` in one method for both steps)."""

    def train_step(self, data):
        x, y = data
        with dg.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        return self._update_metrics(loss, y, y_pred)

    def test_step(self, data):  # the guide's, with its metric loop shared with train_step's
        x, y = data
        y_pred = self(x, training=False)
        return self._update_metrics(self.compute_loss(y=y, y_pred=y_pred), y, y_pred)

    def _update_metrics(self, loss, y, y_pred):
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def _model(cls, seed=1):
    dg.utils.set_random_seed(seed)
    inputs = dg.Input((5,))
    model = cls(inputs, dg.layers.Dense(1)(dg.layers.Dense(4, activation="tanh")(inputs)))
    model.compile(optimizer=dg.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


def test_the_guide_train_step_trains_and_reports_the_compiled_metrics_as_fit_does():
    guide, plain = _model(GuideModel), _model(dg.Model)
    assert guide.metrics_names == ["loss", "compile_metrics"]  # as Keras before a batch
    ours = guide.fit(X, Y, batch_size=16, epochs=2, verbose=0, shuffle=False).history
    theirs = plain.fit(X, Y, batch_size=16, epochs=2, verbose=0, shuffle=False).history
    assert sorted(ours) == sorted(theirs) == ["loss", "mae"]
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5)
    for a, b in zip(guide.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert guide.metrics_names == ["loss", "mae"]
    assert guide.evaluate(X, Y, verbose=0, return_dict=True) == pytest.approx(
        plain.evaluate(X, Y, verbose=0, return_dict=True), rel=1e-5)


def test_each_step_gets_the_batch_in_keras_form():
    seen = {}

    class Recording(dg.Model):
        def train_step(self, data):
            seen.setdefault("train", []).append(type(data).__name__ + str(len(data)))
            return super().train_step(data)

        def test_step(self, data):
            seen.setdefault("test", []).append(len(data))
            return super().test_step(data)

        def predict_step(self, data):
            seen.setdefault("predict", []).append(type(data).__name__)
            return super().predict_step(data)

    model = _model(Recording)
    model.fit(X, Y, batch_size=32, epochs=1, verbose=0)
    model.fit(X, Y, sample_weight=np.ones(64), batch_size=32, epochs=1, verbose=0)
    model.evaluate(X, Y, batch_size=32, verbose=0)
    model.predict(X, batch_size=16, verbose=0)
    model.train_on_batch(X[:8], Y[:8])
    assert seen["train"] == ["tuple2"] * 2 + ["tuple3"] * 2 + ["tuple2"]
    assert seen["test"] == [2, 2]
    assert seen["predict"] == ["ndarray"] * 4  # x alone, as Keras's arrays give it


def test_an_overriding_compute_loss_without_training():
    # keras.io "Knowledge distillation": compute_loss(self, x, y, y_pred, sample_weight,
    # allow_empty=False) has no `training`; Keras's steps then call it without one.
    seen = []

    class Distilled(dg.Model):
        def __init__(self):
            super().__init__()
            self.dense = dg.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         allow_empty=False):
            seen.append(x.shape[0])
            return dg.ops.mean(dg.ops.square(y - y_pred))

    model = Distilled()
    model.compile("sgd")
    history = model.fit(X, Y, batch_size=32, epochs=1, verbose=0)  # was: TypeError
    loss = model.evaluate(X, Y, batch_size=64, verbose=0)
    assert seen == [32, 32, 64]
    assert loss == pytest.approx(float(np.mean((model.predict(X, verbose=0) - Y) ** 2)), rel=1e-5)
    assert history.history["loss"][0] > 0
