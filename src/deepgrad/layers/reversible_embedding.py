"""``ReversibleEmbedding``: an Embedding that can also map vectors back to vocabulary
logits (Keras 3's layer, as language models tie their input and output embeddings).

>>> import deepgrad as dg
>>> embed = dg.layers.ReversibleEmbedding(10, 4)
>>> vectors = embed(np.array([[1, 2, 3]]))
>>> vectors.shape, embed(vectors, reverse=True).shape
((1, 3, 4), (1, 3, 10))
"""

from __future__ import annotations

import numpy as np

from deepgrad import ops
from deepgrad.layers.embedding import Embedding
from deepgrad.tensor import Tensor

__all__ = ["ReversibleEmbedding"]


class ReversibleEmbedding(Embedding):
    """An Embedding whose ``reverse=True`` call turns vectors into logits over the ids.

    Forward: ids to vectors, as :class:`Embedding`. Reverse: ``x @ embeddings.T`` with
    ``tie_weights=True`` (one matrix both ways), else ``x @ reverse_embeddings`` (a
    separate ``(output_dim, input_dim)`` weight); ``logit_soft_cap=c`` then applies
    ``c * tanh(logits / c)``.

    Args:
        input_dim: the vocabulary size.
        output_dim: the vector size.
        tie_weights: reuse the embeddings for the reverse projection.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint, mask_zero:
            as :class:`Embedding`.
        reverse_dtype: a dtype to compute the reverse projection in (its output dtype).
        logit_soft_cap: None, or a positive number capping the logits smoothly.

    Call arguments:
        inputs: ids ``(...)``, or vectors ``(..., output_dim)`` with ``reverse=True``.
        reverse: whether to map vectors to logits ``(..., input_dim)``.

    >>> tied = ReversibleEmbedding(5, 2, embeddings_initializer="ones", logit_soft_cap=3.0)
    >>> _ = tied(np.array([0]))
    >>> logits = tied(np.ones((1, 2), "float32"), reverse=True).data
    >>> logits.shape, round(float(logits[0, 0]), 4)  # 3 * tanh(2 / 3)
    ((1, 5), 1.7483)
    """

    def __init__(self, input_dim: int, output_dim: int, tie_weights: bool = True,
                 embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero: bool = False, reverse_dtype=None,
                 logit_soft_cap: float | None = None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        if logit_soft_cap is not None and (isinstance(logit_soft_cap, bool) or not isinstance(
                logit_soft_cap, (int, float, np.integer, np.floating)) or logit_soft_cap <= 0):
            raise ValueError(
                f"ReversibleEmbedding '{self.name}': `logit_soft_cap` must be None or a "
                f"positive number. Received: logit_soft_cap={logit_soft_cap!r}"
            )
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = None if reverse_dtype is None else str(np.dtype(reverse_dtype))
        self.logit_soft_cap = None if logit_soft_cap is None else float(logit_soft_cap)
        self._reversing = False

    def build(self, input_shape=None) -> None:
        super().build(input_shape)
        self.reverse_embeddings = None
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                (self.output_dim, self.input_dim), self.embeddings_initializer,
                name="reverse_embeddings")

    def __call__(self, inputs, *args, reverse: bool = False, **kwargs):
        # A symbolic call's output shape depends on the direction (compute_output_shape
        # gets shapes only), so the direction is noted for the call's duration.
        self._reversing = bool(reverse)
        try:
            return super().__call__(inputs, *args, reverse=bool(reverse), **kwargs)
        finally:
            self._reversing = False

    def call(self, inputs, reverse: bool = False) -> Tensor:
        if not reverse:
            return super().call(inputs)
        kernel = ops.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs, kernel = ops.cast(inputs, self.reverse_dtype), ops.cast(kernel,
                                                                            self.reverse_dtype)
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.multiply(ops.tanh(ops.multiply(logits, 1.0 / cap)), cap)
        return logits

    def compute_mask(self, inputs, mask=None):
        return None if self._reversing else super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape):
        if self._reversing:
            return tuple(input_shape[:-1]) + (self.input_dim,)
        return super().compute_output_shape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "tie_weights": self.tie_weights,
                "reverse_dtype": self.reverse_dtype, "logit_soft_cap": self.logit_soft_cap}

