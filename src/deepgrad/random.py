"""One global source of randomness for every initializer, dropout mask, shuffle and augmentation.

Everything random in deepgrad draws from :func:`generator`, a NumPy ``Generator``.
:func:`set_random_seed` replaces it, so one seed makes a whole run bit-identical
(same data, same machine). Code that takes an explicit ``seed`` argument builds its
own generator with :func:`make_generator` instead.

Inside a :class:`stream` block, :func:`generator` is instead a generator of its own,
seeded from the block's key and made on first use. ``Dataset.map`` runs each element's
function in such a block keyed by (the map's seed, the epoch, the pass, the element's
index), so what the function draws does not depend on which thread ran it or when
(tf.data's stateless-random approach): parallel and sequential maps give the same
numbers.

>>> import deepgrad as dg
>>> dg.utils.set_random_seed(0)
>>> a = dg.random.generator().random()
>>> dg.utils.set_random_seed(0)
>>> a == dg.random.generator().random()
True
"""

from __future__ import annotations

import random as _py_random
from collections.abc import Sequence
from contextvars import ContextVar

import numpy as np

from deepgrad import config

__all__ = [
    "generator", "set_random_seed", "make_generator", "get_state", "set_state", "normal",
    "uniform", "truncated_normal", "randint", "shuffle", "stream", "generator_of",
]

_generator: np.random.Generator = np.random.default_rng()


class stream:  # noqa: N801  (used like a function: ``with stream(key):``)
    """Within the block, in this thread, :func:`generator` is one seeded by ``key``.

    The generator is made on first use (``np.random.default_rng(key)``), so a block whose
    code draws nothing costs a context-variable set and reset.

    >>> with stream((7, 0, 0, 3)):
    ...     a = generator().random()
    >>> with stream((7, 0, 0, 3)):
    ...     b = generator().random()
    >>> bool(a == b)
    True
    """

    __slots__ = ("key", "rng", "seeded", "token")

    def __init__(self, key: Sequence[int]) -> None:
        self.key = key
        self.rng: np.random.Generator | None = None
        self.seeded: dict[int, np.random.Generator] | None = None

    def get(self) -> np.random.Generator:
        if self.rng is None:
            self.rng = np.random.default_rng(list(self.key))
        return self.rng

    def get_seeded(self, seed: int) -> np.random.Generator:
        """The block's generator for code with its own ``seed`` (see :func:`generator_of`)."""
        if self.seeded is None:
            self.seeded = {}
        if seed not in self.seeded:
            self.seeded[seed] = np.random.default_rng([*self.key, 1, int(seed)])
        return self.seeded[seed]

    def __enter__(self) -> stream:
        self.token = _STREAM.set(self)
        return self

    def __exit__(self, *exc) -> None:
        _STREAM.reset(self.token)


_STREAM: ContextVar[stream | None] = ContextVar("deepgrad_random_stream", default=None)


def generator() -> np.random.Generator:
    """Return the generator deepgrad's random operations draw from: the global one, or
    the current :class:`stream`'s.

    >>> import deepgrad as dg
    >>> isinstance(dg.random.generator(), np.random.Generator)
    True
    """
    current = _STREAM.get()
    return _generator if current is None else current.get()


def generator_of(own: np.random.Generator | None, seed: int | None) -> np.random.Generator:
    """The generator of a layer that may have its own ``seed`` (``own`` is the generator
    made from it, or None): ``own``, or :func:`generator` without a seed; inside a
    :class:`stream` (a ``Dataset.map`` call), one made from the stream's key and ``seed``,
    so that a seeded layer in a parallel map draws per element, whatever the threads do.

    >>> own = make_generator(5)
    >>> generator_of(own, 5) is own
    True
    >>> with stream((1, 2)):
    ...     a = generator_of(own, 5).random()
    >>> with stream((1, 2)):
    ...     b = generator_of(make_generator(5), 5).random()
    >>> bool(a == b)
    True
    """
    if own is None:
        return generator()
    current = _STREAM.get()
    return own if current is None or seed is None else current.get_seeded(seed)


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
        return generator()
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


# -- draws with keras.random's (and tf.random's) names and arguments ---------------------
# They return NumPy arrays: this module sits below Tensor in the stack. deepgrad's ops,
# layers and ``dg.Variable`` take arrays wherever Keras's take tensors.


def _draw_setup(shape, dtype, seed, name: str) -> tuple[tuple[int, ...], np.dtype,
                                                         np.random.Generator]:
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(
        int(s) for s in np.asarray(shape).reshape(-1))
    if any(s < 0 for s in shape):
        raise ValueError(f"random.{name}: `shape` must hold sizes >= 0. Received: "
                         f"shape={shape}")
    return shape, np.dtype(dtype or config.floatx()), make_generator(seed)


def normal(shape, mean: float = 0.0, stddev: float = 1.0, dtype=None,
           seed: int | None = None) -> np.ndarray:
    """Draws from ``N(mean, stddev**2)``, as ``keras.random.normal``/``tf.random.normal``.

    ``seed`` None draws from the global generator (:func:`set_random_seed`); an int gives
    the same values each call.

    >>> normal((2, 3), seed=1).shape, normal((2, 3), seed=1).dtype
    ((2, 3), dtype('float32'))
    """
    shape, dtype, rng = _draw_setup(shape, dtype, seed, "normal")
    return (rng.standard_normal(shape) * stddev + mean).astype(dtype)


def uniform(shape, minval: float = 0.0, maxval: float = 1.0, dtype=None,
            seed: int | None = None) -> np.ndarray:
    """Draws uniformly from ``[minval, maxval)``, as ``keras.random.uniform``; an integer
    ``dtype`` draws integers, as ``tf.random.uniform``.

    >>> x = uniform((1000,), -1.0, 1.0, seed=0)
    >>> bool(x.min() >= -1.0 and x.max() < 1.0)
    True
    """
    shape, dtype, rng = _draw_setup(shape, dtype, seed, "uniform")
    if dtype.kind in "iu":
        return rng.integers(minval, maxval, shape).astype(dtype)
    return rng.uniform(minval, maxval, shape).astype(dtype)


def truncated_normal(shape, mean: float = 0.0, stddev: float = 1.0, dtype=None,
                     seed: int | None = None) -> np.ndarray:
    """Normal draws, those more than 2 standard deviations from the mean drawn again (as
    ``keras.random.truncated_normal`` and ``tf.random.truncated_normal``).

    >>> x = truncated_normal((5, 5, 1, 32), stddev=0.1, seed=0)
    >>> x.shape, bool(np.abs(x).max() <= 0.2)
    ((5, 5, 1, 32), True)
    """
    shape, dtype, rng = _draw_setup(shape, dtype, seed, "truncated_normal")
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2.0
    return (values * stddev + mean).astype(dtype)


def randint(shape, minval: int, maxval: int, dtype="int32",
            seed: int | None = None) -> np.ndarray:
    """Integers drawn uniformly from ``[minval, maxval)``, as ``keras.random.randint``.

    >>> randint((4,), 0, 3, seed=0).dtype
    dtype('int32')
    """
    shape, dtype, rng = _draw_setup(shape, dtype, seed, "randint")
    return rng.integers(minval, maxval, shape).astype(dtype)


def shuffle(x, axis: int = 0, seed: int | None = None) -> np.ndarray:
    """A copy of ``x`` shuffled along ``axis``, as ``keras.random.shuffle``.

    >>> sorted(shuffle(np.arange(5), seed=0).tolist())
    [0, 1, 2, 3, 4]
    """
    array = np.asarray(x)
    order = make_generator(seed).permutation(array.shape[axis])
    return np.take(array, order, axis=axis)
