"""Regularizers: Keras formulas, gradients, dtypes, get/config round trips, bad input."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import regularizers as R
from deepgrad.tensor import Tensor, Variable
from deepgrad.utils.gradcheck import gradient_check

SHAPES = [(5,), (3, 4), (2, 3, 2, 4)]


def _weights(shape, seed=0):
    rng = np.random.default_rng(seed)
    # Away from 0, where |x| has a kink.
    return rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


CASES = [
    (R.L1(0.3), lambda w: 0.3 * np.abs(w).sum()),
    (R.L2(0.3), lambda w: 0.3 * np.square(w).sum()),  # no factor of 0.5, as in Keras
    (R.L1L2(l1=0.1, l2=0.2), lambda w: 0.1 * np.abs(w).sum() + 0.2 * np.square(w).sum()),
    (R.L1L2(l1=0.1), lambda w: 0.1 * np.abs(w).sum()),
    (R.L1L2(l2=0.2), lambda w: 0.2 * np.square(w).sum()),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reg, reference", CASES, ids=repr)
def test_value_and_gradient(reg, reference, shape):
    w = _weights(shape)
    out = reg(Tensor(w))
    assert out.shape == () and out.dtype == np.float64
    assert float(out.data) == pytest.approx(reference(w), rel=1e-12)
    assert gradient_check(lambda t: reg(t), [w])


def test_float32_variable_gets_float32_gradient():
    v = Variable(np.array([[1.0, -2.0]], dtype=np.float32))
    penalty = R.L1L2(l1=0.5, l2=0.25)(v)
    assert penalty.dtype == np.float32
    penalty.backward()
    np.testing.assert_allclose(v.grad, 0.5 * np.sign(v.data) + 0.5 * v.data)
    assert v.grad.dtype == np.float32


def test_zero_l1l2_is_a_zero_scalar():
    out = R.L1L2()(Tensor(np.ones((2, 2))))
    assert out.shape == () and float(out.data) == 0.0
    assert float(R.Regularizer()(Tensor([1.0])).data) == 0.0


def _orthogonal_reference(w, factor, mode):
    v = w if mode == "rows" else w.T
    unit = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-7)
    product = unit @ unit.T
    n = v.shape[0]
    return factor * 0.5 * np.abs(product * (1 - np.eye(n))).sum() / (n * (n - 1) / 2)


@pytest.mark.parametrize("mode", ["rows", "columns"])
@pytest.mark.parametrize("shape", [(3, 5), (6, 2)])
def test_orthogonal_regularizer(mode, shape):
    reg = R.OrthogonalRegularizer(factor=0.7, mode=mode)
    w = _weights(shape, seed=1)
    assert float(reg(Tensor(w)).data) == pytest.approx(_orthogonal_reference(w, 0.7, mode))
    assert gradient_check(lambda t: reg(t), [w])


def test_orthogonal_regularizer_errors():
    with pytest.raises(ValueError, match=r"can only regularize 2-D.*\(2, 2, 2\)"):
        R.OrthogonalRegularizer()(Tensor(np.ones((2, 2, 2))))
    with pytest.raises(ValueError, match=r"`mode` must be 'rows' or 'columns'.*'diag'"):
        R.OrthogonalRegularizer(mode="diag")
    assert float(R.OrthogonalRegularizer()(Tensor(np.ones((1, 3)))).data) == 0.0


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "0.1", True])
def test_bad_factors(bad):
    with pytest.raises(ValueError, match=r"L2: `l2` must be a non-negative float"):
        R.L2(bad)
    with pytest.raises(ValueError, match=r"L1L2: `l1` must be a non-negative float"):
        R.L1L2(l1=bad)


def test_keras_defaults_and_lowercase_aliases():
    assert R.L1().l1 == 0.01 and R.L2().l2 == 0.01
    assert R.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}  # Keras 3's defaults
    assert R.L2(None).l2 == 0.01
    assert isinstance(R.l2(0.001), R.L2) and R.l2(0.001).l2 == 0.001
    assert isinstance(R.l1_l2(l1=0.1, l2=0.2), R.L1L2)


@pytest.mark.parametrize(
    "name, cls",
    [("l1", R.L1), ("l2", R.L2), ("l1_l2", R.L1L2), ("L1", R.L1), ("L2", R.L2),
     ("L1L2", R.L1L2), ("orthogonal_regularizer", R.OrthogonalRegularizer)],
)
def test_get_by_name(name, cls):
    assert type(R.get(name)) is cls


def test_get_other_identifiers_and_errors():
    reg = R.L1(0.5)
    assert R.get(reg) is reg
    assert R.get(None) is None
    assert type(R.get(R.L2)) is R.L2
    assert R.get({"class_name": "L2", "config": {"l2": 0.5}}).l2 == 0.5

    def custom(x):
        return x.sum()

    assert R.get(custom) is custom
    with pytest.raises(ValueError, match=r"Unknown regularizer: 'l3'\. Valid names: l1, l1_l2, l2"):
        R.get("l3")
    with pytest.raises(TypeError, match="regularizers.get: `identifier` must be"):
        R.get(0.01)
    with pytest.raises(ValueError, match="expected a dict with 'class_name'"):
        R.deserialize(["L2"])
    with pytest.raises(ValueError, match="Unknown regularizer: 'L3'"):
        R.deserialize({"class_name": "L3"})
    with pytest.raises(TypeError, match="expected a Regularizer"):
        R.serialize("l2")


@pytest.mark.parametrize(
    "reg", [R.L1(0.2), R.L2(0.3), R.L1L2(0.1, 0.2), R.OrthogonalRegularizer(0.5, "columns")],
    ids=repr,
)
def test_config_round_trip(reg):
    rebuilt = R.deserialize(R.serialize(reg))
    assert type(rebuilt) is type(reg) and rebuilt.get_config() == reg.get_config()
    w = _weights((3, 4))
    assert float(rebuilt(Tensor(w)).data) == float(reg(Tensor(w)).data)


def test_activity_regularizer_is_divided_by_the_batch_size_as_keras():
    # Keras 3.15 on the same layer: losses [1.25 (activity), 0.25 (kernel)]; deepgrad
    # summed the activity penalty over the batch (6.25) before.
    layer = dg.layers.Dense(5, kernel_regularizer=dg.regularizers.L1(0.01),
                            activity_regularizer=dg.regularizers.L2(0.01),
                            kernel_initializer="ones")
    layer(np.ones((5, 5), "float32"))
    assert sorted(float(loss.data) for loss in layer.losses) == pytest.approx([0.25, 1.25])
    layer(np.ones((10, 5), "float32"))  # twice the batch, the same penalty
    assert sum(float(loss.data) for loss in layer.losses) == pytest.approx(1.5)


def test_activity_penalty_in_fit_is_per_sample():
    model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,), kernel_initializer="ones",
                                           use_bias=False,
                                           activity_regularizer=dg.regularizers.L1(1.0))])
    model.compile("sgd", "mse")
    x, y = np.ones((4, 2), "float32"), np.full((4, 1), 2.0, "float32")
    # mse is 0 (outputs are 2); the penalty is sum(|2|) over 4 samples / 4 = 2 (Keras 3.15's
    # evaluate gives 2.0 too: it counts the penalties).
    assert model.evaluate(x, y, verbose=0) == pytest.approx(2.0)
    assert float(model.compute_loss(x, y, model(x), training=True).data) == pytest.approx(2.0)
