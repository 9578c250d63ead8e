"""Element-wise and sequence stages: map, filter, take, skip, repeat, concatenate, unbatch.

Cardinalities follow tf.data's kernels exactly (e.g. ``filter`` is always unknown,
``take(k)`` of an infinite dataset is ``k``).

>>> from deepgrad.data.sources import RangeNode
>>> node = MapNode(RangeNode(0, 3, 1, "int64"), lambda x: x * 2, None)
>>> [int(v) for v in node.iterate()], node.cardinality()
([0, 2, 4], 3)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from deepgrad import random as dg_random
from deepgrad.data.constants import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
from deepgrad.data.pipeline import (
    ForwardingNode,
    Node,
    Plan,
    close_iterator,
    leaves_of,
    pass_key,
    plan_elements,
    skip_chunks,
    take_chunks,
)
from deepgrad.data.structure import (
    TensorSpec,
    describe,
    flatten,
    is_nested,
    map_structure,
    most_specific_shape,
    pack,
    same_structure,
    spec_of,
    to_array,
)
from deepgrad.data.threads import autotune_workers, parallel_map


def call_with_element(fn: Callable, element: Any) -> Any:
    """Call ``fn`` as tf.data does: a plain tuple is unpacked into positional arguments."""
    return fn(*element) if type(element) is tuple else fn(element)


# The stream key of calls made to infer a map's output spec (never a pass's key).
_SAMPLE = 2**32


class MapNode(Node):
    """``fn`` applied to every element, optionally on a thread pool (``map``).

    Randomness: each call runs in its own :class:`deepgrad.random.stream`, keyed by the
    map's base seed (drawn from deepgrad's global generator when the dataset is built),
    the pass (see :func:`~deepgrad.data.pipeline.pass_key`: the epoch within ``fit``) and
    the element's index, so what ``fn`` draws from ``dg.random.generator()``, or through
    layers (augmentation, noise and dropout layers with a ``seed`` draw from one made of
    the element's key and their seed: :func:`deepgrad.random.generator_of`), is the same
    for any ``num_parallel_calls`` and any thread timing.
    """

    def __init__(self, input_node: Node, fn: Callable, num_parallel_calls: int | None) -> None:
        self.input = input_node
        self.fn = fn
        self.workers = None if num_parallel_calls is None else autotune_workers(num_parallel_calls)
        self._spec: Any = None
        self.base_seed = int(dg_random.generator().integers(2**63 - 1))
        self.passes = itertools.count()

    def _call(self, element: Any) -> Any:
        try:
            result = call_with_element(self.fn, element)
        except ValueError as error:
            if "read-only" not in str(error):
                raise
            # tf.data's elements are immutable tensors: `points += noise` makes a new one.
            # deepgrad's are NumPy arrays, read-only so that no map changes the source.
            raise ValueError(
                f"Dataset.map: `map_func` changed an element in place ({error}). The elements "
                "are read-only NumPy arrays (tf.data gives tensors, where `x += y` makes a new "
                "one). To fix, write `x = x + y` instead of `x += y`."
            ) from error
        if isinstance(result, list):  # tf.data: a returned list is a tuple of components
            result = tuple(result)
        try:
            return map_structure(to_array, result)
        except TypeError as error:
            raise TypeError(
                f"Dataset.map: `map_func` must return arrays or nested tuples/dicts of arrays; "
                f"{error}. Received: {result!r}"
            ) from None

    def apply(self, element: Any) -> Any:
        """``fn`` on one element outside a pass (to infer the output's spec)."""
        with dg_random.stream((self.base_seed, _SAMPLE)):
            return self._call(element)

    def iterate(self) -> Iterator:
        key = (self.base_seed, *pass_key(self, self.passes))
        upstream = self.input.iterate()

        def run(item: tuple[int, Any]) -> Any:
            index, element = item
            with dg_random.stream((*key, index)):
                return self._call(element)

        if self.workers is None:
            results = map(run, enumerate(upstream))
        else:
            results = parallel_map(enumerate(upstream), run, self.workers)
        try:
            first = next(results, _END)
            if first is _END:
                return
            yield first
            if not is_nested(first):
                for index, result in enumerate(results, 1):
                    if is_nested(result):
                        _raise_structure(first, result, index)
                    yield result
            else:
                for index, result in enumerate(results, 1):
                    if not same_structure(first, result):
                        _raise_structure(first, result, index)
                    yield result
        finally:
            close_iterator(results)
            close_iterator(upstream)

    def cardinality(self) -> int:
        return self.input.cardinality()

    def spec(self, peek: bool) -> Any:
        if not peek:
            return None
        if self._spec is None:
            input_spec = self.input.spec(True)
            sample = self.input.sample()
            if input_spec is None or sample is None:
                return None
            spec = spec_of(self.apply(sample))
            if all(s.shape and s.shape[0] is None for s in flatten(input_spec)):
                # The sample of a batched input is a batch of one; a leading 1 in the output
                # is that batch dimension, unknown like the input's.
                spec = map_structure(_unknown_leading_one, spec)
            self._spec = spec
        return self._spec

    def sample(self) -> Any:
        sample = self.input.sample()
        return None if sample is None else self.apply(sample)


def _unknown_leading_one(spec: TensorSpec) -> TensorSpec:
    if spec.shape and spec.shape[0] == 1:
        return TensorSpec((None,) + spec.shape[1:], spec.dtype, spec.name)
    return spec


def _raise_structure(first: Any, result: Any, index: int) -> None:
    raise ValueError(
        "Dataset.map: `map_func` must return the same structure for every element. Element 0 "
        f"gave {describe(first)} but element {index} gave {describe(result)}. To fix, return "
        "the same nesting of tuples/dicts for every element."
    )


class FilterNode(ForwardingNode):
    """The elements for which ``predicate`` returns True (``filter``)."""

    def __init__(self, input_node: Node, predicate: Callable) -> None:
        self.input = input_node
        self.predicate = predicate

    def iterate(self) -> Iterator:
        upstream = self.input.iterate()
        try:
            for element in upstream:
                keep = call_with_element(self.predicate, element)
                if isinstance(keep, (bool, np.bool_)):
                    if keep:
                        yield element
                    continue
                keep = np.asarray(keep)
                if keep.dtype != np.bool_ or keep.size != 1:
                    raise ValueError(
                        "Dataset.filter: `predicate` must return a scalar bool. Received: "
                        f"{describe(keep)}"
                    )
                if keep.item():
                    yield element
        finally:
            close_iterator(upstream)

    def cardinality(self) -> int:
        return UNKNOWN_CARDINALITY


class TakeNode(ForwardingNode):
    """At most ``count`` elements (all when ``count < 0``) (``take``)."""

    def __init__(self, input_node: Node, count: int) -> None:
        self.input = input_node
        self.count = count

    def plan(self) -> Plan | None:
        plan = self.input.plan()
        return None if plan is None else Plan(plan.columns, take_chunks(plan.chunks, self.count))

    def iterate(self) -> Iterator:
        if self.count == 0:
            return
        plan = self.input.plan()
        if plan is not None:
            yield from plan_elements(Plan(plan.columns, take_chunks(plan.chunks, self.count)))
            return
        upstream = self.input.iterate()
        try:
            for taken, element in enumerate(upstream, 1):
                yield element
                if taken == self.count:
                    return
        finally:
            close_iterator(upstream)

    def cardinality(self) -> int:
        n = self.input.cardinality()
        if n == UNKNOWN_CARDINALITY:
            return UNKNOWN_CARDINALITY
        if n == INFINITE_CARDINALITY:
            return self.count if self.count >= 0 else INFINITE_CARDINALITY
        return n if self.count < 0 else min(n, self.count)


class SkipNode(ForwardingNode):
    """All but the first ``count`` elements (nothing when ``count < 0``) (``skip``)."""

    def __init__(self, input_node: Node, count: int) -> None:
        self.input = input_node
        self.count = count

    def plan(self) -> Plan | None:
        plan = self.input.plan()
        return None if plan is None else Plan(plan.columns, skip_chunks(plan.chunks, self.count))

    def iterate(self) -> Iterator:
        if self.count < 0:
            return
        plan = self.plan()
        if plan is not None:
            yield from plan_elements(plan)
            return
        upstream = self.input.iterate()
        try:
            yield from itertools.islice(upstream, self.count, None)
        finally:
            close_iterator(upstream)

    def cardinality(self) -> int:
        n = self.input.cardinality()
        if n in (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY):
            return n
        return 0 if self.count < 0 else max(0, n - self.count)


class ShardNode(ForwardingNode):
    """Every ``num_shards``-th element, starting at ``index`` (``shard``)."""

    def __init__(self, input_node: Node, num_shards: int, index: int) -> None:
        self.input = input_node
        self.num_shards = num_shards
        self.index = index

    def iterate(self) -> Iterator:
        upstream = self.input.iterate()
        try:
            yield from itertools.islice(upstream, self.index, None, self.num_shards)
        finally:
            close_iterator(upstream)

    def cardinality(self) -> int:
        n = self.input.cardinality()
        if n in (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY):
            return n
        return len(range(self.index, n, self.num_shards))


class RepeatNode(ForwardingNode):
    """The input ``count`` times over (forever when ``count < 0``) (``repeat``).

    Each repetition is a fresh pass, so a shuffle inside reshuffles (tf semantics). A
    forever-repeat of an empty dataset ends instead of spinning, as tf's does.
    """

    def __init__(self, input_node: Node, count: int) -> None:
        self.input = input_node
        self.count = count

    def _epochs(self) -> Iterator[int]:
        return itertools.count() if self.count < 0 else iter(range(self.count))

    def plan(self) -> Plan | None:
        if self.count == 0:
            return None
        first = self.input.plan()
        if first is None:
            return None

        def chunks() -> Iterator[np.ndarray]:
            for epoch in self._epochs():
                plan = first if epoch == 0 else self.input.plan()
                if plan is None or plan.columns is not first.columns:
                    raise RuntimeError("Dataset.repeat: the input changed its source mid-pass")
                produced = 0
                try:
                    for chunk in plan.chunks:
                        produced += len(chunk)
                        yield chunk
                finally:
                    close_iterator(plan.chunks)
                if produced == 0:
                    return

        return Plan(first.columns, chunks())

    def iterate(self) -> Iterator:
        plan = self.plan()
        if plan is not None:
            yield from plan_elements(plan)
            return
        for _ in self._epochs():
            upstream = self.input.iterate()
            produced = False
            try:
                for element in upstream:
                    produced = True
                    yield element
            finally:
                close_iterator(upstream)
            if not produced:
                return

    def cardinality(self) -> int:
        n = self.input.cardinality()
        if self.count < 0:
            return 0 if n == 0 else INFINITE_CARDINALITY
        if self.count == 0:
            return 0
        if n in (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY):
            return n
        return self.count * n


class ConcatenateNode(Node):
    """The elements of ``first`` followed by those of ``second`` (``concatenate``)."""

    def __init__(self, first: Node, second: Node) -> None:
        self.first = first
        self.second = second

    def iterate(self) -> Iterator:
        for node in (self.first, self.second):
            upstream = node.iterate()
            try:
                yield from upstream
            finally:
                close_iterator(upstream)

    def cardinality(self) -> int:
        a, b = self.first.cardinality(), self.second.cardinality()
        if INFINITE_CARDINALITY in (a, b):
            return INFINITE_CARDINALITY
        if UNKNOWN_CARDINALITY in (a, b):
            return UNKNOWN_CARDINALITY
        return a + b

    def spec(self, peek: bool) -> Any:
        a, b = self.first.spec(peek), self.second.spec(peek)
        if a is None or b is None:
            return None
        return pack(
            a,
            [
                TensorSpec(most_specific_shape(x.shape, y.shape), x.dtype)
                for x, y in zip(flatten(a), flatten(b))
            ],
        )

    def sample(self) -> Any:
        return self.first.sample()


class UnbatchNode(Node):
    """Each element split along its first dimension into rows (``unbatch``)."""

    def __init__(self, input_node: Node) -> None:
        self.input = input_node

    def iterate(self) -> Iterator:
        upstream = self.input.iterate()
        try:
            for element in upstream:
                leaves = leaves_of(element)
                if any(np.ndim(leaf) == 0 for leaf in leaves):
                    raise ValueError(
                        "Dataset.unbatch: every component must have a batch dimension. "
                        f"Received an element {describe(element)}"
                    )
                sizes = {len(leaf) for leaf in leaves}
                if len(sizes) > 1:
                    raise ValueError(
                        "Dataset.unbatch: every component must have the same batch size. "
                        f"Received an element {describe(element)}"
                    )
                if len(leaves) == 1:
                    yield from leaves[0]
                    continue
                for row in range(len(leaves[0])):
                    yield pack(element, [leaf[row] for leaf in leaves])
        finally:
            close_iterator(upstream)

    def cardinality(self) -> int:
        n = self.input.cardinality()
        if n in (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY):
            return n
        spec = self.input.spec(False)
        known = [s.shape[0] for s in flatten(spec) if s.shape and s.shape[0] is not None]
        return n * known[0] if spec is not None and known and known[0] > 0 else UNKNOWN_CARDINALITY

    def spec(self, peek: bool) -> Any:
        spec = self.input.spec(peek)
        if spec is None:
            return None
        return map_structure(
            lambda s: TensorSpec(None if s.shape is None else s.shape[1:], s.dtype), spec
        )

    def sample(self) -> Any:
        sample = self.input.sample()
        if sample is None or any(np.ndim(leaf) == 0 or len(leaf) == 0 for leaf in flatten(sample)):
            return None
        return map_structure(lambda leaf: leaf[0], sample)


_END = object()
