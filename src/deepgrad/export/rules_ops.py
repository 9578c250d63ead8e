"""Export rule for OpLayer: ``dg.ops`` calls (and ``x * 2``, ``x + y``) in functional models.

Each supported op has an emitter in one table; an op outside it fails with an
ExportError naming the op. Arguments that are tensors arrive as Values, the others as
constants. Elementwise ops keep their input's layout.

>>> "multiply" in OPS and "softmax" in OPS
True
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from deepgrad import activations
from deepgrad.export.graph_builder import GraphBuilder, Value
from deepgrad.export.registry import ExportError
from deepgrad.export.rules_core import apply_activation
from deepgrad.layers.op_layer import OpLayer

__all__ = ["RULES", "OPS"]


def _binary(op_type: str):
    def emit(b: GraphBuilder, layer, x1, x2) -> Value:
        values = [v for v in (x1, x2) if isinstance(v, Value)]
        if len(values) == 2:
            names, first = b.common(values)
        else:
            constant = np.asarray(x1 if values[0] is x2 else x2)
            constant = constant.astype(b.dtype if constant.dtype.kind in "fiub" else None)
            name, first = b.native(values[0]) if constant.ndim == 0 else (b.last(values[0]),
                                                                            False)
            named = b.const(constant, "constant")
            names = [name, named] if values[0] is x1 else [named, name]
        return Value({first: b.node(op_type, names)})
    return emit


def _unary(op_type: str):
    def emit(b: GraphBuilder, layer, x) -> Value:
        name, first = b.native(x)
        return Value({first: b.node(op_type, [name])})
    return emit


def _activation(fn):
    return lambda b, layer, x, **kw: apply_activation(b, layer, fn, x)


def _square(b: GraphBuilder, layer, x) -> Value:
    name, first = b.native(x)
    return Value({first: b.node("Mul", [name, name])})


def _gelu(b: GraphBuilder, layer, x, approximate: bool = True) -> Value:
    if not approximate:
        return apply_activation(b, layer, activations.gelu, x)
    name, first = b.native(x)  # 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
    scalar = lambda v, hint: b.const(np.asarray(v, b.dtype), hint)  # noqa: E731
    cube = b.node("Mul", [b.node("Mul", [name, name]), name])
    inner = b.node("Add", [name, b.node("Mul", [cube, scalar(0.044715, "c")])])
    t = b.node("Tanh", [b.node("Mul", [inner, scalar(math.sqrt(2 / math.pi), "k")])])
    half = b.node("Mul", [name, scalar(0.5, "half")])
    return Value({first: b.node("Mul", [half, b.node("Add", [t, scalar(1.0, "one")])])})


def _leaky_relu(b: GraphBuilder, layer, x, negative_slope: float = 0.2) -> Value:
    name, first = b.native(x)
    return Value({first: b.node("LeakyRelu", [name], alpha=float(negative_slope))})


def _elu(b: GraphBuilder, layer, x, alpha: float = 1.0) -> Value:
    name, first = b.native(x)
    return Value({first: b.node("Elu", [name], alpha=float(alpha))})


def _softmax(op_type: str):
    def emit(b: GraphBuilder, layer, x, axis: int = -1) -> Value:
        name, first = b.native(x)
        return Value({first: b.node(op_type, [name], axis=b.axis(axis, x.rank, first))})
    return emit


def _reduce(op_type: str):
    def emit(b: GraphBuilder, layer, x, axis=None, keepdims: bool = False,
             initial=None) -> Value:
        if initial is not None:
            raise ExportError(f"export: op layer '{layer.name}': `initial` is not exported.")
        axes = list(range(x.rank)) if axis is None else (
            [axis] if isinstance(axis, int) else list(axis))
        return Value({False: b.reduce(op_type, b.last(x), [a % x.rank for a in axes],
                                      keepdims)})
    return emit


def _clip(b: GraphBuilder, layer, x, x_min, x_max) -> Value:
    name, first = b.native(x)
    low, high = (b.const(np.asarray(v, b.dtype), hint) for v, hint in ((x_min, "min"),
                                                                       (x_max, "max")))
    return Value({first: b.node("Clip", [name, low, high])})


def _matmul(b: GraphBuilder, layer, a, c) -> Value:
    names = [b.last(v) if isinstance(v, Value) else b.const(np.asarray(v, b.dtype), "matrix")
             for v in (a, c)]
    return Value({False: b.node("MatMul", names)})


def _concatenate(b: GraphBuilder, layer, xs, axis: int = 0) -> Value:
    names, first = b.common(list(xs))
    return Value({first: b.node("Concat", names, axis=b.axis(axis, xs[0].rank, first))})


def _transpose(b: GraphBuilder, layer, x, axes=None) -> Value:
    perm = list(reversed(range(x.rank))) if axes is None else [a % x.rank for a in axes]
    return Value({False: b.node("Transpose", [b.last(x)], perm=perm)})


def _reshape(b: GraphBuilder, layer, x, newshape) -> Value:
    shape = [0 if s is None else int(s) for s in newshape]
    return Value({False: b.node("Reshape", [b.last(x), b.ints(shape, "shape")])})


def _expand_dims(b: GraphBuilder, layer, x, axis) -> Value:
    axes = [axis] if isinstance(axis, int) else list(axis)
    return Value({False: b.node("Unsqueeze", [b.last(x), b.ints(axes, "axes")])})


def _squeeze(b: GraphBuilder, layer, x, axis=None) -> Value:
    inputs = [b.last(x)]
    if axis is not None:
        inputs.append(b.ints([axis] if isinstance(axis, int) else list(axis), "axes"))
    return Value({False: b.node("Squeeze", inputs)})


_INT64_MAX, _INT64_MIN = np.iinfo(np.int64).max, np.iinfo(np.int64).min


def _getitem(b: GraphBuilder, layer, x, key) -> Value:
    """Basic indexing (ints, slices, None, Ellipsis) as one Slice, a Squeeze of the int
    axes and an Unsqueeze of the new ones."""
    key = key if isinstance(key, tuple) else (key,)
    if not all(k is None or k is Ellipsis or isinstance(k, (int, slice, np.integer))
               for k in key):
        raise ExportError(f"export: op layer '{layer.name}': only basic indexing (ints, "
                          f"slices, None, ...) is exported. Received: {key!r}")
    real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if Ellipsis in key:
        at = key.index(Ellipsis)
        key = key[:at] + (slice(None),) * (x.rank - real) + key[at + 1:]
    starts, ends, axes, steps, dropped, added = [], [], [], [], [], []
    axis = out = 0
    for k in key:
        if k is None:
            added.append(out)
            out += 1
            continue
        if isinstance(k, slice):
            step = 1 if k.step is None else int(k.step)
            start = k.start if k.start is not None else (0 if step > 0 else -1)
            stop = k.stop if k.stop is not None else (_INT64_MAX if step > 0 else _INT64_MIN)
            if (k.start, k.stop, step) != (None, None, 1):
                starts.append(int(start)), ends.append(int(stop)), axes.append(axis)
                steps.append(step)
            out += 1
        else:
            index = int(k)
            starts.append(index), ends.append(index + 1 if index != -1 else _INT64_MAX)
            axes.append(axis), steps.append(1)
            dropped.append(axis)
        axis += 1
    name = b.last(x)
    if axes:
        name = b.node("Slice", [name, b.ints(starts, "starts"), b.ints(ends, "ends"),
                                b.ints(axes, "axes"), b.ints(steps, "steps")])
    if dropped:
        name = b.node("Squeeze", [name, b.ints(dropped, "axes")])
    if added:
        name = b.node("Unsqueeze", [name, b.ints(added, "axes")])
    return Value({False: name})


OPS = {
    "getitem": _getitem,
    "add": _binary("Add"), "subtract": _binary("Sub"), "multiply": _binary("Mul"),
    "divide": _binary("Div"), "true_divide": _binary("Div"), "maximum": _binary("Max"),
    "minimum": _binary("Min"), "power": _binary("Pow"),
    "exp": _unary("Exp"), "log": _unary("Log"), "sqrt": _unary("Sqrt"), "abs": _unary("Abs"),
    "negative": _unary("Neg"), "square": _square, "gelu": _gelu, "leaky_relu": _leaky_relu,
    "elu": _elu, "clip": _clip,
    **{name: _activation(getattr(activations, name))
       for name in ("relu", "relu6", "sigmoid", "tanh", "silu", "softplus", "softsign",
                    "hard_sigmoid", "selu")},
    "softmax": _softmax("Softmax"), "log_softmax": _softmax("LogSoftmax"),
    "sum": _reduce("ReduceSum"), "mean": _reduce("ReduceMean"), "max": _reduce("ReduceMax"),
    "min": _reduce("ReduceMin"),
    "matmul": _matmul, "concatenate": _concatenate, "transpose": _transpose,
    "reshape": _reshape, "expand_dims": _expand_dims, "squeeze": _squeeze,
}


def op_layer(b: GraphBuilder, layer: OpLayer, inputs) -> Value:
    emit = OPS.get(layer.op)
    if emit is None:
        raise ExportError(
            f"export: layer '{layer.name}' of class OpLayer (dg.ops.{layer.op}) has no ONNX "
            f"export rule; ops with one: {', '.join(sorted(OPS))}."
        )
    tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    fill = lambda v: tensors[v.index] if type(v).__name__ == "_Slot" else v  # noqa: E731
    args = [[fill(i) for i in a] if isinstance(a, (list, tuple)) and a and
            type(a[0]).__name__ == "_Slot" else fill(a) for a in layer._args]
    kwargs = {k: fill(v) for k, v in layer._kwargs.items()}
    bound = inspect.signature(layer._fn).bind(*args, **kwargs)
    values = list(bound.arguments.values())
    return emit(b, layer, *values)


RULES = {OpLayer: op_layer}
