"""A classifier's targets: labels to the model's targets and its outputs back to labels.

scikit-learn gives labels of any kind (integers, strings, booleans), a one-hot matrix or
a multilabel indicator matrix; the model wants integer codes, a one-hot matrix or a
0/1 column, depending on its loss and its output width. :class:`ClassTargets` keeps the
classes seen in ``fit`` and converts both ways. Sample and class weights are combined
here too, one weight per sample or, for several outputs, one per sample and output.

>>> t = ClassTargets("SKLearnClassifier")
>>> t.fit(np.array(["cat", "dog", "cat"])).tolist()
[0, 1, 0]
>>> t.kind, t.classes_.tolist()
('binary', ['cat', 'dog'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.utils.multiclass import type_of_target

__all__ = ["ClassTargets", "check_sample_weight", "combine_weights", "loss_facts"]


def loss_facts(model) -> tuple[bool, bool]:
    """``(sparse, from_logits)`` of a compiled model's (first) loss.

    ``sparse``: the loss takes integer class codes (sparse categorical cross-entropy);
    ``from_logits``: the model outputs logits, not probabilities.
    """
    compiled = getattr(model, "compiled_loss", None)
    losses = [fn for fn in getattr(compiled, "losses", []) if fn is not None]
    if not losses:
        return False, False
    loss = losses[0]
    names = (type(loss).__name__, getattr(loss, "name", ""),
             getattr(getattr(loss, "fn", None), "__name__", ""))
    sparse = any("sparse" in str(n).lower() for n in names)
    try:
        from_logits = bool(loss.get_config().get("from_logits", False))
    except (AttributeError, TypeError):
        from_logits = False
    return sparse, from_logits


class ClassTargets:
    """The classes of a classifier and the conversions between labels and model targets.

    ``kind`` is ``"binary"``, ``"multiclass"``, ``"one-hot"`` (a 2-D 0/1 ``y`` with exactly
    one 1 per row: predictions are one-hot rows again) or ``"multilabel"`` (any other
    0/1 indicator matrix: each column is its own yes/no output).

    Args:
        owner: the wrapper's class name, for errors.
    """

    def __init__(self, owner: str):
        self.owner = owner
        self.kind = ""
        self.classes_: np.ndarray = np.empty(0)

    @property
    def n_outputs(self) -> int:
        """1 for single-label targets, the number of columns for multilabel ones."""
        return len(self.classes_) if self.kind == "multilabel" else 1

    def fit(self, y: np.ndarray, classes: Sequence | None = None) -> np.ndarray:
        """Learn the classes from ``y`` (or take ``classes``) and return ``y``'s codes.

        Raises:
            ValueError: for continuous or unknown labels ("Unknown label type", as
                scikit-learn says), several multiclass outputs, or a single class.
        """
        kind = type_of_target(y, input_name="y")
        if kind == "multilabel-indicator":
            y = np.asarray(y)
            self.kind = "one-hot" if (y.sum(axis=1) == 1).all() and y.shape[1] > 1 else "multilabel"
            self.classes_ = np.arange(y.shape[1])
        elif kind in ("binary", "multiclass"):
            labels = np.unique(y if classes is None else np.asarray(classes))
            self.classes_ = labels
            self.kind = "binary" if len(labels) <= 2 else "multiclass"
        elif kind == "multiclass-multioutput":
            raise ValueError(
                f"{self.owner}: several multiclass outputs are not supported. Expected 1-D "
                f"labels, a one-hot matrix or a 0/1 multilabel matrix. Received: y of shape "
                f"{np.shape(y)} with more than two classes per column."
            )
        else:
            sample = np.ravel(np.asarray(y, dtype=object))[:3].tolist()
            raise ValueError(
                f"{self.owner}: Unknown label type: {kind!r}. Expected class labels "
                "(integers, strings or booleans), a one-hot matrix or a 0/1 multilabel matrix. "
                f"Received: y with values such as {sample}. For a continuous target, use "
                "SKLearnRegressor."
            )
        if self.kind in ("binary", "multiclass") and len(self.classes_) < 2:
            raise ValueError(
                f"{self.owner}: y has only one class ({self.classes_.tolist()}); a classifier "
                "needs at least two classes to train. Received: "
                f"{len(y)} samples, all labelled {self.classes_[0]!r}."
            )
        return self.encode(y)

    def encode(self, y: np.ndarray) -> np.ndarray:
        """Integer codes (single-label kinds) or a 0/1 int matrix (multilabel).

        Raises:
            ValueError: for labels not seen in ``fit`` or a different number of columns.
        """
        y = np.asarray(y)
        if self.kind in ("one-hot", "multilabel"):
            if y.ndim != 2 or y.shape[1] != len(self.classes_):
                raise ValueError(
                    f"{self.owner}: expected y with {len(self.classes_)} columns, as in fit. "
                    f"Received: y.shape={y.shape}"
                )
            return y.argmax(axis=1) if self.kind == "one-hot" else (y != 0).astype(np.int64)
        codes = np.searchsorted(self.classes_, y)
        codes = np.minimum(codes, len(self.classes_) - 1)
        unknown = self.classes_[codes] != y
        if unknown.any():
            unseen = np.unique(y[unknown])[:5].tolist()
            raise ValueError(
                f"{self.owner}: y has labels not seen in fit: {unseen}. "
                f"Expected one of {self.classes_.tolist()}. To fix, pass all classes to the "
                "first partial_fit(..., classes=...)."
            )
        return codes

    def one_hot(self, codes: np.ndarray) -> np.ndarray:
        """The one-hot (or indicator) matrix of ``codes``, float32: what Keras's wrapper
        gives the model-building function as ``y``."""
        if codes.ndim == 2:
            return codes.astype(np.float32)
        out = np.zeros((len(codes), len(self.classes_)), dtype=np.float32)
        out[np.arange(len(codes)), codes] = 1.0
        return out

    def model_target(self, codes: np.ndarray, output_shape: tuple, sparse: bool) -> np.ndarray:
        """What ``model.fit`` gets, from the model's output shape and its loss.

        Raises:
            ValueError: when the output width fits neither the classes nor the labels.
        """
        width = output_shape[-1]
        n = len(self.classes_)
        if self.kind == "multilabel":
            if width != n and not (len(output_shape) == 3 and output_shape[-2:] == (n, 1)):
                raise self._width_error(output_shape, f"{n} units, one per label")
            target = codes.astype(np.float32)
            return target[..., None] if len(output_shape) == 3 else target
        if sparse and width == n:
            return codes
        if width == 1 and n == 2 and not sparse:
            return codes.astype(np.float32)[:, None]
        if width == n and not sparse:
            return self.one_hot(codes)
        expected = f"{n} units (softmax)" + (" or 1 unit (sigmoid)" if n == 2 else "")
        raise self._width_error(output_shape, expected)

    def _width_error(self, output_shape: tuple, expected: str) -> ValueError:
        return ValueError(
            f"{self.owner}: the model's output does not fit the {len(self.classes_)} classes "
            f"of y ({self.kind}). Expected an output of {expected}. Received: output shape "
            f"{tuple(output_shape)}."
        )

    def scores(self, raw: np.ndarray, from_logits: bool) -> tuple[np.ndarray, np.ndarray]:
        """``(probabilities, decision scores)`` from the model's raw outputs, in float64.

        Binary: probabilities ``(n, 2)`` and one score per sample, positive for the second
        class (the logit). Multiclass: ``(n, classes)`` both; the scores are the logits
        (``from_logits``) or the log-probabilities. Multilabel: ``(n, labels)`` both.
        """
        raw = np.asarray(raw, dtype=np.float64).reshape(len(raw), -1)
        # Outputs outside [0, 1] from a model without from_logits (a linear output trained
        # with a probability loss) are not probabilities: they are kept as they are, with
        # scores that still agree with predict (p - 0.5 for one unit, the outputs for more).
        in_range = bool(((raw >= 0) & (raw <= 1)).all())
        with np.errstate(divide="ignore", over="ignore"):
            if self.kind == "multilabel" or raw.shape[1] == 1:
                if from_logits:
                    proba, logit = 1.0 / (1.0 + np.exp(-raw)), raw
                else:
                    proba = raw
                    logit = np.log(raw) - np.log1p(-raw) if in_range else raw - 0.5
                if self.kind == "multilabel":
                    return proba, logit
                return np.column_stack([1.0 - proba[:, 0], proba[:, 0]]), logit[:, 0]
            if from_logits:
                shifted = np.exp(raw - raw.max(axis=1, keepdims=True))
                proba, decision = shifted / shifted.sum(axis=1, keepdims=True), raw
            else:
                proba, decision = raw, np.log(raw) if in_range else raw
        if len(self.classes_) == 2:
            return proba, decision[:, 1] - decision[:, 0]
        return proba, decision

    def decode(self, proba: np.ndarray, decision: np.ndarray) -> np.ndarray:
        """Predicted labels in the form ``y`` had in ``fit``."""
        if self.kind == "multilabel":
            return (decision > 0).astype(np.int64)
        codes = (decision > 0).astype(np.int64) if decision.ndim == 1 else proba.argmax(axis=1)
        if self.kind == "one-hot":
            return self.one_hot(codes).astype(np.int64)
        return self.classes_[codes]

    def class_weights(self, class_weight: Any, codes: np.ndarray) -> np.ndarray | None:
        """Per-sample weights (per sample and label for multilabel) from ``class_weight``.

        Args:
            class_weight: None; ``"balanced"`` (``n / (classes * count)``, as
                scikit-learn); a dict from class label to weight (missing classes weigh
                1); for multilabel, a list of ``{0: w, 1: w}`` dicts, one per label.
            codes: the encoded ``y``.

        Raises:
            ValueError: for a label that is not a class or a list of the wrong length.
        """
        if class_weight is None:
            return None
        if self.kind == "multilabel":
            columns = codes.shape[1]
            if isinstance(class_weight, str):
                per = [class_weight] * columns
            elif isinstance(class_weight, Mapping) or len(class_weight) != columns:
                raise ValueError(
                    f"{self.owner}: for multilabel y, `class_weight` must be 'balanced' or a "
                    f"list of {columns} dicts {{0: weight, 1: weight}}, one per label. "
                    f"Received: class_weight={class_weight!r}"
                )
            else:
                per = list(class_weight)
            return np.column_stack([
                _weights_of(self.owner, w, codes[:, j], np.array([0, 1]), f"class_weight[{j}]")
                for j, w in enumerate(per)
            ])
        return _weights_of(self.owner, class_weight, codes, self.classes_, "class_weight")


def _weights_of(owner: str, class_weight: Any, codes: np.ndarray, classes: np.ndarray,
                what: str) -> np.ndarray:
    counts = np.bincount(codes, minlength=len(classes)).astype(np.float64)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(
                f"{owner}: `{what}` must be 'balanced', a dict or None. "
                f"Received: {what}={class_weight!r}"
            )
        table = np.where(counts > 0, len(codes) / (len(classes) * np.maximum(counts, 1)), 0.0)
        return table[codes]
    if not isinstance(class_weight, Mapping):
        raise ValueError(
            f"{owner}: `{what}` must be 'balanced', a dict from class to weight, or None. "
            f"Received: {what}={class_weight!r}"
        )
    table = np.ones(len(classes))
    listed = classes.tolist()
    for label, weight in class_weight.items():
        if label not in listed:
            raise ValueError(
                f"{owner}: `{what}` names the class {label!r}, which is not in y. Expected "
                f"keys among {listed}. Received: {what}={dict(class_weight)!r}"
            )
        table[listed.index(label)] = float(weight)
    return table[codes]


def check_sample_weight(owner: str, sample_weight: Any, n_samples: int,
                        n_outputs: int) -> np.ndarray | None:
    """Validate ``sample_weight``: one weight per sample, or per sample and output.

    Raises:
        ValueError: for a wrong shape, negative or non-finite weights, or all zeros.

    >>> check_sample_weight("SKLearnRegressor", [1, 2], 2, 1).tolist()
    [1.0, 2.0]
    """
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.ndim == 0:
        weights = np.full(n_samples, float(weights))
    shapes = [(n_samples,)] + ([(n_samples, n_outputs)] if n_outputs > 1 else [])
    if weights.shape not in shapes:
        raise ValueError(
            f"{owner}: `sample_weight` must have shape "
            f"{' or '.join(map(str, shapes))} (one weight per sample"
            f"{', or per sample and output' if n_outputs > 1 else ''}). "
            f"Received: sample_weight.shape={weights.shape}"
        )
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError(f"{owner}: `sample_weight` must be finite and non-negative.")
    if not weights.any():
        raise ValueError(
            f"{owner}: sample weights must contain at least one non-zero number. "
            "Received: all zero."
        )
    return weights


def combine_weights(sample_weight: np.ndarray | None,
                    class_weight: np.ndarray | None) -> np.ndarray | None:
    """The product of sample and class weights, broadcast per output when either is 2-D.

    Weights that are all 1 give None: training then takes exactly the unweighted path.

    >>> combine_weights(np.array([1.0, 2.0]), np.array([[1.0, 3.0], [1.0, 1.0]])).tolist()
    [[1.0, 3.0], [2.0, 2.0]]
    """
    if sample_weight is None:
        weights = class_weight
    elif class_weight is None:
        weights = sample_weight
    else:
        if sample_weight.ndim < class_weight.ndim:
            sample_weight = sample_weight[:, None]
        elif class_weight.ndim < sample_weight.ndim:
            class_weight = class_weight[:, None]
        weights = sample_weight * class_weight
    if weights is None or (weights == 1).all():
        return None
    return weights
