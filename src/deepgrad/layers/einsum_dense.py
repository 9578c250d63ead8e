"""``EinsumDense``: a dense layer whose product is an einsum equation (Keras 3's layer).

``EinsumDense("ab,bc->ac", output_shape=64)`` is ``Dense(64)``; other equations project
several axes at once, e.g. ``"abc,cde->abde"`` turns ``(batch, steps, dim)`` into
``(batch, steps, heads, head_dim)`` (what attention layers use). The kernel's shape comes
from the equation, the input shape and ``output_shape`` (the output without its batch
axis; ``None`` for an axis the input gives), by Keras's rules, as does the bias over
``bias_axes``. Equations may elide leading (``"...b,bc->...c"``) or trailing
(``"ab...,bc->ac..."``) axes. The product is ``dg.ops.einsum`` (differentiable).

As Keras 3.15, a variance-scaling initializer (Glorot, He, LeCun) counts its fans from
the kernel's input axes (those the equation sums over) and output axes, not from the
kernel's last two axes.

>>> import deepgrad as dg
>>> layer = dg.layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 4), bias_axes="de")
>>> layer(np.ones((3, 5, 6), "float32")).shape, [w.shape for w in layer.weights]
((3, 5, 2, 4), [(6, 2, 4), (2, 4)])
"""

from __future__ import annotations

import math
import re

import numpy as np

from deepgrad import activations, constraints, initializers, ops, regularizers
from deepgrad.layers.base import Layer
from deepgrad.layers.core import ActivationAttribute, serialize_regularizer

__all__ = ["EinsumDense", "analyze_einsum", "axes_initializer"]


def axes_initializer(initializer, input_axes, output_axes):
    """``initializer`` with Keras 3.15's fans for a kernel of several axes.

    A variance-scaling initializer draws for the 2-D shape ``(fan_in, fan_out)`` (the
    products of the input and output axes, in order) and the draw is laid out in the
    kernel's shape; any other initializer is returned as it is.

    >>> init = axes_initializer(initializers.GlorotUniform(seed=0), [0], [1, 2])
    >>> init((6, 2, 4)).shape
    (6, 2, 4)
    """
    if not isinstance(initializer, initializers.VarianceScaling):
        return initializer
    inputs, outputs = list(input_axes), list(output_axes)

    def draw(shape, dtype=None):
        shape = tuple(shape)
        fan_in = math.prod(shape[a] for a in inputs)
        fan_out = math.prod(shape[a] for a in outputs)
        values = initializer((fan_in, fan_out), dtype=dtype)
        laid = values.reshape([shape[a] for a in inputs + outputs])
        return np.ascontiguousarray(np.transpose(laid, np.argsort(inputs + outputs)))

    return draw


def _who(layer) -> str:
    return f"EinsumDense '{layer.name}'"


def analyze_einsum(who: str, equation: str, bias_axes: str | None, input_shape,
                   output_shape, fill_from_input: bool = False) -> tuple:
    """Keras's ``_analyze_einsum_string``: ``(kernel_shape, bias_shape, full_output_shape,
    input_axes, output_axes)`` for an equation, the input shape and the partial output shape.

    With ``fill_from_input`` an output size left ``None`` is taken from the input where
    the equation keeps that letter (Keras leaves it ``None`` in its output shape).

    >>> analyze_einsum("demo", "ab,bc->ac", "c", (None, 4), (3,))[:3]
    ([4, 3], [3], [None, 3])
    """
    text = equation.replace("...", "0")
    patterns = ((r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", False),
                (r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", True),
                (r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", False))
    found = [(m, left) for p, left in patterns if (m := re.fullmatch(p, text))]
    if not found:
        raise ValueError(
            f"{who}: `equation` must have the form 'X,Y->Z', '...X,Y->...Z' or "
            f"'X...,Y->Z...'. Received: equation={equation!r}"
        )
    match, left_elided = found[0]
    input_spec, weight_spec, output_spec = match.groups()
    input_shape = list(input_shape)
    elided = len(input_shape) - len(input_spec)
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            out.insert(1, input_shape[i])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    if left_elided:
        input_map = {d: i + elided - len(input_shape) for i, d in enumerate(input_spec)}
        output_map = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        input_map = {d: i for i, d in enumerate(input_spec)}
        output_map = {d: i for i, d in enumerate(output_spec)}
    for dim in input_spec:
        if dim in output_map and out[output_map[dim]] is not None and (
                out[output_map[dim]] != input_shape[input_map[dim]]):
            raise ValueError(
                f"{who}: input shape and output shape differ at the shared dimension "
                f"{dim!r}: {input_shape[input_map[dim]]} in the input, {out[output_map[dim]]} "
                "in `output_shape`."
            )
    for dim in output_spec:
        if dim not in input_spec and dim not in weight_spec:
            raise ValueError(f"{who}: output dimension {dim!r} of {equation!r} is in neither "
                             "the input nor the weight spec.")
    kernel_shape, input_axes, output_axes = [], [], []
    for i, dim in enumerate(weight_spec):
        if dim in output_map:
            kernel_shape.append(out[output_map[dim]])
            output_axes.append(i)
        elif dim in input_map:
            kernel_shape.append(input_shape[input_map[dim]])
            input_axes.append(i)
        else:
            raise ValueError(f"{who}: weight dimension {dim!r} of {equation!r} is in neither "
                             "the input nor the output spec.")
    if fill_from_input:  # sizes the input gives for its letters kept in the output
        for dim, i in output_map.items():
            if out[i] is None and dim in input_map:
                out[i] = input_shape[input_map[dim]]
    bias_shape = None
    if bias_axes is not None:
        missing = [c for c in bias_axes if c not in output_spec]
        if missing:
            raise ValueError(f"{who}: bias dimension {missing[0]!r} is not in the output spec "
                             f"{output_spec!r}. Received: bias_axes={bias_axes!r}")
        shift = elided if left_elided else 0
        sizes = {c: out[i + shift] for i, c in enumerate(output_spec)}
        first = min(output_spec.find(c) for c in bias_axes)
        bias_shape = [sizes[c] if c in bias_axes else 1 for c in output_spec[first:]]
        if not left_elided:
            bias_shape += [1] * max(elided, 0)
    return kernel_shape, bias_shape, out, input_axes, output_axes


class EinsumDense(Layer):
    """``activation(einsum(equation, inputs, kernel) + bias)`` with Keras 3's arguments.

    Args:
        equation: the einsum equation, input then kernel, e.g. ``"abc,cd->abd"``.
        output_shape: the output's shape without the batch axis (an int for one axis;
            ``None`` where the input gives the size).
        activation: activation name or function.
        bias_axes: the output letters the bias spans, or None for no bias.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        kernel_constraint, bias_constraint: as :class:`Dense`.

    Raises:
        ValueError: an equation of another form, or one whose shapes do not agree.

    >>> dense = EinsumDense("ab,bc->ac", output_shape=3, bias_axes="c")
    >>> dense(np.ones((2, 4), "float32")).shape
    (2, 3)
    """

    activation = ActivationAttribute()  # may be set later, as in Keras

    def __init__(self, equation: str, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(equation, str):
            raise TypeError(f"{_who(self)}: `equation` must be a string. "
                            f"Received: equation={equation!r}")
        if lora_rank:
            raise ValueError(f"{_who(self)}: LoRA is not supported in deepgrad. "
                             f"Received: lora_rank={lora_rank!r}")
        self.equation = equation
        self.partial_output_shape = ((int(output_shape),) if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.bias_axes = bias_axes
        self.activation = activation
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape) -> None:
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_einsum(
            _who(self), self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        if any(s is None for s in kernel_shape):
            raise ValueError(f"{_who(self)}: the kernel's shape {tuple(kernel_shape)} has an "
                             "unknown size; give it in `output_shape` or the input's shape.")
        self.kernel = self.add_weight(
            tuple(kernel_shape), axes_initializer(self.kernel_initializer, input_axes,
                                                  output_axes),
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel")
        self.bias = None
        if bias_shape is not None:
            self.bias = self.add_weight(tuple(bias_shape), self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, name="bias")

    def call(self, inputs):
        out = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            out = ops.add(out, self.bias)
        return out if self.activation is activations.linear else self.activation(out)

    def compute_output_shape(self, input_shape):
        return tuple(analyze_einsum(_who(self), self.equation, self.bias_axes, input_shape,
                                    self.partial_output_shape, fill_from_input=True)[2])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "equation": self.equation,
            "output_shape": list(self.partial_output_shape),
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": serialize_regularizer(self.kernel_regularizer),
            "bias_regularizer": serialize_regularizer(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
