"""FarmHash Fingerprint64, the hash Keras's lookup layers use to spread OOV tokens over buckets.

``StringLookup(num_oov_indices=n)`` sends an out-of-vocabulary string to bucket
``Fingerprint64(utf8 bytes) % n`` (TensorFlow's ``tf.strings.to_hash_bucket_fast``),
and ``IntegerLookup(oov_method='farmhash')`` does the same with the integer's decimal
text. This is Geoff Pike's FarmHash ``farmhashna::Hash64`` (the function behind
``Fingerprint64``) written out on Python integers, so deepgrad sends each OOV token to
the same bucket as Keras does.

>>> fingerprint64(b"")
11160318154034397263
>>> hash_buckets(["x", "w"], 2)
array([0, 1])
"""

from __future__ import annotations

import numpy as np

__all__ = ["fingerprint64", "hash_buckets"]

_MASK = (1 << 64) - 1
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F


def _rotate(value: int, shift: int) -> int:
    return ((value >> shift) | (value << (64 - shift))) & _MASK


def _shift_mix(value: int) -> int:
    return value ^ (value >> 47)


def _fetch64(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 8], "little")


def _fetch32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def _hash16(u: int, v: int, mul: int) -> int:
    a = ((u ^ v) * mul) & _MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _hash_0_to_16(s: bytes, n: int) -> int:
    if n >= 8:
        mul = _K2 + n * 2
        a = (_fetch64(s, 0) + _K2) & _MASK
        b = _fetch64(s, n - 8)
        c = (_rotate(b, 37) * mul + a) & _MASK
        d = ((_rotate(a, 25) + b) * mul) & _MASK
        return _hash16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        return _hash16((n + (_fetch32(s, 0) << 3)) & _MASK, _fetch32(s, n - 4), mul)
    if n > 0:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _hash_17_to_32(s: bytes, n: int) -> int:
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K1) & _MASK
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _MASK
    d = (_fetch64(s, n - 16) * _K2) & _MASK
    return _hash16(
        (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK,
        (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK,
        mul,
    )


def _hash_33_to_64(s: bytes, n: int) -> int:
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K2) & _MASK
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _MASK
    d = (_fetch64(s, n - 16) * _K2) & _MASK
    y = (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK
    z = _hash16(y, (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK, mul)
    e = (_fetch64(s, 16) * mul) & _MASK
    f = _fetch64(s, 24)
    g = ((y + _fetch64(s, n - 32)) * mul) & _MASK
    h = ((z + _fetch64(s, n - 24)) * mul) & _MASK
    return _hash16(
        (_rotate((e + f) & _MASK, 43) + _rotate(g, 30) + h) & _MASK,
        (e + _rotate((f + a) & _MASK, 18) + g) & _MASK,
        mul,
    )


def _weak_32(s: bytes, at: int, a: int, b: int) -> tuple[int, int]:
    w, x, y, z = (_fetch64(s, at + 8 * i) for i in range(4))
    a = (a + w) & _MASK
    b = _rotate((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rotate(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def fingerprint64(data: bytes) -> int:
    """FarmHash's ``Fingerprint64`` of ``data``, an unsigned 64-bit integer.

    >>> fingerprint64(b"hello") == fingerprint64(b"hello") != fingerprint64(b"hellp")
    True
    """
    s, n = bytes(data), len(data)
    if n <= 16:
        return _hash_0_to_16(s, n)
    if n <= 32:
        return _hash_17_to_32(s, n)
    if n <= 64:
        return _hash_33_to_64(s, n)
    # Longer inputs: 64-byte blocks through a 56-byte state, then the last 64 bytes.
    x = 81
    y = (81 * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v0 = v1 = w0 = w1 = 0
    x = (x * _K2 + _fetch64(s, 0)) & _MASK
    end = ((n - 1) // 64) * 64
    for at in range(0, end, 64):
        x = (_rotate((x + y + v0 + _fetch64(s, at + 8)) & _MASK, 37) * _K1) & _MASK
        y = (_rotate((y + v1 + _fetch64(s, at + 48)) & _MASK, 42) * _K1) & _MASK
        x ^= w1
        y = (y + v0 + _fetch64(s, at + 40)) & _MASK
        z = (_rotate((z + w0) & _MASK, 33) * _K1) & _MASK
        v0, v1 = _weak_32(s, at, (v1 * _K1) & _MASK, (x + w0) & _MASK)
        w0, w1 = _weak_32(s, at + 32, (z + w1) & _MASK, (y + _fetch64(s, at + 16)) & _MASK)
        z, x = x, z
    mul = _K1 + ((z & 0xFF) << 1)
    at = n - 64
    w0 = (w0 + ((n - 1) & 63)) & _MASK
    v0 = (v0 + w0) & _MASK
    w0 = (w0 + v0) & _MASK
    x = (_rotate((x + y + v0 + _fetch64(s, at + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rotate((y + v1 + _fetch64(s, at + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w1 * 9) & _MASK
    y = (y + v0 * 9 + _fetch64(s, at + 40)) & _MASK
    z = (_rotate((z + w0) & _MASK, 33) * mul) & _MASK
    v0, v1 = _weak_32(s, at, (v1 * mul) & _MASK, (x + w0) & _MASK)
    w0, w1 = _weak_32(s, at + 32, (z + w1) & _MASK, (y + _fetch64(s, at + 16)) & _MASK)
    z, x = x, z
    return _hash16(
        (_hash16(v0, w0, mul) + _shift_mix(y) * _K0 + z) & _MASK,
        (_hash16(v1, w1, mul) + x) & _MASK,
        mul,
    )


def hash_buckets(tokens, num_buckets: int, encoding: str = "utf-8") -> np.ndarray:
    """Each token's bucket, ``fingerprint64(token) % num_buckets`` (int64), as TensorFlow.

    Strings are hashed as their ``encoding`` bytes; integers as their decimal text.

    >>> hash_buckets([b"zzz", 12], 3).dtype
    dtype('int64')
    """
    out = np.empty(len(tokens), np.int64)
    for i, token in enumerate(tokens):
        if isinstance(token, str):
            token = token.encode(encoding)
        elif not isinstance(token, bytes):
            token = str(int(token)).encode()
        out[i] = fingerprint64(token) % num_buckets
    return out
