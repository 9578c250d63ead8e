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

import os
from pathlib import Path

import numpy as np

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


def _describe_codes() -> str:
    return ", ".join(f"0x{code:02X} ({dtype.name})" for code, dtype in _IDX_DTYPES.items())


def gunzip(data: bytes, source: str = "<bytes>") -> bytes:
    """Decompress gzip'd bytes, turning a bad stream into a ``ValueError`` that names the source.

    Args:
        data: the bytes of a gzip file (one or more members).
        source: what the bytes came from, for the error message (usually a path).

    Returns:
        The decompressed bytes.

    Raises:
        ValueError: if ``data`` is not a complete, valid gzip stream (bad header,
            corrupt deflate data, failed CRC, or cut short).

    >>> import gzip
    >>> gunzip(gzip.compress(b"abc"))
    b'abc'
    >>> gunzip(gzip.compress(b"abc")[:-3], "x.gz")
    Traceback (most recent call last):
    ...
    ValueError: x.gz: not a valid gzip file (...). It is probably truncated or corrupt: ...
    """
    import gzip
    import zlib

    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(
            f"{source}: not a valid gzip file ({type(error).__name__}: {error}). It is probably "
            "truncated or corrupt: delete it and fetch it again."
        ) from None


def parse_idx(data: bytes | bytearray | memoryview, source: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file into a NumPy array.

    Args:
        data: the whole file's bytes.
        source: what the bytes came from, for error messages (usually a path).

    Returns:
        A new, writable array in native byte order with the shape and dtype the
        header declares (uint8 for MNIST's images and labels).

    Raises:
        ValueError: if the magic number, the type code or the dimension count is
            invalid, or if the payload is shorter or longer than the header declares.

    >>> parse_idx(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9]))
    array([7, 8, 9], dtype=uint8)
    >>> parse_idx(bytes([0, 0, 0x08, 1, 0, 0, 0, 4, 7, 8, 9]), "labels-idx1-ubyte")
    Traceback (most recent call last):
    ...
    ValueError: labels-idx1-ubyte: truncated IDX file: its header declares 4 uint8 values
    (4 bytes after the 8-byte header) but 3 bytes follow.
    """
    view = memoryview(data).cast("B")
    if len(view) < 4:
        raise ValueError(
            f"{source}: not an IDX file: it has {len(view)} bytes, fewer than the 4 of the "
            "smallest IDX header."
        )
    if view[0] != 0 or view[1] != 0:
        hint = " (it is gzip'd: decompress it first, or use read_idx)"
        first = bytes(view[:4]).hex()
        raise ValueError(
            f"{source}: not an IDX file: bad magic number 0x{first} (an IDX file starts with "
            "two zero bytes, a type code and a dimension count)"
            + (hint if bytes(view[:2]) == _GZIP_MAGIC else "")
            + "."
        )
    code, ndim = view[2], view[3]
    if code not in _IDX_DTYPES:
        raise ValueError(
            f"{source}: not an IDX file: unknown type code 0x{code:02X} in its magic number "
            f"(expected one of {_describe_codes()})."
        )
    if ndim == 0:
        raise ValueError(f"{source}: invalid IDX header: it declares 0 dimensions.")
    header_size = 4 + 4 * ndim
    if len(view) < header_size:
        raise ValueError(
            f"{source}: truncated IDX file: its header declares {ndim} dimensions "
            f"({header_size} header bytes) but the file has only {len(view)} bytes."
        )
    shape = tuple(int(size) for size in np.frombuffer(view, ">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    expected = count * dtype.itemsize
    found = len(view) - header_size
    if found != expected:
        values = "x".join(str(size) for size in shape) if ndim > 1 else str(count)
        declared = (
            f"its header declares {values} {dtype.name} values ({expected} bytes after the "
            f"{header_size}-byte header)"
        )
        if found < expected:
            raise ValueError(f"{source}: truncated IDX file: {declared} but {found} bytes follow.")
        raise ValueError(
            f"{source}: invalid IDX file: {declared} but {found} bytes follow "
            f"({found - expected} extra)."
        )
    flat = np.frombuffer(view, dtype, count=count, offset=header_size)
    return flat.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, plain or gzip'd, checking its header and length.

    Args:
        path: the file; gzip'd files are recognised by their content, whatever their name.

    Returns:
        The array the file holds, writable and in native byte order.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: if the file is not valid gzip or not a valid IDX file (bad
            magic number, unknown type code, truncated or overlong payload); the
            message names the file and what is wrong.

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
    >>> write_idx(path, np.array([3, 1, 4], np.uint8))
    >>> read_idx(path)
    array([3, 1, 4], dtype=uint8)
    """
    path = Path(path)
    data = path.read_bytes()
    if data[:2] == _GZIP_MAGIC:
        data = gunzip(data, str(path))
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
