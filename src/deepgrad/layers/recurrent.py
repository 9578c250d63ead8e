"""Recurrent layers: the generic ``RNN(cell)``, and ``SimpleRNN``, ``LSTM``, ``GRU``.

An ``RNN`` runs a cell over the steps of ``(batch, steps, features)`` sequences. With
the built-in cells (and their default activations) the whole sequence is one fused op
(``deepgrad.ops.recurrent``); any other cell, such as one you write with ``state_size``
and ``call(inputs, states)``, runs step by step through its own ``call``. A list of cells
is a stack. Arguments, defaults, weights and outputs are Keras 3's.

Masks as Keras: ``mask[b, t] = False`` (padding) leaves sample ``b``'s state unchanged at
step ``t``; the output there repeats the previous one. ``stateful=True`` carries each
sample's final state into the next batch (truncated backpropagation through time:
gradients stop at the batch boundary) until :meth:`RNN.reset_states`.

>>> import deepgrad as dg
>>> x = np.random.default_rng(0).random((32, 10, 8), dtype=np.float32)
>>> dg.layers.LSTM(4)(x).shape
(32, 4)
>>> out, h, c = dg.layers.LSTM(4, return_sequences=True, return_state=True)(x)
>>> out.shape, h.shape, c.shape
((32, 10, 4), (32, 4), (32, 4))
>>> out, h = dg.layers.GRU(4, return_sequences=True, return_state=True)(x)
>>> out.shape, h.shape
((32, 10, 4), (32, 4))
"""

from __future__ import annotations

import numpy as np

from deepgrad import ops, tree
from deepgrad.layers.base import InputSpec, Layer, shape_str
from deepgrad.layers.nested import deserialize_sublayer, serialize_sublayer
from deepgrad.layers.recurrent_cells import (
    GRUCell,
    LSTMCell,
    RecurrentCell,
    SimpleRNNCell,
    StackedRNNCells,
    build_cell,
    call_cell,
    cell_output_size,
    check_cell,
    initial_state,
)
from deepgrad.ops.recurrent import unstack_steps
from deepgrad.tensor import Tensor

__all__ = ["RNN", "SimpleRNN", "LSTM", "GRU"]


class RNN(Layer):
    """Run a recurrent cell over a sequence.

    Args:
        cell: a cell (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``, or a layer with
            ``state_size`` and ``call(inputs, states) -> (output, new_states)``), or a list
            of cells, run as a stack.
        return_sequences: return every step's output ``(batch, steps, units)`` instead of
            the last ``(batch, units)``.
        return_state: also return the final states: ``[output, *states]``.
        go_backwards: run from the last step to the first (outputs come in that order).
        stateful: keep each sample's final state as the next batch's initial state. Needs a
            fixed batch size (``batch_size=`` on the input).
        unroll: accepted for Keras compatibility; deepgrad's loops are never unrolled.
        zero_output_for_mask: zeros, not the previous output, at masked steps.

    Call arguments:
        sequences: ``(batch, steps, features)``.
        initial_state: a list of initial states (one ``(batch, size)`` array per state).
        mask: ``(batch, steps)`` booleans, False at padding steps.
        training: whether dropout is active.

    >>> class MinimalRNNCell(dg.layers.Layer):
    ...     def __init__(self, units, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.units = self.state_size = units
    ...     def build(self, input_shape):
    ...         self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
    ...         self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
    ...                                                 name="recurrent_kernel")
    ...     def call(self, inputs, states):
    ...         output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
    ...         return output, [output]
    >>> RNN(MinimalRNNCell(32))(np.ones((2, 5, 3), np.float32)).shape
    (2, 32)
    >>> RNN([MinimalRNNCell(32), MinimalRNNCell(64)])(np.ones((2, 5, 3), np.float32)).shape
    (2, 64)
    """

    def __init__(
        self,
        cell,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs,
    ):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        check_cell(cell, type(self).__name__)
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.states = None
        self.input_spec = InputSpec(ndim=3)

    @property
    def state_size(self) -> list:
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    # -- shapes -----------------------------------------------------------------------
    def _check_shape(self, shape) -> None:
        name = f"{type(self).__name__} '{self.name}'"
        if len(shape) != 3:
            hint = ""
            if len(shape) == 2:
                hint = (" To fix, give one feature per step an axis of its own "
                        "(x[..., None]), or one sequence a batch axis (x[None]).")
            raise ValueError(
                f"{name}: expected a 3-D input (batch, timesteps, features). Received: shape "
                f"{shape_str(shape)}.{hint}"
            )
        built = getattr(self, "_features", None)
        if built is not None and shape[-1] is not None and shape[-1] != built:
            raise ValueError(
                f"{name}: the layer was built for {built} features per step, but got inputs "
                f"of shape {shape_str(shape)} with {shape[-1]}."
            )

    def build(self, sequences_shape, initial_state_shape=None) -> None:
        shape = tuple(sequences_shape)
        self._check_shape(shape)
        if shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the number of features (last "
                f"dimension) must be known. Received input shape {shape_str(shape)}."
            )
        if self.stateful and shape[0] is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': stateful=True needs a fixed batch "
                f"size, but the input shape is {shape_str(shape)}. To fix, give the input "
                "one, e.g. dg.Input(shape=(timesteps, features), batch_size=32) or "
                "batch_input_shape=(32, timesteps, features) on the first layer."
            )
        build_cell(self.cell, (shape[0], shape[-1]))
        self._features = int(shape[-1])
        if self.stateful:
            self.states = self._zero_states(shape[0])

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        units = cell_output_size(self.cell)
        output = (batch, steps, units) if self.return_sequences else (batch, units)
        if not self.return_state:
            return output
        states = tree.map_structure(lambda s: (batch, int(s)), self.state_size)
        return (output, *states)

    def compute_mask(self, inputs, mask=None):
        """The output's mask: the input's for ``return_sequences``, else None."""
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    # -- states -----------------------------------------------------------------------
    def _zero_states(self, batch: int):
        if isinstance(self.cell, StackedRNNCells):
            return [[s.data for s in initial_state(c, batch)] for c in self.cell.cells]
        return [s.data for s in initial_state(self.cell, batch)]

    def get_initial_state(self, batch_size: int) -> list:
        """Zero states (or the cell's own initial state) for ``batch_size`` samples."""
        if isinstance(self.cell, StackedRNNCells):
            return self.cell.get_initial_state(batch_size)
        return initial_state(self.cell, batch_size)

    def reset_states(self, states=None) -> None:
        """Zero a stateful layer's states, or set them to ``states`` (arrays)."""
        if not self.stateful:
            raise AttributeError(
                f"{type(self).__name__} '{self.name}': reset_states() applies to a stateful "
                "layer only. To fix, create the layer with stateful=True."
            )
        if self.states is None:
            return
        if states is None:
            self.states = tree.map_structure(np.zeros_like, self.states)
            return
        given = [np.asarray(s) for s in tree.flatten(states)]
        own = tree.flatten(self.states)
        if len(given) != len(own) or any(g.shape != o.shape for g, o in zip(given, own)):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': reset_states expected "
                f"{len(own)} arrays of shapes {[o.shape for o in own]}. Received: "
                f"{[g.shape for g in given]}"
            )
        it = iter(given)
        self.states = tree.map_structure(lambda o: next(it).astype(o.dtype), self.states)

    reset_state = reset_states

    # -- the forward pass ---------------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=False):
        initial_state, mask = self._start(sequences, initial_state, mask)
        output, states = self._run(sequences, initial_state, mask, training)
        return self._finish(output, states)

    def _start(self, sequences, initial_state, mask):
        """The initial states (given, kept by a stateful layer, or zeros) and the mask as
        a boolean array."""
        batch = sequences.shape[0]
        if initial_state is None and self.stateful:
            own = tree.flatten(self.states)
            if own and own[0].shape[0] != batch:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': a stateful layer keeps states for "
                    f"batches of {own[0].shape[0]}, but got a batch of {batch}. To fix, feed "
                    "batches of that size (fit(..., batch_size=..., shuffle=False) with a "
                    "sample count that it divides)."
                )
            initial_state = tree.map_structure(Tensor, self.states)
        elif initial_state is None:
            initial_state = self.get_initial_state(batch)
        else:
            initial_state = self._checked_states(initial_state, batch)
        if mask is not None:
            mask = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
            mask = mask.astype(bool, copy=False)
        return initial_state, mask

    def _finish(self, output, states):
        """Keep a stateful layer's final states; the call's return value."""
        if self.stateful:
            self.states = tree.map_structure(lambda s: np.array(s.data), states)
        if self.return_state:
            return [output, *states]
        return output

    def fused_op(self, sequences, initial_state, mask, training) -> tuple[str, dict] | None:
        """The one fused op that runs this layer (``(name, kwargs)``, see
        ``RecurrentCell.op_arguments``), or None: a stack, or a cell that runs step by step."""
        cell = self.cell
        if not (isinstance(cell, RecurrentCell) and cell.can_fuse(training)):
            return None
        initial_state, mask = self._start(sequences, initial_state, mask)
        return cell.op_arguments(sequences, initial_state, training, mask=mask,
                                 go_backwards=self.go_backwards,
                                 return_sequences=self.return_sequences,
                                 zero_output_for_mask=self.zero_output_for_mask)

    def _checked_states(self, given, batch: int) -> list:
        given = list(given) if isinstance(given, (list, tuple)) else [given]
        expected = tree.map_structure(int, self.state_size)
        flat_given, flat_expected = tree.flatten(given), tree.flatten(expected)
        if len(flat_given) != len(flat_expected):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': `initial_state` must hold "
                f"{len(flat_expected)} states (sizes {expected}). Received: {len(flat_given)}"
            )
        it = iter(self._convert_inputs(t) for t in flat_given)
        states = tree.map_structure(lambda _: next(it), expected)
        for s, size in zip(tree.flatten(states), flat_expected):
            if s.shape != (batch, size):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': each initial state must have shape "
                    f"{(batch, size)}. Received: {s.shape}"
                )
        return states

    def _run(self, x, states, mask, training):
        cells = self.cell.cells if isinstance(self.cell, StackedRNNCells) else [self.cell]
        fusable = all(isinstance(c, RecurrentCell) and c.can_fuse(training) for c in cells)
        if not fusable:
            return self._loop(x, states, mask, training)
        flags = dict(mask=mask, go_backwards=self.go_backwards,
                     zero_output_for_mask=self.zero_output_for_mask, training=training)
        if len(cells) == 1 and not isinstance(self.cell, StackedRNNCells):
            return self.cell.sequence(x, states, return_sequences=self.return_sequences, **flags)
        # A stack runs cell by cell over the whole sequence: the same numbers, since a
        # masked step leaves every cell's state unchanged whatever its input there.
        # After the first cell the sequence (and its mask) is in the order it was run.
        finals = []
        for k, (cell, state) in enumerate(zip(cells, states)):
            last = k == len(cells) - 1
            nested = isinstance(state, (list, tuple))
            if k == 1 and self.go_backwards:
                flags.update(go_backwards=False, mask=None if mask is None else mask[:, ::-1])
            out, new = cell.sequence(x, list(state) if nested else [state],
                                     return_sequences=self.return_sequences or not last,
                                     **flags)
            finals.append(new if nested else new[0])
            x = out
        return x, finals

    def _loop(self, x, states, mask, training):
        """Step by step through the cell's ``call``: any cell, any activation."""
        steps = x.shape[1]
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        stacked = isinstance(self.cell, StackedRNNCells)
        inputs = unstack_steps(x)
        outputs, previous = [], None
        for t in order:
            if stacked:
                out, new = self.cell(inputs[t], states, training=training)
            else:
                out, new = call_cell(self.cell, inputs[t], list(states), training)
            if mask is not None:
                keep = mask[:, t][:, None]
                new = tree.map_structure(lambda n, s, keep=keep: ops.where(keep, n, s), new, states)
                if self.zero_output_for_mask or previous is None:
                    out = ops.where(keep, out, 0.0)
                else:
                    out = ops.where(keep, out, previous)
            states, previous = new, out
            if self.return_sequences:
                outputs.append(out)
        for cell in self.cell.cells if stacked else [self.cell]:
            for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
                getattr(cell, reset, lambda: None)()
        output = ops.stack(outputs, axis=1) if self.return_sequences else previous
        return output, list(states)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "cell": serialize_sublayer(self.cell),
            **self._flags_config(),
        }

    def _flags_config(self) -> dict:
        return {
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    @classmethod
    def from_config(cls, config_dict: dict):
        config_dict = dict(config_dict)
        cell = config_dict.pop("cell")
        cell = [deserialize_sublayer(c) for c in cell] if isinstance(cell, list) else (
            deserialize_sublayer(cell))
        return cls(cell, **config_dict)


_CELL_ARGS = (
    "activation", "recurrent_activation", "use_bias", "kernel_initializer",
    "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
    "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
    "dropout", "recurrent_dropout", "seed",
)
_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
             "zero_output_for_mask")


class _CellLayer(RNN):
    """A layer that owns one built-in cell and exposes its arguments as its own."""

    _cell_class = RecurrentCell
    _cell_name = ""
    _extra = ()

    def __init__(self, units: int, **kwargs):
        kwargs.pop("use_cudnn", None)  # Keras's GPU switch: no meaning on a CPU
        cell_kwargs = {k: kwargs.pop(k) for k in _CELL_ARGS + self._extra if k in kwargs}
        rnn_kwargs = {k: kwargs.pop(k) for k in _RNN_ARGS if k in kwargs}
        cell = self._cell_class(
            units, name=self._cell_name, dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), **cell_kwargs,
        )
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        super().__init__(cell, **rnn_kwargs, **kwargs)
        from deepgrad import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)

    def get_config(self) -> dict:
        from deepgrad.layers.core import serialize_regularizer

        config = {k: v for k, v in self.cell.get_config().items()
                  if k not in ("name", "trainable", "dtype")}
        base = Layer.get_config(self)
        base["activity_regularizer"] = serialize_regularizer(self.activity_regularizer)
        return {**base, **config, **self._flags_config()}

    @classmethod
    def from_config(cls, config_dict: dict):
        return cls(**config_dict)


def _cell_property(name: str) -> property:
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's ``{name}``.")


# units, activation, dropout...: the cell's, as Keras's LSTM properties give them.
for _name in ("units",) + _CELL_ARGS:
    setattr(_CellLayer, _name, _cell_property(_name))


class SimpleRNN(_CellLayer):
    """Fully connected RNN whose output is fed back: ``h = activation(x W + h U + b)``.

    Args:
        units: output size. Others as :class:`SimpleRNNCell` and :class:`RNN`.

    >>> SimpleRNN(4)(np.ones((32, 10, 8), np.float32)).shape
    (32, 4)
    """

    _cell_class = SimpleRNNCell
    _cell_name = "simple_rnn_cell"


class LSTM(_CellLayer):
    """Long short-term memory (Hochreiter, 1997), Keras's gates ``i, f, c, o``.

    Args:
        units: output size. Others as :class:`LSTMCell` (``unit_forget_bias=True``) and
            :class:`RNN`.

    Weights: ``kernel (features, 4u)``, ``recurrent_kernel (u, 4u)``, ``bias (4u,)``.
    With ``return_state=True`` it returns ``[output, h, c]``.

    >>> LSTM(4)(np.ones((32, 10, 8), np.float32)).shape
    (32, 4)
    """

    _cell_class = LSTMCell
    _cell_name = "lstm_cell"
    _extra = ("unit_forget_bias",)
    unit_forget_bias = _cell_property("unit_forget_bias")


class GRU(_CellLayer):
    """Gated recurrent unit (Cho et al., 2014), Keras's gates ``z, r, h``.

    Args:
        units: output size.
        reset_after: Keras 3's default True (PyTorch's formulation, bias ``(2, 3u)``);
            False applies the reset gate before the product (bias ``(3u,)``).
        Others as :class:`GRUCell` and :class:`RNN`.

    >>> GRU(4)(np.ones((32, 10, 8), np.float32)).shape
    (32, 4)
    """

    _cell_class = GRUCell
    _cell_name = "gru_cell"
    _extra = ("reset_after",)
    reset_after = _cell_property("reset_after")
