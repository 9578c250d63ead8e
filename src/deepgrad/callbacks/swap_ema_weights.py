"""SwapEMAWeights: evaluate (and predict) with the moving average of the weights.

An optimizer created with ``use_ema=True`` keeps an exponential moving average of the
weights. This callback swaps it into the model for evaluation (``on_test_begin``: the
validation of ``fit`` and ``evaluate``) and prediction, and swaps the training weights
back after, as Keras's callback of that name does. With ``swap_on_epoch=True`` the
average is swapped in at the end of every epoch instead (so checkpoints and other
callbacks see it) and out at the next epoch's start.
"""

from __future__ import annotations

from typing import Any

from deepgrad.callbacks.base import Callback

__all__ = ["SwapEMAWeights"]


class SwapEMAWeights(Callback):
    """Swap the optimizer's moving average of the weights into the model for evaluation.

    Args:
        swap_on_epoch: also swap at the end of each epoch (and back at the next
            epoch's start), so that the callbacks after this one, e.g. a
            ``ModelCheckpoint``, see the averaged weights. Defaults to False.

    Raises:
        ValueError: at the first swap, if the optimizer has no moving average
            (``use_ema=False``).

    Unlike Keras 3.15, whose ``on_predict_end`` leaves the averaged weights in the model,
    prediction swaps back too.

    >>> import numpy as np
    >>> import deepgrad as dg
    >>> model = dg.Sequential([dg.Input((2,)), dg.layers.Dense(1)])
    >>> model.compile(dg.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9), "mse")
    >>> x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    >>> _ = model.fit(x, y, epochs=3, verbose=0, validation_data=(x, y),
    ...               callbacks=[SwapEMAWeights()])
    """

    def __init__(self, swap_on_epoch: bool = False):
        super().__init__()
        if not isinstance(swap_on_epoch, bool):
            raise TypeError("SwapEMAWeights: `swap_on_epoch` must be a bool. Received: "
                            f"swap_on_epoch={swap_on_epoch!r}")
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _optimizer(self) -> Any:
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer
        if not getattr(optimizer, "use_ema", False):
            raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the "
                             f"optimizer. Received: use_ema={getattr(optimizer, 'use_ema', None)}")
        return optimizer

    def _swap(self) -> None:
        self._optimizer().swap_ema_weights()
        self._ema_weights_in_model = not self._ema_weights_in_model

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap()
            if epoch == self.params.get("epochs", 0) - 1:
                # The model keeps the average after the last epoch: make the optimizer's
                # copy agree, so that fit's finalize_variable_values keeps it too.
                for variable, average in self._optimizer()._averages():
                    average[...] = variable.data

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap()

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap()

    def on_predict_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap()

    def on_predict_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap()
