"""GroupNormalization, UnitNormalization, RMSNormalization and LayerNormalization's
rms_scaling: float64 finite differences, PyTorch on identical weights where it has the
same thing (F.group_norm, F.rms_norm, F.normalize), formulas, errors. Keras's own numbers:
tests/layers/test_keras_layer_parity.py."""

import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from deepgrad.tensor import Tensor
from deepgrad.utils import gradient_check

import torch_reference as tr

rng = np.random.default_rng(0)
L = dg.layers


def test_rms_ops_finite_differences():
    x, gamma = rng.normal(size=(2, 3, 4)), rng.normal(size=(3, 4))
    assert gradient_check(lambda x, s: ops.rms_normalization(x, s, axis=(1, 2)), [x, gamma],
                          atol=1e-7, rtol=1e-6)
    assert gradient_check(
        lambda x, g: ops.layer_norm(x, g, axis=(1, 2), epsilon=1e-3, rms_scaling=True),
        [x, gamma], atol=1e-7, rtol=1e-6)
    assert gradient_check(lambda x: ops.rms_normalization(x, axis=0), [x], atol=1e-7, rtol=1e-6)


def test_rms_scaling_formula_is_keras_deprecated_one():
    x, gamma = rng.normal(size=(3, 5)), rng.normal(size=5)
    got = ops.layer_norm(Tensor(x), Tensor(gamma), epsilon=0.01, rms_scaling=True).data
    np.testing.assert_allclose(got, gamma * x / np.sqrt(x.var(-1, keepdims=True) + 0.01))
    with pytest.raises(ValueError, match="rms_scaling=True takes no `beta`"):
        ops.layer_norm(Tensor(x), Tensor(gamma), Tensor(gamma), rms_scaling=True)


def test_rms_normalization_matches_torch():
    F = tr.import_torch().nn.functional
    layer = L.RMSNormalization(axis=[1, 2], epsilon=1e-3, dtype="float64")
    x = rng.normal(size=(4, 3, 5))
    layer(x)
    layer.set_weights([rng.normal(size=(3, 5))])
    tr.compare(layer, lambda t, s: F.rms_norm(t, (3, 5), s, eps=1e-3), [x],
               params=layer.weights, atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("groups", [1, 2, 6])
def test_group_normalization_matches_torch(groups):
    F = tr.import_torch().nn.functional
    layer = L.GroupNormalization(groups=groups, epsilon=1e-3, dtype="float64")
    x = rng.normal(size=(2, 4, 5, 6))
    layer(x)
    layer.set_weights([rng.normal(size=6), rng.normal(size=6)])
    tr.compare(layer, lambda t, g, b: tr.channels_last(F.group_norm(tr.channels_first(t), groups,
                                                                    g, b, eps=1e-3)),
               [x], params=layer.weights, atol=1e-10, rtol=1e-10)


def test_group_normalization_float64_finite_differences_on_axis_1():
    layer = L.GroupNormalization(groups=2, axis=1, dtype="float64")
    x = rng.normal(size=(2, 4, 3))
    layer(x)
    layer.set_weights([rng.normal(size=4), rng.normal(size=4)])
    assert gradient_check(layer, [x], atol=1e-7, rtol=1e-6)


def test_unit_normalization_matches_torch_and_keeps_zero_vectors_finite():
    F = tr.import_torch().nn.functional
    x = rng.normal(size=(3, 4, 2))
    tr.compare(L.UnitNormalization(axis=1, dtype="float64"),
               lambda t: F.normalize(t, dim=1, eps=1e-12), [x], atol=1e-12, rtol=1e-10)
    zero = Tensor(np.zeros((1, 3)), requires_grad=True)
    out = L.UnitNormalization()(zero)
    out.sum().backward()
    assert np.all(out.data == 0) and np.all(np.isfinite(zero.grad))


def test_layer_normalization_rms_scaling_warns_and_has_only_gamma():
    with pytest.warns(UserWarning, match="`rms_scaling=True`, which is deprecated"):
        layer = L.LayerNormalization(rms_scaling=True, scale=False)
    layer(np.ones((2, 3), np.float32))
    assert [w.name for w in layer.weights] == ["gamma"]
    assert layer.get_config()["rms_scaling"] is True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert L.LayerNormalization().get_config()["rms_scaling"] is False


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"`groups` must be a positive int .*groups=0"):
        L.GroupNormalization(groups=0)
    with pytest.raises(ValueError, match=r"GroupNormalization 'g': the 6 channels must split "
                                         r"into `groups` equal groups. Received: groups=4"):
        L.GroupNormalization(groups=4, name="g")(np.ones((1, 6)))
    with pytest.raises(ValueError, match=r"axis` 3 is out of bounds for an input of shape"):
        L.UnitNormalization(axis=3)(np.ones((1, 6)))
    with pytest.raises(TypeError, match=r"RMSNormalization: `axis` must be an int or a list"):
        L.RMSNormalization(axis="last")


def test_rms_norm_over_the_last_axis_takes_any_rank_as_keras():
    """Keras's docstring example: built for 4-D, called on 2-D with the same last size."""
    layer = dg.layers.RMSNormalization()
    layer.build((1, 2, 3, 4))
    x = np.arange(1.0, 9.0, dtype="float32").reshape(2, 4)
    expected = x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="last dimension 4"):
        layer(np.ones((2, 5), "float32"))
    fixed = dg.layers.RMSNormalization(axis=1)  # a positive axis keeps the built rank
    fixed.build((None, 3, 4))
    with pytest.raises(ValueError, match="exactly 3 dimensions"):
        fixed(np.ones((2, 3), "float32"))
