"""TensorFlow's ``tf.math`` names, for code written ``import deepgrad as tf``.

keras.io's TensorFlow-backend examples call ``tf.math.l2_normalize`` (filter
visualization), ``tf.math.reduce_max`` (Grad-CAM) and ``tf.math.not_equal`` (the
translation Transformer's mask). Where an op means the same in TensorFlow and
:mod:`deepgrad.ops` it is an alias; ``l2_normalize`` follows TensorFlow's formula;
``argmax``/``argmin`` keep TensorFlow's default axis 0 (:mod:`deepgrad.tf_style`).

>>> import deepgrad as tf
>>> tf.math.l2_normalize([3.0, 4.0]).numpy().tolist()
[0.6000000238418579, 0.800000011920929]
>>> float(tf.math.reduce_max([[1.0, 5.0], [2.0, 3.0]]))
5.0
"""

from __future__ import annotations

from deepgrad import ops
from deepgrad.tensor import Tensor
from deepgrad.tf_style import argmax, argmin

__all__ = [
    "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_std",
    "reduce_variance", "reduce_logsumexp", "reduce_any", "reduce_all", "argmax", "argmin",
    "square", "sqrt", "rsqrt", "exp", "expm1", "log", "log1p", "abs", "sign", "negative",
    "reciprocal", "floor", "ceil", "round", "pow", "maximum", "minimum", "add", "subtract",
    "multiply", "divide", "floordiv", "mod", "equal", "not_equal", "greater",
    "greater_equal", "less", "less_equal", "logical_and", "logical_or", "logical_not",
    "is_nan", "is_inf", "sigmoid", "tanh", "softplus", "sin", "cos", "erf", "cumsum",
    "top_k", "l2_normalize",
]

reduce_sum, reduce_mean, reduce_max, reduce_min = ops.sum, ops.mean, ops.max, ops.min
reduce_prod, reduce_std, reduce_variance = ops.prod, ops.std, ops.var
reduce_logsumexp, reduce_any, reduce_all = ops.logsumexp, ops.any, ops.all
square, sqrt, rsqrt, exp, expm1 = ops.square, ops.sqrt, ops.rsqrt, ops.exp, ops.expm1
log, log1p, abs, sign = ops.log, ops.log1p, ops.abs, ops.sign  # noqa: A001
negative, reciprocal, floor, ceil = ops.negative, ops.reciprocal, ops.floor, ops.ceil
round, pow = ops.round, ops.power  # noqa: A001
maximum, minimum, add, subtract = ops.maximum, ops.minimum, ops.add, ops.subtract
multiply, divide, floordiv, mod = ops.multiply, ops.divide, ops.floor_divide, ops.mod
equal, not_equal, greater, greater_equal = ops.equal, ops.not_equal, ops.greater, ops.greater_equal
less, less_equal = ops.less, ops.less_equal
logical_and, logical_or, logical_not = ops.logical_and, ops.logical_or, ops.logical_not
is_nan, is_inf = ops.isnan, ops.isinf
sigmoid, tanh, softplus = ops.sigmoid, ops.tanh, ops.softplus
sin, cos, erf, cumsum, top_k = ops.sin, ops.cos, ops.erf, ops.cumsum, ops.top_k


def l2_normalize(x, axis=None, epsilon: float = 1e-12) -> Tensor:
    """``tf.math.l2_normalize``: ``x / sqrt(max(sum(x**2, axis), epsilon))``, over every
    axis when ``axis`` is None (TensorFlow's default, where ``keras.ops.normalize`` takes
    the last axis).

    >>> l2_normalize([[3.0, 4.0], [0.0, 0.0]], axis=1).numpy().tolist()
    [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
    """
    x = ops.convert_to_tensor(x)
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x * ops.rsqrt(ops.maximum(squares, epsilon))
