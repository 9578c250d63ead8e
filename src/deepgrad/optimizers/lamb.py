"""Lamb: Adam's direction scaled per variable by a trust ratio of norms.

>>> import numpy as np
>>> from deepgrad.tensor import Variable
>>> w = Variable(np.array([3.0, 4.0], dtype=np.float32))
>>> Lamb(learning_rate=0.1).apply_gradients([(np.array([1.0, 0.0], np.float32), w)])
>>> w.numpy()  # the step is lr times the ratio ||w|| / ||direction|| = 5
array([2.5, 4. ], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.optimizers.base import LearningRate, Optimizer, default_learning_rate
from deepgrad.optimizers.updates_layerwise import lamb_update
from deepgrad.tensor import Tensor

# A float that prints as 0.001 but tells an omitted learning_rate from a passed one.
_DEFAULT_LEARNING_RATE = default_learning_rate(0.001)

__all__ = ["Lamb"]


class Lamb(Optimizer):
    """Lamb (You et al., 2019, "Large batch optimization for deep learning"), Keras 3's
    form: see :func:`~deepgrad.optimizers.updates_layerwise.lamb_update`.

    The trust ratio needs each variable's whole norm, so the rule runs once per
    variable rather than on the flat buckets of the other optimizers.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        beta_1: decay rate of the first moment, in [0, 1).
        beta_2: decay rate of the second moment, in [0, 1).
        epsilon: small constant in the denominator, >= 0.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`Optimizer`.

    >>> Lamb(beta_2=1.0)
    Traceback (most recent call last):
    ...
    ValueError: Lamb: `beta_2` must be in [0, 1). Received: beta_2=1.0
    """

    _default_name = "lamb"
    _per_variable = True

    def __init__(
        self,
        learning_rate: LearningRate = _DEFAULT_LEARNING_RATE,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
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
        self.beta_1 = self._number(beta_1, "beta_1", 0.0, 1.0)
        self.beta_2 = self._number(beta_2, "beta_2", 0.0, 1.0)
        self.epsilon = self._number(epsilon, "epsilon")

    def _slot_specs(self) -> list[tuple[str, float]]:
        return [("momentum", 0.0), ("velocity", 0.0)]

    def _update_variable(
        self, variable: Tensor, param: np.ndarray, grad: np.ndarray,
        slots: dict[str, np.ndarray], step: int, lr: float,
    ) -> None:
        lamb_update(param, grad, slots["momentum"], slots["velocity"], step, lr=lr,
                    beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)

    def get_config(self) -> dict[str, Any]:
        """Return the hyperparameters (see :meth:`Optimizer.get_config`)."""
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
