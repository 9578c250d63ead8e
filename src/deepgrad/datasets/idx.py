"""The IDX file format of MNIST and Fashion-MNIST: a reader that checks everything, and a writer.

An IDX file is a header and a payload. The header is two zero bytes, a type code
(``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16, ``0x0C`` int32, ``0x0D`` float32,
``0x0E`` float64), a dimension count ``n`` and ``n`` big-endian uint32 sizes; the
payload is the values, big-endian, row-major, and nothing else. Files are often
gzip'd; the reader tells the two apart by their first bytes, not by their names.

>>> import numpy as np, tempfile, os
>>> folder = tempfile.mkdtemp()
>>> write_idx(os.path.join(folder, "x-idx3-ubyte.gz"), np.zeros((2, 3, 3), np.uint8))
>>> read_idx(os.path.join(folder, "x-idx3-ubyte.gz")).shape
(2, 3, 3)
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np

from deepgrad.formats.errors import FileFormatError

__all__ = ["read_idx", "parse_idx", "write_idx", "gunzip"]

# Type code -> big-endian dtype, as the format defines them.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES = {dtype.newbyteorder("="): code for code, dtype in _IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_PIECE = 1 << 24


def _describe_codes() -> str:
    return ", ".join(f"0x{code:02X} ({dtype.name})" for code, dtype in _IDX_DTYPES.items())


def gunzip(data: bytes, source: str = "<bytes>", limit: int | None = None) -> bytes:
    """Decompress gzip'd bytes, at most ``limit`` of them, naming the source in any error.

    Args:
        data: the bytes of a gzip file (one or more members).
        source: what the bytes came from, for the error message (usually a path).
        limit: the most bytes the content may have; decompression stops past it, so a
            small file cannot expand to gigabytes. None for no limit.

    Returns:
        The decompressed bytes.

    Raises:
        FileFormatError: (a ``ValueError``) if ``data`` is not a complete, valid gzip
            stream (bad header, corrupt deflate data, failed CRC, or cut short), or its
            content exceeds ``limit``.

    >>> import gzip
    >>> gunzip(gzip.compress(b"abc"))
    b'abc'
    >>> gunzip(gzip.compress(b"abc")[:-3], "x.gz")
    Traceback (most recent call last):
    ...
    deepgrad.formats.errors.FileFormatError: x.gz: not a valid gzip file (...). It is probably ...
    >>> gunzip(gzip.compress(bytes(10_000)), "x.gz", limit=100)
    Traceback (most recent call last):
    ...
    deepgrad.formats.errors.FileFormatError: x.gz: its content is larger than the 100 bytes ...
    """
    with _GzipStream(data, source) as stream:
        content = stream.read_at_most(limit)
    return content


class _GzipStream:
    """Read a gzip'd buffer's content in bounded pieces; errors name the source."""

    def __init__(self, data: bytes, source: str) -> None:
        import gzip

        self._file = gzip.GzipFile(fileobj=io.BytesIO(data))
        self._source = source

    def __enter__(self) -> _GzipStream:
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()

    def read(self, size: int) -> bytes:
        """Read up to ``size`` bytes (fewer only at the end)."""
        import zlib

        pieces, left = [], size
        try:
            while left > 0:
                piece = self._file.read(min(left, _PIECE))
                if not piece:
                    break
                pieces.append(piece)
                left -= len(piece)
        except (OSError, EOFError, zlib.error) as error:
            raise FileFormatError(
                self._source, "", f"not a valid gzip file ({type(error).__name__}: {error}). It "
                                  "is probably truncated or corrupt: delete it and fetch it again."
            ) from None
        return b"".join(pieces)

    def read_at_most(self, limit: int | None) -> bytes:
        """Read everything, failing if there is more than ``limit`` bytes."""
        if limit is None:
            return self.read(1 << 62)
        content = self.read(limit + 1)
        if len(content) > limit:
            raise FileFormatError(self._source, "", f"its content is larger than the {limit} "
                                                    "bytes expected; not the published file.")
        return content


def parse_idx(data: bytes | bytearray | memoryview, source: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file into a NumPy array.

    Args:
        data: the whole file's bytes.
        source: what the bytes came from, for error messages (usually a path).

    Returns:
        A new, writable array in native byte order with the shape and dtype the
        header declares (uint8 for MNIST's images and labels).

    Raises:
        FileFormatError: (a ``ValueError``) if the magic number, the type code or the
            dimension count is invalid, or if the payload is shorter or longer than the
            header declares.

    >>> parse_idx(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9]))
    array([7, 8, 9], dtype=uint8)
    >>> parse_idx(bytes([0, 0, 0x08, 1, 0, 0, 0, 4, 7, 8, 9]), "labels-idx1-ubyte")
    Traceback (most recent call last):
    ...
    deepgrad.formats.errors.FileFormatError: labels-idx1-ubyte: truncated IDX file: its header
    declares 4 uint8 values (4 bytes after the 8-byte header) but 3 bytes follow.
    """
    view = memoryview(data).cast("B")
    dtype, shape, header_size = _parse_header(bytes(view[:1024]), len(view), source)
    count = math.prod(shape)
    _check_length(dtype, shape, header_size, len(view) - header_size, source)
    flat = np.frombuffer(view, dtype, count=count, offset=header_size)
    return flat.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def _parse_header(head: bytes, size: int, source: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """Check an IDX header (``head``: at least its first bytes; ``size``: the file's)."""
    if size < 4:
        raise FileFormatError(source, "", f"not an IDX file: it has {size} bytes, fewer than "
                                          "the 4 of the smallest IDX header.")
    if head[0] != 0 or head[1] != 0:
        hint = " (it is gzip'd: decompress it first, or use read_idx)"
        raise FileFormatError(
            source, "", f"not an IDX file: bad magic number 0x{head[:4].hex()} (an IDX file "
                        "starts with two zero bytes, a type code and a dimension count)"
                        + (hint if head[:2] == _GZIP_MAGIC else "") + "."
        )
    code, ndim = head[2], head[3]
    if code not in _IDX_DTYPES:
        raise FileFormatError(source, "", f"not an IDX file: unknown type code 0x{code:02X} in "
                                          f"its magic number (expected one of "
                                          f"{_describe_codes()}).")
    if ndim == 0:
        raise FileFormatError(source, "", "invalid IDX header: it declares 0 dimensions.")
    header_size = 4 + 4 * ndim
    if size < header_size or len(head) < header_size:
        raise FileFormatError(source, "", f"truncated IDX file: its header declares {ndim} "
                                          f"dimensions ({header_size} header bytes) but the file "
                                          f"has only {size} bytes.")
    shape = tuple(int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return _IDX_DTYPES[code], shape, header_size


def _check_length(dtype: np.dtype, shape: tuple[int, ...], header_size: int, found: int,
                  source: str) -> None:
    count = math.prod(shape)  # Python integers: 2**32-sized dimensions cannot wrap around
    expected = count * dtype.itemsize
    if found == expected:
        return
    values = "x".join(str(size) for size in shape) if len(shape) > 1 else str(count)
    declared = (f"its header declares {values} {dtype.name} values ({expected} bytes after "
                f"the {header_size}-byte header)")
    if found < expected:
        raise FileFormatError(source, "", f"truncated IDX file: {declared} but {found} bytes "
                                          "follow.")
    raise FileFormatError(source, "", f"invalid IDX file: {declared} but {found} bytes follow "
                                      f"({found - expected} extra).")


def _gunzip_idx(data: bytes, source: str, limit: int | None = None) -> bytes:
    """Decompress a gzip'd IDX file, never past the size its header declares (or ``limit``)."""
    with _GzipStream(data, source) as stream:
        head = stream.read(4)
        if len(head) == 4 and head[:2] == b"\0\0" and head[3]:
            head += stream.read(4 * head[3])
        if len(head) < 4 or head[:2] != b"\0\0" or head[2] not in _IDX_DTYPES or not head[3] \
                or len(head) < 4 + 4 * head[3]:
            return head + stream.read_at_most(None if limit is None else limit - len(head))
        dtype, shape, header_size = _parse_header(head, len(head), source)
        expected = math.prod(shape) * dtype.itemsize
        if limit is not None:
            expected = min(expected, limit - header_size)
        return head + stream.read(expected + 1)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, plain or gzip'd, checking its header and length.

    A gzip'd file is decompressed no further than its header's size (plus one byte, to
    tell an overlong file), so a small file cannot expand to gigabytes.

    Args:
        path: the file; gzip'd files are recognised by their content, whatever their name.

    Returns:
        The array the file holds, writable and in native byte order.

    Raises:
        FileNotFoundError: if the file does not exist.
        FileFormatError: (a ``ValueError``) if the file is not valid gzip or not a valid
            IDX file (bad magic number, unknown type code, truncated or overlong payload);
            the message names the file and what is wrong.

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
    >>> write_idx(path, np.array([3, 1, 4], np.uint8))
    >>> read_idx(path)
    array([3, 1, 4], dtype=uint8)
    """
    path = Path(path)
    data = path.read_bytes()
    if data[:2] == _GZIP_MAGIC:
        data = _gunzip_idx(data, str(path))
    return parse_idx(data, str(path))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write an array as an IDX file, gzip'd when the name ends in ``.gz``.

    Args:
        path: where to write; the folder must exist.
        array: an array of a dtype IDX can hold (uint8, int8, int16, int32,
            float32, float64) with at least one dimension.

    Raises:
        ValueError: if the array has no dimensions, or a dimension too large for IDX.
        TypeError: if its dtype has no IDX type code.

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "w-idx2-float")
    >>> write_idx(path, np.eye(2, dtype=np.float32))
    >>> read_idx(path)
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _IDX_CODES:
        raise TypeError(
            f"write_idx: IDX cannot hold dtype {array.dtype}. Expected one of "
            f"{', '.join(dtype.name for dtype in _IDX_DTYPES.values())}."
        )
    if array.ndim == 0 or array.ndim > 255 or max(array.shape) >= 2**32:
        raise ValueError(
            f"write_idx: IDX needs 1 to 255 dimensions, each below 2**32. "
            f"Received an array of shape {array.shape}."
        )
    code = _IDX_CODES[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    payload = np.ascontiguousarray(array, _IDX_DTYPES[code]).tobytes()
    path = Path(path)
    if path.name.endswith(".gz"):
        import gzip

        # mtime=0 and no name in the gzip header: the same array always gives the same file.
        path.write_bytes(gzip.compress(header + payload, mtime=0))
    else:
        path.write_bytes(header + payload)
