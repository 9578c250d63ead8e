"""ModelCheckpoint: save the model or its weights during training."""

from __future__ import annotations

import math
import os

from deepgrad.callbacks.base import say, should_write
from deepgrad.callbacks.monitor import MonitorCallback, warn_missing
from deepgrad.formats import MODEL_SUFFIXES, WEIGHTS_SUFFIXES

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(MonitorCallback):
    """Save the model (``model.save``) or its weights (``model.save_weights``) as training goes.

    Args:
        filepath: where to save; it may hold ``str.format`` fields filled from
            ``epoch`` (1-based, as in Keras), ``batch`` (1-based, with an int
            ``save_freq``) and the logs, e.g. ``"ckpt-{epoch:02d}-{val_loss:.2f}.deepgrad"``.
            Missing folders are created.
        monitor: the logs key compared when ``save_best_only``. Defaults to ``"val_loss"``.
        verbose: 0 (silent) or 1 (a message for every save or skip).
        save_best_only: save only when ``monitor`` improves on the best value seen so far
            (kept across fits). Without a ``{...}`` field in ``filepath`` the file is
            overwritten by each new best.
        save_weights_only: call ``model.save_weights`` instead of ``model.save``.
        mode: ``"auto"``, ``"min"`` or ``"max"``, the direction in which ``monitor``
            improves; ``"auto"`` infers it from the name.
        save_freq: ``"epoch"`` to save at each epoch end, or an int ``n`` to save every
            ``n`` training batches (the logs are then the running values of the epoch).
        initial_value_threshold: the best value to beat at the start (with
            ``save_best_only``).

    Raises:
        ValueError: for a ``save_freq`` that is neither ``"epoch"`` nor a positive int, or
            a ``filepath`` that does not end in ``.deepgrad`` or ``.keras`` (or, with
            ``save_weights_only``, ``.weights.safetensors`` or ``.weights.h5``).
        TypeError: for a ``filepath`` that is not a string or path.
        KeyError: (when saving) if ``filepath`` names a field the logs do not have.

    >>> import os, tempfile
    >>> import deepgrad as dg
    >>> model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
    >>> model.compile("sgd", "mse")
    >>> saved = []
    >>> model.save = lambda path, overwrite=True: saved.append(os.path.basename(path))
    >>> folder = tempfile.mkdtemp()
    >>> ckpt = dg.callbacks.ModelCheckpoint(os.path.join(folder, "m-{epoch:02d}.deepgrad"),
    ...                                     monitor="loss")
    >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[ckpt])
    >>> saved
    ['m-01.deepgrad', 'm-02.deepgrad']
    """

    def __init__(
        self,
        filepath,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq="epoch",
        initial_value_threshold: float | None = None,
    ):
        super().__init__(monitor, mode, initial_value_threshold)
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(
                "ModelCheckpoint: `filepath` must be a string or a path. "
                f"Received: filepath={filepath!r}"
            )
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq <= 0
        ):
            raise ValueError(
                f"ModelCheckpoint: unrecognized save_freq: {save_freq!r}. Expected save_freq "
                "are 'epoch' or a positive int (a number of batches)."
            )
        self.filepath = os.fspath(filepath)
        if save_weights_only and not self.filepath.endswith(WEIGHTS_SUFFIXES):
            raise ValueError(
                "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                f"provided must end in {' or '.join(WEIGHTS_SUFFIXES)}. "
                f"Received: filepath={self.filepath}"
            )
        if not save_weights_only and not self.filepath.endswith(MODEL_SUFFIXES):
            raise ValueError(
                "The filepath provided to `ModelCheckpoint` must end in "
                f"{' or '.join(MODEL_SUFFIXES)} (a whole model; for the weights alone, pass "
                f"save_weights_only=True and a .weights.safetensors name). "
                f"Received: filepath={self.filepath}"
            )
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.save_freq = save_freq
        self._batches_since_save = 0
        self._current_epoch = 0

    def on_train_begin(self, logs=None):
        if self.mode_used is None:
            self._set_monitor_op()
            if self.best is None:
                self.best = math.inf if self.mode_used == "min" else -math.inf
        self._batches_since_save = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _file_path(self, epoch: int, batch: int | None, logs: dict) -> str:
        fields = dict(logs)
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            raise KeyError(
                f'ModelCheckpoint: failed to format this callback filepath: "{self.filepath}". '
                f"Reason: no value for {error}. Available fields: {sorted(fields)}"
            ) from None

    def _should_save(self, epoch: int, logs: dict, filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                say(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warn_missing(f"Can save best model only with {self.monitor} available.", logs)
            return True
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                say(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            say(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
        return False

    def _save(self, epoch: int, batch: int | None, logs) -> None:
        logs = logs or {}
        filepath = self._file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath) or not should_write():
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                "ModelCheckpoint: please specify a non-directory filepath. The filepath used "
                f"is an existing directory: {filepath}"
            )
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
