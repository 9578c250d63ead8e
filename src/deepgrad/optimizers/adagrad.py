"""Adagrad: per-parameter learning rates that shrink with the sum of squared gradients.

>>> import numpy as np
>>> from deepgrad.tensor import Variable
>>> w = Variable(np.array([1.0], dtype=np.float32))
>>> opt = Adagrad(learning_rate=0.1, epsilon=0.0)
>>> opt.apply_gradients([(np.array([0.3], dtype=np.float32), w)])
>>> w.numpy()  # 1 - 0.1 * 0.3 / sqrt(0.1 + 0.09)
array([0.9311753], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.optimizers.base import LearningRate, Optimizer, default_learning_rate
from deepgrad.optimizers.updates import adagrad_update

# A float that prints as 0.001 but tells an omitted learning_rate from a passed one.
_DEFAULT_LEARNING_RATE = default_learning_rate(0.001)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), Keras 3's form.

    ``accumulator += g**2``; ``w -= lr * g / sqrt(accumulator + epsilon)``.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        initial_accumulator_value: starting value of the accumulators, >= 0.
        epsilon: small constant under the square root, >= 0.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`Optimizer`.

    Raises:
        ValueError: for an out-of-range hyperparameter.

    >>> Adagrad(initial_accumulator_value=-1)
    Traceback (most recent call last):
    ...
    ValueError: Adagrad: `initial_accumulator_value` must be in [0, inf). Received: ...
    """

    _default_name = "adagrad"

    def __init__(
        self,
        learning_rate: LearningRate = _DEFAULT_LEARNING_RATE,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
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
        self.initial_accumulator_value = self._number(
            initial_accumulator_value, "initial_accumulator_value"
        )
        self.epsilon = self._number(epsilon, "epsilon")

    def _slot_specs(self) -> list[tuple[str, float]]:
        return [("accumulator", self.initial_accumulator_value)]

    def _update_step(
        self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray], step: int,
        lr: float,
    ) -> None:
        adagrad_update(param, grad, slots["accumulator"], lr=lr, epsilon=self.epsilon)

    def get_config(self) -> dict[str, Any]:
        """Return the hyperparameters (see :meth:`Optimizer.get_config`)."""
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
