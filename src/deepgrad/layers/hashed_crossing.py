"""``HashedCrossing``: Keras 3's layer that hashes the combination of two or more
categorical features into ``num_bins`` buckets (feature crosses).

It is TensorFlow's ``tf.sparse.cross_hashed``, which Keras calls: starting from the key
``0xDECAFCAFFE``, each feature's hash (FarmHash ``Fingerprint64`` of a string's UTF-8
bytes, an integer as its own 64-bit value) is folded in with ``FingerprintCat64``; the
result modulo ``num_bins`` is the bucket. So a crossed value lands in Keras's bucket.

>>> import deepgrad as dg
>>> cross = dg.layers.HashedCrossing(num_bins=1000)
>>> cross((np.array(["A", "B", "C"]), np.array([101, 102, 103]))).data.tolist()
[891, 576, 703]
"""

from __future__ import annotations

import numpy as np

from deepgrad.layers.base import Layer
from deepgrad.layers.categorical import check_output_mode, check_sparse, encode_categorical
from deepgrad.layers.lookup_hash import fingerprint64
from deepgrad.tensor import Tensor

__all__ = ["HashedCrossing", "fingerprint_cat64"]

_MASK = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995
_CROSS_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default hash key


def _shift_mix(value: int) -> int:
    return value ^ (value >> 47)


def fingerprint_cat64(fp1: int, fp2: int) -> int:
    """TensorFlow's ``FingerprintCat64``: two 64-bit fingerprints combined into one.

    >>> hex(fingerprint_cat64(0, 0))
    '0x5825f5f3bd962979'
    """
    result = fp1 ^ _MUL
    result ^= (_shift_mix((fp2 * _MUL) & _MASK) * _MUL) & _MASK
    result = (result * _MUL) & _MASK
    result = (_shift_mix(result) * _MUL) & _MASK
    return _shift_mix(result)


def _feature_hash(value) -> int:
    if isinstance(value, (str, bytes)):
        return fingerprint64(value.encode("utf-8") if isinstance(value, str) else value)
    return int(value) & _MASK


class HashedCrossing(Layer):
    """Cross categorical features by hashing each combination into ``num_bins`` buckets.

    Args:
        num_bins: the number of buckets (> 0).
        output_mode: ``'int'`` (bucket ids, int64) or ``'one_hot'`` (float32 vectors).
        sparse: must be False (deepgrad has no sparse tensors).

    Input: a list or tuple of at least two arrays of equal shape ``()``, ``(batch,)`` or
    ``(batch, 1)``, of strings or integers.
    Output: bucket ids of the same shape, or one-hot vectors ``(..., num_bins)``.

    Raises:
        ValueError: fewer than two inputs, inputs of other shapes, a bad ``num_bins``
            or ``output_mode``.

    >>> HashedCrossing(5, output_mode="one_hot")((np.array(["A"]), np.array([101]))).shape
    (1, 5)
    """

    _accepts_strings = True

    def __init__(self, num_bins: int, output_mode: str = "int", sparse: bool = False,
                 name: str | None = None, dtype=None, **kwargs):
        who = "HashedCrossing"
        self.output_mode = check_output_mode(who, output_mode, ("int", "one_hot"))
        if dtype is None:
            dtype = "int64" if self.output_mode == "int" else "float32"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)) or (
                num_bins <= 0):
            raise ValueError(f"{who}: `num_bins` must be a positive int. Received: "
                             f"num_bins={num_bins!r}")
        check_sparse(who, sparse)
        self.num_bins, self.sparse = int(num_bins), False

    def _check(self, inputs) -> list[np.ndarray]:
        who = f"HashedCrossing '{self.name}'"
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"{who}: expected a list or tuple of at least two inputs. "
                             f"Received: inputs={inputs!r}")
        arrays = [np.asarray(x.data if isinstance(x, Tensor) else x) for x in inputs]
        shape = arrays[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1) or any(
                a.shape != shape for a in arrays):
            raise ValueError(f"{who}: every input must have the same shape (), (batch,) or "
                             f"(batch, 1). Received shapes: {[a.shape for a in arrays]}")
        return arrays

    def call(self, inputs):
        arrays = self._check(inputs)
        columns = [a.reshape(-1).tolist() for a in arrays]
        buckets = []
        for values in zip(*columns, strict=True):
            crossed = _CROSS_KEY
            for value in values:
                crossed = fingerprint_cat64(crossed, _feature_hash(value))
            buckets.append(crossed % self.num_bins)
        ids = np.array(buckets, np.int64).reshape(arrays[0].shape)
        if self.output_mode == "int":
            return Tensor(ids.astype(self.dtype))
        return Tensor(encode_categorical(ids, self.num_bins, "one_hot", self.dtype))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[0])
        if self.output_mode == "int":
            return shape
        return (shape[:-1] if len(shape) == 2 else shape) + (self.num_bins,)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "num_bins": self.num_bins,
                "output_mode": self.output_mode, "sparse": False}
