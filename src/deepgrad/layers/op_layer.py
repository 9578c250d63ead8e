"""Ops on symbolic tensors: a ``dg.ops`` call inside a functional model is one graph node.

In Keras 3 every ``keras.ops`` function called on a KerasTensor becomes a node of the
functional graph (an ``Operation``), and Python's operators on KerasTensors (``x + 1``,
``x[:, 0]``, ``x @ w``) call those ops. deepgrad records such a call as an :class:`OpLayer`:
a weightless layer that holds the op's name and its non-tensor arguments, and whose node
reads the tensors among them. The model runs, trains, saves and loads like any other.

deepgrad differs from Keras in the saved form: Keras writes each op as its own operation
class (``Relu``, ``Sum``...); deepgrad writes one ``OpLayer`` class with the op's public
name and its constant arguments in the config.

>>> import deepgrad as dg
>>> inputs = dg.Input((10,))
>>> outputs = dg.ops.relu(dg.layers.Dense(1)(inputs))
>>> type(outputs.history[0].layer).__name__, outputs.shape
('OpLayer', (None, 1))
>>> dg.Model(inputs, outputs).predict(np.ones((2, 10)), verbose=0).shape
(2, 1)
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from deepgrad import ops, tree
from deepgrad.layers.base import Layer, unique_name
from deepgrad.layers.keras_tensor import KerasTensor, Node
from deepgrad.tensor import Tensor, no_grad

__all__ = ["OpLayer"]

# The sizes an unknown (None) dimension takes in the two shape-inference runs: a
# dimension of the result that differs between them is unknown too.
_PROBE_SIZES = (2, 3)


@functools.cache
def _resolve(op: str):
    """The public op named ``op`` (``'relu'``, ``'image.resize'``)."""
    target = ops
    for part in op.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise ValueError(f"OpLayer: unknown op {op!r}. It must be a public name of dg.ops.")
    if not callable(target):
        raise ValueError(f"OpLayer: {op!r} is not an op of dg.ops.")
    return target


class _Slot:
    """Where the i-th tensor input goes among an op's arguments."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class OpLayer(Layer):
    """One call of a ``dg.ops`` function on symbolic tensors, as a layer of the graph.

    Created by the op itself when one of its arguments is a KerasTensor; you do not make
    it by hand. deepgrad's addition: Keras 3 records its own ``Operation`` objects.

    Args:
        op: the op's public name in ``dg.ops`` (``'image.resize'`` for a sub-namespace).
        arguments: the op's positional arguments, with ``{"__tensor__": i}`` where the
            i-th tensor input goes (the config form; see :meth:`get_config`).
        keyword_arguments: its keyword arguments, in the same form.
        **kwargs: base layer arguments (``name``...).

    >>> import deepgrad as dg
    >>> x = dg.Input((3,))
    >>> y = dg.ops.sum(x, axis=-1)
    >>> y.history[0].layer.get_config()["arguments"]
    [{'__tensor__': 0}, -1]
    """

    def __init__(self, op: str, arguments=(), keyword_arguments=None, **kwargs):
        super().__init__(name=kwargs.pop("name", None) or unique_name(op.split(".")[-1]),
                         **kwargs)
        self.op = op
        self._fn = _resolve(op)
        self._args = _decode(list(arguments))
        self._kwargs = _decode(dict(keyword_arguments or {}))
        self.built = True

    @classmethod
    def record(cls, op: str, fn, args: tuple, kwargs: dict):
        """Record ``fn(*args, **kwargs)`` (some arguments symbolic) as a new OpLayer's node;
        return its symbolic output(s)."""
        try:
            bound = inspect.signature(fn).bind(*args, **kwargs)
            args, kwargs = bound.args, bound.kwargs
        except (TypeError, ValueError):
            pass  # the op itself reports a bad call when it runs on the probes
        tensors: list[KerasTensor] = []

        def slot(leaf):
            if isinstance(leaf, KerasTensor):
                tensors.append(leaf)
                return _Slot(len(tensors) - 1)
            return leaf

        layer = cls(op)
        layer._args = _map(slot, list(args))
        layer._kwargs = _map(slot, dict(kwargs))
        return layer(tensors[0] if len(tensors) == 1 else tensors)

    def __call__(self, inputs, *args, training=None, **kwargs):
        if _symbolic(inputs):
            return self._symbolic_call(inputs)
        tensors = [inputs] if not isinstance(inputs, (list, tuple)) else list(inputs)
        fill = lambda leaf: tensors[leaf.index] if isinstance(leaf, _Slot) else leaf  # noqa: E731
        return self._fn(*_map(fill, self._args), **_map(fill, self._kwargs))

    def _symbolic_call(self, inputs):
        node = Node(self, inputs, (), {})
        flat = tree.flatten(inputs)
        results = [self._probe(flat, size) for size in _PROBE_SIZES]
        made: list[KerasTensor] = []

        def make(first, *others):
            shape = tuple(
                None if any(o.shape[i] != a for o in others) else a
                for i, a in enumerate(first.shape))
            made.append(KerasTensor(shape, first.dtype, history=(node, len(made))))
            return made[-1]

        if results[1] is None:
            results = results[:1]
        elif len(tree.flatten(results[0])) != len(tree.flatten(results[1])):
            raise ValueError(
                f"OpLayer '{self.name}' (dg.ops.{self.op}): the number of outputs depends on "
                "the unknown (None) dimensions of the inputs, "
                f"{[t.shape for t in flat]}. To fix, give those dimensions a size (e.g. "
                "dg.Input(shape, batch_size=...)) or work along another axis."
            )
        node.outputs = tree.map_structure(make, *results)
        return node.outputs

    def _probe(self, flat: list[KerasTensor], size: int):
        """The op on concrete stand-ins of the symbolic inputs, ``None`` dimensions of
        ``size``; None when the op refuses that size (a shape it fixes itself)."""
        arrays = [_stand_in(t, size) for t in flat]
        try:
            with no_grad(), np.errstate(all="ignore"):
                out = self(arrays[0] if len(arrays) == 1 else arrays)
        except Exception:
            if size == _PROBE_SIZES[0]:
                raise
            return None
        return tree.map_structure(_as_tensor, out)

    def get_config(self) -> dict:
        """The op's name and its constant arguments (tensors as ``{"__tensor__": i}``).

        Raises:
            TypeError: for an argument a config cannot hold (a Python function given to
                ``dg.ops.map`` or ``scan``): such a model runs but cannot be saved.
        """
        where = f"OpLayer '{self.name}' (dg.ops.{self.op})"
        return {**super().get_config(), "op": self.op,
                "arguments": _encode(self._args, where),
                "keyword_arguments": _encode(self._kwargs, where)}


def _symbolic(inputs) -> bool:
    return any(isinstance(t, KerasTensor) for t in tree.flatten(inputs))


def _stand_in(tensor: KerasTensor, size: int) -> Tensor:
    """A concrete tensor for shape inference: floats in [0.4, 0.6] that differ (so logs
    are defined and matrices are not singular), plus ``n`` on the diagonal of square
    ``n x n`` matrices (so Cholesky factors exist)."""
    shape = tuple(size if d is None else d for d in tensor.shape)
    if tensor.dtype == "string":
        return Tensor(np.full(shape, "", dtype=object))
    count = np.arange(1, int(np.prod(shape)) + 1).reshape(shape)
    if np.dtype(tensor.dtype).kind in "biu":  # small positive integers, or alternating bools
        value = 1 + count % 3 if np.dtype(tensor.dtype).kind != "b" else count % 2
        return Tensor(np.asarray(value).astype(tensor.dtype))
    value = 0.5 + 0.1 * np.sin(count)
    if len(shape) >= 2 and shape[-1] == shape[-2]:
        value = value + shape[-1] * np.eye(shape[-1])
    return Tensor(value.astype(tensor.dtype))


def _as_tensor(value):
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value))


def _map(fn, structure):
    """``fn`` on every leaf of lists, tuples and dicts (slices and other objects are
    leaves), keeping tuples tuples."""
    if isinstance(structure, list):
        return [_map(fn, v) for v in structure]
    if isinstance(structure, tuple):
        return tuple(_map(fn, v) for v in structure)
    if isinstance(structure, dict):
        return {k: _map(fn, v) for k, v in structure.items()}
    return fn(structure)


def _encode(value, where: str):
    """A constant argument in JSON types, with tags where JSON has no type (Keras's tags
    for slices, Ellipsis and arrays; ``__tuple__`` so that an index stays a tuple)."""
    if isinstance(value, _Slot):
        return {"__tensor__": value.index}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return [_encode(v, where) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, where) for v in value]}
    if isinstance(value, dict):
        return {str(k): _encode(v, where) for k, v in value.items()}
    if isinstance(value, slice):
        return {"__slice__": [_encode(v, where) for v in (value.start, value.stop, value.step)]}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, (np.ndarray, Tensor)):
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        return {"__numpy__": array.tolist(), "dtype": array.dtype.name}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    raise TypeError(
        f"{where}: cannot save the argument {value!r} (type {type(value).__name__}) in the "
        "model's config. The model runs, but to save it, pass only numbers, strings, tuples, "
        "lists, slices and arrays to ops on symbolic tensors (or wrap the computation in a "
        "Layer with get_config())."
    )


def _decode(value):
    """The inverse of :func:`_encode`."""
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tensor__" in value:
        return _Slot(int(value["__tensor__"]))
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    if "__slice__" in value:
        return slice(*[_decode(v) for v in value["__slice__"]])
    if "__ellipsis__" in value:
        return Ellipsis
    if "__numpy__" in value:
        return np.array(value["__numpy__"], dtype=value["dtype"])
    return {k: _decode(v) for k, v in value.items()}
