"""Flat state: an optimizer's gradients and slots, each in one long array per dtype.

The optimizer owns its state, never the model's storage: every variable keeps its own
array, and the optimizer keeps, per dtype, one flat gradient buffer and one flat array
per slot (momentum, velocity, ...), with each variable's slice at the same place in all
of them. A step copies the gradients into the flat buffer (where clipping by norm, and
an all-reduce across processes, see them all at once) and runs the pure update rule of
``updates.py`` on a few long arrays:

- a variable of at least :data:`PACK_LIMIT` elements is updated in place, on its own
  array and its slices of the flat gradient and slots (one call per large variable,
  PyTorch's grouping by parameter);
- the smaller ones are packed, in buckets of about :data:`BUCKET` elements: their
  values are copied into a scratch array, which one call updates, and copied back
  (tinygrad's fused optimizer). For a small variable two copies cost less than a dozen
  NumPy calls of its own, and a bucket stays in the CPU's cache through all the passes
  of the rule.

Each update is elementwise, so the grouping never changes a result: packed, in place, or
one optimizer per variable, every element sees the same operations in the same order.

Invariants (what callers must respect): a variable keeps its shape and dtype. Its values
may be changed in place (``Variable.assign``) or its ``data`` replaced by another array
of the same shape and dtype; the next step reads whatever array the variable holds.

>>> import numpy as np
>>> from deepgrad.tensor import Variable
>>> a, b = Variable(np.ones((2, 2))), Variable(np.zeros(3))
>>> storage = FlatStorage([a, b], [("momentum", 0.0)])
>>> group = storage.groups[0]
>>> group.grad.shape, group.offsets.tolist(), sorted(group.slots)
((7,), [0, 4, 7], ['momentum'])
>>> np.shares_memory(a.data, group.params)  # the variables keep their own arrays
False
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from deepgrad.tensor import Tensor

__all__ = [
    "FlatStorage", "FlatGroup", "PACK_LIMIT", "BUCKET", "Update", "clip_by_norm",
    "clip_by_global_norm",
]

# Variables with fewer elements are packed; larger ones are updated in place. Packed,
# variables of a few thousand elements update several times faster than in place; near
# 16k elements the two cost about the same (benchmarks/optimizer.py, "packing").
PACK_LIMIT = 1 << 14
# Elements of one bucket of packed variables: the half-dozen arrays an update rule reads
# and writes stay within a core's 1 MB L2 cache (benchmarks/optimizer.py, "packing").
BUCKET = 1 << 15

Update = Callable[[np.ndarray, np.ndarray, dict[str, np.ndarray]], None]


class FlatGroup:
    """Gradients and slots of the variables of one dtype, stored back to back.

    The packed variables come first: ``params`` holds their values during a step, and
    ``grad[:packed]`` with ``slots[name][:packed]`` are theirs, cut in buckets of
    consecutive variables. The others follow, one segment each.

    Attributes:
        dtype: the common dtype.
        positions: indices of these variables in the optimizer's variable list, in the
            order of their segments.
        offsets: ``offsets[j]:offsets[j+1]`` is the segment of the ``j``-th of them.
        packed: the number of elements of the packed variables.
        params: scratch for the packed variables' values (``packed`` elements).
        grad: the flat gradient buffer, filled at each step.
        grad_views: each variable's segment of ``grad``, in the variable's shape.
        slots: slot name -> flat array, the same layout as ``grad``.
        flat_params: each variable's own array, flattened (a view of it).
    """

    __slots__ = (
        "dtype", "positions", "offsets", "packed", "params", "grad", "grad_views", "slots",
        "flat_params", "_buckets", "_segments",
    )

    def __init__(
        self,
        dtype: np.dtype,
        members: Sequence[tuple[int, Tensor]],
        slot_specs: Sequence[tuple[str, float]],
    ):
        self.dtype = dtype
        small = [(p, v) for p, v in members if v.data.size < PACK_LIMIT]
        ordered = small + [(p, v) for p, v in members if v.data.size >= PACK_LIMIT]
        self.positions = [p for p, _ in ordered]
        self.offsets = np.zeros(len(ordered) + 1, dtype=np.intp)
        np.cumsum([v.data.size for _, v in ordered], out=self.offsets[1:])
        total = int(self.offsets[-1])
        self.packed = int(self.offsets[len(small)])
        self.params = np.empty(self.packed, dtype=dtype)
        self.grad = np.zeros(total, dtype=dtype)
        self.slots = {name: np.full(total, initial, dtype=dtype) for name, initial in slot_specs}
        self.flat_params = [v.data.reshape(-1) for _, v in ordered]
        self.grad_views = []
        # (params, grad, slots) of each segment; the packed ones' params are in ``params``.
        self._segments = []
        for j, (_, variable) in enumerate(ordered):
            part = slice(int(self.offsets[j]), int(self.offsets[j + 1]))
            self.grad_views.append(self.grad[part].reshape(variable.data.shape))
            param = self.params[part] if j < len(small) else self.flat_params[j]
            slots = {name: values[part] for name, values in self.slots.items()}
            self._segments.append((param, self.grad[part], slots))
        # Consecutive packed variables, at most BUCKET elements together (one if larger):
        # [first index, stop index, params, grad, slots, their arrays, (array, params) pairs].
        self._buckets = []
        first = 0
        for j in range(1, len(small) + 1):
            if j == len(small) or self.offsets[j + 1] - self.offsets[first] > BUCKET:
                part = slice(int(self.offsets[first]), int(self.offsets[j]))
                slots = {name: values[part] for name, values in self.slots.items()}
                bucket = [first, j, self.params[part], self.grad[part], slots, None, None]
                self._buckets.append(bucket)
                self._bind_bucket(bucket)
                first = j

    def _bind_bucket(self, bucket: list) -> None:
        first, stop = bucket[0], bucket[1]
        bucket[5] = self.flat_params[first:stop]
        bucket[6] = [(self.flat_params[j], self._segments[j][0]) for j in range(first, stop)]

    def bind(self, j: int, array: np.ndarray) -> None:
        """Take ``array`` (C-contiguous) as the ``j``-th variable's values from now on."""
        self.flat_params[j] = array.reshape(-1)
        for bucket in self._buckets:
            if bucket[0] <= j < bucket[1]:
                self._bind_bucket(bucket)
                return
        _, grad, slots = self._segments[j]  # updated in place: its segment's params too
        self._segments[j] = (self.flat_params[j], grad, slots)

    def segment(self, j: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """The ``j``-th variable's own values (flat view), gradient and slots (slices)."""
        _, grad, slots = self._segments[j]
        return self.flat_params[j], grad, slots

    def step(self, update: Update, start: int = 0, stop: int | None = None) -> None:
        """Run ``update(param, grad, slots)`` over every variable of the group, or over
        the elements ``[start, stop)`` of its flat layout alone (one rank's share of a
        data-parallel step: the rule is elementwise).

        One call per bucket of packed variables (on its part of ``params``: gathered
        from the variables by one concatenation, copied back after), then one per large
        variable, on its own array.
        """
        if stop is not None:
            self._step_part(update, start, stop)
            return
        for _, _, params, grad, slots, arrays, pairs in self._buckets:
            np.concatenate(arrays, out=params)
            update(params, grad, slots)
            for array, packed in pairs:
                array[...] = packed
        segments = self._segments
        for j in range(self._buckets[-1][1] if self._buckets else 0, len(segments)):
            update(*segments[j])

    def _step_part(self, update: Update, start: int, stop: int) -> None:
        offsets = [int(o) for o in self.offsets]
        for first, end, params, grad, slots, arrays, pairs in self._buckets:
            low, high = max(start, offsets[first]), min(stop, offsets[end])
            if low < high:
                part = slice(low - offsets[first], high - offsets[first])
                np.concatenate(arrays, out=params)
                update(params[part], grad[part], {k: v[part] for k, v in slots.items()})
                for array, packed in pairs:
                    array[...] = packed
        for j in range(self._buckets[-1][1] if self._buckets else 0, len(self._segments)):
            low, high = max(start, offsets[j]), min(stop, offsets[j + 1])
            if low < high:
                param, grad, slots = self._segments[j]
                part = slice(low - offsets[j], high - offsets[j])
                update(param[part], grad[part], {k: v[part] for k, v in slots.items()})


class FlatStorage:
    """The state of an optimizer's variables: one :class:`FlatGroup` per dtype.

    Zero-size variables take no part (there is nothing to update).

    Args:
        variables: the trainable variables (Tensors with float, C-contiguous data).
        slot_specs: ``(name, initial value)`` of each slot the update rule needs.
    """

    def __init__(self, variables: Sequence[Tensor], slot_specs: Sequence[tuple[str, float]]):
        self.variables = list(variables)
        self.slot_specs = list(slot_specs)
        self.index = {id(v): i for i, v in enumerate(self.variables)}
        self.shapes = [v.data.shape for v in self.variables]
        self.dtypes = [v.data.dtype for v in self.variables]
        # The arrays the variables held at the last check: a replaced one is checked again.
        self._arrays = [v.data for v in self.variables]
        by_dtype: dict[np.dtype, list[tuple[int, Tensor]]] = {}
        for i, v in enumerate(self.variables):
            self._check_layout(i, v.data)
            if v.data.size:
                by_dtype.setdefault(v.data.dtype, []).append((i, v))
        self.groups = [
            FlatGroup(dtype, members, self.slot_specs) for dtype, members in by_dtype.items()
        ]
        # location[i] = (group, j): variable i is the j-th of its group; None if zero-size.
        self.location: list[tuple[FlatGroup, int] | None] = [None] * len(self.variables)
        # Where each variable's gradient is copied; a zero-size one gets a scratch array.
        self.grad_views = [np.empty(shape, dtype=dtype) for shape, dtype in zip(
            self.shapes, self.dtypes)]
        for group in self.groups:
            for j, p in enumerate(group.positions):
                self.location[p] = (group, j)
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

    def _check_layout(self, i: int, data: np.ndarray) -> None:
        if data.shape != self.shapes[i] or data.dtype != self.dtypes[i]:
            raise ValueError(
                f"Variable {self.variables[i]!r} changed from shape {self.shapes[i]} and "
                f"dtype {self.dtypes[i]} to shape {data.shape} and dtype {data.dtype} after "
                "the optimizer was built. To fix, change values in place with "
                "`variable.assign(value)`, or create a new optimizer for the new variables."
            )
        if not data.flags.c_contiguous:
            raise ValueError(
                f"Variable {self.variables[i]!r}: its values must be one C-contiguous array "
                "for the optimizer to update them in place. To fix, change values with "
                "`variable.assign(value)` instead of replacing `variable.data`."
            )

    def check(self) -> None:
        """Check the variables whose ``data`` was replaced since the last step, and use
        their new arrays from now on.

        Raises:
            ValueError: if a variable's shape or dtype changed, or its new array is not
                C-contiguous.
        """
        arrays = self._arrays
        for i, variable in enumerate(self.variables):
            data = variable.data
            if data is arrays[i]:
                continue
            self._check_layout(i, data)
            location = self.location[i]
            if location is not None:
                location[0].bind(location[1], data)
            arrays[i] = data

    def gather(self, grads: Sequence[Any], accumulate: bool = False,
               scale: float | None = None) -> bool:
        """Copy one gradient per variable (built order) into the flat gradient buffers.

        Args:
            grads: the gradients, in the built order.
            accumulate: add to the buffers (gradient accumulation) instead of copying.
            scale: divide each gradient by this first (a static loss scale).

        Returns:
            False, leaving the work to :meth:`scatter`, if a gradient is None, not an
            array (or Tensor), or misshapen; nothing is changed then.
        """
        views, shapes = self.grad_views, self.shapes
        if accumulate or scale is not None:
            # Check everything first: a half-added buffer could not be taken back.
            for grad, shape in zip(grads, shapes):
                if getattr(grad, "shape", None) != shape:
                    return False
            for view, grad in zip(views, grads):
                _put(view, grad.data if isinstance(grad, Tensor) else grad, accumulate, scale)
            return True
        try:
            for view, grad, shape in zip(views, grads, shapes):
                if grad is view:  # written in place (deepgrad.models.dense_step)
                    continue
                if grad.shape != shape:
                    return False
                view[...] = grad
        except AttributeError:  # a None gradient, or a list instead of an array
            return False
        return True

    def scatter(
        self, grads: Sequence[Any], positions: Sequence[int] | None, owner: str,
        accumulate: bool = False, scale: float | None = None,
    ) -> tuple[list[Tensor], list[int]]:
        """Copy the gradients that are not None into the flat buffers, variable by variable.

        Args:
            grads: gradients (arrays, Tensors, array-likes, or None).
            positions: the variable index of each gradient; None for the built order.
            owner: the optimizer's class name, for error messages.
            accumulate: add to the buffers instead of copying.
            scale: divide each gradient by this first.

        Returns:
            The variables that received a gradient, and their indices.

        Raises:
            ValueError: if a gradient's shape differs from its variable's (nothing is
                changed then).
        """
        found = []
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
            found.append((position, grad))
        for position, grad in found:
            _put(self.grad_views[position], grad, accumulate, scale)
        return [self.variables[p] for p, _ in found], [p for p, _ in found]

    def views(self, i: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]] | None:
        """The ``i``-th variable's own values, its gradient and its slots, all shaped
        like it (views); None for a zero-size variable."""
        location = self.location[i]
        if location is None:
            return None
        param, grad, slots = location[0].segment(location[1])
        shape = self.shapes[i]
        return (param.reshape(shape), grad.reshape(shape),
                {name: values.reshape(shape) for name, values in slots.items()})

    def slot_views(self, name: str) -> list[tuple[Tensor, np.ndarray]]:
        """Each non-empty variable with its slot ``name``, shaped like it (a view)."""
        found = []
        for i, variable in enumerate(self.variables):
            views = self.views(i)
            if views is not None:
                found.append((variable, views[2][name]))
        return found

    def zero_grads(self) -> None:
        """Set every flat gradient buffer to zero (after an accumulated step)."""
        for group in self.groups:
            group.grad[...] = 0

    def grad_state(self, prefix: str) -> dict[str, np.ndarray]:
        """Return ``{"<prefix>/<i>": copy}`` of each variable's gradient buffer."""
        return {f"{prefix}/{i}": view.copy() for i, view in enumerate(self.grad_views)}

    def load_grad_state(self, state: dict[str, np.ndarray], prefix: str) -> None:
        """Overwrite the gradient buffers from ``state`` (keys as :meth:`grad_state`)."""
        for i, view in enumerate(self.grad_views):
            view[...] = np.asarray(state[f"{prefix}/{i}"])

    def _slices(self, i: int) -> dict[str, np.ndarray] | None:
        location = self.location[i]
        return None if location is None else location[0].segment(location[1])[2]

    def slot_state(self) -> dict[str, np.ndarray]:
        """Return ``{"<slot>/<i>": copy}`` for every slot of every variable, shaped like it."""
        state = {}
        for name, _ in self.slot_specs:
            for i, (shape, dtype) in enumerate(zip(self.shapes, self.dtypes)):
                slots = self._slices(i)
                if slots is None:
                    state[f"{name}/{i}"] = np.zeros(shape, dtype=dtype)
                else:
                    state[f"{name}/{i}"] = slots[name].reshape(shape).copy()
        return state

    def slot_spec(self) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
        """Return ``{"<slot>/<i>": (shape, dtype)}``, the keys of :meth:`slot_state`, no copies."""
        return {f"{name}/{i}": (shape, dtype) for name, _ in self.slot_specs
                for i, (shape, dtype) in enumerate(zip(self.shapes, self.dtypes))}

    def load_slot_state(self, state: dict[str, np.ndarray]) -> None:
        """Overwrite every slot from ``state`` (keys as :meth:`slot_state`; checked before)."""
        for name, _ in self.slot_specs:
            for i in range(len(self.variables)):
                slots = self._slices(i)
                if slots is not None:
                    slots[name][...] = np.asarray(state[f"{name}/{i}"]).reshape(-1)


def _put(view: np.ndarray, grad: np.ndarray, accumulate: bool, scale: float | None) -> None:
    """Copy (or add) one gradient into its place in a flat buffer, divided by ``scale``."""
    if scale is not None:
        grad = grad / view.dtype.type(scale)
    if accumulate:
        view += grad
    else:
        view[...] = grad


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
