"""Flat storage: an optimizer's variables, gradients and slots, each in one long array.

When an optimizer is built, every variable's values are copied into one flat array
per dtype and ``variable.data`` is rebound to a reshaped view of its slice. The
gradients of a step are copied into a second flat array, and every slot (momentum,
velocity, ...) is a third, so the whole update is one call of a pure function from
``updates.py`` on a handful of long arrays, instead of a loop over layers.

Invariants (what callers must respect):

- A variable's values change in place (``Variable.assign``, ``data[...] = x``). If
  someone rebinds ``variable.data`` to another array, the next step notices
  (``variable.data is not view``), copies the new values into the flat array and
  rebinds the view again; slot state is kept. A changed shape is an error; a changed
  dtype regroups the storage.
- Do not keep a reference to ``variable.data`` taken before the optimizer was built:
  after building, it is the old array, no longer updated.

>>> import numpy as np
>>> from deepgrad.tensor import Variable
>>> a, b = Variable(np.ones((2, 2))), Variable(np.zeros(3))
>>> storage = FlatStorage([a, b], [("momentum", 0.0)])
>>> group = storage.groups[0]
>>> group.params.shape, group.offsets.tolist()
((7,), [0, 4, 7])
>>> np.shares_memory(a.data, group.params)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from deepgrad.tensor import Tensor

__all__ = ["FlatStorage", "FlatGroup", "clip_by_norm", "clip_by_global_norm"]


class FlatGroup:
    """Variables of one dtype stored back to back, with their flat gradient and slots.

    Attributes:
        dtype: the common dtype.
        positions: indices of these variables in the optimizer's variable list.
        offsets: ``offsets[j]:offsets[j+1]`` is the slice of the ``j``-th variable.
        params: the flat values; each variable's ``data`` is a view into it.
        grad: the flat gradient buffer, filled at each step.
        grad_views: each variable's slice of ``grad``, in the variable's shape.
        slots: slot name -> flat array, the same layout as ``params``.
        views: the arrays bound to each variable's ``data``.
    """

    __slots__ = ("dtype", "positions", "offsets", "params", "grad", "grad_views", "slots", "views")

    def __init__(
        self,
        dtype: np.dtype,
        positions: list[int],
        variables: Sequence[Tensor],
        slot_specs: Sequence[tuple[str, float]],
        previous_slots: Sequence[dict[str, np.ndarray] | None],
    ):
        self.dtype = dtype
        self.positions = positions
        sizes = [v.data.size for v in variables]
        self.offsets = np.zeros(len(sizes) + 1, dtype=np.intp)
        np.cumsum(sizes, out=self.offsets[1:])
        total = int(self.offsets[-1])
        self.params = np.empty(total, dtype=dtype)
        self.grad = np.zeros(total, dtype=dtype)
        self.slots = {name: np.full(total, initial, dtype=dtype) for name, initial in slot_specs}
        self.views = []
        self.grad_views = []
        for j, variable in enumerate(variables):
            start, stop = self.offsets[j], self.offsets[j + 1]
            self.params[start:stop] = variable.data.reshape(-1)
            view = self.params[start:stop].reshape(variable.data.shape)
            variable.data = view
            self.views.append(view)
            self.grad_views.append(self.grad[start:stop].reshape(variable.data.shape))
            for name, values in (previous_slots[j] or {}).items():
                if name in self.slots:
                    self.slots[name][start:stop] = values


class FlatStorage:
    """All variables of an optimizer in one :class:`FlatGroup` per dtype.

    Zero-size variables take no part (there is nothing to update).

    Args:
        variables: the trainable variables (Tensors with float data).
        slot_specs: ``(name, initial value)`` of each slot the update rule needs.
        previous: storage to take slot values from (when rebuilding after a change).
    """

    def __init__(
        self,
        variables: Sequence[Tensor],
        slot_specs: Sequence[tuple[str, float]],
        previous: FlatStorage | None = None,
    ):
        self.variables = list(variables)
        self.slot_specs = list(slot_specs)
        self.index = {id(v): i for i, v in enumerate(self.variables)}
        self.shapes = [v.data.shape for v in self.variables]
        by_dtype: dict[np.dtype, list[int]] = {}
        for i, v in enumerate(self.variables):
            if v.data.size:
                by_dtype.setdefault(v.data.dtype, []).append(i)
        self.groups = []
        for dtype, positions in by_dtype.items():
            old = [previous.slot_slices(p) if previous else None for p in positions]
            members = [self.variables[p] for p in positions]
            self.groups.append(FlatGroup(dtype, positions, members, self.slot_specs, old))
        # location[i] = (group, start, stop) of variable i, or None for a zero-size one.
        self.location: list[tuple[FlatGroup, int, int] | None] = [None] * len(self.variables)
        self.bound: list[tuple[Tensor, np.ndarray]] = []
        # Where each variable's gradient is copied; a zero-size one gets a scratch array.
        self.grad_views = [np.empty(shape, dtype=v.data.dtype) for v, shape in zip(
            self.variables, self.shapes)]
        for group in self.groups:
            for j, p in enumerate(group.positions):
                self.location[p] = (group, int(group.offsets[j]), int(group.offsets[j + 1]))
                self.bound.append((self.variables[p], group.views[j]))
                self.grad_views[p] = group.grad_views[j]

    def positions(self, variables: Sequence[Tensor]) -> list[int] | None:
        """Map ``variables`` to their indices; None when they are exactly the built list.

        Raises:
            ValueError: for a variable the storage was not built with.
        """
        built = self.variables
        if len(variables) == len(built):
            for a, b in zip(variables, built):
                if a is not b:
                    break
            else:
                return None
        result = []
        for v in variables:
            index = self.index.get(id(v))
            if index is None:
                raise ValueError(
                    f"Unknown variable: {v!r}. This optimizer can only be called for the "
                    "variables it was originally built with. To fix, create a new optimizer "
                    "for a new set of variables."
                )
            result.append(index)
        return result

    def is_intact(self) -> bool:
        """Return whether every variable's ``data`` is still its view into the flat array."""
        for variable, view in self.bound:
            if variable.data is not view:
                return False
        return True

    def repaired(self) -> FlatStorage:
        """Take back variables whose ``data`` was rebound; return the storage to use.

        New values of the same shape and dtype are copied into the flat array and the
        view is rebound. A dtype change rebuilds the storage, keeping slot values.

        Raises:
            ValueError: if a variable's shape changed since the optimizer was built.
        """
        regroup = False
        for i, variable in enumerate(self.variables):
            if variable.data.shape != self.shapes[i]:
                raise ValueError(
                    f"Variable {variable!r} changed shape from {self.shapes[i]} to "
                    f"{variable.data.shape} after the optimizer was built. To fix, create a "
                    "new optimizer for the new variables."
                )
        for variable, view in self.bound:
            if variable.data is view:
                continue
            if variable.data.dtype != view.dtype:
                regroup = True
                continue
            view[...] = variable.data
            variable.data = view
        if regroup:
            return FlatStorage(self.variables, self.slot_specs, previous=self)
        return self

    def gather(self, grads: Sequence[Any]) -> bool:
        """Copy one gradient per variable (built order) into the flat gradient buffers.

        Returns:
            False, leaving the work to :meth:`scatter`, if a gradient is None, not an
            array (or Tensor), or misshapen.
        """
        try:
            for view, grad, shape in zip(self.grad_views, grads, self.shapes):
                if grad.shape != shape:
                    return False
                view[...] = grad
        except AttributeError:  # a None gradient, or a list instead of an array
            return False
        return True

    def scatter(
        self, grads: Sequence[Any], positions: Sequence[int] | None, owner: str
    ) -> tuple[list[Tensor], list[tuple[FlatGroup, int, int]]]:
        """Copy the gradients that are not None into the flat buffers, variable by variable.

        Args:
            grads: gradients (arrays, Tensors, array-likes, or None).
            positions: the variable index of each gradient; None for the built order.
            owner: the optimizer's class name, for error messages.

        Returns:
            The variables that received a gradient, and the ``(group, start, stop)``
            segment of each non-empty one.

        Raises:
            ValueError: if a gradient's shape differs from its variable's.
        """
        updated, segments = [], []
        for i, grad in enumerate(grads):
            if grad is None:
                continue
            grad = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
            position = i if positions is None else positions[i]
            if grad.shape != self.shapes[position]:
                raise ValueError(
                    f"{owner}: gradient {i} has shape {grad.shape} but its variable "
                    f"{self.variables[position]!r} has shape {self.shapes[position]}."
                )
            updated.append(self.variables[position])
            location = self.location[position]
            if location is not None:
                group, start, stop = location
                group.grad[start:stop] = grad.reshape(-1)
                segments.append(location)
        return updated, segments

    def slot_slices(self, position: int) -> dict[str, np.ndarray]:
        """Return the flat slices of every slot of variable ``position`` (views)."""
        location = self.location[position]
        if location is None:
            return {}
        group, start, stop = location
        return {name: values[start:stop] for name, values in group.slots.items()}

    def slot_state(self) -> dict[str, np.ndarray]:
        """Return ``{"<slot>/<i>": copy}`` for every slot of every variable, shaped like it."""
        state = {}
        for name, _ in self.slot_specs:
            for i, (variable, shape) in enumerate(zip(self.variables, self.shapes)):
                location = self.location[i]
                if location is None:
                    state[f"{name}/{i}"] = np.zeros(shape, dtype=variable.data.dtype)
                    continue
                group, start, stop = location
                state[f"{name}/{i}"] = group.slots[name][start:stop].reshape(shape).copy()
        return state

    def load_slot_state(self, state: dict[str, np.ndarray]) -> None:
        """Overwrite every slot from ``state`` (keys as :meth:`slot_state`; checked before)."""
        for name, _ in self.slot_specs:
            for i, location in enumerate(self.location):
                if location is not None:
                    group, start, stop = location
                    group.slots[name][start:stop] = np.asarray(state[f"{name}/{i}"]).reshape(-1)


def clip_by_norm(flat: np.ndarray, offsets: np.ndarray, clipnorm: float) -> None:
    """Clip each segment of ``flat`` to L2 norm at most ``clipnorm``, in place (Keras's form).

    Segment ``j`` is ``flat[offsets[j]:offsets[j+1]]`` (one variable's gradient); it
    becomes ``g * clipnorm / max(norm(g), clipnorm)``. Segments must be non-empty.

    Args:
        flat: the flat gradients.
        offsets: segment boundaries, starting at 0 and ending at ``flat.size``.
        clipnorm: the largest norm a segment may keep.

    >>> g = np.array([3.0, 4.0, 0.3, 0.4])
    >>> clip_by_norm(g, np.array([0, 2, 4]), 1.0); g
    array([0.6, 0.8, 0.3, 0.4])
    """
    dtype = flat.dtype.type
    limit = dtype(clipnorm)
    norms = np.sqrt(np.add.reduceat(np.square(flat), offsets[:-1]))
    flat *= limit
    flat /= np.repeat(np.maximum(norms, limit), np.diff(offsets))


def clip_by_global_norm(flats: Sequence[np.ndarray], clipnorm: float) -> None:
    """Scale all of ``flats`` together so their joint L2 norm is at most ``clipnorm``.

    Keras's form: ``scale = clipnorm * min(1 / norm, 1 / clipnorm)``; a non-finite norm
    makes every gradient NaN, as in Keras, rather than hiding the problem.

    Args:
        flats: gradient arrays, scaled in place.
        clipnorm: the largest joint norm.

    >>> a, b = np.array([3.0]), np.array([4.0])
    >>> clip_by_global_norm([a, b], 1.0); a, b
    (array([0.6]), array([0.8]))
    """
    total = 0.0
    for flat in flats:
        total += float(np.dot(flat, flat))
    norm = total**0.5
    if norm == 0.0 or norm <= clipnorm:
        return
    scale = clipnorm * min(1.0 / norm, 1.0 / clipnorm) if np.isfinite(norm) else float("nan")
    for flat in flats:
        flat *= flat.dtype.type(scale)
