"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector.

>>> import deepgrad as dg
>>> Flatten()(np.zeros((2, 3, 4), dtype="float32")).shape
(2, 12)
"""

from __future__ import annotations

import math

from deepgrad import ops
from deepgrad.layers.base import InputSpec, Layer, shape_str
from deepgrad.layers.core import positive_int
from deepgrad.layers.data_format import standardize_data_format, to_channels_last

__all__ = ["Flatten", "Reshape", "Permute", "RepeatVector"]


class Flatten(Layer):
    """Flatten each sample to one axis: ``(batch, d1, d2, ...) -> (batch, d1*d2*...)``.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``: the channels
            are moved last before flattening (one transpose), as Keras does, so that the
            features come in the same order in both layouts.

    >>> Flatten().compute_output_shape((None, 7, 7, 64))
    (None, 3136)
    """

    _casts_integer_inputs = False  # it only moves values: integers stay integers,
    _keeps_input_dtype = True  # as in Keras

    def __init__(self, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format("Flatten", data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = to_channels_last(inputs)
        # The size spelled out, not -1: NumPy cannot infer it for an empty batch.
        return ops.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if any(s is None for s in rest) else math.prod(rest))

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (one entry may be -1).

    Args:
        target_shape: the new shape of one sample, without the batch axis.

    >>> Reshape((3, 4)).compute_output_shape((None, 12))
    (None, 3, 4)
    """

    _casts_integer_inputs = False  # it only moves values: integers stay integers,
    _keeps_input_dtype = True  # as in Keras

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(s) for s in target_shape)
        if sum(s == -1 for s in self.target_shape) > 1 or any(
            s == 0 or s < -1 for s in self.target_shape
        ):
            raise ValueError(
                f"Reshape: `target_shape` must be positive ints with at most one -1. "
                f"Received: target_shape={self.target_shape}"
            )

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if any(s is None for s in rest):
            return (input_shape[0],) + tuple(None if s == -1 else s for s in self.target_shape)
        size = math.prod(rest)
        known = math.prod(s for s in self.target_shape if s != -1)
        if -1 in self.target_shape:
            if size % known:
                self._fail(input_shape)
            return (input_shape[0],) + tuple(
                size // known if s == -1 else s for s in self.target_shape
            )
        if known != size:
            self._fail(input_shape)
        return (input_shape[0],) + self.target_shape

    def _fail(self, input_shape):
        raise ValueError(
            f"Reshape '{self.name}': cannot reshape input of shape {shape_str(input_shape)} "
            f"({math.prod(input_shape[1:])} values per sample) to {shape_str(self.target_shape)}."
        )

    def build(self, input_shape) -> None:
        self.compute_output_shape(input_shape)

    def call(self, inputs):
        shape = self.compute_output_shape(inputs.shape)
        return ops.reshape(inputs, (inputs.shape[0],) + shape[1:])

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Permute(Layer):
    """Permute the non-batch axes; ``dims`` is 1-based as in Keras.

    >>> Permute((2, 1)).compute_output_shape((None, 3, 5))
    (None, 5, 3)
    """

    _casts_integer_inputs = False  # it only moves values: integers stay integers,
    _keeps_input_dtype = True  # as in Keras

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"Permute: `dims` must be a permutation of 1..{len(self.dims)}. "
                f"Received: {self.dims}"
            )

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """Repeat a ``(batch, features)`` input ``n`` times: ``(batch, n, features)``.

    >>> RepeatVector(3).compute_output_shape((None, 4))
    (None, 3, 4)
    """

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        self.n = positive_int(self, "n", n)
        self.input_spec = InputSpec(ndim=2)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}
