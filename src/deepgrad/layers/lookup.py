"""StringLookup and IntegerLookup: map strings or integers to vocabulary indices, as Keras.

Both share :class:`~deepgrad.layers.index_lookup.IndexLookup` (vocabulary, ``adapt``,
the ``'int'``, ``'one_hot'``, ``'multi_hot'``, ``'count'`` and ``'tf_idf'`` outputs,
``invert``). They differ in their tokens and in how out-of-vocabulary tokens are
spread over several OOV indices: StringLookup hashes the UTF-8 bytes with FarmHash
(TensorFlow's ``to_hash_bucket_fast``), IntegerLookup takes ``token % num_oov_indices``
(Keras's default ``oov_method='floormod'``) or hashes the decimal text (``'farmhash'``).

>>> import deepgrad as dg
>>> layer = dg.layers.StringLookup(vocabulary=["a", "b", "c", "d"])
>>> layer(np.array([["a", "c", "d"], ["d", "z", "b"]])).data
array([[1, 3, 4],
       [4, 0, 2]])
"""

from __future__ import annotations

import numpy as np

from deepgrad.layers.index_lookup import IndexLookup, LookupTable, _who
from deepgrad.layers.lookup_hash import hash_buckets

__all__ = ["StringLookup", "IntegerLookup"]


class StringLookup(IndexLookup):
    """Map strings to integer indices from a vocabulary (given, or learned by ``adapt``).

    Index 0 is the mask token when ``mask_token`` is set (``'int'`` mode), then come
    ``num_oov_indices`` indices for out-of-vocabulary strings (``'[UNK]'``), then the
    vocabulary in order. ``adapt`` orders the vocabulary by frequency, ties broken by
    the string, larger first, exactly as Keras.

    Args:
        max_tokens: the largest vocabulary size, special tokens included (None: no cap).
        num_oov_indices: indices for unknown strings; with several, each string goes
            to ``FarmHash64(utf8) % num_oov_indices`` as in Keras; with 0, an unknown
            string is an error.
        mask_token: the string meaning "no token" (index 0 in ``'int'`` mode, dropped
            in the other modes), or None.
        oov_token: the string ``get_vocabulary()`` and ``invert`` show for OOV indices.
        vocabulary: a list or 1-D array of strings, or a text file with one per line.
        idf_weights: with ``output_mode='tf_idf'`` and a ``vocabulary``, one weight per term.
        invert: map indices back to strings.
        output_mode: ``'int'`` (indices), ``'one_hot'``, ``'multi_hot'``, ``'count'`` or
            ``'tf_idf'`` (vectors of vocabulary size, the last input axis being a sample).
        pad_to_max_tokens: in the vector modes, make the vectors ``max_tokens`` long.
        sparse: only False (deepgrad has no sparse tensors).
        encoding: the text encoding of byte-string inputs.

    Input: strings of any shape (``'int'``), or ``(batch, tokens)`` for the vector modes.
    Output: int64 indices of the same shape, or float vectors ``(batch, vocabulary size)``.
    Unlike Keras with TensorFlow, the vector modes return floats (``floatx``), the dtype
    Keras declares for them, not int64.

    Raises:
        ValueError: a bad argument, a vocabulary with repeats or misplaced special
            tokens, or an unknown string when ``num_oov_indices=0``.
        TypeError: non-string inputs.

    >>> layer = StringLookup(vocabulary=["a", "b"], output_mode="multi_hot")
    >>> layer(np.array([["a", "a"], ["b", "z"]])).data
    array([[0., 1., 0.],
           [1., 0., 1.]], dtype=float32)
    >>> StringLookup(vocabulary=["a", "b"], invert=True)(np.array([2, 0])).data
    array(['b', '[UNK]'], dtype='<U5')
    """

    vocabulary_dtype = "string"
    _accepts_strings = True

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary=None,
        idf_weights=None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        salt=None,
        **kwargs,
    ):
        kwargs.pop("vocabulary_dtype", None)
        oov_method = kwargs.pop("oov_method", "floormod")
        self.encoding = encoding
        self.oov_method = oov_method
        self.salt = _check_salt(type(self).__name__, salt)
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            name=name,
            **kwargs,
        )
        self._bytes_table: dict | None = None

    def _tokens_of(self, array: np.ndarray) -> list:
        kind = array.dtype.kind
        if kind == "U":
            return array.ravel().tolist()
        if kind in "SO":
            encoding = self.encoding
            tokens = [
                t.decode(encoding) if isinstance(t, bytes) else t for t in array.ravel().tolist()
            ]
            if kind == "S" or all(isinstance(t, str) for t in tokens):
                return tokens
        raise TypeError(
            f"{_who(self)}: expected string inputs, got dtype {array.dtype} (shape "
            f"{array.shape}). To fix, pass strings, or use IntegerLookup for integer ids."
        )

    def _standardize_tokens(self, tokens: list) -> list:
        out = [t.decode(self.encoding) if isinstance(t, bytes) else t for t in tokens]
        bad = [t for t in out if not isinstance(t, str)]
        if bad:
            raise TypeError(
                f"{_who(self)}: the vocabulary must hold strings. Received: {bad[:5]!r}"
            )
        return out

    def _as_key(self, token):
        return token.encode(self.encoding) if isinstance(token, str) else token

    def _keys_to_tokens(self, keys: list) -> list:
        encoding = self.encoding
        return [k.decode(encoding) if isinstance(k, bytes) else k for k in keys]

    def _oov_buckets(self, tokens: list) -> np.ndarray:
        return hash_buckets(tokens, self.num_oov_indices, self.encoding)

    def _vocabulary_changed(self) -> None:
        self._bytes_table = None

    def bytes_table(self) -> LookupTable:
        """The lookup table keyed by encoded bytes (TextVectorization's tokens); unknown
        tokens give -1."""
        if self._bytes_table is None:
            encoding = self.encoding
            self._bytes_table = LookupTable(
                ((k.encode(encoding) if isinstance(k, str) else k), v)
                for k, v in self._table.items()
            )
        return self._bytes_table

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "oov_method": self.oov_method,
            "salt": self.salt,
            "encoding": self.encoding,
        }


class IntegerLookup(IndexLookup):
    """Map integers (ids, categories) to contiguous indices from a vocabulary.

    Index 0 is ``mask_token`` when set (``'int'`` mode), then ``num_oov_indices``
    indices for unknown integers (``oov_token``, -1, stands for them in the
    vocabulary), then the vocabulary in order. ``adapt`` orders by frequency, ties
    broken by the larger integer first, as Keras.

    Args:
        max_tokens, num_oov_indices, vocabulary, idf_weights, invert, output_mode,
            pad_to_max_tokens, sparse: as in :class:`StringLookup`.
        mask_token: the integer meaning "no token" (often 0), or None.
        oov_token: the integer shown for OOV indices (default -1).
        vocabulary_dtype: only ``'int64'``.
        oov_method: with several OOV indices, ``'floormod'`` (``token % n``) or
            ``'farmhash'`` (FarmHash64 of the decimal text), as Keras.
        salt: not supported (Keras's salted SipHash).

    Input: integers of any shape. Output: as :class:`StringLookup`.

    Raises:
        ValueError: a bad argument or vocabulary; TypeError: non-integer inputs.

    >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
    >>> layer(np.array([[12, 1138], [42, 7]])).data
    array([[1, 3],
           [4, 0]])
    >>> layer = IntegerLookup()
    >>> layer.adapt([3, 3, 1, 2, 2, 5, 7])
    >>> layer.get_vocabulary()
    [-1, 3, 2, 7, 5, 1]
    """

    vocabulary_dtype = "int64"

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary=None,
        vocabulary_dtype: str = "int64",
        idf_weights=None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt=None,
        name: str | None = None,
        **kwargs,
    ):
        if vocabulary_dtype != "int64":
            raise ValueError(
                "IntegerLookup: only vocabulary_dtype='int64' is supported. "
                f"Received: vocabulary_dtype={vocabulary_dtype!r}"
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                "IntegerLookup: `oov_method` must be 'floormod' or 'farmhash'. "
                f"Received: oov_method={oov_method!r}"
            )
        self.oov_method = oov_method
        self.salt = _check_salt(type(self).__name__, salt)
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=None if mask_token is None else int(mask_token),
            oov_token=None if oov_token is None else int(oov_token),
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            name=name,
            **kwargs,
        )

    def _tokens_of(self, array: np.ndarray) -> list:
        if array.dtype.kind not in "iub":
            raise TypeError(
                f"{_who(self)}: expected integer inputs, got dtype {array.dtype} (shape "
                f"{array.shape}). To fix, cast to int (x.astype('int64')), or use "
                "StringLookup for strings."
            )
        return array.astype(np.int64, copy=False).ravel().tolist()

    def _standardize_tokens(self, tokens: list) -> list:
        bad = [t for t in tokens if isinstance(t, bool) or not isinstance(t, (int, np.integer))]
        if bad:
            raise TypeError(
                f"{_who(self)}: the vocabulary must hold integers. Received: {bad[:5]!r}"
            )
        return [int(t) for t in tokens]

    def _oov_buckets(self, tokens: list) -> np.ndarray:
        if self.oov_method == "farmhash":
            return hash_buckets(tokens, self.num_oov_indices)
        return np.mod(np.asarray(tokens, np.int64), self.num_oov_indices)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "vocabulary_dtype": "int64",
            "oov_method": self.oov_method,
            "salt": self.salt,
        }


def _check_salt(who: str, salt):
    if salt is not None:
        raise ValueError(
            f"{who}: `salt` (Keras's salted SipHash for OOV buckets) is not supported by "
            f"deepgrad. Received: salt={salt!r}"
        )
    return None
