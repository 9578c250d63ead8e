"""Focal cross-entropies, Dice, Tversky, generalized cross-entropy and CTC: formulas vs
NumPy, float64 finite differences, CTC vs PyTorch, configs, get/serialize, errors.
(Keras's own values: tests/test_keras_train_parity.py.)"""

from __future__ import annotations

import json

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.losses as L
from deepgrad.ops.ctc import ctc_loss
from deepgrad.tensor import Tensor
from deepgrad.utils.gradcheck import gradient_check

import torch_reference as tr


def _rng(seed):
    return np.random.default_rng(seed)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _bfce_reference(t, p, gamma, alpha=None):
    q = np.clip(p, 1e-7, 1 - 1e-7)
    bce = -(t * np.log(q) + (1 - t) * np.log(1 - q))
    p_t = t * p + (1 - t) * (1 - p)
    loss = (1 - p_t) ** gamma * bce
    if alpha is not None:
        loss = (t * alpha + (1 - t) * (1 - alpha)) * loss
    return loss.mean(axis=-1)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.0])
@pytest.mark.parametrize("balanced", [False, True])
def test_binary_focal_matches_formula_and_finite_differences(gamma, balanced):
    r = _rng(1)
    t = (r.random((5, 4)) < 0.5).astype(np.float64)
    p = r.uniform(0.05, 0.95, size=(5, 4))
    out = L.binary_focal_crossentropy(t, Tensor(p), gamma=gamma,
                                      apply_class_balancing=balanced, alpha=0.3)
    expected = _bfce_reference(t, p, gamma, 0.3 if balanced else None)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10)
    assert gradient_check(lambda a, b: L.binary_focal_crossentropy(
        a, b, gamma=gamma, apply_class_balancing=balanced, alpha=0.3), [t, p], check=[1])


def test_binary_focal_from_logits_equals_probabilities_and_gamma_0_is_bce():
    r = _rng(2)
    t = (r.random((6, 3)) < 0.5).astype(np.float64)
    x = r.normal(size=(6, 3))
    from_logits = L.binary_focal_crossentropy(t, Tensor(x), from_logits=True)
    np.testing.assert_allclose(from_logits.data, _bfce_reference(t, _sigmoid(x), 2.0),
                               rtol=1e-9)
    assert gradient_check(lambda a, b: L.binary_focal_crossentropy(a, b, from_logits=True),
                          [t, x], check=[1])
    np.testing.assert_allclose(
        L.binary_focal_crossentropy(t, Tensor(x), gamma=0.0, from_logits=True).data,
        L.binary_crossentropy(t, Tensor(x), from_logits=True).data, rtol=1e-12)


def _cfce_reference(t, p, gamma, alpha):
    p = p / p.sum(axis=-1, keepdims=True)
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return (alpha * (1 - p) ** gamma * -t * np.log(p)).sum(axis=-1)


@pytest.mark.parametrize("alpha", [0.25, [0.1, 0.2, 0.3, 0.4]])
@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_focal_matches_formula_and_finite_differences(alpha, from_logits):
    r = _rng(3)
    t = np.eye(4)[r.integers(0, 4, 6)]
    x = r.normal(size=(6, 4)) if from_logits else r.uniform(0.1, 1.0, size=(6, 4))
    probs = np.exp(x) / np.exp(x).sum(-1, keepdims=True) if from_logits else x
    out = L.categorical_focal_crossentropy(t, Tensor(x), alpha=alpha, from_logits=from_logits)
    np.testing.assert_allclose(out.data, _cfce_reference(t, probs, 2.0, np.asarray(alpha)),
                               rtol=1e-10)
    assert gradient_check(lambda a, b: L.categorical_focal_crossentropy(
        a, b, alpha=alpha, from_logits=from_logits), [t, x], check=[1])


def test_categorical_focal_alpha_list_of_wrong_length_is_an_error():
    with pytest.raises(ValueError, match="one weight per class"):
        L.categorical_focal_crossentropy(np.eye(3), Tensor(np.full((3, 3), 1 / 3)),
                                         alpha=[0.5, 0.5])


@pytest.mark.parametrize("axis", [None, (1, 2, 3), [1, 2], 1])
def test_dice_and_tversky_match_formula_and_finite_differences(axis):
    r = _rng(4)
    t = (r.random((3, 4, 4, 2)) < 0.4).astype(np.float64)
    p = r.uniform(0, 1, size=t.shape)
    sum_axis = tuple(axis) if isinstance(axis, list) else axis
    inter = (t * p).sum(axis=sum_axis)
    dice = 1 - 2 * inter / (t.sum(axis=sum_axis) + p.sum(axis=sum_axis) + 1e-7)
    np.testing.assert_allclose(L.dice(t, Tensor(p), axis=axis).data, dice, rtol=1e-10)
    fp, fn = ((1 - t) * p).sum(axis=sum_axis), (t * (1 - p)).sum(axis=sum_axis)
    tversky = 1 - inter / (inter + 0.3 * fp + 0.7 * fn + 1e-7)
    np.testing.assert_allclose(L.tversky(t, Tensor(p), alpha=0.3, beta=0.7, axis=axis).data,
                               tversky, rtol=1e-10)
    assert gradient_check(lambda a, b: L.dice(a, b, axis=axis), [t, p], check=[1])
    assert gradient_check(lambda a, b: L.tversky(a, b, 0.3, 0.7, axis), [t, p], check=[1])
    # alpha = beta = 0.5 is Dice
    np.testing.assert_allclose(L.tversky(t, Tensor(p), axis=axis).data, dice, rtol=1e-6)


def test_dice_bad_axis_and_shapes_are_errors():
    with pytest.raises(ValueError, match="`axis` must be None, an int or a tuple"):
        L.Dice(axis="all")
    with pytest.raises(ValueError, match="dice: expected y_true with the shape"):
        L.dice(np.zeros((2, 3)), Tensor(np.zeros((2, 4))))


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_generalized_cross_entropy_formula_limits_and_gradient(q):
    r = _rng(7)
    labels = r.integers(0, 4, 6)
    probs = r.dirichlet(np.ones(4), size=6)
    p = probs[np.arange(6), labels]
    np.testing.assert_allclose(
        L.categorical_generalized_cross_entropy(labels, Tensor(probs), q).data,
        (1 - p**q) / q, rtol=1e-12)
    assert gradient_check(lambda y: L.categorical_generalized_cross_entropy(labels, y, q),
                          [probs])
    # q -> 0 is the cross-entropy
    np.testing.assert_allclose(
        L.categorical_generalized_cross_entropy(labels, Tensor(probs), 1e-7).data, -np.log(p),
        rtol=1e-5)
    with pytest.raises(ValueError, match="`q` must be in \\(0, 1\\)"):
        L.CategoricalGeneralizedCrossEntropy(q=1.0)


def test_circle_gradient_mask_and_references():
    r = _rng(8)
    e = r.normal(size=(6, 4))
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    labels = np.array([0, 1, 0, 2, 1, 0])  # label 2 has no positive pair: its row is 0-safe
    assert gradient_check(lambda x: L.circle(labels, x, gamma=3.0, margin=0.3), [e])
    refs = r.normal(size=(5, 4))
    assert gradient_check(lambda x, y: L.circle(labels, x, [0, 1, 2, 0, 1], y, gamma=2.0),
                          [e, refs])
    # separated classes cost ~0 and do not count in the mean (Keras masks them)
    separated = np.eye(3)[[0, 0, 1, 1, 2, 2]]
    assert np.all(L.circle([0, 0, 1, 1, 2, 2], Tensor(separated)).data < 1e-9)
    values = L.circle(labels, Tensor(e), gamma=3.0).data
    values[values < 1e-12] = 0
    loss = L.Circle(gamma=3.0)(labels, Tensor(e))
    np.testing.assert_allclose(loss.data, values[values > 0].mean(), rtol=1e-10)


# -- CTC -------------------------------------------------------------------------------

def _ctc_case(seed, batch=4, frames=12, classes=6, length=5):
    r = _rng(seed)
    logits = r.normal(size=(batch, frames, classes))
    labels = r.integers(1, classes, size=(batch, length))
    labels[0, 1] = labels[0, 0]  # a repeat: needs a blank between
    label_length = np.array([5, 3, 0, 4])[:batch]
    frame_length = np.array([12, 9, 5, 10])[:batch]
    return logits, labels, label_length, frame_length


def test_ctc_matches_pytorch_values_and_gradients():
    torch = tr.import_torch()
    logits, labels, label_length, frame_length = _ctc_case(0)

    def theirs(x):
        log_probs = torch.log_softmax(x, -1).transpose(0, 1)
        return torch.nn.functional.ctc_loss(
            log_probs, torch.tensor(labels), torch.tensor(frame_length),
            torch.tensor(label_length), blank=0, reduction="none")

    tr.compare(lambda x: ctc_loss(labels, x, label_length, frame_length), theirs, [logits],
               atol=1e-10, rtol=1e-10, grad_atol=1e-10, grad_rtol=1e-9)


def test_ctc_matches_pytorch_in_float32_with_another_blank():
    torch = tr.import_torch()
    logits, labels, label_length, frame_length = _ctc_case(5)
    labels = np.where(labels == 3, 1, labels)  # class 3 is the blank here

    def theirs(x):
        log_probs = torch.log_softmax(x, -1).transpose(0, 1)
        return torch.nn.functional.ctc_loss(
            log_probs, torch.tensor(labels), torch.tensor(frame_length),
            torch.tensor(label_length), blank=3, reduction="none")

    tr.compare(lambda x: ctc_loss(labels, x, label_length, frame_length, mask_index=3), theirs,
               [logits.astype(np.float32)], atol=1e-4, rtol=1e-5, grad_atol=1e-5,
               grad_rtol=1e-4)


def test_ctc_finite_differences():
    logits, labels, label_length, frame_length = _ctc_case(1, frames=7, length=3)
    label_length = np.minimum(label_length, 3)
    frame_length = np.minimum(frame_length, 7)
    assert gradient_check(lambda x: ctc_loss(labels, x, label_length, frame_length),
                          [logits])


def test_ctc_brute_force_over_all_alignments():
    # The definition: sum over every frame-wise path that collapses to the labels.
    r = _rng(2)
    frames, classes = 4, 3
    logits = r.normal(size=(1, frames, classes))
    probs = np.exp(logits[0]) / np.exp(logits[0]).sum(-1, keepdims=True)
    for labels in ([1], [1, 1], [1, 2], [2, 1, 2], []):
        total = 0.0
        for path in np.ndindex(*(classes,) * frames):
            collapsed = [c for i, c in enumerate(path) if c != 0 and (i == 0 or c != path[i - 1])]
            if collapsed == labels:
                total += np.prod(probs[np.arange(frames), path])
        padded = np.array([labels + [0] * (3 - len(labels))])
        ours = ctc_loss(padded, Tensor(logits), [len(labels)], [frames])
        np.testing.assert_allclose(ours.data, [-np.log(total)], rtol=1e-12)


def test_ctc_impossible_labels_cost_inf_and_send_no_gradient():
    logits = Tensor(np.zeros((2, 2, 3)), requires_grad=True)
    loss = ctc_loss([[1, 1], [1, 2]], logits, [2, 2], [2, 2])  # "1 1" needs 3 frames
    assert np.isinf(loss.data[0]) and np.isfinite(loss.data[1])
    loss.backward(np.ones(2))
    assert np.all(logits.grad[0] == 0) and np.any(logits.grad[1] != 0)


def test_ctc_loss_function_and_class():
    logits, labels, _, _ = _ctc_case(3)
    padded = np.where(np.arange(5) < np.array([5, 3, 0, 4])[:, None], labels, 0)
    per_sequence = L.ctc(padded, Tensor(logits))
    expected = ctc_loss(padded, Tensor(logits), (padded != 0).sum(1), [12] * 4)
    np.testing.assert_array_equal(per_sequence.data, expected.data)
    np.testing.assert_allclose(L.CTC()(padded, Tensor(logits)).data, expected.data.mean())
    weighted = L.CTC(reduction="sum")(padded, Tensor(logits), sample_weight=[1, 0, 0, 2])
    np.testing.assert_allclose(weighted.data, expected.data[0] + 2 * expected.data[3])


def test_ctc_uses_the_mask_of_a_masked_prediction_as_frame_lengths():
    from deepgrad.ops.masks import set_keras_mask

    logits, labels, _, _ = _ctc_case(4)
    padded = np.where(np.arange(5) < np.array([2, 3, 1, 4])[:, None], labels, 0)
    frames = np.array([12, 8, 6, 10])
    y_pred = Tensor(logits)
    set_keras_mask(y_pred, np.arange(12)[None, :] < frames[:, None])
    got = L.CTC(reduction=None)(padded, y_pred)
    np.testing.assert_allclose(
        got.data, ctc_loss(padded, Tensor(logits), (padded != 0).sum(1), frames).data)


@pytest.mark.parametrize("call, match", [
    (lambda: ctc_loss([[1]], Tensor(np.zeros((1, 2))), [1], [2]), "shape \\(batch, max_time"),
    (lambda: ctc_loss([1], Tensor(np.zeros((1, 2, 3))), [1], [2]), "`target` must be integer"),
    (lambda: ctc_loss([[5]], Tensor(np.zeros((1, 2, 3))), [1], [2]), "labels must be in"),
    (lambda: ctc_loss([[1]], Tensor(np.zeros((1, 2, 3))), [2], [2]), "`target_length` must"),
    (lambda: ctc_loss([[1]], Tensor(np.zeros((1, 2, 3))), [1], [3]), "`output_length` must"),
    (lambda: ctc_loss([[1]], Tensor(np.zeros((1, 2, 3))), [1], [2], mask_index=3),
     "`mask_index`"),
    (lambda: L.ctc(np.zeros(3), Tensor(np.zeros((3, 2, 3)))), "`y_true` must be integer"),
])
def test_ctc_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_ctc_trains_a_small_recurrent_model():
    r = _rng(6)
    x = r.normal(size=(16, 10, 4)).astype(np.float32)
    labels = (x[:, ::3, 0] > 0).astype(np.int64)[:, :3] + 1  # 3 labels from 1..2 per row
    model = dg.Sequential([dg.Input((10, 4)), dg.layers.Dense(16, activation="tanh"),
                           dg.layers.Dense(3)])
    model.compile(optimizer=dg.optimizers.Adam(0.02), loss=L.CTC())
    history = model.fit(x, labels, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]


# -- configs, names, registry ------------------------------------------------------------

NEW_CLASSES = [
    (L.BinaryFocalCrossentropy, {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.0,
                                 "from_logits": True, "label_smoothing": 0.1}),
    (L.CategoricalFocalCrossentropy, {"alpha": [0.2, 0.8], "gamma": 3.0}),
    (L.Dice, {"axis": (1, 2)}),
    (L.Tversky, {"alpha": 0.2, "beta": 0.8, "axis": [1]}),
    (L.CTC, {"reduction": "sum"}),
    (L.CategoricalGeneralizedCrossEntropy, {"q": 0.3}),
    (L.Circle, {"gamma": 10.0, "margin": 0.2, "remove_diagonal": False}),
]


@pytest.mark.parametrize("cls, kwargs", NEW_CLASSES)
def test_config_round_trips_through_json(cls, kwargs):
    loss = cls(**kwargs)
    config = json.loads(json.dumps(L.serialize(loss)))
    again = L.deserialize(config)
    assert type(again) is cls and again.get_config() == loss.get_config()
    assert L.as_loss(cls.__name__).name == cls().name


@pytest.mark.parametrize("name, cls", [
    ("binary_focal_crossentropy", L.BinaryFocalCrossentropy),
    ("categorical_focal_crossentropy", L.CategoricalFocalCrossentropy),
    ("dice", L.Dice), ("tversky", L.Tversky), ("ctc", L.CTC),
    ("categorical_generalized_cross_entropy", L.CategoricalGeneralizedCrossEntropy),
    ("circle", L.Circle)])
def test_function_names_and_functions_resolve(name, cls):
    loss = L.as_loss(name)
    assert type(loss) is cls and loss.name == name
    assert type(L.as_loss(getattr(L, name))) is cls


def test_keras_default_names():
    names = [L.BinaryFocalCrossentropy().name, L.CategoricalFocalCrossentropy().name,
             L.Dice().name, L.Tversky().name, L.CTC().name]
    assert names == ["binary_focal_crossentropy", "categorical_focal_crossentropy", "dice",
                     "tversky", "ctc"]
