"""Layers around other layers: ``Bidirectional`` (a recurrent layer run both ways) and
``TimeDistributed`` (one layer applied to every step of a sequence).

>>> import deepgrad as dg
>>> x = np.ones((32, 5, 10), np.float32)
>>> dg.layers.Bidirectional(dg.layers.LSTM(10, return_sequences=True))(x).shape
(32, 5, 20)
>>> dg.layers.TimeDistributed(dg.layers.Dense(8))(x).shape
(32, 5, 8)
"""

from __future__ import annotations

from deepgrad import ops
from deepgrad.layers.base import Layer, shape_str
from deepgrad.layers.nested import deserialize_sublayer, serialize_sublayer
from deepgrad.ops import recurrent as rnn_ops

__all__ = ["Bidirectional", "TimeDistributed"]

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _copy(layer: Layer, **changes) -> Layer:
    """A new layer with ``layer``'s config (and fresh weights), as Keras's wrappers make."""
    spec = serialize_sublayer(layer)
    spec.pop("build_config", None)
    spec["config"] = {**spec["config"], **changes}
    return deserialize_sublayer(spec)


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy of it backwards, and merge the outputs.

    Args:
        layer: a recurrent layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN``). Like Keras,
            the wrapper builds two new layers from its config (fresh weights), named
            ``forward_<name>`` and ``backward_<name>``.
        merge_mode: ``'concat'`` (default), ``'sum'``, ``'mul'``, ``'ave'``, or None (a list
            of both outputs).
        weights: optional initial weights, forward layer's then backward layer's.
        backward_layer: optional layer for the backward direction (it must have
            ``go_backwards=True`` and the same ``return_sequences``, ``return_state`` and
            ``stateful`` as ``layer``).

    Call arguments: as the wrapped layer; ``initial_state`` holds the forward layer's
    states, then the backward layer's. With ``return_sequences=True`` the backward
    outputs are flipped back into the input's order before merging, and masked steps
    give zeros (both directions).

    Weights: the forward layer's, then the backward layer's.

    >>> layer = Bidirectional(dg.layers.LSTM(4), merge_mode="sum")
    >>> layer(np.ones((2, 3, 5), np.float32)).shape
    (2, 4)
    >>> [w.shape for w in layer.get_weights()]
    [(5, 16), (4, 16), (16,), (5, 16), (4, 16), (16,)]
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Bidirectional: `layer` must be a recurrent layer instance such as "
                f"dg.layers.LSTM(32). Received: {layer!r}"
            )
        for attr in ("go_backwards", "return_sequences", "return_state"):
            if not hasattr(layer, attr):
                raise ValueError(
                    f"Bidirectional: `layer` must be a recurrent layer (with `{attr}`), such "
                    f"as LSTM or GRU. Received: {type(layer).__name__} '{layer.name}'"
                )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise TypeError(
                f"Bidirectional: `backward_layer` must be a layer instance. "
                f"Received: {backward_layer!r}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                "Bidirectional: `merge_mode` must be one of 'concat', 'sum', 'mul', 'ave' or "
                f"None. Received: merge_mode={merge_mode!r}"
            )
        super().__init__(**kwargs)
        forward_name = f"forward_{_strip(layer.name, 'forward_')}"
        self.forward_layer = _copy(layer, name=forward_name)
        if backward_layer is None:
            self.backward_layer = _copy(
                layer, name=f"backward_{_strip(layer.name, 'backward_')}", go_backwards=True
            )
        else:
            self.backward_layer = backward_layer
        self._check_pair()
        for direction in (self.forward_layer, self.backward_layer):
            if hasattr(direction, "zero_output_for_mask"):
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.stateful = getattr(layer, "stateful", False)
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self._initial_weights = weights

    def _check_pair(self) -> None:
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "Bidirectional: the forward and backward layers must have different "
                f"`go_backwards` values. Received: forward_layer.go_backwards="
                f"{forward.go_backwards}, backward_layer.go_backwards={backward.go_backwards}"
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            a, b = getattr(forward, attr, None), getattr(backward, attr, None)
            if a != b:
                raise ValueError(
                    f"Bidirectional: the forward and backward layers must have the same "
                    f"`{attr}`. Received: {a} for the forward layer and {b} for the backward "
                    "layer."
                )

    @property
    def states(self):
        forward, backward = self.forward_layer.states, self.backward_layer.states
        if forward and backward:
            return list(forward) + list(backward)
        return None

    def reset_states(self, states=None) -> None:
        """Reset both directions' states (stateful layers only)."""
        if not self.stateful:
            raise AttributeError(
                f"Bidirectional '{self.name}': reset_states() applies to a stateful layer "
                "only. To fix, wrap a layer created with stateful=True."
            )
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    reset_state = reset_states

    def build(self, sequences_shape, initial_state_shape=None) -> None:
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction.build(tuple(sequences_shape))
                direction._build_shapes = tuple(sequences_shape)
                direction.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _check_shape(self, shape) -> None:
        self.forward_layer._check_shape(shape)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        states = ()
        if self.return_state:
            shape, states = shape[0], tuple(shape[1:])
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (shape[-1] * 2,)
        outputs = (shape, shape) if self.merge_mode is None else (shape,)
        if self.return_state:
            return outputs + states + states
        return outputs if self.merge_mode is None else shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            count = len(self.forward_layer.state_size)
            return masks + [None] * (2 * count)
        return masks if self.merge_mode is None else output_mask

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        both = self._both_at_once(sequences, forward_state, backward_state, mask, training)
        if both is not None:
            y, y_rev = both
        else:
            y = self.forward_layer(sequences, initial_state=forward_state, mask=mask,
                                   training=training)
            y_rev = self.backward_layer(sequences, initial_state=backward_state, mask=mask,
                                        training=training)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.getitem(y_rev, (slice(None), slice(None, None, -1)))
        if self.merge_mode == "concat":
            output = [ops.concatenate([y, y_rev], axis=-1)]
        elif self.merge_mode == "sum":
            output = [y + y_rev]
        elif self.merge_mode == "ave":
            output = [(y + y_rev) * 0.5]
        elif self.merge_mode == "mul":
            output = [y * y_rev]
        else:
            output = [y, y_rev]
        if self.return_state or self.merge_mode is None:
            return output + states
        return output[0]

    def _both_at_once(self, sequences, forward_state, backward_state, mask, training):
        """Both directions as one op (``ops.recurrent.bidirectional``: their loops run side
        by side), where both are built-in recurrent layers of one kind that fuse; else None.
        """
        forward, backward = self.forward_layer, self.backward_layer
        if not all(hasattr(layer, "fused_op") and layer.activity_regularizer is None
                   for layer in (forward, backward)):
            return None
        ops_f = forward.fused_op(sequences, forward_state, mask, training)
        ops_b = backward.fused_op(sequences, backward_state, mask, training)
        if ops_f is None or ops_b is None or ops_f[0] != ops_b[0]:
            return None
        outputs = rnn_ops.bidirectional(ops_f[0], ops_f[1], ops_b[1])
        half = len(outputs) // 2
        return (forward._finish(outputs[0], outputs[1:half]),
                backward._finish(outputs[half], outputs[half + 1 :]))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_sublayer(self.forward_layer),
            "backward_layer": serialize_sublayer(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config_dict: dict):
        config_dict = dict(config_dict)
        config_dict["layer"] = deserialize_sublayer(config_dict["layer"])
        if config_dict.get("backward_layer") is not None:
            config_dict["backward_layer"] = deserialize_sublayer(config_dict["backward_layer"])
        return cls(**config_dict)


class TimeDistributed(Layer):
    """Apply a layer to every step of a sequence: ``(batch, steps, ...)`` in and out.

    Args:
        layer: the layer to apply (its weights are shared by all steps).

    The steps go through the layer as one batch of ``batch * steps`` samples (Keras calls
    it once per step): the numbers are the same for layers that treat samples one by one
    (Dense, Conv2D...); a BatchNormalization inside sees the statistics of all steps at
    once in training, where Keras's sees each step's batch alone.

    >>> TimeDistributed(dg.layers.Dense(3)).compute_output_shape((None, 10, 4))
    (None, 10, 3)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(
                f"TimeDistributed: `layer` must be a layer instance such as "
                f"dg.layers.Dense(8). Received: {layer!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _child_shape(self, shape) -> tuple:
        if len(shape) < 3:
            raise ValueError(
                f"TimeDistributed '{self.name}': expected an input with at least 3 "
                f"dimensions (batch, steps, ...). Received: shape {shape_str(shape)}"
            )
        batch, steps = shape[0], shape[1]
        merged = None if batch is None or steps is None else batch * steps
        return (merged,) + tuple(shape[2:])

    def build(self, input_shape) -> None:
        child = self._child_shape(tuple(input_shape))
        if not self.layer.built:
            self.layer.build(child)
            self.layer._build_shapes = child
            self.layer.built = True

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_shape(tuple(input_shape)))
        return (input_shape[0], input_shape[1]) + tuple(child[1:])

    def call(self, inputs, training=None, mask=None):
        batch, steps = inputs.shape[:2]
        self._child_shape(inputs.shape)
        merged = ops.reshape(inputs, (batch * steps,) + tuple(inputs.shape[2:]))
        out = self.layer(merged, training=training)
        return ops.reshape(out, (batch, steps) + tuple(out.shape[1:]))

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize_sublayer(self.layer)}

    @classmethod
    def from_config(cls, config_dict: dict):
        config_dict = dict(config_dict)
        config_dict["layer"] = deserialize_sublayer(config_dict["layer"])
        return cls(**config_dict)
