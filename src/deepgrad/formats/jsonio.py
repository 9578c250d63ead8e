"""JSON documents in files: every one deepgrad reads is parsed by :func:`loads`.

A file's ``config.json``, its manifest, a safetensors header and the JSON strings in
safetensors metadata all come through here, so a malformed or hostile document fails
the same way everywhere: a ``ValueError`` (or the caller's subclass of it) naming the
file and the part of it. A key given twice is refused rather than silently resolved
to its last value.

>>> loads(b'{"a": [1, 2]}', "m.deepgrad", "config.json")
{'a': [1, 2]}
>>> loads(b'{"a": 1, "a": 2}', "m.deepgrad", "config.json")
Traceback (most recent call last):
...
ValueError: m.deepgrad: config.json names 'a' twice.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["loads"]


def loads(data: bytes | str, where: str, what: str,
          error: type[ValueError] = ValueError) -> Any:
    """Parse the JSON document ``data``, read from part ``what`` of file ``where``.

    Args:
        data: UTF-8 bytes or text.
        where: the file, for messages.
        what: the part of the file (``"config.json"``, ``"the header"``), for messages.
        error: the exception class raised (a ``ValueError`` subclass).

    Returns:
        The parsed value.

    Raises:
        ValueError: (``error``) for text that is not UTF-8 or not JSON, or an object that
            names a key twice.

    >>> loads(b"{nope", "w.safetensors", "the header")
    Traceback (most recent call last):
    ...
    ValueError: w.safetensors: the header is not valid JSON (Expecting property name ...
    """

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise error(f"{where}: {what} names {key!r} twice.")
            out[key] = value
        return out

    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
        return json.loads(text, object_pairs_hook=unique)
    except (UnicodeDecodeError, json.JSONDecodeError) as problem:
        raise error(f"{where}: {what} is not valid JSON ({problem}).") from None

