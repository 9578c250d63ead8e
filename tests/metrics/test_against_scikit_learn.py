"""The classification and regression metrics against ``sklearn.metrics`` on the same
predictions, fed in many small batches (streaming) and in one.

Tolerances: counts, precision, recall, R² and the operating points are exact (1e-12);
F-scores carry Keras's epsilon (1e-7) in each division (rel 1e-6); AUC is exact when the
predictions lie on its thresholds, within 1e-3 of ``roc_auc_score`` for spread-out scores
with 1,000 thresholds (pairs inside one bucket count as ties), and PR-AUC interpolates
(Davis & Goadrich) where ``average_precision_score`` sums steps (within 0.02).
"""

import numpy as np
import pytest
from sklearn import metrics as sk

import deepgrad.metrics as M

EXACT = {"rel": 1e-12, "abs": 1e-12}


def _stream(metric, y_true, y_pred, sample_weight=None, batch=7):
    """Feed the metric in batches of ``batch`` (the last one shorter)."""
    for start in range(0, len(y_true), batch):
        part = slice(start, start + batch)
        metric.update_state(y_true[part], y_pred[part],
                            sample_weight=None if sample_weight is None else sample_weight[part])
    return metric.result()


def _whole(metric, y_true, y_pred, sample_weight=None):
    metric.update_state(y_true, y_pred, sample_weight=sample_weight)
    return metric.result()


@pytest.fixture(scope="module")
def binary():
    rng = np.random.default_rng(0)
    y = (rng.random(600) < 0.4).astype(int)
    scores = np.clip(0.35 * y + 0.65 * rng.random(600), 0, 1).astype(np.float32)
    return y, scores, rng.random(600)


@pytest.fixture(scope="module")
def on_grid():
    """Scores on the thresholds of 101 (AUC: 0 ... 1 step 0.01), never exactly 0."""
    rng = np.random.default_rng(1)
    y = (rng.random(500) < 0.5).astype(int)
    steps = np.clip(np.round(100 * (0.3 * y + 0.7 * rng.random(500))), 1, 100)
    return y, steps / 100, rng.random(500)


@pytest.mark.parametrize("weighted", [False, True])
def test_counts_precision_recall(binary, weighted):
    y, scores, w = binary
    w = w if weighted else None
    predicted = (scores > 0.5).astype(int)
    tn, fp, fn, tp = sk.confusion_matrix(y, predicted, sample_weight=w).ravel()
    for cls, expected in ((M.TruePositives, tp), (M.FalsePositives, fp),
                          (M.TrueNegatives, tn), (M.FalseNegatives, fn),
                          (M.Precision, sk.precision_score(y, predicted, sample_weight=w)),
                          (M.Recall, sk.recall_score(y, predicted, sample_weight=w))):
        assert _stream(cls(), y, scores, w) == pytest.approx(expected, **EXACT), cls.__name__
        assert _whole(cls(), y, scores, w) == pytest.approx(expected, **EXACT), cls.__name__


def test_precision_recall_at_several_thresholds_and_per_class():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, 300)
    onehot = np.eye(3)[labels]
    probs = rng.dirichlet(np.ones(3), 300) * 0.6 + onehot * 0.4
    thresholds = [0.7, 0.3, 0.5]  # any order: results follow it
    got = _stream(M.Precision(thresholds=thresholds), onehot, probs)
    for t, value in zip(thresholds, got, strict=True):
        expected = sk.precision_score(onehot.ravel(), (probs > t).ravel().astype(int))
        assert value == pytest.approx(expected, **EXACT)  # pooled entries = micro average
    for c in range(3):
        expected = sk.recall_score(labels == c, probs[:, c] > 0.5)
        assert _stream(M.Recall(class_id=c), onehot, probs) == pytest.approx(expected, **EXACT)
    top1 = (probs == probs.max(1, keepdims=True)).astype(int)
    expected = sk.precision_score(onehot, top1, average="micro")
    assert _stream(M.Precision(top_k=1), onehot, probs) == pytest.approx(expected, **EXACT)


@pytest.mark.parametrize("weighted", [False, True])
def test_roc_auc_exact_on_the_thresholds(on_grid, weighted):
    y, scores, w = on_grid
    w = w if weighted else None
    expected = sk.roc_auc_score(y, scores, sample_weight=w)
    assert _stream(M.AUC(num_thresholds=101), y, scores, w) == pytest.approx(expected, **EXACT)


def test_roc_auc_and_pr_auc_on_spread_out_scores(binary):
    y, scores, w = binary
    roc = _stream(M.AUC(num_thresholds=1000), y, scores, w)
    assert roc == pytest.approx(sk.roc_auc_score(y, scores, sample_weight=w), abs=1e-3)
    assert roc == pytest.approx(_whole(M.AUC(num_thresholds=1000), y, scores, w), **EXACT)
    pr = _stream(M.AUC(curve="PR", num_thresholds=1000), y, scores)
    assert pr == pytest.approx(sk.average_precision_score(y, scores), abs=0.02)
    under = _stream(M.AUC(curve="PR", summation_method="minoring", num_thresholds=1000), y, scores)
    over = _stream(M.AUC(curve="PR", summation_method="majoring", num_thresholds=1000), y, scores)
    assert under <= pr <= over


def test_auc_multi_label_from_logits_and_micro(on_grid):
    rng = np.random.default_rng(3)
    Y = (rng.random((400, 3)) < 0.5).astype(int)
    logits = 2.0 * Y + rng.normal(size=(400, 3))
    multi = _stream(M.AUC(multi_label=True, from_logits=True, num_thresholds=2000), Y, logits)
    assert multi == pytest.approx(sk.roc_auc_score(Y, logits, average="macro"), abs=1e-3)
    pooled = _stream(M.AUC(from_logits=True, num_thresholds=2000), Y, logits)
    assert pooled == pytest.approx(sk.roc_auc_score(Y, logits, average="micro"), abs=1e-3)


def _roc_points(y, scores):
    fpr, tpr, _ = sk.roc_curve(y, scores, drop_intermediate=False)
    return 1 - fpr, tpr


def test_operating_points_exact_on_the_thresholds(on_grid):
    y, scores, _ = on_grid
    specificity, sensitivity = _roc_points(y, scores)
    precision, recall, _ = sk.precision_recall_curve(y, scores)
    precision, recall = precision[:-1], recall[:-1]  # drop scikit-learn's (1, 0) end point
    for value in (0.3, 0.6, 0.9):
        cases = (
            (M.SensitivityAtSpecificity(value, num_thresholds=101),
             sensitivity[specificity >= value].max()),
            (M.SpecificityAtSensitivity(value, num_thresholds=101),
             specificity[sensitivity >= value].max()),
            (M.PrecisionAtRecall(value, num_thresholds=101), precision[recall >= value].max()),
            (M.RecallAtPrecision(value, num_thresholds=101), recall[precision >= value].max()),
        )
        for metric, expected in cases:
            assert _stream(metric, y, scores) == pytest.approx(expected, **EXACT), metric.name


def test_recall_at_an_unreachable_precision_is_zero():
    assert M.RecallAtPrecision(1.0)([0, 1, 0, 1], [0.9, 0.8, 0.7, 0.6]) == 0.0


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0])
def test_fbeta_multiclass_and_multilabel(average, beta):
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 4, 300)
    onehot = np.eye(4)[labels]
    probs = rng.dirichlet(np.ones(4), 300) + 0.5 * onehot
    w = rng.random(300)
    expected = sk.fbeta_score(labels, probs.argmax(1), beta=beta, average=average,
                              sample_weight=w)
    got = _stream(M.FBetaScore(average=average, beta=beta), onehot, probs, w)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    Y = (rng.random((300, 3)) < 0.4).astype(int)
    scores = np.clip(0.4 * Y + 0.6 * rng.random((300, 3)), 0, 1)
    expected = sk.fbeta_score(Y, (scores > 0.5).astype(int), beta=beta, average=average)
    got = _stream(M.FBetaScore(average=average, beta=beta, threshold=0.5), Y, scores)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    if beta == 1.0:
        f1 = _stream(M.F1Score(average=average, threshold=0.5), Y, scores)
        np.testing.assert_allclose(f1, sk.f1_score(Y, (scores > 0.5).astype(int),
                                                   average=average), rtol=1e-6)


@pytest.mark.parametrize("aggregation, multioutput", [
    ("uniform_average", "uniform_average"), ("variance_weighted_average", "variance_weighted"),
    (None, "raw_values")])
def test_r2_score(aggregation, multioutput):
    rng = np.random.default_rng(5)
    y = rng.normal(size=(500, 3)) * [1.0, 10.0, 0.1] + 1e4  # a large offset: needs care
    pred = y + rng.normal(size=(500, 3)) * [0.5, 3.0, 0.05]
    w = rng.random(500)
    expected = sk.r2_score(y, pred, sample_weight=w, multioutput=multioutput)
    got = _stream(M.R2Score(class_aggregation=aggregation), y, pred, w)
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    np.testing.assert_allclose(_whole(M.R2Score(class_aggregation=aggregation), y, pred, w),
                               expected, rtol=1e-9)


def test_r2_score_one_output_adjusted_and_constant_target():
    rng = np.random.default_rng(6)
    y = rng.normal(size=100)
    pred = y + 0.3 * rng.normal(size=100)
    r2 = sk.r2_score(y, pred)
    assert _stream(M.R2Score(), y, pred) == pytest.approx(r2, rel=1e-12)
    adjusted = 1 - (1 - r2) * 99 / (99 - 5)
    assert _stream(M.R2Score(num_regressors=5), y, pred) == pytest.approx(adjusted, rel=1e-12)
    constant = np.ones(10)
    assert M.R2Score()(constant, constant) == sk.r2_score(constant, constant) == 1.0
    assert M.R2Score()(constant, constant + 1) == sk.r2_score(constant, constant + 1) == 0.0
    with pytest.warns(UserWarning, match="more independent predictors than data points"):
        M.R2Score(num_regressors=50)(y[:10], pred[:10])


def test_keras_documented_values_of_the_new_metrics():
    y, p = [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]
    cases = [
        (M.SensitivityAtSpecificity(0.5), y, p, None, 0.5),
        (M.SensitivityAtSpecificity(0.5), y, p, [1, 1, 2, 2, 1], 0.333333),
        (M.SpecificityAtSensitivity(0.5), y, p, None, 0.66666667),
        (M.SpecificityAtSensitivity(0.5), y, p, [1, 1, 2, 2, 2], 0.5),
        (M.PrecisionAtRecall(0.5), y, p, None, 0.5),
        (M.PrecisionAtRecall(0.5), y, p, [2, 2, 2, 1, 1], 0.33333333),
        (M.RecallAtPrecision(0.8), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], None, 0.5),
        (M.RecallAtPrecision(0.8), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1], 1.0),
        (M.R2Score(), [[1], [4], [3]], [[2], [4], [4]], None, 0.57142854),
    ]
    for metric, y_true, y_pred, weights, expected in cases:
        metric.update_state(np.array(y_true), np.array(y_pred, dtype=np.float32),
                            sample_weight=weights)
        assert metric.result() == pytest.approx(expected, rel=1e-5), metric.name
    f1 = M.F1Score(threshold=0.5)
    f1.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32),
                    np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32))
    np.testing.assert_allclose(f1.result(), [0.5, 0.8, 0.6666667], rtol=1e-5)
    fbeta = M.FBetaScore(beta=2.0, threshold=0.5)
    fbeta.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32),
                       np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32))
    np.testing.assert_allclose(fbeta.result(), [0.3846154, 0.90909094, 0.8333334], rtol=1e-5)


def test_errors_name_the_metric():
    with pytest.raises(ValueError, match=r"PrecisionAtRecall: `recall` must be in the range "
                                         r"\[0, 1\]. Received: recall=1.5"):
        M.PrecisionAtRecall(1.5)
    with pytest.raises(ValueError, match="SensitivityAtSpecificity: `num_thresholds` must be"):
        M.SensitivityAtSpecificity(0.5, num_thresholds=0)
    with pytest.raises(ValueError, match=r"f1_score: expected y_true and y_pred of the same "
                                         r"shape \(samples, classes\)"):
        M.F1Score().update_state([1, 0], [0.3, 0.7])
    with pytest.raises(ValueError, match="FBetaScore: `beta` must be a number > 0"):
        M.FBetaScore(beta=0.0)
    with pytest.raises(ValueError, match="R2Score: `class_aggregation` must be one of"):
        M.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match="AUC: `num_labels` is needed only when `multi_label`"):
        M.AUC(num_labels=3)
    with pytest.raises(ValueError, match=r"recall: `class_id` must index the last axis"):
        M.Recall(class_id=3).update_state(np.eye(3), np.eye(3))
