"""IoU metrics against ``sklearn.metrics.jaccard_score`` and the correlation metrics
against NumPy/SciPy, streamed in small batches and in one; configs, names, errors, and
use in ``compile``. (Keras's own values: tests/test_keras_train_parity.py.)

Tolerances: the IoUs carry Keras's epsilon (1e-7) in two divisions (rel 1e-6)."""

import json

import numpy as np
import pytest
from sklearn import metrics as sk

import deepgrad as dg
import deepgrad.metrics as M


def _stream(metric, y_true, y_pred, sample_weight=None, batch=7):
    for start in range(0, len(y_true), batch):
        part = slice(start, start + batch)
        metric.update_state(y_true[part], y_pred[part],
                            sample_weight=None if sample_weight is None else sample_weight[part])
    return metric.result()


def _labels(seed, n=60, classes=4):
    r = np.random.default_rng(seed)
    y_true = r.integers(0, classes, n)
    y_pred = np.where(r.random(n) < 0.6, y_true, r.integers(0, classes, n))
    return y_true, y_pred, r.random(n)


@pytest.mark.parametrize("weighted", [False, True])
def test_mean_iou_and_iou_equal_jaccard_score_streamed(weighted):
    y_true, y_pred, weights = _labels(0)
    weights = weights if weighted else None
    per_class = sk.jaccard_score(y_true, y_pred, average=None, sample_weight=weights)
    assert _stream(M.MeanIoU(4), y_true, y_pred, weights) == pytest.approx(
        per_class.mean(), rel=1e-6)
    assert _stream(M.IoU(4, [1, 3]), y_true, y_pred, weights) == pytest.approx(
        per_class[[1, 3]].mean(), rel=1e-6)
    whole = M.MeanIoU(4)
    whole.update_state(y_true, y_pred, sample_weight=weights)
    assert whole.result() == pytest.approx(_stream(M.MeanIoU(4), y_true, y_pred, weights),
                                           rel=1e-12)


def test_classes_never_seen_do_not_count_and_ignore_class_is_left_out():
    y_true = np.array([0, 0, 1, 1, 9, 2])  # 9: out of range, dropped
    y_pred = np.array([0, 1, 1, 1, 0, 7])  # 7: out of range, dropped
    m = M.MeanIoU(num_classes=4)
    m.update_state(y_true, y_pred)
    # seen: class 0 (1/2) and class 1 (2/3); 2 and 3 never appear once the pairs are dropped
    assert m.result() == pytest.approx((1 / 2 + 2 / 3) / 2, rel=1e-6)
    ignoring = M.MeanIoU(num_classes=4, ignore_class=0)
    ignoring.update_state(y_true, y_pred)
    assert ignoring.result() == pytest.approx(1.0, rel=1e-6)  # only 1 -> 1 twice


def test_segmentation_maps_with_per_image_weights():
    r = np.random.default_rng(1)
    y_true, y_pred = r.integers(0, 3, (4, 5, 5)), r.integers(0, 3, (4, 5, 5))
    weights = np.array([1.0, 0.0, 2.0, 0.5])
    m = M.MeanIoU(3)
    m.update_state(y_true, y_pred, sample_weight=weights)
    pixel_weights = np.broadcast_to(weights[:, None, None], y_true.shape).ravel()
    expected = sk.jaccard_score(y_true.ravel(), y_pred.ravel(), average=None,
                                sample_weight=pixel_weights).mean()
    assert m.result() == pytest.approx(expected, rel=1e-6)


def test_one_hot_and_dense_predictions_take_the_argmax():
    r = np.random.default_rng(2)
    y_true = r.integers(0, 3, 20)
    scores = r.random((20, 3))
    dense = M.OneHotMeanIoU(3)
    dense.update_state(np.eye(3)[y_true], scores)
    expected = sk.jaccard_score(y_true, scores.argmax(-1), average=None).mean()
    assert dense.result() == pytest.approx(expected, rel=1e-6)
    one = M.OneHotIoU(3, [2], sparse_y_pred=True)
    one.update_state(np.eye(3)[y_true], scores.argmax(-1))
    assert one.result() == pytest.approx(
        sk.jaccard_score(y_true, scores.argmax(-1), average=None)[2], rel=1e-6)


def test_binary_iou_thresholds_predictions():
    r = np.random.default_rng(3)
    y_true, scores = r.integers(0, 2, 40), r.random(40)
    for threshold in (0.3, 0.5):
        m = M.BinaryIoU(threshold=threshold)
        result = _stream(m, y_true, scores)
        expected = sk.jaccard_score(y_true, scores >= threshold, average=None).mean()
        assert result == pytest.approx(expected, rel=1e-6)


def test_iou_errors():
    with pytest.raises(ValueError, match="`target_class_ids` must be class ids in \\[0, 3\\)"):
        M.IoU(3, [3])
    with pytest.raises(ValueError, match="`num_classes` must be a positive int"):
        M.MeanIoU(0)
    with pytest.raises(ValueError, match="one prediction per label"):
        M.MeanIoU(3).update_state([0, 1], [0, 1, 2])
    with pytest.raises(ValueError, match="`sample_weight` must be a scalar"):
        M.MeanIoU(3).update_state([0, 1], [0, 1], sample_weight=[1.0, 2.0, 3.0])


def _pairs(seed, n=30, d=5):
    r = np.random.default_rng(seed)
    y_true = r.normal(size=(n, d))
    return y_true, 0.6 * y_true + r.normal(size=(n, d)), r.random(n)


@pytest.mark.parametrize("weighted", [False, True])
def test_correlations_and_cosine_are_weighted_means_of_per_sample_values(weighted):
    y_true, y_pred, weights = _pairs(4)
    weights = weights if weighted else np.ones(len(y_true))
    pearson = np.array([np.corrcoef(a, b)[0, 1] for a, b in zip(y_true, y_pred)])
    mean_t, mean_p = y_true.mean(1), y_pred.mean(1)
    covariance = ((y_true - mean_t[:, None]) * (y_pred - mean_p[:, None])).mean(1)
    concordance = 2 * covariance / (y_true.var(1) + y_pred.var(1) + (mean_t - mean_p) ** 2)
    cosine = (y_true * y_pred).sum(1) / np.linalg.norm(y_true, axis=1) / np.linalg.norm(
        y_pred, axis=1)
    for metric, values in ((M.PearsonCorrelation(), pearson),
                           (M.ConcordanceCorrelation(), concordance),
                           (M.CosineSimilarity(), cosine)):
        expected = np.average(values, weights=weights)
        got = _stream(metric, y_true, y_pred, weights if weighted else None)
        assert got == pytest.approx(expected, rel=1e-6), metric.name


def test_pearson_of_a_constant_sample_is_nan_as_in_keras():
    assert np.isnan(M.pearson_correlation([[1.0, 1.0, 1.0]], [[1.0, 2.0, 3.0]])[0])


NEW = [
    (M.IoU, {"num_classes": 3, "target_class_ids": [0, 2], "ignore_class": 1}),
    (M.MeanIoU, {"num_classes": 5, "sparse_y_pred": False}),
    (M.BinaryIoU, {"target_class_ids": [1], "threshold": 0.2}),
    (M.OneHotIoU, {"num_classes": 4, "target_class_ids": [3]}),
    (M.OneHotMeanIoU, {"num_classes": 2, "axis": 1}),
    (M.CosineSimilarity, {"axis": 1}),
    (M.PearsonCorrelation, {"name": "r"}),
    (M.ConcordanceCorrelation, {}),
]


@pytest.mark.parametrize("cls, kwargs", NEW, ids=lambda v: getattr(v, "__name__", ""))
def test_config_round_trips_through_json(cls, kwargs):
    metric = cls(**kwargs)
    again = M.deserialize(json.loads(json.dumps(M.serialize(metric))))
    assert type(again) is cls and again.get_config() == metric.get_config()


def test_keras_names():
    assert [M.IoU(2, [0]).name, M.MeanIoU(2).name, M.BinaryIoU().name,
            M.OneHotIoU(2, [0]).name, M.OneHotMeanIoU(2).name] == [
        "io_u", "mean_io_u", "binary_io_u", "one_hot_io_u", "one_hot_mean_io_u"]
    assert type(M.get("pearson_correlation")) is M.PearsonCorrelation
    assert type(M.get(M.concordance_correlation)) is M.ConcordanceCorrelation
    assert type(M.get("cosine_similarity")) is M.CosineSimilarity


def test_mean_iou_in_compile_reports_the_epoch_value():
    r = np.random.default_rng(5)
    x = r.normal(size=(64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    model = dg.Sequential([dg.Input((4,)), dg.layers.Dense(3, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy",
                  metrics=[M.MeanIoU(3, sparse_y_pred=False)])
    logs = model.evaluate(x, y, batch_size=16, return_dict=True, verbose=0)
    expected = sk.jaccard_score(y, model.predict(x, verbose=0).argmax(-1), average=None,
                                labels=[0, 1, 2], zero_division=0)
    seen = np.isin([0, 1, 2], np.concatenate([y, model.predict(x, verbose=0).argmax(-1)]))
    assert logs["mean_io_u"] == pytest.approx(expected[seen].mean(), rel=1e-5)
