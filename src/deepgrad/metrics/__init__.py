"""Stateful metrics with Keras 3 names, accumulated over a whole epoch.

:func:`get` turns what ``compile(metrics=[...])`` accepts into a :class:`Metric` named
the way Keras names it in ``History`` (``"mse"`` stays ``"mse"``, a class gets its
default name). ``"accuracy"`` / ``"acc"`` depend on the shapes of the labels and the
predictions; ``compile`` resolves them with :func:`resolve_accuracy`, as Keras 3 does.

>>> import numpy as np
>>> import deepgrad as dg
>>> acc = dg.metrics.resolve_accuracy("sparse_categorical_crossentropy", (32,), (32, 3))
>>> type(acc).__name__, acc.name
('SparseCategoricalAccuracy', 'accuracy')
>>> acc.update_state(np.array([0, 1]), np.array([[0.9, 0.1, 0.0], [0.8, 0.1, 0.1]]))
>>> acc.result()
0.5
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from deepgrad import registry
from deepgrad.losses.focal import binary_focal_crossentropy, categorical_focal_crossentropy
from deepgrad.losses.functions import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from deepgrad.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from deepgrad.metrics.auc_metrics import AUC
from deepgrad.metrics.base import Mean, MeanMetricWrapper, Metric, Sum
from deepgrad.metrics.confusion_metrics import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from deepgrad.metrics.correlation_metrics import (
    ConcordanceCorrelation,
    CosineSimilarity,
    PearsonCorrelation,
    concordance_correlation,
    cosine_similarity,
    pearson_correlation,
)
from deepgrad.metrics.f_score_metrics import F1Score, FBetaScore
from deepgrad.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from deepgrad.metrics.loss_metrics import (
    CategoricalHinge,
    Hinge,
    LogCoshError,
    Poisson,
    SquaredHinge,
)
from deepgrad.metrics.operating_point_metrics import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from deepgrad.metrics.regression_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)

__all__ = [
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "KLDivergence", "Precision", "Recall", "TruePositives", "FalsePositives", "TrueNegatives",
    "FalseNegatives", "AUC", "PrecisionAtRecall", "RecallAtPrecision",
    "SensitivityAtSpecificity", "SpecificityAtSensitivity", "FBetaScore", "F1Score", "R2Score",
    "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU", "CosineSimilarity",
    "PearsonCorrelation", "ConcordanceCorrelation", "cosine_similarity", "pearson_correlation",
    "concordance_correlation", "Hinge", "SquaredHinge", "CategoricalHinge", "Poisson",
    "LogCoshError", "binary_crossentropy", "binary_focal_crossentropy",
    "categorical_crossentropy", "categorical_focal_crossentropy", "sparse_categorical_crossentropy",
    "hinge", "squared_hinge", "categorical_hinge", "huber", "kl_divergence", "log_cosh",
    "poisson", "accuracy", "binary_accuracy", "categorical_accuracy",
    "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "mean_squared_error", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "get",
    "resolve_accuracy", "is_accuracy", "serialize", "deserialize",
]

_CLASSES: tuple[type[Metric], ...] = (
    Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    RootMeanSquaredError, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, KLDivergence, Precision, Recall, TruePositives,
    FalsePositives, TrueNegatives, FalseNegatives, AUC, PrecisionAtRecall, RecallAtPrecision,
    SensitivityAtSpecificity, SpecificityAtSensitivity, FBetaScore, F1Score, R2Score,
    IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU, CosineSimilarity, PearsonCorrelation,
    ConcordanceCorrelation, Hinge, SquaredHinge, CategoricalHinge, Poisson, LogCoshError,
)

# One explicit table: Keras's class names, their snake_case names and Keras's aliases.
_REGISTRY: dict[str, type[Metric]] = {cls.__name__: cls for cls in _CLASSES}
_REGISTRY.update({
    "mean": Mean, "sum": Sum,
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "MAE": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    "root_mean_squared_error": RootMeanSquaredError,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "BCE": BinaryCrossentropy, "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kl_divergence": KLDivergence, "precision": Precision, "recall": Recall,
    "true_positives": TruePositives, "false_positives": FalsePositives,
    "true_negatives": TrueNegatives, "false_negatives": FalseNegatives, "auc": AUC,
    "precision_at_recall": PrecisionAtRecall, "recall_at_precision": RecallAtPrecision,
    "sensitivity_at_specificity": SensitivityAtSpecificity,
    "specificity_at_sensitivity": SpecificityAtSensitivity, "f_beta_score": FBetaScore,
    "f1_score": F1Score, "r2_score": R2Score,
    # Keras's snake_case names of the IoU classes, as its to_snake_case spells them.
    "io_u": IoU, "mean_io_u": MeanIoU, "binary_io_u": BinaryIoU, "one_hot_io_u": OneHotIoU,
    "one_hot_mean_io_u": OneHotMeanIoU, "cosine_similarity": CosineSimilarity,
    "pearson_correlation": PearsonCorrelation,
    "concordance_correlation": ConcordanceCorrelation,
    "hinge": Hinge, "squared_hinge": SquaredHinge, "categorical_hinge": CategoricalHinge,
    "poisson": Poisson, "log_cosh_error": LogCoshError, "logcosh": LogCoshError,
})
_ACCURACY_NAMES = ("accuracy", "acc")
_FUNCTIONS: dict[Callable, type[Metric]] = {
    binary_accuracy: BinaryAccuracy, categorical_accuracy: CategoricalAccuracy,
    sparse_categorical_accuracy: SparseCategoricalAccuracy,
    top_k_categorical_accuracy: TopKCategoricalAccuracy,
    sparse_top_k_categorical_accuracy: SparseTopKCategoricalAccuracy,
    mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    cosine_similarity: CosineSimilarity, pearson_correlation: PearsonCorrelation,
    concordance_correlation: ConcordanceCorrelation,
    # Keras's keras.metrics.<loss function> names are the loss functions themselves.
    binary_crossentropy: BinaryCrossentropy, categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    kl_divergence: KLDivergence, hinge: Hinge, squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge, poisson: Poisson, log_cosh: LogCoshError,
}


_CATALOG = registry.Catalog(
    "metrics", "metric", Metric, _REGISTRY,
    listed=(*(n for n in _REGISTRY if not n[0].isupper()), *_ACCURACY_NAMES),
    not_by_name=(MeanMetricWrapper,),
)


def is_accuracy(identifier: Any) -> bool:
    """True for the identifiers Keras resolves by shape: ``"accuracy"`` and ``"acc"``.

    >>> is_accuracy("acc"), is_accuracy("binary_accuracy")
    (True, False)
    """
    return isinstance(identifier, str) and identifier.lower() in _ACCURACY_NAMES


def get(identifier: str | dict | Metric | type | Callable | None) -> Metric | None:
    """Resolve a metric the way ``compile(metrics=[...])`` does, named as Keras names it.

    Args:
        identifier: a :class:`Metric` (returned as is); a Metric class (instantiated:
            its default name); a Keras name such as ``"mse"``, ``"binary_accuracy"`` or
            ``"AUC"`` (the metric is named after the string, as in Keras's ``History``);
            a config dict ``{"class_name": ..., "config": {...}}``; or a function
            ``fn(y_true, y_pred)`` giving per-sample values (wrapped in
            :class:`MeanMetricWrapper`, named after the function); or None.

    Returns:
        A Metric, or None.

    Raises:
        ValueError: for ``"accuracy"`` / ``"acc"``, which need the data's shapes (use
            :func:`resolve_accuracy`), and for an unknown name (the message lists the
            valid ones).
        TypeError: for anything else.

    >>> get("mse").name, type(get("mse")).__name__
    ('mse', 'MeanSquaredError')
    >>> get(SparseCategoricalAccuracy).name
    'sparse_categorical_accuracy'
    >>> get("acuracy")
    Traceback (most recent call last):
    ...
    ValueError: Unknown metric: 'acuracy'. Valid names: ...
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if is_accuracy(identifier):
            raise ValueError(
                f"metrics.get: {identifier!r} is resolved from the shapes of y_true and "
                "y_pred (binary, categorical or sparse categorical accuracy). Use "
                "metrics.resolve_accuracy(loss, y_true_shape, y_pred_shape), or name the "
                "metric explicitly, e.g. 'sparse_categorical_accuracy'."
            )
        found = _CATALOG.lookup(identifier)
        if not isinstance(found, type):
            return get(found)  # a registered Metric instance or function
        metric = found()
        metric.name = identifier
        return metric
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier) and not isinstance(identifier, type):
        cls = _FUNCTIONS.get(identifier)
        if cls is not None:
            return cls(name=identifier.__name__)
        return MeanMetricWrapper(identifier)
    raise TypeError(
        "metrics.get: `identifier` must be a Metric, a name, a config dict or a function. "
        f"Received: {identifier!r} of type {type(identifier).__name__}"
    )


def _loss_name(loss: Any) -> str:
    if loss is None:
        return ""
    if isinstance(loss, str):
        return loss
    return str(getattr(loss, "name", None) or getattr(loss, "__name__", "") or
               type(loss).__name__)


def resolve_accuracy(
    loss: Any,
    y_true_shape: Sequence[int | None] | None,
    y_pred_shape: Sequence[int | None] | None,
    name: str = "accuracy",
) -> Metric:
    """Turn ``"accuracy"`` into the right accuracy metric, as Keras 3's ``compile`` does.

    Keras 3 decides from the shapes (read from the first batch):

    ======================================================  ===========================
    condition                                               metric
    ======================================================  ===========================
    ``y_pred.shape[-1] == 1`` (one sigmoid unit)            BinaryAccuracy
    ``y_true`` has lower rank, or ``y_true.shape[-1] == 1``  SparseCategoricalAccuracy
    and ``y_pred.shape[-1] > 1`` (integer labels)
    otherwise (one-hot labels)                              CategoricalAccuracy
    ======================================================  ===========================

    A rank-1 ``y_pred`` (one score per sample) counts as binary. ``loss`` is consulted
    only when a shape is unknown (None), with tf.keras's rule: a binary or sparse
    cross-entropy gives the matching accuracy, anything else categorical.

    Args:
        loss: the compiled loss (a name, Loss object or function), or None.
        y_true_shape: shape of the labels, e.g. ``(32,)``.
        y_pred_shape: shape of the model's output, e.g. ``(32, 3)``.
        name: the metric's name, ``"accuracy"`` or ``"acc"`` as the user wrote it.

    Returns:
        A fresh accuracy metric named ``name``.

    >>> type(resolve_accuracy(None, (8, 1), (8, 1))).__name__
    'BinaryAccuracy'
    >>> type(resolve_accuracy(None, (8, 3), (8, 3))).__name__
    'CategoricalAccuracy'
    >>> type(resolve_accuracy("sparse_categorical_crossentropy", None, None)).__name__
    'SparseCategoricalAccuracy'
    """
    if y_true_shape is not None and y_pred_shape is not None:
        y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
        last_pred = y_pred_shape[-1] if y_pred_shape else 1
        last_true = y_true_shape[-1] if y_true_shape else 1
        if len(y_pred_shape) <= 1 or last_pred == 1:
            return BinaryAccuracy(name=name)
        if len(y_true_shape) < len(y_pred_shape) or (last_true == 1 and last_pred != 1):
            return SparseCategoricalAccuracy(name=name)
        return CategoricalAccuracy(name=name)
    loss_name = _loss_name(loss).lower().replace("_", "")
    if loss_name in ("binarycrossentropy", "bce"):
        return BinaryAccuracy(name=name)
    if loss_name == "sparsecategoricalcrossentropy":
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def serialize(metric: Metric) -> dict[str, Any]:
    """Return ``{"class_name": ..., "config": ...}`` for a metric, as Keras stores it (a
    registered class is named ``"Package>Name"``).

    Raises:
        TypeError: for anything but a Metric, or a :class:`MeanMetricWrapper` (its
            function cannot be saved by name).

    >>> serialize(BinaryAccuracy(threshold=0.7))["config"]["threshold"]
    0.7
    """
    return _CATALOG.serialize(metric)


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None
                ) -> Metric:
    """Inverse of :func:`serialize`; ``custom_objects`` maps names to your own classes.

    Raises:
        ValueError: for an unknown class name or a malformed dict.

    >>> deserialize(serialize(Precision(thresholds=0.3))).thresholds.tolist()
    [0.3]
    """
    return _CATALOG.deserialize(config, custom_objects)
