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

from deepgrad import tree
from deepgrad.ops.symbolic import Symbolic

__all__ = ["KerasTensor", "Node", "first_call_tensors", "dtype_name"]

_STRING_NAMES = ("string", "str", "bytes", "object")


def dtype_name(dtype) -> str:
    """A dtype's name, with Keras's ``'string'`` for every text type (str, bytes, ``'<U5'``).

    >>> dtype_name("float32"), dtype_name("string"), dtype_name(np.dtype("<U5"))
    ('float32', 'string', 'string')
    """
    if isinstance(dtype, str) and dtype in _STRING_NAMES:
        return "string"
    if dtype in (str, bytes):
        return "string"
    resolved = np.dtype(dtype)
    return "string" if resolved.kind in "USO" else resolved.name


class KerasTensor(Symbolic):
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

    __slots__ = ("shape", "dtype", "name", "history", "_keras_mask")

    def __init__(self, shape, dtype="float32", name: str | None = None, history=None):
        self.shape = tuple(None if s is None else int(s) for s in shape)
        self.dtype = dtype_name(dtype)
        self.name = name
        self.history = history
        # Keras's symbolic mask: a boolean KerasTensor where the call that made this tensor
        # gives its outputs a mask (``Embedding(mask_zero=True)``), else None.
        self._keras_mask = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def _op_call(self, fn, name: str, args: tuple, kwargs: dict):
        """A ``dg.ops`` call on symbolic tensors: one node of the graph (an OpLayer)."""
        from deepgrad.layers.op_layer import OpLayer

        return OpLayer.record(name, fn, args, kwargs)

    def __round__(self, ndigits=None):
        from deepgrad import ops

        return ops.round(self, 0 if ndigits is None else ndigits)

    def __iter__(self):
        raise TypeError(
            f"Iterating over a symbolic KerasTensor is not supported ({self!r}). To fix, use "
            "dg.ops.unstack or index it (x[:, 0])."
        )

    def __bool__(self):
        raise TypeError(
            f"A symbolic KerasTensor cannot be used as a boolean ({self!r}): its value is "
            "only known when the model runs. To fix, use dg.ops.cond or dg.ops.where."
        )


def _operator(op_name: str, reflected: bool = False):
    """Python's operator on KerasTensors, as Keras 3: the matching ``dg.ops`` function."""

    def method(self, *other):
        from deepgrad import ops

        fn = getattr(ops, op_name)
        return fn(*other, self) if reflected else fn(self, *other)

    method.__name__ = op_name
    return method


for _name, _op in {
    "add": "add", "sub": "subtract", "mul": "multiply", "matmul": "matmul",
    "truediv": "true_divide", "floordiv": "floor_divide", "mod": "mod", "pow": "power",
    "and": "logical_and", "or": "logical_or", "xor": "logical_xor",
}.items():
    setattr(KerasTensor, f"__{_name}__", _operator(_op))
    setattr(KerasTensor, f"__r{_name}__", _operator(_op, reflected=True))
for _name, _op in {
    "neg": "negative", "abs": "absolute", "invert": "logical_not", "lt": "less",
    "le": "less_equal", "gt": "greater", "ge": "greater_equal", "getitem": "getitem",
}.items():
    setattr(KerasTensor, f"__{_name}__", _operator(_op))
del _name, _op


class Node:
    """One recorded layer call: the layer, its (symbolic) inputs and extra arguments.

    As in Keras, a node adds itself to ``layer._inbound_nodes``, one per symbolic call.

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
        if layer is not None:
            layer.__dict__.setdefault("_inbound_nodes", []).append(self)

    def input_tensors(self) -> list[KerasTensor]:
        """The KerasTensors this call consumed, flattened: its inputs, then any among its
        other arguments (``initial_state=[h, c]``)."""
        return _flat_tensors([self.inputs, self.args, self.kwargs])


def _flat_tensors(structure) -> list[KerasTensor]:
    return [t for t in tree.flatten(structure) if isinstance(t, KerasTensor)]


def first_call_tensors(layer, which: str):
    """``layer.input`` / ``layer.output``: the tensors of the layer's first symbolic call.

    Keras 3's rule: a layer called several times answers for its first call; a single
    tensor comes back bare, several as a flat list.

    Raises:
        AttributeError: if the layer was never called on symbolic inputs.

    >>> import deepgrad as dg
    >>> x = dg.Input(shape=(3,))
    >>> first_call_tensors(dg.layers.Dense(2), "output")
    Traceback (most recent call last):
    ...
    AttributeError: Dense 'dense...': the layer has never been called and thus has no defined \
output. To fix, call it on a KerasTensor first, e.g. layer(dg.Input(shape=...)).
    """
    nodes = layer.__dict__.get("_inbound_nodes")
    if not nodes:
        raise AttributeError(
            f"{type(layer).__name__} '{layer.name}': the layer has never been called and thus "
            f"has no defined {which}. To fix, call it on a KerasTensor first, e.g. "
            "layer(dg.Input(shape=...))."
        )
    node = nodes[0]
    values = _flat_tensors(node.inputs) if which == "input" else _flat_tensors(node.outputs)
    return values[0] if len(values) == 1 else values
