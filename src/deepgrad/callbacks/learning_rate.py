"""Callbacks that change the optimizer's learning rate between epochs.

Both add the learning rate to the epoch logs as ``logs["learning_rate"]`` (so
``History`` and ``CSVLogger`` listed after them record it), as Keras 3 does.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np

from deepgrad.callbacks.base import Callback, say
from deepgrad.callbacks.monitor import MonitorCallback, check_float, check_int, warn_missing

__all__ = ["LearningRateScheduler", "ReduceLROnPlateau"]


def _optimizer(who: str, model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            f"{who}: the model's optimizer must have a `learning_rate` attribute. "
            f"Received: optimizer={optimizer!r}. To fix, compile the model first."
        )
    return optimizer


def _takes_two_arguments(fn) -> bool | None:
    """Whether ``fn(epoch, lr)`` binds; None when the signature cannot be read."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(0, 0.0)
    except TypeError:
        return False
    return True


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of every epoch from ``schedule``.

    Args:
        schedule: a function ``schedule(epoch, lr) -> new_lr`` (epoch is 0-based, ``lr``
            the current rate), or the older form ``schedule(epoch) -> new_lr``.
        verbose: 0 (silent) or 1 (print the rate each epoch).

    Raises:
        TypeError: if ``schedule`` is not callable.
        ValueError: (at an epoch start) if ``schedule`` does not return a number.

    >>> import deepgrad as dg
    >>> model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
    >>> model.compile(dg.optimizers.SGD(0.1), "mse")
    >>> halve = dg.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2)
    >>> history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=3, verbose=0,
    ...                     callbacks=[halve])
    >>> history.history["learning_rate"]
    [0.05, 0.025, 0.0125]
    """

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "LearningRateScheduler: `schedule` must be a function schedule(epoch, lr) or "
                f"schedule(epoch). Received: schedule={schedule!r}"
            )
        self.schedule = schedule
        self.verbose = verbose
        self._two_arguments = _takes_two_arguments(schedule)

    def _call_schedule(self, epoch: int, lr: float):
        if self._two_arguments is None:  # unreadable signature: Keras's try-and-fall-back
            try:
                return self.schedule(epoch, lr)
            except TypeError:
                return self.schedule(epoch)
        return self.schedule(epoch, lr) if self._two_arguments else self.schedule(epoch)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = _optimizer("LearningRateScheduler", self.model)
        learning_rate = self._call_schedule(epoch, float(optimizer.learning_rate))
        if isinstance(learning_rate, np.ndarray) and learning_rate.ndim == 0:
            learning_rate = learning_rate.item()
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
            raise ValueError(
                "LearningRateScheduler: the output of the `schedule` function should be a "
                f"float. Got: {learning_rate!r}"
            )
        learning_rate = float(learning_rate)
        optimizer.learning_rate = learning_rate
        if self.verbose > 0:
            say(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                f"{learning_rate}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when a metric has stopped improving.

    Args:
        monitor: the logs key to watch. Defaults to ``"val_loss"``.
        factor: ``new_lr = lr * factor``; must be in ``[0, 1)``. Defaults to 0.1.
        patience: epochs without improvement after which the rate is reduced.
        verbose: 0 (silent) or 1 (print each reduction).
        mode: ``"auto"``, ``"min"`` or ``"max"``; ``"auto"`` infers the direction from the
            name and falls back to ``"min"``.
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the learning rate is never reduced below this.

    Raises:
        ValueError: for ``factor`` outside ``[0, 1)`` or a negative ``patience``,
            ``cooldown`` or ``min_lr``.

    >>> import deepgrad as dg
    >>> model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
    >>> model.compile(dg.optimizers.SGD(0.1), "mse")
    >>> reduce = dg.callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=1)
    >>> history = model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=3, verbose=0,
    ...                     callbacks=[reduce])  # the loss stays 0: no improvement
    >>> history.history["learning_rate"], model.optimizer.learning_rate
    ([0.1, 0.1, 0.05], 0.025)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ):
        super().__init__(monitor, mode, None, min_delta)
        factor = check_float("ReduceLROnPlateau", "factor", factor)
        if not 0.0 <= factor < 1.0:
            raise ValueError(
                "ReduceLROnPlateau does not support a factor >= 1.0 (or < 0). "
                f"Received factor={factor}"
            )
        self.factor = factor
        self.patience = check_int("ReduceLROnPlateau", "patience", patience)
        self.verbose = verbose
        self.cooldown = check_int("ReduceLROnPlateau", "cooldown", cooldown)
        self.min_lr = check_float("ReduceLROnPlateau", "min_lr", min_lr)
        if self.min_lr < 0:
            raise ValueError(f"ReduceLROnPlateau: `min_lr` must be >= 0. Received: min_lr={min_lr}")
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._set_monitor_op(strict=False)
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = _optimizer("ReduceLROnPlateau", self.model)
        logs["learning_rate"] = float(optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warn_missing(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                "not available.",
                logs,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(optimizer.learning_rate)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        say(
                            f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                            f"to {new_lr}."
                        )
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
