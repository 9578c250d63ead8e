"""Metrics over all ranks: each metric's state summed across processes, its result taken
from the sum.

A metric's state is what its ``reset_state`` sets: the attributes it assigns (found once
per class by running ``reset_state`` on a copy that records assignments) and the arrays
it zeroes in place. Every built-in metric keeps sums there (totals, counts, confusion
matrices), so the sum over ranks is the state one process would have after seeing the
whole global batch: accuracy over an epoch is exact, not an average of averages.
``R2Score`` keeps a running mean and spread (Chan's update) instead of sums: it is
turned into sums for the reduction and back (:data:`_AS_SUMS`).

>>> from deepgrad.metrics import Mean
>>> m = Mean(); m.update_state([1.0, 3.0])
>>> state_names(m)
['count', 'total']
>>> values = pack([m]); values.tolist()
[2.0, 4.0]
>>> with summed_into([m], values * 2): m.result()  # as if a second rank saw the same
2.0
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator, Sequence
from numbers import Number

import numpy as np

__all__ = ["state_names", "pack", "summed_into", "snapshot", "restore"]

_NAMES: dict[type, list[str]] = {}


def state_names(metric) -> list[str]:
    """The names of ``metric``'s state attributes, sorted (the same on every rank)."""
    cls = type(metric)
    names = _NAMES.get(cls)
    if names is None:
        assigned: set[str] = set()

        def record(self, name, value):
            assigned.add(name)
            object.__setattr__(self, name, value)

        probe = object.__new__(type(f"_{cls.__name__}Probe", (cls,), {"__setattr__": record}))
        probe.__dict__.update(copy.deepcopy(metric.__dict__))
        probe.reset_state()
        config = set(metric.get_config())
        in_place = {name for name, value in probe.__dict__.items()
                    if isinstance(value, np.ndarray) and name not in config
                    and value.dtype.kind in "fiu" and not value.any()}
        names = _NAMES[cls] = sorted(assigned | in_place)
    return names


def _r2_to_sums(values: dict) -> dict:
    if values["count"] is None:
        return values
    count, mean = values["count"], values["mean"]
    return {**values, "mean": count * mean, "spread": values["spread"] + count * mean * mean}


def _r2_from_sums(values: dict) -> dict:
    if values["count"] is None:
        return values
    count = values["count"]
    mean = np.divide(values["mean"], count, out=np.zeros_like(count), where=count > 0)
    return {**values, "mean": mean, "spread": values["spread"] - count * mean * mean}


# Metrics whose state is not a set of sums: (to sums, from sums), by class name.
_AS_SUMS = {"R2Score": (_r2_to_sums, _r2_from_sums)}


def _values(metric) -> list:
    names = state_names(metric)
    values = {name: getattr(metric, name) for name in names}
    convert = _AS_SUMS.get(type(metric).__name__)
    if convert is not None:
        values = convert[0](values)
    return [values[name] for name in names]


def _set_values(metric, values: list) -> None:
    names = state_names(metric)
    convert = _AS_SUMS.get(type(metric).__name__)
    given = dict(zip(names, values))
    if convert is not None:
        given = convert[1](given)
    for name in names:
        setattr(metric, name, given[name])


def _check(metric, name: str, value) -> np.ndarray:
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
        return value
    if isinstance(value, Number) and not isinstance(value, bool):
        return np.asarray(value)
    raise TypeError(
        f"DataParallel: metric '{metric.name}' ({type(metric).__name__}) keeps its state "
        f"`{name}` as {type(value).__name__}, which cannot be summed over the ranks. Metrics "
        "must keep sums in numbers or arrays, as the built-in ones do; this one has no "
        "state yet on this rank, or keeps something else."
    )


def pack(metrics: Sequence) -> np.ndarray:
    """Every metric's state, flattened into one float64 vector (sorted names, in order)."""
    parts = [_check(m, name, value).ravel()
             for m in metrics for name, value in zip(state_names(m), _values(m))]
    if not parts:
        return np.zeros(0)
    return np.concatenate(parts).astype(np.float64)


def snapshot(metrics: Sequence) -> list[list]:
    """Copies of the metrics' states, for :func:`restore`."""
    return [[v.copy() if isinstance(v, np.ndarray) else copy.copy(v)
             for v in (getattr(m, name) for name in state_names(m))] for m in metrics]


def restore(metrics: Sequence, saved: list[list]) -> None:
    """Put back the states :func:`snapshot` copied (arrays in place where they can be).

    A state created lazily by the update (None before it, as ``AUC`` keeps until its
    first batch) becomes zeros of its new shape rather than None: nothing seen, and
    summable with the other ranks' arrays.
    """
    for metric, values in zip(metrics, saved):
        for name, value in zip(state_names(metric), values):
            current = getattr(metric, name)
            if value is None and isinstance(current, np.ndarray):
                setattr(metric, name, np.zeros_like(current))
            elif (isinstance(current, np.ndarray) and isinstance(value, np.ndarray)
                    and current.shape == value.shape):
                current[...] = value
            else:
                setattr(metric, name, value)


@contextlib.contextmanager
def summed_into(metrics: Sequence, summed: np.ndarray) -> Iterator[None]:
    """Give the metrics the summed state (laid out as :func:`pack`) for the block's
    duration, then their own back."""
    own = [[getattr(m, name) for name in state_names(m)] for m in metrics]
    at = 0
    for metric in metrics:
        values = []
        for value in _values(metric):
            size = np.size(value)
            part = summed[at : at + size]
            at += size
            if isinstance(value, np.ndarray):
                values.append(part.reshape(value.shape).astype(value.dtype))
            else:
                values.append(type(value)(part[0]))
        _set_values(metric, values)
    try:
        yield
    finally:
        for metric, values in zip(metrics, own):
            for name, value in zip(state_names(metric), values):
                setattr(metric, name, value)
