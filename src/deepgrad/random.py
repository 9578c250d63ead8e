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
    "SeedGenerator", "seeded_generator", "categorical", "dropout", "gamma", "binomial", "beta",
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
    return shape, np.dtype(dtype or config.floatx()), seeded_generator(seed, name)


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
    order = seeded_generator(seed, "shuffle").permutation(array.shape[axis])
    return np.take(array, order, axis=axis)


# -- keras.random.SeedGenerator and the remaining draws -----------------------------------


class SeedGenerator:
    """A seed that advances at every draw: each call given it draws new values, and the
    sequence repeats from the same ``seed`` (Keras's ``keras.random.SeedGenerator``).

    An int ``seed`` gives the same values at every call; a SeedGenerator gives the next
    values of its own sequence. The state is Keras's ``[seed, counter]``; each draw uses
    a NumPy generator made from the state, then adds 1 to the counter. Without ``seed``,
    the seed is drawn from deepgrad's global generator, so :func:`set_random_seed` makes
    it reproducible (Keras draws it from Python's ``random``, which its
    ``set_random_seed`` seeds too). Unlike Keras's, ``state`` is a NumPy array, not a
    variable: this module sits below Tensor.

    Args:
        seed: an int, or None for one drawn from the global generator.
        name: a name (``seed_generator``, ``seed_generator_1``, ... by default).

    >>> gen = SeedGenerator(42)
    >>> a, b = normal((2,), seed=gen), normal((2,), seed=gen)
    >>> bool((a != b).all()), bool((normal((2,), seed=SeedGenerator(42)) == a).all())
    (True, True)
    """

    _names: dict[str, int] = {}

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs) -> None:
        if kwargs:
            raise ValueError(f"SeedGenerator: unrecognized keyword arguments: {sorted(kwargs)}")
        self._initial_seed = seed
        if seed is None:
            seed = int(generator().integers(1, 10**9))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"SeedGenerator: `seed` must be an int >= 0 or None. Received: "
                             f"seed={seed!r}")
        if name is None:
            count = SeedGenerator._names.get("seed_generator", 0)
            SeedGenerator._names["seed_generator"] = count + 1
            name = "seed_generator" if count == 0 else f"seed_generator_{count}"
        self.name = name
        self.state = np.array([int(seed), 0], dtype=np.int64)

    def next(self, ordered: bool = True) -> np.ndarray:
        """The state now (a copy), then advance it: the counter plus 1, or with
        ``ordered=False`` Keras's scramble ``(state + 1) * 5387 % 933199``.

        >>> gen = SeedGenerator(7)
        >>> gen.next().tolist(), gen.next().tolist()
        ([7, 0], [7, 1])
        """
        current = self.state.copy()
        self.state = self.state + [0, 1] if ordered else (self.state + 1) * 5387 % 933199
        return current

    def generator(self) -> np.random.Generator:
        """A NumPy generator for one draw, made from :meth:`next`'s state."""
        return np.random.default_rng([int(v) for v in self.next()])

    def get_config(self) -> dict:
        """Keras's config: the seed given (None if none was) and the name."""
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> SeedGenerator:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator name={self.name!r} state={self.state.tolist()}>"


def seeded_generator(seed, who: str) -> np.random.Generator:
    """The generator for a draw given Keras's ``seed``: None (the global generator), an
    int (the same values each call), or a :class:`SeedGenerator` (its next values).

    >>> bool(seeded_generator(3, "f").random() == seeded_generator(3, "f").random())
    True
    """
    if isinstance(seed, SeedGenerator):
        return seed.generator()
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValueError(f"random.{who}: `seed` must be None, an int or a "
                         f"dg.random.SeedGenerator. Received: seed={seed!r} "
                         f"({type(seed).__name__})")
    return make_generator(seed)


def _float_dtype(dtype, who: str) -> np.dtype:
    dtype = np.dtype(dtype or config.floatx())
    if dtype.kind != "f":
        raise ValueError(f"random.{who}: `dtype` must be a float type (Keras supports only "
                         f"those). Received: dtype={dtype.name!r}")
    return dtype


def categorical(logits, num_samples: int, dtype="int32", seed=None) -> np.ndarray:
    """``num_samples`` class indices per row of ``logits`` ``(batch, num_classes)``, drawn
    with probabilities ``softmax(row)``: shape ``(batch, num_samples)``
    (``keras.random.categorical``).

    Raises:
        ValueError: for ``logits`` that are not 2-D, or a negative ``num_samples``.

    >>> categorical([[-50.0, 0.0], [0.0, -50.0]], 3, seed=0).tolist()
    [[1, 1, 1], [0, 0, 0]]
    """
    values = np.asarray(getattr(logits, "data", logits), dtype=np.float64)
    if values.ndim != 2:
        raise ValueError("random.categorical: `logits` must be 2-D, (batch_size, "
                         f"num_classes). Received: logits.shape={values.shape}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) \
            or num_samples < 0:
        raise ValueError("random.categorical: `num_samples` must be an int >= 0. Received: "
                         f"num_samples={num_samples!r}")
    rng = seeded_generator(seed, "categorical")
    shifted = np.exp(values - values.max(axis=1, keepdims=True))
    probabilities = shifted / shifted.sum(axis=1, keepdims=True)
    rows = [rng.choice(values.shape[1], size=int(num_samples), p=p) for p in probabilities]
    return np.array(rows, dtype=dtype).reshape(values.shape[0], int(num_samples))


def dropout(inputs, rate: float, noise_shape=None, seed=None):
    """``inputs`` with each element zeroed with probability ``rate`` and the rest scaled
    by ``1 / (1 - rate)`` (``keras.random.dropout``); ``noise_shape`` (None entries take
    the input's size) shares one draw along its size-1 axes.

    A Tensor in gives a Tensor out, differentiable (the mask is a constant factor); an
    array gives an array.

    >>> sorted(set(dropout(np.ones((4, 4), "float32"), 0.5, seed=0).ravel().tolist()))
    [0.0, 2.0]
    """
    if not 0 <= rate <= 1:
        raise ValueError(f"random.dropout: `rate` must be in [0, 1]. Received: rate={rate!r}")
    array = inputs.data if hasattr(inputs, "requires_grad") else np.asarray(inputs)
    dtype = array.dtype if array.dtype.kind == "f" else np.dtype(config.floatx())
    if rate == 0:
        return inputs
    if noise_shape is None:
        shape = array.shape
    else:
        shape = tuple(s if n is None else int(n) for n, s in zip(noise_shape, array.shape))
    keep = seeded_generator(seed, "dropout").random(shape) >= rate
    scale = 0.0 if rate == 1 else 1 / (1 - rate)
    mask = np.broadcast_to(keep.astype(dtype) * dtype.type(scale), array.shape)
    return inputs * mask if hasattr(inputs, "requires_grad") else array * mask


def gamma(shape, alpha: float, dtype=None, seed=None) -> np.ndarray:
    """Draws from the Gamma distribution of shape ``alpha`` and scale 1
    (``keras.random.gamma``); ``dtype`` a float type, ``floatx()`` by default.

    >>> x = gamma((20000,), 3.0, seed=0)
    >>> x.dtype, round(float(x.mean()), 1)
    (dtype('float32'), 3.0)
    """
    shape, _, _ = _draw_setup(shape, None, None, "gamma")
    dtype = _float_dtype(dtype, "gamma")
    return seeded_generator(seed, "gamma").standard_gamma(alpha, shape).astype(dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None) -> np.ndarray:
    """Numbers of successes in ``counts`` trials of probability ``probabilities`` (both
    broadcast to ``shape``), as floats (``keras.random.binomial``).

    >>> binomial((3,), counts=10, probabilities=[0.0, 1.0, 0.5], seed=0)[:2].tolist()
    [0.0, 10.0]
    """
    shape, _, _ = _draw_setup(shape, None, None, "binomial")
    dtype = _float_dtype(dtype, "binomial")
    rng = seeded_generator(seed, "binomial")
    return rng.binomial(np.asarray(counts, dtype=np.int64), probabilities, shape).astype(dtype)


def beta(shape, alpha, beta, dtype=None, seed=None) -> np.ndarray:
    """Draws from the Beta distribution of parameters ``alpha`` and ``beta`` (numbers or
    arrays broadcast to ``shape``), as ``keras.random.beta``.

    >>> x = beta((20000,), 2.0, 6.0, seed=0)
    >>> round(float(x.mean()), 2), bool(x.min() >= 0 and x.max() <= 1)
    (0.25, True)
    """
    shape, _, _ = _draw_setup(shape, None, None, "beta")
    dtype = _float_dtype(dtype, "beta")
    return seeded_generator(seed, "beta").beta(alpha, beta, shape).astype(dtype)
