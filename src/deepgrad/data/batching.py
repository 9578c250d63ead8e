"""``batch`` and ``padded_batch``: consecutive elements stacked along a new first axis.

When the input offers a ``Plan`` (rows of in-memory arrays, possibly shuffled), a batch is
one fancy-indexing call per component instead of a stack of single-row slices.

>>> from deepgrad.data.sources import TensorSlicesNode
>>> [b.tolist() for b in BatchNode(TensorSlicesNode([1, 2, 3, 4, 5]), 2, False).iterate()]
[[1, 2], [3, 4], [5]]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from deepgrad.data.constants import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
from deepgrad.data.pipeline import Node, close_iterator, leaves_of, rechunk
from deepgrad.data.structure import TensorSpec, flatten, flatten_up_to, map_structure, pack


def stack_component(values: list, component: int, method: str = "Dataset.batch") -> np.ndarray:
    """Stack one component of a batch into a fresh array, refusing mixed shapes or dtypes
    as tf does (NumPy would broadcast or upcast silently)."""
    first = values[0]
    shape, dtype = first.shape, first.dtype
    if dtype.kind in "US":
        # Texts of any length are one type (tf.string): the batch takes the widest.
        same_kind = [v.dtype for v in values if v.dtype.kind == dtype.kind]
        dtype = max(same_kind, key=lambda d: d.itemsize)
    out = np.empty((len(values),) + shape, dtype)
    for index, value in enumerate(values):
        if value.shape != shape:
            raise ValueError(
                f"{method}: cannot batch elements with different shapes in component "
                f"{component}. The first element had shape {shape} and element {index} had "
                f"shape {value.shape}. To fix, make the shapes equal (e.g. with a resizing map) "
                "or use padded_batch."
            )
        if value.dtype != dtype and not (value.dtype.kind == dtype.kind and dtype.kind in "US"):
            raise TypeError(
                f"{method}: cannot batch elements with different dtypes in component "
                f"{component}. The first element had dtype {dtype} and element {index} had "
                f"dtype {value.dtype}."
            )
        out[index] = value
    return out


def stack_elements(elements: list) -> Any:
    """Stack a list of same-structure elements component by component."""
    first = elements[0]
    if isinstance(first, (np.ndarray, np.generic)):
        return stack_component(elements, 0)
    columns = zip(*(flatten(element) for element in elements))
    return pack(first, [stack_component(list(c), i) for i, c in enumerate(columns)])


class BatchNode(Node):
    """Groups of ``batch_size`` consecutive elements, stacked (``batch``)."""

    def __init__(self, input_node: Node, batch_size: int, drop_remainder: bool) -> None:
        self.input = input_node
        self.batch_size = batch_size
        self.drop_remainder = drop_remainder

    def iterate(self) -> Iterator:
        size = self.batch_size
        plan = self.input.plan()
        if plan is not None:
            chunks = rechunk(plan.chunks, size)
            try:
                for indices in chunks:
                    if len(indices) < size and self.drop_remainder:
                        return
                    yield plan.columns.gather(indices)
            finally:
                close_iterator(chunks)
                close_iterator(plan.chunks)
            return
        upstream = self.input.iterate()
        try:
            pending: list = []
            for element in upstream:
                pending.append(element)
                if len(pending) == size:
                    yield stack_elements(pending)
                    pending = []
            if pending and not self.drop_remainder:
                yield stack_elements(pending)
        finally:
            close_iterator(upstream)

    def cardinality(self) -> int:
        n = self.input.cardinality()
        if n in (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY):
            return n
        full, rest = divmod(n, self.batch_size)
        return full + (1 if rest and not self.drop_remainder else 0)

    def spec(self, peek: bool) -> Any:
        spec = self.input.spec(peek)
        if spec is None:
            return None
        leading = self.batch_size if self.drop_remainder else None
        return map_structure(
            lambda s: TensorSpec(None if s.shape is None else (leading,) + s.shape, s.dtype),
            spec,
        )

    def sample(self) -> Any:
        sample = self.input.sample()
        if sample is None:
            return None
        return map_structure(lambda leaf: np.asarray(leaf)[None], sample)


class PaddedBatchNode(BatchNode):
    """Batches whose components are zero-padded (or ``padding_values``-padded) to the
    largest shape in the batch, or to ``padded_shapes`` (``padded_batch``)."""

    def __init__(
        self,
        input_node: Node,
        batch_size: int,
        drop_remainder: bool,
        padded_shapes: Any,
        padding_values: Any,
    ) -> None:
        super().__init__(input_node, batch_size, drop_remainder)
        self.padded_shapes = padded_shapes
        self.padding_values = padding_values

    @staticmethod
    def _per_component(option: Any, structure: Any) -> list:
        """``padded_shapes``/``padding_values`` as one entry per component of ``structure``."""
        count = len(leaves_of(structure))
        if option is None:
            return [None] * count
        try:
            return flatten_up_to(structure, option)
        except ValueError as error:
            raise ValueError(f"Dataset.padded_batch: {error}") from None

    def _pad(self, elements: list) -> Any:
        columns = list(zip(*(leaves_of(element) for element in elements)))
        shapes = self._per_component(self.padded_shapes, elements[0])
        values = self._per_component(self.padding_values, elements[0])
        stacked = []
        for i, (column, shape, value) in enumerate(zip(columns, shapes, values)):
            arrays = [np.asarray(v) for v in column]
            ranks = {a.ndim for a in arrays}
            if len(ranks) > 1:
                raise ValueError(
                    f"Dataset.padded_batch: elements of component {i} have different ranks "
                    f"{sorted(ranks)}; padding cannot change a rank."
                )
            target = np.max([a.shape for a in arrays], axis=0) if arrays[0].ndim else ()
            if shape is not None:
                shape = tuple(shape)
                if len(shape) != arrays[0].ndim:
                    raise ValueError(
                        f"Dataset.padded_batch: padded shape {shape} of component {i} does not "
                        f"match the rank of its elements, shape {arrays[0].shape}."
                    )
                for axis, (want, have) in enumerate(zip(shape, target)):
                    if want is not None and want >= 0 and have > want:
                        raise ValueError(
                            f"Dataset.padded_batch: component {i} has size {have} on axis "
                            f"{axis}, larger than its padded shape {shape}."
                        )
                target = tuple(
                    have if want is None or want < 0 else want for want, have in zip(shape, target)
                )
            fill = 0 if value is None else value
            out = np.full((len(arrays),) + tuple(int(t) for t in target), fill, arrays[0].dtype)
            for row, array in enumerate(arrays):
                out[(row,) + tuple(slice(0, s) for s in array.shape)] = array
            stacked.append(out)
        return pack(elements[0], stacked)

    def iterate(self) -> Iterator:
        upstream = self.input.iterate()
        try:
            pending: list = []
            for element in upstream:
                pending.append(element)
                if len(pending) == self.batch_size:
                    yield self._pad(pending)
                    pending = []
            if pending and not self.drop_remainder:
                yield self._pad(pending)
        finally:
            close_iterator(upstream)

    def spec(self, peek: bool) -> Any:
        spec = self.input.spec(peek)
        if spec is None:
            return None
        leading = self.batch_size if self.drop_remainder else None
        shapes = self._per_component(self.padded_shapes, spec)

        def padded(s: TensorSpec, shape: Any) -> TensorSpec:
            if s.shape is None:
                return TensorSpec(None, s.dtype)
            if shape is None:  # tf pads to the input's static shape
                return TensorSpec((leading,) + s.shape, s.dtype)
            dims = tuple(None if d is None or d < 0 else int(d) for d in shape)
            return TensorSpec((leading,) + dims, s.dtype)

        return pack(spec, [padded(s, sh) for s, sh in zip(flatten(spec), shapes)])
