"""Muon: momentum orthogonalised by Newton-Schulz for weight matrices, AdamW elsewhere.

>>> import numpy as np
>>> from deepgrad.tensor import Variable
>>> kernel = Variable(np.zeros((4, 3), np.float32), name="kernel")
>>> bias = Variable(np.zeros(3, np.float32), name="bias")
>>> opt = Muon(learning_rate=0.01)
>>> opt.apply([np.ones((4, 3), np.float32), np.ones(3, np.float32)], [kernel, bias])
>>> bias.numpy()  # 1-D: an Adam step of lr
array([-0.01, -0.01, -0.01], dtype=float32)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from deepgrad.optimizers.base import LearningRate, Optimizer, default_learning_rate
from deepgrad.optimizers.updates import adam_update
from deepgrad.optimizers.updates_layerwise import muon_update
from deepgrad.tensor import Tensor

# A float that prints as 0.001 but tells an omitted learning_rate from a passed one.
_DEFAULT_LEARNING_RATE = default_learning_rate(0.001)

__all__ = ["Muon"]


class Muon(Optimizer):
    """Muon (Jordan et al., 2024; Liu et al., 2025), Keras 3's form.

    A 2-D variable (a Dense kernel) takes the Muon step
    (:func:`~deepgrad.optimizers.updates_layerwise.muon_update`) with ``weight_decay``;
    every other variable, an embedding (``"embedding"`` in its path, with
    ``exclude_embeddings``) and a variable whose path matches one of
    ``exclude_layers`` take an AdamW step with ``learning_rate * adam_lr_ratio`` and
    ``adam_weight_decay``. Muon is not meant for the output layer: name it in
    ``exclude_layers``.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        adam_beta_1, adam_beta_2: the Adam step's moment decay rates, in [0, 1).
        adam_weight_decay: the Adam step's weight decay (None: none). Defaults to 0.004.
        epsilon: the Adam step's epsilon.
        weight_decay: the Muon step's weight decay. Defaults to 0.004.
        exclude_layers: regular expressions; a variable whose path matches one takes the
            Adam step.
        exclude_embeddings: embeddings take the Adam step.
        muon_a, muon_b, muon_c: the Newton-Schulz coefficients.
        adam_lr_ratio: the Adam step's learning rate over the Muon step's.
        momentum: the Muon step's momentum.
        ns_steps: Newton-Schulz iterations.
        nesterov: Nesterov momentum for the Muon step.
        rms_rate: Moonlight's update scale (``sqrt(max(rows, cols)) * rms_rate``), or
            None for none.
        clipnorm, clipvalue, global_clipnorm, name, **kwargs: see :class:`Optimizer`.

    Muon updates one variable at a time (a matrix product per variable), not on the
    flat buckets of the elementwise optimizers.

    >>> Muon(ns_steps=0)
    Traceback (most recent call last):
    ...
    ValueError: Muon: `ns_steps` must be an int >= 1 or None. Received: ns_steps=0
    """

    _default_name = "muon"
    _per_variable = True

    def __init__(
        self,
        learning_rate: LearningRate = _DEFAULT_LEARNING_RATE,
        adam_beta_1: float = 0.9,
        adam_beta_2: float = 0.999,
        adam_weight_decay: float | None = 0.004,
        epsilon: float = 1e-7,
        weight_decay: float | None = 0.004,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        exclude_layers: Sequence[str] | None = None,
        exclude_embeddings: bool = True,
        muon_a: float = 3.4445,
        muon_b: float = -4.7750,
        muon_c: float = 2.0315,
        adam_lr_ratio: float = 1,
        momentum: float = 0.95,
        ns_steps: int = 5,
        nesterov: bool = True,
        rms_rate: float | None = 0.2,
        **kwargs: Any,
    ):
        super().__init__(
            learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
            global_clipnorm=global_clipnorm, name=name, **kwargs,
        )
        self.adam_beta_1 = self._number(adam_beta_1, "adam_beta_1", 0.0, 1.0)
        self.adam_beta_2 = self._number(adam_beta_2, "adam_beta_2", 0.0, 1.0)
        self.adam_weight_decay = self._optional(adam_weight_decay, "adam_weight_decay",
                                                include_low=True)
        self.epsilon = self._number(epsilon, "epsilon")
        self.exclude_layers = [str(pattern) for pattern in exclude_layers or []]
        self.exclude_embeddings = self._flag(exclude_embeddings, "exclude_embeddings")
        self.muon_a = self._number(muon_a, "muon_a", -np.inf)
        self.muon_b = self._number(muon_b, "muon_b", -np.inf)
        self.muon_c = self._number(muon_c, "muon_c", -np.inf)
        self.adam_lr_ratio = self._number(adam_lr_ratio, "adam_lr_ratio")
        self.momentum = self._number(momentum, "momentum", 0.0, 1.0, include_high=True)
        self.ns_steps = self._count(ns_steps, "ns_steps", 1)
        self.nesterov = self._flag(nesterov, "nesterov")
        self.rms_rate = self._optional(rms_rate, "rms_rate", include_low=False)

    def _uses_adam(self, variable: Tensor) -> bool:
        """Keras's rule: not 2-D, an embedding, or a path matching ``exclude_layers``."""
        if variable.ndim != 2:
            return True
        path = getattr(variable, "path", None) or variable.name or ""
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(pattern, path) for pattern in self.exclude_layers)

    def _slot_specs(self) -> list[tuple[str, float]]:
        return [("momentum", 0.0), ("velocity", 0.0)]

    def _weight_decay_of(self, variable: Tensor) -> float | None:
        if not self._decays(variable):
            return None
        return self.adam_weight_decay if self._uses_adam(variable) else self.weight_decay

    def _update_variable(
        self, variable: Tensor, param: np.ndarray, grad: np.ndarray,
        slots: dict[str, np.ndarray], step: int, lr: float,
    ) -> None:
        if self._uses_adam(variable):
            adam_update(param, grad, slots["momentum"], slots["velocity"], step,
                        lr=lr * self.adam_lr_ratio, beta_1=self.adam_beta_1,
                        beta_2=self.adam_beta_2, epsilon=self.epsilon)
        else:
            muon_update(param, grad, slots["momentum"], lr=lr, momentum=self.momentum,
                        nesterov=self.nesterov, ns_steps=self.ns_steps,
                        coefficients=(self.muon_a, self.muon_b, self.muon_c),
                        rms_rate=self.rms_rate)

    def get_config(self) -> dict[str, Any]:
        """Return the hyperparameters (see :meth:`Optimizer.get_config`)."""
        return {
            **super().get_config(),
            "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon, "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a, "muon_b": self.muon_b, "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
            "ns_steps": self.ns_steps, "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate,
        }
