"""Keras's functional forms of the merging layers: ``add``, ``subtract``, ``multiply``,
``average``, ``maximum``, ``minimum``, ``concatenate`` and ``dot``.

Each makes the layer with ``**kwargs`` (``name=``, ``dtype=``...) and calls it on
``inputs`` at once, on arrays, Tensors or, in a functional model, KerasTensors.

>>> import deepgrad as dg
>>> a, b = dg.Input(shape=(3,)), dg.Input(shape=(3,))
>>> dg.layers.add([a, b]).shape
(None, 3)
>>> dg.layers.concatenate([np.ones((2, 1)), np.zeros((2, 2))]).data
array([[1., 0., 0.],
       [1., 0., 0.]], dtype=float32)
"""

from __future__ import annotations

from deepgrad.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
)

__all__ = ["add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``: the sum of the inputs.

    >>> add([np.ones((1, 2)), np.ones((1, 2))]).data
    array([[2., 2.]], dtype=float32)
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``: the first of two inputs minus the second.

    >>> subtract([np.ones((1, 2)), np.ones((1, 2))]).data
    array([[0., 0.]], dtype=float32)
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``: the elementwise product of the inputs.

    >>> multiply([np.full((1, 2), 2.0), np.full((1, 2), 3.0)]).data
    array([[6., 6.]], dtype=float32)
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``: the elementwise mean of the inputs.

    >>> average([np.zeros((1, 2)), np.full((1, 2), 4.0)]).data
    array([[2., 2.]], dtype=float32)
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``: the elementwise maximum of the inputs.

    >>> maximum([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).data
    array([[3., 5.]], dtype=float32)
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``: the elementwise minimum of the inputs.

    >>> minimum([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).data
    array([[1., 2.]], dtype=float32)
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis: int = -1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``: the inputs joined along ``axis``.

    >>> concatenate([np.ones((2, 3)), np.ones((2, 3))], axis=0).shape
    (4, 3)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """``Dot(axes, **kwargs)(inputs)``: the per-sample dot product of two inputs
    (``normalize=True`` for cosine similarity).

    >>> dot([np.ones((2, 3)), np.full((2, 3), 2.0)]).data
    array([[6.],
           [6.]], dtype=float32)
    """
    return Dot(axes=axes, **kwargs)(inputs)
