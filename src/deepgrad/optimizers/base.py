"""The Optimizer base class: configuration, learning rate, clipping, state, and the step.

An optimizer holds its hyperparameters and its state; the update rule itself is a pure
function in ``updates.py``. On :meth:`Optimizer.build` the optimizer lays out its
gradients and slots in flat arrays (``flat.py``), so that :meth:`Optimizer.apply` runs
the update rule on a few long arrays. The variables keep their own arrays.

>>> import numpy as np
>>> from deepgrad.optimizers import SGD
>>> from deepgrad.tensor import Variable
>>> w = Variable(np.array([1.0, 2.0], dtype=np.float32))
>>> opt = SGD(learning_rate=0.1)
>>> opt.apply_gradients([(np.array([1.0, -1.0], dtype=np.float32), w)])
>>> w.numpy(), opt.iterations
(array([0.9, 2.1], dtype=float32), 1)
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from deepgrad.optimizers.arguments import (
    LearningRate,
    check_flag,
    check_learning_rate,
    check_number,
    default_learning_rate,
    resolve_legacy_arguments,
)
from deepgrad.optimizers.flat import FlatStorage, Update, clip_by_global_norm, clip_by_norm
from deepgrad.optimizers.schedules import LearningRateSchedule
from deepgrad.optimizers.schedules import deserialize as deserialize_schedule
from deepgrad.optimizers.schedules import serialize as serialize_schedule
from deepgrad.optimizers.updates import apply_weight_decay
from deepgrad.tensor import Tensor

__all__ = ["Optimizer", "LearningRate", "default_learning_rate"]

# Keras 3 arguments deepgrad does not implement; from_config drops them when inactive.
_KERAS_ONLY_INACTIVE = {
    "use_ema": False,
    "ema_momentum": None,  # meaningful only with use_ema
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class Optimizer:
    """Base class of optimizers, with Keras 3's API.

    Subclasses declare their slots (``_slot_specs``) and call a pure update function
    (``_update_step``); this class does the rest: validation, the learning rate and its
    schedule, gradient clipping, weight decay, None gradients, flat storage, state.

    Args:
        learning_rate: a float, a :class:`LearningRateSchedule` (evaluated at
            ``iterations``), or a callable with no arguments returning the rate.
        weight_decay: if set, decoupled weight decay ``w -= w * weight_decay * lr``
            before each update.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this joint L2 norm.
        name: the optimizer's name.
        **kwargs: the legacy aliases ``lr`` (for ``learning_rate``) and ``decay``
            (Keras 2's inverse-time decay), each with a ``DeprecationWarning``.

    Raises:
        ValueError: for an out-of-range hyperparameter, or more than one clipping option.
        TypeError: for an unknown keyword argument, a wrong type, or both
            ``learning_rate`` and ``lr``.

    >>> import numpy as np
    >>> from deepgrad.optimizers import SGD
    >>> from deepgrad.tensor import Variable
    >>> w = Variable(np.array([1.0, 2.0], dtype=np.float32))
    >>> opt = SGD(learning_rate=0.1, clipvalue=0.5)
    >>> opt.apply([np.array([2.0, -0.1], dtype=np.float32)], [w])
    >>> w.numpy(), opt.iterations
    (array([0.95, 2.01], dtype=float32), 1)
    """

    _default_name = "optimizer"

    def __init__(
        self,
        learning_rate: LearningRate,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        owner = type(self).__name__
        valid = []  # the argument names, listed when an unknown keyword arrives
        if kwargs:
            parameters = inspect.signature(type(self).__init__).parameters.values()
            valid = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD][1:]
        learning_rate = resolve_legacy_arguments(owner, learning_rate, kwargs, valid)
        self._learning_rate = check_learning_rate(owner, learning_rate)
        self.weight_decay = self._optional(weight_decay, "weight_decay", include_low=True)
        self.clipnorm = self._optional(clipnorm, "clipnorm", include_low=False)
        self.clipvalue = self._optional(clipvalue, "clipvalue", include_low=False)
        self.global_clipnorm = self._optional(global_clipnorm, "global_clipnorm", include_low=False)
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"{self._prefix}only one of `clipnorm`, `clipvalue` and `global_clipnorm` can "
                f"be set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{self._prefix}`name` must be a string. Received: name={name!r}")
        self.name = name if name is not None else self._default_name
        self._iterations = 0
        self._storage: FlatStorage | None = None
        # Scalar state shared by all variables (e.g. Nadam's momentum product).
        self._scalars: dict[str, np.ndarray] = {}

    # -- validation -----------------------------------------------------------------------
    @property
    def _prefix(self) -> str:
        return f"{type(self).__name__}: "

    def _number(
        self, value: Any, name: str, low: float = 0.0, high: float = math.inf, **ends: bool
    ) -> float:
        return check_number(type(self).__name__, value, name, low, high, **ends)

    def _optional(self, value: Any, name: str, *, include_low: bool) -> float | None:
        return None if value is None else self._number(value, name, include_low=include_low)

    def _flag(self, value: Any, name: str) -> bool:
        return check_flag(type(self).__name__, value, name)

    # -- learning rate and iterations ----------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The learning rate of the next step (a schedule is evaluated at ``iterations``).

        Set it to a float, or to a schedule. Setting a float is refused when the
        optimizer was created with a schedule, as in Keras.
        """
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value: LearningRate) -> None:
        if isinstance(self._learning_rate, LearningRateSchedule) and not (
            isinstance(value, LearningRateSchedule) or callable(value)
        ):
            raise TypeError(
                f"{self._prefix}this optimizer was created with a LearningRateSchedule as "
                "its `learning_rate`, so its learning rate is not settable. To fix, create "
                "the optimizer with a float `learning_rate`."
            )
        self._learning_rate = check_learning_rate(type(self).__name__, value)

    def _current_learning_rate(self) -> float:
        rate = self._learning_rate
        if type(rate) is float:
            return rate
        if isinstance(rate, LearningRateSchedule):
            return float(rate(self._iterations))
        return float(rate())

    @property
    def iterations(self) -> int:
        """The number of steps applied so far."""
        return self._iterations

    @iterations.setter
    def iterations(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(
                f"{self._prefix}`iterations` must be an int >= 0. Received: iterations={value!r}"
            )
        self._iterations = int(value)

    @property
    def built(self) -> bool:
        """Whether :meth:`build` has created the optimizer's state."""
        return self._storage is not None

    # -- what subclasses provide ---------------------------------------------------------
    def _slot_specs(self) -> list[tuple[str, float]]:
        """``(name, initial value)`` of each per-variable slot, in Keras's order."""
        return []

    def _build_scalars(self, dtype: np.dtype) -> dict[str, np.ndarray]:
        """Scalar state shared by all variables (0-d arrays), created at build."""
        return {}

    def _prepare_step(self, step: int) -> None:
        """Update shared scalar state once per step, before the variables are updated."""

    def _update_step(
        self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray], step: int,
        lr: float,
    ) -> None:
        """Apply the update rule in place to ``param`` (flat, or one variable's slice)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `_update_step`.")

    # -- building and stepping -----------------------------------------------------------
    def build(self, variables: Iterable[Tensor]) -> None:
        """Create the optimizer's state (slots and gradient buffers) for ``variables``.

        The slots of all variables of one dtype are laid out in one flat array each; the
        variables keep their own arrays. Does nothing if already built.

        Args:
            variables: the trainable variables, in the order gradients will come.

        Raises:
            TypeError: if an item is not a Tensor with floating-point data.
            ValueError: if a variable appears twice.

        >>> import numpy as np
        >>> from deepgrad.optimizers import Adam
        >>> from deepgrad.tensor import Variable
        >>> w = Variable(np.zeros(3, np.float32))
        >>> opt = Adam(); opt.build([w]); opt.built
        True
        """
        if self._storage is not None:
            return
        variables = list(variables)
        seen = set()
        for v in variables:
            if not isinstance(v, Tensor):
                raise TypeError(
                    f"{self._prefix}expected Variables to optimize. Received an item of type "
                    f"{type(v).__name__}: {v!r}"
                )
            if not np.issubdtype(v.data.dtype, np.floating):
                raise TypeError(
                    f"{self._prefix}can only optimize floating-point variables. Received "
                    f"{v!r} of dtype {v.data.dtype}"
                )
            if id(v) in seen:
                raise ValueError(f"{self._prefix}variable {v!r} appears twice in `variables`.")
            seen.add(id(v))
        self._storage = FlatStorage(variables, self._slot_specs())
        from deepgrad import config

        dtype = variables[0].data.dtype if variables else config.default_dtype()
        self._scalars = self._build_scalars(np.dtype(dtype))

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Tensor]]) -> None:
        """Apply one step from ``(gradient, variable)`` pairs, e.g. ``zip(grads, vars)``.

        Args:
            grads_and_vars: pairs of a gradient (ndarray, Tensor, or None to leave that
                variable and its slots untouched) and its variable.

        Raises:
            ValueError: as :meth:`apply`.

        >>> import numpy as np
        >>> from deepgrad.optimizers import SGD
        >>> from deepgrad.tensor import Variable
        >>> a, b = Variable(np.ones(1, np.float32)), Variable(np.ones(1, np.float32))
        >>> SGD(learning_rate=0.5).apply_gradients([(np.ones(1, np.float32), a), (None, b)])
        >>> a.numpy(), b.numpy()
        (array([0.5], dtype=float32), array([1.], dtype=float32))
        """
        grads, variables = [], []
        for grad, variable in grads_and_vars:
            grads.append(grad)
            variables.append(variable)
        self.apply(grads, variables)

    def apply(
        self, grads: Sequence[Any], trainable_variables: Iterable[Tensor] | None = None
    ) -> None:
        """Apply one step: clip the gradients, decay the weights, update, count the step.

        Builds the optimizer on the first call. Gradients that are None are skipped:
        their variables and slots stay untouched (the step still counts).

        Args:
            grads: one gradient per variable (ndarray, Tensor, or None).
            trainable_variables: the variables; omit to use those the optimizer was
                built with, in that order.

        Raises:
            ValueError: if the counts or shapes do not match, a variable is unknown, or
                every gradient is None.

        >>> import numpy as np
        >>> from deepgrad.optimizers import SGD
        >>> from deepgrad.tensor import Variable
        >>> w = Variable(np.array([3.0, 4.0], dtype=np.float32))
        >>> opt = SGD(learning_rate=1.0, clipnorm=1.0)
        >>> opt.apply([w.numpy().copy()], [w])  # the gradient has norm 5: clipped to 1
        >>> w.numpy()
        array([2.4, 3.2], dtype=float32)
        """
        grads = grads if type(grads) is list else list(grads)
        if trainable_variables is None:
            if self._storage is None:
                raise ValueError(
                    f"{self._prefix}when passing `grads` without `trainable_variables`, the "
                    "optimizer must already be built. To fix, call "
                    "`optimizer.build(trainable_variables)` first."
                )
            positions = None
            count = len(self._storage.variables)
        else:
            if type(trainable_variables) is not list:
                trainable_variables = list(trainable_variables)
            if self._storage is None:
                self.build(trainable_variables)
            positions = self._storage.positions(trainable_variables)
            count = len(trainable_variables)
        if len(grads) != count:
            raise ValueError(
                f"{self._prefix}expected one gradient per variable: received {len(grads)} "
                f"gradients for {count} variables."
            )
        if not grads:
            return
        storage = self._storage
        storage.check()
        lr = self._current_learning_rate()
        step = self._iterations + 1
        if positions is None and storage.gather(grads):
            self._step_flat(step, lr)
            updated = storage.variables
        else:
            updated = self._step_each(grads, positions, step, lr)
        self._iterations = step
        for variable in updated:
            constraint = getattr(variable, "constraint", None)
            if constraint is not None:
                variable.assign(constraint(variable))

    def _rule(self, step: int, lr: float) -> Update:
        """This step's update of one flat piece: weight decay, then the update rule."""
        decay = self.weight_decay

        def update(param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray]) -> None:
            if decay is not None:
                apply_weight_decay(param, lr=lr, weight_decay=decay)
            self._update_step(param, grad, slots, step, lr)

        return update

    def _step_flat(self, step: int, lr: float) -> None:
        """The fast path: every gradient is in the flat buffers; a few updates per dtype."""
        groups = self._storage.groups
        self._clip([(group.grad, group.offsets) for group in groups])
        self._prepare_step(step)
        update = self._rule(step, lr)
        for group in groups:
            group.step(update)

    def _step_each(
        self, grads: list[Any], positions: list[int] | None, step: int, lr: float
    ) -> list[Tensor]:
        """The general path: some gradients are None, or variables come in another order.

        The update function runs once per variable, on its own array and its slices of
        the flat gradient and slots.
        """
        updated, segments = self._storage.scatter(grads, positions, type(self).__name__)
        if not updated:
            raise ValueError(f"{self._prefix}no gradients provided for any variable.")
        self._clip([(grad, np.array([0, grad.size])) for _, grad, _ in segments])
        self._prepare_step(step)
        update = self._rule(step, lr)
        for param, grad, slots in segments:
            update(param, grad, slots)
        return updated

    def _clip(self, pieces: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Clip the flat gradients in place; each piece is ``(flat, segment offsets)``."""
        if self.clipnorm is not None:
            for flat, offsets in pieces:
                clip_by_norm(flat, offsets, self.clipnorm)
        elif self.global_clipnorm is not None:
            clip_by_global_norm([flat for flat, _ in pieces], self.global_clipnorm)
        elif self.clipvalue is not None:
            for flat, _ in pieces:
                np.clip(flat, -self.clipvalue, self.clipvalue, out=flat)

    # -- configuration and state ---------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Return the hyperparameters as a JSON-friendly dict (no state).

        A schedule is serialized; a callable learning rate is saved as its current value.

        >>> from deepgrad.optimizers import SGD
        >>> SGD(momentum=0.9).get_config()  # doctest: +NORMALIZE_WHITESPACE
        {'name': 'SGD', 'learning_rate': 0.01, 'weight_decay': None, 'clipnorm': None,
         'global_clipnorm': None, 'clipvalue': None, 'momentum': 0.9, 'nesterov': False}
        """
        rate = self._learning_rate
        if isinstance(rate, LearningRateSchedule):
            rate = serialize_schedule(rate)
        elif type(rate) is not float:
            rate = float(rate())
        return {
            "name": self.name,
            "learning_rate": rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, type] | None = None
    ) -> Optimizer:
        """Create an optimizer from :meth:`get_config`'s output (or a Keras 3 config).

        Keras-only options at their inactive values (``use_ema=False``...) are dropped.

        Raises:
            ValueError: if a Keras-only option deepgrad does not implement is active.

        >>> from deepgrad.optimizers import RMSprop
        >>> RMSprop.from_config({"learning_rate": 0.01, "use_ema": False}).learning_rate
        0.01
        """
        config = dict(config)
        for key, inactive in _KERAS_ONLY_INACTIVE.items():
            value = config.pop(key, inactive)
            if key != "ema_momentum" and value != inactive:
                raise ValueError(
                    f"{cls.__name__}: the Keras option `{key}` is not supported by deepgrad. "
                    f"Received: {key}={value!r}"
                )
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize_schedule(
                config["learning_rate"], custom_objects
            )
        return cls(**config)

    def get_state(self) -> dict[str, np.ndarray]:
        """Return every piece of state as arrays: iterations, learning rate, slots.

        Keys are ``"iterations"``, ``"learning_rate"`` (when it is a float), shared
        scalars such as ``"u_product"``, and ``"<slot>/<i>"`` for slot ``<slot>`` of the
        ``i``-th variable (in the built order), shaped like that variable. Values are
        copies. With :meth:`set_state`, a reloaded optimizer continues bit-identically.

        Returns:
            dict from name to ndarray.

        >>> import numpy as np
        >>> from deepgrad.optimizers import Adam
        >>> from deepgrad.tensor import Variable
        >>> opt = Adam(); opt.build([Variable(np.zeros(2, np.float32))])
        >>> sorted(opt.get_state())
        ['iterations', 'learning_rate', 'momentum/0', 'velocity/0']
        """
        state = {"iterations": np.array(self._iterations, dtype=np.int64)}
        if type(self._learning_rate) is float:
            state["learning_rate"] = np.array(self._learning_rate, dtype=np.float64)
        for name, value in self._scalars.items():
            state[name] = value.copy()
        if self._storage is not None:
            state.update(self._storage.slot_state())
        return state

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore state from :meth:`get_state`; nothing changes if any entry is wrong.

        Args:
            state: the dict :meth:`get_state` returned (arrays, or array-likes).

        Raises:
            ValueError: if the optimizer is not built while the state has slots, or a
                key is missing or unexpected, or a shape or dtype differs.

        >>> import numpy as np
        >>> from deepgrad.optimizers import SGD
        >>> from deepgrad.tensor import Variable
        >>> w = Variable(np.zeros(1, np.float32))
        >>> opt = SGD(momentum=0.9); opt.apply([np.ones(1, np.float32)], [w])
        >>> copy = SGD(momentum=0.9); copy.build([Variable(w.numpy().copy())])
        >>> copy.set_state(opt.get_state()); copy.iterations, copy.get_state()["momentum/0"]
        (1, array([-0.01], dtype=float32))
        """
        expected = {name: (value.shape, value.dtype) for name, value in self.get_state().items()}
        optional = {"learning_rate"}
        missing = sorted(set(expected) - set(state) - optional)
        unexpected = sorted(set(state) - set(expected) - optional)
        if unexpected and self._storage is None:
            raise ValueError(
                f"{self._prefix}cannot set slot state on an optimizer that is not built. To "
                "fix, call `optimizer.build(trainable_variables)` first."
            )
        if missing or unexpected:
            raise ValueError(
                f"{self._prefix}the state does not match this optimizer. Missing: {missing}; "
                f"unexpected: {unexpected}."
            )
        arrays = {name: np.asarray(value) for name, value in state.items()}
        for name, array in arrays.items():
            if name == "learning_rate":
                if "learning_rate" not in expected:
                    raise ValueError(
                        f"{self._prefix}the state holds a float learning rate but this "
                        "optimizer uses a schedule or a callable."
                    )
                continue
            shape, dtype = expected[name]
            if name == "iterations":
                good = array.shape == () and np.issubdtype(array.dtype, np.integer)
            else:
                good = array.shape == shape and array.dtype == dtype
            if not good:
                raise ValueError(
                    f"{self._prefix}state entry {name!r} has shape {array.shape} and dtype "
                    f"{array.dtype}; expected shape {shape} and dtype {dtype}."
                )
        self._iterations = int(arrays["iterations"])
        if "learning_rate" in arrays:
            self._learning_rate = float(arrays["learning_rate"])
        for name in self._scalars:
            self._scalars[name][...] = arrays[name]
        if self._storage is not None:
            self._storage.load_slot_state(arrays)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} name={self.name!r} "
            f"learning_rate={self._learning_rate!r} iterations={self._iterations}>"
        )
