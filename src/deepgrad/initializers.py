"""Weight initializers with Keras 3 names, defaults and fan rules.

An initializer is called with a shape (and optionally a dtype) and returns a NumPy
array. ``seed=None`` draws from deepgrad's global generator at call time, so
``deepgrad.random.set_random_seed`` (``dg.utils.set_random_seed``) makes every weight
bit-identical from run to run. An int seed makes the initializer deterministic on its
own: as in Keras 3, every call then returns the same values.

Fans follow Keras: a 2-D kernel ``(in, out)`` has ``fan_in = in``; a convolution kernel
``(kh, kw, cin, cout)`` has ``fan_in = kh * kw * cin`` and ``fan_out = kh * kw * cout``.

>>> import deepgrad as dg
>>> init = dg.initializers.get("glorot_uniform")
>>> w = init((4, 10))
>>> w.shape, w.dtype, bool(abs(w).max() <= (6 / 14) ** 0.5)
((4, 10), dtype('float32'), True)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from deepgrad import config as _config
from deepgrad import random as _random
from deepgrad import registry

__all__ = [
    "Initializer", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal",
    "HeUniform", "LecunNormal", "LecunUniform", "TruncatedNormal", "RandomNormal",
    "RandomUniform", "Zeros", "Ones", "Constant", "Orthogonal", "Identity", "compute_fans",
    "get", "serialize", "deserialize", "constant", "glorot_normal", "glorot_uniform",
    "he_normal", "he_uniform", "identity", "lecun_normal", "lecun_uniform", "ones",
    "orthogonal", "random_normal", "random_uniform", "truncated_normal", "variance_scaling",
    "zeros", "STFT", "STFTInitializer", "stft", "IdentityInitializer", "OrthogonalInitializer",
]

# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it gives the
# truncated draw the intended variance.
_TRUNCATED_STDDEV = 0.87962566103423978


def _standardize_shape(shape: int | Sequence[int], owner: str) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        dims = None
    if dims is None or not all(
        isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in dims
    ):
        raise ValueError(
            f"{owner}: `shape` must be a tuple of non-negative ints. Received: shape={shape!r}"
        )
    return tuple(int(d) for d in dims)


def _standardize_dtype(dtype: DTypeLike, owner: str, floating: bool) -> np.dtype:
    dtype = np.dtype(_config.floatx() if dtype is None else dtype)
    if floating and dtype.kind != "f":
        raise ValueError(
            f"{owner}: random initializers need a floating dtype. Received: dtype={dtype}"
        )
    return dtype


def compute_fans(shape: Sequence[int]) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` for a weight shape, by Keras's rules.

    The receptive field of a convolution kernel is the product of all but its last two
    dimensions.

    >>> compute_fans((4, 10)), compute_fans((3, 3, 8, 16)), compute_fans((5,))
    ((4, 10), (72, 144), (5, 5))
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: ``initializer(shape, dtype=None)`` returns a NumPy array.

    Subclasses implement ``__call__`` and ``get_config``; ``from_config(get_config())``
    rebuilds an equal initializer.

    >>> class Twos(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return np.full(shape, 2, dtype=dtype or "float32")
    >>> Twos()((2,))
    array([2., 2.], dtype=float32)
    """

    def __call__(self, shape: int | Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__")

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Build an initializer from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _RandomInitializer(Initializer):
    """Holds the seed; draws from the global generator when it is None."""

    def __init__(self, seed: int | None = None):
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
        ):
            raise ValueError(
                f"{type(self).__name__}: `seed` must be None or a non-negative int. "
                f"Received: seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)

    def _generator(self) -> np.random.Generator:
        return _random.make_generator(self.seed)

    def _normal(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        draw_dtype = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)
        return self._generator().standard_normal(shape, dtype=draw_dtype)

    def _truncated_normal(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """Unit normal draws redrawn until all lie in [-2, 2]."""
        rng = self._generator()
        draw_dtype = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)
        z = rng.standard_normal(shape, dtype=draw_dtype)
        outside = np.abs(z) > 2
        while outside.any():
            z[outside] = rng.standard_normal(int(outside.sum()), dtype=draw_dtype)
            outside = np.abs(z) > 2
        return z

    def _uniform(self, shape: tuple[int, ...], dtype: np.dtype, low: float, high: float):
        draw_dtype = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)
        u = self._generator().random(shape, dtype=draw_dtype)
        return u * draw_dtype.type(high - low) + draw_dtype.type(low)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class RandomNormal(_RandomInitializer):
    """Draws from a normal distribution ``N(mean, stddev**2)``.

    Args:
        mean: the mean.
        stddev: the standard deviation.
        seed: None (global generator) or an int (same values on every call).

    >>> RandomNormal(stddev=1.0, seed=0)((1000,)).std().round(1)
    np.float32(1.0)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape: int | Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        shape = _standardize_shape(shape, type(self).__name__)
        dtype = _standardize_dtype(dtype, type(self).__name__, floating=True)
        z = self._normal(shape, dtype)
        return (z * z.dtype.type(self.stddev) + z.dtype.type(self.mean)).astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal draws redrawn until they lie within 2 standard deviations of the mean.

    >>> w = TruncatedNormal(stddev=1.0, seed=0)((1000,))
    >>> bool(abs(w).max() <= 2.0)
    True
    """

    def __call__(self, shape: int | Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        shape = _standardize_shape(shape, type(self).__name__)
        dtype = _standardize_dtype(dtype, type(self).__name__, floating=True)
        z = self._truncated_normal(shape, dtype)
        return (z * z.dtype.type(self.stddev) + z.dtype.type(self.mean)).astype(dtype, copy=False)


class RandomUniform(_RandomInitializer):
    """Draws uniformly from ``[minval, maxval)``.

    >>> w = RandomUniform(-1.0, 1.0, seed=0)((1000,))
    >>> bool(w.min() >= -1 and w.max() < 1)
    True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape: int | Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        shape = _standardize_shape(shape, type(self).__name__)
        dtype = _standardize_dtype(dtype, type(self).__name__, floating=True)
        return self._uniform(shape, dtype, self.minval, self.maxval).astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class VarianceScaling(_RandomInitializer):
    """Draws with a variance of ``scale / n``, ``n`` being fan_in, fan_out or their mean.

    ``"truncated_normal"`` draws within 2 standard deviations, rescaled so the variance
    is still ``scale / n``; ``"untruncated_normal"`` draws a plain normal;
    ``"uniform"`` draws from ``[-limit, limit]`` with ``limit = sqrt(3 * scale / n)``.

    Args:
        scale: a positive scaling factor.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"`` (``"normal"`` is an alias),
            ``"untruncated_normal"`` or ``"uniform"``.
        seed: None (global generator) or an int (same values on every call).

    Raises:
        ValueError: for a non-positive scale or an unknown mode or distribution.

    >>> w = VarianceScaling(2.0, "fan_in", "uniform", seed=0)((50, 10))
    >>> bool(abs(w).max() <= (3 * 2.0 / 50) ** 0.5)
    True
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
    ):
        super().__init__(seed)
        name = type(self).__name__
        if not isinstance(scale, (int, float)) or isinstance(scale, bool) or scale <= 0:
            raise ValueError(f"{name}: `scale` must be a positive float. Received: scale={scale!r}")
        if mode not in self._MODES:
            raise ValueError(
                f"{name}: `mode` must be one of {', '.join(self._MODES)}. Received: mode={mode!r}"
            )
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(
                f"{name}: `distribution` must be one of {', '.join(self._DISTRIBUTIONS)}. "
                f"Received: distribution={distribution!r}"
            )
        self.scale = float(scale)
        self.mode = mode
        self.distribution = distribution

    def __call__(self, shape: int | Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        shape = _standardize_shape(shape, type(self).__name__)
        dtype = _standardize_dtype(dtype, type(self).__name__, floating=True)
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            out = self._uniform(shape, dtype, -limit, limit)
        elif self.distribution == "truncated_normal":
            z = self._truncated_normal(shape, dtype)
            out = z * z.dtype.type(math.sqrt(variance) / _TRUNCATED_STDDEV)
        else:
            z = self._normal(shape, dtype)
            out = z * z.dtype.type(math.sqrt(variance))
        return out.astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {
            "scale": self.scale, "mode": self.mode, "distribution": self.distribution,
            "seed": self.seed,
        }


class _FixedVarianceScaling(VarianceScaling):
    """A named VarianceScaling preset: only the seed is configurable."""

    _PRESET: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed: int | None = None):
        scale, mode, distribution = self._PRESET
        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: ``U(-limit, limit)``, ``limit = sqrt(6 / (fan_in + fan_out))``.

    Keras's default kernel initializer.

    >>> w = GlorotUniform(seed=0)((4, 10))
    >>> bool(abs(w).max() <= (6 / 14) ** 0.5)
    True
    """

    _PRESET = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))``.

    >>> GlorotNormal(seed=0)((3, 3, 8, 16)).shape
    (3, 3, 8, 16)
    """

    _PRESET = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal with ``stddev = sqrt(2 / fan_in)`` (for relu layers).

    >>> HeNormal(seed=0)((4, 10)).dtype
    dtype('float32')
    """

    _PRESET = (2.0, "fan_in", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """He uniform: ``U(-limit, limit)``, ``limit = sqrt(6 / fan_in)``.

    >>> bool(abs(HeUniform(seed=0)((6, 10))).max() <= 1.0)
    True
    """

    _PRESET = (2.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal with ``stddev = sqrt(1 / fan_in)`` (for selu layers).

    >>> LecunNormal(seed=0)((4, 10)).shape
    (4, 10)
    """

    _PRESET = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: ``U(-limit, limit)``, ``limit = sqrt(3 / fan_in)``.

    >>> bool(abs(LecunUniform(seed=0)((3, 10))).max() <= 1.0)
    True
    """

    _PRESET = (1.0, "fan_in", "uniform")


class Zeros(Initializer):
    """All zeros (any dtype).

    >>> Zeros()((2,))
    array([0., 0.], dtype=float32)
    """

    def __call__(self, shape: int | Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        shape = _standardize_shape(shape, type(self).__name__)
        return np.zeros(shape, dtype=_standardize_dtype(dtype, "Zeros", floating=False))


class Ones(Initializer):
    """All ones (any dtype).

    >>> Ones()((2,), dtype="int32")
    array([1, 1], dtype=int32)
    """

    def __call__(self, shape: int | Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        shape = _standardize_shape(shape, type(self).__name__)
        return np.ones(shape, dtype=_standardize_dtype(dtype, "Ones", floating=False))


class Constant(Initializer):
    """Fills with ``value``: a number, or an array that broadcasts to the shape.

    Raises:
        ValueError: if ``value`` does not broadcast to the requested shape.

    >>> Constant(0.1)((2,))
    array([0.1, 0.1], dtype=float32)
    """

    def __init__(self, value: ArrayLike = 0.0):
        self.value = value

    def __call__(self, shape: int | Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        shape = _standardize_shape(shape, type(self).__name__)
        dtype = _standardize_dtype(dtype, "Constant", floating=False)
        value = np.asarray(self.value, dtype=dtype)
        try:
            return np.array(np.broadcast_to(value, shape))
        except ValueError:
            raise ValueError(
                f"Constant: `value` of shape {value.shape} does not broadcast to the requested "
                f"shape {shape}."
            ) from None

    def get_config(self) -> dict[str, Any]:
        value = self.value
        return {"value": value.tolist() if isinstance(value, np.ndarray) else value}



class Orthogonal(_RandomInitializer):
    """A (semi-)orthogonal matrix from the QR decomposition of a normal draw, times ``gain``.

    A shape with more than two dimensions is treated as ``(prod(shape[:-1]), shape[-1])``.

    Raises:
        ValueError: for a shape of fewer than two dimensions.

    >>> q = Orthogonal(seed=0)((4, 4), dtype="float64")
    >>> bool(np.allclose(q.T @ q, np.eye(4)))
    True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: int | Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        shape = _standardize_shape(shape, type(self).__name__)
        dtype = _standardize_dtype(dtype, type(self).__name__, floating=True)
        if len(shape) < 2:
            raise ValueError(
                "Orthogonal: the shape to initialize must have at least two dimensions. "
                f"Received: shape={shape}"
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        flat = self._generator().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(flat)
        q *= np.where(np.diag(r) < 0, -1.0, 1.0)
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; rectangular allowed).

    Raises:
        ValueError: for a shape that is not 2-D.

    >>> Identity()((2, 3))
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape: int | Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        shape = _standardize_shape(shape, type(self).__name__)
        dtype = _standardize_dtype(dtype, "Identity", floating=False)
        if len(shape) != 2:
            raise ValueError(
                f"Identity: can only initialize 2-D matrices. Received: shape={shape} of rank "
                f"{len(shape)}"
            )
        return (self.gain * np.eye(*shape)).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


class STFT(Initializer):
    """The kernel of a short-time Fourier transform as a convolution (Keras 3's ``STFT``).

    For a shape ``(frame_length, 1, bins)`` it gives ``cos`` (``side='real'``) or ``sin``
    (``'imag'``) of ``-2 pi t f / fft_length`` with ``fft_length = 2 (bins - 1)``, times
    the window (a ``scipy.signal.get_window`` name, an array of ``frame_length``, or None),
    divided by ``sqrt(sum(window^2))`` (``scaling='density'``) or ``sum(window)``
    (``'spectrum'``). ``STFTSpectrogram`` builds its two kernels with it.

    Args:
        side: ``'real'`` or ``'imag'``.
        window: a window name (``'hann'``, ``'hamming'``, ...), an array, or None.
        scaling: ``'density'``, ``'spectrum'`` or None.
        periodic: a periodic (True) or symmetric (False) window, as scipy's ``fftbins``.

    >>> STFT("real", window=None)((4, 1, 3))[:, 0, 1].round(6).tolist()
    [1.0, 0.0, -1.0, -0.0]
    """

    def __init__(self, side: str = "real", window="hann", scaling: str | None = "density",
                 periodic: bool = False):
        if side not in ("real", "imag"):
            raise ValueError(f"STFT: `side` must be 'real' or 'imag'. Received: side={side!r}")
        if scaling not in ("density", "spectrum", None):
            raise ValueError("STFT: `scaling` must be None, 'density' or 'spectrum'. "
                             f"Received: scaling={scaling!r}")
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape: int | Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        shape = _standardize_shape(shape, "STFT")
        dtype = _standardize_dtype(dtype, "STFT", floating=True)
        if len(shape) != 3:
            raise ValueError("STFT: the shape must be (frame_length, 1, bins). "
                             f"Received: shape={shape}")
        frame_length, _, bins = shape
        fft_length = (bins - 1) * 2
        time = np.arange(frame_length, dtype=np.float64)[:, None, None]
        freq = np.arange(bins, dtype=np.float64)[None, None, :] / fft_length
        angle = -2.0 * time * freq * np.pi
        kernel = np.cos(angle) if self.side == "real" else np.sin(angle)
        if self.window is not None:
            window = self.window
            if isinstance(window, str):
                from scipy.signal import get_window  # scipy comes with scikit-learn

                window = get_window(window, frame_length, self.periodic)
            window = np.asarray(window, np.float64)
            if window.shape != (frame_length,):
                raise ValueError(f"STFT: the window must have shape ({frame_length},). "
                                 f"Received: window shape={window.shape}")
            scale = {"density": np.sqrt(np.sum(window ** 2)), "spectrum": np.sum(np.abs(window)),
                     None: 1.0}[self.scaling]
            kernel = kernel * window[:, None, None] / scale
        return kernel.astype(dtype)

    def get_config(self) -> dict[str, Any]:
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}


_CLASSES: tuple[type[Initializer], ...] = (
    VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal,
    LecunUniform, TruncatedNormal, RandomNormal, RandomUniform, Zeros, Ones, Constant,
    Orthogonal, Identity,
)


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# One explicit table: Keras's class names, their snake_case names, and Keras's aliases.
_REGISTRY: dict[str, type[Initializer]] = {cls.__name__: cls for cls in _CLASSES}
_REGISTRY.update({_snake_case(cls.__name__): cls for cls in _CLASSES})
_REGISTRY.update({
    "uniform": RandomUniform, "normal": RandomNormal, "one": Ones, "zero": Zeros,
    "IdentityMatrix": Identity, "identity_matrix": Identity,
    "STFT": STFT, "STFTInitializer": STFT, "IdentityInitializer": Identity,
    "OrthogonalInitializer": Orthogonal, "stft": STFT,
})


_CATALOG = registry.Catalog("initializers", "initializer", Initializer, _REGISTRY)


def get(identifier: str | dict | Initializer | type | Callable | None) -> Callable | None:
    """Resolve an initializer from an object, a class, a Keras name or a config dict.

    Args:
        identifier: an :class:`Initializer` (returned as is), an Initializer class
            (instantiated with defaults), a name such as ``"he_normal"`` or
            ``"GlorotUniform"``, a dict ``{"class_name": ..., "config": {...}}``, a
            plain callable ``fn(shape, dtype)``, an array (Keras: its values directly, as
            a :class:`Constant`; deepgrad's broadcasts where Keras insists on the same
            shape), or None.

    Returns:
        The initializer, or None for None.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
        TypeError: for anything else.

    >>> get("he_normal")
    HeNormal(seed=None)
    >>> get({"class_name": "RandomNormal", "config": {"stddev": 0.1}})
    RandomNormal(mean=0.0, stddev=0.1, seed=None)
    >>> get("glorot_unifrom")
    Traceback (most recent call last):
    ...
    ValueError: Unknown initializer: 'glorot_unifrom'. Valid names: ...
    >>> get(np.ones((2, 2)))((2, 2)).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    if isinstance(identifier, (np.ndarray, np.generic)) or (
            hasattr(identifier, "__array__") and not callable(identifier)):  # a Tensor too
        return Constant(np.asarray(identifier))
    return _CATALOG.get(identifier)


def serialize(initializer: Initializer) -> dict[str, Any]:
    """Return ``{"class_name": ..., "config": ...}`` for an initializer, as Keras stores it.

    >>> serialize(Constant(0.5))
    {'class_name': 'Constant', 'config': {'value': 0.5}}
    """
    return _CATALOG.serialize(initializer)


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None
                ) -> Initializer:
    """Inverse of :func:`serialize`; ``custom_objects`` maps names to your own classes.

    Raises:
        ValueError: for an unknown class name or a malformed dict.

    >>> deserialize(serialize(HeUniform(seed=3)))
    HeUniform(seed=3)
    """
    return _CATALOG.deserialize(config, custom_objects)


# Keras's lowercase names for the classes (keras.initializers.glorot_uniform is GlorotUniform).
constant, zeros, ones, identity, orthogonal = Constant, Zeros, Ones, Identity, Orthogonal
glorot_normal, glorot_uniform, he_normal, he_uniform = GlorotNormal, GlorotUniform, HeNormal, \
    HeUniform
lecun_normal, lecun_uniform, variance_scaling = LecunNormal, LecunUniform, VarianceScaling
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
# Keras's other aliases (keras.initializers.STFTInitializer is STFT, and so on).
stft = STFTInitializer = STFT
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal
