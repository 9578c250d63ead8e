"""``PyDataset`` (alias ``Sequence``): batches computed by Python code, in parallel if asked.

Subclass it, return the number of batches from ``__len__`` and batch ``index`` from
``__getitem__`` (``x``, ``(x, y)`` or ``(x, y, sample_weight)``), and pass it to
``fit``, ``evaluate`` or ``predict``. As in Keras 3, the constructor's ``workers``,
``use_multiprocessing`` and ``max_queue_size`` say how those loops fetch batches:
``workers`` threads (or forked processes) compute up to ``max_queue_size`` batches ahead,
and the batches still arrive in order. ``fit`` shuffles the order of the batches each
epoch (``shuffle=True``, the default) with deepgrad's global generator, so
``set_random_seed`` fixes it (Keras seeds its shuffle with the epoch number).
``on_epoch_begin`` and ``on_epoch_end`` are called around each pass.

>>> class Squares(PyDataset):
...     def __len__(self):
...         return 3
...     def __getitem__(self, index):
...         x = np.full((2, 1), float(index))
...         return x, x ** 2
>>> [y[:, 0].tolist() for _, y in Squares()]
[[0.0, 0.0], [1.0, 1.0], [4.0, 4.0]]
>>> batches = PyDatasetBatches(Squares(workers=2), who="fit")
>>> [int(x[0, 0]) for x, _, _ in batches.epoch(shuffle=False)]
[0, 1, 2]
"""

from __future__ import annotations

import itertools
import multiprocessing
import warnings
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np

from deepgrad import random as dg_random

__all__ = ["PyDataset", "Sequence", "PyDatasetBatches"]


class PyDataset:
    """Base class of datasets whose batches Python code computes (``keras.utils.PyDataset``).

    Args:
        workers: how many threads (or processes) compute batches at once; 1 computes
            them in the training loop's thread.
        use_multiprocessing: use forked processes instead of threads (for Python code
            that holds the GIL). Each process gets a copy of the dataset when the epoch
            starts; batches come back through a pipe (pickled NumPy arrays).
        max_queue_size: how many batches may be computed ahead.

    Implement ``__len__`` (or the ``num_batches`` property, None for an endless
    dataset) and ``__getitem__``; optionally ``on_epoch_begin`` and ``on_epoch_end``.
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self) -> None:
        missing = False
        for name, default in (("_workers", 1), ("_use_multiprocessing", False),
                              ("_max_queue_size", 10)):
            if not hasattr(self, name):
                setattr(self, name, default)
                missing = True
        if missing:
            warnings.warn(
                "Your `PyDataset` class should call `super().__init__(**kwargs)` in its "
                "constructor. `**kwargs` can include `workers`, `use_multiprocessing`, "
                "`max_queue_size`. Do not pass these arguments to `fit()`, as they will be "
                "ignored.",
                stacklevel=3,
            )

    @property
    def workers(self) -> int:
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = value

    def __getitem__(self, index: int):
        """The batch at ``index``: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
        raise NotImplementedError

    def __iter__(self) -> Iterator:
        """The batches in order, in this thread (no workers, as Keras)."""
        try:
            count = self.num_batches
        except NotImplementedError:
            count = None
        for index in range(count) if count is not None else itertools.count():
            yield self[index]

    @property
    def num_batches(self) -> int | None:
        """The number of batches (``len(self)``), or None for an endless dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            "You need to implement the `num_batches` property:\n\n"
            "@property\ndef num_batches(self):\n  return ..."
        )

    def on_epoch_begin(self) -> None:
        """Called before each pass of ``fit``, ``evaluate`` or ``predict``."""

    def on_epoch_end(self) -> None:
        """Called after each pass."""


Sequence = PyDataset

_SHARED: dict = {}  # the dataset of a worker process, set when the process starts


def _start_worker(dataset) -> None:
    _SHARED["dataset"] = dataset


def _fetch_in_worker(index: int):
    return _SHARED["dataset"][index]


def _standardize(batch, who: str) -> tuple:
    """A batch as ``(x, y, sample_weight)`` (Keras's rules: a list is a tuple, an array x)."""
    if isinstance(batch, list):
        batch = tuple(batch)
    if isinstance(batch, tuple):
        if len(batch) in (1, 2, 3):
            return tuple(batch) + (None,) * (3 - len(batch))
    elif isinstance(batch, (np.ndarray, dict)) or hasattr(batch, "shape"):
        return batch, None, None
    raise ValueError(
        f"{who}: PyDataset.__getitem__() must return a tuple or a dict. If a tuple, it must be "
        "ordered either (input,) or (inputs, targets) or (inputs, targets, sample_weights). "
        f"Received: {str(batch)[:100]}... of type {type(batch)}"
    )


class PyDatasetBatches:
    """What ``fit``, ``evaluate`` and ``predict`` iterate for a :class:`PyDataset`.

    Args:
        dataset: the PyDataset.
        steps: batches per epoch (``steps_per_epoch`` / ``steps``); None: the dataset's
            ``num_batches`` (required for an endless dataset). More steps than batches
            go round the dataset again.
        who: the caller's name, for messages.

    Attributes:
        steps_per_epoch: the batches an epoch yields.

    Raises:
        ValueError: for an endless dataset without ``steps``, or bad worker settings.
    """

    def __init__(self, dataset: PyDataset, steps: int | None = None, who: str = "fit"):
        self.dataset = dataset
        self.who = who
        count = dataset.num_batches
        if count is None and steps is None:
            raise ValueError(f"{who}: the PyDataset is endless (num_batches is None). To fix, "
                             "pass `steps_per_epoch` (fit) or `steps` (evaluate/predict).")
        self.num_batches = count
        self.steps_per_epoch = steps if steps is not None else count
        self.steps = self.steps_per_epoch
        workers, queue = dataset.workers, dataset.max_queue_size
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
            raise ValueError(f"{who}: a PyDataset's `workers` must be an int >= 0. "
                             f"Received: workers={workers!r}")
        if isinstance(queue, bool) or not isinstance(queue, int) or queue < 1:
            raise ValueError(f"{who}: a PyDataset's `max_queue_size` must be a positive int. "
                             f"Received: max_queue_size={queue!r}")
        self.parallel = workers > 1 or (workers > 0 and bool(dataset.use_multiprocessing))
        # Set by deepgrad.distribution: draws the shuffled order (the same on every rank).
        self.permutation = None

    def _indices(self, shuffle) -> Iterator[int]:
        count = self.num_batches
        if count is None:
            return itertools.islice(itertools.count(), self.steps_per_epoch)
        if shuffle:
            permutation = self.permutation or dg_random.generator().permutation
            order = [int(i) for i in permutation(count)]
        else:
            order = list(range(count))
        cycle = itertools.chain.from_iterable(itertools.repeat(order))
        return itertools.islice(cycle, self.steps_per_epoch)

    def _pool(self):
        dataset = self.dataset
        if dataset.use_multiprocessing:
            # Forked, as Keras: each process starts with the dataset as the epoch begins,
            # without pickling it. (Python 3.12+ warns when a multi-threaded process forks.)
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            return ProcessPoolExecutor(dataset.workers, mp_context=context,
                                       initializer=_start_worker, initargs=(dataset,))
        return ThreadPoolExecutor(dataset.workers, thread_name_prefix="pydataset")

    def epoch(self, shuffle=False, epoch: int | None = None) -> Iterator[tuple]:
        """Yield ``(x, y, sample_weight)`` batches for one epoch, in order, computed ahead
        (``epoch``, which ``fit`` passes, is not needed: a PyDataset orders its batches)."""
        dataset, who = self.dataset, self.who
        dataset.on_epoch_begin()
        indices = self._indices(shuffle)
        if not self.parallel:
            for index in indices:
                yield _standardize(dataset[index], who)
        else:
            pool = self._pool()
            fetch = _fetch_in_worker if dataset.use_multiprocessing else dataset.__getitem__
            pending: deque = deque()
            try:
                for index in itertools.islice(indices, dataset.max_queue_size):
                    pending.append(pool.submit(fetch, index))
                while pending:
                    batch = pending.popleft().result()
                    for index in itertools.islice(indices, 1):
                        pending.append(pool.submit(fetch, index))
                    yield _standardize(batch, who)
            finally:
                for future in pending:
                    future.cancel()
                pool.shutdown(wait=True, cancel_futures=True)
        dataset.on_epoch_end()
