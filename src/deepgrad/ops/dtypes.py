"""Keras 3's dtype rules for ``dg.ops``: names, and the type promotion of mixed inputs.

Keras promotes along a lattice taken from JAX, where Python numbers are *weak*: they take
the other operand's type (``int32 tensor + 0.5`` is float32, not float64 as NumPy would
make it; ``float32 + 2`` stays float32). deepgrad follows the lattice as Keras's
TensorFlow backend does, keeping 64-bit types (the JAX and NumPy backends fold them to 32
bits; deepgrad needs float64 for its gradient checks).

>>> result_type("int32", float), result_type("float32", "float64"), result_type(int)
('float32', 'float64', 'int32')
"""

from __future__ import annotations

import functools

import numpy as np

from deepgrad import config

__all__ = ["standardize_dtype", "result_type", "dtype_of", "float_dtype", "is_float",
           "is_float_dtype", "is_int_dtype"]

ALLOWED_DTYPES = (
    "float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
    "int32", "int64", "bfloat16", "bool", "string", "complex64", "complex128",
)
# Python types and "int" as Keras names them on its NumPy-like backends (NumPy, JAX, torch;
# its TensorFlow backend says int64 and complex128), as ``convert_to_tensor(5)`` is int32.
_PYTHON = {bool: "bool", int: "int32", float: "float32", str: "string", "int": "int32",
           complex: "complex64"}

# Each type and the types immediately above it ("int" and "float" are the weak Python types).
_LATTICE = {
    "bool": ["int"], "uint8": ["int16", "uint16"], "uint16": ["int32", "uint32"],
    "uint32": ["int64", "uint64"], "uint64": ["float"], "int": ["uint8", "int8", "complex64"],
    "int8": ["int16"], "int16": ["int32"], "int32": ["int64"], "int64": ["float"],
    "float": ["bfloat16", "float16"], "bfloat16": ["float32"], "float16": ["float32"],
    "float32": ["float64", "complex64"], "float64": ["complex128"],
    "complex64": ["complex128"], "complex128": [],
}


def _upper_bounds() -> dict[str, frozenset]:
    bounds = {}
    for node in _LATTICE:
        seen, todo = {node}, [node]
        while todo:
            for up in _LATTICE[todo.pop()]:
                if up not in seen:
                    seen.add(up)
                    todo.append(up)
        bounds[node] = frozenset(seen)
    return bounds


_UPPER = _upper_bounds()


def standardize_dtype(dtype) -> str:
    """A dtype's Keras name: ``None`` is ``floatx()``, Python ``float`` is ``'float32'``.

    Raises:
        ValueError: for a dtype Keras does not allow.

    >>> standardize_dtype(None), standardize_dtype(np.int32), standardize_dtype("float64")
    ('float32', 'int32', 'float64')
    """
    if dtype is None:
        return config.floatx()
    try:
        dtype = _PYTHON.get(dtype, dtype)
    except TypeError:  # unhashable dtype-likes
        pass
    if dtype != "string":
        try:
            dtype = np.dtype(dtype).name
        except TypeError:
            dtype = getattr(dtype, "name", None) or str(dtype).split(".")[-1]
    if dtype not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype!r}. Expected one of {ALLOWED_DTYPES}.")
    return dtype


@functools.lru_cache(maxsize=1024)
def _promote(nodes: frozenset) -> str:
    if "string" in nodes:  # text mixes with no number (Keras's lattice has no edge to it)
        raise ValueError(
            f"Input dtypes {tuple(sorted(nodes))} have no implicit promotion path: text and "
            "numbers do not mix. To fix, convert the text to numbers first (e.g. with a "
            "StringLookup or TextVectorization layer)."
        )
    common = frozenset.intersection(*(_UPPER[n] for n in nodes))
    least = (common & nodes) or {c for c in common if common <= _UPPER[c]}
    if len(least) != 1:
        raise ValueError(
            f"Input dtypes {tuple(sorted(nodes))} have no implicit promotion path. "
            "To fix, cast the inputs to one dtype."
        )
    return next(iter(least))


def _weak(dtype: str) -> str:
    kind = "float" if dtype == "bfloat16" else dtype.rstrip("0123456789")
    return {"float": "float", "int": "int", "uint": "int", "bool": "bool"}.get(kind, dtype)


def result_type(*dtypes) -> str:
    """The dtype of an op on inputs of these dtypes, by Keras's promotion lattice.

    Python ``int`` and ``float`` (the types, as in ``result_type(x.dtype, float)``) are
    weak: they give way to any typed operand and resolve to ``int32``/``floatx()`` alone.
    ``None`` stands for ``floatx()``.

    >>> result_type("uint8", "int8"), result_type("bool", int), result_type("int64", "float16")
    ('int16', 'int32', 'float16')
    """
    if not dtypes:
        return config.floatx()
    names, weak = [], []
    for d in dtypes:
        is_weak = d is int or d is float
        names.append("int" if d is int else "float" if d is float else standardize_dtype(d))
        weak.append(is_weak)
    if len(set(names)) == 1 and not all(weak):
        return names[0]
    if all(weak):
        out = _promote(frozenset(names))
        out_weak = True
    else:
        out = _promote(frozenset(names))
        out_weak = out in ("int", "float")
    if out_weak and out != "bool":
        precision = config.floatx()[-2:]
        out = f"int{precision}" if out == "int" else f"float{precision}"
    return out


def dtype_of(value):
    """The dtype a value brings to promotion: its own, or weak ``int``/``float`` for numbers.

    >>> dtype_of(2), dtype_of(2.0), dtype_of(True), dtype_of(np.zeros(1, "int8"))
    (<class 'int'>, <class 'float'>, 'bool', 'int8')
    """
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        if isinstance(dtype, np.dtype):
            return "string" if dtype.kind in "US" else dtype.name
        return standardize_dtype(dtype)
    if isinstance(value, (str, bytes)):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return type(value) if type(value) in (int, float) else (int if isinstance(value, int)
                                                                  else float)
    if isinstance(value, complex):
        return "complex128"
    if isinstance(value, (list, tuple)):
        flat = _flatten(value)
        return result_type(*(dtype_of(v) for v in flat)) if flat else config.floatx()
    array = np.asarray(value)
    return "string" if array.dtype.kind in "US" else array.dtype.name


def _flatten(value) -> list:
    out = []
    for v in value:
        if isinstance(v, (list, tuple)):
            out.extend(_flatten(v))
        else:
            out.append(v)
    return out


def is_float(dtype) -> bool:
    """Whether ``dtype`` is a floating type (float16/32/64, bfloat16).

    >>> is_float("float16"), is_float(np.int32)
    (True, False)
    """
    return np.dtype(dtype).kind == "f" if dtype != "bfloat16" else True


def is_float_dtype(dtype) -> bool:
    """Whether ``dtype``, standardized first, is a float type (Keras's
    ``keras.backend.is_float_dtype``: Python ``float`` and ``None``, floatx, count).

    Raises:
        ValueError: for a dtype Keras does not allow (from :func:`standardize_dtype`).

    >>> is_float_dtype("bfloat16"), is_float_dtype(float), is_float_dtype("complex64")
    (True, True, False)
    """
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype) -> bool:
    """Whether ``dtype``, standardized first, is a signed or unsigned integer type (Keras's
    ``keras.backend.is_int_dtype``; ``bool`` is not).

    >>> is_int_dtype("uint8"), is_int_dtype(int), is_int_dtype("bool")
    (True, True, False)
    """
    return standardize_dtype(dtype).startswith(("int", "uint"))


def float_dtype(dtype) -> str:
    """The float type an op on ``dtype`` computes in: itself if float, else floatx (Keras's
    ``result_type(dtype, float)``: ``sqrt`` of int32 is float32).

    >>> float_dtype("int64"), float_dtype("float64"), float_dtype("bool")
    ('float32', 'float64', 'float32')
    """
    return result_type(dtype, float)
