"""Metrics: Keras values, epoch accumulation, sample weights, accuracy resolution, errors, get()."""

from __future__ import annotations

import math

import numpy as np
import pytest

import deepgrad.metrics as M
from deepgrad.tensor import Tensor


def _rng(seed):
    return np.random.default_rng(seed)


def _probs(n, classes, seed):
    x = _rng(seed).normal(size=(n, classes))
    e = np.exp(x - x.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype(np.float32)


# -- Keras's documented examples ------------------------------------------------------------

def test_keras_documented_values():
    cases = [
        (M.Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]], None, 0.75),
        (M.Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]], [1, 1, 0, 0], 0.5),
        (M.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], None, 0.75),
        (M.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], [1, 0, 0, 1], 0.5),
        (M.CategoricalAccuracy(), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
         None, 0.5),
        (M.CategoricalAccuracy(), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
         [0.7, 0.3], 0.3),
        (M.SparseCategoricalAccuracy(), [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], None, 0.5),
        (M.SparseCategoricalAccuracy(), [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
         [0.7, 0.3], 0.3),
        (M.TopKCategoricalAccuracy(k=1), [[0, 0, 1], [0, 1, 0]],
         [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3], 0.3),
        (M.SparseTopKCategoricalAccuracy(k=1), [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
         [0.7, 0.3], 0.3),
        (M.MeanSquaredError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], None, 0.25),
        (M.MeanSquaredError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.5),
        (M.MeanAbsoluteError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], None, 0.25),
        (M.RootMeanSquaredError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], None, 0.5),
        (M.RootMeanSquaredError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], math.sqrt(0.5)),
        (M.MeanAbsolutePercentageError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], None, 250000000.0),
        (M.Precision(), [0, 1, 1, 1], [1, 0, 1, 1], None, 2 / 3),
        (M.Precision(), [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 1.0),
        (M.Recall(), [0, 1, 1, 1], [1, 0, 1, 1], None, 2 / 3),
        (M.Recall(), [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 1.0),
        (M.Precision(top_k=2), [0, 0, 1, 1], [1, 1, 1, 1], None, 0.0),
        (M.Precision(top_k=4), [0, 0, 1, 1], [1, 1, 1, 1], None, 0.5),
        (M.Recall(top_k=1), [[0, 1, 1], [1, 0, 0]], [[0.2, 0.7, 0.1], [0.5, 0.2, 0.3]], None,
         2 / 3),
        (M.Precision(class_id=2), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.2, 0.9], [0.1, 0.3, 0.8]],
         None, 0.5),
        (M.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], None, 0.75),
        (M.TruePositives(), [0, 1, 1, 1], [1, 0, 1, 1], None, 2.0),
        (M.FalsePositives(), [0, 1, 0, 0], [0, 0, 1, 1], None, 2.0),
        (M.TrueNegatives(), [0, 1, 0, 0], [1, 1, 0, 0], None, 2.0),
        (M.FalseNegatives(), [0, 1, 1, 1], [0, 1, 0, 0], None, 2.0),
        (M.BinaryCrossentropy(), [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], None, 0.81492),
        (M.CategoricalCrossentropy(), [[0, 1, 0], [0, 0, 1]],
         [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], None, 1.17695),
        (M.SparseCategoricalCrossentropy(), [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], None,
         1.17695),
    ]
    for metric, y_true, y_pred, weights, expected in cases:
        metric.update_state(np.array(y_true), np.array(y_pred, dtype=np.float32),
                            sample_weight=weights)
        assert metric.result() == pytest.approx(expected, rel=1e-4), metric.name


# -- accumulation over an epoch ---------------------------------------------------------------

def _batch(kind, n, seed):
    r = _rng(seed)
    if kind == "sparse":
        return r.integers(0, 4, size=n), _probs(n, 4, seed)
    if kind == "onehot":
        return np.eye(4, dtype=np.float32)[r.integers(0, 4, size=n)], _probs(n, 4, seed)
    if kind == "binary":
        return (r.random((n, 1)) > 0.5).astype(np.float32), r.random((n, 1)).astype(np.float32)
    return r.normal(size=(n, 3)).astype(np.float32), r.normal(size=(n, 3)).astype(np.float32)


ACCUMULATING = [
    (M.SparseCategoricalAccuracy, "sparse"), (M.SparseTopKCategoricalAccuracy, "sparse"),
    (M.CategoricalAccuracy, "onehot"), (M.TopKCategoricalAccuracy, "onehot"),
    (M.BinaryAccuracy, "binary"), (M.Precision, "binary"), (M.Recall, "binary"),
    (M.AUC, "binary"), (M.TruePositives, "binary"), (M.MeanSquaredError, "real"),
    (M.MeanAbsoluteError, "real"), (M.RootMeanSquaredError, "real"),
    (M.MeanSquaredLogarithmicError, "real"), (M.SparseCategoricalCrossentropy, "sparse"),
    (M.CategoricalCrossentropy, "onehot"), (M.BinaryCrossentropy, "binary"),
    (M.Accuracy, "binary"),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cls, kind", ACCUMULATING, ids=lambda v: getattr(v, "__name__", v))
def test_two_updates_equal_one_update_on_the_concatenation(cls, kind, weighted):
    if kind == "sparse" and cls is M.SparseTopKCategoricalAccuracy:
        metric, whole = cls(k=2), cls(k=2)
    elif cls is M.TopKCategoricalAccuracy:
        metric, whole = cls(k=2), cls(k=2)
    else:
        metric, whole = cls(), cls()
    (t1, p1), (t2, p2) = _batch(kind, 7, 1), _batch(kind, 25, 2)
    w1 = _rng(3).random(7) if weighted else None
    w2 = _rng(4).random(25) if weighted else None
    metric.update_state(t1, p1, sample_weight=w1)
    metric.update_state(t2, p2, sample_weight=w2)
    whole.update_state(np.concatenate([t1, t2]), np.concatenate([p1, p2]),
                       sample_weight=None if not weighted else np.concatenate([w1, w2]))
    assert metric.result() == pytest.approx(whole.result(), rel=1e-6, abs=1e-9)
    metric.reset_state()
    metric.update_state(t1, p1, sample_weight=w1)
    first = metric.result()
    fresh = cls(k=2) if "TopK" in cls.__name__ else cls()
    fresh.update_state(t1, p1, sample_weight=w1)
    assert first == pytest.approx(fresh.result())


def test_epoch_result_is_not_the_mean_of_batch_results():
    m = M.SparseCategoricalAccuracy()
    m.update_state([0], [[0.9, 0.1]])  # 1 of 1 right
    m.update_state([0, 0, 0], [[0.1, 0.9]] * 3)  # 0 of 3 right
    assert m.result() == pytest.approx(0.25)  # not (1.0 + 0.0) / 2


def test_mean_sum_and_wrapper():
    mean = M.Mean()
    mean.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert mean.result() == 2.0
    mean.update_state(10.0)
    assert mean.result() == pytest.approx(14 / 3)
    mean.update_state(np.float32(2.0), sample_weight=4)  # a batch loss weighted by its size
    assert mean.result() == pytest.approx(22 / 7)
    total = M.Sum()
    total.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    total.update_state(Tensor([[1.0, 2.0]]))  # rank 2: summed per sample
    assert total.result() == 7.0
    assert M.Mean().result() == 0.0  # nothing seen: 0, as Keras's divide_no_nan

    def halves(y_true, y_pred):
        return np.abs(np.asarray(y_true) - np.asarray(y_pred)) / 2

    wrapped = M.MeanMetricWrapper(halves)
    wrapped.update_state([0.0, 0.0], [2.0, 4.0])
    assert wrapped.name == "halves" and wrapped.result() == 1.5
    assert M.Mean()([1.0, 2.0]) == 1.5  # __call__ updates and returns the result


def test_tensors_are_accepted():
    labels, probs = _batch("sparse", 10, 5)
    a, b = M.SparseCategoricalAccuracy(), M.SparseCategoricalAccuracy()
    a.update_state(labels, probs)
    b.update_state(Tensor(labels), Tensor(probs, requires_grad=True))
    assert a.result() == b.result()


def test_functions_return_per_sample_values():
    np.testing.assert_array_equal(M.sparse_categorical_accuracy([2, 1], [[0.1, 0.6, 0.3],
                                                                      [0.05, 0.95, 0]]), [0, 1])
    np.testing.assert_array_equal(M.binary_accuracy([[1, 0], [1, 1]], [[0.7, 0.2], [0.2, 0.9]]),
                                  [1.0, 0.5])
    assert M.categorical_accuracy([[0, 1]], [[0.2, 0.8]]).dtype == np.float32
    np.testing.assert_allclose(M.mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]), [0.5])
    np.testing.assert_allclose(M.mean_absolute_error([[0.0, 1.0]], [[1.0, 3.0]]), [1.5])
    np.testing.assert_allclose(M.mean_absolute_percentage_error([[2.0]], [[1.0]]), [50.0])
    np.testing.assert_allclose(M.accuracy([1, 2, 3], [1, 2, 0]), [1, 1, 0])


def test_top_k_counts_ties_as_in():
    scores = [[0.5, 0.5, 0.0]]
    assert M.sparse_top_k_categorical_accuracy([1], scores, k=1)[0] == 1.0
    assert M.sparse_top_k_categorical_accuracy([2], scores, k=2)[0] == 0.0
    assert M.sparse_top_k_categorical_accuracy([2], scores, k=3)[0] == 1.0
    assert M.top_k_categorical_accuracy([[0, 0, 1]], scores, k=5)[0] == 1.0
    seq = M.SparseTopKCategoricalAccuracy(k=1)
    seq.update_state(np.array([[0, 1]]), np.array([[[0.9, 0.1], [0.8, 0.2]]]))  # (N, T) labels
    assert seq.result() == 0.5


def test_sequence_outputs_average_per_sample():
    labels = np.array([[0, 1, 1], [1, 1, 1]])
    probs = np.array([[[0.9, 0.1], [0.9, 0.1], [0.1, 0.9]], [[0.1, 0.9]] * 3])
    m = M.SparseCategoricalAccuracy()
    m.update_state(labels, probs, sample_weight=[1.0, 3.0])
    assert m.result() == pytest.approx((2 / 3 * 1 + 1.0 * 3) / 4)


def test_precision_recall_multiple_thresholds_and_weights():
    p = M.Precision(thresholds=[0.3, 0.7])
    assert p([0, 1, 1], [0.5, 0.6, 0.9]) == [pytest.approx(2 / 3), 1.0]
    r = M.Recall(thresholds=[0.3, 0.7])
    r.update_state([0, 1, 1], [0.5, 0.6, 0.9], sample_weight=[1.0, 3.0, 1.0])
    assert r.result() == [1.0, pytest.approx(0.25)]


def test_against_scikit_learn():
    sk = pytest.importorskip("sklearn.metrics", reason="scikit-learn gives reference values")
    r = _rng(7)
    y = (r.random(500) > 0.4).astype(int)
    scores = np.clip(y * 0.3 + r.random(500) * 0.7, 0, 1)
    w = r.random(500)
    predicted = (scores > 0.5).astype(int)
    for cls, ref in ((M.Precision, sk.precision_score), (M.Recall, sk.recall_score)):
        m = cls()
        m.update_state(y[:200], scores[:200], sample_weight=w[:200])
        m.update_state(y[200:], scores[200:], sample_weight=w[200:])
        assert m.result() == pytest.approx(ref(y, predicted, sample_weight=w))
    auc = M.AUC(num_thresholds=1000)
    auc.update_state(y[:100], scores[:100])
    auc.update_state(y[100:], scores[100:])
    assert auc.result() == pytest.approx(sk.roc_auc_score(y, scores), abs=2e-3)
    pr = M.AUC(curve="PR", num_thresholds=1000)
    pr.update_state(y, scores)
    assert pr.result() == pytest.approx(sk.average_precision_score(y, scores), abs=0.02)
    minoring = M.AUC(summation_method="minoring", num_thresholds=1000)
    minoring.update_state(y, scores)
    assert minoring.result() <= auc.result() + 1e-12


def test_auc_multi_label_and_logits():
    r = _rng(8)
    y = (r.random((200, 2)) > 0.5).astype(int)
    logits = y * 1.5 + r.normal(size=(200, 2))
    multi = M.AUC(multi_label=True, from_logits=True, num_thresholds=500)
    multi.update_state(y, logits)
    singles = []
    for column in range(2):
        single = M.AUC(from_logits=True, num_thresholds=500)
        single.update_state(y[:, column], logits[:, column])
        singles.append(single.result())
    assert multi.result() == pytest.approx(np.mean(singles))
    weighted = M.AUC(multi_label=True, from_logits=True, num_thresholds=500,
                     label_weights=[1.0, 0.0])
    weighted.update_state(y, logits)
    assert weighted.result() == pytest.approx(singles[0])
    with pytest.raises(ValueError, match="number of labels changed from 2 to 3"):
        multi.update_state(np.zeros((4, 3)), np.zeros((4, 3)))


# -- accuracy resolution (Keras 3's compile) -----------------------------------------------------

RESOLUTION = [
    # loss, y_true shape, y_pred shape, expected class
    ("sparse_categorical_crossentropy", (32,), (32, 3), M.SparseCategoricalAccuracy),
    ("sparse_categorical_crossentropy", (32, 1), (32, 3), M.SparseCategoricalAccuracy),
    ("categorical_crossentropy", (32, 3), (32, 3), M.CategoricalAccuracy),
    ("binary_crossentropy", (32, 1), (32, 1), M.BinaryAccuracy),
    ("binary_crossentropy", (32,), (32, 1), M.BinaryAccuracy),
    ("binary_crossentropy", (32, 5), (32, 5), M.CategoricalAccuracy),  # Keras 3: shapes decide
    ("mse", (32,), (32, 3), M.SparseCategoricalAccuracy),
    (None, (8, 10), (8, 10, 4), M.SparseCategoricalAccuracy),  # per-timestep labels
    (None, (8,), (8,), M.BinaryAccuracy),  # one score per sample
    ("binary_crossentropy", None, None, M.BinaryAccuracy),  # shapes unknown: the loss decides
    ("sparse_categorical_crossentropy", None, None, M.SparseCategoricalAccuracy),
    ("categorical_crossentropy", None, None, M.CategoricalAccuracy),
]


@pytest.mark.parametrize("loss, true_shape, pred_shape, expected", RESOLUTION)
@pytest.mark.parametrize("name", ["accuracy", "acc"])
def test_resolve_accuracy(loss, true_shape, pred_shape, expected, name):
    metric = M.resolve_accuracy(loss, true_shape, pred_shape, name=name)
    assert type(metric) is expected and metric.name == name


def test_resolve_accuracy_with_loss_objects():
    import deepgrad.losses as L

    assert type(M.resolve_accuracy(L.BinaryCrossentropy(), None, None)) is M.BinaryAccuracy
    assert type(M.resolve_accuracy(L.sparse_categorical_crossentropy, None, None)) is \
        M.SparseCategoricalAccuracy
    assert M.is_accuracy("Accuracy") and M.is_accuracy("acc") and not M.is_accuracy(M.Accuracy)


# -- get() and names -----------------------------------------------------------------------------

GET_TABLE = {
    "mse": M.MeanSquaredError, "MSE": M.MeanSquaredError, "mae": M.MeanAbsoluteError,
    "mape": M.MeanAbsolutePercentageError, "msle": M.MeanSquaredLogarithmicError,
    "mean_squared_error": M.MeanSquaredError, "root_mean_squared_error": M.RootMeanSquaredError,
    "binary_accuracy": M.BinaryAccuracy, "categorical_accuracy": M.CategoricalAccuracy,
    "sparse_categorical_accuracy": M.SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": M.TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": M.SparseTopKCategoricalAccuracy,
    "binary_crossentropy": M.BinaryCrossentropy, "bce": M.BinaryCrossentropy,
    "categorical_crossentropy": M.CategoricalCrossentropy,
    "sparse_categorical_crossentropy": M.SparseCategoricalCrossentropy,
    "kl_divergence": M.KLDivergence, "precision": M.Precision, "recall": M.Recall,
    "auc": M.AUC, "AUC": M.AUC, "Precision": M.Precision, "mean": M.Mean, "sum": M.Sum,
    "true_positives": M.TruePositives, "SparseCategoricalAccuracy": M.SparseCategoricalAccuracy,
}


@pytest.mark.parametrize("name, cls", sorted(GET_TABLE.items()))
def test_get_names_the_metric_as_keras_history_does(name, cls):
    metric = M.get(name)
    assert type(metric) is cls and metric.name == name


def test_get_other_identifiers():
    assert M.get(M.SparseCategoricalAccuracy).name == "sparse_categorical_accuracy"
    assert M.get(M.RootMeanSquaredError).name == "root_mean_squared_error"
    m = M.Precision(name="p")
    assert M.get(m) is m and M.get(None) is None
    assert type(M.get(M.sparse_categorical_accuracy)) is M.SparseCategoricalAccuracy
    assert M.get(M.sparse_categorical_accuracy).name == "sparse_categorical_accuracy"

    def my_metric(y_true, y_pred):
        return np.zeros(len(y_true))

    wrapped = M.get(my_metric)
    assert isinstance(wrapped, M.MeanMetricWrapper) and wrapped.name == "my_metric"
    got = M.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.8}})
    assert isinstance(got, M.BinaryAccuracy) and got.threshold == 0.8
    assert M.Accuracy().name == "accuracy"


def test_get_errors():
    with pytest.raises(ValueError, match=r"'accuracy' is resolved from the shapes.*"
                                         r"resolve_accuracy"):
        M.get("accuracy")
    with pytest.raises(ValueError, match=r"'acc' is resolved from the shapes"):
        M.get("acc")
    with pytest.raises(ValueError, match=r"Unknown metric: 'acuracy'\. Valid names: .*accuracy.*"
                                         r"mse.*sparse_categorical_accuracy"):
        M.get("acuracy")
    with pytest.raises(TypeError, match="metrics.get: `identifier` must be"):
        M.get(1)
    with pytest.raises(ValueError, match="expected a dict with 'class_name'"):
        M.deserialize("mse")
    with pytest.raises(ValueError, match="Unknown metric: 'Nope'"):
        M.deserialize({"class_name": "Nope"})
    with pytest.raises(TypeError, match="only built-in Metric classes"):
        M.serialize(M.MeanMetricWrapper(np.abs))
    with pytest.raises(TypeError, match="`fn` must be callable"):
        M.MeanMetricWrapper(2)


_REQUIRED = {M.PrecisionAtRecall: {"recall": 0.5}, M.RecallAtPrecision: {"precision": 0.5},
             M.SensitivityAtSpecificity: {"specificity": 0.5},
             M.SpecificityAtSensitivity: {"sensitivity": 0.5},
             M.IoU: {"num_classes": 3, "target_class_ids": [1]}, M.MeanIoU: {"num_classes": 3},
             M.OneHotIoU: {"num_classes": 3, "target_class_ids": [0]},
             M.OneHotMeanIoU: {"num_classes": 2}}


@pytest.mark.parametrize("cls", M._CLASSES)
def test_config_round_trip(cls):
    metric = cls(name="custom", **_REQUIRED.get(cls, {}))
    rebuilt = M.deserialize(M.serialize(metric))
    assert type(rebuilt) is cls and rebuilt.get_config() == metric.get_config()
    assert rebuilt.name == "custom"
    assert "custom" in repr(metric)


def test_specific_configs():
    assert M.BinaryAccuracy(threshold=0.7).get_config() == {
        "name": "binary_accuracy", "dtype": "float32", "threshold": 0.7}
    assert M.TopKCategoricalAccuracy(k=3).get_config()["k"] == 3
    assert M.Precision(thresholds=[0.2, 0.4], class_id=1).get_config()["thresholds"] == [0.2, 0.4]
    assert M.AUC(thresholds=[0.25, 0.75]).get_config()["thresholds"] == [0.25, 0.75]
    assert M.AUC(thresholds=[0.25, 0.75]).num_thresholds == 4


# -- bad input ---------------------------------------------------------------------------------

def test_one_hot_labels_with_sparse_accuracy():
    with pytest.raises(ValueError, match=r"sparse_categorical_accuracy: expected integer labels of "
                                         r"shape \(2,\).*one-hot encoded.*categorical_accuracy"):
        M.SparseCategoricalAccuracy().update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.6, 0.4]])
    with pytest.raises(ValueError, match=r"sparse_top_k_categorical_accuracy: expected integer"):
        M.SparseTopKCategoricalAccuracy().update_state([[0, 1]], [[0.2, 0.8]])


@pytest.mark.parametrize("labels", [[0, 1], [[0], [1]]])
def test_integer_labels_with_categorical_accuracy(labels):
    with pytest.raises(ValueError, match=r"categorical_accuracy: expected one-hot y_true of shape "
                                         r"\(2, 3\).*integer class labels.*to_categorical"):
        M.CategoricalAccuracy().update_state(labels, [[0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])


def test_shape_and_value_errors():
    with pytest.raises(ValueError, match=r"mean_squared_error: expected y_true with the shape of "
                                         r"y_pred \(2, 1\).*y_true.shape=\(2, 3\)"):
        M.MeanSquaredError().update_state(np.ones((2, 3)), np.ones((2, 1)))
    with pytest.raises(ValueError, match=r"binary_accuracy: .*sparse_categorical_accuracy"):
        M.BinaryAccuracy().update_state([0, 2], [[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]])
    with pytest.raises(ValueError, match=r"sparse_categorical_accuracy: `sample_weight` must have "
                                         r"one weight per sample.*\(3,\)"):
        M.SparseCategoricalAccuracy().update_state([0, 1], [[0.9, 0.1], [0.2, 0.8]],
                                                   sample_weight=[1, 2, 3])
    with pytest.raises(ValueError, match=r"precision: `sample_weight` must have one weight"):
        M.Precision().update_state([0, 1], [0.2, 0.8], sample_weight=[1, 2, 3])
    with pytest.raises(ValueError, match=r"labels must be in \[0, 1\] for 2 classes.*\[5\]"):
        M.SparseTopKCategoricalAccuracy(k=1).update_state([5], [[0.2, 0.8]])
    with pytest.raises(ValueError, match=r"BinaryAccuracy: `threshold` must be in \(0, 1\)"):
        M.BinaryAccuracy(threshold=1.5)
    with pytest.raises(ValueError, match=r"Precision: `thresholds` must be in \[0, 1\]"):
        M.Precision(thresholds=[0.5, 2.0])
    with pytest.raises(ValueError, match=r"AUC: `num_thresholds` must be an int > 1"):
        M.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"AUC: `curve` must be 'ROC', 'PR' or 'PRGAIN'"):
        M.AUC(curve="DET")
    with pytest.raises(ValueError, match=r"AUC: `summation_method` must be"):
        M.AUC(summation_method="simpson")
    with pytest.raises(ValueError, match=r"with multi_label=True, y_pred must be 2-D"):
        M.AUC(multi_label=True).update_state(np.zeros(3), np.zeros(3))


def test_base_class_is_abstract():
    m = M.Metric(name="base")
    for call in (m.result, m.reset_state, lambda: m.update_state([1], [1])):
        with pytest.raises(NotImplementedError):
            call()


def test_sparse_top_k_from_sorted_ids_as_keras():
    # issue 12 item 11: y_pred holds ids sorted best first; Keras 3.15 gives 0.5 here
    m = M.SparseTopKCategoricalAccuracy(k=1, from_sorted_ids=True)
    m.update_state([2, 1], [[2, 0], [0, 1]])
    assert m.result() == 0.5
    assert m.get_config() == {"name": "sparse_top_k_categorical_accuracy", "dtype": "float32",
                              "k": 1, "from_sorted_ids": True}
    assert "from_sorted_ids" not in M.SparseTopKCategoricalAccuracy(k=2).get_config()
    again = M.SparseTopKCategoricalAccuracy.from_config(m.get_config())
    again.update_state([[3], [7]], [[3, 1, 2], [1, 2, 7]])
    assert again.result() == 0.5
    np.testing.assert_array_equal(
        M.sparse_top_k_categorical_accuracy([5, 6], [[6, 5], [6, 5]], k=2,
                                            from_sorted_ids=True), [1.0, 1.0])
