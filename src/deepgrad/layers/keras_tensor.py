"""KerasTensor: a symbolic placeholder with a shape and dtype, used to wire models.

Calling a layer on a KerasTensor records the call instead of computing anything;
``dg.Model(inputs, outputs)`` later replays the recorded calls on real data.

>>> import deepgrad as dg
>>> x = dg.Input(shape=(4,))
>>> x.shape
(None, 4)
"""

from __future__ import annotations

import numpy as np

__all__ = ["KerasTensor", "Node"]


class KerasTensor:
    """A symbolic tensor: shape (batch axis ``None``), dtype, and the call that made it.

    Args:
        shape: full shape including the batch axis.
        dtype: NumPy dtype name.
        name: optional name.
        history: ``(node, output_index)``: the layer call that produced it, and which of
            that call's outputs it is.

    >>> KerasTensor((None, 3)).ndim
    2
    """

    __slots__ = ("shape", "dtype", "name", "history")

    def __init__(self, shape, dtype="float32", name: str | None = None, history=None):
        self.shape = tuple(None if s is None else int(s) for s in shape)
        self.dtype = np.dtype(dtype).name
        self.name = name
        self.history = history

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class Node:
    """One recorded layer call: the layer, its (symbolic) inputs and extra arguments.

    >>> Node(None, (), (), {}).inputs
    ()
    """

    __slots__ = ("layer", "inputs", "args", "kwargs", "outputs")

    def __init__(self, layer, inputs, args: tuple, kwargs: dict):
        self.layer = layer
        self.inputs = inputs
        self.args = args
        self.kwargs = kwargs
        self.outputs = None

    def input_tensors(self) -> list[KerasTensor]:
        """The KerasTensors this call consumed, flattened."""
        found: list[KerasTensor] = []

        def walk(item):
            if isinstance(item, KerasTensor):
                found.append(item)
            elif isinstance(item, (list, tuple)):
                for i in item:
                    walk(i)
            elif isinstance(item, dict):
                for i in item.values():
                    walk(i)

        walk(self.inputs)
        return found
