"""Embedding (integer ids to dense vectors) and Masking (skip steps equal to a value).

Both make a mask for the layers after them, as Keras does: ``Embedding(mask_zero=True)``
marks id 0 as padding, ``Masking(mask_value)`` marks steps whose features all equal
``mask_value``. Recurrent layers then leave their state unchanged at those steps.

>>> import deepgrad as dg
>>> layer = dg.layers.Embedding(1000, 64)
>>> layer(np.random.default_rng(0).integers(1000, size=(32, 10))).shape
(32, 10, 64)
>>> Embedding(10, 2, mask_zero=True).compute_mask(np.array([[3, 1, 0, 0]])).tolist()
[[True, True, False, False]]
"""

from __future__ import annotations

import warnings

import numpy as np

from deepgrad import constraints, initializers, ops, regularizers
from deepgrad.layers.base import Layer, shape_str
from deepgrad.layers.core import positive_int, serialize_regularizer
from deepgrad.ops.embedding import embedding_lookup
from deepgrad.tensor import Tensor

__all__ = ["Embedding", "Masking"]


def _array(x) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


class Embedding(Layer):
    """Turn non-negative integer ids into dense vectors: row ``id`` of ``embeddings``.

    Args:
        input_dim: size of the vocabulary (largest id + 1).
        output_dim: size of each vector.
        embeddings_initializer: default ``'uniform'`` (Keras's: uniform in [-0.05, 0.05]).
        embeddings_regularizer: optional regularizer of the whole table.
        embeddings_constraint: optional callable applied after each update.
        mask_zero: id 0 is padding: the layer gives a mask that is False there, and the
            recurrent layers, pooling layers and losses after it skip those steps. Id 0 is
            then not a word: ``input_dim`` must be the vocabulary size + 1.
        weights: optional initial table ``(input_dim, output_dim)``.
        input_length: Keras 2's argument, accepted with Keras 3's deprecation warning.

    Input shape: integer ids ``(batch, ...)`` (floats holding integers are accepted).
    Output shape: ``(batch, ..., output_dim)``. Weight: ``embeddings (input_dim,
    output_dim)``. The gradient reaches only the rows that were looked up.

    With ``mask_zero=True`` deepgrad warns once (Keras does not) when a 0 sits between
    other ids of a sequence: padding comes before or after the words, so a 0 inside a
    sequence is most likely a word id 0, whose steps would be skipped.

    >>> Embedding(5, 3).compute_output_shape((None, 7))
    (None, 7, 3)
    """

    _casts_integer_inputs = False

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero: bool = False,
        weights=None,
        **kwargs,
    ):
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.",
                          UserWarning, stacklevel=2)
        super().__init__(**kwargs)
        self.input_dim = positive_int(self, "input_dim", input_dim)
        self.output_dim = positive_int(self, "output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._warned_inner_zero = False
        if weights is not None:
            self.build(None)
            self.built = True
            self.set_weights(weights if isinstance(weights, list) else [weights])

    def build(self, input_shape) -> None:
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            name="embeddings",
        )

    def _ids(self, inputs) -> np.ndarray:
        ids = _array(inputs)
        if ids.dtype.kind == "f":
            as_int = ids.astype(np.int64)
            if not np.array_equal(as_int, ids):
                raise ValueError(
                    f"Embedding '{self.name}': expected integer ids, got non-integer values "
                    f"(for example {ids[as_int != ids].ravel()[0]}) in an input of shape "
                    f"{shape_str(ids.shape)}."
                )
            ids = as_int
        elif ids.dtype.kind not in "iub":
            raise TypeError(
                f"Embedding '{self.name}': expected integer ids, got an array of dtype "
                f"{ids.dtype}. Strings must first become ids: put a TextVectorization or "
                "StringLookup layer before the Embedding."
            )
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            raise ValueError(
                f"Embedding '{self.name}': ids must be in [0, input_dim={self.input_dim}). "
                f"Received ids from {ids.min()} to {ids.max()}. To fix, raise input_dim to "
                "the vocabulary size (+1 with mask_zero=True)."
            )
        return ids

    def call(self, inputs) -> Tensor:
        ids = self._ids(inputs)
        if self.mask_zero and not self._warned_inner_zero:
            self._check_inner_zeros(ids)
        return embedding_lookup(ids, self.embeddings)

    def _check_inner_zeros(self, ids: np.ndarray) -> None:
        if ids.ndim < 2:
            return
        word = ids != 0
        after_first = np.logical_or.accumulate(word, axis=-1)
        before_last = np.logical_or.accumulate(word[..., ::-1], axis=-1)[..., ::-1]
        inner = after_first & before_last & ~word
        if inner.any():
            self._warned_inner_zero = True
            where = tuple(int(i) for i in np.argwhere(inner)[0])
            warnings.warn(
                f"Embedding '{self.name}': mask_zero=True treats id 0 as padding, but 0 "
                f"occurs between other ids (first at index {where} of an input of shape "
                f"{shape_str(ids.shape)}); those steps are skipped. If 0 is a word there, "
                "shift the word ids up by 1 (TextVectorization keeps 0 for padding) or pass "
                "mask_zero=False.",
                UserWarning,
                stacklevel=3,
            )

    def compute_mask(self, inputs, mask=None):
        """``ids != 0`` with ``mask_zero=True``, else None."""
        if not self.mask_zero:
            return None
        return _array(inputs) != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": serialize_regularizer(self.embeddings_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        }


class Masking(Layer):
    """Mark the steps whose features all equal ``mask_value`` as padding, and zero them.

    Args:
        mask_value: the padding value (default 0.0).

    Input and output shape: ``(batch, steps, features)``.

    >>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], np.float32)
    >>> Masking().compute_mask(x).tolist()
    [[True, False, True]]
    """

    def __init__(self, mask_value: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return np.any(_array(inputs) != self.mask_value, axis=-1)

    def call(self, inputs) -> Tensor:
        keep = np.any(inputs.data != self.mask_value, axis=-1, keepdims=True)
        return ops.where(keep, inputs, 0.0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
