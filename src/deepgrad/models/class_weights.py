"""``fit(class_weight=...)``: each training sample weighted by its class, as Keras does it.

A sample's class is its integer label, the index of the largest value of a one-hot (or
probability) row, or a single value rounded (a binary label in a column of one); classes
missing from the dict weigh 1. The weights replace ``sample_weight`` (giving both is an
error, as in Keras) and apply to the training data only, not to validation.

>>> sample_weights(np.array([0, 1, 1, 2]), check({1: 3.0}))
array([1., 3., 3., 1.], dtype=float32)
>>> sample_weights(np.array([[0.0, 1.0], [1.0, 0.0]]), check({"0": 2}))
array([1., 2.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from deepgrad import tree

__all__ = ["check", "sample_weights", "Weighted"]


def check(class_weight) -> dict[int, float]:
    """``class_weight`` as ``{class index: weight}``, or Keras's error for anything else."""
    if not hasattr(class_weight, "items") or not hasattr(class_weight, "get"):
        raise ValueError(
            "fit: `class_weight` must be a dict-like mapping of class indices to weights. "
            f"Received: class_weight={class_weight!r} of type {type(class_weight).__name__}."
        )
    cleaned = {}
    for key, value in class_weight.items():
        try:
            cleaned[int(key)] = float(value)
        except (TypeError, ValueError):
            raise ValueError(
                "fit: `class_weight` must be a dictionary with integer keys representing "
                f"class indices. Received an invalid key: {key!r} of type {type(key).__name__}."
            ) from None
    return cleaned


def sample_weights(y, class_weight: dict[int, float]) -> np.ndarray:
    """One weight per sample of the targets ``y`` (see the module's docstring)."""
    if tree.is_nested(y):
        raise ValueError("fit: `class_weight` is only supported for models with a single output.")
    labels = np.asarray(getattr(y, "data", y))
    if labels.ndim > 1:
        labels = np.argmax(labels, axis=-1) if labels.shape[-1] != 1 else labels[..., 0]
    if labels.ndim != 1:
        raise ValueError(
            "fit: `class_weight` needs one class per sample: integer labels (n,), a column "
            f"(n, 1) or one-hot rows (n, classes). Received: y of shape {np.shape(y)}."
        )
    classes = np.round(labels).astype(np.int64)
    weights = np.ones(len(classes), np.float32)
    for index, weight in class_weight.items():
        weights[classes == index] = weight
    return weights


class Weighted:
    """Batches of a dataset, generator or ``PyDataset`` with their class weights as the
    sample weights (the arrays' weights are made once, before batching)."""

    def __init__(self, batches, class_weight: dict[int, float]):
        self.batches = batches
        self.class_weight = class_weight
        self.steps_per_epoch = batches.steps_per_epoch

    def epoch(self, shuffle=False, epoch: int | None = None) -> Iterator[tuple]:
        for x, y, sample_weight in self.batches.epoch(shuffle, epoch):
            if sample_weight is not None:
                raise ValueError(
                    "fit: you cannot use `class_weight` and `sample_weight` at the same "
                    "time; the data yields sample weights."
                )
            if y is None:
                raise ValueError("fit: `class_weight` needs targets: the data yields only x.")
            yield x, y, sample_weights(y, self.class_weight)
