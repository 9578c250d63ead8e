"""The core of ``Dataset``: its constructors (``from_tensor_slices``, ``from_tensors``,
``from_generator``, ``range``, ``zip``) and the ways to consume it (iteration,
``cardinality``, ``element_spec``, ``reduce``, ``len``).

They live on a base class so that each file stays short; the transformations are on
``Dataset`` itself (dataset.py). Call everything on ``Dataset``, as in tf.data.

>>> from deepgrad.data import Dataset
>>> [int(v) for v in Dataset.range(3)]
[0, 1, 2]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from deepgrad.data.constants import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
from deepgrad.data.pipeline import Node
from deepgrad.data.sources import (
    GeneratorNode,
    RangeNode,
    TensorSlicesNode,
    TensorsNode,
    ZipNode,
    convert_element,
)
from deepgrad.data.structure import (
    TensorSpec,
    flatten,
    flatten_up_to,
    map_structure,
    pack,
    same_structure,
)
from deepgrad.data.validation import check_callable, check_int

if TYPE_CHECKING:
    from deepgrad.data.dataset import Dataset

__all__ = ["DatasetBase"]


class DatasetBase:
    """The base of :class:`Dataset`: constructors and consumption (abstract: use ``Dataset``).

    Args:
        node: the pipeline stage behind the dataset (internal).

    >>> from deepgrad.data import Dataset
    >>> issubclass(Dataset, DatasetBase)
    True
    """

    __slots__ = ("_node",)

    def __init__(self, node: Node) -> None:
        self._node = node

    @classmethod
    def from_tensor_slices(cls, tensors: Any) -> Dataset:
        """Slice arrays (or a tuple/dict nesting of them) along their first dimension.

        Lists are data, not structure: ``[1, 2, 3]`` becomes an int32 array (Python floats
        become float32). The arrays are copied, so later changes to them are not seen.

        Args:
            tensors: an array, list, or nested tuple/dict of them, all of one length.

        Returns:
            A dataset with one element per row.

        Raises:
            ValueError: if components differ in length (each is named) or one is a scalar.

        >>> from deepgrad.data import Dataset
        >>> [(int(a), float(b)) for a, b in Dataset.from_tensor_slices(([1, 2], [0.5, 1.5]))]
        [(1, 0.5), (2, 1.5)]
        """
        return cls(TensorSlicesNode(tensors))

    @classmethod
    def from_tensors(cls, tensors: Any) -> Dataset:
        """A dataset with exactly one element, ``tensors`` (converted to arrays).

        Args:
            tensors: an array or nested tuple/dict of arrays.

        Returns:
            A dataset of cardinality 1.

        Raises:
            TypeError: if a component cannot become an array of numbers or strings.

        >>> from deepgrad.data import Dataset
        >>> [e.shape for e in Dataset.from_tensors(np.zeros((2, 3)))]
        [(2, 3)]
        """
        return cls(TensorsNode(tensors))

    @classmethod
    def from_generator(
        cls,
        generator: Callable[..., Any],
        output_types: Any = None,
        output_shapes: Any = None,
        args: tuple | None = None,
        output_signature: Any = None,
    ) -> Dataset:
        """Elements yielded by ``generator(*args)``, called afresh on every pass.

        Each element is converted to the signature's dtypes and checked against its
        structure and shapes. Without a signature (or ``output_types``), the signature is
        inferred from the first element.

        Args:
            generator: a callable returning an iterable.
            output_types: legacy form: a nested structure of dtypes.
            output_shapes: legacy form: the matching structure of shapes.
            args: a tuple of arguments for ``generator``.
            output_signature: a nested structure of :class:`TensorSpec`.

        Returns:
            A dataset of unknown cardinality.

        Raises:
            TypeError: if ``generator`` is not callable or the signature is malformed;
                when iterating, if an element has the wrong structure or type.
            ValueError: when iterating, if an element has an incompatible shape.

        >>> def gen():
        ...     yield from ([1.0, 2.0], [3.0, 4.0])
        >>> from deepgrad.data import Dataset
        >>> ds = Dataset.from_generator(gen, output_signature=TensorSpec((2,), "float32"))
        >>> [e.tolist() for e in ds], ds.cardinality()
        ([[1.0, 2.0], [3.0, 4.0]], -2)
        """
        method = "Dataset.from_generator"
        check_callable(method, "generator", generator)
        signature = output_signature
        if signature is not None:
            if output_types is not None or output_shapes is not None:
                raise TypeError(f"{method}: pass `output_signature` or `output_types`, not both")
            for spec in flatten(signature):
                if not isinstance(spec, TensorSpec):
                    raise TypeError(
                        f"{method}: `output_signature` must be a nested structure of "
                        f"TensorSpec. Received: {signature!r}"
                    )
        elif output_types is not None:
            types = flatten(output_types)
            shapes = [None] * len(types)
            if output_shapes is not None:
                shapes = flatten_up_to(output_types, output_shapes)
            signature = pack(
                output_types,
                [TensorSpec(s, getattr(t, "as_numpy_dtype", t)) for t, s in zip(types, shapes)],
            )
        return cls(GeneratorNode(generator, tuple(args or ()), signature))

    @classmethod
    def range(cls, *args: int, output_type: Any = np.int64) -> Dataset:
        """Integers like Python's ``range(stop)``, ``range(start, stop[, step])``.

        Args:
            *args: one to three ints: ``stop``, or ``start, stop`` or ``start, stop, step``.
            output_type: the dtype of the elements (int64 by default, as in tf).

        Returns:
            A dataset of NumPy scalars.

        Raises:
            TypeError: if an argument is not an int.
            ValueError: if there are not 1 to 3 arguments or ``step`` is 0.

        >>> from deepgrad.data import Dataset
        >>> [int(v) for v in Dataset.range(1, 8, 3)]
        [1, 4, 7]
        """
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Dataset.range: expected 1 to 3 arguments. Received: {args}")
        names = {1: ["stop"], 2: ["start", "stop"], 3: ["start", "stop", "step"]}[len(args)]
        values = dict(start=0, step=1)
        for name, value in zip(names, args):
            values[name] = check_int("Dataset.range", name, value, None, "an int")
        if values["step"] == 0:
            raise ValueError("Dataset.range: `step` must not be zero. Received: step=0")
        return cls(RangeNode(values["start"], values["stop"], values["step"], output_type))

    @classmethod
    def zip(cls, *args: Any, datasets: Any = None) -> Dataset:
        """Combine datasets element by element, nested like the arguments; stops at the shortest.

        Args:
            *args: datasets (gives tuples), or one tuple/dict nesting of datasets.
            datasets: the same as one positional argument (tf's keyword form).

        Returns:
            A dataset whose elements nest like the datasets given.

        Raises:
            TypeError: if a leaf of the nesting is not a Dataset.

        >>> from deepgrad.data import Dataset
        >>> a, b = Dataset.range(3), Dataset.range(10, 12)
        >>> [(int(x), int(y)) for x, y in Dataset.zip(a, b)]
        [(0, 10), (1, 11)]
        """
        if datasets is None:
            datasets = args[0] if len(args) == 1 else args
        elif args:
            raise TypeError("Dataset.zip: pass datasets positionally or as `datasets`, not both")
        nodes = map_structure(lambda d: node_of("Dataset.zip", d), datasets)
        return cls(ZipNode(nodes))

    # -- consuming --------------------------------------------------------------------

    def reduce(self, initial_state: Any, reduce_func: Callable[[Any, Any], Any]) -> Any:
        """Fold the dataset: ``state = reduce_func(state, element)`` for every element.

        Args:
            initial_state: an array or nested structure of arrays.
            reduce_func: a function of ``(state, element)`` returning a new state of the
                same structure.

        Returns:
            The final state (NumPy arrays).

        Raises:
            TypeError: if ``reduce_func`` is not callable or changes the state's structure.

        >>> from deepgrad.data import Dataset
        >>> int(Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x))
        10
        """
        method = "Dataset.reduce"
        check_callable(method, "reduce_func", reduce_func)
        state = convert_element(method, "initial_state", initial_state)
        for element in self:
            new = reduce_func(state, element)
            if isinstance(new, list):
                new = tuple(new)
            new = convert_element(method, "state", new)
            if not same_structure(state, new):
                raise TypeError(
                    f"{method}: `reduce_func` must return a state with the structure of "
                    f"`initial_state`. Received: {new!r} for initial state {initial_state!r}"
                )
            state = new
        return state

    def as_numpy_iterator(self) -> Iterator:
        """An iterator over the elements as NumPy arrays (they already are).

        Returns:
            A fresh iterator (a new pass).

        >>> from deepgrad.data import Dataset
        >>> [int(v) for v in Dataset.range(2).as_numpy_iterator()]
        [0, 1]
        """
        return iter(self)

    def cardinality(self) -> int:
        """The number of elements, computed from the pipeline without running it.

        Returns:
            An int, ``INFINITE_CARDINALITY`` (-1) or ``UNKNOWN_CARDINALITY`` (-2).

        >>> from deepgrad.data import Dataset
        >>> Dataset.range(10).batch(3).cardinality(), Dataset.range(3).filter(bool).cardinality()
        (4, -2)
        """
        return self._node.cardinality()

    @property
    def element_spec(self) -> Any:
        """The nested structure of :class:`TensorSpec` describing one element.

        Shapes after a ``map`` or an unsigned ``from_generator`` are inferred by running
        one element through (the functions are called once more).

        Raises:
            ValueError: if the spec must be inferred and the dataset is empty.

        >>> from deepgrad.data import Dataset
        >>> Dataset.range(3).batch(2).element_spec
        TensorSpec(shape=(None,), dtype=int64, name=None)
        """
        spec = self._node.spec(True)
        if spec is None:
            raise ValueError(
                "Dataset.element_spec: cannot infer the spec: the dataset yields no element "
                "to infer it from. To fix, give `from_generator` an `output_signature`."
            )
        return spec

    def __iter__(self) -> Iterator:
        return self._node.iterate()

    def __len__(self) -> int:
        n = self.cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self) -> bool:
        return True  # never fall back to __len__, which raises for unknown lengths

    def __repr__(self) -> str:
        kind = type(self._node).__name__.removesuffix("Node")
        return f"<{kind}Dataset cardinality={self.cardinality()}>"


def node_of(method: str, value: Any) -> Node:
    """The pipeline stage behind a dataset, or a TypeError naming the method."""
    if not isinstance(value, DatasetBase):
        raise TypeError(f"{method}: expected a Dataset. Received: {value!r}")
    return value._node
