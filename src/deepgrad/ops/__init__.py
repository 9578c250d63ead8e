"""Differentiable operations on Tensors, one file per family.

Each op computes its output array and, beside it, the function that sends gradients
back. Composite operations are written from these primitives and need no backward.

>>> import deepgrad as dg
>>> dg.ops.relu(dg.Tensor([-1.0, 2.0]))
Tensor([0., 2.], dtype=float32)
"""

from deepgrad.ops.elementwise import (
    abs, add, cast, clip, divide, exp, log, maximum, minimum, multiply, negative, power,
    relu, sigmoid, sqrt, square, subtract, tanh, where,
)
from deepgrad.ops.linalg import dense, matmul
from deepgrad.ops.nn import (
    binary_crossentropy, categorical_crossentropy, dropout, elu, exponential, gelu,
    hard_sigmoid, leaky_relu, log_softmax, relu6, selu, silu, softmax, softplus, softsign,
    sparse_categorical_crossentropy,
)
from deepgrad.ops.reduce import logsumexp, max, mean, min, sum
from deepgrad.ops.shape import (
    concatenate, expand_dims, getitem, pad, repeat, reshape, squeeze, stack, tile, transpose,
)

__all__ = [
    "abs", "add", "binary_crossentropy", "cast", "categorical_crossentropy", "clip",
    "concatenate", "dense", "divide", "dropout", "elu", "exp", "expand_dims", "exponential",
    "gelu", "getitem", "hard_sigmoid", "leaky_relu", "log", "log_softmax", "logsumexp",
    "matmul", "max", "maximum", "mean", "min", "minimum", "multiply", "negative", "pad",
    "power", "relu", "relu6", "repeat", "reshape", "selu", "sigmoid", "silu", "softmax",
    "softplus", "softsign", "sparse_categorical_crossentropy", "sqrt", "square", "squeeze",
    "stack", "subtract", "sum", "tanh", "tile", "transpose", "where",
]
