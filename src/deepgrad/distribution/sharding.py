"""Each rank's slice of every global batch.

Rank ``r`` of ``n`` takes rows ``[m*r//n, m*(r+1)//n)`` of a global batch of ``m`` rows
(:func:`deepgrad.models.data_adapter.shard_rows`): contiguous slices in rank order, so
that joining them rank by rank gives the global batch back. Arrays are cut by index
before any copy (the adapter learns its shard); a ``dg.data.Dataset``, a generator or a
``PyDataset`` yields global batches that every rank reads and slices. A global batch
with fewer rows than ranks leaves some ranks without a row: they get the batch's first
row with a weight of 0 (their gradient counts for nothing, their metrics are left
unchanged), so that every rank still takes part in every collective.

>>> share(10, 0, 3), share(10, 2, 3), share(1, 0, 2)
(3, 4, 0)
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np

from deepgrad import tree
from deepgrad.distribution.communicator import DistributedError
from deepgrad.models.data_adapter import ArrayBatches, shard_rows

__all__ = ["share", "ShardedArrays", "SlicedBatches", "rows"]


def share(rows: int, rank: int, size: int) -> int:
    """How many of a global batch's ``rows`` rank ``rank`` of ``size`` takes."""
    return rows * (rank + 1) // size - rows * rank // size


def rows(batch) -> int:
    """The number of rows of a ``(x, y, sample_weight)`` batch."""
    return len(tree.flatten(batch[0])[0])


def _cut(structure, start: int, stop: int):
    if structure is None:
        return None
    return tree.map_structure(lambda a: None if a is None else a[start:stop], structure)


class ShardedArrays:
    """In-memory arrays, each rank taking its slice of every global batch.

    The shuffling order is drawn by rank 0 from deepgrad's generator (as one process
    draws it) and broadcast, so every rank cuts the same global batches.
    """

    def __init__(self, batches: ArrayBatches, group):
        self.batches = batches
        self.group = group
        self.steps_per_epoch = batches.steps_per_epoch
        batches.shard = (group.rank, group.size)

    def epoch(self, shuffle=False, epoch: int | None = None) -> Iterator[tuple]:
        inner, group = self.batches, self.group
        for step, batch in enumerate(inner.epoch(shuffle, epoch)):
            start = (step % inner.num_batches) * inner.batch_size
            total = min(inner.batch_size, inner.num_samples - start)
            group.set_share(share(total, group.rank, group.size), total)
            yield batch


class SlicedBatches:
    """Global batches from a dataset, generator or PyDataset, sliced for this rank.

    Every rank reads the same source, so every rank must see the same global batches: a
    fingerprint of each (its row count and a CRC of its first rows) is compared over the
    ranks, and a difference fails at once instead of training on wrong data.
    """

    def __init__(self, batches, group):
        self.batches = batches
        self.group = group
        self.steps_per_epoch = batches.steps_per_epoch

    def epoch(self, shuffle=False, epoch: int | None = None) -> Iterator[tuple]:
        group = self.group
        for step, batch in enumerate(self.batches.epoch(shuffle, epoch)):
            total = rows(batch)
            _check_same(group, batch, step)
            start, stop = shard_rows(0, total, group.rank, group.size)
            group.set_share(share(total, group.rank, group.size), total)
            yield tuple(_cut(part, start, stop) for part in batch)


class DifferentBatchesError(DistributedError, ValueError):
    """The ranks read different global batches (every rank raises it, at the same step)."""


def _fingerprint(batch) -> int:
    first = np.ascontiguousarray(tree.flatten(batch[0])[0][:4])
    return (zlib.crc32(first.tobytes()) ^ rows(batch)) & 0xFFFFF  # exact when squared


def _check_same(group, batch, step: int) -> None:
    """Raise unless every rank holds the same global batch (fingerprints compared)."""
    mark = float(_fingerprint(batch))
    sums = group.all_reduce_sum(np.array([mark, mark * mark]), "the batch fingerprints")
    if sums[0] * sums[0] != sums[1] * group.size:  # equal marks: (sum)^2 = n * sum(squares)
        raise DifferentBatchesError(
            f"DataParallel: the ranks read different global batches at step {step + 1}, so "
            "they cannot each take a slice of the same one. A dataset shuffled without a "
            "seed, or a generator with its own randomness, differs per process. To fix, "
            "give Dataset.shuffle a `seed`, or shard the data yourself "
            "(dataset.shard(num_processes, process_id)) with "
            "DataParallel(auto_shard_dataset=False)."
        )

