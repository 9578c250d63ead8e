"""Recurrent cells: one time step of SimpleRNN, LSTM and GRU, and their stack.

A cell's ``call(inputs, states)`` is one step built from ``deepgrad.ops`` primitives (the
plain formula, which the ``RNN`` layer runs step by step for cells it cannot fuse);
:meth:`RecurrentCell.sequence` runs a whole sequence as one fused op from
``deepgrad.ops.recurrent`` where the configuration allows it. Weights have Keras's shapes,
names and gate orders: ``kernel (input_dim, gates * units)``, ``recurrent_kernel (units,
gates * units)``, ``bias``; LSTM gates ``i, f, c, o``, GRU gates ``z, r, h``.

Dropout as Keras: one input mask and one recurrent mask per sequence, the same at every
step, drawn in training only. deepgrad shares each mask between the gates (Keras draws
one per gate when ``recurrent_dropout > 0``).

>>> import deepgrad as dg
>>> cell = dg.layers.LSTMCell(4)
>>> x = np.ones((2, 3), np.float32)
>>> h, states = cell(x, cell.get_initial_state(batch_size=2))
>>> h.shape, [s.shape for s in states]
((2, 4), [(2, 4), (2, 4)])
>>> [w.shape for w in cell.weights]
[(3, 16), (4, 16), (16,)]
"""

from __future__ import annotations

import numpy as np

from deepgrad import activations, constraints, initializers, ops, regularizers
from deepgrad import random as dg_random
from deepgrad.layers.base import Layer
from deepgrad.layers.core import positive_int, serialize_regularizer
from deepgrad.layers.nested import deserialize_sublayer, serialize_sublayer
from deepgrad.ops import recurrent as rnn_ops
from deepgrad.tensor import Tensor

__all__ = ["SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells", "RecurrentCell"]


def _rate(layer: str, arg: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{layer}: `{arg}` must be a float in [0, 1). Received: {arg}={value!r}")
    return float(value)


def set_gate_options(cell: Layer, who: str, activation, recurrent_activation, use_bias,
                     kernel_initializer, recurrent_initializer, bias_initializer,
                     kernel_regularizer, recurrent_regularizer, bias_regularizer,
                     kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                     recurrent_dropout, seed) -> None:
    """Resolve and keep the arguments every gated cell shares (these cells and the
    convolutional LSTM's): activations, initializers, regularizers, constraints, dropout."""
    cell.activation = activations.get(activation)
    cell.recurrent_activation = activations.get(recurrent_activation)
    cell.use_bias = bool(use_bias)
    cell.kernel_initializer = initializers.get(kernel_initializer)
    cell.recurrent_initializer = initializers.get(recurrent_initializer)
    cell.bias_initializer = initializers.get(bias_initializer)
    cell.kernel_regularizer = regularizers.get(kernel_regularizer)
    cell.recurrent_regularizer = regularizers.get(recurrent_regularizer)
    cell.bias_regularizer = regularizers.get(bias_regularizer)
    cell.kernel_constraint = constraints.get(kernel_constraint)
    cell.recurrent_constraint = constraints.get(recurrent_constraint)
    cell.bias_constraint = constraints.get(bias_constraint)
    cell.dropout = _rate(who, "dropout", dropout)
    cell.recurrent_dropout = _rate(who, "recurrent_dropout", recurrent_dropout)
    cell.seed = seed
    cell._generator = None if seed is None else dg_random.make_generator(seed)


def gate_options_config(cell: Layer) -> dict:
    """:func:`set_gate_options`'s arguments as a config."""
    return {
        "activation": activations.serialize(cell.activation),
        "recurrent_activation": activations.serialize(cell.recurrent_activation),
        "use_bias": cell.use_bias,
        "kernel_initializer": initializers.serialize(cell.kernel_initializer),
        "recurrent_initializer": initializers.serialize(cell.recurrent_initializer),
        "bias_initializer": initializers.serialize(cell.bias_initializer),
        "kernel_regularizer": serialize_regularizer(cell.kernel_regularizer),
        "recurrent_regularizer": serialize_regularizer(cell.recurrent_regularizer),
        "bias_regularizer": serialize_regularizer(cell.bias_regularizer),
        "kernel_constraint": constraints.serialize(cell.kernel_constraint),
        "recurrent_constraint": constraints.serialize(cell.recurrent_constraint),
        "bias_constraint": constraints.serialize(cell.bias_constraint),
        "dropout": cell.dropout,
        "recurrent_dropout": cell.recurrent_dropout,
        "seed": cell.seed,
    }


def forget_bias_one(base, size: int):
    """Keras's ``unit_forget_bias``: the bias initializer, with ones for the forget gate
    (the second of the four gate blocks of ``size``)."""

    def initialize(shape, dtype=None):
        return np.concatenate([base((size,), dtype=dtype), np.ones(size, dtype),
                               base((2 * size,), dtype=dtype)])

    return initialize


class RecurrentCell(Layer):
    """What the three built-in cells share: arguments, weights, dropout masks, config."""

    _gates = 1
    _default_recurrent_activation = None

    def __init__(
        self,
        units: int,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs,
    ):
        kwargs.pop("implementation", None)  # Keras's kernel choice; one fused loop here
        super().__init__(**kwargs)
        self.units = positive_int(self, "units", units)
        set_gate_options(self, type(self).__name__, activation, recurrent_activation, use_bias,
                         kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer,
                         kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed)
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self) -> int:
        return self.units

    def build(self, input_shape) -> None:
        width = self._gates * self.units
        if input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the last dimension of the input must "
                f"be known. Received input shape {tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            shape=(input_shape[-1], width), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel",
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width), initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
            name="recurrent_kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self._bias_shape(), initializer=self._bias_init(),
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias",
            )

    def _bias_shape(self) -> tuple:
        return (self._gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def get_initial_state(self, batch_size: int) -> list[Tensor]:
        """Zero states, one ``(batch_size, units)`` array per state."""
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [Tensor(np.zeros((batch_size, s), self.dtype)) for s in sizes]

    # -- dropout masks: drawn on the first step of a sequence, kept for the others --------
    def _mask(self, like: Tensor, rate: float) -> Tensor:
        generator = self._generator or dg_random.generator()
        keep = generator.random(like.shape, dtype=like.dtype) >= rate
        return Tensor(keep.astype(like.dtype) / np.asarray(1 - rate, like.dtype))

    def get_dropout_mask(self, step_input: Tensor) -> Tensor | None:
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._mask(step_input, self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, state: Tensor) -> Tensor | None:
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._mask(state, self.recurrent_dropout)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self) -> None:
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        self._recurrent_dropout_mask = None

    def _step_inputs(self, inputs, h_prev, training):
        """Inputs and previous state with this sequence's dropout masks applied."""
        if training:
            mask = self.get_dropout_mask(inputs)
            inputs = inputs if mask is None else inputs * mask
            mask = self.get_recurrent_dropout_mask(h_prev)
            h_prev = h_prev if mask is None else h_prev * mask
        return inputs, h_prev

    # -- the whole sequence as one fused op -------------------------------------------
    def _fused_name(self, fn) -> str | None:
        for name in ("tanh", "sigmoid", "relu", "linear"):
            if fn is getattr(activations, name):
                return name
        return None

    def can_fuse(self, training) -> bool:
        """Whether :meth:`sequence` can run (the built-in activations it fuses)."""
        return True

    def op_arguments(self, x: Tensor, states, training, **flags) -> tuple[str, dict]:
        """The fused op for the whole sequence and its arguments: ``(name, kwargs)``, name
        one of ``ops.recurrent``'s ``'lstm'``, ``'gru'``, ``'simple_rnn'``; ``flags`` are
        its ``mask``, ``go_backwards``, ``return_sequences``, ``zero_output_for_mask``."""
        if training and self.dropout > 0:
            generator = self._generator or dg_random.generator()
            x = ops.dropout(x, self.dropout, generator, noise_shape=(None, 1, None))
        bias = {} if self.bias is None else {"bias": self.bias}
        if training and self.recurrent_dropout > 0:
            state = states[0] if isinstance(states[0], Tensor) else Tensor(states[0])
            flags["recurrent_mask"] = self._mask(state, self.recurrent_dropout).data
        weights = dict(x=x, kernel=self.kernel, recurrent_kernel=self.recurrent_kernel, **bias)
        return self._op, {**weights, **self._state_arguments(states), **flags}

    def sequence(self, x: Tensor, states, training, **flags) -> tuple[Tensor, list[Tensor]]:
        """Run the whole sequence as one op: ``(output, final states)``."""
        name, kwargs = self.op_arguments(x, states, training, **flags)
        out = getattr(rnn_ops, name)(**kwargs)
        return out[0], list(out[1:])

    def get_config(self) -> dict:
        config = {**super().get_config(), "units": self.units, **gate_options_config(self)}
        if self._gates == 1:  # SimpleRNN has no recurrent activation in Keras's config
            del config["recurrent_activation"]
        return config


class SimpleRNNCell(RecurrentCell):
    """One step of a fully connected RNN: ``h = activation(x @ kernel + h @ recurrent_kernel
    + bias)``.

    Args:
        units: size of the state and output.
        activation: default ``'tanh'``.
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer: as Keras.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: optional regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: optional callables.
        dropout, recurrent_dropout: fractions of the inputs / state to drop, in [0, 1).
        seed: seed of the dropout masks.

    >>> cell = SimpleRNNCell(3)
    >>> out, states = cell(np.ones((2, 5), np.float32), [np.zeros((2, 3), np.float32)])
    >>> out.shape
    (2, 3)
    """

    def __init__(self, units: int, activation="tanh", use_bias: bool = True, **kwargs):
        kwargs.pop("recurrent_activation", None)
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        inputs, h_in = self._step_inputs(inputs, h_prev, training)
        h = self.activation(ops.dense(inputs, self.kernel, self.bias)
                            + ops.matmul(h_in, self.recurrent_kernel))
        return h, [h] if isinstance(states, (list, tuple)) else h

    def can_fuse(self, training) -> bool:
        return super().can_fuse(training) and self._fused_name(self.activation) is not None

    _op = "simple_rnn"

    def _state_arguments(self, states) -> dict:
        return {"h0": states[0], "activation": self._fused_name(self.activation)}


class LSTMCell(RecurrentCell):
    """One step of a long short-term memory: gates ``i, f, c, o`` as in Keras.

    ``i, f, o = recurrent_activation(...)``, ``c = f * c + i * activation(...)``,
    ``h = o * activation(c)``; states ``[h, c]``.

    Args:
        units: size of each state.
        activation: default ``'tanh'``; recurrent_activation: default ``'sigmoid'``.
        unit_forget_bias: add 1 to the forget gate's bias at initialization (default True;
            Keras then starts the rest of the bias from ``bias_initializer``).
        Others as :class:`SimpleRNNCell`.

    >>> LSTMCell(2).state_size
    [2, 2]
    """

    _gates = 4

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, unit_forget_bias: bool = True, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        return forget_bias_one(self.bias_initializer, self.units)

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states
        inputs, h_in = self._step_inputs(inputs, h_prev, training)
        z = ops.dense(inputs, self.kernel, self.bias) + ops.matmul(h_in, self.recurrent_kernel)
        u = self.units
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u : 2 * u])
        c = f * c_prev + i * self.activation(z[:, 2 * u : 3 * u])
        o = self.recurrent_activation(z[:, 3 * u :])
        h = o * self.activation(c)
        return h, [h, c]

    def can_fuse(self, training) -> bool:
        return (super().can_fuse(training) and self.activation is activations.tanh
                and self.recurrent_activation is activations.sigmoid)

    _op = "lstm"

    def _state_arguments(self, states) -> dict:
        return {"h0": states[0], "c0": states[1]}

    def get_config(self) -> dict:
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRUCell(RecurrentCell):
    """One step of a gated recurrent unit: gates ``z, r, h`` as in Keras.

    With ``reset_after=True`` (Keras 3's default, and PyTorch's ``nn.GRU``) the reset gate
    multiplies the recurrent part after the product, and the bias is ``(2, 3 * units)``
    (input bias, recurrent bias); with ``reset_after=False`` it multiplies the state before
    the product and the bias is ``(3 * units,)``.

    Args:
        units: size of the state.
        reset_after: see above (default True).
        Others as :class:`LSTMCell`.

    >>> cell = GRUCell(2); _ = cell(np.ones((1, 3), np.float32), [np.zeros((1, 2), "f4")])
    >>> cell.bias.shape
    (2, 6)
    """

    _gates = 3

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, reset_after: bool = True, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self) -> tuple:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        inputs, h_in = self._step_inputs(inputs, h_prev, training)
        u = self.units
        if self.reset_after and self.bias is not None:
            x_bias, rec_bias = self.bias[0], self.bias[1]
        else:
            x_bias, rec_bias = self.bias, None
        x = ops.dense(inputs, self.kernel, x_bias)
        if self.reset_after:
            rec = ops.dense(h_in, self.recurrent_kernel, rec_bias)
        else:
            rec = ops.matmul(h_in, self.recurrent_kernel[:, : 2 * u])
        z = self.recurrent_activation(x[:, :u] + rec[:, :u])
        r = self.recurrent_activation(x[:, u : 2 * u] + rec[:, u : 2 * u])
        if self.reset_after:
            candidate = self.activation(x[:, 2 * u :] + r * rec[:, 2 * u :])
        else:
            candidate = self.activation(
                x[:, 2 * u :] + ops.matmul(r * h_in, self.recurrent_kernel[:, 2 * u :])
            )
        h = z * h_prev + (1 - z) * candidate
        return h, [h] if isinstance(states, (list, tuple)) else h

    def can_fuse(self, training) -> bool:
        return (super().can_fuse(training) and self.reset_after
                and self.activation is activations.tanh
                and self.recurrent_activation is activations.sigmoid)

    _op = "gru"

    def _state_arguments(self, states) -> dict:
        return {"h0": states[0]}

    def get_config(self) -> dict:
        return {**super().get_config(), "reset_after": self.reset_after}


class StackedRNNCells(Layer):
    """Several cells run as one: each step feeds each cell's output to the next cell.

    ``RNN([cell_1, cell_2])`` wraps its list in this. States are one entry per cell.

    Args:
        cells: a list of cells (built-in or any layer with ``state_size`` and ``call``).

    >>> stack = StackedRNNCells([LSTMCell(4), GRUCell(3)])
    >>> stack.state_size, stack.output_size
    ([[4, 4], 3], 3)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = list(cells)
        for cell in cells:
            check_cell(cell, "StackedRNNCells")
        if not cells:
            raise ValueError("StackedRNNCells: `cells` must not be empty. Received: []")
        self.cells = cells

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self) -> int:
        return cell_output_size(self.cells[-1])

    def build(self, input_shape) -> None:
        shape = tuple(input_shape)
        for cell in self.cells:
            build_cell(cell, shape)
            shape = (shape[0], cell_output_size(cell))

    def get_initial_state(self, batch_size: int) -> list:
        return [initial_state(cell, batch_size) for cell in self.cells]

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, state in zip(self.cells, states):
            nested = isinstance(state, (list, tuple))
            inputs, state = call_cell(cell, inputs, list(state) if nested else [state], training)
            new_states.append(state if nested else state[0])
        return inputs, new_states

    def get_config(self) -> dict:
        return {**super().get_config(), "cells": [serialize_sublayer(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config_dict: dict):
        config_dict = dict(config_dict)
        cells = [deserialize_sublayer(c) for c in config_dict.pop("cells")]
        return cls(cells, **config_dict)


# -- helpers the RNN layer shares ---------------------------------------------------------


def check_cell(cell, who: str) -> None:
    """A cell needs ``call`` and ``state_size`` (an int or a list of ints)."""
    if not callable(getattr(cell, "call", None)):
        raise ValueError(f"{who}: a cell must have a `call` method. Received: cell={cell!r}")
    if getattr(cell, "state_size", None) is None:
        raise ValueError(
            f"{who}: the cell must have a `state_size` attribute (an int, or a list of "
            f"ints, one per state). Received: cell={cell!r}"
        )


def build_cell(cell, step_shape: tuple) -> None:
    """Build ``cell`` (a Layer not yet built) for steps of ``step_shape`` ``(batch, features)``."""
    if isinstance(cell, Layer) and not cell.built:
        cell.build(step_shape)
        cell._build_shapes = step_shape
        cell.built = True


def cell_output_size(cell) -> int:
    size = getattr(cell, "output_size", None)
    if size is None:
        size = cell.state_size[0] if isinstance(cell.state_size, (list, tuple)) else cell.state_size
    return int(size) if not isinstance(size, (list, tuple)) else int(size[0])


def initial_state(cell, batch_size: int):
    """The cell's ``get_initial_state`` or zeros, as a list (one array per state)."""
    fn = getattr(cell, "get_initial_state", None)
    if fn is not None:
        state = fn(batch_size=batch_size)
        return list(state) if isinstance(state, (list, tuple)) else [state]
    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    dtype = getattr(cell, "dtype", "float32")
    return [Tensor(np.zeros((batch_size, s), dtype)) for s in sizes]


def call_cell(cell, inputs, states: list, training):
    """One step: ``(output, new states as a list)``."""
    if isinstance(cell, Layer) and cell._accepts_training:
        output, new_states = cell(inputs, states, training=training)
    else:
        output, new_states = cell(inputs, states) if callable(cell) else cell.call(inputs, states)
    return output, list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
