"""EarlyStopping: stop training when a monitored quantity has stopped improving."""

from __future__ import annotations

from deepgrad.callbacks.base import say
from deepgrad.callbacks.monitor import MonitorCallback, check_int, warn_missing

__all__ = ["EarlyStopping"]


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored metric has stopped improving, as Keras does.

    At the end of every epoch the monitored value is compared with the best so far; an
    improvement must beat it by more than ``min_delta``. After ``patience`` epochs
    without one, ``model.stop_training`` is set and ``fit`` ends after that epoch.

    Args:
        monitor: the logs key to watch. Defaults to ``"val_loss"``.
        min_delta: the smallest change that counts as an improvement (its sign is
            ignored). Defaults to 0.
        patience: epochs without improvement after which training stops. Defaults to 0.
        verbose: 0 (silent) or 1 (print a message when stopping or restoring).
        mode: ``"auto"``, ``"min"`` or ``"max"``; ``"auto"`` infers the direction from
            the name (losses and errors go down; accuracy, AUC, precision, recall go up).
        baseline: a value the monitored quantity must beat; until it does, ``wait`` is
            not reset, so training stops after ``patience`` epochs.
        restore_best_weights: restore the weights of the best epoch when training ends,
            whatever ended it (an early stop, or ``epochs`` running out, as in Keras 3).
        start_from_epoch: epochs of warm-up during which nothing is monitored.

    Raises:
        ValueError: for a negative ``patience`` or ``start_from_epoch``; at the first
            epoch end, for ``mode="auto"`` with a quantity of unknown direction.

    Example (the loss cannot improve, so training stops after patience + 1 epochs):

    >>> import deepgrad as dg
    >>> model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
    >>> model.compile(dg.optimizers.SGD(0.0), "mse")
    >>> stop = dg.callbacks.EarlyStopping(monitor="loss", patience=2)
    >>> history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=10, verbose=0,
    ...                     callbacks=[stop])
    >>> len(history.history["loss"]), stop.stopped_epoch
    (3, 2)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ):
        super().__init__(monitor, mode, baseline, min_delta)
        self.patience = check_int("EarlyStopping", "patience", patience)
        self.verbose = verbose
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = check_int("EarlyStopping", "start_from_epoch", start_from_epoch)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        # Reset, so that one instance can serve several fits.
        self._set_monitor_op()
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        current = logs.get(self.monitor)
        if current is None:
            warn_missing(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available.",
                logs,
            )
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until something improves, the first monitored weights are the best.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Restart the wait only when both the baseline and the previous best are beaten.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            say(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                say(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)
