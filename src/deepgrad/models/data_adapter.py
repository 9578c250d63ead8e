"""Turn what ``fit``/``evaluate``/``predict`` receive into batches, and check it first.

Arrays (or lists/dicts of arrays) are validated once (same length, no NaN or inf) and
cut into batches by index, shuffled each epoch; a ``dg.data.Dataset``, a Python
generator or any iterable yields ready batches.

>>> batches = ArrayBatches(np.arange(10.0)[:, None], np.arange(10), None, batch_size=4)
>>> [len(b[0]) for b in batches.epoch(shuffle=False)]
[4, 4, 2]
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator

import numpy as np

from deepgrad import config, tree
from deepgrad import random as dg_random
from deepgrad.data.pipeline import epoch_scope
from deepgrad.tensor import Tensor
from deepgrad.utils.py_dataset import PyDataset, PyDatasetBatches

__all__ = ["ArrayBatches", "IterableBatches", "adapt", "unpack", "split_validation",
           "split_for_validation", "shard_rows"]


def _flat(structure) -> list:
    """The arrays of ``x``, ``y`` or ``sample_weight`` (None stands for no array)."""
    if not isinstance(structure, (list, tuple, dict)):  # one array, or None: no walk
        return [] if structure is None else [structure]
    return [a for a in tree.flatten(structure) if a is not None]


def _map(structure, fn):
    if not isinstance(structure, (list, tuple, dict)):
        return None if structure is None else fn(structure)
    return tree.map_structure(lambda a: None if a is None else fn(a), structure)


def _as_array(value, what: str, float_dtype) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.data
    array = np.asarray(value)
    if array.dtype == object and array.size and all(isinstance(v, str) for v in array.flat):
        array = array.astype(str)  # texts in an object array (pandas' column.values)
    if array.dtype == object:
        raise TypeError(
            f"{what}: could not turn the data into a numeric array (ragged lists or mixed "
            f"types?). Received: {type(value).__name__}"
        )
    if array.dtype.kind == "c":
        raise TypeError(
            f"{what}: complex numbers are not supported (deepgrad computes on real numbers). "
            f"Received: dtype {array.dtype}, shape {array.shape}. To fix, pass the real and "
            "imaginary parts as separate features (np.real, np.imag)."
        )
    if array.dtype.kind == "f" and float_dtype is not None and array.dtype != float_dtype:
        array = array.astype(float_dtype)
    if array.ndim == 0:
        raise ValueError(f"{what}: expected an array with a batch axis, got a scalar: {value!r}")
    return array


def is_array_like(x) -> bool:
    """True for NumPy arrays, Tensors, nested lists of numbers, and lists/dicts of arrays."""
    if isinstance(x, (np.ndarray, Tensor)):
        return True
    if isinstance(x, dict):
        return all(is_array_like(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return True
    return False


def _as_structure(value):
    """A list of arrays stays a list (several inputs); a nested list of numbers is one array."""
    if isinstance(value, (list, tuple)) and not all(
        isinstance(v, (np.ndarray, Tensor, dict)) for v in value
    ):
        return np.asarray(value)
    return value


def check_arrays(x, y, sample_weight, who: str, float_dtype) -> tuple:
    """Convert to arrays and check: same number of samples, finite floats in ``x``."""
    x, y, sample_weight = _as_structure(x), _as_structure(y), _as_structure(sample_weight)
    x = _map(x, lambda a: _as_array(a, f"{who}: `x`", float_dtype))
    y = _map(y, lambda a: _as_array(a, f"{who}: `y`", None))
    sample_weight = _map(sample_weight, lambda a: _as_array(a, f"{who}: `sample_weight`", None))
    lengths = {}
    for name, part in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        arrays = _flat(part)
        for i, a in enumerate(arrays):
            lengths[name if len(arrays) == 1 else f"{name}[{i}]"] = len(a)
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise ValueError(
            f"{who}: `x` and `y` must have the same number of samples. Received: {detail}. "
            "Nothing is truncated or broadcast: fix the arrays so their first axes match."
        )
    arrays = _flat(x)
    for i, a in enumerate(arrays):
        if a.dtype.kind == "f" and not _all_finite(a):
            bad = np.argwhere(~np.isfinite(a))[0]
            label = "x" if len(arrays) == 1 else f"x[{i}]"
            raise ValueError(
                f"{who}: `{label}` contains NaN or inf "
                f"(first at index {tuple(int(b) for b in bad)}, "
                f"value {a[tuple(bad)]}). To fix, remove or impute those values before training."
            )
    return x, y, sample_weight


# Elements checked at a time for NaN and inf: the check's boolean array stays small (one
# array of the data's size, 47 MB for Fashion-MNIST, cost 11-84 ms of CPU time a fit in
# page faults, against 7.6 ms in pieces; benchmarks/mlp.py).
_FINITE_PIECE = 1 << 16


def _all_finite(a: np.ndarray) -> bool:
    """Whether every value of the float array ``a`` is finite, checked piece by piece.

    >>> _all_finite(np.ones(5)), _all_finite(np.array([1.0, np.nan]))
    (True, False)
    """
    flat = a.reshape(-1)
    return all(np.isfinite(flat[i:i + _FINITE_PIECE]).all()
               for i in range(0, flat.size, _FINITE_PIECE))


def split_validation(x, y, sample_weight, validation_split: float):
    """Keep the last ``validation_split`` fraction for validation (before shuffling), as Keras.

    >>> (tx, ty, _), (vx, vy, _) = split_validation(np.arange(10), np.arange(10), None, 0.2)
    >>> vx.tolist()
    [8, 9]
    """
    if isinstance(validation_split, bool) or not isinstance(validation_split, (float, int,
                                                                                np.floating)):
        raise TypeError(
            "fit: `validation_split` must be a float in (0, 1). "
            f"Received: validation_split={validation_split!r} ({type(validation_split).__name__})"
        )
    if not 0 < validation_split < 1:
        raise ValueError(
            "fit: `validation_split` must be in (0, 1). "
            f"Received: validation_split={validation_split}"
        )
    n = len(_flat(x)[0])
    cut = int(math.floor(n * (1 - validation_split)))
    if cut == 0 or cut == n:
        raise ValueError(
            f"fit: validation_split={validation_split} leaves no samples for training or "
            f"validation among {n} samples."
        )
    head = lambda s: _map(s, lambda a: a[:cut])  # noqa: E731
    tail = lambda s: _map(s, lambda a: a[cut:])  # noqa: E731
    return (head(x), head(y), head(sample_weight)), (tail(x), tail(y), tail(sample_weight))


def _take(structure, index):
    return _map(structure, lambda a: a[index])


def _rows(array, index: slice):
    return None if array is None else array[index]


def _gather(array, index: np.ndarray):
    """``array[index]`` for an array of row indices: ``take`` copies the same rows faster
    than indexing (the 784-128-10 MLP's batches of 128 rows, benchmarks/mlp.py)."""
    return None if array is None else array.take(index, axis=0)


def shard_rows(start: int, stop: int, rank: int, ranks: int) -> tuple[int, int]:
    """Rank ``rank``'s rows of the batch ``[start, stop)`` (deepgrad.distribution.sharding);
    a rank left without a row gets the first one (its weight is then 0).

    >>> shard_rows(0, 10, 1, 3), shard_rows(0, 1, 1, 2)
    ((3, 6), (0, 1))
    """
    rows = stop - start
    first, last = start + rows * rank // ranks, start + rows * (rank + 1) // ranks
    return (first, last) if last > first else (start, start + 1)


class ArrayBatches:
    """Batches of in-memory arrays, cut by index and optionally shuffled each epoch.

    Args:
        x, y, sample_weight: arrays (or lists/dicts of arrays) with the same first axis.
        batch_size: samples per batch (the last batch may be smaller).
        steps: optional number of batches per epoch (cycling through the data).

    Attributes:
        steps_per_epoch: the batches an epoch yields.
        num_batches: the batches the data makes.
    """

    def __init__(self, x, y, sample_weight, batch_size: int, steps: int | None = None):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.num_samples = len(_flat(x)[0])
        self.batch_size = batch_size
        self.num_batches = max(1, math.ceil(self.num_samples / batch_size))
        self.steps_per_epoch = steps if steps is not None else self.num_batches
        self._single = isinstance(x, np.ndarray) and all(
            a is None or isinstance(a, np.ndarray) for a in (y, sample_weight))
        # Set by deepgrad.distribution: (rank, ranks) to yield only that rank's slice of
        # each batch, and the function drawing the shuffling order (the same on every rank).
        self.shard: tuple[int, int] | None = None
        self.permutation = None

    def epoch(self, shuffle: bool | str = False, epoch: int | None = None) -> Iterator[tuple]:
        """Yield ``(x, y, sample_weight)`` batches for one epoch (shuffled from deepgrad's
        global generator, which checkpoints save; ``epoch`` is not needed)."""
        n, size = self.num_samples, self.batch_size
        order = None
        permutation = self.permutation or dg_random.generator().permutation
        if shuffle == "batch":
            blocks = permutation(self.num_batches)
            order = np.concatenate([np.arange(b * size, min((b + 1) * size, n)) for b in blocks])
        elif shuffle:
            order = permutation(n)
        x, y, sw = self.x, self.y, self.sample_weight
        for step in range(self.steps_per_epoch):
            start = (step % self.num_batches) * size
            stop = start + size
            if self.shard is not None:
                start, stop = shard_rows(start, min(stop, n), *self.shard)
            if order is None:  # views of the data
                index = slice(start, stop)
                if self._single:
                    yield x[index], _rows(y, index), _rows(sw, index)
                else:
                    yield _take(x, index), _take(y, index), _take(sw, index)
                continue
            index = order[start:stop]
            if self._single:
                yield x.take(index, axis=0), _gather(y, index), _gather(sw, index)
            else:
                yield _take(x, index), _take(y, index), _take(sw, index)


class IterableBatches:
    """Batches from a Dataset, a generator, or any iterable of ``x`` / ``(x, y[, sw])``.

    Args:
        source: the Dataset or iterable.
        steps: batches per epoch; ``None`` runs until the source is exhausted.

    Attributes:
        steps_per_epoch: the batches an epoch yields: ``steps``, else the dataset's
            cardinality or the source's length, else None (unknown).
    """

    def __init__(self, source, steps: int | None = None, who: str = "fit"):
        self.source = source
        self.steps = steps
        self.who = who
        self._iterator = None
        self._started = False
        self.steps_per_epoch = steps
        if steps is None and hasattr(source, "cardinality"):
            count = int(source.cardinality())
            if count >= 0:
                self.steps_per_epoch = count
            elif count == -1:
                raise ValueError(
                    f"{who}: the dataset is infinite (repeat() without a count). To fix, pass "
                    "`steps_per_epoch` (fit) or `steps` (evaluate/predict)."
                )
        elif steps is None and hasattr(source, "__len__"):
            self.steps_per_epoch = len(source)

    def unbatched_error(self) -> ValueError | None:
        """The error for a ``dg.data.Dataset`` that yields single elements, never batched
        (``from_tensor_slices`` without ``.batch``), or None. ``fit``, ``evaluate`` and
        ``predict`` raise it in place of the model's error about its first batch."""
        if not _yields_single_elements(getattr(self.source, "_node", None)):
            return None
        from deepgrad.data.structure import describe

        return ValueError(
            f"{self.who}: the dataset yields single elements "
            f"{describe(self.source.element_spec)}, not batches, and a model takes batches. "
            "To fix, batch it first: dataset.batch(32)."
        )

    def epoch(self, shuffle=False, epoch: int | None = None) -> Iterator[tuple]:
        """Yield ``(x, y, sample_weight)`` batches for one epoch.

        With ``epoch`` (``fit`` passes it), a Dataset's shuffles and maps are keyed by it
        (:class:`~deepgrad.data.pipeline.epoch_scope`), so a run resumed at
        ``initial_epoch`` gets the batches the uninterrupted run got. With ``steps``, one
        stream runs on across epochs; a run that starts at epoch ``e > 0`` (a resumed one)
        first draws, and drops, the batches of epochs ``0..e-1`` from a Dataset, so that it
        continues where the uninterrupted run was.
        """
        # Only fit's training stream replays: a validation stream is drawn on the epochs
        # that validation_freq picks, so its earlier epochs are not a count of batches.
        if (epoch and self.steps is not None and not self._started and self.who == "fit"
                and hasattr(self.source, "cardinality")):
            self._started = True
            for earlier in range(epoch):
                for _ in self.epoch(shuffle, earlier):
                    pass
        self._started = True
        scope = epoch_scope(epoch) if epoch is not None else contextlib.nullcontext()
        restartable = hasattr(self.source, "cardinality") or not isinstance(self.source, Iterator)
        if restartable and (self.steps is None or self._iterator is None):
            # A Dataset's plain arrays, not the ElementArrays that iterating it gives users.
            plain = getattr(self.source, "as_numpy_iterator", None)
            self._iterator = plain() if plain is not None else iter(self.source)
        elif self._iterator is None:
            self._iterator = self.source
        count = 0
        while self.steps is None or count < self.steps:
            try:
                with scope:
                    batch = next(self._iterator)
            except StopIteration:
                if self.steps is not None and count == 0:
                    raise ValueError(
                        f"{self.who}: the data ran out before the first step. Your generator or "
                        "dataset yields fewer batches than `steps_per_epoch`; use repeat()."
                    ) from None
                self._iterator = None
                return
            count += 1
            yield unpack(batch)


def _yields_single_elements(node) -> bool:
    """Whether a Dataset pipeline's elements are rows of arrays (or numbers from ``range``)
    that no ``batch`` stage has stacked since; False where that cannot be told (generators,
    ``from_tensors``)."""
    from deepgrad.data.batching import BatchNode
    from deepgrad.data.sources import RangeNode, TensorSlicesNode, ZipNode
    from deepgrad.data.transforms import UnbatchNode

    while node is not None:
        if isinstance(node, BatchNode):
            return False
        if isinstance(node, (UnbatchNode, TensorSlicesNode, RangeNode)):
            return True
        if isinstance(node, ZipNode):
            return all(_yields_single_elements(n) for n in node.flat)
        node = getattr(node, "input", None)
    return False


def unpack(batch) -> tuple:
    """Split a batch into ``(x, y, sample_weight)`` the way Keras does for tuples.

    >>> unpack((1, 2))
    (1, 2, None)
    """
    if isinstance(batch, tuple):
        if len(batch) == 1:
            return batch[0], None, None
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch
        raise ValueError(
            f"Data is expected as x, (x,), (x, y) or (x, y, sample_weight); got a tuple of "
            f"{len(batch)} elements."
        )
    return batch, None, None


def adapt(x, y, sample_weight, batch_size, steps, who: str, float_dtype, name: str = "x"):
    """Return an ``ArrayBatches`` or ``IterableBatches`` for the given data (``name``: the
    argument that gave ``x``, for messages).

    Raises:
        TypeError: for ``x`` that is neither arrays nor an iterable of batches.
        ValueError: for arrays without samples (``fit`` and ``evaluate``; ``predict``
            returns an empty result, one row per sample).
    """
    if x is None:
        raise ValueError(f"{who}: `{name}` is required.")
    if is_array_like(x) and not _is_iterable_source(x):
        x, y, sample_weight = check_arrays(x, y, sample_weight, who, float_dtype)
        batches = ArrayBatches(x, y, sample_weight, batch_size, steps)
        batches.steps_per_epoch = limit_steps(batches.steps_per_epoch)
        if batches.num_samples == 0 and not who.startswith("predict"):
            shapes = [a.shape for a in _flat(x)]
            shape = shapes[0] if len(shapes) == 1 else shapes
            raise ValueError(
                f"{who}: `{name}` has no samples (shape {shape}): there is nothing to compute "
                "a loss on. To fix, check how the data was loaded or filtered."
            )
        return batches
    if not hasattr(x, "__iter__") and not hasattr(x, "__getitem__"):
        raise TypeError(
            f"{who}: `{name}` must be a NumPy array (or a list or dict of arrays), a "
            "dg.data.Dataset, a PyDataset, or a generator or other iterable of batches. "
            f"Received: {name}={x!r} ({type(x).__name__})"
        )
    if y is not None:
        raise ValueError(
            f"{who}: `y` must not be given when `x` is a dataset or generator (it yields the "
            "targets itself)."
        )
    steps = limit_steps(steps)
    if isinstance(x, PyDataset):
        return PyDatasetBatches(x, steps, who)
    return IterableBatches(x, steps, who)


def limit_steps(steps: int | None) -> int | None:
    """``steps`` capped by :func:`deepgrad.config.max_steps_per_epoch`, with Keras's
    warning when it cuts (None, a source's own length, is cut too).

    >>> import deepgrad as dg
    >>> dg.config.set_max_steps_per_epoch(None); limit_steps(10)
    10
    """
    cap = config.max_steps_per_epoch()
    if cap is None or (steps is not None and steps <= cap):
        return steps
    warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
    return cap


def split_for_validation(x, y, sample_weight, validation_split, float_dtype) -> tuple:
    """``fit``'s ``validation_split``: check the arrays, then keep the last fraction apart
    (:func:`split_validation`); returns ``(x, y, sample_weight), validation_data``.

    Raises:
        ValueError: for data that is not arrays (Keras's rule: a dataset or generator
            cannot be split; pass ``validation_data``).
    """
    if x is not None and (_is_iterable_source(x) or not is_array_like(x)):
        raise ValueError(
            "fit: `validation_split` needs NumPy arrays (or lists or dicts of arrays) in `x`; "
            f"a {type(x).__name__} cannot be split. To fix, pass `validation_data` instead."
        )
    x, y, sample_weight = check_arrays(x, y, sample_weight, "fit", float_dtype)
    return split_validation(x, y, sample_weight, validation_split)


def _is_iterable_source(x) -> bool:
    return hasattr(x, "cardinality") or isinstance(x, Iterator)
