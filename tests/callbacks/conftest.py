"""Shared pieces for the callback tests: a tiny regression model and its data."""

import numpy as np
import pytest

import deepgrad as dg


def _data(n: int = 32, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    return x, y


@pytest.fixture
def data():
    """``(x, y, x_val, y_val)`` of a linear regression problem."""
    x, y = _data(32, 0)
    xv, yv = _data(16, 1)
    return x, y, xv, yv


@pytest.fixture
def make_model():
    """Build and compile a one-layer Dense model: ``make_model(optimizer=..., metrics=...)``."""

    def build(optimizer=None, metrics=None, loss="mse"):
        model = dg.Sequential([dg.layers.Dense(1, input_shape=(3,))])
        model.compile(optimizer or dg.optimizers.SGD(0.05), loss, metrics=metrics)
        return model

    return build


@pytest.fixture
def scripted():
    """A callback that writes ``values[epoch]`` into the epoch logs under ``key``.

    Listed before the callback under test, it makes the monitored quantity exact.
    """

    def build(key, values):
        def inject(epoch, logs):
            logs[key] = values[epoch]

        return dg.callbacks.LambdaCallback(on_epoch_end=inject)

    return build


@pytest.fixture
def weight_log():
    """A callback that keeps a copy of the weights at each epoch end (``.weights``)."""

    def build():
        cb = dg.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: cb.weights.append(cb.model.get_weights())
        )
        cb.weights = []
        return cb

    return build
