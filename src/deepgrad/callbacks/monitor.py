"""Shared pieces of the callbacks that watch one logged quantity: direction and checks.

``EarlyStopping``, ``ModelCheckpoint`` and ``ReduceLROnPlateau`` each monitor a key of
the epoch logs (``"val_loss"``, ``"accuracy"`` ...). With ``mode="auto"`` the direction
is inferred from the metric: losses and errors go down, accuracies, AUC, precision and
recall go up.

>>> infer_mode("val_accuracy"), infer_mode("loss"), infer_mode("val_mae")
('max', 'min', 'min')
"""

from __future__ import annotations

import numbers
import warnings

from deepgrad.callbacks.base import Callback

__all__ = ["MonitorCallback", "infer_mode", "check_mode"]

# Name fragments of quantities that improve upwards / downwards; losses are checked first.
_UP = (
    "acc", "auc", "precision", "recall", "true_positives", "true_negatives", "f1_score",
    "fbeta", "iou", "r2_score", "cosine_similarity",
)
_DOWN = (
    "loss", "error", "crossentropy", "divergence", "mse", "mae", "mape", "msle", "hinge",
    "poisson", "logcosh", "false_positives", "false_negatives",
)


def infer_mode(monitor: str, model=None) -> str | None:
    """Return ``'min'`` or ``'max'`` for a logged quantity, or None when it is unknown.

    A metric object of the model with that name and a ``_direction`` attribute (``'up'``
    or ``'down'``, as in Keras 3) decides first; otherwise the name does.

    >>> infer_mode("val_sparse_categorical_accuracy"), infer_mode("my_score")
    ('max', None)
    """
    name = monitor.removeprefix("val_")
    for metric in getattr(model, "metrics", None) or []:
        direction = getattr(metric, "_direction", None)
        if getattr(metric, "name", None) == name and direction in ("up", "down"):
            return "max" if direction == "up" else "min"
    if name == "loss" or name.endswith("_loss"):
        return "min"
    if any(part in name for part in _UP):
        return "max"
    if any(part in name for part in _DOWN):
        return "min"
    return None


def check_mode(who: str, mode: str) -> str:
    """Keras falls back to ``'auto'`` with a warning for an unknown mode; so do we."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(
            f"{who}: mode '{mode}' is unknown, falling back to auto mode. Expected one of "
            "'auto', 'min', 'max'.",
            stacklevel=3,
        )
        return "auto"
    return mode


def check_int(who: str, name: str, value, minimum: int = 0) -> int:
    """An int ``>= minimum`` (bools refused), or a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{who}: `{name}` must be an int >= {minimum}. Received: {name}={value!r}")
    return int(value)


def check_float(who: str, name: str, value) -> float:
    """A real number (bools refused), or a TypeError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: `{name}` must be a number. Received: {name}={value!r}")
    return float(value)


def warn_missing(message: str, logs: dict) -> None:
    """Warn that the monitored key is absent, listing the keys that are there."""
    warnings.warn(f"{message} Available metrics are: {','.join(logs)}", stacklevel=3)


class MonitorCallback(Callback):
    """Base of callbacks that compare a monitored quantity with its best value so far.

    Args:
        monitor: the logs key to watch, e.g. ``"val_loss"``.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        baseline: the initial best value; None starts from the first value seen.
        min_delta: the smallest change that counts as an improvement.

    Raises:
        ValueError: (at the first epoch end) if ``mode="auto"`` and the direction of
            ``monitor`` cannot be inferred.

    >>> cb = MonitorCallback("val_accuracy"); cb._set_monitor_op(); cb.mode_used
    'max'
    >>> cb._is_improvement(0.5, 0.4), cb._is_improvement(0.4, 0.5)
    (True, False)
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline=None,
                 min_delta: float = 0):
        super().__init__()
        who = type(self).__name__
        if not isinstance(monitor, str):
            raise TypeError(f"{who}: `monitor` must be a string. Received: monitor={monitor!r}")
        self.monitor = monitor
        self.mode = check_mode(who, mode)
        self.baseline = None if baseline is None else check_float(who, "baseline", baseline)
        self.min_delta = abs(check_float(who, "min_delta", min_delta))
        self.best = self.baseline
        self.mode_used: str | None = None

    def _set_monitor_op(self, strict: bool = True) -> None:
        mode = self.mode
        if mode == "auto":
            mode = infer_mode(self.monitor, self.model)
        if mode is None and strict:
            raise ValueError(
                f"{type(self).__name__} callback received monitor={self.monitor}, but deepgrad "
                "isn't able to automatically determine whether that metric should be maximized "
                "or minimized. Pass `mode='max'` in order to monitor based on the highest metric "
                "value, or pass `mode='min'` in order to use the lowest value."
            )
        self.mode_used = mode or "min"

    def _is_improvement(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        if self.mode_used == "max":
            return value - self.min_delta > reference
        return value + self.min_delta < reference
