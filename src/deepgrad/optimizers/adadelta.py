"""Adadelta: step sizes from running means of squared gradients and squared updates.

>>> import numpy as np
>>> from deepgrad.tensor import Variable
>>> w = Variable(np.array([1.0], dtype=np.float32))
>>> opt = Adadelta(learning_rate=1.0)
>>> opt.apply_gradients([(np.array([1.0], dtype=np.float32), w)])
>>> w.numpy()  # 1 - sqrt(1e-7) / sqrt(0.05 + 1e-7)
array([0.99858576], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.optimizers.base import LearningRate, Optimizer, default_learning_rate
from deepgrad.optimizers.updates_adaptive import adadelta_update

# A float that prints as 0.001 but tells an omitted learning_rate from a passed one.
_DEFAULT_LEARNING_RATE = default_learning_rate(0.001)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), Keras 3's form (with a learning rate, 0.001 by default;
    the paper's method is ``learning_rate=1.0``).

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        rho: decay rate of the running means, in [0, 1).
        epsilon: small constant inside the square roots, >= 0.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`Optimizer`.

    Raises:
        ValueError: for an out-of-range hyperparameter.

    >>> Adadelta(rho=1.5)
    Traceback (most recent call last):
    ...
    ValueError: Adadelta: `rho` must be in [0, 1). Received: rho=1.5
    """

    _default_name = "adadelta"

    def __init__(
        self,
        learning_rate: LearningRate = _DEFAULT_LEARNING_RATE,
        rho: float = 0.95,
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
        self.rho = self._number(rho, "rho", 0.0, 1.0)
        self.epsilon = self._number(epsilon, "epsilon")

    def _slot_specs(self) -> list[tuple[str, float]]:
        return [("accumulated_grad", 0.0), ("accumulated_delta_var", 0.0)]

    def _update_step(
        self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray], step: int,
        lr: float,
    ) -> None:
        adadelta_update(param, grad, slots["accumulated_grad"], slots["accumulated_delta_var"],
                        lr=lr, rho=self.rho, epsilon=self.epsilon)

    def get_config(self) -> dict[str, Any]:
        """Return the hyperparameters (see :meth:`Optimizer.get_config`)."""
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
