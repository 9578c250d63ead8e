"""Small Keras helpers about symbolic tensors and dtypes: ``is_keras_tensor``,
``get_source_inputs``, ``standardize_dtype``.

>>> import deepgrad as dg
>>> x = dg.Input((3,))
>>> y = dg.layers.Dense(2)(x)
>>> is_keras_tensor(y), get_source_inputs(y) == [x], standardize_dtype(float)
(True, True, 'float32')
"""

from __future__ import annotations

import numpy as np

from deepgrad import config
from deepgrad.layers.keras_tensor import KerasTensor

__all__ = ["is_keras_tensor", "get_source_inputs", "standardize_dtype"]

ALLOWED_DTYPES = (
    "float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
    "int32", "int64", "bfloat16", "bool", "string", "complex64", "complex128",
)
# Python types and "int" as Keras maps them on its NumPy-like backends.
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string", "int": "int32",
                  complex: "complex64"}


def is_keras_tensor(x) -> bool:
    """Whether ``x`` is a symbolic tensor (``dg.Input(...)`` or a layer's output on one).

    >>> is_keras_tensor(np.zeros(2))
    False
    """
    return isinstance(x, KerasTensor)


def get_source_inputs(tensor) -> list:
    """The input tensors (``dg.Input``) that ``tensor`` is computed from, each once.

    Args:
        tensor: a KerasTensor; anything else is returned as it is (Keras's rule).

    Returns:
        A list of KerasTensors, in the order they are first reached.

    >>> import deepgrad as dg
    >>> a, b = dg.Input((2,)), dg.Input((2,))
    >>> get_source_inputs(dg.layers.Add()([a, b])) == [a, b]
    True
    """
    if not isinstance(tensor, KerasTensor):
        return tensor
    found: list[KerasTensor] = []
    pending = [tensor]
    while pending:
        current = pending.pop()
        node = current.history[0] if current.history else None
        inputs = node.input_tensors() if node is not None else []
        if not inputs:
            if all(current is not t for t in found):
                found.append(current)
            continue
        pending.extend(reversed(inputs))
    return found


def standardize_dtype(dtype) -> str:
    """A dtype's Keras name: ``None`` is ``floatx()``, Python ``float`` is ``"float32"``.

    Raises:
        ValueError: for a dtype Keras does not allow.

    >>> standardize_dtype(None), standardize_dtype(np.int64), standardize_dtype("int")
    ('float32', 'int64', 'int32')
    """
    if dtype is None:
        return config.floatx()
    try:
        dtype = _PYTHON_DTYPES.get(dtype, dtype)
    except TypeError:  # an unhashable dtype-like
        pass
    if dtype != "string":
        try:
            dtype = np.dtype(dtype).name
        except TypeError:
            dtype = getattr(dtype, "name", None) or str(dtype).split(".")[-1]
    if dtype not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype
