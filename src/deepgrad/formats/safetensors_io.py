"""A small safetensors writer and reader (no dependency on the ``safetensors`` package).

The format: an 8-byte little-endian header length ``n``, then ``n`` bytes of JSON (padded
with spaces to a multiple of 8), then the raw little-endian tensor bytes. The header maps
each tensor name to ``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets into the
data section) and may hold ``"__metadata__"``, a dict of strings.

The reader checks every field before it reads any tensor data (sizes are computed with
Python integers, so no shape can wrap around), reads the data in one pass into arrays of
the declared sizes, and can read the header alone (:func:`read_header`) so a caller can
compare it with what it expects first. The writer stores ``data_sha256`` in the metadata:
the SHA-256 of the tensor table and the data, which the reader checks when it is present
(other readers ignore it), so a flipped byte anywhere in the tensors fails instead of
loading different numbers. A file without it (written elsewhere, or by an earlier
deepgrad) is read unchecked.

>>> blob = dumps({"w": np.arange(3, dtype=np.float32)}, metadata={"note": "hi"})
>>> tensors, metadata = loads(blob)
>>> tensors["w"], metadata["note"]
(array([0., 1., 2.], dtype=float32), 'hi')
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from deepgrad.formats import jsonio
from deepgrad.formats.errors import FileFormatError

__all__ = ["dumps", "loads", "read_header", "read_tensors", "Header", "TensorInfo",
           "SafetensorsError", "DTYPES", "CHECKSUM_KEY"]

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
# The metadata key of the checksum deepgrad writes.
CHECKSUM_KEY = "data_sha256"
_CHUNK = 1 << 20


class SafetensorsError(FileFormatError):
    """A file or buffer is not valid safetensors; the message says where and what."""


@dataclass(frozen=True)
class TensorInfo:
    """One tensor of a header: its code (``"F32"``), dtype, shape and byte span in the data."""

    code: str
    dtype: np.dtype
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclass(frozen=True)
class Header:
    """A checked header: the tensors in file order, the metadata, and where the data is."""

    tensors: dict[str, TensorInfo]
    metadata: dict[str, str]
    data_start: int

    @property
    def data_size(self) -> int:
        """The bytes of tensor data the header declares."""
        return max((info.end for info in self.tensors.values()), default=0)


def _table(entries: Iterable[tuple[str, str, tuple[int, ...], int, int]]) -> bytes:
    """The tensor table in one canonical form: what the checksum covers besides the data."""
    return json.dumps([[name, code, list(shape), begin, end]
                       for name, code, shape, begin, end in entries],
                      separators=(",", ":")).encode()


def dumps(tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> bytes:
    """Serialize named arrays to safetensors bytes, in the order given, with a checksum.

    Args:
        tensors: name to array (any shape; numeric or bool dtype).
        metadata: optional string-to-string dict stored as ``__metadata__`` (deepgrad adds
            ``data_sha256``).

    Returns:
        The file's bytes.

    Raises:
        TypeError: for a dtype safetensors cannot hold, or non-string metadata.
        ValueError: for the reserved names ``__metadata__`` and ``data_sha256``.

    >>> len(dumps({"b": np.zeros((2, 2), dtype=np.float64)})) % 8
    0
    """
    metadata = dict(metadata or {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError("safetensors: `metadata` must map strings to strings.")
    if CHECKSUM_KEY in metadata:
        raise ValueError(f"safetensors: the metadata key {CHECKSUM_KEY!r} is reserved.")
    header: dict = {}
    chunks, entries, offset = [], [], 0
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
        shape = tuple(int(s) for s in array.shape)
        header[name] = {"dtype": code, "shape": list(shape),
                        "data_offsets": [offset, offset + len(raw)]}
        entries.append((name, code, shape, offset, offset + len(raw)))
        chunks.append(raw)
        offset += len(raw)
    digest = hashlib.sha256(_table(entries))
    for raw in chunks:
        digest.update(raw)
    metadata[CHECKSUM_KEY] = digest.hexdigest()
    header = {"__metadata__": metadata, **header}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def _read_exactly(stream: BinaryIO, size: int, where: str, what: str) -> bytes:
    """``size`` bytes from ``stream``, which may return fewer per call (a zip member does)."""
    data = bytearray()
    while len(data) < size:
        piece = stream.read(min(size - len(data), 1 << 24))
        if not piece:
            break
        data += piece
    if len(data) != size:
        raise SafetensorsError(where, what, f"the file ends after {len(data)} of {size} bytes "
                                            "(truncated).")
    return bytes(data)


def _check_entry(name: str, entry, where: str) -> TensorInfo:
    part = f"tensor {name!r}"
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise SafetensorsError(where, part, "must have exactly 'dtype', 'shape' and "
                                            f"'data_offsets'. Received: {entry!r:.200}")
    code = entry["dtype"]
    dtype = DTYPES.get(code) if isinstance(code, str) else None
    if dtype is None:
        raise SafetensorsError(where, part, f"unsupported dtype {code!r:.40}. Supported: "
                                            f"{sorted(DTYPES)}.")
    shape, offsets = entry["shape"], entry["data_offsets"]
    if not isinstance(shape, list) or len(shape) > 64 or not all(
        type(s) is int and s >= 0 for s in shape
    ):
        raise SafetensorsError(where, part, f"invalid shape {shape!r:.200}.")
    if (
        not isinstance(offsets, list) or len(offsets) != 2
        or not all(type(o) is int for o in offsets) or not 0 <= offsets[0] <= offsets[1]
    ):
        raise SafetensorsError(where, part, f"invalid data_offsets {offsets!r:.200}.")
    count, nonzero = 1, dtype.itemsize
    for size in shape:  # Python integers: no product wraps around
        count *= size
        nonzero *= max(size, 1)
    if nonzero >= 2**63:
        raise SafetensorsError(where, part, f"invalid shape {shape!r:.200}: larger than any "
                                            "array can be.")
    expected = count * dtype.itemsize
    if offsets[1] - offsets[0] != expected:
        raise SafetensorsError(
            where, part, f"of shape {tuple(shape)} and dtype {code} needs {expected} bytes, but "
                         f"its data_offsets span {offsets[1] - offsets[0]}."
        )
    return TensorInfo(code, dtype, tuple(shape), offsets[0], offsets[1])


def read_header(stream: BinaryIO, where: str, total_size: int) -> Header:
    """Read and check the header at the start of ``stream``; leave it at the data.

    Args:
        stream: a binary stream positioned at the file's start.
        where: the file (and member), for messages.
        total_size: the file's size in bytes: the data must fill the rest exactly.

    Raises:
        SafetensorsError: for a header that does not parse, a bad dtype, shape or offsets,
            overlapping or missing data, or a size that does not match ``total_size``.
    """
    if total_size < 8:
        raise SafetensorsError(where, "", f"not a safetensors file: it has {total_size} bytes, "
                                          "fewer than the 8-byte header length.")
    (size,) = struct.unpack("<Q", _read_exactly(stream, 8, where, "the header length"))
    if size > min(MAX_HEADER_BYTES, total_size - 8):
        raise SafetensorsError(
            where, "", f"not a safetensors file, or truncated: the header claims {size} bytes "
                       f"but the file has {total_size - 8} after the length field."
        )
    header = jsonio.loads(_read_exactly(stream, size, where, "the header"), where,
                          "the header (not a safetensors file?)", SafetensorsError,
                          max_bytes=MAX_HEADER_BYTES)
    if not isinstance(header, dict):
        raise SafetensorsError(where, "the header", "is not a dict (not a safetensors file?).")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise SafetensorsError(where, "__metadata__", "must map strings to strings.")
    tensors = {name: _check_entry(name, entry, where) for name, entry in header.items()}
    position = 0
    for name, info in sorted(tensors.items(), key=lambda item: (item[1].begin, item[1].end)):
        if info.begin != position:
            kind = "overlaps another" if info.begin < position else "leaves a gap before it"
            raise SafetensorsError(where, f"tensor {name!r}", f"its data {kind}.")
        position = info.end
    data_size = total_size - 8 - size
    if position != data_size:
        raise SafetensorsError(
            where, "", f"the header describes {position} bytes of tensor data but the file "
                       f"holds {data_size} (truncated or altered)."
        )
    checksum = metadata.get(CHECKSUM_KEY)
    if checksum is not None and (len(checksum) != 64 or
                                 checksum.strip("0123456789abcdef")):
        raise SafetensorsError(where, CHECKSUM_KEY, f"is not a SHA-256: {checksum!r:.80}.")
    return Header(tensors, metadata, 8 + size)


def _read_into(stream: BinaryIO, target: memoryview, digest, where: str, what: str) -> None:
    """Fill ``target`` (bytes) from ``stream`` in chunks, updating ``digest``."""
    filled = 0
    while filled < len(target):
        piece = target[filled:filled + _CHUNK]
        count = stream.readinto(piece)
        if not count:
            raise SafetensorsError(where, what, "the file ends inside its data (truncated).")
        digest.update(piece[:count])
        filled += count


def read_tensors(stream: BinaryIO, header: Header, where: str,
                 keys: Iterable[str] | None = None,
                 into: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Read the data section that follows a header; return the tensors named in ``keys``.

    The whole section is read once, in order; tensors not asked for are hashed and
    dropped, so memory holds only what is returned. The checksum is compared at the end.

    Args:
        stream: the stream :func:`read_header` left at the data.
        header: its result.
        where: the file, for messages.
        keys: the tensors to return (all when None).
        into: arrays to fill in place instead of new ones, by name (each must have the
            tensor's shape and native dtype and be C-contiguous); these are returned too.

    Returns:
        name to array, in native byte order, writable.

    Raises:
        SafetensorsError: for a truncated file or data that does not match its checksum.
    """
    wanted = set(header.tensors) if keys is None else set(keys)
    into = into or {}
    digest = hashlib.sha256(_table((name, info.code, info.shape, info.begin, info.end)
                                   for name, info in header.tensors.items()))
    out: dict[str, np.ndarray] = {}
    order = sorted(header.tensors.items(), key=lambda item: item[1].begin)
    scratch = None
    for name, info in order:
        if name in wanted:
            target = into.get(name)
            fits = (target is not None and target.shape == info.shape
                    and target.dtype == info.dtype and target.flags.c_contiguous
                    and target.flags.writeable)
            array = target if fits else np.empty(info.shape, info.dtype)
            _read_into(stream, memoryview(array.reshape(-1).view(np.uint8)), digest, where,
                       f"tensor {name!r}")
            if array.dtype != array.dtype.newbyteorder("="):  # big-endian hosts only
                array = array.astype(array.dtype.newbyteorder("="))
            if target is not None and not fits:
                target[...] = array
                array = target
            out[name] = array
        else:
            left = info.end - info.begin
            scratch = scratch if scratch is not None else bytearray(min(_CHUNK, max(left, 1)))
            while left:
                view = memoryview(scratch)[:min(left, len(scratch))]
                _read_into(stream, view, digest, where, f"tensor {name!r}")
                left -= len(view)
    expected = header.metadata.get(CHECKSUM_KEY)
    if expected is not None and digest.hexdigest() != expected:
        raise SafetensorsError(
            where, "", f"the tensors do not match their SHA-256 ({CHECKSUM_KEY} in the "
                       "metadata): the file is damaged or was altered."
        )
    return {name: out[name] for name, _ in order if name in out}


def loads(
    blob: bytes | memoryview, where: str = "safetensors"
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Parse safetensors bytes into ``(tensors, metadata)``, checking every field.

    The arrays are copies in native byte order, in the file's order; the metadata is
    returned without the checksum.

    Args:
        blob: the file's bytes.
        where: a label for error messages (e.g. the file name).

    Raises:
        SafetensorsError: for a header that does not parse, a bad dtype, shape or
            offsets, overlapping or missing data, a truncated file, or tensors that do
            not match the checksum.

    >>> loads(b"garbage!")
    Traceback (most recent call last):
    ...
    deepgrad.formats.safetensors_io.SafetensorsError: safetensors: not a safetensors file, ...
    """
    stream = io.BytesIO(blob)
    header = read_header(stream, where, len(blob))
    tensors = read_tensors(stream, header, where)
    metadata = {k: v for k, v in header.metadata.items() if k != CHECKSUM_KEY}
    return {name: tensors[name] for name in header.tensors}, metadata
