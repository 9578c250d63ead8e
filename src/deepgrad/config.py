"""Global settings (Keras's ``keras.config``): the default float type, the fuzz factor
``epsilon``, the default image layout, Keras's switches, and the number of BLAS threads.

By default deepgrad leaves the BLAS thread count as NumPy's BLAS sets it (one
thread per core, or ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` when set).
:func:`set_num_threads` caps it for the whole process through threadpoolctl.

Unlike Keras, deepgrad reads no ``~/.keras/keras.json`` and no ``KERAS_*`` environment
variable: settings change only through these functions (STYLE: no global switches read
from the environment).

>>> import deepgrad as dg
>>> dg.config.floatx(), dg.config.epsilon(), dg.config.image_data_format()
('float32', 1e-07, 'channels_last')
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format",
    "set_image_data_format", "standardize_data_format", "backend", "set_backend",
    "enable_unsafe_deserialization", "in_safe_mode", "enable_interactive_logging",
    "disable_interactive_logging", "is_interactive_logging_enabled",
    "enable_traceback_filtering", "disable_traceback_filtering",
    "is_traceback_filtering_enabled", "enable_flash_attention", "disable_flash_attention",
    "is_flash_attention_enabled", "is_nnx_enabled", "max_epochs", "set_max_epochs",
    "max_steps_per_epoch", "set_max_steps_per_epoch", "set_num_threads", "get_num_threads",
    "PhysicalDevice", "list_physical_devices",
]

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_DATA_FORMATS = ("channels_last", "channels_first")
# Keras's global switches, by name (``keras.src.backend.common.global_state``'s attributes).
# The first four are Keras's session state: ``clear_session`` resets them.
_SESSION_DEFAULTS = {"safe_mode": True, "interactive_logging": True,
                     "traceback_filtering": True, "flash_attention": None}
_SWITCHES: dict[str, object] = {**_SESSION_DEFAULTS, "max_epochs": None,
                                "max_steps_per_epoch": None}


def reset_session_switches() -> None:
    """Put the switches Keras keeps in its session state back to their defaults (called by
    ``clear_session``).

    >>> disable_traceback_filtering(); reset_session_switches()
    >>> is_traceback_filtering_enabled()
    True
    """
    _SWITCHES.update(_SESSION_DEFAULTS)
_thread_limiter = None
_thread_cap: int | None = None


def floatx() -> str:
    """Return the default float type name, ``'float32'`` unless changed.

    >>> floatx()
    'float32'
    """
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type: ``'float32'`` or ``'float64'``.

    >>> set_floatx('float64'); floatx()
    'float64'
    >>> set_floatx('float32')
    """
    global _FLOATX
    if value not in ("float16", "float32", "float64"):
        raise ValueError(
            "set_floatx: `value` must be one of 'float16', 'float32', 'float64'. "
            f"Received: value={value!r}"
        )
    _FLOATX = value


def default_dtype() -> np.dtype:
    """Return the default float type as a NumPy dtype."""
    return np.dtype(_FLOATX)


def epsilon() -> float:
    """The fuzz factor of numeric expressions, ``1e-7`` unless changed (as Keras).

    Losses clip probabilities to ``[epsilon, 1 - epsilon]`` and metrics, constraints and a
    few layers add it to denominators, reading it when they compute. An ``epsilon=``
    argument of a layer or optimizer (``BatchNormalization``, ``Adam``) is that object's
    own and does not follow this setting, as in Keras.

    >>> epsilon()
    1e-07
    """
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by :func:`epsilon`.

    deepgrad checks the value (Keras stores anything): a real number ``>= 0``.

    >>> set_epsilon(1e-5); epsilon()
    1e-05
    >>> set_epsilon(1e-7)
    """
    global _EPSILON
    number = isinstance(value, (int, float, np.integer, np.floating)) and value is not True \
        and value is not False
    if not number or not 0 <= value < float("inf"):
        raise ValueError(
            f"set_epsilon: `value` must be a finite number >= 0 (Keras's default is 1e-7). "
            f"Received: value={value!r}"
        )
    _EPSILON = float(value)


def image_data_format() -> str:
    """The default image layout, ``'channels_last'`` unless changed (as Keras).

    A layer or op given ``data_format=None`` (the default) takes this value when it is
    made, so set it before building a model.

    >>> image_data_format()
    'channels_last'
    """
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Set the default image layout: ``'channels_last'`` or ``'channels_first'``.

    As in Keras, the value is lower-cased first.

    >>> set_image_data_format("channels_first"); image_data_format()
    'channels_first'
    >>> set_image_data_format("channels_last")
    """
    global _IMAGE_DATA_FORMAT
    _IMAGE_DATA_FORMAT = standardize_data_format(data_format, "set_image_data_format",
                                                 allow_none=False)


def standardize_data_format(data_format, who: str = "data_format",
                            allow_none: bool = True) -> str:
    """``data_format`` checked and lower-cased; None gives :func:`image_data_format`
    (Keras's ``standardize_data_format``, which every layer and op with a ``data_format``
    argument uses).

    Raises:
        ValueError: naming ``who``, for anything but the two layouts.

    >>> standardize_data_format(None), standardize_data_format("Channels_First")
    ('channels_last', 'channels_first')
    """
    if data_format is None and allow_none:
        return _IMAGE_DATA_FORMAT
    value = str(data_format).lower() if isinstance(data_format, str) else data_format
    if value not in _DATA_FORMATS:
        raise ValueError(
            f"{who}: `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return value


def backend() -> str:
    """The name of the backend that computes: ``'numpy'``.

    Keras 3 answers ``'tensorflow'``, ``'jax'``, ``'torch'``, ``'numpy'`` or
    ``'openvino'``. deepgrad computes every op, forward and backward, with NumPy, so it
    answers ``'numpy'``: code that branches on ``backend() == 'tensorflow'`` to reach
    TensorFlow takes the other path, which is right, since there is no TensorFlow here.
    (Keras's own NumPy backend only runs inference; deepgrad's trains.)

    >>> backend()
    'numpy'
    """
    return "numpy"


def set_backend(backend: str) -> None:
    """Keras's ``keras.config.set_backend``: deepgrad has one backend, NumPy.

    ``set_backend('numpy')`` does nothing; any other name raises.

    Raises:
        ValueError: for any backend but ``'numpy'``.

    >>> set_backend("numpy")
    >>> set_backend("jax")
    Traceback (most recent call last):
    ...
    ValueError: set_backend: deepgrad has one backend, 'numpy' (every op is computed with \
NumPy). Received: backend='jax'
    """
    if backend != "numpy":
        raise ValueError(
            "set_backend: deepgrad has one backend, 'numpy' (every op is computed with "
            f"NumPy). Received: backend={backend!r}"
        )


def enable_unsafe_deserialization() -> None:
    """Keras's switch that lets ``load_model`` rebuild anonymous lambdas from their bytecode.

    deepgrad files never hold code: a ``Lambda`` is saved by its function's name and found
    again among registered functions or ``custom_objects``, and an anonymous lambda cannot
    be saved at all. So there is nothing unsafe to allow: after this call
    :func:`in_safe_mode` is False, as in Keras, and loading still never runs code read
    from a file (a Keras file's lambda is refused with a message that says so).

    >>> enable_unsafe_deserialization(); in_safe_mode()
    False
    >>> _SWITCHES["safe_mode"] = True
    """
    _SWITCHES["safe_mode"] = False


def in_safe_mode() -> bool:
    """False after :func:`enable_unsafe_deserialization`, else True (Keras's
    ``serialization_lib.in_safe_mode``).

    >>> in_safe_mode()
    True
    """
    return bool(_SWITCHES["safe_mode"])


def enable_interactive_logging() -> None:
    """Print progress bars and training messages to stdout (the default), as Keras.

    >>> disable_interactive_logging(); enable_interactive_logging()
    >>> is_interactive_logging_enabled()
    True
    """
    _SWITCHES["interactive_logging"] = True


def disable_interactive_logging() -> None:
    """Send progress and training messages to the ``logging`` logger ``"deepgrad"``.

    Live bars are replaced by one line per finished bar, logged at level INFO.

    >>> disable_interactive_logging(); is_interactive_logging_enabled()
    False
    >>> enable_interactive_logging()
    """
    _SWITCHES["interactive_logging"] = False


def is_interactive_logging_enabled() -> bool:
    """Whether progress goes to stdout (True) or to ``logging`` (False).

    >>> is_interactive_logging_enabled()
    True
    """
    return bool(_SWITCHES["interactive_logging"])


def enable_traceback_filtering() -> None:
    """Keras's switch for hiding its own frames in tracebacks; in deepgrad it changes nothing.

    Keras cuts its internal frames from the tracebacks of errors raised in its calls.
    deepgrad filters no traceback: its errors are raised where the mistake is found and
    say which layer, what was expected and what was given, and the whole traceback is
    shown. The switch is kept and read back (on by default, as in Keras) so that code
    calling it runs.

    >>> enable_traceback_filtering(); is_traceback_filtering_enabled()
    True
    """
    _SWITCHES["traceback_filtering"] = True


def disable_traceback_filtering() -> None:
    """Turn Keras's traceback-filtering switch off (see :func:`enable_traceback_filtering`:
    deepgrad shows whole tracebacks either way).

    >>> disable_traceback_filtering(); is_traceback_filtering_enabled()
    False
    >>> enable_traceback_filtering()
    """
    _SWITCHES["traceback_filtering"] = False


def is_traceback_filtering_enabled() -> bool:
    """The traceback-filtering switch (True by default, as Keras); see
    :func:`enable_traceback_filtering`.

    >>> is_traceback_filtering_enabled()
    True
    """
    return bool(_SWITCHES["traceback_filtering"])


def enable_flash_attention() -> None:
    """Keras's flash-attention switch; deepgrad has one attention computation.

    Keras's attention layers try a fused flash-attention kernel (float16 on a GPU) when
    this is on. deepgrad's ``dot_product_attention`` computes softmax of the scaled
    scores with NumPy whatever the switch says. As in Keras, enabling sets the switch to
    None ("use it where possible") and disabling to False.

    >>> enable_flash_attention(); is_flash_attention_enabled() is None
    True
    """
    _SWITCHES["flash_attention"] = None


def disable_flash_attention() -> None:
    """Set Keras's flash-attention switch to False (see :func:`enable_flash_attention`).

    >>> disable_flash_attention(); is_flash_attention_enabled()
    False
    >>> enable_flash_attention()
    """
    _SWITCHES["flash_attention"] = False


def is_flash_attention_enabled() -> bool | None:
    """The flash-attention switch: None by default (Keras's "enabled"), False once disabled.

    >>> is_flash_attention_enabled() is None
    True
    """
    return _SWITCHES["flash_attention"]


def is_nnx_enabled() -> bool:
    """Whether Flax NNX features of Keras's JAX backend are on: never in deepgrad.

    >>> is_nnx_enabled()
    False
    """
    return False


def _cap(value, who: str, name: str):
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                              or value < 1):
        raise ValueError(f"{who}: `{name}` must be a positive int or None (no limit). "
                         f"Received: {name}={value!r}")
    return None if value is None else int(value)


def set_max_epochs(max_epochs: int | None) -> None:
    """Cap the epochs of every ``fit`` call, for quick debugging runs (None: no cap).

    As in Keras, ``fit(epochs=n)`` runs ``min(n, max_epochs)`` epochs and warns
    ``Limiting epochs to ...`` when it cuts.

    >>> set_max_epochs(2); max_epochs()
    2
    >>> set_max_epochs(None)
    """
    _SWITCHES["max_epochs"] = _cap(max_epochs, "set_max_epochs", "max_epochs")


def max_epochs() -> int | None:
    """The cap set by :func:`set_max_epochs` (None: no cap).

    >>> max_epochs() is None
    True
    """
    return _SWITCHES["max_epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Cap the batches of each epoch of ``fit`` and of ``evaluate`` and ``predict``, for
    quick debugging runs (None: no cap).

    As in Keras, a call runs at most this many steps and warns
    ``Limiting steps_per_epoch to ...`` when it cuts; ``predict`` then returns the rows of
    those steps only.

    >>> set_max_steps_per_epoch(5); max_steps_per_epoch()
    5
    >>> set_max_steps_per_epoch(None)
    """
    _SWITCHES["max_steps_per_epoch"] = _cap(max_steps_per_epoch, "set_max_steps_per_epoch",
                                            "max_steps_per_epoch")


def max_steps_per_epoch() -> int | None:
    """The cap set by :func:`set_max_steps_per_epoch` (None: no cap).

    >>> max_steps_per_epoch() is None
    True
    """
    return _SWITCHES["max_steps_per_epoch"]


def set_num_threads(n: int | None) -> None:
    """Cap the threads NumPy's BLAS uses for the whole process; ``None`` lifts the cap.

    Args:
        n: a positive number of threads, or None for the BLAS default.

    >>> set_num_threads(1); get_num_threads()
    1
    >>> set_num_threads(None)
    """
    global _thread_limiter
    from threadpoolctl import threadpool_limits

    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"set_num_threads: `n` must be a positive int or None. Received: n={n!r}")
    if _thread_limiter is not None:
        _thread_limiter.restore_original_limits()
        _thread_limiter = None
    if n is not None:
        _thread_limiter = threadpool_limits(limits=n, user_api="blas")
    global _thread_cap
    _thread_cap = n


def thread_cap() -> int | None:
    """The cap set by :func:`set_num_threads` (None when there is none); deepgrad's own
    worker threads (pooling) follow it as BLAS does.

    >>> set_num_threads(1); thread_cap()
    1
    >>> set_num_threads(None); thread_cap() is None
    True
    """
    return _thread_cap


def get_num_threads() -> int:
    """Return the number of threads NumPy's BLAS uses now.

    >>> get_num_threads() >= 1
    True
    """
    from threadpoolctl import threadpool_info

    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts) if counts else 1


class PhysicalDevice(NamedTuple):
    """A device the process can compute on, as ``tf.config.PhysicalDevice``."""

    name: str
    device_type: str


def list_physical_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    """The devices deepgrad computes on, as ``tf.config.list_physical_devices``: the CPU.

    deepgrad runs on NumPy, so a ``"GPU"`` (or ``"TPU"``) query gives an empty list on
    every machine, which is the answer course code checks for ("do we have a GPU?").

    >>> list_physical_devices()
    [PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]
    >>> list_physical_devices("GPU")
    []
    """
    if device_type is not None and not isinstance(device_type, str):
        raise TypeError("list_physical_devices: `device_type` must be a string such as "
                        f"'CPU' or 'GPU'. Received: {device_type!r}")
    devices = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    if device_type is None:
        return devices
    return [d for d in devices if d.device_type == device_type.upper()]
