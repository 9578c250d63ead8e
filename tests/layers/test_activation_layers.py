"""ReLU, LeakyReLU, ELU, Softmax, PReLU layers: values, gradients, torch, config, errors."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils import gradient_check

import torch_reference as tr

L = dg.layers
rng = np.random.default_rng(0)
X = np.array([-10.0, -5.0, -0.5, 0.5, 5.0, 10.0], dtype="float32")


def _keras_relu(x, max_value=None, negative_slope=0.0, threshold=0.0):
    """Keras 3's ReLU.static_call step by step (it clips to [0, max_value] after the
    threshold, so a negative threshold with a ceiling gives 0 between threshold and 0)."""
    negative_part = np.maximum(threshold - x, 0)
    out = x * (x > threshold)
    if max_value is not None:
        out = np.clip(out, 0.0, max_value)
    return out - negative_slope * negative_part


@pytest.mark.parametrize("kwargs", [{}, {"max_value": 6.0}, {"negative_slope": 0.1},
                                    {"threshold": 1.0}, {"max_value": 4.0, "threshold": -1.0,
                                                         "negative_slope": 0.2}])
def test_relu_variants(kwargs):
    out = L.ReLU(**kwargs)(X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, _keras_relu(X, **kwargs), rtol=1e-6)
    layer = L.ReLU(dtype="float64", **kwargs)
    gradient_check(lambda t: layer(t), [np.array([-3.0, -1.7, -0.3, 0.4, 2.2, 7.1])])


def test_leaky_relu_default_and_alpha_alias():
    np.testing.assert_allclose(L.LeakyReLU()(X).data, np.where(X > 0, X, 0.3 * X), rtol=1e-6)
    assert L.LeakyReLU(alpha=0.1).negative_slope == pytest.approx(0.1)
    layer = L.LeakyReLU(0.2, dtype="float64")
    gradient_check(lambda t: layer(t), [np.array([-2.0, -0.5, 0.3, 1.5])])


def test_elu_and_softmax():
    np.testing.assert_allclose(L.ELU(0.5)(X).data, np.where(X > 0, X, 0.5 * np.expm1(X)),
                               rtol=1e-6)
    x = rng.normal(size=(2, 3, 4))
    out = L.Softmax(axis=1)(x.astype("float32")).data
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(out, e / e.sum(axis=1, keepdims=True), rtol=1e-5)
    masked = L.Softmax()(np.zeros((1, 4), "float32"), mask=np.array([[1, 1, 0, 0]], bool))
    np.testing.assert_allclose(masked.data, [[0.5, 0.5, 0, 0]], atol=1e-7)
    gradient_check(lambda t: L.Softmax(axis=1, dtype="float64")(t), [x])
    gradient_check(lambda t: L.ELU(dtype="float64")(t), [np.array([-2.0, -0.5, 0.3, 1.5])])


def test_prelu_weights_and_gradients():
    layer = L.PReLU(shared_axes=[1, 2], dtype="float64")
    x = rng.normal(size=(2, 3, 3, 4))
    layer(x)
    assert layer.alpha.shape == (1, 1, 4)
    np.testing.assert_array_equal(layer(x).data, np.maximum(x, 0))  # alpha starts at zero
    variable = layer.alpha

    def fn(t, alpha):
        layer.alpha = alpha
        return layer(t)

    gradient_check(fn, [x, rng.normal(size=(1, 1, 4))])
    layer.alpha = variable
    assert L.PReLU()(np.zeros((2, 5), "float32")).shape == (2, 5)


def test_config_round_trips():
    for layer in (L.ReLU(6.0, 0.1, 0.5), L.LeakyReLU(0.2), L.ELU(0.7), L.Softmax(axis=1),
                  L.PReLU(alpha_initializer="ones", shared_axes=[1])):
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_errors():
    with pytest.raises(ValueError, match="ReLU: `max_value` must be a number >= 0.0 or None"):
        L.ReLU(max_value=-1)
    with pytest.raises(ValueError, match="negative_slope"):
        L.LeakyReLU(-0.5)
    with pytest.raises(TypeError, match="Softmax: `axis` must be an int"):
        L.Softmax(axis="last")
    with pytest.raises(ValueError, match="Softmax 'sm'.*out of range"):
        L.Softmax(axis=3, name="sm")(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="PReLU 'p'.*shared_axes"):
        L.PReLU(shared_axes=[3], name="p")(np.zeros((2, 3), "float32"))


@pytest.mark.parametrize("layer, reference", [
    (lambda: L.ReLU(6.0, dtype="float64"), lambda F, t: F.relu6(t)),
    (lambda: L.LeakyReLU(0.3, dtype="float64"), lambda F, t: F.leaky_relu(t, 0.3)),
    (lambda: L.ELU(0.8, dtype="float64"), lambda F, t: F.elu(t, 0.8)),
    (lambda: L.Softmax(axis=1, dtype="float64"), lambda F, t: F.softmax(t, dim=1)),
], ids=["ReLU", "LeakyReLU", "ELU", "Softmax"])
def test_against_torch(layer, reference):
    F = tr.import_torch().nn.functional
    tr.compare(layer(), lambda t: reference(F, t), [rng.normal(scale=4, size=(3, 5, 6))],
               atol=1e-14, rtol=1e-12)


def test_prelu_against_torch():
    F = tr.import_torch().nn.functional
    x = rng.normal(scale=4, size=(3, 5, 6))
    prelu = L.PReLU(alpha_initializer="constant", shared_axes=[1], dtype="float64")
    prelu(x)
    prelu.set_weights([rng.uniform(0, 0.5, 6).reshape(1, 6)])
    # torch's PReLU takes channels on dim 1 and one slope per channel.
    tr.compare(prelu, lambda t, alpha: F.prelu(t.transpose(1, 2), alpha.reshape(6))
               .transpose(1, 2), [x], params=[prelu.alpha], atol=1e-14, rtol=1e-12)
