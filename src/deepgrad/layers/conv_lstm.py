"""Convolutional LSTMs: ``ConvLSTM1D``, ``ConvLSTM2D``, ``ConvLSTM3D`` (Keras 3's layers).

An LSTM whose input and recurrent transformations are convolutions: the input is a
sequence of images ``(batch, steps, *spatial, channels)``, the state ``h`` and carry ``c``
are images ``(batch, *spatial_out, filters)``. Gates ``i, f, c, o`` in Keras's order:

    z = conv(x_t, kernel) + bias + conv(h, recurrent_kernel)   # recurrent: 'same', stride 1
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  g = tanh(z_c)
    c = f * c + i * g;  h = o * tanh(c)

Weights have Keras's shapes and names (``kernel (*kernel_size, channels, 4 * filters)``,
``recurrent_kernel (*kernel_size, filters, 4 * filters)``, ``bias (4 * filters,)``), held by
the layer's ``cell`` as Keras holds them, so ``get_weights``/``set_weights`` and Keras's
``.weights.h5`` files exchange with Keras. The input convolution runs once over all steps
(one GEMM-backed conv on ``batch * steps`` images); each step adds one recurrent conv. The
backward pass is the tape's, through those convolutions and the gate arithmetic.

>>> import deepgrad as dg
>>> x = np.zeros((2, 3, 8, 8, 1), np.float32)
>>> dg.layers.ConvLSTM2D(4, 3, padding="same")(x).shape
(2, 8, 8, 4)
>>> dg.layers.ConvLSTM1D(4, 3, return_sequences=True)(np.zeros((2, 3, 8, 1), "f4")).shape
(2, 3, 6, 4)
"""

from __future__ import annotations

import numpy as np

from deepgrad import ops, regularizers
from deepgrad import random as dg_random
from deepgrad.kernels.geometry import conv_output_length
from deepgrad.layers.base import InputSpec, Layer, shape_str
from deepgrad.layers.conv import int_tuple, padding_name
from deepgrad.layers.core import positive_int, serialize_regularizer
from deepgrad.layers.data_format import standardize_data_format
from deepgrad.layers.recurrent_cells import forget_bias_one, gate_options_config, set_gate_options
from deepgrad.tensor import Tensor

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]

_CELL_ARGS = ("activation", "recurrent_activation", "use_bias", "kernel_initializer",
              "recurrent_initializer", "bias_initializer", "unit_forget_bias",
              "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
              "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
              "recurrent_dropout", "seed")
_CELL_ATTRIBUTES = frozenset(_CELL_ARGS + ("filters", "kernel_size", "strides", "padding",
                                           "dilation_rate", "kernel", "recurrent_kernel",
                                           "bias"))


class ConvLSTMCell(Layer):
    """The weights and one step of a convolutional LSTM (channels-last tensors).

    Not public in Keras 3 either; :class:`ConvLSTM` builds one as ``layer.cell``.
    """

    def __init__(self, rank: int, filters: int, kernel_size, strides=1, padding="valid",
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias: bool = True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None, owner: str = "",
                 **kwargs):
        super().__init__(**kwargs)
        who = owner or type(self).__name__
        self.rank = rank
        self.filters = positive_int(self, "filters", filters)
        self.kernel_size = int_tuple(who, "kernel_size", kernel_size, rank)
        self.strides = int_tuple(who, "strides", strides, rank)
        self.padding = padding_name(who, padding, ("valid", "same"))
        self.dilation_rate = int_tuple(who, "dilation_rate", dilation_rate, rank)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{who}: `strides > 1` is not compatible with `dilation_rate > 1`. Received: "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.unit_forget_bias = bool(unit_forget_bias)
        set_gate_options(self, who, activation, recurrent_activation, use_bias,
                         kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer,
                         kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed)

    def build(self, channels: int) -> None:
        f4 = 4 * self.filters
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels, f4), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, f4),
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint, name="recurrent_kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(f4,), initializer=self._bias_init(), regularizer=self.bias_regularizer,
                constraint=self.bias_constraint, name="bias")
        self.built = True

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        return forget_bias_one(self.bias_initializer, self.filters)

    def masks(self, like: np.ndarray, rate: float) -> list[np.ndarray] | None:
        """Keras's four dropout masks (one per gate), kept for every step of a sequence."""
        if rate == 0:
            return None
        generator = self._generator or dg_random.generator()
        scale = np.asarray(1 / (1 - rate), like.dtype)
        return [(generator.random(like.shape, dtype=like.dtype) >= rate) * scale
                for _ in range(4)]

    def _gate_slices(self, weight):
        f = self.filters
        return [weight[..., k * f:(k + 1) * f] for k in range(4)]

    def input_transform(self, frames, input_masks):
        """``conv(x, kernel) + bias`` for all frames ``(n, *spatial, channels)`` at once."""
        conv = dict(strides=self.strides, padding=self.padding, dilation_rate=self.dilation_rate)
        if input_masks is None:
            z = ops.conv(frames, self.kernel, **conv)
        else:  # one conv per gate on its own masked inputs, as Keras's cell does
            z = ops.concatenate([ops.conv(frames * m, k, **conv) for m, k in
                                 zip(input_masks, self._gate_slices(self.kernel))], axis=-1)
        return z + self.bias if self.use_bias else z

    def step(self, z_input, h, c, recurrent_masks):
        """One step from the input part ``z_input`` and the previous ``h, c``."""
        if recurrent_masks is None:
            z = z_input + ops.conv(h, self.recurrent_kernel, padding="same")
        else:
            z = z_input + ops.concatenate(
                [ops.conv(h * m, k, padding="same") for m, k in
                 zip(recurrent_masks, self._gate_slices(self.recurrent_kernel))], axis=-1)
        f = self.filters
        i = self.recurrent_activation(z[..., :f])
        forget = self.recurrent_activation(z[..., f:2 * f])
        c = forget * c + i * self.activation(z[..., 2 * f:3 * f])
        o = self.recurrent_activation(z[..., 3 * f:])
        return o * self.activation(c), c

    def get_config(self) -> dict:
        return {"filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding,
                "dilation_rate": self.dilation_rate, "unit_forget_bias": self.unit_forget_bias,
                **gate_options_config(self)}


class ConvLSTM(Layer):
    """A convolutional LSTM over ``rank``-D frames (the base of ConvLSTM1D/2D/3D).

    Args:
        filters: the number of output channels (and of state channels).
        kernel_size, strides, padding (``'valid'`` or ``'same'``), dilation_rate: the input
            convolution's, as in ``Conv{rank}D``; the recurrent one is ``'same'``, stride 1.
        data_format: ``'channels_last'`` (default) ``(batch, steps, *spatial, channels)``
            or ``'channels_first'`` ``(batch, steps, channels, *spatial)``.
        activation, recurrent_activation, use_bias, *_initializer, unit_forget_bias,
            *_regularizer, *_constraint, dropout, recurrent_dropout, seed: as ``LSTM``'s.
            Dropout draws Keras's four masks per gate, for the inputs and for the state.
        return_sequences, return_state, go_backwards, stateful: as ``LSTM``'s.
        unroll: accepted for Keras compatibility; the loop is never unrolled.

    Call arguments: ``inputs``, ``initial_state`` (``[h, c]``, each shaped like one output
    frame), ``mask`` (``(batch, steps)``, False at padding steps: the state is kept there),
    ``training``.
    """

    rank = 2

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 activity_regularizer=None, **kwargs):
        cell_kwargs = {k: kwargs.pop(k) for k in _CELL_ARGS if k in kwargs}
        super().__init__(**kwargs)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        who = f"{type(self).__name__} '{self.name}'"
        self.cell = ConvLSTMCell(self.rank, filters, kernel_size, strides, padding,
                                 dilation_rate, owner=who, name="conv_lstm_cell",
                                 dtype=self.dtype, **cell_kwargs)
        self.data_format = standardize_data_format(who, data_format)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.supports_masking = True
        self.states = None
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def __getattr__(self, name):  # Keras's layer exposes its cell's arguments and weights
        cell = self.__dict__.get("cell")
        if cell is not None and name in _CELL_ATTRIBUTES:
            return getattr(cell, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # -- shapes ------------------------------------------------------------------------
    def _frame_shape(self, shape) -> tuple:
        """``(*spatial, channels)`` of one input frame, channels last."""
        frame = tuple(shape[2:])
        return frame[1:] + frame[:1] if self.data_format == "channels_first" else frame

    def _state_shape(self, shape) -> tuple:
        """One output frame, channels last, without the batch."""
        cell, frame = self.cell, self._frame_shape(shape)
        spatial = tuple(conv_output_length(s, k, cell.padding, st, d) for s, k, st, d in
                        zip(frame[:-1], cell.kernel_size, cell.strides, cell.dilation_rate))
        return spatial + (cell.filters,)

    def _as_format(self, frame: tuple) -> tuple:
        return frame[-1:] + frame[:-1] if self.data_format == "channels_first" else frame

    def build(self, input_shape, initial_state_shape=None) -> None:
        shape = tuple(input_shape)
        frame = self._frame_shape(shape)
        if any(s is None for s in frame):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the frame size and channels must be "
                f"known. Received input shape {shape_str(shape)}.")
        state = self._state_shape(shape)
        if any(s < 1 for s in state):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the kernel does not fit the frames "
                f"{frame[:-1]} with padding={self.cell.padding!r}. Received input shape "
                f"{shape_str(shape)}.")
        if self.stateful and shape[0] is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': stateful=True needs a fixed batch size; "
                f"the input shape is {shape_str(shape)}. Give the input one (batch_size=).")
        self.cell.build(frame[-1])
        self.input_spec = InputSpec(ndim=self.rank + 3,
                                    axes={i + 2: s for i, s in enumerate(shape[2:])})
        if self.stateful:
            self.states = [np.zeros((shape[0],) + state, self.dtype) for _ in range(2)]

    def compute_output_shape(self, input_shape, initial_state_shape=None):
        shape = tuple(input_shape)
        frame = self._as_format(self._state_shape(shape))
        out = (shape[0], shape[1]) + frame if self.return_sequences else (shape[0],) + frame
        return (out, (shape[0],) + frame, (shape[0],) + frame) if self.return_state else out

    def compute_mask(self, inputs, mask=None):
        out = mask if self.return_sequences else None
        return [out, None, None] if self.return_state else out

    # -- states ------------------------------------------------------------------------
    def reset_states(self, states=None) -> None:
        """Zero a stateful layer's ``[h, c]``, or set them to ``states``."""
        if not self.stateful:
            raise AttributeError(
                f"{type(self).__name__} '{self.name}': reset_states() applies to a stateful "
                "layer only. To fix, create the layer with stateful=True.")
        if self.states is None:
            return
        given = [np.zeros_like(s) for s in self.states] if states is None else [
            np.asarray(s, self.dtype) for s in states]
        if [g.shape for g in given] != [s.shape for s in self.states]:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': reset_states expected 2 arrays of "
                f"shape {self.states[0].shape}. Received: {[g.shape for g in given]}")
        self.states = given

    reset_state = reset_states

    def _initial(self, x, initial_state, batch: int, state_shape: tuple) -> list:
        if initial_state is None:
            if self.stateful:
                if self.states[0].shape[0] != batch:
                    raise ValueError(
                        f"{type(self).__name__} '{self.name}': a stateful layer keeps states "
                        f"for batches of {self.states[0].shape[0]}, got a batch of {batch}.")
                return [Tensor(s) for s in self.states]
            return [Tensor(np.zeros((batch,) + state_shape, x.dtype)) for _ in range(2)]
        given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [
            initial_state]
        expected = (batch,) + self._as_format(state_shape)
        states = [self._convert_inputs(s) for s in given]
        if len(states) != 2 or any(s.shape != expected for s in states):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': `initial_state` must be [h, c], each of "
                f"shape {expected}. Received: {[tuple(s.shape) for s in states]}")
        return [self._to_last(s) for s in states]

    def _to_last(self, x):
        if self.data_format == "channels_last":
            return x
        return ops.transpose(x, (0, *range(2, x.ndim), 1))

    def _to_format(self, x, first_spatial: int):
        if self.data_format == "channels_last":
            return x
        return ops.transpose(x, (*range(first_spatial), x.ndim - 1,
                                 *range(first_spatial, x.ndim - 1)))

    # -- the forward pass --------------------------------------------------------------
    def call(self, inputs, initial_state=None, mask=None, training=False):
        x = inputs
        batch, steps = x.shape[0], x.shape[1]
        if self.data_format == "channels_first":  # (N, T, C, *S) -> (N, T, *S, C)
            x = ops.transpose(x, (0, 1, *range(3, x.ndim), 2))
        state_shape = self._state_shape(inputs.shape)
        h, c = self._initial(x, initial_state, batch, state_shape)
        cell = self.cell
        frames = ops.reshape(x, (batch * steps,) + tuple(x.shape[2:]))
        input_masks = recurrent_masks = None
        if training:
            input_masks = cell.masks(np.empty(x.shape[:1] + x.shape[2:], x.dtype),
                                     cell.dropout)
            if input_masks is not None:  # the same mask for every step of a sample
                input_masks = [np.repeat(m, steps, axis=0) for m in input_masks]
            recurrent_masks = cell.masks(np.empty((batch,) + state_shape, x.dtype),
                                         cell.recurrent_dropout)
        z = ops.reshape(cell.input_transform(frames, input_masks),
                        (batch, steps) + state_shape[:-1] + (4 * cell.filters,))
        keep = None if mask is None else np.asarray(
            mask.data if isinstance(mask, Tensor) else mask, bool)
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs = []
        for t in order:
            h_new, c_new = cell.step(z[:, t], h, c, recurrent_masks)
            if keep is not None:  # padding steps keep the state (and repeat the output)
                k = keep[:, t].reshape((batch,) + (1,) * len(state_shape))
                h_new, c_new = ops.where(k, h_new, h), ops.where(k, c_new, c)
            h, c = h_new, c_new
            if self.return_sequences:
                outputs.append(h)
        if self.stateful:
            self.states = [np.array(h.data), np.array(c.data)]
        output = ops.stack(outputs, axis=1) if self.return_sequences else h
        output = self._to_format(output, 2 if self.return_sequences else 1)
        if self.return_state:
            return [output, self._to_format(h, 1), self._to_format(c, 1)]
        return output

    def get_config(self) -> dict:
        return {**super().get_config(), **self.cell.get_config(),
                "data_format": self.data_format, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "stateful": self.stateful, "unroll": self.unroll,
                "activity_regularizer": serialize_regularizer(self.activity_regularizer)}


class ConvLSTM1D(ConvLSTM):
    """A convolutional LSTM over sequences of 1-D frames ``(batch, steps, length, channels)``.

    See :class:`ConvLSTM` for the arguments.

    >>> ConvLSTM1D(2, 3)(np.zeros((1, 4, 5, 3), np.float32)).shape
    (1, 3, 2)
    """

    rank = 1


class ConvLSTM2D(ConvLSTM):
    """A convolutional LSTM over sequences of images ``(batch, steps, rows, cols, channels)``.

    See :class:`ConvLSTM` for the arguments.

    >>> ConvLSTM2D(2, 3, return_sequences=True)(np.zeros((1, 4, 5, 5, 3), np.float32)).shape
    (1, 4, 3, 3, 2)
    """

    rank = 2


class ConvLSTM3D(ConvLSTM):
    """A convolutional LSTM over sequences of volumes ``(batch, steps, d1, d2, d3, channels)``.

    See :class:`ConvLSTM` for the arguments.

    >>> ConvLSTM3D(2, 3)(np.zeros((1, 2, 4, 4, 4, 1), np.float32)).shape
    (1, 2, 2, 2, 2)
    """

    rank = 3
