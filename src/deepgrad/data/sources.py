"""Source stages: tensor slices, a single element, a range, a Python generator, a zip.

>>> node = TensorSlicesNode(([1, 2], [3.0, 4.0]))
>>> node.cardinality(), [tuple(int(v) for v in e) for e in node.iterate()]
(2, [(1, 3), (2, 4)])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from deepgrad.data.constants import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
from deepgrad.data.pipeline import Columns, Node, Plan, arange_chunks, close_iterator, plan_elements
from deepgrad.data.structure import (
    TensorSpec,
    describe,
    flatten,
    flatten_up_to,
    is_nested,
    leaf_paths,
    map_structure,
    pack,
    same_structure,
    shapes_compatible,
    spec_of,
    to_array,
)


def _read_only(array: np.ndarray | np.generic) -> np.ndarray | np.generic:
    """A private, read-only copy: later edits to the caller's array do not leak in, and
    elements (views of it) cannot be edited in place by a map function."""
    if isinstance(array, np.generic):
        return array
    array = np.array(array, copy=True)
    array.flags.writeable = False
    return array


def convert_element(method: str, argument: str, value: Any) -> Any:
    """Convert every leaf of a user-given structure to an array, naming the bad one."""
    paths = leaf_paths(value, argument)
    leaves = []
    for path, leaf in zip(paths, flatten(value)):
        try:
            leaves.append(to_array(leaf))
        except TypeError as error:
            raise TypeError(f"{method}: `{path}` {error}. Received: {path}={leaf!r}") from None
    return pack(value, leaves)


class TensorSlicesNode(Node):
    """Rows of arrays sliced along their first dimension (``from_tensor_slices``)."""

    def __init__(self, tensors: Any) -> None:
        method = "Dataset.from_tensor_slices"
        element = convert_element(method, "tensors", tensors)
        paths = leaf_paths(tensors, "tensors")
        leaves = flatten(element)
        for path, leaf in zip(paths, leaves):
            if np.ndim(leaf) == 0:
                raise ValueError(
                    f"{method}: every component must have at least one dimension to slice. "
                    f"Received: {path} with shape ()"
                )
        lengths = [len(leaf) for leaf in leaves]
        if len(set(lengths)) > 1:
            listed = ", ".join(f"{p} with length {n}" for p, n in zip(paths, lengths))
            raise ValueError(
                f"{method}: all components must have the same length in their first "
                f"dimension. Received: {listed}"
            )
        self.columns = Columns(element, [_read_only(leaf) for leaf in leaves])

    def plan(self) -> Plan:
        return Plan(self.columns, arange_chunks(self.columns.length))

    def iterate(self) -> Iterator:
        return plan_elements(self.plan())

    def cardinality(self) -> int:
        return self.columns.length

    def spec(self, peek: bool) -> Any:
        return self.columns.spec()

    def sample(self) -> Any:
        return self.columns.sample()


class TensorsNode(Node):
    """A dataset of exactly one element (``from_tensors``)."""

    def __init__(self, tensors: Any) -> None:
        element = convert_element("Dataset.from_tensors", "tensors", tensors)
        self.element = map_structure(_read_only, element)

    def iterate(self) -> Iterator:
        yield self.element

    def cardinality(self) -> int:
        return 1

    def spec(self, peek: bool) -> Any:
        return spec_of(self.element)

    def sample(self) -> Any:
        return self.element


class RangeNode(Node):
    """Integers like Python's ``range`` (``Dataset.range``), as NumPy scalars."""

    def __init__(self, start: int, stop: int, step: int, dtype: Any) -> None:
        self.values = range(start, stop, step)
        self.dtype = np.dtype(dtype)

    def iterate(self) -> Iterator:
        scalar = self.dtype.type
        for value in self.values:
            yield scalar(value)

    def cardinality(self) -> int:
        return len(self.values)

    def spec(self, peek: bool) -> Any:
        return TensorSpec((), self.dtype)

    def sample(self) -> Any:
        return self.dtype.type(0)


def generator_signature(output_types: Any, output_shapes: Any, output_signature: Any) -> Any:
    """The signature ``from_generator`` checks elements against: ``output_signature`` as
    given, or built from the legacy ``output_types`` and ``output_shapes``; None (inferred
    from the first element) when neither is given.

    >>> generator_signature("float32", (2,), None)
    TensorSpec(shape=(2,), dtype=float32, name=None)
    """
    method = "Dataset.from_generator"
    if output_signature is not None:
        if output_types is not None or output_shapes is not None:
            raise TypeError(f"{method}: pass `output_signature` or `output_types`, not both")
        for spec in flatten(output_signature):
            if not isinstance(spec, TensorSpec):
                raise TypeError(
                    f"{method}: `output_signature` must be a nested structure of "
                    f"TensorSpec. Received: {output_signature!r}"
                )
        return output_signature
    if output_types is None:
        return None
    types = flatten(output_types)
    shapes = [None] * len(types)
    if output_shapes is not None:
        shapes = flatten_up_to(output_types, output_shapes)
    return pack(
        output_types,
        [TensorSpec(s, getattr(t, "as_numpy_dtype", t)) for t, s in zip(types, shapes)],
    )


class GeneratorNode(Node):
    """Elements yielded by ``generator(*args)``, checked against a signature
    (``from_generator``); the signature is inferred from the first element if not given."""

    def __init__(self, generator: Callable, args: tuple, signature: Any | None) -> None:
        self.generator = generator
        self.args = args
        self.signature = signature
        self._inferred: Any = None

    def _check(self, value: Any, signature: Any, strict_shape: bool) -> Any:
        if isinstance(value, list) and is_nested(signature):
            value = tuple(value)
        if not same_structure(signature, value):
            raise TypeError(
                "Dataset.from_generator: `generator` yielded an element that did not match "
                f"the expected structure. The expected structure was {describe(signature)}, "
                f"but the yielded element was {describe(value)}."
            )
        leaves = []
        for spec, leaf in zip(flatten(signature), flatten(value)):
            try:
                array = to_array(np.asarray(leaf, dtype=spec.dtype))
            except (TypeError, ValueError, OverflowError):
                raise TypeError(
                    "Dataset.from_generator: `generator` yielded an element that could not be "
                    f"converted to the expected type. The expected type was {spec.dtype}, but "
                    f"the yielded element was {leaf!r}."
                ) from None
            if strict_shape and not shapes_compatible(spec.shape, np.shape(array)):
                raise ValueError(
                    f"Dataset.from_generator: `generator` yielded an element of shape "
                    f"{np.shape(array)} where an element of shape {spec.shape} was expected."
                )
            leaves.append(array)
        return pack(signature, leaves)

    def iterate(self) -> Iterator:
        iterator = iter(self.generator(*self.args))
        try:
            signature, strict = self.signature, True
            if signature is None:
                first = next(iterator, None)
                if first is None:
                    return
                first = convert_element("Dataset.from_generator", "element", first)
                # Inferred shapes come from one element, so later shapes may differ.
                signature, strict = spec_of(first), False
                yield first
            for value in iterator:
                yield self._check(value, signature, strict)
        finally:
            close_iterator(iterator)

    def cardinality(self) -> int:
        return UNKNOWN_CARDINALITY

    def spec(self, peek: bool) -> Any:
        if self.signature is not None:
            return self.signature
        if peek and self._inferred is None:
            first = self.sample()
            self._inferred = None if first is None else spec_of(first)
        return self._inferred


class ZipNode(Node):
    """Elements of several datasets side by side, nested like ``nodes`` (``Dataset.zip``)."""

    def __init__(self, nodes: Any) -> None:
        self.nodes = nodes
        self.flat = flatten(nodes)

    def iterate(self) -> Iterator:
        iterators = [node.iterate() for node in self.flat]
        try:
            while True:
                elements = []
                for iterator in iterators:
                    element = next(iterator, _END)
                    if element is _END:
                        return
                    elements.append(element)
                yield pack(self.nodes, elements)
        finally:
            for iterator in iterators:
                close_iterator(iterator)

    def cardinality(self) -> int:
        result = INFINITE_CARDINALITY
        for node in self.flat:
            n = node.cardinality()
            if n == UNKNOWN_CARDINALITY:
                return UNKNOWN_CARDINALITY
            if n != INFINITE_CARDINALITY and (result == INFINITE_CARDINALITY or n < result):
                result = n
        return result

    def spec(self, peek: bool) -> Any:
        specs = [node.spec(peek) for node in self.flat]
        return None if any(s is None for s in specs) else pack(self.nodes, specs)

    def sample(self) -> Any:
        samples = [node.sample() for node in self.flat]
        return None if any(s is None for s in samples) else pack(self.nodes, samples)


_END = object()
