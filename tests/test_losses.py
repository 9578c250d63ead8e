"""Losses: forward vs NumPy, backward vs finite differences, PyTorch parity, Keras semantics
(clipping, reductions, sample weights, shape rules), the classic label mistakes, get()."""

from __future__ import annotations

import math

import numpy as np
import pytest

import deepgrad.losses as L
from deepgrad.tensor import Tensor
from deepgrad.utils.gradcheck import gradient_check

import torch_reference as tr

EPS = 1e-7
SHAPES = [(4, 3), (2, 3, 5), (6, 1)]


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _rng(seed):
    return np.random.default_rng(seed)


# -- generators: (y_true, y_pred) in float64 for a shape (..., classes) --------------------

def _real(shape, seed):
    r = _rng(seed)
    return r.normal(size=shape), r.normal(size=shape)


def _positive(shape, seed):
    r = _rng(seed)
    return r.uniform(0.2, 3.0, size=shape), r.uniform(0.2, 3.0, size=shape)


def _binary_probs(shape, seed):
    r = _rng(seed)
    return (r.random(shape) > 0.5).astype(float), r.uniform(0.05, 0.95, size=shape)


def _binary_logits(shape, seed):
    r = _rng(seed)
    return (r.random(shape) > 0.5).astype(float), r.normal(size=shape) * 2


def _one_hot_probs(shape, seed):
    r = _rng(seed)
    labels = r.integers(0, shape[-1], size=shape[:-1])
    return np.eye(shape[-1])[labels], _softmax(r.normal(size=shape))


def _one_hot_logits(shape, seed):
    r = _rng(seed)
    labels = r.integers(0, shape[-1], size=shape[:-1])
    return np.eye(shape[-1])[labels], r.normal(size=shape) * 2


def _soft_probs(shape, seed):
    r = _rng(seed)
    return _softmax(r.normal(size=shape)), _softmax(r.normal(size=shape))


def _hinge(shape, seed):
    r = _rng(seed)
    return r.choice([-1.0, 1.0], size=shape), r.normal(size=shape) * 2


# -- NumPy references, one value per sample ------------------------------------------------

def _bce_probs(t, p):
    q = np.clip(p, EPS, 1 - EPS)
    return -np.mean(t * np.log(q) + (1 - t) * np.log(1 - q), axis=-1)


def _bce_logits(t, x):
    return np.mean(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))), axis=-1)


def _cce_probs(t, p):
    q = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -np.sum(t * np.log(q), axis=-1)


def _cce_logits(t, x):
    return -np.sum(t * np.log(_softmax(x)), axis=-1)


def _huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.mean(np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2), axis=-1)


def _cosine(t, p):
    tn = t / np.maximum(np.linalg.norm(t, axis=-1, keepdims=True), EPS)
    pn = p / np.maximum(np.linalg.norm(p, axis=-1, keepdims=True), EPS)
    return -np.sum(tn * pn, axis=-1)


TABLE = {
    "mean_squared_error": (L.mean_squared_error, _real,
                           lambda t, p: np.mean((t - p) ** 2, -1)),
    "mean_absolute_error": (L.mean_absolute_error, _real, lambda t, p: np.mean(np.abs(t - p), -1)),
    "mean_absolute_percentage_error": (
        L.mean_absolute_percentage_error, _positive,
        lambda t, p: 100 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), -1)),
    "mean_squared_logarithmic_error": (
        L.mean_squared_logarithmic_error, _positive,
        lambda t, p: np.mean((np.log1p(p) - np.log1p(t)) ** 2, -1)),
    "binary_crossentropy": (L.binary_crossentropy, _binary_probs, _bce_probs),
    "binary_crossentropy_logits": (
        lambda t, p: L.binary_crossentropy(t, p, from_logits=True), _binary_logits, _bce_logits),
    "categorical_crossentropy": (L.categorical_crossentropy, _one_hot_probs, _cce_probs),
    "categorical_crossentropy_soft": (L.categorical_crossentropy, _soft_probs, _cce_probs),
    "categorical_crossentropy_logits": (
        lambda t, p: L.categorical_crossentropy(t, p, from_logits=True), _one_hot_logits,
        _cce_logits),
    "huber": (L.huber, _real, _huber),
    "huber_delta": (lambda t, p: L.huber(t, p, delta=0.5), _real,
                    lambda t, p: _huber(t, p, 0.5)),
    "hinge": (L.hinge, _hinge, lambda t, p: np.mean(np.maximum(1 - t * p, 0), -1)),
    "squared_hinge": (L.squared_hinge, _hinge,
                      lambda t, p: np.mean(np.maximum(1 - t * p, 0) ** 2, -1)),
    "categorical_hinge": (
        L.categorical_hinge, _one_hot_logits,
        lambda t, p: np.maximum(np.max((1 - t) * p, -1) - np.sum(t * p, -1) + 1, 0)),
    "kl_divergence": (L.kl_divergence, _soft_probs, lambda t, p: np.sum(t * np.log(t / p), -1)),
    "poisson": (L.poisson, _positive, lambda t, p: np.mean(p - t * np.log(p + EPS), -1)),
    "cosine_similarity": (L.cosine_similarity, _real, _cosine),
    "log_cosh": (L.log_cosh, _real, lambda t, p: np.mean(np.log(np.cosh(p - t)), -1)),
}
SINGLE_CLASS_INVALID = {"categorical_crossentropy", "categorical_crossentropy_soft",
                        "categorical_crossentropy_logits", "categorical_hinge", "kl_divergence"}


def _cases():
    for name in sorted(TABLE):
        for shape in SHAPES:
            if shape[-1] == 1 and name in SINGLE_CLASS_INVALID:
                continue
            yield name, shape


@pytest.mark.parametrize("name, shape", list(_cases()))
def test_forward_matches_numpy(name, shape):
    fn, make, reference = TABLE[name]
    y_true, y_pred = make(shape, 0)
    out = fn(y_true, Tensor(y_pred))
    assert out.shape == shape[:-1] and out.dtype == np.float64
    np.testing.assert_allclose(out.data, reference(y_true, y_pred), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name, shape", list(_cases()))
def test_backward_matches_finite_differences(name, shape):
    fn, make, _ = TABLE[name]
    y_true, y_pred = make(shape, 1)
    assert gradient_check(fn, [y_true, y_pred], check=[1])


@pytest.mark.parametrize("name", ["mean_squared_error", "mean_absolute_error", "huber",
                                  "categorical_crossentropy_soft", "kl_divergence",
                                  "binary_crossentropy", "cosine_similarity", "log_cosh"])
def test_gradient_flows_to_a_tensor_target(name):
    fn, make, _ = TABLE[name]
    y_true, y_pred = make((3, 4), 2)
    assert gradient_check(fn, [y_true, y_pred])


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 6)])
@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_categorical_crossentropy(shape, from_logits):
    r = _rng(3)
    labels = r.integers(0, shape[-1], size=shape[:-1])
    logits = r.normal(size=shape)
    y_pred = logits if from_logits else _softmax(logits)
    out = L.sparse_categorical_crossentropy(labels, Tensor(y_pred), from_logits=from_logits)
    expected = _cce_logits(np.eye(shape[-1])[labels], logits)
    np.testing.assert_allclose(out.data, expected, rtol=1e-9)
    assert gradient_check(
        lambda t, p: L.sparse_categorical_crossentropy(t, p, from_logits=from_logits),
        [labels, y_pred], check=[1])
    # labels with a trailing 1 are accepted
    np.testing.assert_allclose(
        L.sparse_categorical_crossentropy(labels[..., None], Tensor(y_pred),
                                          from_logits=from_logits).data, expected, rtol=1e-9)


def test_keras_documented_values():
    bce = L.binary_crossentropy([[0, 1], [0, 0]], Tensor([[0.6, 0.4], [0.4, 0.6]]))
    np.testing.assert_allclose(bce.data, [0.916, 0.714], atol=1e-3)
    cce = L.categorical_crossentropy([[0, 1, 0], [0, 0, 1]],
                                     Tensor([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]))
    np.testing.assert_allclose(cce.data, [0.0513, 2.303], atol=1e-3)
    scce = L.sparse_categorical_crossentropy([1, 2], Tensor([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]))
    np.testing.assert_allclose(scce.data, [0.0513, 2.303], atol=1e-3)
    assert float(L.Huber()([[0, 1], [0, 0]], Tensor([[0.6, 0.4], [0.4, 0.6]])).data) == \
        pytest.approx(0.155, abs=1e-3)
    assert float(L.LogCosh()([[0.0, 1.0], [0.0, 0.0]], Tensor([[1.0, 1.0], [0.0, 0.0]])).data) \
        == pytest.approx(0.108, abs=1e-3)
    cos = L.cosine_similarity([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]],
                              Tensor([[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]]))
    np.testing.assert_allclose(cos.data, [0.0, -1.0, 1.0], atol=1e-6)


# -- Keras's clipping of probabilities ------------------------------------------------------

@pytest.mark.parametrize("dtype, rel", [("float64", 1e-12), ("float32", 1e-6)])
def test_zero_probability_for_the_true_class_costs_minus_log_epsilon(dtype, rel):
    probs = Tensor(np.array([[0.0, 1.0, 0.0]], dtype=dtype), requires_grad=True)
    expected = -math.log(EPS)  # about 16.118
    scce = L.sparse_categorical_crossentropy([0], probs)
    cce = L.categorical_crossentropy([[1.0, 0.0, 0.0]], probs)
    bce = L.binary_crossentropy([[1.0]], Tensor(np.array([[0.0]], dtype=dtype)))
    for value in (scce, cce, bce):
        assert float(value.data[0]) == pytest.approx(expected, rel=rel)
    scce.sum().backward()
    assert np.all(np.isfinite(probs.grad))  # the clip stops the gradient, no inf


def test_certain_wrong_binary_prediction_is_clipped():
    out = L.binary_crossentropy([[0.0]], Tensor(np.array([[1.0]])))
    assert float(out.data[0]) == pytest.approx(-math.log(EPS), rel=1e-6)


def test_probabilities_are_renormalised():
    probs = np.array([[2.0, 6.0, 2.0]])  # sums to 10
    out = L.categorical_crossentropy([[0.0, 1.0, 0.0]], Tensor(probs))
    assert float(out.data[0]) == pytest.approx(-math.log(0.6))


# -- label smoothing, axis, ignore_class ----------------------------------------------------

def test_label_smoothing():
    t, p = _one_hot_probs((4, 3), 4)
    smoothed = t * 0.8 + 0.2 / 3
    np.testing.assert_allclose(
        L.categorical_crossentropy(t, Tensor(p), label_smoothing=0.2).data, _cce_probs(smoothed, p))
    t, p = _binary_probs((4, 2), 4)
    np.testing.assert_allclose(
        L.binary_crossentropy(t, Tensor(p), label_smoothing=0.2).data,
        _bce_probs(t * 0.8 + 0.1, p))
    with pytest.raises(ValueError, match=r"`label_smoothing` must be in \[0, 1\].*1\.5"):
        L.CategoricalCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"binary_crossentropy: `label_smoothing` must be in"):
        L.binary_crossentropy(t, Tensor(p), label_smoothing=-0.1)


def test_class_axis():
    r = _rng(5)
    logits = r.normal(size=(2, 4, 3))  # classes on axis 1
    labels = r.integers(0, 4, size=(2, 3))
    one_hot = np.moveaxis(np.eye(4)[labels], -1, 1)
    expected = _cce_logits(np.eye(4)[labels], np.moveaxis(logits, 1, -1))
    np.testing.assert_allclose(
        L.categorical_crossentropy(one_hot, Tensor(logits), from_logits=True, axis=1).data,
        expected, rtol=1e-9)
    np.testing.assert_allclose(
        L.sparse_categorical_crossentropy(labels, Tensor(logits), from_logits=True, axis=1).data,
        expected, rtol=1e-9)
    assert gradient_check(
        lambda p: L.sparse_categorical_crossentropy(labels, p, from_logits=True, axis=1), [logits])
    with pytest.raises(ValueError, match="`axis` must be an int"):
        L.categorical_crossentropy(one_hot, Tensor(logits), axis=True)


def test_ignore_class():
    r = _rng(6)
    logits = r.normal(size=(6, 4))
    labels = np.array([0, 3, 1, 3, 2, 3])
    valid = labels != 3
    per_sample = _cce_logits(np.eye(4)[np.where(valid, labels, 0)], logits) * valid
    out = L.sparse_categorical_crossentropy(labels, Tensor(logits), from_logits=True,
                                            ignore_class=3)
    np.testing.assert_allclose(out.data, per_sample, rtol=1e-9)
    # The class's mean leaves the ignored entries out of the denominator, as Keras does.
    pred = Tensor(logits, requires_grad=True)
    value = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3)(labels, pred)
    assert float(value.data) == pytest.approx(per_sample.sum() / valid.sum())
    value.backward()
    np.testing.assert_array_equal(pred.grad[~valid], 0.0)
    total = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3,
                                            reduction="sum")(labels, Tensor(logits))
    assert float(total.data) == pytest.approx(per_sample.sum())


# -- reductions and sample weights ---------------------------------------------------------

def test_reductions():
    y_true = np.array([[0.0], [0.0], [0.0], [0.0]])
    y_pred = Tensor(np.array([[1.0], [2.0], [3.0], [4.0]]))
    per_sample = np.array([1.0, 4.0, 9.0, 16.0])
    weights = np.array([1.0, 0.0, 2.0, 2.0])  # sums to 5, not to the batch size
    cases = {
        "sum_over_batch_size": (per_sample.mean(), (per_sample * weights).sum() / 4),
        "mean": (per_sample.mean(), (per_sample * weights).sum() / 4),
        "sum": (per_sample.sum(), (per_sample * weights).sum()),
        "mean_with_sample_weight": (per_sample.mean(), (per_sample * weights).sum() / 5.0),
    }
    for reduction, (plain, weighted) in cases.items():
        loss = L.MeanSquaredError(reduction=reduction)
        assert float(loss(y_true, y_pred).data) == pytest.approx(plain), reduction
        assert float(loss(y_true, y_pred, sample_weight=weights).data) == \
            pytest.approx(weighted), reduction
    for reduction in ("none", None):
        loss = L.MeanSquaredError(reduction=reduction)
        np.testing.assert_allclose(loss(y_true, y_pred).data, per_sample)
        np.testing.assert_allclose(loss(y_true, y_pred, sample_weight=weights).data,
                                   per_sample * weights)
    with pytest.raises(ValueError, match=r"MeanSquaredError: `reduction` must be one of.*'avg'"):
        L.MeanSquaredError(reduction="avg")


def test_sample_weight_shapes():
    y_true, y_pred = _one_hot_logits((4, 3), 7)
    per_sample = _cce_logits(y_true, y_pred)
    loss = L.CategoricalCrossentropy(from_logits=True)
    w = np.array([0.5, 1.0, 0.0, 2.0])
    expected = (per_sample * w).mean()
    for weights in (w, w[:, None], Tensor(w)):
        assert float(loss(y_true, Tensor(y_pred), sample_weight=weights).data) == \
            pytest.approx(expected)
    assert float(loss(y_true, Tensor(y_pred), sample_weight=2.0).data) == \
        pytest.approx(2 * per_sample.mean())
    msg = (r"categorical_crossentropy: `sample_weight` must have one weight per sample.*"
           r"Received: sample_weight.shape=\(3,\)")
    with pytest.raises(ValueError, match=msg):
        loss(y_true, Tensor(y_pred), sample_weight=np.ones(3))
    # per-timestep losses with per-sample weights broadcast over the time axis
    labels = _rng(8).integers(0, 3, size=(4, 5))
    logits = _rng(9).normal(size=(4, 5, 3))
    seq = L.SparseCategoricalCrossentropy(from_logits=True)
    per_step = _cce_logits(np.eye(3)[labels], logits)
    assert float(seq(labels, Tensor(logits), sample_weight=w).data) == \
        pytest.approx((per_step * w[:, None]).mean())


def test_gradient_of_the_reduced_class_loss():
    y_true, y_pred = _one_hot_probs((5, 4), 10)
    w = np.linspace(0.5, 2.0, 5)
    for loss in (L.CategoricalCrossentropy(), L.MeanSquaredError(reduction="sum"),
                 L.BinaryCrossentropy(reduction="mean_with_sample_weight")):
        assert gradient_check(lambda p, loss=loss: loss(y_true, p, sample_weight=w), [y_pred])


def test_dtypes():
    y_true, y_pred = _one_hot_probs((4, 3), 11)
    assert L.CategoricalCrossentropy()(y_true, Tensor(y_pred.astype(np.float32))).dtype == \
        np.float32
    assert L.CategoricalCrossentropy()(y_true, Tensor(y_pred)).dtype == np.float64
    assert L.MeanSquaredError(dtype="float32")(y_true, Tensor(y_pred)).dtype == np.float32
    assert L.mean_squared_error([[1, 2]], [[1, 3]]).dtype == np.float32  # ints -> floatx
    assert L.mean_squared_error(np.array([[1.0]]), np.array([[3.0]])).dtype == np.float64


# -- nothing silently broadcast; the classic label mistakes ---------------------------------

def test_trailing_dimension_of_one_may_differ():
    y = np.array([1.0, 2.0, 3.0])
    for y_true, y_pred in ((y, y[:, None]), (y[:, None], y), (y[:, None], y[:, None])):
        np.testing.assert_allclose(L.mean_squared_error(y_true, Tensor(y_pred + 1)).data,
                                   np.ones(3))
    # (N,) vs (N,) is Keras's mean over the last axis: one value for the batch
    assert L.mean_squared_error(y, Tensor(y + 1)).shape == ()


@pytest.mark.parametrize("fn", [L.mean_squared_error, L.mean_absolute_error, L.huber,
                                L.hinge, L.kl_divergence, L.log_cosh])
def test_mismatched_shapes_raise(fn):
    name = fn.__name__
    with pytest.raises(ValueError, match=rf"{name}: expected y_true with the shape of y_pred "
                                         r"\(4, 1\).*y_true.shape=\(4, 3\)"):
        fn(np.ones((4, 3)), Tensor(np.ones((4, 1))))
    with pytest.raises(ValueError, match=r"looks like integer class labels"):
        fn(np.array([0, 1, 2, 1]), Tensor(np.full((4, 3), 0.3)))


def test_one_hot_labels_with_a_sparse_loss():
    one_hot = np.eye(3)[[0, 2, 1, 1]]
    probs = Tensor(np.full((4, 3), 1 / 3))
    msg = r"sparse_categorical_crossentropy: expected integer labels of shape \(4,\).*" \
          r"y_true.shape=\(4, 3\).*use categorical_crossentropy or pass integer labels"
    with pytest.raises(ValueError, match=msg):
        L.sparse_categorical_crossentropy(one_hot, probs)
    with pytest.raises(ValueError, match=msg):
        L.as_loss("sparse_categorical_crossentropy")(one_hot, probs)
    with pytest.raises(ValueError, match=r"y_true.shape=\(4, 2\)\.$"):
        L.sparse_categorical_crossentropy(np.ones((4, 2)), probs)


@pytest.mark.parametrize("labels", [np.array([0, 2, 1, 1]), np.array([[0], [2], [1], [1]])])
def test_integer_labels_with_categorical_crossentropy(labels):
    msg = (r"categorical_crossentropy: .*y_true looks like integer class labels, but y_pred has 3 "
           r"classes. To fix, use sparse_categorical_crossentropy or one-hot encode with "
           r"dg.utils.to_categorical")
    with pytest.raises(ValueError, match=msg):
        L.CategoricalCrossentropy()(labels, Tensor(np.full((4, 3), 1 / 3)))


def test_integer_labels_with_binary_crossentropy():
    msg = r"binary_crossentropy: .*use sparse_categorical_crossentropy"
    with pytest.raises(ValueError, match=msg):
        L.binary_crossentropy(np.array([0, 2, 1, 1]), Tensor(np.full((4, 3), 0.3)))


def test_labels_out_of_range_name_the_loss():
    probs = Tensor(np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: labels must be in "
                                         r"\[0, 2\] for 3 classes.*\[3\]"):
        L.SparseCategoricalCrossentropy()(np.array([0, 3, 1]), probs)
    msg = r"sparse_categorical_crossentropy: labels must be in .*\[-1\]"
    with pytest.raises(ValueError, match=msg):
        L.sparse_categorical_crossentropy(np.array([0, -1, 1]), probs)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy: expected integer class"):
        L.sparse_categorical_crossentropy(np.array([0.5, 1.0, 1.0]), probs)


def test_single_output_unit_with_categorical_losses():
    with pytest.raises(ValueError, match=r"at least 2.*use binary_crossentropy"):
        L.sparse_categorical_crossentropy(np.zeros(4, int), Tensor(np.ones((4, 1))))
    with pytest.warns(UserWarning, match=r"categorical_crossentropy: .*one class.*always 0"):
        L.categorical_crossentropy(np.ones((4, 1)), Tensor(np.ones((4, 1))))


# -- PyTorch parity --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sparse_crossentropy_from_logits_matches_torch(dtype):
    torch = tr.import_torch()
    F = torch.nn.functional
    r = _rng(12)
    logits = r.normal(size=(32, 5)).astype(dtype) * 3
    labels = r.integers(0, 5, size=32)
    tol = 1e-6 if dtype == "float32" else 1e-12
    loss = L.SparseCategoricalCrossentropy(from_logits=True)
    tr.compare(lambda t: loss(labels, t), lambda t: F.cross_entropy(t, torch.tensor(labels)),
               [logits], atol=0, rtol=tol, grad_atol=tol, grad_rtol=10 * tol)
    tr.compare(lambda t: L.sparse_categorical_crossentropy(labels, t, from_logits=True),
               lambda t: F.cross_entropy(t, torch.tensor(labels), reduction="none"),
               [logits], atol=0, rtol=10 * tol, grad_atol=tol, grad_rtol=10 * tol)


def test_sparse_crossentropy_from_probabilities_matches_torch_nll():
    torch = tr.import_torch()
    r = _rng(13)
    probs = _softmax(r.normal(size=(16, 4)))
    labels = r.integers(0, 4, size=16)
    loss = L.SparseCategoricalCrossentropy()
    tr.compare(lambda t: loss(labels, t),
               lambda t: torch.nn.functional.nll_loss(torch.log(t / t.sum(-1, keepdim=True)),
                                                      torch.tensor(labels)),
               [probs], atol=0, rtol=1e-12, grad_atol=1e-12, grad_rtol=1e-10)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_categorical_crossentropy_from_logits_matches_torch(label_smoothing):
    torch = tr.import_torch()
    y_true, logits = _one_hot_logits((20, 6), 14)
    loss = L.CategoricalCrossentropy(from_logits=True, label_smoothing=label_smoothing)
    tr.compare(lambda t: loss(y_true, t),
               lambda t: torch.nn.functional.cross_entropy(t, torch.tensor(y_true),
                                                           label_smoothing=label_smoothing),
               [logits], atol=0, rtol=1e-12, grad_atol=1e-12, grad_rtol=1e-10)


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_crossentropy_matches_torch(from_logits):
    torch = tr.import_torch()
    F = torch.nn.functional
    y_true, y_pred = (_binary_logits if from_logits else _binary_probs)((16, 3), 15)
    weights = np.linspace(0.1, 1.0, 16)
    loss = L.BinaryCrossentropy(from_logits=from_logits)
    fn = F.binary_cross_entropy_with_logits if from_logits else F.binary_cross_entropy

    def reference(t):
        per_sample = fn(t, torch.tensor(y_true), reduction="none").mean(-1)
        return (per_sample * torch.tensor(weights)).mean()

    tr.compare(lambda t: loss(y_true, t, sample_weight=weights), reference, [y_pred], atol=0,
               rtol=1e-12, grad_atol=1e-12, grad_rtol=1e-10)


REGRESSION_TORCH = {
    "mean_squared_error": (L.MeanSquaredError(), lambda F, p, t: F.mse_loss(p, t), _real),
    "mean_absolute_error": (L.MeanAbsoluteError(), lambda F, p, t: F.l1_loss(p, t), _real),
    "huber": (L.Huber(delta=0.7), lambda F, p, t: F.huber_loss(p, t, delta=0.7), _real),
    "kl_divergence": (L.KLDivergence(),
                      lambda F, p, t: F.kl_div(p.log(), t, reduction="sum") / p.shape[0],
                      _soft_probs),
    "poisson": (L.Poisson(),
                lambda F, p, t: F.poisson_nll_loss(p, t, log_input=False, eps=1e-7), _positive),
    "cosine_similarity": (L.CosineSimilarity(),
                          lambda F, p, t: -F.cosine_similarity(p, t, dim=-1).mean(), _real),
}


@pytest.mark.parametrize("name", sorted(REGRESSION_TORCH))
def test_regression_losses_match_torch(name):
    torch = tr.import_torch()
    loss, reference, make = REGRESSION_TORCH[name]
    y_true, y_pred = make((8, 5), 16)
    tr.compare(lambda t: loss(y_true, t),
               lambda t: reference(torch.nn.functional, t, torch.tensor(y_true)), [y_pred],
               atol=0, rtol=1e-10, grad_atol=1e-12, grad_rtol=1e-8)


# -- get(), configs, wrappers ----------------------------------------------------------------

GET_TABLE = {
    "mse": L.MeanSquaredError, "MSE": L.MeanSquaredError, "mean_squared_error": L.MeanSquaredError,
    "mae": L.MeanAbsoluteError, "mean_absolute_error": L.MeanAbsoluteError,
    "mape": L.MeanAbsolutePercentageError, "msle": L.MeanSquaredLogarithmicError,
    "binary_crossentropy": L.BinaryCrossentropy, "bce": L.BinaryCrossentropy,
    "categorical_crossentropy": L.CategoricalCrossentropy,
    "sparse_categorical_crossentropy": L.SparseCategoricalCrossentropy, "huber": L.Huber,
    "hinge": L.Hinge, "kld": L.KLDivergence, "kl_divergence": L.KLDivergence,
    "log_cosh": L.LogCosh, "cosine_similarity": L.CosineSimilarity, "poisson": L.Poisson,
    "MeanSquaredError": L.MeanSquaredError,
    "SparseCategoricalCrossentropy": L.SparseCategoricalCrossentropy,
}


@pytest.mark.parametrize("name, cls", sorted(GET_TABLE.items()))
def test_get_by_name(name, cls):
    loss = L.as_loss(name)
    assert type(loss) is cls
    assert loss.name == (name if name[0].islower() or name.isupper() else cls().name)


def test_get_other_identifiers():
    loss = L.Huber(delta=3.0)
    assert L.as_loss(loss) is loss
    assert L.as_loss(None) is None
    assert type(L.as_loss(L.Hinge)) is L.Hinge
    assert type(L.as_loss(L.sparse_categorical_crossentropy)) is L.SparseCategoricalCrossentropy
    got = L.as_loss({"class_name": "BinaryCrossentropy", "config": {"from_logits": True}})
    assert isinstance(got, L.BinaryCrossentropy) and got.from_logits

    def squared(y_true, y_pred):
        return ((y_pred - y_true) ** 2).sum(axis=-1)

    wrapped = L.as_loss(squared)
    assert isinstance(wrapped, L.LossFunctionWrapper) and wrapped.name == "squared"
    # the wrapper applies Keras's shape rule, then calls the function with Tensors
    value = wrapped(np.array([0.0, 0.0]), Tensor([[1.0], [3.0]]))
    assert float(value.data) == pytest.approx(5.0)


def test_get_errors():
    with pytest.raises(ValueError, match=r"Unknown loss: 'sparse_categorical_crossentropie'\. "
                                         r"Valid names: .*mse.*sparse_categorical_crossentropy"):
        L.as_loss("sparse_categorical_crossentropie")
    with pytest.raises(TypeError, match="losses: `identifier` must be"):
        L.as_loss(3)
    with pytest.raises(ValueError, match="expected a dict with 'class_name'"):
        L.deserialize({})
    with pytest.raises(ValueError, match="Unknown loss: 'Nope'"):
        L.deserialize({"class_name": "Nope"})
    with pytest.raises(TypeError, match="only built-in Loss classes"):
        L.serialize(L.LossFunctionWrapper(L.mse))
    with pytest.raises(TypeError, match="`fn` must be callable"):
        L.LossFunctionWrapper(3)


@pytest.mark.parametrize("cls", L._CLASSES)
def test_config_round_trip(cls):
    loss = cls(reduction="sum", name="custom")
    rebuilt = L.deserialize(L.serialize(loss))
    assert type(rebuilt) is cls and rebuilt.get_config() == loss.get_config()
    assert rebuilt.name == "custom" and rebuilt.reduction == "sum"
    assert repr(loss).startswith(cls.__name__ + "(")


def test_class_specific_configs():
    assert L.BinaryCrossentropy(from_logits=True, label_smoothing=0.1).get_config() == {
        "name": "binary_crossentropy", "reduction": "sum_over_batch_size", "from_logits": True,
        "label_smoothing": 0.1, "axis": -1}
    assert L.SparseCategoricalCrossentropy(ignore_class=255).get_config()["ignore_class"] == 255
    assert L.Huber().name == "huber_loss"
    assert L.Huber(delta=2.0).get_config()["delta"] == 2.0


def test_custom_loss_subclass():
    class Cubed(L.Loss):
        def call(self, y_true, y_pred):
            diff = y_pred - y_true
            return (diff * diff * diff).mean(axis=-1)

    loss = Cubed()
    assert loss.name == "cubed"
    assert float(loss(np.zeros((2, 1)), Tensor([[1.0], [2.0]])).data) == pytest.approx(4.5)
    with pytest.raises(NotImplementedError):
        L.Loss()(np.zeros(2), Tensor([1.0, 2.0]))


def test_squeeze_or_expand_to_same_rank_matches_keras():
    f = L.squeeze_or_expand_to_same_rank
    assert [a.shape for a in f(np.zeros((3, 1)), np.zeros(3))] == [(3, 1), (3, 1)]
    assert [a.shape for a in f(np.zeros((3, 1)), np.zeros(3), expand_rank_1=False)] == \
        [(3,), (3,)]
    assert [a.shape for a in f(np.zeros((2, 3, 1)), np.zeros((2, 3)))] == [(2, 3), (2, 3)]
    assert [a.shape for a in f(np.zeros((2, 3)), np.zeros((2, 3, 4)))] == [(2, 3), (2, 3, 4)]
    t = Tensor(np.zeros((3, 1)))
    assert f(np.zeros(3), t)[0].shape == (3, 1)


def test_probabilities_from_softmax_or_sigmoid_use_their_logits():
    # As Keras's TensorFlow backend: the loss classes keep the link to the logits, so a
    # confident wrong prediction costs its exact value instead of the clipped -log(1e-7).
    from deepgrad import activations

    logits = Tensor(np.array([[100.0, 0.0, -100.0]]), requires_grad=True)
    for loss, y_true in ((L.SparseCategoricalCrossentropy(), np.array([2])),
                         (L.CategoricalCrossentropy(), np.array([[0.0, 0.0, 1.0]]))):
        value = loss(y_true, activations.softmax(logits))
        assert float(value.data) == pytest.approx(200.0)
    value = L.BinaryCrossentropy()(np.array([[1.0]]), activations.sigmoid(Tensor([[-50.0]])))
    assert float(value.data) == pytest.approx(50.0)


def test_sparse_crossentropy_accepts_boolean_labels_as_classes_0_and_1():
    probs = np.array([[0.8, 0.2], [0.3, 0.7]])
    loss = L.sparse_categorical_crossentropy(np.array([False, True]), probs)
    np.testing.assert_allclose(np.asarray(loss), -np.log([0.8, 0.7]), rtol=1e-6)


def test_get_gives_keras_answers():
    # Keras's losses.get: a function name gives the function (issue 12 item 11)
    assert L.get("mean_squared_error") is L.mean_squared_error
    assert L.get("mse") is L.mean_squared_error and L.get("MAE") is L.mean_absolute_error
    assert L.get("sparse_categorical_crossentropy") is L.sparse_categorical_crossentropy
    assert type(L.get("MeanSquaredError")) is L.MeanSquaredError
    assert type(L.get(L.Hinge)) is L.Hinge
    loss = L.Huber(delta=3.0)
    assert L.get(loss) is loss and L.get(L.huber) is L.huber and L.get(None) is None
    assert isinstance(L.get({"class_name": "Huber", "config": {}}), L.Huber)
    per_sample = L.get("mean_squared_error")(np.zeros((2, 3)), np.ones((2, 3)))
    np.testing.assert_allclose(np.asarray(per_sample), [1.0, 1.0])  # not reduced
    with pytest.raises(ValueError, match="Unknown loss: 'mean_squared_eror'"):
        L.get("mean_squared_eror")
    with pytest.raises(TypeError, match="losses.get: `identifier` must be"):
        L.get(3)
