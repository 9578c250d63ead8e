"""Small Keras helpers about symbolic tensors and dtypes: ``is_keras_tensor``,
``get_source_inputs``, ``standardize_dtype``.

>>> import deepgrad as dg
>>> x = dg.Input((3,))
>>> y = dg.layers.Dense(2)(x)
>>> is_keras_tensor(y), get_source_inputs(y) == [x], standardize_dtype(float)
(True, True, 'float32')
"""

from __future__ import annotations

from deepgrad.layers.keras_tensor import KerasTensor
from deepgrad.ops.dtypes import standardize_dtype

__all__ = ["is_keras_tensor", "get_source_inputs", "standardize_dtype"]


def is_keras_tensor(x) -> bool:
    """Whether ``x`` is a symbolic tensor (``dg.Input(...)`` or a layer's output on one).

    >>> import numpy as np
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


