"""TextVectorization: turn raw texts into token indices or bag-of-words vectors, as Keras.

Each text goes through five steps: standardize (lower-case the ASCII letters and drop
ASCII punctuation by default), split (on ASCII whitespace by default), ngrams, look the
tokens up in the vocabulary (``adapt`` learns it: most frequent first, ties broken by
the token, larger first), and encode (``'int'`` index sequences padded with 0, or
``'multi_hot'``, ``'count'``, ``'tf_idf'`` vectors). The steps work on the UTF-8 bytes,
as TensorFlow's string ops do, so the tokens and the vocabulary order are Keras's: non-
ASCII letters keep their case, and non-ASCII spaces and punctuation are kept inside
tokens.

>>> import deepgrad as dg
>>> layer = dg.layers.TextVectorization(output_sequence_length=4)
>>> layer.adapt(["foo bar", "bar baz", "baz bada boom"])
>>> layer(np.array([["foo qux bar"], ["qux baz"]])).data
array([[4, 1, 3, 0],
       [1, 2, 0, 0]])
"""

from __future__ import annotations

import itertools
import re
import string

import numpy as np

from deepgrad import config
from deepgrad.layers.base import Layer, shape_str
from deepgrad.layers.index_lookup import (
    OUTPUT_MODES,
    UNKNOWN,
    check_int,
    encode_ids,
    iter_batches,
)
from deepgrad.layers.lookup import StringLookup
from deepgrad.registry import get_registered_name, get_registered_object
from deepgrad.tensor import Tensor

__all__ = ["TextVectorization"]

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
# Keras's punctuation pattern, r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']', is exactly
# ASCII's punctuation; deleting those bytes from UTF-8 never cuts a multi-byte character.
_PUNCTUATION = string.punctuation.encode()
# One UTF-8 character (a stray continuation byte counts as one, as a replacement would).
_UTF8_CHAR = re.compile(rb"[\x00-\x7f]|[\xc0-\xff][\x80-\xbf]*|[\x80-\xbf]")


def _resolve_callable(who: str, arg: str, value, allowed: tuple):
    """``standardize``/``split``: None, a built-in name, a function, or a registered name
    (what a config holds for a custom function)."""
    if value is None or callable(value) or value in allowed:
        return value
    found = get_registered_object(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError(
            f"{who}: `{arg}` must be None, a callable or one of {allowed}. Received: "
            f"{arg}={value!r}. (A layer saved with a custom {arg} function loads only if the "
            "function is registered with @dg.saving.register_keras_serializable() or given "
            "in custom_objects.)"
        )
    return found


def _ngram_widths(who: str, ngrams) -> tuple[int, ...] | None:
    if isinstance(ngrams, list):
        ngrams = tuple(ngrams)
    ok = ngrams is None or (isinstance(ngrams, int) and not isinstance(ngrams, bool))
    ok = ok or (isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))
    if not ok or (ngrams is not None and min(np.atleast_1d(ngrams)) < 1):
        raise ValueError(
            f"{who}: `ngrams` must be None, a positive int or a tuple of positive ints. "
            f"Received: ngrams={ngrams!r}"
        )
    if isinstance(ngrams, int):
        return tuple(range(1, ngrams + 1))
    return ngrams


def _with_ngrams(tokens: list, widths: tuple[int, ...]) -> list:
    """The tokens' n-grams for each width in turn, joined by a space (tf.strings.ngrams)."""
    out: list = []
    for n in widths:
        if n == 1:
            out += tokens
        else:
            out += [b" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return out


class TextVectorization(Layer):
    """Map texts to sequences of token indices or to fixed-size vectors, as Keras 3.

    Args:
        max_tokens: the largest vocabulary, special tokens included (the padding ``''``
            and ``'[UNK]'`` in ``'int'`` mode, ``'[UNK]'`` otherwise), or None.
        standardize: ``'lower_and_strip_punctuation'`` (default), ``'lower'``,
            ``'strip_punctuation'``, None, or a function taking and returning a NumPy
            array of strings (e.g. built from ``np.char``). Lower-casing and punctuation
            are ASCII's, as in Keras (``'É'`` stays ``'É'``, ``'—'`` stays).
        split: ``'whitespace'`` (ASCII whitespace, runs count as one), ``'character'``,
            None (each string is one token), or a function taking a 1-D NumPy array of
            strings and returning one list of tokens per string.
        ngrams: None, n (all n-grams up to n) or a tuple of widths.
        output_mode: ``'int'`` (index sequences, 0 padding), ``'multi_hot'``,
            ``'count'`` or ``'tf_idf'`` (vectors of vocabulary size), or ``'one_hot'``
            (with ``split=None`` only).
        output_sequence_length: in ``'int'`` mode, pad or cut every sequence to this
            length; otherwise sequences are padded to the longest in the batch.
        pad_to_max_tokens: in the vector modes, make the vectors ``max_tokens`` long.
        vocabulary: a list of terms or a text file with one per line (no ``adapt`` then).
        idf_weights: with ``'tf_idf'`` and a ``vocabulary``, one weight per term.
        sparse, ragged: only False (deepgrad has neither sparse nor ragged tensors).
        encoding: the encoding of the texts (``'utf-8'``).

    Input: ``(batch,)`` or ``(batch, 1)`` strings (a model input
    ``dg.Input(shape=(1,), dtype="string")`` or ``shape=()``); a single string gives
    one sequence. Output: int64 ``(batch, length)`` in ``'int'`` mode, else float
    ``(batch, vocabulary size)`` (Keras with TensorFlow returns int64 counts for
    ``'multi_hot'`` and ``'count'``; deepgrad returns ``floatx`` as Keras declares).
    The vocabulary is saved in the layer's config (Keras puts an adapted one in an asset
    file), so a saved model keeps it.

    Raises:
        ValueError: bad arguments (``output_sequence_length`` outside ``'int'`` mode,
            an unknown standardize or split), a vocabulary with repeats or reserved
            tokens, ``adapt`` on empty data, or a 2-D input whose last axis is not 1.
        RuntimeError: called before it has a vocabulary.

    >>> layer = TextVectorization(output_mode="multi_hot")
    >>> layer.adapt(["The cat sat.", "The dog!"])
    >>> layer.get_vocabulary()
    ['[UNK]', 'the', 'sat', 'dog', 'cat']
    >>> layer(["a cat, the cat"]).data
    array([[1., 1., 0., 0., 1.]], dtype=float32)
    """

    _accepts_strings = True

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary=None,
        idf_weights=None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        **kwargs,
    ):
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("vocabulary_size", None)
        dtype = kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        who = f"TextVectorization '{self.name}'"
        standardize = _resolve_callable(who, "standardize", standardize, _STANDARDIZE)
        split = _resolve_callable(who, "split", split, _SPLIT)
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"{who}: `output_mode` must be one of {', '.join(map(repr, OUTPUT_MODES))}. "
                f"Received: output_mode={output_mode!r}"
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                f"{who}: `output_sequence_length` can only be set with output_mode='int' (it "
                f"pads or cuts index sequences; output_mode={output_mode!r} gives one vector "
                f"per text). Received: output_sequence_length={output_sequence_length!r}"
            )
        check_int(who, "output_sequence_length", output_sequence_length, 1)
        if output_mode == "one_hot" and split is not None:
            raise ValueError(
                f"{who}: output_mode='one_hot' encodes one token per string, so it needs "
                f"split=None (Keras gives a ragged result here). Received: split={split!r}. "
                "For several tokens per text, use 'multi_hot' or 'count'."
            )
        if ngrams is not None and split is None:
            raise ValueError(
                f"{who}: `ngrams` needs a `split` (n-grams are made of a text's tokens). "
                f"Received: ngrams={ngrams!r}, split=None"
            )
        for arg, value in (("sparse", sparse), ("ragged", ragged)):
            if value:
                raise ValueError(
                    f"{who}: {arg}=True is not supported: deepgrad has no {arg} tensors "
                    f"(Keras supports it only with the TensorFlow backend). Use {arg}=False."
                )
        self._ngrams_arg = list(ngrams) if isinstance(ngrams, tuple) else ngrams
        self._ngrams = _ngram_widths(who, ngrams)
        self._standardize = standardize
        self._split = split
        self._output_mode = output_mode
        self._output_sequence_length = (
            None if output_sequence_length is None else int(output_sequence_length)
        )
        self._encoding = encoding
        self.dtype = "int64" if output_mode == "int" else np.dtype(dtype or config.floatx()).name
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            has_input_vocabulary=has_input_vocabulary,
            encoding=encoding,
            dtype=None if output_mode == "int" else self.dtype,
            shown_as=who,
        )

    # -- the vocabulary -----------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps: int | None = None) -> None:
        """Learn the vocabulary (and in ``'tf_idf'`` mode the IDF weights) from texts.

        Args:
            data: a list or array of texts, or a ``dg.data.Dataset`` (or any iterable)
                of batches of texts.
            batch_size: accepted for Keras compatibility.
            steps: with a Dataset or iterable, read at most this many batches.

        Raises:
            ValueError: the layer was given a vocabulary, ``data`` is empty or holds no
                tokens, or a Dataset yields ``(text, label)`` pairs.
        """
        lookup = self._lookup_layer
        if lookup._has_input_vocabulary:
            raise ValueError(
                f"TextVectorization '{self.name}': cannot adapt a layer that was given a "
                "static vocabulary (the `vocabulary` argument). To learn one, create the "
                "layer without it."
            )
        lookup.reset_state()
        for batch in iter_batches(data, steps, lookup.shown_as):
            rows, _ = self._token_rows(np.asarray(batch))
            lookup._count_rows(rows)
        lookup.finalize_state()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The vocabulary in index order (with ``''`` and ``'[UNK]'`` first by default)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Set the vocabulary (and IDF weights in ``'tf_idf'`` mode) instead of adapting."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    def vocabulary_size(self) -> int:
        """The vocabulary's size, padding and OOV tokens included."""
        return self._lookup_layer.vocabulary_size()

    # -- text to tokens -----------------------------------------------------------------
    def _documents(self, array: np.ndarray) -> list[bytes]:
        """The standardized texts of ``array`` (flattened) as bytes."""
        encoding = self._encoding
        if array.dtype.kind not in "USO" and array.size:
            raise TypeError(
                f"TextVectorization '{self.name}': expected strings, got dtype {array.dtype} "
                f"(shape {shape_str(array.shape)})."
            )
        if callable(self._standardize):
            texts = array.astype(str) if array.dtype.kind == "U" else _as_str(array, encoding)
            array = np.asarray(self._standardize(texts))
        docs = [
            t if isinstance(t, bytes) else t.encode(encoding) for t in array.ravel().tolist()
        ]
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            docs = [d.lower() for d in docs]  # bytes.lower() changes ASCII letters only
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            docs = [d.translate(None, _PUNCTUATION) for d in docs]
        return docs

    def _token_rows(self, array: np.ndarray) -> tuple[list[list[bytes]], tuple]:
        """Each text's tokens, and the shape of the batch of texts."""
        if self._split is None:
            docs = self._documents(array)
            return [[d] for d in docs], array.shape
        if array.ndim > 1:
            if array.shape[-1] != 1:
                raise ValueError(
                    f"TextVectorization '{self.name}': to split texts into tokens the input "
                    "must be 1-D (batch,) or have a last axis of size 1 (batch, 1). Received: "
                    f"shape {shape_str(array.shape)}"
                )
            array = array[..., 0]
        docs = self._documents(array)
        if self._split == "whitespace":
            rows = [d.split() for d in docs]  # bytes.split(): ASCII whitespace, as TF
        elif self._split == "character":
            rows = [_UTF8_CHAR.findall(d) for d in docs]
        else:
            rows = self._custom_split(docs)
        if self._ngrams is not None:
            rows = [_with_ngrams(row, self._ngrams) for row in rows]
        return rows, array.shape

    def _custom_split(self, docs: list[bytes]) -> list[list[bytes]]:
        encoding = self._encoding
        texts = np.array([d.decode(encoding) for d in docs], dtype=str)
        result = self._split(texts)
        if len(result) != len(docs):
            raise ValueError(
                f"TextVectorization '{self.name}': the `split` function must return one list "
                f"of tokens per text ({len(docs)}). It returned {len(result)}."
            )
        return [
            [t if isinstance(t, bytes) else str(t).encode(encoding) for t in np.ravel(row)]
            for row in result
        ]

    # -- the forward pass ---------------------------------------------------------------
    def call(self, inputs):
        lookup = self._lookup_layer
        lookup.check_ready()
        array = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        rows, shape = self._token_rows(array)
        lengths = np.fromiter(map(len, rows), np.int64, count=len(rows))
        tokens = itertools.chain.from_iterable(rows)
        ids = np.fromiter(map(lookup.bytes_table().__getitem__, tokens), np.int64,
                          count=int(lengths.sum()))
        ids[ids == UNKNOWN] = lookup._oov_start_index()  # one OOV index in TextVectorization
        if self._split is None:
            ids = ids.reshape(shape)
            if self._output_mode == "int":
                return Tensor(ids)
            return Tensor(lookup.encode(ids[..., None] if ids.ndim < 2 else ids))
        row_of = np.repeat(np.arange(len(rows)), lengths)
        if self._output_mode == "int":
            out = _pad(ids, row_of, lengths, self._output_sequence_length)
            return Tensor(out.reshape(shape + out.shape[-1:]))
        depth = lookup._depth()
        out = encode_ids(row_of, ids, len(rows), depth, self._output_mode, lookup._idf,
                         self.dtype)
        return Tensor(out.reshape(shape + (depth,)))

    def _convert_inputs(self, inputs):
        if isinstance(inputs, Tensor):
            return inputs
        return Tensor(np.asarray(inputs))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._split is None:
            if self._output_mode != "int" and len(input_shape) < 2:
                input_shape = input_shape + (1,)
            return self._lookup_layer.compute_output_shape(input_shape)
        if len(input_shape) > 1 and input_shape[-1] == 1:
            input_shape = input_shape[:-1]
        if self._output_mode == "int":
            return input_shape + (self._output_sequence_length,)
        return input_shape + (self._lookup_layer._depth(),)

    # -- config -------------------------------------------------------------------------
    def get_config(self) -> dict:
        """Keras's config; the vocabulary (and IDF weights) are in it once set."""
        lookup = self._lookup_layer
        lookup_config = lookup.get_config()
        config_dict = super().get_config()
        config_dict["dtype"] = self.dtype
        return {
            **config_dict,
            "max_tokens": lookup.max_tokens,
            "standardize": _callable_name(self._standardize),
            "split": _callable_name(self._split),
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens,
            "sparse": False,
            "ragged": False,
            "vocabulary": lookup_config["vocabulary"],
            "idf_weights": lookup_config["idf_weights"],
            "encoding": self._encoding,
            "vocabulary_size": lookup_config["vocabulary_size"],
        }


def _callable_name(value):
    return get_registered_name(value) if callable(value) else value


def _as_str(array: np.ndarray, encoding: str) -> np.ndarray:
    items = [t.decode(encoding) if isinstance(t, bytes) else t for t in array.ravel().tolist()]
    return np.array(items, dtype=str).reshape(array.shape)


def _pad(ids: np.ndarray, row_of: np.ndarray, lengths: np.ndarray, length: int | None):
    """Each row's ids (rows of ``lengths``, flat in ``ids``) in one int64 array, cut or
    padded with 0 at the end to ``length`` (the longest row when None)."""
    width = length if length is not None else int(lengths.max(initial=0))
    position = np.arange(len(ids)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    keep = position < width
    out = np.zeros((len(lengths), width), np.int64)
    out[row_of[keep], position[keep]] = ids[keep]
    return out
