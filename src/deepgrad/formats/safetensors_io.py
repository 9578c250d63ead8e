"""A small safetensors writer and reader (no dependency on the ``safetensors`` package).

The format: an 8-byte little-endian header length ``n``, then ``n`` bytes of JSON (padded
with spaces to a multiple of 8), then the raw little-endian tensor bytes. The header maps
each tensor name to ``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets into the
data section) and may hold ``"__metadata__"``, a dict of strings. The reader checks every
field, so a truncated or altered file fails with a clear error instead of giving garbage.

>>> blob = dumps({"w": np.arange(3, dtype=np.float32)}, metadata={"note": "hi"})
>>> tensors, metadata = loads(blob)
>>> tensors["w"], metadata
(array([0., 1., 2.], dtype=float32), {'note': 'hi'})
"""

from __future__ import annotations

import json
import struct

import numpy as np

from deepgrad.formats import jsonio

__all__ = ["dumps", "loads", "SafetensorsError", "DTYPES"]

# safetensors dtype codes and the NumPy dtypes they stand for (BF16 has no NumPy dtype).
DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"), "U64": np.dtype("<u8"), "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"), "U8": np.dtype("u1"), "BOOL": np.dtype("?"),
}
_CODES = {dtype.newbyteorder("=").name: code for code, dtype in DTYPES.items()}
# A header larger than this is not a weights file (the reference library uses 100 MB).
MAX_HEADER_BYTES = 100_000_000


class SafetensorsError(ValueError):
    """A file or buffer is not valid safetensors; the message says what is wrong."""


def dumps(tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> bytes:
    """Serialize named arrays to safetensors bytes, in the order given.

    Args:
        tensors: name to array (any shape; numeric or bool dtype).
        metadata: optional string-to-string dict stored as ``__metadata__``.

    Returns:
        The file's bytes.

    Raises:
        TypeError: for a dtype safetensors cannot hold, or non-string metadata.
        ValueError: for the reserved name ``__metadata__``.

    >>> len(dumps({"b": np.zeros((2, 2), dtype=np.float64)})) % 8
    0
    """
    header: dict = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("safetensors: `metadata` must map strings to strings.")
        header["__metadata__"] = dict(metadata)
    chunks, offset = [], 0
    for name, value in tensors.items():
        if name == "__metadata__":
            raise ValueError("safetensors: '__metadata__' is reserved and cannot name a tensor.")
        array = np.asarray(value)
        code = _CODES.get(array.dtype.newbyteorder("=").name)
        if code is None:
            raise TypeError(
                f"safetensors: tensor {name!r} has dtype {array.dtype}, which safetensors "
                f"cannot store. Supported: {sorted(_CODES)}."
            )
        raw = np.ascontiguousarray(array, dtype=DTYPES[code]).tobytes()
        header[name] = {
            "dtype": code,
            "shape": [int(s) for s in array.shape],
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def _parse_header(blob: bytes | memoryview, where: str) -> tuple[dict, int]:
    if len(blob) < 8:
        raise SafetensorsError(
            f"{where}: not a safetensors file: it has {len(blob)} bytes, fewer than the "
            "8-byte header length."
        )
    (size,) = struct.unpack("<Q", bytes(blob[:8]))
    if size > min(MAX_HEADER_BYTES, len(blob) - 8):
        raise SafetensorsError(
            f"{where}: not a safetensors file, or truncated: the header claims {size} bytes "
            f"but the file has {len(blob) - 8} after the length field."
        )
    header = jsonio.loads(bytes(blob[8 : 8 + size]), where,
                          "not a safetensors file: the header", SafetensorsError)
    if not isinstance(header, dict):
        raise SafetensorsError(f"{where}: not a safetensors file: the header is not a dict.")
    return header, 8 + size


def _check_entry(name: str, entry, where: str) -> tuple[np.dtype, tuple, int, int]:
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise SafetensorsError(
            f"{where}: tensor {name!r} must have exactly 'dtype', 'shape' and "
            f"'data_offsets'. Received: {entry!r}"
        )
    dtype = DTYPES.get(entry["dtype"]) if isinstance(entry["dtype"], str) else None
    if dtype is None:
        raise SafetensorsError(
            f"{where}: tensor {name!r} has unsupported dtype {entry['dtype']!r}. "
            f"Supported: {sorted(DTYPES)}."
        )
    shape, offsets = entry["shape"], entry["data_offsets"]
    if not isinstance(shape, list) or not all(
        type(s) is int and s >= 0 for s in shape
    ):
        raise SafetensorsError(f"{where}: tensor {name!r} has an invalid shape {shape!r}.")
    if (
        not isinstance(offsets, list) or len(offsets) != 2
        or not all(type(o) is int for o in offsets) or not 0 <= offsets[0] <= offsets[1]
    ):
        raise SafetensorsError(
            f"{where}: tensor {name!r} has invalid data_offsets {offsets!r}."
        )
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if offsets[1] - offsets[0] != expected:
        raise SafetensorsError(
            f"{where}: tensor {name!r} of shape {tuple(shape)} and dtype {entry['dtype']} "
            f"needs {expected} bytes, but its data_offsets span {offsets[1] - offsets[0]}."
        )
    return dtype, tuple(shape), offsets[0], offsets[1]


def loads(
    blob: bytes | memoryview, where: str = "safetensors"
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Parse safetensors bytes into ``(tensors, metadata)``, checking every field.

    The arrays are copies in native byte order, in the file's order.

    Args:
        blob: the file's bytes.
        where: a label for error messages (e.g. the file name).

    Raises:
        SafetensorsError: for a header that does not parse, a bad dtype, shape or
            offsets, overlapping or missing data, or a truncated file.

    >>> loads(b"garbage!")
    Traceback (most recent call last):
    ...
    deepgrad.formats.safetensors_io.SafetensorsError: safetensors: not a safetensors file, ...
    """
    header, start = _parse_header(blob, where)
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise SafetensorsError(f"{where}: '__metadata__' must map strings to strings.")
    entries = {name: _check_entry(name, entry, where) for name, entry in header.items()}
    data = memoryview(blob)[start:]
    spans = sorted((begin, end, name) for name, (_, _, begin, end) in entries.items())
    position = 0
    for begin, end, name in spans:
        if begin != position:
            kind = "overlaps another" if begin < position else "leaves a gap before it"
            raise SafetensorsError(f"{where}: the data of tensor {name!r} {kind}.")
        position = end
    if position != len(data):
        raise SafetensorsError(
            f"{where}: the header describes {position} bytes of tensor data but the file "
            f"holds {len(data)} (truncated or altered)."
        )
    tensors = {}
    for name, (dtype, shape, begin, end) in entries.items():
        array = np.frombuffer(data[begin:end], dtype=dtype).reshape(shape)
        tensors[name] = array.astype(dtype.newbyteorder("="), copy=True)
    return tensors, metadata
