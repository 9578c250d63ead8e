"""The Adam family: Adam (with AMSGrad), AdamW, Nadam and Adamax.

>>> import numpy as np
>>> from deepgrad.tensor import Variable
>>> w = Variable(np.array([1.0, -1.0], dtype=np.float32))
>>> opt = Adam(learning_rate=0.1)
>>> opt.apply_gradients([(np.array([3.0, -0.5], dtype=np.float32), w)])
>>> w.numpy().round(5)  # the first step moves each weight by about lr
array([ 0.9, -0.9], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.optimizers.base import LearningRate, Optimizer, default_learning_rate
from deepgrad.optimizers.updates import adam_update, nadam_momentum, nadam_update
from deepgrad.optimizers.updates_adaptive import adamax_update

# A float that prints as 0.001 but tells an omitted learning_rate from a passed one.
_DEFAULT_LEARNING_RATE = default_learning_rate(0.001)

__all__ = ["Adam", "AdamW", "Nadam", "Adamax"]


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2014), Keras 3's form.

    ``m`` and ``v`` are running means of the gradient and its square;
    ``w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        beta_1: decay rate of the first moment, in [0, 1).
        beta_2: decay rate of the second moment, in [0, 1).
        epsilon: small constant in the denominator, >= 0 ("epsilon hat" of the paper).
        amsgrad: use the AMSGrad variant (running maximum of ``v``).
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`Optimizer`.

    Raises:
        ValueError: for an out-of-range hyperparameter.

    >>> Adam(beta_1=1.5)
    Traceback (most recent call last):
    ...
    ValueError: Adam: `beta_1` must be in [0, 1). Received: beta_1=1.5
    """

    _default_name = "adam"

    def __init__(
        self,
        learning_rate: LearningRate = _DEFAULT_LEARNING_RATE,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
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
        self.amsgrad = self._flag(amsgrad, "amsgrad")

    def _slot_specs(self) -> list[tuple[str, float]]:
        specs = [("momentum", 0.0), ("velocity", 0.0)]
        if self.amsgrad:
            specs.append(("velocity_hat", 0.0))
        return specs

    def _update_step(
        self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray], step: int,
        lr: float,
    ) -> None:
        adam_update(
            param, grad, slots["momentum"], slots["velocity"], step, lr=lr,
            beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
            amsgrad=self.amsgrad, vhat=slots.get("velocity_hat"),
        )

    def get_config(self) -> dict[str, Any]:
        """Return the hyperparameters (see :meth:`Optimizer.get_config`)."""
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter, 2019): Adam with decoupled weight decay.

    Before each Adam update, ``w -= w * weight_decay * lr``.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        weight_decay: the decay factor, >= 0. Defaults to 0.004.
        beta_1, beta_2, epsilon, amsgrad: as :class:`Adam`.
        clipnorm, clipvalue, global_clipnorm, name, **kwargs: see :class:`Optimizer`.

    Raises:
        ValueError: if ``weight_decay`` is None or negative, or as :class:`Adam`.

    >>> AdamW().weight_decay
    0.004
    """

    _default_name = "adamw"

    def __init__(
        self,
        learning_rate: LearningRate = _DEFAULT_LEARNING_RATE,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        if weight_decay is None:
            raise ValueError(
                "AdamW: `weight_decay` must be a float. Received: weight_decay=None. To fix, "
                "pass a float, or use Adam for no weight decay."
            )
        super().__init__(
            learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
            weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
            global_clipnorm=global_clipnorm, name=name, **kwargs,
        )


class Nadam(Optimizer):
    """Nadam (Dozat, 2015): Adam with Nesterov momentum, Keras 3's form.

    The momentum follows Keras 3's schedule ``u_t = beta_1 * (1 - 0.5 * 0.96**t)``
    (Keras 2 and PyTorch use ``0.96 ** (0.004 * t)``); see
    :func:`~deepgrad.optimizers.updates.nadam_update` for the rule. The product of the
    ``u_t`` is state (``"u_product"`` in :meth:`get_state`).

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        beta_1: decay rate of the first moment, in [0, 1).
        beta_2: decay rate of the second moment, in [0, 1).
        epsilon: small constant in the denominator, >= 0.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`Optimizer`.

    Raises:
        ValueError: for an out-of-range hyperparameter.

    >>> import numpy as np
    >>> from deepgrad.tensor import Variable
    >>> w = Variable(np.array([1.0], dtype=np.float32))
    >>> opt = Nadam(learning_rate=0.1)
    >>> opt.apply_gradients([(np.array([2.0], dtype=np.float32), w)])
    >>> w.numpy(), opt.get_state()["u_product"]  # u_1 = 0.9 * (1 - 0.5 * 0.96)
    (array([0.8937212], dtype=float32), array(0.468, dtype=float32))
    """

    _default_name = "nadam"

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

    def _build_scalars(self, dtype: np.dtype) -> dict[str, np.ndarray]:
        return {"u_product": np.ones((), dtype=dtype)}

    def _prepare_step(self, step: int) -> None:
        u_product = self._scalars["u_product"]
        u_product[...] = u_product * nadam_momentum(step, self.beta_1)

    def _update_step(
        self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray], step: int,
        lr: float,
    ) -> None:
        nadam_update(
            param, grad, slots["momentum"], slots["velocity"], step, lr=lr,
            beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
            u_product=self._scalars["u_product"][()],
        )

    def get_config(self) -> dict[str, Any]:
        """Return the hyperparameters (see :meth:`Optimizer.get_config`)."""
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


class Adamax(Optimizer):
    """Adamax (Kingma and Ba, 2014, section 7): Adam with the infinity norm, Keras 3's form.

    ``m += (g - m) * (1 - beta_1)``; ``u = max(beta_2 * u, |g|)``;
    ``w -= lr * m / ((1 - beta_1**t) * (u + epsilon))``.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        beta_1: decay rate of the first moment, in [0, 1).
        beta_2: decay rate of the infinity norm, in [0, 1).
        epsilon: small constant in the denominator, >= 0.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs: see
            :class:`Optimizer`.

    >>> import numpy as np
    >>> from deepgrad.tensor import Variable
    >>> w = Variable(np.array([1.0, -1.0], dtype=np.float32))
    >>> Adamax(learning_rate=0.1).apply_gradients([(np.array([3.0, -0.5], np.float32), w)])
    >>> w.numpy().round(5)  # the first step moves each weight by lr
    array([ 0.9, -0.9], dtype=float32)
    """

    _default_name = "adamax"

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
        return [("momentum", 0.0), ("norm", 0.0)]

    def _update_step(
        self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray], step: int,
        lr: float,
    ) -> None:
        adamax_update(param, grad, slots["momentum"], slots["norm"], step, lr=lr,
                      beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)

    def get_config(self) -> dict[str, Any]:
        """Return the hyperparameters (see :meth:`Optimizer.get_config`)."""
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
