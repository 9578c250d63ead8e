"""ScheduleFreeAdamW: AdamW without a learning-rate schedule, by averaging iterates.

>>> import numpy as np
>>> from deepgrad.tensor import Variable
>>> w = Variable(np.array([1.0], np.float32))
>>> ScheduleFreeAdamW(learning_rate=0.1).apply_gradients([(np.array([2.0], np.float32), w)])
>>> w.numpy()
array([0.9], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad.optimizers.base import LearningRate, Optimizer, default_learning_rate
from deepgrad.optimizers.updates_adaptive import schedule_free_adamw_update
from deepgrad.tensor import Tensor

# A float that prints as 0.0025 but tells an omitted learning_rate from a passed one.
_DEFAULT_LEARNING_RATE = default_learning_rate(0.0025)

__all__ = ["ScheduleFreeAdamW"]


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW (Defazio et al., 2024, "The road less scheduled"), Keras 3's
    form: see :func:`~deepgrad.optimizers.updates_adaptive.schedule_free_adamw_update`.

    The weights hold an interpolation between the fast sequence (the ``momentum`` slot,
    starting at the initial weights) and the running average of the iterates, which is
    what replaces a decaying schedule. Use a constant learning rate (warmup allowed).

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.0025.
        beta_1: interpolation weight of the average, in (0, 1).
        beta_2: decay rate of the second moment, in [0, 1).
        epsilon: small constant in the denominator. Defaults to 1e-8.
        warmup_steps: steps of linear learning-rate warmup (an int >= 0).
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`Optimizer`.

    >>> ScheduleFreeAdamW(beta_1=0.0)
    Traceback (most recent call last):
    ...
    ValueError: ScheduleFreeAdamW: `beta_1` must be in (0, 1). Received: beta_1=0.0
    """

    _default_name = "schedule_free_adamw"

    def __init__(
        self,
        learning_rate: LearningRate = _DEFAULT_LEARNING_RATE,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        warmup_steps: int = 0,
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
        self.beta_1 = self._number(beta_1, "beta_1", 0.0, 1.0, include_low=False)
        self.beta_2 = self._number(beta_2, "beta_2", 0.0, 1.0)
        self.epsilon = self._number(epsilon, "epsilon")
        self.warmup_steps = self._count(warmup_steps, "warmup_steps", 0) or 0

    def _slot_specs(self) -> list[tuple[str, float]]:
        return [("momentum", 0.0), ("velocity", 0.0)]

    def build(self, variables: Iterable[Tensor]) -> None:
        """Build as :meth:`Optimizer.build`; the ``momentum`` slot starts at the weights."""
        if self.built:
            return
        super().build(variables)
        for variable, momentum in self._storage.slot_views("momentum"):
            momentum[...] = variable.data

    def _update_step(
        self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray], step: int,
        lr: float,
    ) -> None:
        schedule_free_adamw_update(
            param, grad, slots["momentum"], slots["velocity"], step, lr=lr,
            beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
            warmup_steps=self.warmup_steps)

    def get_config(self) -> dict[str, Any]:
        """Return the hyperparameters (see :meth:`Optimizer.get_config`)."""
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "warmup_steps": self.warmup_steps}
