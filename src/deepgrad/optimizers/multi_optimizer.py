"""MultiOptimizer and OptimizerMap: a different optimizer for different variables.

An ``OptimizerMap`` names, by regular expressions matched against each variable's path
(``"dense/kernel"``), which optimizer trains it, with a default for the rest. A
``MultiOptimizer`` builds each optimizer on its share of the variables and sends each
its gradients; each keeps its own settings, state, moving average and schedule.

>>> import numpy as np
>>> from deepgrad.optimizers import SGD, Adam
>>> from deepgrad.tensor import Variable
>>> kernel, bias = Variable(np.ones(2, np.float32)), Variable(np.ones(2, np.float32))
>>> kernel.path, bias.path = "dense/kernel", "dense/bias"
>>> opt = MultiOptimizer(OptimizerMap(SGD(0.5), {".*bias": Adam(0.1)}))
>>> opt.apply([np.ones(2, np.float32)] * 2, [kernel, bias])
>>> kernel.numpy(), bias.numpy()
(array([0.5, 0.5], dtype=float32), array([0.9, 0.9], dtype=float32))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from typing import Any

import numpy as np

from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.loss_scale_optimizer import LossScaleOptimizer
from deepgrad.tensor import Tensor

__all__ = ["OptimizerMap", "MultiOptimizer"]


def _check_inner(optimizer: Any, what: str) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{what} must be an Optimizer instance. Received: {optimizer!r}")
    if isinstance(optimizer, (LossScaleOptimizer, MultiOptimizer)):
        raise ValueError(f"{what} cannot be a {type(optimizer).__name__}. Received: "
                         f"{optimizer!r}")
    return optimizer


class OptimizerMap(MutableMapping):
    """Regular expressions of variable paths to optimizers, with a default (Keras's
    ``OptimizerMap``).

    A pattern must match the whole path (``re.fullmatch``); an exact key wins; a path
    matched by two patterns is an error.

    Args:
        default_optimizer: the optimizer of variables no pattern matches.
        optimizer_map: ``{pattern: optimizer}``.

    Raises:
        TypeError: if an optimizer is not an Optimizer, or ``optimizer_map`` not a dict.

    >>> from deepgrad.optimizers import SGD, Adam
    >>> adam = Adam()
    >>> OptimizerMap(SGD(), {"head/.*": adam})["head/kernel"] is adam
    True
    """

    def __init__(self, default_optimizer: Optimizer,
                 optimizer_map: dict[str, Optimizer] | None = None):
        self._default_optimizer = _check_inner(default_optimizer, "OptimizerMap: "
                                               "`default_optimizer`")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError("OptimizerMap: `optimizer_map` must be a dictionary. Received: "
                            f"{optimizer_map!r}")
        self._optimizer_map: dict[str, Optimizer] = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self) -> Optimizer:
        return self._default_optimizer

    def __getitem__(self, key: str) -> Optimizer:
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matching = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(f"OptimizerMap: several optimizers are assigned to variable "
                             f"{key!r}: by the patterns {matching}.")
        return self._optimizer_map[matching[0]] if matching else self._default_optimizer

    def __setitem__(self, key: str, optimizer: Optimizer) -> None:
        if not isinstance(key, str):
            raise ValueError(f"OptimizerMap: a key must be a string. Received: {key!r}")
        if key in self._optimizer_map:
            raise ValueError(f"OptimizerMap: {key!r} already exists, with value "
                             f"{self._optimizer_map[key]!r}. Do not use duplicated keys.")
        self._optimizer_map[key] = _check_inner(optimizer, f"OptimizerMap: the optimizer of "
                                                           f"{key!r}")

    def __delitem__(self, key: str) -> None:
        del self._optimizer_map[key]

    def __len__(self) -> int:
        return len(self._optimizer_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._optimizer_map)

    def __call__(self, variable: Tensor) -> Optimizer:
        return self[getattr(variable, "path", None) or variable.name or ""]

    def get_config(self) -> dict[str, Any]:
        """The default optimizer and each pattern's optimizer, serialized."""
        from deepgrad.optimizers.serialization import serialize

        return {"default_optimizer": serialize(self._default_optimizer),
                "optimizer_map": {k: serialize(v) for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config: dict[str, Any],
                    custom_objects: dict[str, type] | None = None) -> OptimizerMap:
        """Inverse of :meth:`get_config`."""
        from deepgrad.optimizers.serialization import deserialize

        return cls(deserialize(config["default_optimizer"], custom_objects),
                   {k: deserialize(v, custom_objects)
                    for k, v in (config.get("optimizer_map") or {}).items()})


class MultiOptimizer(Optimizer):
    """Several optimizers, each training its own variables (Keras's ``MultiOptimizer``).

    Args:
        optimizer_map: an :class:`OptimizerMap`, or any callable ``fn(variable) ->
            optimizer`` (not saveable).
        loss_scale_factor: set on every inner optimizer (see :class:`Optimizer`).
        name: defaults to ``"multi_optimizer"``.

    ``learning_rate`` belongs to the inner optimizers: reading or setting it here is an
    error, as in Keras. State keys are the inner optimizers' keys prefixed with
    ``"optimizer_<k>/"`` (``k`` in the order the optimizers were first used).

    Raises:
        TypeError, ValueError: at build, when a variable's optimizer is not a plain
            Optimizer (a LossScaleOptimizer or MultiOptimizer cannot be nested).
    """

    _default_name = "multi_optimizer"

    def __init__(self, optimizer_map: OptimizerMap | Callable[[Tensor], Optimizer],
                 loss_scale_factor: float | None = None, name: str | None = None):
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        if not callable(optimizer_map):
            raise TypeError("MultiOptimizer: `optimizer_map` must be an OptimizerMap or a "
                            f"function of a variable. Received: {optimizer_map!r}")
        self._optimizer_map = optimizer_map
        self._inner: list[Optimizer] = []
        if isinstance(optimizer_map, OptimizerMap):
            for optimizer in [*optimizer_map.values(), optimizer_map.default_optimizer]:
                self._adopt(optimizer)
        self._variables: list[Tensor] | None = None
        self._owner: dict[int, int] = {}

    def _adopt(self, optimizer: Optimizer) -> int:
        if not any(optimizer is known for known in self._inner):
            optimizer.loss_scale_factor = self.loss_scale_factor
            self._inner.append(optimizer)
        return next(i for i, known in enumerate(self._inner) if known is optimizer)

    @property
    def optimizers(self) -> list[Optimizer]:
        """The inner optimizers."""
        return list(self._inner)

    @property
    def built(self) -> bool:
        return self._variables is not None

    @property
    def learning_rate(self) -> float:
        raise AttributeError("Learning rate cannot be accessed on a MultiOptimizer. Access "
                             "the learning rate on the individual sub-optimizers instead.")

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        raise AttributeError("Learning rate cannot be set on a MultiOptimizer. Set the "
                             "learning rate on the individual sub-optimizers instead.")

    def build(self, variables: Iterable[Tensor]) -> None:
        """Give each variable its optimizer and build each optimizer on its variables."""
        if self.built:
            return
        variables = list(variables)
        shares: dict[int, list[Tensor]] = {}
        owner = {}
        for variable in variables:
            optimizer = _check_inner(self._optimizer_map(variable),
                                     f"MultiOptimizer: the optimizer of {variable!r}")
            index = self._adopt(optimizer)
            owner[id(variable)] = index
            shares.setdefault(index, []).append(variable)
        for index, share in shares.items():
            self._inner[index].build(share)
        self._owner, self._variables = owner, variables

    @property
    def _built_variables(self) -> list[Tensor]:
        return list(self._variables or [])

    def _split(self, items: Sequence[Any], variables: Sequence[Tensor]
               ) -> dict[int, tuple[list[Any], list[Tensor]]]:
        parts: dict[int, tuple[list[Any], list[Tensor]]] = {}
        for item, variable in zip(items, variables, strict=True):
            index = self._owner.get(id(variable))
            if index is None:
                raise ValueError(f"MultiOptimizer: unknown variable {variable!r}. It can "
                                 "only train the variables it was built with.")
            pair = parts.setdefault(index, ([], []))
            pair[0].append(item)
            pair[1].append(variable)
        return parts

    def apply(self, grads: Sequence[Any],
              trainable_variables: Iterable[Tensor] | None = None) -> None:
        """Send each optimizer the gradients of its variables; count the step."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("MultiOptimizer: when passing `grads` without "
                                 "`trainable_variables`, the optimizer must already be "
                                 "built. To fix, call `optimizer.build(variables)` first.")
            trainable_variables = self._variables
        trainable_variables = list(trainable_variables)
        self.build(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"MultiOptimizer: expected one gradient per variable: received "
                             f"{len(grads)} gradients for {len(trainable_variables)} variables.")
        for index, (sub_grads, sub_variables) in self._split(grads,
                                                             trainable_variables).items():
            self._inner[index].apply(sub_grads, sub_variables)
        self._iterations += 1

    def finalize_variable_values(self, var_list: Iterable[Tensor]) -> None:
        variables = [v for v in var_list if id(v) in self._owner]
        for index, (_, share) in self._split(variables, variables).items():
            self._inner[index].finalize_variable_values(share)

    def swap_ema_weights(self) -> None:
        """Swap the moving averages of the inner optimizers that keep one.

        Raises:
            ValueError: if none does.
        """
        averaging = [optimizer for optimizer in self._inner if optimizer.use_ema]
        if not averaging:
            raise ValueError("MultiOptimizer: none of its optimizers has use_ema=True.")
        for optimizer in averaging:
            optimizer.swap_ema_weights()

    def _averages(self) -> list[tuple[Tensor, np.ndarray]]:
        return [pair for optimizer in self._inner if optimizer.use_ema
                for pair in optimizer._averages()]

    @property
    def use_ema(self) -> bool:
        return any(optimizer.use_ema for optimizer in self._inner)

    @use_ema.setter
    def use_ema(self, value: bool) -> None:
        if value:
            raise ValueError("MultiOptimizer: set use_ema on its optimizers instead.")

    @property
    def loss_scale_factor(self) -> float | None:
        return getattr(self, "_loss_scale_factor", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value: float | None) -> None:
        self._loss_scale_factor = value
        for optimizer in getattr(self, "_inner", []):
            optimizer.loss_scale_factor = value

    def get_state(self) -> dict[str, np.ndarray]:
        state = {"iterations": np.array(self._iterations, dtype=np.int64)}
        for index, optimizer in enumerate(self._inner):
            if optimizer.built:
                state.update({f"optimizer_{index}/{k}": v
                              for k, v in optimizer.get_state().items()})
        return state

    def state_spec(self) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
        spec = {"iterations": ((), np.dtype(np.int64))}
        for index, optimizer in enumerate(self._inner):
            if optimizer.built:
                spec.update({f"optimizer_{index}/{k}": v
                             for k, v in optimizer.state_spec().items()})
        return spec

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`get_state`'s output (each inner optimizer checks its part)."""
        parts: dict[int, dict[str, np.ndarray]] = {}
        for key, value in state.items():
            match = re.fullmatch(r"optimizer_(\d+)/(.+)", key)
            if match is None:
                continue
            index = int(match.group(1))
            if index >= len(self._inner) or not self._inner[index].built:
                raise ValueError(f"MultiOptimizer: the state names optimizer {index}, which "
                                 "this one does not have (built).")
            parts.setdefault(index, {})[match.group(2)] = value
        if "iterations" not in state:
            raise ValueError("MultiOptimizer: the state has no 'iterations'.")
        for index, optimizer in enumerate(self._inner):
            if optimizer.built:
                optimizer.set_state(parts.get(index, {}))
        self._iterations = int(np.asarray(state["iterations"]))

    def get_config(self) -> dict[str, Any]:
        """Keras's form: the map serialized, the loss scale factor, the name.

        Raises:
            TypeError: when the map is a plain function.
        """
        if not isinstance(self._optimizer_map, OptimizerMap):
            raise TypeError("MultiOptimizer: an `optimizer_map` function cannot be saved; "
                            "use an OptimizerMap.")
        return {"optimizer_map": {"class_name": "OptimizerMap",
                                  "config": self._optimizer_map.get_config()},
                "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any],
                    custom_objects: dict[str, type] | None = None) -> MultiOptimizer:
        config = dict(config)
        mapping = config.pop("optimizer_map")
        if isinstance(mapping, dict) and "config" in mapping:
            mapping = mapping["config"]
        return cls(OptimizerMap.from_config(mapping, custom_objects), **config)

    def __repr__(self) -> str:
        return f"<MultiOptimizer name={self.name!r} optimizers={self._inner!r}>"
