"""``Hashing``: Keras 3's layer that sends strings or integers to ``num_bins`` buckets.

Without a salt it is TensorFlow's ``to_hash_bucket_fast``: FarmHash ``Fingerprint64`` of
the value's UTF-8 bytes (integers as their decimal text, floats truncated to integers
first) modulo the number of bins, from ``deepgrad.layers.lookup_hash``. With a salt it is
``to_hash_bucket_strong``: SipHash-2-4 keyed by the two salt words. Either way a value
lands in the same bucket as in Keras.

>>> import deepgrad as dg
>>> dg.layers.Hashing(num_bins=3)(np.array([["A"], ["B"], ["C"], ["D"]])).data.ravel()
array([1, 0, 1, 1])
>>> siphash24(b"", 0x0706050403020100, 0x0F0E0D0C0B0A0908) == 0x726FDB47DD0E0E31
True
"""

from __future__ import annotations

import numpy as np

from deepgrad.layers.base import Layer
from deepgrad.layers.categorical import (
    check_output_mode,
    check_sparse,
    encode_categorical,
    encoded_shape,
)
from deepgrad.layers.lookup_hash import fingerprint64
from deepgrad.tensor import Tensor

__all__ = ["Hashing", "siphash24"]

_MASK = (1 << 64) - 1


def _rotate(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK


def _sip_rounds(v: list[int], count: int) -> None:
    for _ in range(count):
        v[0] = (v[0] + v[1]) & _MASK
        v[1] = _rotate(v[1], 13) ^ v[0]
        v[0] = _rotate(v[0], 32)
        v[2] = (v[2] + v[3]) & _MASK
        v[3] = _rotate(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & _MASK
        v[3] = _rotate(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & _MASK
        v[1] = _rotate(v[1], 17) ^ v[2]
        v[2] = _rotate(v[2], 32)


def siphash24(data: bytes, key0: int, key1: int) -> int:
    """SipHash-2-4 of ``data`` under the 128-bit key ``(key0, key1)`` (Aumasson and
    Bernstein's reference; TensorFlow's ``StrongKeyedHash``), an unsigned 64-bit int."""
    v = [key0 ^ 0x736F6D6570736575, key1 ^ 0x646F72616E646F6D,
         key0 ^ 0x6C7967656E657261, key1 ^ 0x7465646279746573]
    whole = len(data) - len(data) % 8
    words = [int.from_bytes(data[i:i + 8], "little") for i in range(0, whole, 8)]
    words.append(int.from_bytes(data[whole:], "little") | ((len(data) & 0xFF) << 56))
    for word in words:
        v[3] ^= word
        _sip_rounds(v, 2)
        v[0] ^= word
    v[2] ^= 0xFF
    _sip_rounds(v, 4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def _as_bytes(value) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return str(int(value)).encode()


class Hashing(Layer):
    """Hash strings or integers into ``num_bins`` buckets (Keras 3's ``Hashing``).

    Args:
        num_bins: the number of buckets (with ``mask_value``, bucket 0 is the mask's).
        mask_value: a value sent to bucket 0, the others to ``1 .. num_bins - 1``.
        salt: an int or a pair of ints: use the keyed SipHash instead of FarmHash.
        output_mode: ``'int'`` (bucket ids, int64), or ``'one_hot'``, ``'multi_hot'``,
            ``'count'`` (vectors of ``num_bins``, the layer's float type).
        sparse: False only.

    Input: strings, integers or floats (truncated toward zero, as Keras casts them).

    >>> Hashing(num_bins=3, mask_value="")(np.array(["", "a"])).data
    array([0, 2])
    """

    _accepts_strings = True
    _casts_integer_inputs = False

    def __init__(self, num_bins: int, mask_value=None, salt=None, output_mode: str = "int",
                 sparse: bool = False, **kwargs):
        who = "Hashing"
        output_mode = check_output_mode(who, output_mode)
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else None
        super().__init__(**kwargs)
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(f"{who}: with output_mode='int', `dtype` must be 'int32' or "
                             f"'int64'. Received: dtype={self.dtype!r}")
        if isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)) or (
                num_bins <= 0):
            raise ValueError(f"{who}: `num_bins` must be a positive int. Received: "
                             f"num_bins={num_bins!r}")
        check_sparse(who, sparse)
        if salt is not None:
            if isinstance(salt, (int, np.integer)) and not isinstance(salt, bool):
                salt = [int(salt), int(salt)]
            elif isinstance(salt, (list, tuple)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            else:
                raise ValueError(f"{who}: `salt` must be an int or a pair of ints. "
                                 f"Received: salt={salt!r}")
        self.num_bins, self.mask_value, self.salt = int(num_bins), mask_value, salt
        self.strong_hash = salt is not None
        self.output_mode, self.sparse = output_mode, False

    def _hash(self, value: bytes) -> int:
        if self.salt is None:
            return fingerprint64(value)
        return siphash24(value, self.salt[0] & ((1 << 64) - 1), self.salt[1] & ((1 << 64) - 1))

    def _bins(self, values: np.ndarray) -> np.ndarray:
        bins = self.num_bins
        masked = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            masked = values == self.mask_value
        flat = values.reshape(-1)
        if values.dtype.kind == "f":
            flat = flat.astype(np.int64)
        out = np.fromiter((self._hash(_as_bytes(v)) % bins for v in flat.tolist()),
                          np.int64, flat.size).reshape(values.shape)
        if masked is not None:
            out = np.where(masked, 0, out + 1)
        return out

    def call(self, inputs):
        values = np.asarray(inputs.data if isinstance(inputs, Tensor) else inputs)
        if self.output_mode == "one_hot" and values.ndim > 0 and values.shape[-1] == 1:
            values = values[..., 0]
        bins = self._bins(values)
        if self.output_mode == "int":
            return Tensor(bins.astype(self.dtype))
        return Tensor(encode_categorical(bins, self.num_bins, self.output_mode, self.dtype))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return encoded_shape(input_shape, self.num_bins, self.output_mode)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": self.sparse}
