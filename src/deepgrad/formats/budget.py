"""What building a model from a file may allocate: no more than the file holds.

A model file's ``config.json`` says how big the layers are; an altered one can ask for
``units=50000`` on a 10,000-wide input and make building allocate gigabytes before the
weights are compared. While :func:`building_from_file` is active, ``Layer.add_weight``
asks :func:`claim_weight` first: each weight's size (computed with Python integers) is
taken from a budget of twice the tensor bytes the file declares (plus 1 MiB, so that a
config slightly off still reaches the loader's message naming each weight), a config
asking for more fails at once, and the weight starts as zeros (untouched memory) instead
of drawing random numbers that the file's values then replace. Scratch arrays that layers
build to find their output shapes are held to the file's size (with a floor) by
:func:`check_scratch`.

Outside :func:`building_from_file` both functions do nothing.

>>> with building_from_file(400, "m.deepgrad"):
...     claim_weight((10, 10), np.float32, "Dense 'd'")
True
>>> with building_from_file(400, "m.deepgrad"):
...     claim_weight((1000, 1000), np.float32, "Dense 'd'")
Traceback (most recent call last):
...
deepgrad.formats.errors.FileFormatError: m.deepgrad: config.json: Dense 'd' asks for a ...
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np

from deepgrad.formats.errors import FileFormatError

__all__ = ["building_from_file", "claim_weight", "check_scratch"]

# Shape-finding scratch arrays may use at least this much, however small the model.
SCRATCH_FLOOR_BYTES = 64 * 1024 * 1024


@dataclass
class _Budget:
    where: str
    total: int  # the tensor bytes the file declares
    left: int  # what weights may still take


_BUDGET: ContextVar[_Budget | None] = ContextVar("deepgrad_file_budget", default=None)


@contextmanager
def building_from_file(tensor_bytes: int, where: str) -> Iterator[None]:
    """Build layers within twice the ``tensor_bytes`` of weights file ``where`` declares."""
    token = _BUDGET.set(_Budget(where, int(tensor_bytes), 2 * int(tensor_bytes) + (1 << 20)))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _nbytes(shape: Sequence, dtype, budget: _Budget, who: str) -> int:
    try:
        dims = [int(s) for s in shape]
        itemsize = np.dtype(dtype).itemsize
    except (TypeError, ValueError, OverflowError):
        raise FileFormatError(budget.where, "config.json",
                              f"{who} asks for an array of shape {shape!r:.80}.") from None
    if any(d < 0 for d in dims):
        raise FileFormatError(budget.where, "config.json",
                              f"{who} asks for an array of shape {tuple(dims)}.")
    size = itemsize
    for d in dims:
        size *= d
    return size


def claim_weight(shape: Sequence, dtype, who: str) -> bool:
    """Take a weight's bytes from the active budget; True when one is active.

    Returns:
        True while building from a file (create the weight as zeros then), else False.

    Raises:
        FileFormatError: if the weights so far exceed what the file holds.
    """
    budget = _BUDGET.get()
    if budget is None:
        return False
    size = _nbytes(shape, dtype, budget, who)
    if size > budget.left:
        raise FileFormatError(
            budget.where, "config.json",
            f"{who} asks for a weight of shape {tuple(int(s) for s in shape)} ({size} bytes), "
            f"which takes the model's weights past twice the {budget.total} bytes the file "
            "holds; the config does not match the weights."
        )
    budget.left -= size
    return True


def check_scratch(shape: Sequence, dtype, who: str) -> None:
    """Refuse a scratch array larger than the file's weights (or 64 MiB) while loading.

    Raises:
        FileFormatError: for such an array, while building from a file.
    """
    budget = _BUDGET.get()
    if budget is None:
        return
    size = _nbytes(shape, dtype, budget, who)
    if size > max(budget.total, SCRATCH_FLOOR_BYTES):
        raise FileFormatError(
            budget.where, "config.json",
            f"{who} would need a {size}-byte array of shape {tuple(int(s) for s in shape)} to "
            f"find its output shape, more than the file's {budget.total} bytes of weights."
        )
