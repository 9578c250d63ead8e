"""FTRL-Proximal: follow the regularised leader, for wide sparse (linear) models.

>>> import numpy as np
>>> from deepgrad.tensor import Variable
>>> w = Variable(np.array([0.0], dtype=np.float32))
>>> Ftrl(learning_rate=0.1).apply_gradients([(np.array([1.0], np.float32), w)])
>>> w.numpy()  # -1 / (sqrt(0.1 + 1) / 0.1)
array([-0.09534626], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.optimizers.base import LearningRate, Optimizer, default_learning_rate
from deepgrad.optimizers.updates_adaptive import ftrl_update

# A float that prints as 0.001 but tells an omitted learning_rate from a passed one.
_DEFAULT_LEARNING_RATE = default_learning_rate(0.001)

__all__ = ["Ftrl"]


class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al., 2013, "Ad click prediction"), Keras 3's form.

    See :func:`~deepgrad.optimizers.updates_adaptive.ftrl_update` for the rule; with
    ``l1_regularization_strength > 0`` weights become exactly 0.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        learning_rate_power: <= 0; how the per-coordinate rate decays (-0.5: as the
            square root of the accumulated squared gradients).
        initial_accumulator_value: the accumulators' start, >= 0.
        l1_regularization_strength: >= 0.
        l2_regularization_strength: >= 0 (a stabilisation, not the usual L2 penalty).
        l2_shrinkage_regularization_strength: >= 0: the L2 penalty, on the gradient.
        beta: >= 0; adds ``beta / (2 lr)`` to the L2 strength.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`Optimizer`.

    Raises:
        ValueError: for an out-of-range hyperparameter.

    >>> Ftrl(learning_rate_power=0.5)
    Traceback (most recent call last):
    ...
    ValueError: Ftrl: `learning_rate_power` must be in (-inf, 0]. Received: ...
    """

    _default_name = "ftrl"

    def __init__(
        self,
        learning_rate: LearningRate = _DEFAULT_LEARNING_RATE,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
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
        self.learning_rate_power = self._number(learning_rate_power, "learning_rate_power",
                                                -np.inf, 0.0, include_low=False,
                                                include_high=True)
        self.initial_accumulator_value = self._number(initial_accumulator_value,
                                                      "initial_accumulator_value")
        self.l1_regularization_strength = self._number(l1_regularization_strength,
                                                       "l1_regularization_strength")
        self.l2_regularization_strength = self._number(l2_regularization_strength,
                                                       "l2_regularization_strength")
        self.l2_shrinkage_regularization_strength = self._number(
            l2_shrinkage_regularization_strength, "l2_shrinkage_regularization_strength")
        self.beta = self._number(beta, "beta")

    def _slot_specs(self) -> list[tuple[str, float]]:
        return [("accumulator", self.initial_accumulator_value), ("linear", 0.0)]

    def _update_step(
        self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray], step: int,
        lr: float,
    ) -> None:
        ftrl_update(
            param, grad, slots["accumulator"], slots["linear"], lr=lr,
            learning_rate_power=self.learning_rate_power,
            l1_regularization_strength=self.l1_regularization_strength,
            l2_regularization_strength=self.l2_regularization_strength,
            l2_shrinkage_regularization_strength=self.l2_shrinkage_regularization_strength,
            beta=self.beta,
        )

    def get_config(self) -> dict[str, Any]:
        """Return the hyperparameters (see :meth:`Optimizer.get_config`)."""
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
