"""Model inputs: ``dg.Input(shape)`` and the InputLayer behind it.

>>> import deepgrad as dg
>>> x = dg.Input(shape=(28, 28, 1), name="image")
>>> x.shape, x.name
((None, 28, 28, 1), 'image')
"""

from __future__ import annotations

import numpy as np

from deepgrad import config
from deepgrad.layers.base import Layer
from deepgrad.layers.keras_tensor import KerasTensor, Node, dtype_name

__all__ = ["Input", "InputLayer"]


class InputLayer(Layer):
    """The layer that stands for a model's input; it passes data through unchanged.

    Args:
        shape: shape of one sample, without the batch axis.
        batch_size: optional fixed batch size.
        dtype: input dtype (default float32).
        batch_shape: full shape including the batch axis (instead of ``shape``).
        name: the input's name.

    >>> InputLayer(shape=(4,)).batch_shape
    (None, 4)
    """

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        batch_shape=None,
        name: str | None = None,
        **kwargs,
    ):
        kwargs.pop("input_shape", None)
        dtype = dtype_name(dtype or config.floatx())
        # Keras's 'string' inputs (for TextVectorization, StringLookup) are NumPy str arrays.
        super().__init__(name=name, dtype=None if dtype == "string" else dtype, **kwargs)
        self.dtype = dtype
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input: give `shape` (without the batch axis) or `batch_shape`.")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            _check_dims(self.name, "shape", shape)
            _check_dims(self.name, "batch_size", (batch_size,))
            batch_shape = (batch_size,) + shape
        else:
            batch_shape = tuple(batch_shape)
            _check_dims(self.name, "batch_shape", batch_shape)
        self.batch_shape = tuple(batch_shape)
        self.built = True
        node = Node(self, (), (), {})
        node.outputs = KerasTensor(self.batch_shape, self.dtype, name=self.name, history=(node, 0))

    @property
    def _accepts_strings(self) -> bool:
        return self.dtype == "string"

    def _convert_inputs(self, inputs):
        if self.dtype != "string":
            return super()._convert_inputs(inputs)
        from deepgrad.tensor import Tensor

        array = np.asarray(inputs.data if isinstance(inputs, Tensor) else inputs)
        if array.dtype.kind not in "USO":
            raise TypeError(
                f"Input '{self.name}': expects strings (dtype='string'), got dtype "
                f"{array.dtype} with shape {array.shape}."
            )
        return Tensor(array)

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "name": self.name}


def _check_dims(name: str, argument: str, dims: tuple) -> None:
    """Each dimension an int >= 0 or None (Keras refuses negative ones too)."""
    for dim in dims:
        if dim is None:
            continue
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 0:
            value = dims[0] if argument == "batch_size" else dims
            raise ValueError(
                f"Input '{name}': `{argument}` must hold ints >= 0 or None (None for a size "
                f"that varies). Received: {argument}={value!r}"
            )


def Input(
    shape=None,
    batch_size: int | None = None,
    dtype=None,
    name: str | None = None,
    batch_shape=None,
    **kwargs,
) -> KerasTensor:
    """Create a symbolic model input (a :class:`KerasTensor`).

    Args:
        shape: shape of one sample, without the batch axis, e.g. ``(28, 28, 1)``.
        batch_size: optional fixed batch size.
        dtype: the input dtype (default float32; ``'int64'`` for token ids, ``'string'``
            for text).
        name: optional name (used for dict inputs).
        batch_shape: full shape including the batch axis (instead of ``shape``).

    >>> Input(shape=(3,)).shape
    (None, 3)
    """
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        batch_shape=batch_shape,
        name=name,
        **kwargs,
    )
    return layer.output
