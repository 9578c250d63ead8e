"""``Dataset``: a tf.data-style input pipeline over NumPy arrays.

Build a dataset with a constructor (``from_tensor_slices``, ``from_tensors``,
``from_generator``, ``range``, ``zip``), chain transformations, and iterate: every
``for`` loop re-runs the pipeline and yields NumPy arrays (or tuples/dicts of them).

The class is the whole public surface, in one place: each method checks its arguments
and adds one stage to the pipeline. The stages, which do the work, live by concept in
the modules beside this one: sources.py (the constructors' data), transforms.py
(map, filter, take, skip, repeat, concatenate, unbatch), batching.py, shuffle.py,
cache.py and threads.py (prefetch, parallel map).

>>> import numpy as np
>>> x, y = np.arange(12, dtype="float32").reshape(6, 2), np.arange(6)
>>> ds = Dataset.from_tensor_slices((x, y)).shuffle(6, seed=0).batch(4)
>>> [(xb.shape, yb.shape) for xb, yb in ds]
[((4, 2), (4,)), ((2, 2), (2,))]
>>> ds.cardinality(), ds.element_spec[0]
(2, TensorSpec(shape=(None, 2), dtype=float32, name=None))
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from deepgrad.data.batching import BatchNode, PaddedBatchNode
from deepgrad.data.cache import CacheNode
from deepgrad.data.constants import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
from deepgrad.data.elements import as_elements
from deepgrad.data.pipeline import Node
from deepgrad.data.shuffle import ShuffleNode
from deepgrad.data.sources import (
    GeneratorNode,
    RangeNode,
    TensorSlicesNode,
    TensorsNode,
    ZipNode,
    convert_element,
    generator_signature,
)
from deepgrad.data.structure import flatten, map_structure, same_structure
from deepgrad.data.threads import PrefetchNode
from deepgrad.data.transforms import (
    ConcatenateNode,
    FilterNode,
    MapNode,
    RepeatNode,
    ShardNode,
    SkipNode,
    TakeNode,
    UnbatchNode,
)
from deepgrad.data.validation import check_bool, check_callable, check_int

__all__ = ["Dataset"]

_INT64_MAX = int(np.iinfo(np.int64).max)


class Dataset:
    """A sequence of elements flowing through constructors and transformations, as tf.data.

    Do not instantiate it directly: start from a constructor such as
    :meth:`from_tensor_slices`. Datasets are immutable; each transformation returns a
    new one.

    Args:
        node: the pipeline stage behind this dataset (internal).

    >>> [int(v) for v in Dataset.range(3)]
    [0, 1, 2]
    """

    __slots__ = ("_node",)

    def __init__(self, node: Node) -> None:
        self._node = node

    # -- constructors -----------------------------------------------------------------

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
            output_signature: a nested structure of :class:`~deepgrad.data.TensorSpec`.

        Returns:
            A dataset of unknown cardinality.

        Raises:
            TypeError: if ``generator`` is not callable or the signature is malformed;
                when iterating, if an element has the wrong structure or type.
            ValueError: when iterating, if an element has an incompatible shape.

        >>> def gen():
        ...     yield from ([1.0, 2.0], [3.0, 4.0])
        >>> from deepgrad.data import TensorSpec
        >>> ds = Dataset.from_generator(gen, output_signature=TensorSpec((2,), "float32"))
        >>> [e.tolist() for e in ds], ds.cardinality()
        ([[1.0, 2.0], [3.0, 4.0]], -2)
        """
        check_callable("Dataset.from_generator", "generator", generator)
        signature = generator_signature(output_types, output_shapes, output_signature)
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

        >>> a, b = Dataset.range(3), Dataset.range(10, 12)
        >>> [(int(x), int(y)) for x, y in Dataset.zip(a, b)]
        [(0, 10), (1, 11)]
        """
        if datasets is None:
            datasets = args[0] if len(args) == 1 else args
        elif args:
            raise TypeError("Dataset.zip: pass datasets positionally or as `datasets`, not both")
        nodes = map_structure(lambda d: _node_of("Dataset.zip", d), datasets)
        return cls(ZipNode(nodes))

    # -- transformations --------------------------------------------------------------

    def map(
        self,
        map_func: Callable[..., Any],
        num_parallel_calls: int | None = None,
        deterministic: bool | None = None,
    ) -> Dataset:
        """Apply ``map_func`` to every element; tuple elements are passed as separate args.

        A returned list is treated as a tuple (as tf does); every element must give the
        same structure. With ``num_parallel_calls`` the calls run on a thread pool (NumPy
        releases the GIL in its kernels); the output order is always the input order, so
        ``deterministic`` is accepted for compatibility only.

        Args:
            map_func: a function of one element (or of a tuple's components).
            num_parallel_calls: None (in this thread), a positive int, or ``AUTOTUNE``.
            deterministic: ignored; order is always preserved.

        Returns:
            The mapped dataset (same cardinality).

        Raises:
            TypeError: if ``map_func`` is not callable or ``num_parallel_calls`` not an int.
            ValueError: if ``num_parallel_calls`` is not positive or ``AUTOTUNE``; when
                iterating, if ``map_func`` changes structure between elements.

        >>> ds = Dataset.from_tensor_slices(([1, 2], [10, 20])).map(lambda a, b: a + b)
        >>> [int(v) for v in ds]
        [11, 22]
        """
        method = "Dataset.map"
        check_callable(method, "map_func", map_func)
        if num_parallel_calls is not None:
            expected = "a positive int or AUTOTUNE (-1)"
            n = check_int(method, "num_parallel_calls", num_parallel_calls, None, expected)
            if n < 1 and n != AUTOTUNE:
                raise ValueError(
                    f"{method}: `num_parallel_calls` must be {expected}. "
                    f"Received: num_parallel_calls={n}"
                )
        return Dataset(MapNode(self._node, map_func, num_parallel_calls))

    def filter(self, predicate: Callable[..., Any]) -> Dataset:
        """Keep the elements for which ``predicate`` returns a scalar True.

        Args:
            predicate: a function of one element (or of a tuple's components) returning a
                scalar bool.

        Returns:
            The filtered dataset (unknown cardinality, as in tf).

        Raises:
            TypeError: if ``predicate`` is not callable.
            ValueError: when iterating, if ``predicate`` returns a non-scalar or non-bool.

        >>> [int(v) for v in Dataset.range(6).filter(lambda x: x % 2 == 0)]
        [0, 2, 4]
        """
        check_callable("Dataset.filter", "predicate", predicate)
        return Dataset(FilterNode(self._node, predicate))

    def batch(self, batch_size: int, drop_remainder: bool = False) -> Dataset:
        """Stack ``batch_size`` consecutive elements along a new first axis.

        Args:
            batch_size: a positive int.
            drop_remainder: drop a last, smaller batch (then the batch dimension is static).

        Returns:
            The batched dataset.

        Raises:
            TypeError: if ``batch_size`` is not an int or ``drop_remainder`` not a bool.
            ValueError: if ``batch_size <= 0``; when iterating, if elements of a batch differ
                in shape or dtype.

        >>> [b.tolist() for b in Dataset.range(5).batch(2, drop_remainder=True)]
        [[0, 1], [2, 3]]
        """
        method = "Dataset.batch"
        size = check_int(method, "batch_size", batch_size, 1, "a positive int")
        drop = check_bool(method, "drop_remainder", drop_remainder)
        return Dataset(BatchNode(self._node, size, drop))

    def padded_batch(
        self,
        batch_size: int,
        padded_shapes: Any = None,
        padding_values: Any = None,
        drop_remainder: bool = False,
    ) -> Dataset:
        """Like :meth:`batch`, padding each component to the largest shape in the batch
        (or to ``padded_shapes``; ``None``/-1 dimensions pad to the batch's largest).

        Args:
            batch_size: a positive int.
            padded_shapes: optional, a shape per component, nested like the elements.
            padding_values: optional, a scalar per component, nested like the elements.
            drop_remainder: drop a last, smaller batch.

        Returns:
            The batched dataset.

        Raises:
            TypeError: as :meth:`batch`.
            ValueError: as :meth:`batch`; when iterating, if a component is larger than its
                padded shape or ranks differ.

        >>> ds = Dataset.from_generator(lambda: iter([[1], [2, 3]]))
        >>> [b.tolist() for b in ds.padded_batch(2)]
        [[[1, 0], [2, 3]]]
        """
        method = "Dataset.padded_batch"
        size = check_int(method, "batch_size", batch_size, 1, "a positive int")
        drop = check_bool(method, "drop_remainder", drop_remainder)
        return Dataset(PaddedBatchNode(self._node, size, drop, padded_shapes, padding_values))

    def unbatch(self) -> Dataset:
        """Split each element along its first dimension into rows (the inverse of batch).

        Returns:
            The unbatched dataset.

        Raises:
            ValueError: when iterating, if a component is a scalar or components differ in
                their first dimension.

        >>> [int(v) for v in Dataset.range(5).batch(2).unbatch()]
        [0, 1, 2, 3, 4]
        """
        return Dataset(UnbatchNode(self._node))

    def shuffle(
        self,
        buffer_size: int,
        seed: int | None = None,
        reshuffle_each_iteration: bool | None = None,
    ) -> Dataset:
        """Shuffle through a buffer of ``buffer_size`` elements, with tf.data's algorithm.

        A buffer at least as large as the dataset gives a uniform permutation; a smaller
        one only mixes nearby elements. With ``seed=None`` the seed is drawn now from
        deepgrad's global generator, so ``set_random_seed`` makes runs reproducible.

        Args:
            buffer_size: a positive int.
            seed: an int >= 0, or None.
            reshuffle_each_iteration: a new order on every pass (default True); if False
                every pass repeats the first order.

        Returns:
            The shuffled dataset (same cardinality).

        Raises:
            TypeError: if an argument has the wrong type.
            ValueError: if ``buffer_size <= 0`` or ``seed < 0``.

        >>> ds = Dataset.range(5).shuffle(5, seed=1, reshuffle_each_iteration=False)
        >>> sorted(int(v) for v in ds), [int(v) for v in ds] == [int(v) for v in ds]
        ([0, 1, 2, 3, 4], True)
        """
        method = "Dataset.shuffle"
        size = check_int(method, "buffer_size", buffer_size, 1, "a positive int")
        if seed is not None:
            seed = check_int(method, "seed", seed, 0, "an int >= 0 or None")
        reshuffle = True
        if reshuffle_each_iteration is not None:
            reshuffle = check_bool(method, "reshuffle_each_iteration", reshuffle_each_iteration)
        return Dataset(ShuffleNode(self._node, size, seed, reshuffle))

    def repeat(self, count: int | None = None) -> Dataset:
        """Repeat the dataset ``count`` times (forever if None or -1); each pass is fresh.

        Args:
            count: an int, or None for forever.

        Returns:
            The repeated dataset.

        Raises:
            TypeError: if ``count`` is not an int or None.

        >>> [int(v) for v in Dataset.range(2).repeat(2)], Dataset.range(2).repeat().cardinality()
        ([0, 1, 0, 1], -1)
        """
        if count is None:
            return Dataset(RepeatNode(self._node, -1))
        count = check_int("Dataset.repeat", "count", count, None, "an int or None")
        return Dataset(RepeatNode(self._node, max(count, -1)))

    def cache(self, filename: str | os.PathLike = "") -> Dataset:
        """Store the first complete pass (in memory, or in ``filename.*`` NumPy files) and
        read later passes from the store; an unfinished pass stores nothing.

        Args:
            filename: "" for memory, or a path prefix for ``.npz`` shards and an index.

        Returns:
            The cached dataset.

        Raises:
            TypeError: if ``filename`` is not a str or path.

        >>> calls = []
        >>> ds = Dataset.range(3).map(lambda x: calls.append(1) or x).cache()
        >>> _ = list(ds), list(ds)
        >>> len(calls)
        3
        """
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(
                f"Dataset.cache: `filename` must be a str or path. Received: filename={filename!r}"
            )
        return Dataset(CacheNode(self._node, os.fspath(filename)))

    def prefetch(self, buffer_size: int) -> Dataset:
        """Compute up to ``buffer_size`` elements ahead in a background thread.

        The thread stops when the iterator is exhausted or abandoned.

        Args:
            buffer_size: an int >= 0 (0 means no thread), or ``AUTOTUNE``.

        Returns:
            The same elements, produced ahead of time.

        Raises:
            TypeError: if ``buffer_size`` is not an int.
            ValueError: if ``buffer_size`` is below -1.

        >>> [int(v) for v in Dataset.range(3).prefetch(2)]
        [0, 1, 2]
        """
        expected = "an int >= 0 or AUTOTUNE (-1)"
        size = check_int("Dataset.prefetch", "buffer_size", buffer_size, AUTOTUNE, expected)
        return Dataset(PrefetchNode(self._node, size))

    def concatenate(self, dataset: Dataset) -> Dataset:
        """The elements of this dataset followed by those of ``dataset``.

        Args:
            dataset: a dataset with the same structure and dtypes.

        Returns:
            The concatenated dataset.

        Raises:
            TypeError: if ``dataset`` is not a Dataset or its elements are incompatible.

        >>> [int(v) for v in Dataset.range(2).concatenate(Dataset.range(5, 7))]
        [0, 1, 5, 6]
        """
        other = _node_of("Dataset.concatenate", dataset)
        a, b = self._node.spec(False), other.spec(False)
        if a is not None and b is not None:
            compatible = same_structure(a, b) and all(
                x.dtype == y.dtype for x, y in zip(flatten(a), flatten(b))
            )
            if not compatible:
                raise TypeError(
                    f"Dataset.concatenate: incompatible dataset elements: {a} and {b}. To fix, "
                    "map both to the same structure and dtypes."
                )
        return Dataset(ConcatenateNode(self._node, other))

    def take(self, count: int) -> Dataset:
        """The first ``count`` elements (all of them if ``count`` is -1).

        Args:
            count: an int.

        Returns:
            The truncated dataset.

        Raises:
            TypeError: if ``count`` is not an int.

        >>> [int(v) for v in Dataset.range(10).take(3)]
        [0, 1, 2]
        """
        count = check_int("Dataset.take", "count", count, None, "an int")
        return Dataset(TakeNode(self._node, max(count, -1)))

    def skip(self, count: int) -> Dataset:
        """All but the first ``count`` elements (none if ``count`` is -1).

        Args:
            count: an int.

        Returns:
            The dataset without its head.

        Raises:
            TypeError: if ``count`` is not an int.

        >>> [int(v) for v in Dataset.range(5).skip(3)]
        [3, 4]
        """
        count = check_int("Dataset.skip", "count", count, None, "an int")
        return Dataset(SkipNode(self._node, max(count, -1)))

    def shard(self, num_shards: int, index: int) -> Dataset:
        """The elements whose position ``i`` has ``i % num_shards == index`` (tf.data's form).

        Each process of a data-parallel job takes ``shard(num_processes, process_id)``
        of the same dataset when its data is sharded before ``fit`` (``DataParallel(
        auto_shard_dataset=False)``). Shard before shuffling or augmenting, so that the
        shards are disjoint.

        Args:
            num_shards: the number of shards, an int >= 1.
            index: this shard, an int in ``[0, num_shards)``.

        Raises:
            TypeError: if an argument is not an int.
            ValueError: if ``num_shards < 1`` or ``index`` is out of range.

        >>> [int(v) for v in Dataset.range(7).shard(3, 1)]
        [1, 4]
        """
        num_shards = check_int("Dataset.shard", "num_shards", num_shards, 1, "an int >= 1")
        index = check_int("Dataset.shard", "index", index, 0, "an int >= 0")
        if index >= num_shards:
            raise ValueError(
                f"Dataset.shard: `index` must be less than `num_shards`. Received: "
                f"num_shards={num_shards}, index={index}"
            )
        return Dataset(ShardNode(self._node, num_shards, index))

    def enumerate(self, start: int = 0) -> Dataset:
        """Pair each element with its int64 index: ``(index, element)``.

        Args:
            start: the first index.

        Returns:
            The enumerated dataset.

        Raises:
            TypeError: if ``start`` is not an int.

        >>> [(int(i), int(v)) for i, v in Dataset.range(10, 12).enumerate(1)]
        [(1, 10), (2, 11)]
        """
        start = check_int("Dataset.enumerate", "start", start, None, "an int")
        counter = RangeNode(start, _INT64_MAX, 1, np.int64)
        return Dataset(ZipNode((counter, self._node)))

    def apply(self, transformation_func: Callable[[Dataset], Dataset]) -> Dataset:
        """Return ``transformation_func(self)``, to chain reusable transformations.

        Args:
            transformation_func: a function from Dataset to Dataset.

        Returns:
            Whatever dataset it returns.

        Raises:
            TypeError: if it does not return a Dataset.

        >>> Dataset.range(4).apply(lambda ds: ds.batch(2)).cardinality()
        2
        """
        result = transformation_func(self)
        if not isinstance(result, Dataset):
            raise TypeError(f"Dataset.apply: the function must return a Dataset. Got {result!r}")
        return result

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
        """An iterator over the elements as plain NumPy arrays (what ``fit`` reads).

        Returns:
            A fresh iterator (a new pass).

        >>> [int(v) for v in Dataset.range(2).as_numpy_iterator()]
        [0, 1]
        """
        return self._node.iterate()

    def cardinality(self) -> int:
        """The number of elements, computed from the pipeline without running it.

        Returns:
            An int, ``INFINITE_CARDINALITY`` (-1) or ``UNKNOWN_CARDINALITY`` (-2).

        >>> Dataset.range(10).batch(3).cardinality(), Dataset.range(3).filter(bool).cardinality()
        (4, -2)
        """
        return self._node.cardinality()

    @property
    def element_spec(self) -> Any:
        """The nested structure of :class:`~deepgrad.data.TensorSpec` describing one element.

        Shapes after a ``map`` or an unsigned ``from_generator`` are inferred by running
        one element through (the functions are called once more).

        Raises:
            ValueError: if the spec must be inferred and the dataset is empty.

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
        """The elements, each array with ``.numpy()`` as tf.data's tensors have
        (:class:`~deepgrad.data.elements.ElementArray`: NumPy arrays, no copy).

        >>> for element in Dataset.range(2):
        ...     print(element.numpy())
        0
        1
        """
        return map(as_elements, self._node.iterate())

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


def _node_of(method: str, value: Any) -> Node:
    """The pipeline stage behind a dataset, or a TypeError naming the method."""
    if not isinstance(value, Dataset):
        raise TypeError(f"{method}: expected a Dataset. Received: {value!r}")
    return value._node
