"""TensorFlow's ``tf.strings`` functions that Keras text examples call, on arrays of text.

keras.io's text classification examples standardize text with ``tf.strings.lower`` and
``tf.strings.regex_replace`` inside a ``TextVectorization(standardize=...)`` function;
with ``import deepgrad as tf`` those lines run as ``dg.strings.lower``... Each function
takes a string, bytes, a list or an array of them (or a Tensor holding one) and returns
a NumPy array of the same shape and kind (``str`` in, ``str`` out; ``bytes`` in, ``bytes``
out), as TensorFlow returns a string tensor. As TensorFlow's, ``lower`` and ``upper``
change the ASCII letters only, and patterns are regular expressions (Python's ``re``,
where TensorFlow uses RE2: the same for the usual classes and escapes).

>>> import re, string
>>> import deepgrad as tf
>>> text = tf.strings.lower(["A <br />Film, GREAT!"])
>>> tf.strings.regex_replace(text, f"[{re.escape(string.punctuation)}]", "")
array(['a br film great'], dtype='<U15')
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from deepgrad.tensor import Tensor

__all__ = ["lower", "upper", "strip", "regex_replace", "length"]


def _map(values, fn: Callable[[str], object], keep_kind: bool = True) -> np.ndarray:
    """``fn`` on each text of ``values`` (bytes decoded as UTF-8 and encoded back)."""
    array = np.asarray(values.data if isinstance(values, Tensor) else values)
    if array.dtype.kind not in "USO":
        raise TypeError(
            f"tf.strings: expected text (str or bytes), got dtype {array.dtype}. Received: "
            f"{values!r}"
        )

    def each(item):
        if isinstance(item, bytes):
            out = fn(item.decode("utf-8"))
            return out.encode("utf-8") if keep_kind and isinstance(out, str) else out
        return fn(str(item))

    flat = [each(item) for item in array.ravel().tolist()]
    if not keep_kind:
        return np.array(flat).reshape(array.shape)
    if array.dtype.kind == "O":
        out = np.empty(array.shape, dtype=object)
        out.ravel()[:] = flat
        return out
    return np.array(flat, dtype=str if array.dtype.kind == "U" else bytes).reshape(array.shape)


def _ascii(text: str, change: Callable[[bytes], bytes]) -> str:
    return change(text.encode("utf-8")).decode("utf-8")


def lower(input, encoding: str = "", name=None) -> np.ndarray:  # noqa: A002 (TF's name)
    """Lower-case the ASCII letters (``tf.strings.lower``; other letters stay).

    >>> lower(["Hello ÉTÉ"])
    array(['hello ÉtÉ'], dtype='<U9')
    """
    return _map(input, lambda t: _ascii(t, bytes.lower) if not encoding else t.lower())


def upper(input, encoding: str = "", name=None) -> np.ndarray:  # noqa: A002
    """Upper-case the ASCII letters (``tf.strings.upper``).

    >>> upper("abc")
    array('ABC', dtype='<U3')
    """
    return _map(input, lambda t: _ascii(t, bytes.upper) if not encoding else t.upper())


def strip(input, name=None) -> np.ndarray:  # noqa: A002
    """Remove leading and trailing whitespace (``tf.strings.strip``).

    >>> strip([" a b  "])
    array(['a b'], dtype='<U3')
    """
    return _map(input, str.strip)


def regex_replace(input, pattern: str, rewrite: str, replace_global: bool = True,  # noqa: A002
                  name=None) -> np.ndarray:
    """Replace the matches of ``pattern`` by ``rewrite`` (``tf.strings.regex_replace``;
    ``\\1`` in ``rewrite`` is the first group; only the first match unless
    ``replace_global``).

    >>> regex_replace(["a1b22"], r"\\d+", "#"), regex_replace(["a1b22"], r"\\d", "#", False)
    (array(['a#b#'], dtype='<U4'), array(['a#b22'], dtype='<U5'))
    """
    if isinstance(pattern, bytes):
        pattern = pattern.decode("utf-8")
    if isinstance(rewrite, bytes):
        rewrite = rewrite.decode("utf-8")
    compiled = re.compile(pattern)
    count = 0 if replace_global else 1
    return _map(input, lambda t: compiled.sub(rewrite, t, count=count))


def length(input, unit: str = "BYTE", name=None) -> np.ndarray:  # noqa: A002
    """Each text's length in bytes (``unit='BYTE'``, TensorFlow's default) or in
    characters (``unit='UTF8_CHAR'``), as int32.

    >>> length(["é", "ab"]), length(["é", "ab"], unit="UTF8_CHAR")
    (array([2, 2], dtype=int32), array([1, 2], dtype=int32))
    """
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(
            f"tf.strings.length: `unit` must be 'BYTE' or 'UTF8_CHAR'. Received: unit={unit!r}"
        )
    size = len if unit == "UTF8_CHAR" else (lambda t: len(t.encode("utf-8")))
    return _map(input, size, keep_kind=False).astype(np.int32)
