"""JSON documents in files: every one deepgrad reads is parsed by :func:`loads`.

A file's ``config.json``, its manifest, a safetensors header and the JSON strings in
safetensors metadata all come through here, so a malformed or hostile document fails
the same way everywhere: a :class:`~deepgrad.formats.errors.FileFormatError` (or the
caller's subclass of it) naming the file and the part of it. A key given twice is refused
rather than silently resolved to its last value.

Before parsing, a document is checked against three limits, each with a clear error:
its size (``max_bytes``, given by the caller), its nesting depth (:data:`MAX_DEPTH`, so
neither the parser nor the code walking the result can run out of stack) and its number
of values (``max_items``; about 100 bytes of Python objects each at worst, so memory
stays bounded however well the document compressed).

>>> loads(b'{"a": [1, 2]}', "m.deepgrad", "config.json")
{'a': [1, 2]}
>>> loads(b'{"a": 1, "a": 2}', "m.deepgrad", "config.json")
Traceback (most recent call last):
...
deepgrad.formats.errors.FileFormatError: m.deepgrad: config.json: names 'a' twice.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from deepgrad.formats.errors import FileFormatError

__all__ = ["loads", "MAX_DEPTH", "MAX_ITEMS", "MAX_BYTES"]

# Deeper than any configuration deepgrad writes (a model nested in a model adds about
# 8 levels); Python's own parser fails near 1,000 with a RecursionError.
MAX_DEPTH = 100
# Values in one document: a 10,000-layer model's config.json holds about 900,000.
MAX_ITEMS = 4_000_000
MAX_BYTES = 64 * 1024 * 1024

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[^\[\]{}]+")


def _depth(data: bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` outside strings (C-speed scans only)."""
    brackets = np.frombuffer(_BRACKETS.sub(b"", _STRING.sub(b"", data)), np.uint8)
    if not len(brackets):
        return 0
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1).astype(np.int32)
    return int(np.cumsum(steps).max())


def loads(data: bytes | str, where: str, what: str,
          error: type[FileFormatError] = FileFormatError, *,
          max_bytes: int = MAX_BYTES, max_items: int = MAX_ITEMS) -> Any:
    """Parse the JSON document ``data``, read from part ``what`` of file ``where``.

    Args:
        data: UTF-8 bytes or text.
        where: the file, for messages.
        what: the part of the file (``"config.json"``, ``"the header"``), for messages.
        error: the exception class raised (:class:`FileFormatError` or a subclass).
        max_bytes: the largest document accepted.
        max_items: the most values (counted generously: every ``,``, ``:``, ``[`` and
            ``{``) accepted.

    Returns:
        The parsed value.

    Raises:
        FileFormatError: (``error``) for text that is not UTF-8 or not JSON, an object
            that names a key twice, or a document over one of the limits.

    >>> loads(b"{nope", "w.safetensors", "the header")
    Traceback (most recent call last):
    ...
    deepgrad.formats.errors.FileFormatError: w.safetensors: the header: is not valid JSON ...
    >>> loads(b"[" * 500 + b"]" * 500, "m.deepgrad", "config.json")
    Traceback (most recent call last):
    ...
    deepgrad.formats.errors.FileFormatError: m.deepgrad: config.json: is nested 500 levels ...
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise error(where, what, f"is {len(raw)} bytes, more than the {max_bytes} accepted.")
    items = raw.count(b",") + raw.count(b":") + raw.count(b"[") + raw.count(b"{")
    if items > max_items:
        raise error(where, what, f"holds about {items} values, more than the {max_items} "
                                 "accepted.")
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
        depth = _depth(raw)
        if depth > MAX_DEPTH:
            raise error(where, what, f"is nested {depth} levels deep, more than the "
                                     f"{MAX_DEPTH} accepted.")

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise error(where, what, f"names {key!r} twice.")
            out[key] = value
        return out

    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=unique)
    except FileFormatError:
        raise
    except ValueError as problem:  # bad UTF-8, bad JSON, or an integer of 4,300+ digits
        raise error(where, what, f"is not valid JSON ({problem}).") from None
    except RecursionError:  # unreachable after the depth check; kept as the last guard
        raise error(where, what, "is nested too deeply.") from None
