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
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from deepgrad import collective
from deepgrad.optimizers import state as state_module
from deepgrad.optimizers.arguments import (
    LearningRate,
    check_count,
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
from deepgrad.optimizers.updates import apply_weight_decay, ema_update
from deepgrad.tensor import GradientTape, Tensor, no_grad

__all__ = ["Optimizer", "LearningRate", "default_learning_rate"]

# Keras 3's arguments of every optimizer beyond the common five, in its order.
_EXTRA_ARGUMENTS = ("use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                    "gradient_accumulation_steps")
# The slot of the moving average of the weights (use_ema).
AVERAGE = "average"


class _Count(int):
    """An int that answers ``.numpy()``, as Keras's ``iterations`` variable does."""

    def numpy(self) -> np.int64:
        return np.int64(self)


class Optimizer:
    """Base class of optimizers, with Keras 3's API.

    Subclasses declare their slots (``_slot_specs``) and call a pure update function
    (``_update_step``); this class does the rest: validation, the learning rate and its
    schedule, gradient clipping, weight decay, None gradients, flat storage, gradient
    accumulation, the moving average of the weights, constraints, state.

    One call of :meth:`apply` does, in Keras's order: divide the gradients by
    ``loss_scale_factor``; add them to the accumulated ones (with accumulation, the
    update waits for every ``gradient_accumulation_steps``-th call and uses the mean);
    clip; decay the weights; update; update the moving average (and, every
    ``ema_overwrite_frequency`` updates, copy it into the weights); apply each
    variable's ``constraint``.

    Args:
        learning_rate: a float, a :class:`LearningRateSchedule` (evaluated at the number
            of calls so far, as Keras does, so with gradient accumulation at the number
            of micro-batches), or a callable with no arguments returning the rate.
        weight_decay: if set, decoupled weight decay ``w -= w * weight_decay * lr``
            before each update (see :meth:`exclude_from_weight_decay`).
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this joint L2 norm.
        use_ema: keep an exponential moving average of the weights, updated after each
            call: ``average = ema_momentum * average + (1 - ema_momentum) * w`` (the
            first call copies ``w``). ``fit`` ends by copying it into the weights
            (:meth:`finalize_variable_values`); see the ``SwapEMAWeights`` callback.
        ema_momentum: the momentum of that average, in [0, 1].
        ema_overwrite_frequency: with ``use_ema``, copy the average into the weights
            every this many updates (None: only at the end of ``fit``).
        loss_scale_factor: a static loss scale: :meth:`scale_loss` multiplies the loss
            by it and the gradients are divided by it (useful only in float16, which
            deepgrad does not train in; kept for Keras code).
        gradient_accumulation_steps: an int >= 2: update the weights every this many
            calls, with the mean of their gradients. ``iterations`` counts updates.
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
    # True for rules that need each variable whole (Lamb's norms, Muon's matrices): the
    # rule then runs once per variable, on arrays of its shape, instead of on buckets.
    _per_variable = False

    def __init__(
        self,
        learning_rate: LearningRate,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        owner = type(self).__name__
        valid = []  # the argument names, listed when an unknown keyword arrives
        if kwargs:
            parameters = inspect.signature(type(self).__init__).parameters.values()
            valid = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD][1:]
            valid += [name for name in _EXTRA_ARGUMENTS if name not in valid]
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
        self.use_ema = self._flag(use_ema, "use_ema")
        self.ema_momentum = self._number(ema_momentum, "ema_momentum", 0.0, 1.0,
                                         include_high=True)
        self.ema_overwrite_frequency = self._count(ema_overwrite_frequency,
                                                   "ema_overwrite_frequency", 1)
        self.loss_scale_factor = self._optional(loss_scale_factor, "loss_scale_factor",
                                                include_low=False)
        self.gradient_accumulation_steps = self._count(gradient_accumulation_steps,
                                                       "gradient_accumulation_steps", 2)
        self._iterations = 0  # calls of apply (micro-batches, with accumulation)
        self._storage: FlatStorage | None = None
        self._flat_rule = True
        # Scalar state shared by all variables (e.g. Nadam's momentum product).
        self._scalars: dict[str, np.ndarray] = {}
        self._excluded_ids: set[int] = set()
        self._excluded_names: re.Pattern | None = None

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

    def _count(self, value: Any, name: str, low: int) -> int | None:
        return check_count(type(self).__name__, value, name, low)

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
        """The number of updates applied so far (with gradient accumulation, the number
        of calls divided by ``gradient_accumulation_steps``, as in Keras).

        An int where Keras has an int64 variable; like it, it answers ``.numpy()``
        (``self.model.optimizer.iterations.numpy()`` in a callback).

        >>> from deepgrad.optimizers import SGD
        >>> SGD().iterations.numpy()
        np.int64(0)
        """
        steps = self.gradient_accumulation_steps
        return _Count(self._iterations // steps if steps else self._iterations)

    @iterations.setter
    def iterations(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(
                f"{self._prefix}`iterations` must be an int >= 0. Received: iterations={value!r}"
            )
        self._iterations = int(value) * (self.gradient_accumulation_steps or 1)

    @property
    def built(self) -> bool:
        """Whether :meth:`build` has created the optimizer's state."""
        return self._storage is not None

    @property
    def _built_variables(self) -> list[Tensor]:
        """The variables the optimizer was built with, in order (the state's ``<i>``)."""
        return [] if self._storage is None else self._storage.variables

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

    def _update_variable(
        self, variable: Tensor, param: np.ndarray, grad: np.ndarray,
        slots: dict[str, np.ndarray], step: int, lr: float,
    ) -> None:
        """Update one variable, on arrays of its shape; rules that need the whole
        variable (``_per_variable``) override this."""
        self._update_step(param, grad, slots, step, lr)

    def _weight_decay_of(self, variable: Tensor) -> float | None:
        """The weight decay of ``variable`` (None: none), after the exclusions."""
        if self.weight_decay is None or not self._decays(variable):
            return None
        return self.weight_decay

    def _decays(self, variable: Tensor) -> bool:
        if id(variable) in self._excluded_ids:
            return False
        pattern = self._excluded_names
        return pattern is None or pattern.search(variable.name or "") is None

    def _slot_specs_with_average(self) -> list[tuple[str, float]]:
        return self._slot_specs() + ([(AVERAGE, 0.0)] if self.use_ema else [])

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
        self._storage = FlatStorage(variables, self._slot_specs_with_average())
        # Whether one call of the rule may update many variables at once (elementwise
        # rule, the same weight decay for all).
        excluded = bool(self._excluded_ids) or self._excluded_names is not None
        self._flat_rule = not (self._per_variable or excluded)
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

    def minimize(self, loss: Any, var_list: Any, tape: Any = None) -> None:
        """One step that lowers ``loss`` over ``var_list``, as TensorFlow's Keras optimizers.

        Args:
            loss: a function of no arguments returning the loss (run under a fresh
                ``GradientTape``), or the loss Tensor itself when ``tape`` recorded it.
            var_list: the variables to update, or a function returning them.
            tape: the ``GradientTape`` that recorded a loss Tensor.

        Raises:
            TypeError: for a loss Tensor without its tape.

        Keras 3 has no ``minimize``; TensorFlow's Keras 2 did, and course code uses it.

        >>> import numpy as np
        >>> from deepgrad.optimizers import SGD
        >>> from deepgrad.tensor import Variable
        >>> w = Variable(np.array([3.0], np.float32))
        >>> SGD(learning_rate=0.25).minimize(lambda: (w * w).sum(), [w])
        >>> w.numpy()
        array([1.5], dtype=float32)
        """
        variables = list(var_list() if callable(var_list) else var_list)
        if tape is None:
            if not callable(loss):
                raise TypeError(
                    f"{type(self).__name__}.minimize: `loss` must be a function returning the "
                    "loss, or pass the `tape` that recorded it. Received: loss of type "
                    f"{type(loss).__name__} without a tape."
                )
            with GradientTape() as tape:
                loss = loss()
        elif callable(loss):
            with tape:
                loss = loss()
        grads = tape.gradient(loss, variables)
        self.apply_gradients(zip(grads, variables))

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
        calls, steps = self._iterations, self.gradient_accumulation_steps
        updates = calls // steps if steps else calls  # Keras's `iterations` before this call
        scale = self.loss_scale_factor
        if steps is None and scale is None:  # the common case: the arguments as before
            gathered = positions is None and storage.gather(grads)
        else:
            gathered = positions is None and storage.gather(grads, steps is not None, scale)
        if gathered:
            updated, indices = storage.variables, None
        else:
            updated, indices = storage.scatter(grads, positions, type(self).__name__,
                                               steps is not None, scale)
            if not updated:
                raise ValueError(f"{self._prefix}no gradients provided for any variable.")
        if steps is None:
            self._reduce_and_step(indices, updates + 1, lr)
        elif (calls + 1) % steps == 0:
            for group in storage.groups:  # the mean of the accumulated gradients
                group.grad /= group.dtype.type(steps)
            self._reduce_and_step(indices, updates + 1, lr)
            storage.zero_grads()
        if self.use_ema:
            self._update_average(updates)
        self._iterations = calls + 1
        for variable in updated:
            if getattr(variable, "constraint", None) is not None:
                self._apply_constraints(updated)
                break

    def gradient_buffers(self, variables: list) -> list | None:
        """The arrays :meth:`apply` reads ``variables``' gradients from: views of its flat
        gradient buffer, in ``variables``' order. A caller that writes the gradients there
        (the training step's ``tensor.grad(out=...)``, the compiled Dense step) saves
        ``apply`` its copy and the step a weight-sized array (VGG16's training peak in
        ``benchmarks/models.py``). None when ``apply`` must see the gradients apart: a
        subclass's own ``apply``, gradient accumulation (the buffer holds the running sum),
        a loss scale. Builds the optimizer for ``variables`` if it is not built.

        >>> import numpy as np
        >>> from deepgrad.optimizers import SGD
        >>> from deepgrad.tensor import Variable
        >>> w = Variable(np.array([1.0, 2.0], dtype=np.float32))
        >>> opt = SGD(learning_rate=0.5)
        >>> [buffer] = opt.gradient_buffers([w])
        >>> buffer[...] = 1.0
        >>> opt.apply([buffer], [w]); w.numpy()
        array([0.5, 1.5], dtype=float32)
        """
        if (type(self).apply is not Optimizer.apply or self.gradient_accumulation_steps
                is not None or self.loss_scale_factor is not None):
            return None
        if self._storage is None:
            self.build(variables)
        storage = self._storage
        if type(storage) is not FlatStorage:  # (a subclass lays its buffers out otherwise)
            return None
        positions = [storage.index.get(id(v)) for v in variables]
        if None in positions:
            return None
        return [storage.grad_views[p] for p in positions]

    def _reduce_and_step(self, indices: list[int] | None, step: int, lr: float) -> None:
        """:meth:`_step`; under data-parallel training (deepgrad.distribution), on the
        gradients of the whole global batch: each rank's weighted by its share, summed over
        the ranks (before clipping, as one process clips the global batch's gradient).

        An elementwise rule without clipping by norm is sharded (ZeRO stage 1): each rank
        updates its part of the flat buffers and the group shares the results."""
        group = collective.current()
        if group is None:
            self._step(indices, step, lr)
        elif (indices is None and self._flat_rule and self.clipnorm is None
              and self.global_clipnorm is None):
            group.sharded_step(self._storage, lambda parts: self._step(None, step, lr, parts))
        else:
            group.all_reduce_gradients([flat.grad for flat in self._storage.groups])
            self._step(indices, step, lr)

    def _apply_constraints(self, variables: list[Tensor]) -> None:
        """Replace each variable by its constraint's projection (after the update)."""
        with no_grad():
            for variable in variables:
                constraint = getattr(variable, "constraint", None)
                if constraint is not None:
                    variable.assign(constraint(variable))

    def _rule(self, step: int, lr: float, decay: float | None) -> Update:
        """This step's update of one flat piece: weight decay, then the update rule."""

        def update(param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray]) -> None:
            if decay is not None:
                apply_weight_decay(param, lr=lr, weight_decay=decay)
            self._update_step(param, grad, slots, step, lr)

        return update

    def _step(self, indices: list[int] | None, step: int, lr: float,
              parts: list[tuple[int, int]] | None = None) -> None:
        """Clip, decay and update the variables at ``indices`` (None: all, in the flat
        buffers: a few updates per dtype), or the elements ``parts[k]`` (start, stop) of
        each dtype's flat buffers (an elementwise rule, clipped by value at most)."""
        storage = self._storage
        if parts is not None:
            self._clip([(group.grad[a:b], None) for group, (a, b) in zip(storage.groups, parts)])
            self._prepare_step(step)
            update = self._rule(step, lr, self.weight_decay)
            for group, (a, b) in zip(storage.groups, parts):
                group.step(update, a, b)
            return
        if indices is None:
            self._clip([(group.grad, group.offsets) for group in storage.groups])
        else:
            self._clip([(view.reshape(-1), np.array([0, view.size])) for view in
                        (storage.grad_views[i] for i in indices) if view.size])
        self._prepare_step(step)
        if indices is None and self._flat_rule:
            # The fast path: one call per bucket of small variables and per large one.
            update = self._rule(step, lr, self.weight_decay)
            for group in storage.groups:
                group.step(update)
            return
        # The general path: once per variable, on arrays of its shape.
        for i in range(len(storage.variables)) if indices is None else indices:
            views = storage.views(i)
            if views is None:
                continue
            variable = storage.variables[i]
            decay = self._weight_decay_of(variable)
            if decay is not None:
                apply_weight_decay(views[0], lr=lr, weight_decay=decay)
            self._update_variable(variable, *views, step, lr)

    def _update_average(self, updates: int) -> None:
        """The moving average of every variable (Keras's EMA), and its copy into the
        weights every ``ema_overwrite_frequency`` updates."""
        momentum = self.ema_momentum if updates else 0.0  # the first call copies
        frequency = self.ema_overwrite_frequency
        overwrite = bool(frequency) and (updates + 1) % frequency == 0

        def average(param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray]) -> None:
            ema_update(slots[AVERAGE], param, momentum=momentum)
            if overwrite:
                param[...] = slots[AVERAGE]

        for group in self._storage.groups:
            group.step(average)

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
         'global_clipnorm': None, 'clipvalue': None, 'use_ema': False, 'ema_momentum': 0.99,
         'ema_overwrite_frequency': None, 'loss_scale_factor': None,
         'gradient_accumulation_steps': None, 'momentum': 0.9, 'nesterov': False}
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
            **{name: getattr(self, name) for name in _EXTRA_ARGUMENTS},
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, type] | None = None
    ) -> Optimizer:
        """Create an optimizer from :meth:`get_config`'s output (or a Keras 3 config).

        >>> from deepgrad.optimizers import RMSprop
        >>> RMSprop.from_config({"learning_rate": 0.01, "use_ema": True}).use_ema
        True
        """
        config = dict(config)
        if config.get("ema_momentum", 0.99) is None:
            del config["ema_momentum"]
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize_schedule(
                config["learning_rate"], custom_objects
            )
        return cls(**config)

    def get_state(self) -> dict[str, np.ndarray]:
        """Return every piece of state as arrays: iterations, learning rate, slots.

        Keys are ``"iterations"`` (the number of calls), ``"learning_rate"`` (when it is
        a float), shared scalars such as ``"u_product"``, and ``"<slot>/<i>"`` for slot
        ``<slot>`` of the ``i``-th variable (in the built order), shaped like that
        variable: the rule's slots, ``"average"`` with ``use_ema`` and
        ``"gradient_accumulator"`` with gradient accumulation. Values are copies. With
        :meth:`set_state`, a reloaded optimizer continues bit-identically.

        Returns:
            dict from name to ndarray.

        >>> import numpy as np
        >>> from deepgrad.optimizers import Adam
        >>> from deepgrad.tensor import Variable
        >>> opt = Adam(); opt.build([Variable(np.zeros(2, np.float32))])
        >>> sorted(opt.get_state())
        ['iterations', 'learning_rate', 'momentum/0', 'velocity/0']
        """
        group = collective.current()
        if group is not None and self._storage is not None:  # data parallel: slots split
            group.complete_state(self._storage)
        return state_module.collect(self)

    def state_spec(self) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
        """Return the shape and dtype of each entry of :meth:`get_state`, copying nothing.

        A model file's optimizer state is compared with this before it is read.

        >>> import numpy as np
        >>> from deepgrad.optimizers import SGD
        >>> from deepgrad.tensor import Variable
        >>> opt = SGD(momentum=0.9); opt.build([Variable(np.zeros(3, np.float32))])
        >>> opt.state_spec()["momentum/0"]
        ((3,), dtype('float32'))
        """
        return state_module.spec(self)

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
        state_module.restore(self, state)

    # -- Keras's extras: loss scale, weight-decay exclusions, the moving average ----------
    def scale_loss(self, loss: Any) -> Any:
        """Multiply the loss by ``loss_scale_factor`` before differentiating (no change
        without one); :meth:`apply` divides the gradients by it.

        >>> from deepgrad.optimizers import SGD
        >>> SGD(loss_scale_factor=8.0).scale_loss(2.0), SGD().scale_loss(2.0)
        (16.0, 2.0)
        """
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def exclude_from_weight_decay(
        self, var_list: Iterable[Tensor] | None = None, var_names: Iterable[str] | None = None
    ) -> None:
        """Leave some variables out of the weight decay (e.g. biases and norms' scales).

        Args:
            var_list: variables to leave out.
            var_names: names: a variable whose name contains one (a regular expression)
                is left out, e.g. ``["bias"]``.

        Raises:
            ValueError: if the optimizer is already built (as in Keras).

        >>> import numpy as np
        >>> from deepgrad.optimizers import SGD
        >>> from deepgrad.tensor import Variable
        >>> w, b = Variable(np.ones(1, np.float32)), Variable(np.ones(1, np.float32), name="bias")
        >>> opt = SGD(learning_rate=0.5, weight_decay=0.2)
        >>> opt.exclude_from_weight_decay(var_names=["bias"])
        >>> opt.apply([np.zeros(1, np.float32)] * 2, [w, b]); w.numpy(), b.numpy()
        (array([0.9], dtype=float32), array([1.], dtype=float32))
        """
        if self.built:
            raise ValueError(f"{self._prefix}`exclude_from_weight_decay()` can only be "
                             "configured before the optimizer is built.")
        self._excluded_ids = {id(v) for v in var_list or ()}
        names = list(var_names or ())
        self._excluded_names = re.compile("|".join(names)) if names else None

    def _averages(self) -> list[tuple[Tensor, np.ndarray]]:
        """Each variable with a view of its moving average."""
        if not self.use_ema:
            raise ValueError(f"{self._prefix}there is no moving average of the weights: the "
                             "optimizer was created with use_ema=False.")
        storage = self._storage
        return [] if storage is None else storage.slot_views(AVERAGE)

    def finalize_variable_values(self, var_list: Iterable[Tensor]) -> None:
        """Copy the moving average into the variables at the end of training (with
        ``use_ema``; nothing otherwise). ``fit`` calls it, as Keras's does.

        Args:
            var_list: the variables (those the optimizer does not know are skipped).
        """
        if not self.use_ema or self._storage is None:
            return
        averages = {id(v): average for v, average in self._averages()}
        for variable in var_list:
            average = averages.get(id(variable))
            if average is not None:
                variable.assign(average)

    def swap_ema_weights(self) -> None:
        """Exchange the variables' values with their moving averages (used by the
        ``SwapEMAWeights`` callback; a second call swaps back).

        Raises:
            ValueError: without ``use_ema``.
        """
        for variable, average in self._averages():
            values = variable.data.copy()
            variable.assign(average)
            average[...] = values

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} name={self.name!r} "
            f"learning_rate={self._learning_rate!r} iterations={self._iterations}>"
        )
