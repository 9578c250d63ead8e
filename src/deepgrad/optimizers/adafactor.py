"""Adafactor: Adam-like steps with the second moment of each matrix kept as a row and a
column average (memory sublinear in the matrix), scaled by the parameters' own size.

>>> import numpy as np
>>> from deepgrad.tensor import Variable
>>> w = Variable(np.ones((2, 3), np.float32))
>>> opt = Adafactor(learning_rate=0.1)
>>> opt.apply_gradients([(np.ones((2, 3), np.float32), w)])
>>> w.numpy().round(6), opt.get_state()["row/0"].shape
(array([[0.9, 0.9, 0.9],
       [0.9, 0.9, 0.9]], dtype=float32), (2,))
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad.optimizers.base import LearningRate, Optimizer, default_learning_rate
from deepgrad.optimizers.updates_layerwise import adafactor_update
from deepgrad.tensor import Tensor

# A float that prints as 0.001 but tells an omitted learning_rate from a passed one.
_DEFAULT_LEARNING_RATE = default_learning_rate(0.001)

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """Adafactor (Shazeer and Stern, 2018), Keras 3's form: see
    :func:`~deepgrad.optimizers.updates_layerwise.adafactor_update`.

    A variable of 2 or more dimensions keeps its second moment factored over its last two
    axes: ``"row/<i>"`` and ``"col/<i>"`` in :meth:`get_state`, beside the ``velocity``
    slot. The rule runs once per variable.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        beta_2_decay: the decay exponent of the second moment, < 0 (-0.8).
        epsilon_1: added to the squared gradients (1e-30).
        epsilon_2: the floor of the parameter scale (1e-3).
        clip_threshold: the RMS the update is clipped to (1.0).
        relative_step: cap a float learning rate by ``1 / sqrt(step)``.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`Optimizer`.

    >>> Adafactor(clip_threshold=0.0)
    Traceback (most recent call last):
    ...
    ValueError: Adafactor: `clip_threshold` must be in (0, inf). Received: clip_threshold=0.0
    """

    _default_name = "adafactor"
    _per_variable = True

    def __init__(
        self,
        learning_rate: LearningRate = _DEFAULT_LEARNING_RATE,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
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
        self.beta_2_decay = self._number(beta_2_decay, "beta_2_decay", -np.inf, 0.0)
        self.epsilon_1 = self._number(epsilon_1, "epsilon_1")
        self.epsilon_2 = self._number(epsilon_2, "epsilon_2")
        self.clip_threshold = self._number(clip_threshold, "clip_threshold", include_low=False)
        self.relative_step = self._flag(relative_step, "relative_step")

    def _slot_specs(self) -> list[tuple[str, float]]:
        return [("velocity", 0.0)]

    def build(self, variables: Iterable[Tensor]) -> None:
        """Build as :meth:`Optimizer.build`, plus the factored moments of each matrix."""
        if self.built:
            return
        super().build(variables)
        for i, variable in enumerate(self._storage.variables):
            shape = variable.data.shape
            if len(shape) >= 2:
                self._scalars[f"row/{i}"] = np.zeros(shape[:-1], variable.data.dtype)
                self._scalars[f"col/{i}"] = np.zeros(shape[:-2] + shape[-1:],
                                                     variable.data.dtype)

    def _update_variable(
        self, variable: Tensor, param: np.ndarray, grad: np.ndarray,
        slots: dict[str, np.ndarray], step: int, lr: float,
    ) -> None:
        i = self._storage.index[id(variable)]
        adafactor_update(
            param, grad, slots["velocity"], self._scalars.get(f"row/{i}"),
            self._scalars.get(f"col/{i}"), step, lr=lr, beta_2_decay=self.beta_2_decay,
            epsilon_1=self.epsilon_1, epsilon_2=self.epsilon_2,
            clip_threshold=self.clip_threshold,
            # Keras caps only a float learning rate (a schedule or callable is kept).
            relative_step=self.relative_step and type(self._learning_rate) is float,
        )

    def get_config(self) -> dict[str, Any]:
        """Return the hyperparameters (see :meth:`Optimizer.get_config`)."""
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }
