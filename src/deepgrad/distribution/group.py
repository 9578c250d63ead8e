"""What ``fit``, ``evaluate``, ``predict`` and the optimizer ask of data-parallel training.

:func:`deepgrad.distribution.set_distribution` installs a :class:`ProcessGroup` in
:mod:`deepgrad.collective`; the training loop, the optimizer and synchronized batch
normalization call it there. Per training step, on every rank:

1. the data adapter yields this rank's slice of the global batch and records its share
   ``w = rows here / rows in the global batch`` (:mod:`.sharding`);
2. ``model.train_step`` runs as on one process; inside it the optimizer's flat gradient
   buffers, weighted by ``w``, are summed over the ranks (a ring reduce-scatter): the
   gradient of the global batch's mean loss. An elementwise rule (SGD, Adam, ...) then
   updates each rank's piece of the flat weights and slots alone, and the pieces are
   copied to every rank (a ring all-gather: ZeRO stage 1); other rules (clipping by
   norm, per-variable rules) get the whole summed gradient on every rank;
3. the metrics' states are summed over the ranks (one small ``Allreduce``) and the logs
   are computed from the sums: every rank sees the same logs, so callbacks such as
   ``EarlyStopping`` or ``TerminateOnNaN`` take the same decision everywhere.

The first step of each ``fit`` builds the model and the optimizer if needed, and copies
rank 0's weights and optimizer state to every rank.
"""

from __future__ import annotations

import contextlib
import json
import weakref
from collections.abc import Iterator

import numpy as np

from deepgrad import random as dg_random
from deepgrad import tree
from deepgrad.distribution import metric_state
from deepgrad.distribution.communicator import Communicator, DistributedError
from deepgrad.distribution.sharding import ShardedArrays, SlicedBatches
from deepgrad.models.data_adapter import ArrayBatches
from deepgrad.tensor import no_grad

__all__ = ["ProcessGroup"]


class ProcessGroup:
    """The ranks of one data-parallel job, with the hooks of the training loop.

    Args:
        communicator: the MPI communicator.
        auto_shard_dataset: slice every global batch (True), or take the data each rank
            is given as its own already (a ``Dataset.shard(...)`` per rank).
    """

    def __init__(self, communicator: Communicator, auto_shard_dataset: bool = True):
        self.comm = communicator
        self.rank, self.size = communicator.rank, communicator.size
        self.auto_shard_dataset = auto_shard_dataset
        self._share: float | None = None
        self._equal_shares = True  # every rank has as many rows of this global batch
        self._synchronized: weakref.WeakSet = weakref.WeakSet()  # models given rank 0's weights
        # Optimizer states updated piece by piece (sharded_step): number -> (storage, bounds);
        # ``_partial``: the numbers whose other pieces this rank has not fetched since.
        self._sharded: dict[int, tuple] = {}
        self._numbers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._partial: set[int] = set()
        self.comm.serve = self._serve
        # Every rank starts from rank 0's random state: datasets shuffled without a seed,
        # and models built before the first fit, come out the same on every rank.
        state = json.dumps(dg_random.get_state()).encode() if self.rank == 0 else None
        dg_random.set_state(json.loads(self.comm.broadcast_bytes(state, "the random state")))

    # -- what the lower parts call ---------------------------------------------------------
    @property
    def gradient_weight(self) -> float:
        """This rank's share of the current global batch (``1 / size`` outside ``fit``)."""
        return 1.0 / self.size if self._share is None else self._share

    def set_share(self, local_rows: int, global_rows: int) -> None:
        """Record this step's split (called by the sharded data)."""
        self._share = local_rows / global_rows if global_rows else 0.0
        self._equal_shares = global_rows > 0 and global_rows % self.size == 0

    def should_write(self) -> bool:
        """Rank 0 alone prints progress and writes files."""
        return self.rank == 0

    def all_reduce_sum(self, array: np.ndarray, what: str = "an all-reduce") -> np.ndarray:
        return self.comm.all_reduce_sum(array, what)

    def all_reduce_gradients(self, flats: list[np.ndarray]) -> None:
        """Weight each flat gradient buffer by this rank's share and sum over the ranks:
        a ring reduce-scatter then a ring all-gather of each buffer (one per dtype)."""
        self.complete_state()  # a rule that reads all the slots follows sharded steps
        for flat in flats:
            bounds = self._bounds(flat.size)
            self._reduce_gradient(flat, bounds)
            pieces = [[flat[a:b]] for a, b in zip(bounds, bounds[1:])]
            self.comm.all_gather_pieces(pieces, "the gradients")

    def sharded_step(self, storage, step) -> None:
        """One optimizer step split over the ranks (ZeRO stage 1): the flat gradients are
        summed piece by piece (each rank receives the sum of its own piece of every
        buffer), ``step(parts)`` updates this rank's piece ``parts[k] = (start, stop)`` of
        each dtype group of ``storage`` (an :class:`deepgrad.optimizers.flat.FlatStorage`),
        then every rank's updated weights and slots are copied to all ranks.

        Every rank ends with the same weights, bit for bit, as all of them updating
        everything would give, for half the update's work each on two ranks. The slots
        stay split: each rank's own piece is current, and the others' are fetched when
        the whole state is read (:meth:`complete_state`: by ``get_state``, a step that is
        not sharded, the end of ``fit``), which saves an all-gather of every slot per step.
        """
        number = self._numbers.get(storage)
        if number is None:
            number = self._numbers[storage] = len(self._sharded)
        bounds = [self._bounds(group.grad.size) for group in storage.groups]
        self._sharded[number] = (weakref.ref(storage), bounds)
        for group, edges in zip(storage.groups, bounds):
            self._reduce_gradient(group.grad, edges)
        step([(edges[self.rank], edges[self.rank + 1]) for edges in bounds])
        self._partial.add(number)
        for group, edges in zip(storage.groups, bounds):
            pieces = [_segments_between(group.flat_params, group.offsets, a, b)
                      for a, b in zip(edges, edges[1:])]
            self.comm.all_gather_pieces(pieces, "the updated weights")

    def complete_state(self, storage=None) -> None:
        """Fetch the other ranks' pieces of the slots that :meth:`sharded_step` left split:
        of ``storage`` (None: of all). The other ranks answer in their next wait, so one
        rank alone may call this (rank 0 saving a checkpoint), or all at once."""
        numbers = set(self._partial) if storage is None else (
            {self._numbers[storage]} & self._partial if storage in self._numbers else set())
        for number in sorted(numbers):
            self._partial.discard(number)
            found = self._pieces(number)
            if found is None:
                continue
            pieces = {q: arrays for q, arrays in enumerate(found) if q != self.rank}
            self.comm.fetch_pieces(number, pieces, "the optimizer state")

    def _pieces(self, number: int) -> list[list[np.ndarray]] | None:
        """Each rank's pieces of the slots of state ``number`` (None if it is gone)."""
        reference, bounds = self._sharded[number]
        storage = reference()
        if storage is None:
            return None
        return [[slot[edges[q]:edges[q + 1]] for group, edges in zip(storage.groups, bounds)
                 for slot in group.slots.values()] for q in range(self.size)]

    def _serve(self, number: int) -> list[np.ndarray]:
        found = self._pieces(number) if number in self._sharded else None
        return [] if found is None else found[self.rank]

    def _bounds(self, size: int) -> list[int]:
        """Where each rank's piece of a flat buffer of ``size`` elements starts (and the end)."""
        return [size * r // self.size for r in range(self.size + 1)]

    def _reduce_gradient(self, flat: np.ndarray, bounds: list[int]) -> None:
        """This rank's piece of ``flat`` summed over the ranks, each weighted by its share:
        when all shares are equal, the sum is divided once, after (on this piece only)."""
        if not self._equal_shares:
            flat *= flat.dtype.type(self.gradient_weight)
        self.comm.reduce_scatter(flat, bounds, "the gradients")
        if self._equal_shares:
            flat[bounds[self.rank]:bounds[self.rank + 1]] *= flat.dtype.type(1.0 / self.size)

    def shared_permutation(self, n: int) -> np.ndarray:
        """Rank 0's shuffle of ``range(n)`` (drawn as one process draws it), on every rank."""
        order = dg_random.generator().permutation(n) if self.rank == 0 else np.empty(n, np.int64)
        return self.comm.broadcast(order.astype(np.int64, copy=False), "the shuffling order")

    # -- the hooks of fit, evaluate and predict ------------------------------------------
    def distribute_data(self, batches):
        """This rank's view of ``batches`` (an adapter of ``models.data_adapter``)."""
        if batches is None or not self.auto_shard_dataset:
            return batches
        if hasattr(batches, "permutation"):  # arrays, PyDataset: rank 0's shuffled order
            batches.permutation = self.shared_permutation
        if isinstance(batches, ArrayBatches):
            return ShardedArrays(batches, self)
        return SlicedBatches(batches, self)

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Tell the other ranks when this one raises, so that they fail instead of waiting."""
        try:
            yield
            self.complete_state()  # the end of fit: the state whole, for rank 0 to save
        except DistributedError:
            raise
        except BaseException as error:
            self.comm.report_failure(f"{type(error).__name__}: {error}")
            raise

    def train_step(self, model, step, every_fit: bool = True):
        """``step`` (the model's ``train_step``) wrapped for data-parallel training: its
        first call copies rank 0's weights and optimizer state (with ``every_fit=False``,
        only if this group never did for ``model``: ``train_on_batch``)."""
        pending = [True] if every_fit or model not in self._synchronized else []

        def run(batch) -> dict:
            if pending:
                self._synchronize(model, batch)
                pending.clear()
            stand_in = self._share == 0.0  # a row weighted 0: no gradient, no metrics
            saved = metric_state.snapshot(model.metrics) if stand_in else None
            logs = step(batch)
            if stand_in:
                metric_state.restore(model.metrics, saved)
            self._share, self._equal_shares = None, True
            return self.reduce_logs(model, logs)

        return run

    def test_step(self, model, step):
        """``step`` (the model's ``test_step``) wrapped: logs over all ranks."""

        def run(batch) -> dict:
            stand_in, self._share = self._share == 0.0, None
            saved = metric_state.snapshot(model.metrics) if stand_in else None
            logs = step(batch)
            if stand_in:
                metric_state.restore(model.metrics, saved)
            return self.reduce_logs(model, logs)

        return run

    def predict_step(self, step):
        """``step`` wrapped: a stand-in row's prediction is dropped (zero rows kept)."""

        def run(batch):
            share, self._share = self._share, None
            out = step(batch)
            if share == 0.0:
                out = tree.map_structure(lambda a: a[:0], out)
            return out

        return run

    def gather_predictions(self, outputs: list):
        """Join every rank's predictions into the global order (batch by batch)."""
        counts = np.zeros((self.size, len(outputs)), np.int64)
        counts[self.rank] = [len(tree.flatten(out)[0]) for out in outputs]
        self.all_reduce_sum(counts, "the prediction counts")
        # Rows come rank after rank; the global order is batch after batch.
        starts = np.concatenate([[0], np.cumsum(counts.ravel())[:-1]]).reshape(counts.shape)
        order = np.concatenate([np.arange(starts[r, b], starts[r, b] + counts[r, b])
                                for b in range(counts.shape[1]) for r in range(self.size)])

        def gather(*parts):
            joined = self.comm.all_gather_rows(np.concatenate(parts), "the predictions")
            return joined[order]

        return tree.map_structure(gather, *outputs)

    def with_summed_metrics(self, model, read):
        """``read()`` while the model's metrics hold their states summed over the ranks
        (every rank calls it at the same point): what one process would hold."""
        state = metric_state.pack(model.metrics)
        self.all_reduce_sum(state, "the metrics")
        with metric_state.summed_into(model.metrics, state):
            return read()

    def reduce_logs(self, model, logs: dict) -> dict:
        """The logs of the whole global batch: metrics from their states summed over the
        ranks; any other number in ``logs`` (a custom ``train_step``'s) averaged."""
        metrics = model.metrics
        names = {m.name for m in metrics}
        extra = sorted(k for k, v in logs.items()
                       if k not in names and isinstance(v, (int, float)))
        state = metric_state.pack(metrics)
        vector = np.concatenate([state, [float(logs[k]) for k in extra]]) if extra else state
        self.all_reduce_sum(vector, "the metrics")
        with metric_state.summed_into(metrics, vector[: len(state)]):
            reduced = model.get_metrics_result() if getattr(model, "compiled", False) else {}
        for k, total in zip(extra, vector[len(state):]):
            if k not in reduced:
                reduced[k] = float(total) / self.size
        return reduced

    # -- the start of fit ------------------------------------------------------------------
    def _synchronize(self, model, batch) -> None:
        """Build what is not built yet, then copy rank 0's weights and optimizer state."""
        optimizer = model.optimizer
        variables = model.trainable_variables
        if not model.built or not variables:
            with no_grad():
                model(batch[0], training=False)
            variables = model.trainable_variables
        if not optimizer.built:
            optimizer.build(variables)
        by_dtype: dict[np.dtype, list] = {}
        for weight in model.weights:
            by_dtype.setdefault(weight.data.dtype, []).append(weight)
        for weights in by_dtype.values():  # the same order on every rank: the model's
            flat = np.concatenate([w.data.ravel() for w in weights])
            self.comm.broadcast(flat, "rank 0's weights")
            at = 0
            for w in weights:
                w.assign(flat[at : at + w.data.size].reshape(w.data.shape))
                at += w.data.size
        state = optimizer.get_state()
        for key in sorted(state):
            value = np.array(state[key], order="C")
            state[key] = self.comm.broadcast(value, "rank 0's optimizer state")
        optimizer.set_state(state)
        if self.rank:
            self._own_random_stream()
        self._synchronized.add(model)

    def _own_random_stream(self) -> None:
        """Give this rank (not 0) its own stream for dropout masks and augmentations:
        rank 0's stream spawned with the rank, so that the slices of a global batch get
        independent masks while rank 0 draws exactly as one process does."""
        state = dg_random.get_state()
        if state.get("bit_generator") == "PCG64":
            seed = [state["state"]["state"], state["state"]["inc"], self.rank]
            dg_random.set_state(np.random.PCG64(np.random.SeedSequence(seed)).state)


def _segments_between(arrays: list[np.ndarray], offsets, start: int, stop: int) -> list:
    """The parts of ``arrays`` (1-D, laid end to end from ``offsets``) that fall in
    ``[start, stop)`` of the flat layout, as views."""
    found = []
    for j, array in enumerate(arrays):
        low, high = max(start, int(offsets[j])), min(stop, int(offsets[j + 1]))
        if low < high:
            found.append(array[low - int(offsets[j]):high - int(offsets[j])])
    return found
