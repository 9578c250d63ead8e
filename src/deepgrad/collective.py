"""The process group of data-parallel training, as the lower parts of deepgrad see it.

A leaf: :mod:`deepgrad.distribution` (at the top of the stack) installs its group here
when a script runs on several processes; the optimizer (the all-reduce of its flat
gradients), ``BatchNormalization(synchronized=True)`` and the training loop read it.
``current()`` is None on one process, and then none of them does anything different.

The group is duck-typed; what the lower parts call on it:

- ``rank``, ``size``: this process's index and the number of processes;
- ``all_reduce_gradients(flats)``: replace each flat gradient array by the weighted sum
  over the ranks (each rank's share of the global batch as its weight);
- ``sharded_step(storage, step)``: sum the optimizer's flat gradients over the ranks
  piece by piece, let ``step(parts)`` update this rank's piece of each flat buffer, and
  share the updated weights and slots with every rank;
- ``all_reduce_sum(array)``: sum a float64 array over the ranks, in place;
- ``gradient_weight``: this rank's share of the current global batch;
- ``train_step(model, step)``, ``test_step(model, step)``, ``distribute_data(batches)``,
  ``gather_predictions(outputs, batches)``, ``prepare_fit(callbacks)``,
  ``should_write()``: the hooks of ``fit``, ``evaluate`` and ``predict``.

>>> current() is None
True
"""

from __future__ import annotations

from typing import Any

__all__ = ["current", "install"]

_group: Any = None


def current() -> Any:
    """The installed process group, or None when this process trains alone.

    >>> current() is None
    True
    """
    return _group


def install(group: Any) -> None:
    """Make ``group`` current (None: back to one process). Called by
    :func:`deepgrad.distribution.set_distribution`.

    >>> install(None); current() is None
    True
    """
    global _group
    _group = group
