"""The shared test helpers catch what they are for: a helper that cannot fail would make
every test built on it unable to fail."""

import numpy as np
import pytest

import deepgrad as dg

import torch_reference as tr
from layer_check import LayerCase, check_layer

DENSE = LayerCase(lambda: dg.layers.Dense(3, activation="tanh"), (5,), (3,), [(5, 3), (3,)])


def test_compare_catches_a_wrong_forward():
    with pytest.raises(AssertionError, match="forward"):
        tr.compare(lambda t: t * 2, lambda t: t * 2 + 1e-9, [np.arange(1.0, 4.0)])


def test_compare_catches_a_wrong_gradient():
    with pytest.raises(AssertionError, match="gradient of input 0"):
        tr.compare(lambda t: t * t, lambda t: t.detach() * t, [np.arange(1.0, 4.0)])


def test_compare_catches_a_missing_weight_gradient():
    layer = dg.layers.Dense(2, dtype="float64")
    layer(np.ones((1, 3)))
    with pytest.raises(AssertionError, match=r"param 1 \(bias\)"):
        tr.compare(lambda t: dg.ops.matmul(t, layer.kernel), lambda t, k, b: t @ k + 0 * b,
                   [np.ones((2, 3))], params=[layer.kernel, layer.bias])


def test_layer_check_passes_a_good_layer():
    check_layer(DENSE)


def test_layer_check_catches_a_wrong_output_shape():
    with pytest.raises(AssertionError, match="output"):
        check_layer(LayerCase(DENSE.make, (5,), (4,), DENSE.weight_shapes))


def test_layer_check_catches_a_config_that_drops_an_argument(monkeypatch):
    real = dg.layers.Dense.get_config
    monkeypatch.setattr(dg.layers.Dense, "get_config",
                        lambda self: {k: v for k, v in real(self).items() if k != "activation"})
    # Both configs lack the activation alike; the clone built from it computes otherwise.
    with pytest.raises(AssertionError, match="Arrays are not equal"):
        check_layer(DENSE)


def test_layer_check_catches_a_weight_the_output_ignores(monkeypatch):
    monkeypatch.setattr(dg.layers.Dense, "call", lambda self, x: dg.ops.matmul(x, self.kernel))
    with pytest.raises(AssertionError, match="did not move"):
        check_layer(DENSE)


def test_compare_checks_every_output_of_several():
    x = np.arange(1.0, 4.0)
    tr.compare(lambda t: [t * 2, t * t], lambda t: [t * 2, t * t], [x])
    with pytest.raises(AssertionError, match="output 1"):
        tr.compare(lambda t: [t * 2, t * t], lambda t: [t * 2, t * t + 1], [x])
    with pytest.raises(AssertionError, match="gradient of input 0"):
        tr.compare(lambda t: [t * 2, t * t], lambda t: [t * 2, t.detach() * t], [x])
