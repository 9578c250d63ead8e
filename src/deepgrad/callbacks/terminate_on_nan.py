"""TerminateOnNaN: stop training as soon as the loss becomes NaN or infinite."""

from __future__ import annotations

import math

from deepgrad.callbacks.base import Callback, say

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is NaN or infinite, as Keras does.

    It prints ``Batch <i>: Invalid loss, terminating training`` and sets
    ``model.stop_training``; the epoch then ends and ``fit`` returns the history so far.
    With this callback, ``fit``'s own NaN check (which raises ``FloatingPointError``)
    stands aside.

    >>> import deepgrad as dg
    >>> model = dg.Sequential([dg.layers.Dense(1, input_shape=(1,))])
    >>> model.compile("sgd", loss=lambda y_true, y_pred: (y_pred - y_true) ** 2 * np.nan)
    >>> history = model.fit(np.ones((4, 1)), np.ones((4, 1)), batch_size=2, epochs=5,
    ...                     verbose=0, callbacks=[dg.callbacks.TerminateOnNaN()])
    Batch 0: Invalid loss, terminating training
    >>> len(history.history["loss"])
    1
    """

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            say(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
