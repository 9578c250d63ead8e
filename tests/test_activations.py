"""Activations: forward vs NumPy, backward vs finite differences, PyTorch parity, get/serialize."""

from __future__ import annotations

import math

import numpy as np
import pytest

from deepgrad import activations
from deepgrad.tensor import Tensor
from deepgrad.utils.gradcheck import gradient_check

import torch_reference as tr

SHAPES = [(7,), (3, 4), (2, 3, 4)]

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805

# name -> NumPy reference
REFERENCES = {
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "relu6": lambda x: np.clip(x, 0, 6),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x)),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))),
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "linear": lambda x: x,
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "softmax": _softmax,
    "log_softmax": lambda x: np.log(_softmax(x)),
    "celu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "glu": lambda x: np.split(x, 2, -1)[0] * _sigmoid(np.split(x, 2, -1)[1]),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "log_sigmoid": lambda x: np.log(_sigmoid(x)),
    "soft_shrink": lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "sparse_sigmoid": lambda x: np.clip((x + 1) / 2, 0, 1),
    "sparsemax": lambda x: np.apply_along_axis(_sparsemax, -1, x),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "tanh_shrink": lambda x: x - np.tanh(x),
    "threshold": lambda x: np.where(x > 0.3, x, -1.0),
}
# Arguments Keras's activation requires (it has no defaults for them).
ARGUMENTS = {"threshold": (0.3, -1.0)}


def _sparsemax(z):
    s = np.sort(z)[::-1]
    k = np.arange(1, z.size + 1)
    support = 1 + k * s > np.cumsum(s)
    return np.maximum(z - (np.cumsum(s)[support][-1] - 1) / k[support][-1], 0)


def _shape(name, shape):
    """The test shape for ``name``: glu halves the last axis, so it gets an even length."""
    if name == "glu" and shape[-1] % 2:
        return (*shape[:-1], shape[-1] + 1)
    return shape


def _activation(name):
    """The activation by name, with its required arguments."""
    fn = activations.get(name)
    return lambda t: fn(t, *ARGUMENTS.get(name, ()))


def _inputs(shape, seed=0):
    """float64 values away from the kinks at 0, +-3 and 6."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.1, 2.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    x.flat[0] = 4.0 if x.size > 1 else x.flat[0]
    return x


def test_every_registered_name_has_a_reference():
    assert set(REFERENCES) == set(activations._ACTIVATIONS)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_forward_matches_numpy(name, shape):
    x = _inputs(_shape(name, shape))
    out = _activation(name)(Tensor(x))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, REFERENCES[name](x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_backward_matches_finite_differences(name, shape):
    assert gradient_check(_activation(name), [_inputs(_shape(name, shape), seed=1)])


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_float32_in_float32_out(name):
    x = Tensor(_inputs((4, 2)).astype(np.float32))
    assert _activation(name)(x).dtype == np.float32


def test_relu_keras_options():
    x = np.array([-10.0, -5.0, -0.5, 0.0, 0.5, 2.0, 5.0, 10.0])

    def reference(x, negative_slope=0.0, max_value=None, threshold=0.0):
        out = np.where(x > threshold, x, 0.0)
        if max_value is not None:
            out = np.clip(out, 0, max_value)
        return out - negative_slope * np.maximum(threshold - x, 0)

    for kwargs in [
        {"negative_slope": 0.5},
        {"max_value": 5.0},
        {"threshold": 1.0},
        {"negative_slope": 0.1, "max_value": 6.0, "threshold": 0.3},
        {"max_value": 6.0},
    ]:
        out = activations.relu(Tensor(x), **kwargs)
        np.testing.assert_allclose(out.data, reference(x, **kwargs), err_msg=str(kwargs))
        gradient_check(lambda t, kw=kwargs: activations.relu(t, **kw),
                       [np.array([-3.0, -1.2, 0.7, 2.5, 4.1, 7.5])])
    # Keras's documented example
    np.testing.assert_allclose(
        activations.relu(Tensor([-10.0, -5.0, 0.0, 5.0, 10.0]), negative_slope=0.5,
                         max_value=5.0).data,
        [-5.0, -2.5, 0.0, 5.0, 5.0],
    )


def test_parametrised_activations():
    x = _inputs((3, 5))
    np.testing.assert_allclose(activations.leaky_relu(Tensor(x), 0.3).data,
                               np.where(x > 0, x, 0.3 * x))
    np.testing.assert_allclose(activations.elu(Tensor(x), alpha=2.0).data,
                               np.where(x > 0, x, 2.0 * np.expm1(x)))
    c = math.sqrt(2 / math.pi)
    np.testing.assert_allclose(activations.gelu(Tensor(x), approximate=True).data,
                               0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x**3))), rtol=1e-12)
    assert gradient_check(lambda t: activations.gelu(t, approximate=True), [x])
    assert gradient_check(lambda t: activations.elu(t, alpha=2.0), [x])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_axes(axis):
    x = _inputs((3, 4, 5))
    np.testing.assert_allclose(activations.softmax(Tensor(x), axis=axis).data,
                               _softmax(x, axis), rtol=1e-12)
    np.testing.assert_allclose(activations.log_softmax(Tensor(x), axis=axis).data,
                               np.log(_softmax(x, axis)), rtol=1e-12)
    assert gradient_check(lambda t: activations.softmax(t, axis=axis), [x])
    assert gradient_check(lambda t: activations.log_softmax(t, axis=axis), [x])


def test_softmax_is_stable_for_large_logits():
    out = activations.softmax(Tensor([[1000.0, 1000.0, -1000.0]])).data
    np.testing.assert_allclose(out, [[0.5, 0.5, 0.0]])


def test_softmax_over_a_single_unit_warns():
    with pytest.warns(UserWarning, match="size 1.*sigmoid"):
        out = activations.softmax(Tensor(np.zeros((4, 1))))
    np.testing.assert_array_equal(out.data, np.ones((4, 1)))


def test_get_none_linear_and_callables():
    assert activations.get(None) is activations.linear
    assert activations.get("linear") is activations.linear
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu

    def custom(x):
        return x

    assert activations.get(custom) is custom


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown activation: 'rleu'\. Valid names: .*relu.*"):
        activations.get("rleu")


def test_get_rejects_other_types():
    with pytest.raises(TypeError, match="activations.get.*Received: 3"):
        activations.get(3)


@pytest.mark.parametrize("name", sorted(activations._ACTIVATIONS))
def test_serialize_round_trip(name):
    fn = activations.get(name)
    assert activations.get(activations.serialize(fn)) is fn
    assert activations.deserialize(activations.serialize(fn)) is fn


def test_serialize_canonical_names_and_errors():
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(None) == "linear"

    def my_activation(x):
        return x

    assert activations.serialize(my_activation) == "my_activation"
    with pytest.raises(TypeError, match="cannot name this activation"):
        activations.serialize(lambda x: x)
    assert activations.deserialize({"class_name": "function", "config": "relu"}) is activations.relu


# -- PyTorch parity ------------------------------------------------------------------------

TORCH = {
    "relu": lambda F, x: F.relu(x),
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.2),
    "relu6": lambda F, x: F.relu6(x),
    "elu": lambda F, x: F.elu(x),
    "selu": lambda F, x: F.selu(x),
    "softplus": lambda F, x: F.softplus(x),
    "softsign": lambda F, x: F.softsign(x),
    "silu": lambda F, x: F.silu(x),
    "gelu": lambda F, x: F.gelu(x),
    "tanh": lambda F, x: F.tanh(x),
    "sigmoid": lambda F, x: F.sigmoid(x),
    "hard_sigmoid": lambda F, x: F.hardsigmoid(x),
    "hard_silu": lambda F, x: F.hardswish(x),
    "mish": lambda F, x: F.mish(x),
    "softmax": lambda F, x: F.softmax(x, dim=-1),
    "log_softmax": lambda F, x: F.log_softmax(x, dim=-1),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(TORCH))
def test_matches_pytorch(name, dtype):
    F = tr.import_torch().nn.functional
    tol = {"atol": 1e-6, "rtol": 1e-5} if dtype == "float32" else {"atol": 1e-12, "rtol": 1e-10}
    grad_tol = {"grad_atol": tol["atol"], "grad_rtol": tol["rtol"]}
    if name.startswith("hard_") and dtype == "float64":
        # PyTorch's hardsigmoid/hardswish backward uses a float32 constant 1/6 even in
        # float64; ours is exact (checked against finite differences above).
        grad_tol = {"grad_atol": 1e-9, "grad_rtol": 1e-7}
    tr.compare(activations.get(name), lambda t: TORCH[name](F, t),
               [_inputs((6, 5), seed=2).astype(dtype)], **tol, **grad_tol, seed=3)
