"""Categorical preprocessing: ``CategoryEncoding`` (ids to one-hot, multi-hot or count
vectors) and ``Discretization`` (numbers to bucket ids), Keras 3's layers.

Both compute in NumPy on their inputs' values; their outputs are new tensors (ids and
counts have no gradient). ``encode_categorical`` is the encoder they and ``Hashing``
share, with Keras's shape rules: ``'one_hot'`` adds an axis (a trailing axis of size 1 is
replaced), ``'multi_hot'`` and ``'count'`` reduce the last axis (a 1-D input is one
sample).

>>> import deepgrad as dg
>>> dg.layers.CategoryEncoding(4, output_mode="count")(np.array([[0, 1, 1], [3, 3, 0]])).data
array([[1., 2., 0., 0.],
       [1., 0., 0., 2.]], dtype=float32)
>>> dg.layers.Discretization(bin_boundaries=[0.0, 1.0])(np.array([[-0.5, 0.5, 1.5]])).data
array([[0, 1, 2]], dtype=int32)
"""

from __future__ import annotations

import numpy as np

from deepgrad.layers.base import Layer, shape_str
from deepgrad.layers.index_lookup import iter_batches
from deepgrad.tensor import Tensor

__all__ = ["CategoryEncoding", "Discretization", "encode_categorical", "ENCODINGS"]

ENCODINGS = ("one_hot", "multi_hot", "count")


def _array(inputs) -> np.ndarray:
    return np.asarray(inputs.data if isinstance(inputs, Tensor) else inputs)


def check_output_mode(who: str, output_mode: str, allowed=("int",) + ENCODINGS) -> str:
    """``output_mode`` (``'binary'`` read as ``'multi_hot'``) or a ValueError naming ``who``.

    >>> check_output_mode("CategoryEncoding", "binary")
    'multi_hot'
    """
    output_mode = "multi_hot" if output_mode == "binary" else output_mode
    if output_mode not in allowed:
        raise ValueError(
            f"{who}: `output_mode` must be one of {', '.join(map(repr, allowed))}. "
            f"Received: output_mode={output_mode!r}"
        )
    return output_mode


def check_sparse(who: str, sparse) -> None:
    """deepgrad has no sparse tensors: ``sparse=True`` is refused, naming ``who``."""
    if sparse:
        raise ValueError(
            f"{who}: sparse=True is not supported: deepgrad has no sparse tensors (Keras "
            "supports it only with the TensorFlow backend). Received: sparse=True"
        )


def encode_categorical(ids: np.ndarray, depth: int, output_mode: str, dtype,
                       count_weights: np.ndarray | None = None) -> np.ndarray:
    """One-hot, multi-hot or count vectors of ``depth`` from integer ``ids`` (Keras's rules).

    Raises:
        ValueError: for ids outside ``[0, depth)`` (the message says which ones).

    >>> encode_categorical(np.array([[2], [0]]), 3, "one_hot", "float32")
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    ids = np.asarray(ids)
    if ids.ndim == 0:
        ids = ids[None]
    bad = (ids < 0) | (ids >= depth)
    if bad.any():
        raise ValueError(
            f"expected ids in [0, {depth}), got {sorted(set(ids[bad].tolist()))[:10]}. To fix, "
            f"raise `num_tokens` (or `num_bins`) to more than the largest id, or map the ids "
            "first (IntegerLookup)."
        )
    if output_mode == "one_hot":
        if ids.ndim > 1 and ids.shape[-1] == 1:
            ids = ids[..., 0]
        return np.eye(depth, dtype=dtype)[ids]
    lead = ids.shape[:-1]
    samples = int(np.prod(lead))
    rows = np.repeat(np.arange(samples), ids.shape[-1])
    out = np.zeros((samples, depth), dtype)
    flat = ids.reshape(-1)
    if output_mode == "multi_hot":
        out[rows, flat] = 1
    else:
        weights = 1 if count_weights is None else np.asarray(count_weights).reshape(-1)
        np.add.at(out, (rows, flat), weights)
    return out.reshape(lead + (depth,))


def encoded_shape(input_shape, depth: int, output_mode: str) -> tuple:
    """The output shape of :func:`encode_categorical` for ``input_shape``."""
    shape = tuple(input_shape)
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            shape = shape[:-1]
        return shape + (depth,)
    return shape[:-1] + (depth,)


class CategoryEncoding(Layer):
    """Encode integer ids in ``[0, num_tokens)`` as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the number of ids (the output's last dimension).
        output_mode: ``'multi_hot'`` (default; ``'binary'`` is an alias): 1 for each id
            present in a sample's last axis; ``'count'``: how often each appears;
            ``'one_hot'``: one vector per id.
        sparse: False only (deepgrad has no sparse tensors).

    Call arguments:
        inputs: integer ids.
        count_weights: with ``'count'``, a weight per id (same shape as the inputs)
            summed in place of 1.

    An id outside ``[0, num_tokens)`` raises a ValueError (Keras with TensorFlow gives
    zeros for ids too large and fails on negative ones).

    >>> CategoryEncoding(3, output_mode="one_hot")(np.array([2, 0])).data
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """

    _casts_integer_inputs = False

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot",
                 sparse: bool = False, **kwargs):
        super().__init__(**kwargs)
        who = "CategoryEncoding"
        self.output_mode = check_output_mode(who, output_mode, ENCODINGS)
        if num_tokens is None:
            raise ValueError(
                f"{who}: `num_tokens` must be set. If the number of ids is not known "
                "beforehand, use IntegerLookup instead."
            )
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, (int, np.integer)) or (
                num_tokens < 1):
            raise ValueError(f"{who}: `num_tokens` must be >= 1. Received: num_tokens="
                             f"{num_tokens!r}")
        check_sparse(who, sparse)
        self.num_tokens, self.sparse = int(num_tokens), False

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(
                f"CategoryEncoding '{self.name}': `count_weights` is only used with "
                f"output_mode='count'. Received: output_mode={self.output_mode!r}"
            )
        ids = _array(inputs)
        if ids.dtype.kind not in "iub":
            if ids.dtype.kind != "f" or np.any(ids != np.round(ids)):
                raise TypeError(
                    f"CategoryEncoding '{self.name}': expected integer ids, got values of "
                    f"dtype {ids.dtype} (shape {shape_str(ids.shape)})."
                )
            ids = ids.astype(np.int64)
        weights = None if count_weights is None else _array(count_weights).astype(self.dtype)
        try:
            return Tensor(encode_categorical(ids, self.num_tokens, self.output_mode,
                                             self.dtype, weights))
        except ValueError as error:
            raise ValueError(f"CategoryEncoding '{self.name}': {error}") from None

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.num_tokens, self.output_mode)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode, "sparse": self.sparse}


# -- Discretization's quantile summary ------------------------------------------------------
# adapt keeps a summary: sorted values with the weight (count) each stands for. A batch is
# summarised by every step-th sorted value (about 1 / epsilon of them), merged with the
# running summary and compressed back to about 1 / epsilon points by interpolating the
# cumulative weights; the bin boundaries are the summary compressed to num_bins points.
# These are Keras's steps, in Keras's float32, so deepgrad learns the same boundaries.
def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    values = np.sort(values.reshape(-1))
    step = max(values.size * epsilon, 1)
    picked = values[int(step - 1)::int(step)]
    return np.stack([picked, np.ones_like(picked) * step])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    fractions = cumulative / cumulative[-1]
    points = np.interp(percents, fractions, summary[0])
    cumulative = np.interp(percents, fractions, cumulative)
    weights = np.diff(cumulative, prepend=0.0)
    return np.stack([points, weights]).astype("float32")


class Discretization(Layer):
    """Bucket numbers by ``bin_boundaries``: id ``i`` for ``boundaries[i-1] <= x <
    boundaries[i]`` (0 below the first, ``len(boundaries)`` from the last on).

    Args:
        bin_boundaries: the sorted boundaries, or None to learn them with :meth:`adapt`.
        num_bins: with ``adapt``, the number of buckets (quantiles of the data).
        epsilon: the quantile summary's precision (about ``1 / epsilon`` points).
        output_mode: ``'int'`` (ids, int32 as in Keras), or ``'one_hot'``,
            ``'multi_hot'``, ``'count'`` (vectors of ``len(boundaries) + 1``).
        sparse: False only.

    >>> layer = Discretization(num_bins=2)
    >>> layer.adapt(np.arange(10.0))
    >>> layer.bin_boundaries
    [4.0]
    """

    def __init__(self, bin_boundaries=None, num_bins: int | None = None,
                 epsilon: float = 0.01, output_mode: str = "int", sparse: bool = False,
                 dtype=None, name: str | None = None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)
        who = "Discretization"
        self.output_mode = check_output_mode(who, output_mode)
        check_sparse(who, sparse)
        if num_bins is not None and (isinstance(num_bins, bool) or not isinstance(
                num_bins, (int, np.integer)) or num_bins < 0):
            raise ValueError(f"{who}: `num_bins` must be an int >= 0. Received: "
                             f"num_bins={num_bins!r}")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                f"{who}: set either `num_bins` (and adapt) or `bin_boundaries`, not both. "
                f"Received: num_bins={num_bins}, bin_boundaries={bin_boundaries}"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{who}: set either `num_bins` (and adapt) or `bin_boundaries`.")
        if bin_boundaries is not None:
            bin_boundaries = [float(b) for b in np.asarray(bin_boundaries).reshape(-1)]
            if any(b > a for b, a in zip(bin_boundaries, bin_boundaries[1:])):
                raise ValueError(f"{who}: `bin_boundaries` must be sorted. Received: "
                                 f"{bin_boundaries}")
        self.bin_boundaries = bin_boundaries
        self.num_bins = None if num_bins is None else int(num_bins)
        self.epsilon = float(epsilon)
        self.sparse = False
        self.reset_state()

    # -- adapt ----------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps: int | None = None) -> None:
        """Learn ``num_bins`` quantile boundaries from ``data`` (an array, a
        ``dg.data.Dataset`` or an iterable of batches; ``steps`` limits the batches)."""
        if self.num_bins is None:
            raise ValueError(
                f"Discretization '{self.name}': cannot adapt a layer created with "
                "`bin_boundaries`; create it with `num_bins` instead."
            )
        self.reset_state()
        for batch in iter_batches(data, steps, f"Discretization '{self.name}'"):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data) -> None:
        """Add one batch to the quantile summary."""
        summary = _summarize(np.asarray(_array(data), dtype="float32"), self.epsilon)
        merged = np.concatenate([summary, self._summary], axis=1)
        self._summary = _compress(merged[:, np.argsort(merged[0])], self.epsilon)

    def finalize_state(self) -> None:
        """Set ``bin_boundaries`` from the summary."""
        if self.num_bins is not None:
            self.bin_boundaries = _compress(self._summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self) -> None:
        """Forget the summary gathered by :meth:`update_state`."""
        self._summary = np.zeros((2, 0), "float32")

    # -- calling --------------------------------------------------------------------------
    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                f"Discretization '{self.name}': no bin boundaries yet. Pass "
                "`bin_boundaries` or call adapt(data) before using the layer."
            )
        # In the layer's float type, boundaries included, as TensorFlow's Bucketize
        # compares float32 values with float32 boundaries.
        values = _array(inputs).astype(self.dtype)
        ids = np.digitize(values, np.asarray(self.bin_boundaries, self.dtype)).astype(np.int32)
        if self.output_mode == "int":
            return Tensor(ids)
        return Tensor(encode_categorical(ids, len(self.bin_boundaries) + 1, self.output_mode,
                                         self.dtype))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else (
            self.num_bins)
        return encoded_shape(input_shape, depth, self.output_mode)

    def get_config(self) -> dict:
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries,
                "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse}

    @classmethod
    def from_config(cls, config_dict: dict) -> Discretization:
        """Keras's rule: an adapted layer's config has both ``num_bins`` and
        ``bin_boundaries``; the boundaries are set after construction."""
        config_dict = dict(config_dict)
        boundaries = config_dict.pop("bin_boundaries", None)
        if config_dict.get("num_bins") is None:
            return cls(bin_boundaries=boundaries, **config_dict)
        layer = cls(**config_dict)
        layer.bin_boundaries = boundaries
        return layer
