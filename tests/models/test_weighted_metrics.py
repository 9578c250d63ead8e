"""``compile(metrics=..., weighted_metrics=...)`` as Keras 3.15: ``metrics`` ignore
``sample_weight`` and ``class_weight``, ``weighted_metrics`` use them (keras.io's
imbalanced-classification example counts false negatives with ``class_weight`` on).

The expected values were printed by the same code on Keras 3.15 (TF 2.21, CPU) with
``import keras`` in place of ``import deepgrad as dg``.
"""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg

X = np.linspace(-1, 1, 12, dtype="float32").reshape(6, 2)
Y = np.array([[0], [1], [1], [0], [1], [0]], dtype="float32")
SW = np.array([1, 2, 3, 4, 5, 6], dtype="float32")


def _model(**compile_args):
    model = dg.Sequential([dg.Input((2,)), dg.layers.Dense(1, activation="sigmoid")])
    model.set_weights([np.array([[0.5], [-0.25]], "float32"), np.array([0.1], "float32")])
    model.compile(optimizer=dg.optimizers.SGD(0.1), loss="binary_crossentropy", **compile_args)
    return model


def _both():
    return dict(metrics=["mae", dg.metrics.TruePositives(name="tp")],
                weighted_metrics=["mae", dg.metrics.TruePositives(name="tp")])


def test_evaluate_weights_only_the_weighted_metrics():
    logs = _model(**_both()).evaluate(X, Y, sample_weight=SW, verbose=0, return_dict=True)
    expected = {"loss": 2.5288572311401367, "mae": 0.5037646293640137, "tp": 1.0,
                "weighted_mae": 0.5127485990524292, "weighted_tp": 5.0}
    assert sorted(logs) == sorted(expected)
    for name, value in expected.items():
        assert logs[name] == pytest.approx(value, rel=1e-6), name


def test_class_weight_weights_only_the_weighted_metrics():
    history = _model(**_both()).fit(X, Y, class_weight={0: 1.0, 1: 3.0}, batch_size=6,
                                    epochs=1, verbose=0, shuffle=False).history
    expected = {"loss": 1.3903104066848755, "mae": 0.5037646293640137, "tp": 1.0,
                "weighted_mae": 0.49981144070625305, "weighted_tp": 3.0}
    assert sorted(history) == sorted(expected)
    for name, value in expected.items():
        assert history[name][0] == pytest.approx(value, rel=1e-6), name


def test_weighted_accuracy_alone_keeps_its_name():
    logs = _model(weighted_metrics=["accuracy"]).evaluate(
        X, Y, sample_weight=SW, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(0.2857142984867096, rel=1e-6)  # Keras 3.15


def test_weighted_metrics_are_saved_with_the_compile_settings(tmp_path):
    model = _model(weighted_metrics=["mae"])
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = dg.saving.load_model(path)
    logs = loaded.evaluate(X, Y, sample_weight=SW, verbose=0, return_dict=True)
    assert logs["mae"] == pytest.approx(0.5127485990524292, rel=1e-6)


def test_evaluate_lists_each_logged_value_once():
    model = _model(metrics=["accuracy"], weighted_metrics=["accuracy"])
    values = model.evaluate(X, Y, sample_weight=SW, verbose=0)
    assert model.metrics_names == ["loss", "accuracy", "weighted_accuracy"]
    np.testing.assert_allclose(values, [2.5288572311401367, 0.3333333432674408,
                                        0.2857142984867096], rtol=1e-6)  # Keras 3.15
