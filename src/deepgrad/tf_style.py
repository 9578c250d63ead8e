"""TensorFlow-style names at the top level (``dg.reshape``, ``dg.reduce_mean``, ``dg.float32``).

Course code written for TensorFlow 2 calls ``tf.reshape``, ``tf.matmul``,
``tf.reduce_mean(tf.cast(tf.equal(tf.argmax(y, 1), labels), tf.float32))`` and builds
weights from ``tf.random.truncated_normal`` and ``tf.constant``. With
``import deepgrad as dg`` those lines run as ``dg.reshape``, ``dg.matmul``... These are
aliases of :mod:`deepgrad.ops` where an op has the same meaning, and small functions
here where TensorFlow's differs from Keras's (``argmax``'s default axis is 0) or
:mod:`deepgrad.ops` has none. Comparisons and ``argmax`` give Tensors that carry no
gradient, as in TensorFlow.

>>> import numpy as np
>>> import deepgrad as dg
>>> y = dg.constant([[0.1, 0.9], [0.8, 0.2]])
>>> labels = np.array([1, 1])
>>> float(dg.reduce_mean(dg.cast(dg.equal(dg.argmax(y, 1), labels), dg.float32)))
0.5
"""

from __future__ import annotations

import numpy as np

from deepgrad import _TF_STYLE_NAMES, config, ops
from deepgrad.tensor import Tensor

__all__ = list(_TF_STYLE_NAMES)  # the names deepgrad/__init__.py makes top-level

# dtypes under TensorFlow's names: NumPy's types (``x.dtype == dg.float32`` holds) and,
# for text, Keras's dtype name "string" (what Input, TensorSpec and the text layers take).
float16, float32, float64 = np.float16, np.float32, np.float64
int8, int16, int32, int64, uint8 = np.int8, np.int16, np.int32, np.int64, np.uint8
bool = np.bool_  # noqa: A001 (tf.bool)
string = "string"

# Same meaning in TensorFlow and deepgrad.ops: aliases.
reshape = ops.reshape
matmul = ops.matmul
transpose = ops.transpose
expand_dims = ops.expand_dims
squeeze = ops.squeeze
stack = ops.stack
cast = ops.cast
reduce_mean = ops.mean
reduce_sum = ops.sum
reduce_max = ops.max
reduce_min = ops.min
square, sqrt, exp, log, abs = ops.square, ops.sqrt, ops.exp, ops.log, ops.abs  # noqa: A001
maximum, minimum = ops.maximum, ops.minimum
add, subtract, multiply, divide = ops.add, ops.subtract, ops.multiply, ops.divide
clip_by_value = ops.clip
where = ops.where
# dg.ops already follows TensorFlow's dtype rules here (Python floats float32, Python ints
# int32, float32 zeros by default) and its comparisons carry no gradient.
equal, not_equal = ops.equal, ops.not_equal
convert_to_tensor = ops.convert_to_tensor
zeros, ones, zeros_like, ones_like = ops.zeros, ops.ones, ops.zeros_like, ops.ones_like


def _array(x) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def concat(values, axis: int) -> Tensor:
    """``tf.concat``: join tensors along an existing ``axis`` (which TensorFlow requires).

    >>> concat([np.zeros((1, 2)), np.ones((1, 2))], axis=0).shape
    (2, 2)
    """
    return ops.concatenate(list(values), axis=axis)


def argmax(input, axis: int | None = None, output_type=np.int64) -> Tensor:  # noqa: A002
    """``tf.argmax``: index of the largest value along ``axis`` (TensorFlow's default axis
    is 0, where ``keras.ops.argmax`` flattens; int64 as TensorFlow); no gradient.

    >>> argmax([[1, 5], [7, 2]], 1).numpy().tolist()
    [1, 0]
    """
    return ops.cast(ops.argmax(input, 0 if axis is None else axis), output_type)


def argmin(input, axis: int | None = None, output_type=np.int64) -> Tensor:  # noqa: A002
    """``tf.argmin``: as :func:`argmax`, for the smallest value.

    >>> argmin([[1, 5], [7, 2]], 1).numpy().tolist()
    [0, 1]
    """
    return ops.cast(ops.argmin(input, 0 if axis is None else axis), output_type)


def _dtype_of(value: np.ndarray, dtype) -> np.dtype:
    if dtype is not None:
        return np.dtype(str if dtype == "string" else dtype)
    if value.dtype == np.float64:  # Python floats: TensorFlow's float32, not NumPy's float64
        return np.dtype(config.floatx())
    if value.dtype == np.int64 and value.size and np.abs(value).max() < 2**31:
        return np.dtype(np.int32)  # Python ints: tf.int32
    return value.dtype


def constant(value, dtype=None, shape=None) -> Tensor:
    """``tf.constant``: a Tensor holding ``value`` (a scalar fills ``shape``).

    Python floats give float32 and Python ints int32, as TensorFlow; an array keeps its
    dtype unless ``dtype`` is given.

    >>> constant(0.1, shape=(2,))
    Tensor([0.1, 0.1], dtype=float32)
    >>> constant([1, 2]).dtype
    dtype('int32')
    """
    array = _array(value)
    if not isinstance(value, (np.ndarray, Tensor)):
        array = array.astype(_dtype_of(array, dtype))
    elif dtype is not None:
        array = array.astype(_dtype_of(array, dtype))
    if shape is not None:
        shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if array.size == 1:
            array = np.full(shape, array.reshape(()), array.dtype)
        elif array.size == int(np.prod(shape)):
            array = array.reshape(shape)
        else:
            raise ValueError(f"constant: {array.size} values cannot fill `shape`={shape}.")
    return Tensor(np.array(array))


# ``x[..., tf.newaxis]``: a new axis of length 1, as NumPy's ``None``.
newaxis = None


def shape(input, out_type=np.int32):  # noqa: A002
    """``tf.shape``: the sizes of ``input``'s axes as an integer array (int32, as
    TensorFlow), so ``tf.shape(x)[0]`` and ``tf.random.uniform(tf.shape(x))`` work; a
    symbolic input (a KerasTensor while a model is built) gives its shape tuple, ``None``
    for sizes not known yet.

    >>> shape(np.zeros((2, 3))).tolist()
    [2, 3]
    """
    sizes = ops.shape(input)
    if any(size is None for size in sizes):
        return sizes
    return np.asarray(sizes, dtype=out_type)


def range(start, limit=None, delta=1, dtype=None) -> Tensor:  # noqa: A001
    """``tf.range``: ``start, start + delta, ...`` below ``limit`` (``range(n)`` counts from
    0); integers give int32 and floats float32, as TensorFlow.

    >>> range(3).numpy().tolist(), range(1, 2, 0.5).numpy().tolist()
    ([0, 1, 2], [1.0, 1.5])
    """
    if limit is None:
        start, limit = 0, start
    return ops.arange(start, limit, delta, dtype=dtype)


def function(func=None, **options):
    """``tf.function``: deepgrad runs Python as written, so the decorator gives the function
    back unchanged (``jit_compile=``, ``input_signature=``, ``reduce_retracing=`` are taken
    and ignored). Where deepgrad differs: TensorFlow runs a traced graph, so a ``print`` in
    the function prints on every call here, and only while tracing there.

    >>> @function
    ... def double(x):
    ...     return x * 2
    >>> double(2), function(jit_compile=True)(double)(3)
    (4, 6)
    """
    if func is None:
        return lambda f: f
    return func


def one_hot(indices, depth: int, on_value=None, off_value=None, axis: int = -1,
            dtype=None) -> Tensor:
    """``tf.one_hot``: ``depth`` columns, ``on_value`` (1) at each index and ``off_value``
    (0) elsewhere; an index outside ``[0, depth)`` gives a row of ``off_value``, as
    TensorFlow. The dtype is ``dtype``, else that of the values given (an int gives int32),
    else float32. No gradient.

    >>> one_hot([0, 2, 5], depth=3).numpy().tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    """
    ids = _array(indices).astype(np.int64)
    hot = ids[..., None] == np.arange(int(depth))
    on = 1 if on_value is None else on_value
    off = 0 if off_value is None else off_value
    if dtype is None:
        given = [v for v in (on_value, off_value) if v is not None]
        dtype = _dtype_of(np.asarray(given[0]), None) if given else np.float32
    out = np.where(hot, on, off).astype(dtype)
    if axis not in (-1, None, out.ndim - 1):
        out = np.moveaxis(out, -1, axis)
    return Tensor(out)
