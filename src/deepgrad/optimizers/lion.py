"""Lion: the sign of an interpolated momentum, every weight moved by the learning rate.

>>> import numpy as np
>>> from deepgrad.tensor import Variable
>>> w = Variable(np.array([1.0, -1.0], dtype=np.float32))
>>> Lion(learning_rate=0.1).apply_gradients([(np.array([0.3, -2.0], np.float32), w)])
>>> w.numpy()
array([ 0.9, -0.9], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.optimizers.base import LearningRate, Optimizer, default_learning_rate
from deepgrad.optimizers.updates_adaptive import lion_update

# A float that prints as 0.001 but tells an omitted learning_rate from a passed one.
_DEFAULT_LEARNING_RATE = default_learning_rate(0.001)

__all__ = ["Lion"]


class Lion(Optimizer):
    """Lion (Chen et al., 2023, "Symbolic discovery of optimization algorithms"),
    Keras 3's form.

    ``w -= lr * sign(beta_1 * m + (1 - beta_1) * g)``;
    ``m = beta_2 * m + (1 - beta_2) * g``. Its updates are larger than Adam's: use a
    learning rate 3-10 times smaller (and a larger weight decay).

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        beta_1: interpolation factor of the update direction, in (0, 1].
        beta_2: decay rate of the momentum, in [0, 1).
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`Optimizer`.

    Raises:
        ValueError: for an out-of-range hyperparameter (``beta_1 = 0`` is sign SGD).

    >>> Lion(beta_1=0.0)
    Traceback (most recent call last):
    ...
    ValueError: Lion: `beta_1` must be in (0, 1]. Received: beta_1=0.0
    """

    _default_name = "lion"

    def __init__(
        self,
        learning_rate: LearningRate = _DEFAULT_LEARNING_RATE,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
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
        self.beta_1 = self._number(beta_1, "beta_1", 0.0, 1.0, include_low=False,
                                   include_high=True)
        self.beta_2 = self._number(beta_2, "beta_2", 0.0, 1.0)

    def _slot_specs(self) -> list[tuple[str, float]]:
        return [("momentum", 0.0)]

    def _update_step(
        self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray], step: int,
        lr: float,
    ) -> None:
        lion_update(param, grad, slots["momentum"], lr=lr, beta_1=self.beta_1,
                    beta_2=self.beta_2)

    def get_config(self) -> dict[str, Any]:
        """Return the hyperparameters (see :meth:`Optimizer.get_config`)."""
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
