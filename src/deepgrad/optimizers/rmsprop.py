"""RMSprop: divide the gradient by a running root mean square of recent gradients.

>>> import numpy as np
>>> from deepgrad.tensor import Variable
>>> w = Variable(np.array([1.0], dtype=np.float32))
>>> opt = RMSprop(learning_rate=0.01)
>>> opt.apply_gradients([(np.array([2.0], dtype=np.float32), w)])
>>> w.numpy()  # first step: lr / sqrt(1 - rho)
array([0.96837723], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.optimizers.base import LearningRate, Optimizer, default_learning_rate
from deepgrad.optimizers.updates import rmsprop_update

# A float that prints as 0.001 but tells an omitted learning_rate from a passed one.
_DEFAULT_LEARNING_RATE = default_learning_rate(0.001)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012), Keras 3's form.

    ``velocity = rho * velocity + (1 - rho) * g**2``;
    ``w -= lr * g / sqrt(velocity + epsilon)`` (through a momentum buffer when
    ``momentum > 0``; with ``centered``, the variance replaces the second moment).

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        rho: discount factor of the running means, in [0, 1).
        momentum: momentum factor in [0, 1]; 0 for none.
        epsilon: small constant under the square root, >= 0.
        centered: normalise by the estimated variance of the gradient.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`Optimizer`.

    Raises:
        ValueError: for an out-of-range hyperparameter.

    >>> RMSprop(rho=1.0)
    Traceback (most recent call last):
    ...
    ValueError: RMSprop: `rho` must be in [0, 1). Received: rho=1.0
    """

    _default_name = "rmsprop"

    def __init__(
        self,
        learning_rate: LearningRate = _DEFAULT_LEARNING_RATE,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
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
        self.momentum = self._number(momentum, "momentum", 0.0, 1.0, include_high=True)
        self.epsilon = self._number(epsilon, "epsilon")
        self.centered = self._flag(centered, "centered")

    def _slot_specs(self) -> list[tuple[str, float]]:
        specs = [("velocity", 0.0)]
        if self.momentum > 0:
            specs.append(("momentum", 0.0))
        if self.centered:
            specs.append(("average_gradient", 0.0))
        return specs

    def _update_step(
        self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray], step: int,
        lr: float,
    ) -> None:
        rmsprop_update(
            param, grad, slots["velocity"], lr=lr, rho=self.rho, epsilon=self.epsilon,
            momentum=self.momentum, momentum_buffer=slots.get("momentum"),
            centered=self.centered, average_gradient=slots.get("average_gradient"),
        )

    def get_config(self) -> dict[str, Any]:
        """Return the hyperparameters (see :meth:`Optimizer.get_config`)."""
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
