"""IndexLookup: the vocabulary logic behind StringLookup, IntegerLookup and TextVectorization.

A lookup layer maps tokens to indices: the mask token (when set, in ``'int'`` mode)
to 0, out-of-vocabulary (OOV) tokens to the next ``num_oov_indices`` indices, then
the vocabulary's tokens in order. ``adapt`` builds the vocabulary as Keras does:
most frequent first, ties broken by the token, larger first (Keras sorts with
``np.lexsort((tokens, counts))[::-1]``). Outputs other than ``'int'`` encode the
indices: ``'one_hot'``, ``'multi_hot'``, ``'count'`` and ``'tf_idf'`` (counts times
``log(1 + documents / (1 + documents holding the token))``; OOV gets the mean weight).

This module holds the shared base; use :class:`~deepgrad.layers.StringLookup` or
:class:`~deepgrad.layers.IntegerLookup`.

>>> import deepgrad as dg
>>> layer = dg.layers.StringLookup()
>>> layer.adapt(["b", "a", "b", "c", "c", "d"])
>>> layer.get_vocabulary()
['[UNK]', 'c', 'b', 'd', 'a']
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np

from deepgrad import config
from deepgrad.layers.base import Layer
from deepgrad.tensor import Tensor

__all__ = [
    "IndexLookup",
    "LookupTable",
    "OUTPUT_MODES",
    "UNKNOWN",
    "check_int",
    "encode_ids",
    "iter_batches",
]

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
UNKNOWN = -1  # the table's answer for a token not in it (resolved before output)
_DROP = -2  # a mask token outside 'int' mode: dropped from the counts, as Keras drops it


def _who(layer: Layer) -> str:
    # A lookup inside TextVectorization speaks in the name of the layer the user made.
    shown = layer.__dict__.get("shown_as")
    return shown or f"{type(layer).__name__} '{layer.name}'"


def iter_batches(data, steps: int | None, who: str):
    """The batches ``adapt`` reads: one for a list or array, each element of an iterable.

    A 1-D list or array becomes a column (each element one sample), as in Keras.
    """
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (list, tuple, np.ndarray, str, bytes)):
        array = np.asarray(data)
        yield array[:, None] if array.ndim == 1 else array
        return
    if not hasattr(data, "__iter__"):
        raise TypeError(
            f"{who}: adapt expects a list, an array, a dg.data.Dataset or an iterable of "
            f"batches. Received: {type(data).__name__}"
        )
    for index, batch in enumerate(data):
        if steps is not None and index >= steps:
            break
        if isinstance(batch, (tuple, dict)):
            raise ValueError(
                f"{who}: adapt expects a Dataset of inputs alone, got elements of type "
                f"{type(batch).__name__}. To fix, pass ds.map(lambda x, y: x)."
            )
        yield batch.data if isinstance(batch, Tensor) else batch


def check_int(who: str, arg: str, value, minimum: int, none_ok: bool = True) -> None:
    """Raise unless ``value`` is an int of at least ``minimum`` (or None when allowed).

    >>> check_int("StringLookup", "max_tokens", 1, 2)
    Traceback (most recent call last):
    ...
    ValueError: StringLookup: `max_tokens` must be ... an int >= 2. Received: max_tokens=1
    """
    if value is None and none_ok:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(
            f"{who}: `{arg}` must be {'None or ' if none_ok else ''}an int >= {minimum}. "
            f"Received: {arg}={value!r}"
        )


def _most_frequent(counts: dict, limit: int | None) -> list:
    """The tokens by count, ties broken by the token, larger first (Keras's
    ``np.lexsort((tokens, counts))[::-1]``), at most ``limit`` of them.

    Tokens are grouped by count and each group sorted on its own: sorting plain
    tokens is several times faster than sorting (count, token) pairs.

    >>> _most_frequent({"b": 2, "a": 2, "c": 1, "z": 1}, None)
    ['b', 'a', 'z', 'c']
    """
    groups: dict[int, list] = {}
    for token, count in counts.items():
        groups.setdefault(count, []).append(token)
    ranked: list = []
    for count in sorted(groups, reverse=True):
        ranked += sorted(groups[count], reverse=True)
        if limit is not None and len(ranked) >= limit:
            return ranked[:limit]
    return ranked


class LookupTable(dict):
    """A token-to-index dict that answers ``missing`` for unknown tokens, so that a whole
    batch is looked up by ``map(table.__getitem__, tokens)`` in C (``dict.get`` with a
    default costs a Python-level call per token)."""

    __slots__ = ("missing",)

    def __init__(self, items, missing: int = -1):
        super().__init__(items)
        self.missing = missing

    def __missing__(self, key) -> int:
        return self.missing


def encode_ids(rows, ids, num_rows: int, depth: int, output_mode: str, idf, dtype):
    """Vectors ``(num_rows, depth)`` from the indices ``ids`` of rows ``rows``.

    ``'multi_hot'`` marks each index present, ``'count'`` counts it, ``'tf_idf'`` adds
    its IDF weight per occurrence. Negative ids (dropped mask tokens) are skipped. The
    zeros are written in place (``np.add.at``), never a dense integer count matrix.

    >>> encode_ids(np.array([0, 0, 1]), np.array([2, 2, 0]), 2, 3, "count", None, "float32")
    array([[0., 0., 2.],
           [1., 0., 0.]], dtype=float32)
    """
    out = np.zeros((num_rows, depth), dtype)
    keep = ids >= 0
    ids = ids[keep]
    flat = rows[keep].astype(np.int64) * depth + ids
    if output_mode == "multi_hot":
        out.reshape(-1)[flat] = 1
    else:
        np.add.at(out.reshape(-1), flat, 1 if output_mode == "count" else idf[ids])
    return out


class IndexLookup(Layer):
    """Base of the lookup layers: vocabulary, ``adapt``, output encodings and config.

    Subclasses set :attr:`vocabulary_dtype` and implement ``_tokens_of`` (an array's
    elements as table keys), ``_standardize_tokens`` (a vocabulary as a list of keys)
    and ``_oov_buckets`` (which OOV index each unknown token gets).
    Arguments are Keras 3's (see :class:`~deepgrad.layers.StringLookup`).

    >>> IndexLookup.OUTPUT_MODES
    ('int', 'one_hot', 'multi_hot', 'count', 'tf_idf')
    """

    OUTPUT_MODES = OUTPUT_MODES
    vocabulary_dtype = "string"
    _casts_integer_inputs = False

    def __init__(
        self,
        max_tokens: int | None,
        num_oov_indices: int,
        mask_token,
        oov_token,
        vocabulary=None,
        idf_weights=None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        **kwargs,
    ):
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("vocabulary_size", None)  # Keras writes it in configs; it follows from the rest
        dtype = kwargs.pop("dtype", None)
        shown_as = kwargs.pop("shown_as", None)
        super().__init__(**kwargs)
        self.shown_as = shown_as
        who = _who(self)
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"{who}: `output_mode` must be one of {', '.join(map(repr, OUTPUT_MODES))}. "
                f"Received: output_mode={output_mode!r}"
            )
        check_int(who, "max_tokens", max_tokens, 2)
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                f"{who}: pad_to_max_tokens=True needs `max_tokens`. Received: max_tokens=None"
            )
        check_int(who, "num_oov_indices", num_oov_indices, 0, none_ok=False)
        if invert and output_mode != "int":
            raise ValueError(
                f"{who}: `output_mode` must be 'int' when `invert` is True. "
                f"Received: output_mode={output_mode!r}"
            )
        if sparse:
            raise ValueError(
                f"{who}: sparse=True is not supported: deepgrad has no sparse tensors (Keras "
                "supports it only with the TensorFlow backend). Received: sparse=True"
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"{who}: `idf_weights` should only be set if `output_mode` is 'tf_idf'. "
                f"Received: output_mode={output_mode!r}"
            )
        if output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None:
            raise ValueError(
                f"{who}: with a `vocabulary` in output_mode='tf_idf', `idf_weights` must be "
                "given too (one weight per vocabulary term)."
            )
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        if output_mode == "int":
            self.dtype = self.vocabulary_dtype if self.invert else "int64"
        else:
            self.dtype = np.dtype(dtype or config.floatx()).name
        self._has_input_vocabulary = bool(has_input_vocabulary)
        self._tokens: list = []
        self._table = LookupTable((), UNKNOWN)
        self._idf: np.ndarray | None = None
        self._vocabulary_set = False
        self.reset_state()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- indices -----------------------------------------------------------------------
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def _special_tokens(self) -> list:
        return [self.mask_token] * self._oov_start_index() + [self.oov_token] * (
            self.num_oov_indices
        )

    def vocabulary_size(self) -> int:
        """The number of indices, mask and OOV indices included."""
        return self._token_start_index() + len(self._tokens)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary, in index order.

        Args:
            include_special_tokens: include the mask and OOV tokens first, so that a
                term's position is its index; False gives the learned terms alone.
        """
        if not include_special_tokens:
            return list(self._tokens)
        return self._special_tokens() + list(self._tokens)

    def _set_tokens(self, tokens: list) -> None:
        start = self._token_start_index()
        if self.output_mode != "int" and not self.pad_to_max_tokens and self.built:
            old = self.vocabulary_size()
            if self._vocabulary_set and start + len(tokens) != old:
                raise RuntimeError(
                    f"{_who(self)}: with output_mode={self.output_mode!r} and "
                    "pad_to_max_tokens=False the vocabulary size cannot change once the layer "
                    f"is built (its output width). Old size {old}, new size "
                    f"{start + len(tokens)}."
                )
        self._tokens = list(tokens)
        table = LookupTable(((token, start + i) for i, token in enumerate(self._tokens)), UNKNOWN)
        if self.mask_token is not None:
            table[self.mask_token] = 0 if self.output_mode == "int" else _DROP
        self._table = table
        self._vocabulary_set = True
        self._vocabulary_changed()

    def _vocabulary_changed(self) -> None:
        """Hook: a subclass rebuilds tables derived from the vocabulary."""

    # -- setting the vocabulary ---------------------------------------------------------
    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Set the vocabulary (and, in ``'tf_idf'`` mode, the IDF weights) directly.

        Args:
            vocabulary: a list, tuple or 1-D array of terms (without the mask and OOV
                tokens, or with them first, in index order), or the path of a text
                file with one term per line.
            idf_weights: in ``'tf_idf'`` mode, one weight per entry of ``vocabulary``.

        Raises:
            ValueError: an empty vocabulary, repeated terms, the mask or OOV token
                among the terms (deepgrad refuses the OOV token even when
                ``invert=False``, where Keras lets it through as a term), more terms
                than ``max_tokens``, or missing or misshapen ``idf_weights``.
        """
        who = _who(self)
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{who}: `idf_weights` must be set if output_mode is 'tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(
                f"{who}: `idf_weights` should only be set if output_mode is 'tf_idf'. "
                f"Received: output_mode={self.output_mode!r}"
            )
        if isinstance(vocabulary, str):
            vocabulary = self._read_vocabulary_file(vocabulary)
        if isinstance(vocabulary, Tensor):
            vocabulary = vocabulary.data
        vocabulary = self._standardize_tokens(list(np.asarray(vocabulary).ravel().tolist()))
        if not vocabulary:
            raise ValueError(f"{who}: cannot set an empty vocabulary. Received: vocabulary=[]")
        special = self._special_tokens()
        start = len(special)
        has_special = vocabulary[:start] == special
        tokens = vocabulary[start:] if has_special else vocabulary
        repeated = [t for t, n in Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(
                f"{who}: the vocabulary has repeated terms: {repeated[:10]}. Each term must "
                "appear once; to fix, remove the duplicates (e.g. list(dict.fromkeys(vocab)))."
            )
        for kind, token in (("mask", self.mask_token), ("OOV", self.oov_token)):
            if token is not None and token in tokens:
                raise ValueError(
                    f"{who}: the reserved {kind} token {token!r} is in the vocabulary at index "
                    f"{vocabulary.index(token)}. The vocabulary need not hold the mask and OOV "
                    f"tokens; either remove them, or put them only at the start in exactly "
                    f"this order: {special}."
                )
        if self.max_tokens is not None and self._token_start_index() + len(tokens) > (
            self.max_tokens
        ):
            raise ValueError(
                f"{who}: the vocabulary has {self._token_start_index() + len(tokens)} entries "
                f"with the special tokens, more than max_tokens={self.max_tokens}."
            )
        if self.output_mode == "tf_idf":
            self._idf = self._given_idf(idf_weights, len(vocabulary), has_special)
        self._set_tokens(tokens)

    def _given_idf(self, idf_weights, size: int, has_special: bool) -> np.ndarray:
        weights = np.asarray(
            idf_weights.data if isinstance(idf_weights, Tensor) else idf_weights, np.float64
        )
        if weights.ndim != 1 or len(weights) != size:
            raise ValueError(
                f"{_who(self)}: `idf_weights` must be a 1-D list with one weight per "
                f"vocabulary entry ({size}). Received shape {weights.shape}."
            )
        # Keras gives the special tokens the mean weight when the vocabulary omits them.
        front = 0 if has_special else self._token_start_index()
        weights = np.concatenate([np.full(front, np.average(weights)), weights])
        return self._pad_idf(weights.astype(self.dtype))

    def _pad_idf(self, weights: np.ndarray) -> np.ndarray:
        if self.pad_to_max_tokens:
            weights = np.concatenate([weights, np.zeros(self.max_tokens - len(weights))])
        return weights.astype(self.dtype)

    def _read_vocabulary_file(self, path: str) -> list:
        if self.output_mode == "tf_idf":
            raise ValueError(
                f"{_who(self)}: output_mode 'tf_idf' cannot read its vocabulary from a file "
                "(the IDF weights are needed too). Pass a list and `idf_weights`."
            )
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError as error:
            raise ValueError(
                f"{_who(self)}: the vocabulary file {path!r} cannot be read: {error}"
            ) from None
        while lines and lines[-1] == "":
            lines.pop()
        return lines

    # -- adapt --------------------------------------------------------------------------
    def reset_state(self) -> None:
        """Forget the counts gathered by :meth:`update_state` (not the vocabulary)."""
        self._counts: Counter = Counter()
        self._document_counts: Counter = Counter()
        self._num_documents = 0

    def adapt(self, data, batch_size=None, steps: int | None = None) -> None:
        """Learn the vocabulary from ``data``: the most frequent terms, as Keras does.

        Args:
            data: a list or array (each element a token, or each row a document of
                tokens), or a ``dg.data.Dataset`` or other iterable of such batches.
            batch_size: accepted for Keras compatibility; arrays are read at once.
            steps: with a Dataset or iterable, read at most this many batches.

        Raises:
            ValueError: the layer was given a vocabulary at construction, the data is
                empty or holds no tokens, or a Dataset yields ``(x, y)`` pairs.
        """
        if self._has_input_vocabulary:
            raise ValueError(
                f"{_who(self)}: cannot adapt a layer that was given a static vocabulary "
                "(the `vocabulary` argument). To learn one, create the layer without it."
            )
        self.reset_state()
        for batch in iter_batches(data, steps, _who(self)):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data) -> None:
        """Count the tokens of one batch (each row of a 2-D batch is one document)."""
        array = np.asarray(data.data if isinstance(data, Tensor) else data)
        if array.ndim < 2:
            array = array.reshape(1, -1)  # a 1-D batch is one document, as Keras reads it
        rows = array.reshape(len(array), -1)
        self._count_rows([self._tokens_of(row) for row in rows])

    def _count_rows(self, rows: list) -> None:
        """Add documents (lists of tokens) to the counts."""
        self._counts.update(itertools.chain.from_iterable(rows))
        if self.output_mode == "tf_idf":
            self._document_counts.update(itertools.chain.from_iterable(map(set, rows)))
        self._num_documents += len(rows)

    def finalize_state(self) -> None:
        """Build the vocabulary from the counts: by count, then by token, larger first."""
        if self._has_input_vocabulary:
            return
        who = _who(self)
        if self._num_documents == 0:
            raise ValueError(
                f"{who}: adapt got no data (an empty list, array or Dataset). To fix, pass "
                "the training samples, e.g. layer.adapt(train_texts)."
            )
        counts = self._counts
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
            counts.pop(self._as_key(special), None)
        if not counts:
            raise ValueError(
                f"{who}: adapt found no tokens in its {self._num_documents} samples (all "
                "empty, or only the mask and OOV tokens), so there is no vocabulary to learn."
            )
        limit = None if self.max_tokens is None else self.max_tokens - self._token_start_index()
        keys = _most_frequent(counts, limit)
        if self.output_mode == "tf_idf":
            frequency = np.array([self._document_counts[k] for k in keys], np.float64)
            idf = np.log1p(self._num_documents / (1.0 + frequency)).astype(self.dtype)
            front = np.full(self._token_start_index(), idf.mean(dtype=self.dtype), self.dtype)
            self._idf = self._pad_idf(np.concatenate([front, idf]))
        self._set_tokens(self._keys_to_tokens(keys))
        self.reset_state()

    # -- subclass hooks -----------------------------------------------------------------
    def _tokens_of(self, array: np.ndarray) -> list:
        raise NotImplementedError

    def _standardize_tokens(self, tokens: list) -> list:
        return tokens

    def _as_key(self, token):
        return token

    def _keys_to_tokens(self, keys: list) -> list:
        return keys

    def _oov_buckets(self, tokens: list) -> np.ndarray:
        raise NotImplementedError

    # -- the forward pass ---------------------------------------------------------------
    def _convert_inputs(self, inputs):
        if isinstance(inputs, (list, tuple)) and not isinstance(inputs, Tensor):
            inputs = np.asarray(inputs)
        return inputs if isinstance(inputs, Tensor) else Tensor(np.asarray(inputs))

    def check_ready(self) -> None:
        """Raise unless the layer can be called: it needs a vocabulary (or fixed width)."""
        if not self._vocabulary_set and not (
            self.pad_to_max_tokens and self.output_mode != "int"
        ):
            raise RuntimeError(
                f"{_who(self)}: the layer has no vocabulary yet. To fix, pass `vocabulary=` "
                "when creating it, or call layer.adapt(data) before using it."
            )

    def lookup_ids(self, tokens: list) -> np.ndarray:
        """The indices of a flat list of tokens (int64): mask, OOV buckets and terms."""
        ids = np.fromiter(map(self._table.__getitem__, tokens), np.int64, count=len(tokens))
        if self.num_oov_indices != 1:
            unknown = np.flatnonzero(ids == UNKNOWN)
            if len(unknown) and self.num_oov_indices == 0:
                found = list(dict.fromkeys(tokens[i] for i in unknown[:20]))
                raise ValueError(
                    f"{_who(self)}: with num_oov_indices=0 every input must be in the "
                    f"vocabulary; found out-of-vocabulary values {found}. To fix, set "
                    "num_oov_indices=1."
                )
            if len(unknown):
                buckets = self._oov_buckets([tokens[i] for i in unknown])
                ids[unknown] = buckets + self._oov_start_index()
        else:
            ids[ids == UNKNOWN] = self._oov_start_index()
        return ids

    def call(self, inputs):
        self.check_ready()
        array = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        if self.invert:
            return Tensor(self._invert(array))
        ids = self.lookup_ids(self._tokens_of(array)).reshape(array.shape)
        if self.output_mode == "int":
            return Tensor(ids)
        return Tensor(self.encode(ids))

    def _invert(self, ids: np.ndarray) -> np.ndarray:
        if ids.dtype.kind not in "iu":
            raise TypeError(
                f"{_who(self)}: with invert=True the inputs must be integer indices. "
                f"Received dtype {ids.dtype}."
            )
        # Index 0 gives the mask token (when set), the OOV indices and any index out of
        # range give the OOV token, as Keras's inverse table does.
        vocabulary = self.get_vocabulary()
        out = np.empty(len(vocabulary) + 1, dtype=object)
        out[:-1] = vocabulary
        out[-1] = self.oov_token
        result = out[np.where((ids >= 0) & (ids < len(vocabulary)), ids, len(vocabulary))]
        return result.astype(str) if self.vocabulary_dtype == "string" else result.astype(
            np.int64
        )

    def _depth(self) -> int | None:
        if self.pad_to_max_tokens:
            return self.max_tokens
        return self.vocabulary_size() if self._vocabulary_set else None

    def encode(self, ids: np.ndarray) -> np.ndarray:
        """Encode indices as ``output_mode`` says (the last axis is each sample's tokens)."""
        depth = self._depth()
        if ids.ndim == 0:
            ids = ids[None]
        if self.output_mode == "one_hot":
            if ids.ndim > 1 and ids.shape[-1] == 1:
                ids = ids[..., 0]
            out = np.zeros(ids.shape + (depth,), self.dtype)
            keep = ids >= 0
            out.reshape(-1, depth)[np.flatnonzero(keep.ravel()), ids[keep]] = 1
            return out
        rows = ids.reshape(-1, ids.shape[-1])
        row_of = np.repeat(np.arange(len(rows)), rows.shape[1])
        out = encode_ids(row_of, rows.ravel(), len(rows), depth, self.output_mode, self._idf,
                         self.dtype)
        return out.reshape(ids.shape[:-1] + (depth,))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self._depth()
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    def get_config(self) -> dict:
        """Keras's config, with the current vocabulary (special tokens first) and IDF weights.

        Keras writes an adapted vocabulary to a separate asset file; deepgrad keeps it in
        the config so that a saved model needs nothing else. A layer made from such a
        config holds its vocabulary as if given at construction (no ``adapt`` again).
        """
        base = super().get_config()
        base["dtype"] = self.dtype
        vocabulary = self.get_vocabulary() if self._vocabulary_set else None
        idf = None
        if self._idf is not None and vocabulary is not None:
            idf = self._idf[: len(vocabulary)].tolist()
        return {
            **base,
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": False,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary": vocabulary,
            "idf_weights": idf,
            "vocabulary_size": self.vocabulary_size() if self._vocabulary_set else None,
        }

