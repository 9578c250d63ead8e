"""The ONNX graph under construction: nodes, weights, and the layout of every tensor.

A model's tensors are channels-last (``(N, H, W, C)``); ONNX's convolution, pooling and
batch normalisation want channels-first (``(N, C, H, W)``). A :class:`Value` is one model
tensor that may exist in the graph in either layout or both: a rule asks for the layout
it needs with :meth:`GraphBuilder.last` or :meth:`GraphBuilder.first`, and a Transpose is
added only the first time a layout that does not exist yet is asked for. Elementwise rules
keep whatever layout their input has (:meth:`GraphBuilder.native`), so a chain of
Conv, BatchNormalization, ReLU and Conv runs channels-first with no Transpose between,
and the two Transposes a channels-last round trip would need are never made.

>>> import numpy as np
>>> b = GraphBuilder(opset=17)
>>> x = Value({False: "x"}, (None, 8, 8, 3))
>>> b.first(x) == b.first(x), len(b.nodes)   # one Transpose, reused
(True, 1)
>>> b.const(np.zeros(2, np.float32), "w") in b.initializer_names
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["Value", "GraphBuilder", "to_first", "to_last"]


def to_first(rank: int) -> list[int]:
    """The permutation that moves the last axis to axis 1: ``(0, 3, 1, 2)`` for rank 4.

    >>> to_first(3), to_first(4)
    ([0, 2, 1], [0, 3, 1, 2])
    """
    return [0, rank - 1, *range(1, rank - 1)]


def to_last(rank: int) -> list[int]:
    """The inverse of :func:`to_first`: ``(0, 2, 3, 1)`` for rank 4.

    >>> to_last(4)
    [0, 2, 3, 1]
    """
    return [0, *range(2, rank), 1]


class Value:
    """One of the model's tensors in the graph: its ONNX name per layout, and its shape.

    Args:
        names: ``{False: name}`` for the model's (channels-last) layout, ``{True: name}``
            for channels-first (channels at axis 1), or both.
        shape: the model's shape of the tensor (channels last; None for unknown sizes).

    >>> Value({True: "t"}, (None, 4, 4, 2)).rank
    4
    """

    __slots__ = ("names", "shape", "dtype", "mask")

    def __init__(self, names: dict[bool, str], shape=None, dtype: str | None = None) -> None:
        self.names = dict(names)
        self.shape = self.dtype = None
        self.mask = None  # the ONNX name of Keras's mask on this tensor ((batch, steps) bool)
        self.describe(shape, dtype)

    def describe(self, shape, dtype: str | None) -> None:
        """Set the shape and dtype (the walk does, from the model's KerasTensors). A tensor
        of rank 2 or less has one layout, known under both keys."""
        if shape is not None:
            self.shape = tuple(shape)
            if len(self.shape) < 3:
                name = next(iter(self.names.values()))
                self.names = {False: name, True: name}
        if dtype is not None:
            self.dtype = dtype

    @property
    def rank(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"Value({self.names}, shape={self.shape})"


class GraphBuilder:
    """Collects nodes and initializers with unique, deterministic names.

    Args:
        opset: the ONNX opset the graph targets (a few ops changed their inputs over
            versions; :meth:`reduce` hides that).
    """

    def __init__(self, opset: int) -> None:
        self.opset = int(opset)
        self.nodes: list = []
        self.initializers: list = []
        self.initializer_names: set[str] = set()
        self._taken: set[str] = set()
        self.scope = "graph"
        self.dtype = np.dtype("float32")  # the float type of the layer being written

    @staticmethod
    def onnx_type(dtype) -> int:
        """ONNX's element type for a NumPy dtype (``TensorProto.FLOAT`` for float32)."""
        from onnx import helper

        return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))

    # -- names ---------------------------------------------------------------------------
    def unique(self, hint: str) -> str:
        """``hint``, or ``hint_1``, ``hint_2``... if taken: names are never reused."""
        name, count = hint, 0
        while name in self._taken:
            count += 1
            name = f"{hint}_{count}"
        self._taken.add(name)
        return name

    def reserve(self, name: str) -> None:
        """Mark ``name`` taken (the graph's input names)."""
        self._taken.add(name)

    # -- nodes and constants ---------------------------------------------------------------
    def node(self, op_type: str, inputs, outputs: int = 1, **attributes) -> str | list[str]:
        """Add a node in the current scope; return its output name (or names if several)."""
        from onnx import helper

        names = [self.unique(f"{self.scope}/{op_type}") for _ in range(outputs)]
        kept = {k: v for k, v in attributes.items() if v is not None}
        self.nodes.append(helper.make_node(op_type, list(inputs), names,
                                           name=self.unique(f"{self.scope}/{op_type}_node"),
                                           **kept))
        return names[0] if outputs == 1 else names

    def const(self, array, hint: str, dtype=None) -> str:
        """Add ``array`` as an initializer named after the scope and ``hint``."""
        from onnx import numpy_helper

        array = np.asarray(array, dtype=dtype)
        if not array.flags.c_contiguous:  # (np.ascontiguousarray would make a scalar 1-D)
            array = array.copy(order="C")
        name = self.unique(f"{self.scope}/{hint}")
        self.initializers.append(numpy_helper.from_array(array, name))
        self.initializer_names.add(name)
        return name

    def ints(self, values, hint: str = "shape") -> str:
        """An int64 constant (shapes, axes, pads of the ops that take them as inputs)."""
        return self.const(np.asarray(values, dtype=np.int64), hint)

    # -- layouts -------------------------------------------------------------------------
    def last(self, value: Value) -> str:
        """The name of ``value`` in the model's (channels-last) layout."""
        if False not in value.names:
            perm = to_last(value.rank)
            value.names[False] = self.node("Transpose", [value.names[True]], perm=perm)
        return value.names[False]

    def first(self, value: Value) -> str:
        """The name of ``value`` channels-first (channels at axis 1)."""
        if True not in value.names:
            perm = to_first(value.rank)
            value.names[True] = self.node("Transpose", [value.names[False]], perm=perm)
        return value.names[True]

    def native(self, value: Value) -> tuple[str, bool]:
        """A layout ``value`` already has, channels-first when it has both (convolutions
        usually follow), and whether it is channels-first."""
        first = True in value.names
        return value.names[first], first

    def common(self, values: list[Value]) -> tuple[list[str], bool]:
        """The names of ``values`` in one layout: channels-first if all have it (and the
        same rank, at least 3), else the model's."""
        ranks = {v.rank for v in values}
        first = len(ranks) == 1 and ranks.pop() >= 3 and all(True in v.names for v in values)
        return [v.names[True] if first else self.last(v) for v in values], first

    @staticmethod
    def axis(axis: int, rank: int, first: bool) -> int:
        """Where the model's ``axis`` is in a tensor of ``rank`` in the given layout.

        >>> axis = GraphBuilder.axis
        >>> axis(-1, 4, True), axis(1, 4, True), axis(1, 4, False)
        (1, 2, 1)
        """
        axis %= rank
        return to_last(rank)[axis] if first and rank >= 3 else axis

    def broadcast_const(self, array, value_rank: int, first: bool, hint: str, dtype) -> str:
        """A constant that broadcasts against a tensor of ``value_rank`` as ``array`` does
        against the model's layout, rearranged when that tensor is channels-first."""
        array = np.asarray(array, dtype=dtype)
        if first and array.size > 1:
            full = array.reshape((1,) * (value_rank - array.ndim) + array.shape)
            array = full.transpose(to_first(value_rank))
        return self.const(array, hint)

    # -- ops whose form changed between opsets -------------------------------------------
    def reduce(self, op_type: str, name: str, axes, keepdims: bool) -> str:
        """``ReduceMean``/``ReduceMax``/``ReduceSum``... over ``axes``: an attribute up to
        opset 17 (18 for all but ReduceSum, 13), an input after."""
        inputs_take_axes = self.opset >= (13 if op_type == "ReduceSum" else 18)
        if inputs_take_axes:
            return self.node(op_type, [name, self.ints(list(axes), "axes")],
                             keepdims=int(keepdims))
        return self.node(op_type, [name], axes=list(axes), keepdims=int(keepdims))
