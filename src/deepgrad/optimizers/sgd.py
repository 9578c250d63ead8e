"""Stochastic gradient descent, with optional (Nesterov) momentum.

>>> import numpy as np
>>> from deepgrad.tensor import Variable
>>> w = Variable(np.array([1.0], dtype=np.float32))
>>> opt = SGD(learning_rate=0.1, momentum=0.9)
>>> for _ in range(2):
...     opt.apply_gradients([(np.array([1.0], dtype=np.float32), w)])
>>> w.numpy()
array([0.71], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.optimizers.base import LearningRate, Optimizer, default_learning_rate
from deepgrad.optimizers.updates import sgd_update

# A float that prints as 0.01 but tells an omitted learning_rate from a passed one.
_DEFAULT_LEARNING_RATE = default_learning_rate(0.01)

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent (with momentum), Keras 3's ``SGD``.

    ``w -= lr * g``; with momentum ``velocity = momentum * velocity - lr * g`` and
    ``w += velocity``; with Nesterov ``w += momentum * velocity - lr * g``.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.01.
        momentum: float in [0, 1]; 0 is plain gradient descent.
        nesterov: whether to use Nesterov momentum.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`Optimizer`.

    Raises:
        ValueError: for an out-of-range hyperparameter.

    >>> SGD(momentum=1.5)
    Traceback (most recent call last):
    ...
    ValueError: SGD: `momentum` must be in [0, 1]. Received: momentum=1.5
    """

    _default_name = "SGD"

    def __init__(
        self,
        learning_rate: LearningRate = _DEFAULT_LEARNING_RATE,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
            global_clipnorm=global_clipnorm, name=name, **kwargs,
        )
        self.momentum = self._number(momentum, "momentum", 0.0, 1.0, include_high=True)
        self.nesterov = self._flag(nesterov, "nesterov")

    def _slot_specs(self) -> list[tuple[str, float]]:
        return [("momentum", 0.0)] if self.momentum != 0 else []

    def _update_step(
        self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray], step: int,
        lr: float,
    ) -> None:
        sgd_update(
            param, grad, slots.get("momentum"), lr=lr, momentum=self.momentum,
            nesterov=self.nesterov,
        )

    def get_config(self) -> dict[str, Any]:
        """Return the hyperparameters (see :meth:`Optimizer.get_config`)."""
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
