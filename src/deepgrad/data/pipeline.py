"""The stages behind ``Dataset``: the ``Node`` protocol and the index-array fast path.

Every ``Dataset`` wraps one ``Node``. A node can always *iterate* its elements one by
one. A node whose elements are rows of in-memory arrays (``from_tensor_slices``, a
filled memory ``cache``, and ``shuffle``/``take``/``skip``/``repeat`` over those) can
also return a ``Plan``: the arrays (``Columns``) plus a stream of index arrays saying
which rows come out, in order. ``batch`` asks its input for a plan and, when it gets
one, fancy-indexes whole batches instead of stacking elements one by one.

>>> cols = Columns(0, [np.arange(10) * 10])
>>> [int(i) for i in plan_elements(Plan(cols, arange_chunks(3)))]
[0, 10, 20]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import numpy as np

from deepgrad.data.structure import TensorSpec, flatten, is_nested, pack, sample_from_spec

__all__ = ["Node", "ForwardingNode", "Columns", "Plan", "epoch_scope", "pass_key",
           "close_iterator", "arange_chunks", "plan_elements", "leaves_of", "rechunk",
           "skip_chunks", "take_chunks"]

_CHUNK = 65536


class epoch_scope:  # noqa: N801  (used like a function: ``with epoch_scope(3):``)
    """While ``fit`` runs epoch ``epoch``, random stages key their randomness by it.

    A ``shuffle`` or ``map`` stage numbers its passes: outside a scope, by a counter of its
    own (pass 0, 1, 2... as it is iterated); inside one, by ``(epoch, pass within the
    epoch)``, so that an epoch's order and random draws are a function of the seeds and
    the epoch alone, and a run resumed at ``initial_epoch`` sees the same data as the
    uninterrupted one. ``fit`` opens one scope per epoch.

    >>> with epoch_scope(3):
    ...     pass_key(object(), iter([]))
    (3, 0)
    >>> pass_key(object(), iter([5]))
    (5,)
    """

    __slots__ = ("epoch", "passes", "token")

    def __init__(self, epoch: int) -> None:
        self.epoch = int(epoch)
        self.passes: dict[int, int] = {}

    def __enter__(self) -> epoch_scope:
        self.token = _EPOCH.set(self)
        return self

    def __exit__(self, *exc) -> None:
        _EPOCH.reset(self.token)


_EPOCH: ContextVar[epoch_scope | None] = ContextVar("deepgrad_data_epoch", default=None)


def pass_key(node: object, counter: Iterator[int]) -> tuple[int, ...]:
    """The key of a random stage's next pass: ``(epoch, pass)`` in a scope, else ``(k,)``."""
    scope = _EPOCH.get()
    if scope is None:
        return (next(counter),)
    index = scope.passes.get(id(node), 0)
    scope.passes[id(node)] = index + 1
    return (scope.epoch, index)


class Node:
    """One stage of a pipeline. Subclasses override ``iterate`` and ``cardinality``."""

    def iterate(self) -> Iterator:
        """Run this stage once, yielding elements (each call is a fresh pass)."""
        raise NotImplementedError

    def plan(self) -> Plan | None:
        """Start a pass as an index stream over in-memory arrays, or return None."""
        return None

    def cardinality(self) -> int:
        """The number of elements, or INFINITE_CARDINALITY / UNKNOWN_CARDINALITY."""
        raise NotImplementedError

    def spec(self, peek: bool) -> Any:
        """The element spec; None when it cannot be known without running user code
        (``peek=False``) or at all."""
        return None

    def sample(self) -> Any:
        """An element with this stage's structure, dtypes and shapes, for inferring specs.

        Stages that do not change elements forward their input's sample, so that asking
        for a spec neither advances a shuffle's epoch counter nor fills a cache.
        """
        iterator = self.iterate()
        try:
            return next(iterator, None)
        finally:
            close_iterator(iterator)


class ForwardingNode(Node):
    """A stage whose elements have its input's spec: it forwards ``spec`` and ``sample``."""

    input: Node

    def spec(self, peek: bool) -> Any:
        return self.input.spec(peek)

    def sample(self) -> Any:
        return self.input.sample()


class Columns:
    """Equal-length arrays whose rows are the elements of a dataset, and their nesting."""

    __slots__ = ("structure", "leaves", "length", "bare")

    def __init__(self, structure: Any, leaves: list[np.ndarray]) -> None:
        self.structure = structure
        self.leaves = leaves
        self.length = len(leaves[0])
        self.bare = not is_nested(structure)

    def element(self, index: int) -> Any:
        """Row ``index`` of every leaf, packed into the structure."""
        if self.bare:
            return self.leaves[0][index]
        return pack(self.structure, [leaf[index] for leaf in self.leaves])

    def gather(self, indices: np.ndarray) -> Any:
        """The rows at ``indices`` of every leaf (fresh arrays), packed into the structure."""
        return pack(self.structure, [np.take(leaf, indices, axis=0) for leaf in self.leaves])

    def spec(self) -> Any:
        """The spec of one row."""
        return pack(self.structure, [TensorSpec(x.shape[1:], x.dtype) for x in self.leaves])

    def sample(self) -> Any:
        """Row 0, or zeros of the right shape when there are no rows."""
        return self.element(0) if self.length else sample_from_spec(self.spec())


class Plan:
    """One pass over ``columns``: ``chunks`` yields 1-D ``intp`` arrays of row indices."""

    __slots__ = ("columns", "chunks")

    def __init__(self, columns: Columns, chunks: Iterator[np.ndarray]) -> None:
        self.columns = columns
        self.chunks = chunks


def close_iterator(iterator: Any) -> None:
    """Close a generator early so its ``finally`` blocks (threads, temp files) run now."""
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


def arange_chunks(n: int, chunk: int = _CHUNK) -> Iterator[np.ndarray]:
    """Yield ``0..n-1`` as index arrays of at most ``chunk`` entries."""
    for start in range(0, n, chunk):
        yield np.arange(start, min(start + chunk, n), dtype=np.intp)


def plan_elements(plan: Plan) -> Iterator:
    """Yield the elements a plan selects, one at a time."""
    columns = plan.columns
    try:
        for chunk in plan.chunks:
            for index in chunk.tolist():
                yield columns.element(index)
    finally:
        close_iterator(plan.chunks)


def rechunk(chunks: Iterable[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """Regroup an index stream into arrays of exactly ``size`` (the last may be shorter)."""
    carry = None
    for chunk in chunks:
        if carry is not None and len(carry):
            chunk = np.concatenate([carry, chunk])
        full = len(chunk) // size
        for k in range(full):
            yield chunk[k * size : (k + 1) * size]
        carry = chunk[full * size :]
    if carry is not None and len(carry):
        yield carry


def take_chunks(chunks: Iterator[np.ndarray], count: int) -> Iterator[np.ndarray]:
    """The first ``count`` indices of a stream (all when ``count < 0``)."""
    try:
        left = count
        for chunk in chunks:
            if left < 0:
                yield chunk
                continue
            if left == 0:
                return
            yield chunk[:left]
            left -= min(left, len(chunk))
            if left == 0:
                return
    finally:
        close_iterator(chunks)


def skip_chunks(chunks: Iterator[np.ndarray], count: int) -> Iterator[np.ndarray]:
    """A stream without its first ``count`` indices (nothing when ``count < 0``)."""
    try:
        if count < 0:
            return
        left = count
        for chunk in chunks:
            if left:
                dropped = min(left, len(chunk))
                chunk = chunk[dropped:]
                left -= dropped
            if len(chunk):
                yield chunk
    finally:
        close_iterator(chunks)


def leaves_of(element: Any) -> list:
    """The leaves of an element (a shortcut for the common unnested case)."""
    if isinstance(element, (np.ndarray, np.generic)):
        return [element]
    return flatten(element)
