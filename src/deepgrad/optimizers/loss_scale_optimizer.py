"""LossScaleOptimizer: Keras's wrapper for float16 training, accepted and passed through.

Dynamic loss scaling keeps float16 gradients from underflowing. deepgrad trains in
float32 or float64, where they do not, so this wrapper scales nothing: every step,
state and setting is its inner optimizer's. It exists so that Keras code (and saved
Keras configs) using it run unchanged.

>>> import numpy as np
>>> from deepgrad.optimizers import SGD
>>> from deepgrad.tensor import Variable
>>> w = Variable(np.array([1.0], np.float32))
>>> opt = LossScaleOptimizer(SGD(learning_rate=0.5))
>>> opt.apply_gradients([(np.array([1.0], np.float32), w)])
>>> w.numpy(), opt.iterations, opt.scale_loss(3.0)
(array([0.5], dtype=float32), 1, 3.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from deepgrad.optimizers.arguments import LearningRate, check_number
from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.flat import FlatStorage
from deepgrad.tensor import Tensor

__all__ = ["LossScaleOptimizer"]

# Keras 3's base arguments that its LossScaleOptimizer refuses unless at their defaults.
_BASE_DEFAULTS = {
    "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
    "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
    "loss_scale_factor": None, "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    """Keras's ``LossScaleOptimizer(inner_optimizer, initial_scale, dynamic_growth_steps)``:
    here a pass-through to ``inner_optimizer`` (no loss scaling in float32).

    Args:
        inner_optimizer: the optimizer that does the work.
        initial_scale: Keras's initial loss scale; kept in the config only.
        dynamic_growth_steps: Keras's scale growth period; kept in the config only.
        name: defaults to ``"loss_scale_optimizer"``.
        **kwargs: Keras's base arguments at their defaults (older saved configs hold
            them); anything else is set on the inner optimizer instead.

    Raises:
        TypeError: if ``inner_optimizer`` is not an Optimizer.
        ValueError: for ``dynamic=False`` or a base argument that is not its default.

    >>> from deepgrad.optimizers import SGD
    >>> LossScaleOptimizer(SGD(), clipnorm=1.0)
    Traceback (most recent call last):
    ...
    ValueError: LossScaleOptimizer does not support `clipnorm`. Instead, set `clipnorm` on the `inner_optimizer`.
    """  # noqa: E501

    _default_name = "loss_scale_optimizer"

    def __init__(self, inner_optimizer: Optimizer, initial_scale: float = 2.0**15,
                 dynamic_growth_steps: int = 2000, name: str | None = None, **kwargs: Any):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, "
                             "simply set `loss_scale_factor` directly on the "
                             "`inner_optimizer`.")
        for key, default in _BASE_DEFAULTS.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{key}`. Instead, set "
                                 f"`{key}` on the `inner_optimizer`.")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: "
                             f"`{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError("LossScaleOptimizer: `inner_optimizer` must be an Optimizer. "
                            f"Received: {inner_optimizer!r}")
        self.inner_optimizer = inner_optimizer
        self.initial_scale = check_number("LossScaleOptimizer", initial_scale, "initial_scale",
                                          include_low=False)
        if isinstance(dynamic_growth_steps, bool) or not isinstance(
                dynamic_growth_steps, (int, np.integer)) or dynamic_growth_steps < 1:
            raise ValueError("LossScaleOptimizer: `dynamic_growth_steps` must be an int >= 1. "
                             f"Received: dynamic_growth_steps={dynamic_growth_steps!r}")
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        self.name = name if name is not None else self._default_name

    # Everything below is the inner optimizer's.
    @property
    def _storage(self) -> FlatStorage | None:
        return self.inner_optimizer._storage

    @property
    def use_ema(self) -> bool:
        return self.inner_optimizer.use_ema

    @property
    def learning_rate(self) -> float:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: LearningRate) -> None:
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self) -> int:
        return self.inner_optimizer.iterations

    @iterations.setter
    def iterations(self, value: int) -> None:
        self.inner_optimizer.iterations = value

    def build(self, variables: Iterable[Tensor]) -> None:
        self.inner_optimizer.build(variables)

    def apply(self, grads: Sequence[Any],
              trainable_variables: Iterable[Tensor] | None = None) -> None:
        self.inner_optimizer.apply(grads, trainable_variables)

    def scale_loss(self, loss: Any) -> Any:
        """The inner optimizer's ``scale_loss``: no dynamic scale in float32."""
        return self.inner_optimizer.scale_loss(loss)

    def finalize_variable_values(self, var_list: Iterable[Tensor]) -> None:
        self.inner_optimizer.finalize_variable_values(var_list)

    def swap_ema_weights(self) -> None:
        self.inner_optimizer.swap_ema_weights()

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        self.inner_optimizer.exclude_from_weight_decay(var_list, var_names)

    def get_state(self) -> dict[str, np.ndarray]:
        return self.inner_optimizer.get_state()

    def state_spec(self) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
        return self.inner_optimizer.state_spec()

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.inner_optimizer.set_state(state)

    def get_config(self) -> dict[str, Any]:
        """Keras's form: the name, the inner optimizer serialized, the two scale settings."""
        from deepgrad.optimizers.serialization import serialize

        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config: dict[str, Any],
                    custom_objects: dict[str, type] | None = None) -> LossScaleOptimizer:
        """Build from :meth:`get_config`'s output (or Keras's)."""
        from deepgrad.optimizers.serialization import deserialize

        config = dict(config)
        inner = deserialize(config.pop("inner_optimizer"), custom_objects)
        return cls(inner, **config)

    def __repr__(self) -> str:
        return f"<LossScaleOptimizer name={self.name!r} inner={self.inner_optimizer!r}>"
