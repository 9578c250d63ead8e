"""One global source of randomness for every initializer, dropout mask, shuffle and augmentation.

Everything random in deepgrad draws from :func:`generator`, a NumPy ``Generator``.
:func:`set_random_seed` replaces it, so one seed makes a whole run bit-identical
(same data, same machine). Code that takes an explicit ``seed`` argument builds its
own generator with :func:`make_generator` instead.

>>> import deepgrad as dg
>>> dg.utils.set_random_seed(0)
>>> a = dg.random.generator().random()
>>> dg.utils.set_random_seed(0)
>>> a == dg.random.generator().random()
True
"""

from __future__ import annotations

import random as _py_random

import numpy as np

__all__ = ["generator", "set_random_seed", "make_generator", "get_state", "set_state"]

_generator: np.random.Generator = np.random.default_rng()


def generator() -> np.random.Generator:
    """Return the global generator that deepgrad's random operations draw from.

    >>> import deepgrad as dg
    >>> isinstance(dg.random.generator(), np.random.Generator)
    True
    """
    return _generator


def set_random_seed(seed: int) -> None:
    """Seed deepgrad's global generator, and Python's and NumPy's legacy ones, as Keras does.

    Args:
        seed: a non-negative int.

    Raises:
        TypeError: if ``seed`` is not an int.

    >>> import deepgrad as dg
    >>> dg.utils.set_random_seed(42)
    """
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"set_random_seed: `seed` must be an int. Received: seed={seed!r}")
    if seed < 0:
        raise ValueError(f"set_random_seed: `seed` must be >= 0. Received: seed={seed}")
    _generator = np.random.default_rng(int(seed))
    _py_random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)


def make_generator(seed: int | None = None) -> np.random.Generator:
    """Return a generator: a fresh one from ``seed``, or the global one when ``seed`` is None.

    >>> bool(make_generator(3).integers(10) == make_generator(3).integers(10))
    True
    """
    if seed is None:
        return _generator
    return np.random.default_rng(int(seed))


def get_state() -> dict:
    """Return the global generator's state (a JSON-friendly dict), for checkpoints.

    >>> s = get_state(); x = generator().random(); set_state(s); x == generator().random()
    True
    """
    return _generator.bit_generator.state


def set_state(state: dict) -> None:
    """Restore the global generator's state saved by :func:`get_state`."""
    _generator.bit_generator.state = state
