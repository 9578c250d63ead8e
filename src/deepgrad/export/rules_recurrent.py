"""Export rules: SimpleRNN, LSTM, GRU (and ``RNN`` around one of their cells), Bidirectional.

ONNX's ``RNN``, ``LSTM`` and ``GRU`` read time-major sequences ``(steps, batch, features)``
(ONNX Runtime has no batch-major layout), so the sequence is transposed in and the outputs
out. The weights are rearranged once: ONNX stores ``W`` as ``(gates * units, features)``,
LSTM's gates in the order ``i, o, f, c`` (Keras's are ``i, f, c, o``), GRU's ``z, r, h`` as
Keras's; Keras's ``reset_after=True`` GRU is ``linear_before_reset=1`` with its two biases
as ONNX's input and recurrent biases. ``go_backwards`` runs the reversed sequence forward,
so the outputs come in Keras's (reversed) order. A Bidirectional layer is its two layers,
the backward one's sequence flipped back, merged as Keras merges them.

Keras's masks (from ``Embedding(mask_zero=True)`` or ``Masking``) are carried: a masked
step leaves Keras's state unchanged, so each sequence's real steps are moved to the front
(a stable TopK of the step indices) and their count given as ONNX's ``sequence_lens``;
returned sequences are spread back over the steps (a masked step repeats the output
before it, or zeros with ``zero_output_for_mask``). Pre-padding, post-padding and holes
all give Keras's numbers.

>>> gate_order(np.arange(4), [0, 3, 1, 2]).tolist()
[0, 3, 1, 2]
"""

from __future__ import annotations

import numpy as np

from deepgrad import activations
from deepgrad import layers as L
from deepgrad.export.graph_builder import GraphBuilder, Value
from deepgrad.export.registry import ExportError

__all__ = ["RULES", "gate_order"]

_ONNX_ACTIVATIONS = {activations.sigmoid: "Sigmoid", activations.tanh: "Tanh",
                     activations.relu: "Relu"}
_LSTM_ORDER = [0, 3, 1, 2]  # Keras i, f, c, o -> ONNX i, o, f, c
_INT64_MIN = np.iinfo(np.int64).min


def gate_order(weights: np.ndarray, order) -> np.ndarray:
    """``weights`` (gates side by side on the last axis) with the gates in ``order``."""
    parts = np.split(weights, len(order), axis=-1)
    return np.concatenate([parts[i] for i in order], axis=-1)


def _refuse(layer, why: str) -> ExportError:
    return ExportError(f"export: layer '{layer.name}' of class {type(layer).__name__}: {why}")


def _activation(layer, fn) -> str:
    name = _ONNX_ACTIVATIONS.get(fn)
    if name is None:
        raise _refuse(layer, f"the activation {getattr(fn, '__name__', fn)!r} has no ONNX "
                      "recurrent form (sigmoid, tanh and relu do).")
    return name


def _weights(layer, cell) -> tuple[str, np.ndarray, np.ndarray, np.ndarray, dict]:
    """The ONNX op, ``W``, ``R``, ``B`` (one direction) and its attributes."""
    kernel, recurrent = cell.kernel.numpy(), cell.recurrent_kernel.numpy()
    units = cell.units
    bias = cell.bias.numpy() if cell.bias is not None else None
    attributes = {"hidden_size": units}
    if type(cell) is L.LSTMCell:
        kernel, recurrent = gate_order(kernel, _LSTM_ORDER), gate_order(recurrent, _LSTM_ORDER)
        bias = np.zeros(4 * units, kernel.dtype) if bias is None else gate_order(bias,
                                                                                 _LSTM_ORDER)
        biases = np.concatenate([bias, np.zeros_like(bias)])
        act = _activation(layer, cell.activation)
        rec = _activation(layer, cell.recurrent_activation)
        attributes["activations"] = [rec, act, act]
        return "LSTM", kernel.T, recurrent.T, biases, attributes
    if type(cell) is L.GRUCell:
        if bias is None:
            bias = np.zeros((2, 3 * units) if cell.reset_after else 3 * units, kernel.dtype)
        if cell.reset_after:
            biases = np.concatenate([bias[0], bias[1]])
            attributes["linear_before_reset"] = 1
        else:
            biases = np.concatenate([bias, np.zeros_like(bias)])
        act = _activation(layer, cell.activation)
        rec = _activation(layer, cell.recurrent_activation)
        attributes["activations"] = [rec, act]
        return "GRU", kernel.T, recurrent.T, biases, attributes
    if type(cell) is L.SimpleRNNCell:
        bias = np.zeros(units, kernel.dtype) if bias is None else bias
        attributes["activations"] = [_activation(layer, cell.activation)]
        return "RNN", kernel.T, recurrent.T, np.concatenate([bias, np.zeros_like(bias)]), \
            attributes
    raise _refuse(layer, f"its cell of class {type(cell).__name__} has no export rule "
                  "(SimpleRNNCell, LSTMCell and GRUCell do).")


def _reverse(b: GraphBuilder, name: str, axis: int) -> str:
    return b.node("Slice", [name, b.ints([-1], "starts"), b.ints([_INT64_MIN], "ends"),
                            b.ints([axis], "axes"), b.ints([-1], "steps")])


class _Compacted:
    """A mask carried into an ONNX recurrent op: each sequence's real steps moved to the
    front in order (a masked step leaves Keras's state unchanged, so skipping it is the
    same), their count as ``sequence_lens``, and how to spread the outputs back over the
    steps (a masked step repeats the output before it, or zeros)."""

    def __init__(self, b: GraphBuilder, sequences: str, mask: str) -> None:
        self.b, self.mask = b, mask
        steps = b.node("Gather", [b.node("Shape", [sequences]), b.ints(1, "axis")], axis=0)
        index = b.node("Range", [b.const(np.asarray(0, np.int64), "zero"), steps,
                                 b.const(np.asarray(1, np.int64), "one")])  # (T,)
        key = b.node("Where", [mask, index, b.node("Add", [index, steps])])
        order = b.node("TopK", [key, b.node("Unsqueeze", [steps, b.ints([0], "axes")])],
                       outputs=2, axis=1, largest=0, sorted=1)[1]
        self.sequences = self._gather(sequences, order)
        counts = b.node("Cast", [mask], to=6)  # INT32
        self.lengths = b.reduce("ReduceSum", counts, [1], keepdims=False)
        self.position = b.node("Sub", [b.node("CumSum", [b.node("Cast", [mask], to=7),
                                                         b.ints(1, "axis")]),
                                       b.const(np.asarray(1, np.int64), "one")])

    def _gather(self, values: str, index: str) -> str:
        wide = self.b.node("Unsqueeze", [index, self.b.ints([-1], "axes")])
        full = self.b.node("Expand", [wide, self.b.node("Shape", [values])])
        return self.b.node("GatherElements", [values, full], axis=1)

    def spread(self, outputs: str, zero_masked: bool) -> str:
        """``outputs`` of the compacted steps (N, T, U) at the original steps."""
        b = self.b
        zero = b.const(np.asarray(0, np.int64), "zero")
        clamped = b.node("Max", [self.position, zero])
        placed = self._gather(outputs, clamped)
        keep = self.mask if zero_masked else b.node("GreaterOrEqual", [self.position, zero])
        keep = b.node("Cast", [b.node("Unsqueeze", [keep, b.ints([-1], "axes")])],
                      to=b.onnx_type(b.dtype))
        return b.node("Mul", [placed, keep])


def _state(b: GraphBuilder, value: Value) -> str:
    return b.node("Unsqueeze", [b.last(value), b.ints([0], "axes")])


def run_layer(b: GraphBuilder, layer, x: Value, initial_state=None,
              mask: str | None = None) -> tuple[str, str, list]:
    """One recurrent layer: ``(sequence (N, T, U) or None, last output (N, U), states)``.
    ``mask`` (N, T), when given, is carried as :class:`_Compacted` describes."""
    if layer.stateful:
        raise _refuse(layer, "stateful=True keeps states between calls, which an ONNX graph "
                      "cannot. To fix, export a copy built with stateful=False.")
    op, kernel, recurrent, biases, attributes = _weights(layer, layer.cell)
    sequences = b.last(x)
    if layer.go_backwards:
        sequences = _reverse(b, sequences, 1)
        mask = None if mask is None else _reverse(b, mask, 1)
    compacted = None if mask is None else _Compacted(b, sequences, mask)
    if compacted is not None:
        sequences = compacted.sequences
    inputs = [b.node("Transpose", [sequences], perm=[1, 0, 2]), b.const(kernel[None], "W"),
              b.const(recurrent[None], "R"), b.const(biases[None], "B")]
    if compacted is not None:
        inputs.append(compacted.lengths)
    if initial_state:
        states = initial_state if isinstance(initial_state, (list, tuple)) else [initial_state]
        inputs += [""] * (5 - len(inputs)) + [_state(b, s) for s in states]
    outputs = b.node(op, inputs, outputs=3 if op == "LSTM" else 2, **attributes)
    sequence = None
    if layer.return_sequences:
        batch_major = b.node("Transpose", [outputs[0]], perm=[2, 0, 1, 3])  # (N, T, 1, U)
        sequence = b.node("Reshape", [batch_major, b.ints([0, 0, -1], "shape")])
        if compacted is not None:
            sequence = compacted.spread(sequence, layer.zero_output_for_mask)
    squeeze = b.ints([0], "axes")
    last = b.node("Squeeze", [outputs[1], squeeze])
    states = [last] + ([b.node("Squeeze", [outputs[2], squeeze])] if op == "LSTM" else [])
    return sequence, last, states


def recurrent(b: GraphBuilder, layer, x: Value, initial_state=None, mask=None):
    sequence, last, states = run_layer(b, layer, x, initial_state, mask)
    output = Value({False: sequence if layer.return_sequences else last})
    if layer.return_sequences:
        output.mask = mask
    if layer.return_state:
        return [output] + [Value({False: s}) for s in states]
    return output


def bidirectional(b: GraphBuilder, layer: L.Bidirectional, x: Value, initial_state=None,
                  mask=None):
    forward_state = backward_state = None
    if initial_state:
        half = len(initial_state) // 2
        forward_state, backward_state = initial_state[:half], initial_state[half:]
    b_scope = b.scope
    b.scope = f"{b_scope}/forward"
    sequence, last, states = run_layer(b, layer.forward_layer, x, forward_state, mask)
    b.scope = f"{b_scope}/backward"
    sequence_rev, last_rev, states_rev = run_layer(b, layer.backward_layer, x, backward_state,
                                                   mask)
    b.scope = b_scope
    if layer.return_sequences:  # the backward outputs back in time order, as Keras
        y, y_rev = sequence, b.node("Slice", [sequence_rev, b.ints([-1], "starts"),
                                              b.ints([_INT64_MIN], "ends"),
                                              b.ints([1], "axes"), b.ints([-1], "steps")])
    else:
        y, y_rev = last, last_rev
    mode = layer.merge_mode
    if mode == "concat":
        outputs = [b.node("Concat", [y, y_rev], axis=-1)]
    elif mode == "sum":
        outputs = [b.node("Add", [y, y_rev])]
    elif mode == "ave":
        half = b.const(np.asarray(0.5, b.dtype), "half")
        outputs = [b.node("Mul", [b.node("Add", [y, y_rev]), half])]
    elif mode == "mul":
        outputs = [b.node("Mul", [y, y_rev])]
    else:
        outputs = [y, y_rev]
    values = [Value({False: name}) for name in outputs]
    if layer.return_sequences:
        for value in values:
            value.mask = mask
    if layer.return_state:
        values += [Value({False: s}) for s in states + states_rev]
    return values if len(values) > 1 else values[0]


recurrent.takes_mask = bidirectional.takes_mask = True

RULES = {L.SimpleRNN: recurrent, L.LSTM: recurrent, L.GRU: recurrent, L.RNN: recurrent,
         L.Bidirectional: bidirectional}
