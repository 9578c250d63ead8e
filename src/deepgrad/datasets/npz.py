"""Read ``.npz`` archives, including Keras's ragged datasets (IMDB), without unpickling.

NumPy stores an object array (Keras's ``imdb.npz`` keeps each review as a Python list
of word ids in one) as a pickle stream, and ``np.load(allow_pickle=True)`` would run
whatever that stream asks for. deepgrad never unpickles. Numeric members are read with
``allow_pickle=False``; an object member is *parsed*: :func:`read_object_array` walks
the pickle opcodes itself and accepts only what NumPy writes for a 1-D object array of
lists of integers (the names ``numpy.ndarray``, ``numpy.dtype`` and
``numpy(.core|._core).multiarray._reconstruct``, tuples, lists, integers, strings),
building the values with plain Python; nothing is imported or called by a name read
from the file, and any other opcode or name is an error. This reads Keras's files
(pickle protocol 2, from Python 2) and those NumPy writes today (protocols 2 to 5).

>>> import io
>>> ragged = np.empty(2, dtype=object)
>>> ragged[:] = [[1, 2, 3], [4]]
>>> buffer = io.BytesIO()
>>> np.savez(buffer, x=ragged, y=np.array([0, 1]))
>>> arrays = load_npz(buffer.getvalue(), "example.npz")
>>> arrays["x"].tolist(), arrays["y"].tolist()
([[1, 2, 3], [4]], [0, 1])
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np

from deepgrad.formats.errors import FileFormatError

__all__ = ["load_npz", "read_object_array"]

_ALLOWED = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("_codecs", "encode"),  # Python 3 writes bytes in protocol 2 as encode(str, 'latin1')
}
_MARK = object()


class _Name:
    """A global named by the stream (only those in ``_ALLOWED``); never resolved."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name


class _Call:
    """``function(*args)`` as recorded by REDUCE, and the state BUILD gives it."""

    __slots__ = ("function", "args", "state")

    def __init__(self, function: _Name, args: tuple):
        self.function, self.args, self.state = function, args, None


def _global(module: str, name: str, source: str) -> _Name:
    if (module, name) not in _ALLOWED:
        raise FileFormatError(
            source, "", f"refusing the pickled object {module}.{name}: deepgrad reads only "
                        "NumPy object arrays of integer lists from .npz files (the file may be "
                        "corrupt or unsafe)."
        )
    return _Name(module, name)


def _int_run(stream: bytes, at: int) -> tuple[list, int]:
    """The ints of consecutive BININT1/BININT2/BININT opcodes from ``at``, and the end."""
    run, end = [], len(stream)
    while at < end:
        op = stream[at]
        if op == 75 and at + 2 <= end:  # K: 1 unsigned byte
            run.append(stream[at + 1])
            at += 2
        elif op == 77 and at + 3 <= end:  # M: 2 bytes, little-endian unsigned
            run.append(stream[at + 1] | stream[at + 2] << 8)
            at += 3
        elif op == 74 and at + 5 <= end:  # J: 4 bytes, little-endian signed
            run.append(int.from_bytes(stream[at + 1 : at + 5], "little", signed=True))
            at += 5
        else:
            break
    return run, at


def _parse(stream: bytes, source: str):
    """Run the allowed pickle opcodes on a stack of plain values; return the top value."""
    data, at, stack, memo = memoryview(stream), 0, [], {}

    def take(n: int) -> bytes:
        nonlocal at
        if at + n > len(data):
            raise FileFormatError(source, "", "the pickled array is truncated.")
        chunk = bytes(data[at : at + n])
        at += n
        return chunk

    def unpack(fmt: str) -> int:
        return struct.unpack(fmt, take(struct.calcsize(fmt)))[0]

    def pop_mark() -> list:
        items = []
        while True:
            if not stack:
                raise FileFormatError(source, "", "malformed pickled array (no MARK).")
            item = stack.pop()
            if item is _MARK:
                return items[::-1]
            items.append(item)

    while True:
        op = take(1)
        if op == b"\x80":  # PROTO
            take(1)
        elif op == b"\x95":  # FRAME
            take(8)
        elif op == b".":  # STOP
            if len(stack) != 1:
                raise FileFormatError(source, "", "malformed pickled array.")
            return stack[0]
        elif op == b"(":
            # The bulk of a ragged array: MARK, a run of small ints, APPENDS. Read the run
            # in one tight loop and extend the list at once.
            run, at = _int_run(stream, at)
            if stream[at : at + 1] == b"e" and stack and isinstance(stack[-1], list):
                stack[-1].extend(run)
                at += 1
            else:
                stack.append(_MARK)
                stack.extend(run)
        elif op == b"N":
            stack.append(None)
        elif op == b"\x88":
            stack.append(True)
        elif op == b"\x89":
            stack.append(False)
        elif op == b"K":
            stack.append(unpack("<B"))
        elif op == b"M":
            stack.append(unpack("<H"))
        elif op == b"J":
            stack.append(unpack("<i"))
        elif op == b"\x8a":  # LONG1
            stack.append(int.from_bytes(take(unpack("<B")), "little", signed=True))
        elif op in (b"U", b"T"):  # SHORT_BINSTRING, BINSTRING (Python 2 str)
            stack.append(take(unpack("<B" if op == b"U" else "<i")).decode("latin1"))
        elif op in (b"\x8c", b"X"):  # SHORT_BINUNICODE, BINUNICODE
            stack.append(take(unpack("<B" if op == b"\x8c" else "<I")).decode("utf-8"))
        elif op in (b"C", b"B"):  # SHORT_BINBYTES, BINBYTES
            stack.append(take(unpack("<B" if op == b"C" else "<I")))
        elif op == b"c":  # GLOBAL 'module\nname\n'
            module = bytearray()
            while (char := take(1)) != b"\n":
                module += char
            name = bytearray()
            while (char := take(1)) != b"\n":
                name += char
            stack.append(_global(module.decode(), name.decode(), source))
        elif op == b"\x93":  # STACK_GLOBAL
            name, module = stack.pop(), stack.pop()
            stack.append(_global(str(module), str(name), source))
        elif op == b"\x94":  # MEMOIZE
            memo[len(memo)] = stack[-1]
        elif op in (b"q", b"r"):  # BINPUT, LONG_BINPUT
            memo[unpack("<B" if op == b"q" else "<I")] = stack[-1]
        elif op in (b"h", b"j"):  # BINGET, LONG_BINGET
            stack.append(memo[unpack("<B" if op == b"h" else "<I")])
        elif op == b")":
            stack.append(())
        elif op in (b"\x85", b"\x86", b"\x87"):  # TUPLE1, TUPLE2, TUPLE3
            n = {b"\x85": 1, b"\x86": 2, b"\x87": 3}[op]
            items = tuple(stack[-n:])
            del stack[-n:]
            stack.append(items)
        elif op == b"t":
            stack.append(tuple(pop_mark()))
        elif op == b"]":
            stack.append([])
        elif op == b"a":
            item = stack.pop()
            stack[-1].append(item)
        elif op == b"e":
            items = pop_mark()
            stack[-1].extend(items)
        elif op == b"R":  # REDUCE: record the call, never make it
            args, function = stack.pop(), stack.pop()
            if not isinstance(function, _Name):
                raise FileFormatError(source, "", "malformed pickled array (REDUCE).")
            if (function.module, function.name) == ("_codecs", "encode"):
                stack.append(str(args[0]).encode("latin1"))
            else:
                stack.append(_Call(function, args))
        elif op == b"b":  # BUILD
            state = stack.pop()
            if not isinstance(stack[-1], _Call):
                raise FileFormatError(source, "", "malformed pickled array (BUILD).")
            stack[-1].state = state
        else:
            raise FileFormatError(
                source, "", f"the pickled array uses opcode {op!r}, which deepgrad does not "
                            "accept (it reads only NumPy object arrays of integer lists)."
            )


def read_object_array(stream: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse the pickle stream of a NumPy object array of integer lists (no unpickling).

    Args:
        stream: the bytes after a ``.npy`` header, as NumPy writes object arrays.
        source: the member's name, for errors.

    Returns:
        A 1-D object array whose elements are lists of Python ints.

    Raises:
        FileFormatError: (a ``ValueError``) anything but such an array: other objects,
            opcodes or names, or a damaged stream.

    >>> import pickle
    >>> ragged = np.empty(2, dtype=object)
    >>> ragged[:] = [[5, 70000], []]
    >>> read_object_array(pickle.dumps(ragged, protocol=2)).tolist()
    [[5, 70000], []]
    """
    try:
        value = _parse(stream, source)
    except FileFormatError:
        raise
    except (IndexError, KeyError, AttributeError, TypeError, ValueError, struct.error,
            UnicodeDecodeError, RecursionError, OverflowError, MemoryError) as error:
        # A damaged stream pops an empty stack, appends to a non-list, names no memo...
        raise FileFormatError(source, "", f"malformed pickled array ({type(error).__name__}: "
                                          f"{error}).") from None
    shape = None
    if isinstance(value, _Call) and value.function.name == "_reconstruct":
        state = value.state
        if isinstance(state, tuple) and len(state) == 5 and isinstance(state[2], _Call):
            shape, dtype_call, items = state[1], state[2], state[4]
            if dtype_call.function.name != "dtype" or str(dtype_call.args[0]) != "O8":
                shape = None
    if shape is None or not isinstance(items, list) or len(shape) != 1 or shape[0] != len(items):
        raise FileFormatError(source, "", "not a pickled 1-D NumPy object array.")
    for item in items:
        if not isinstance(item, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in item
        ):
            raise FileFormatError(source, "", "an element of the object array is not a list of "
                                              "integers.")
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _read_member(blob: bytes, source: str) -> np.ndarray:
    from numpy.lib import format as npy

    stream = io.BytesIO(blob)
    try:
        version = npy.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = npy.read_array_header_1_0(stream)
        else:
            shape, fortran, dtype = npy.read_array_header_2_0(stream)
    except (ValueError, TypeError, SyntaxError, OverflowError, EOFError) as error:
        raise FileFormatError(source, "", f"not a .npy array ({error}).") from None
    if dtype.hasobject:
        out = read_object_array(stream.read(), source)
        if out.shape != tuple(shape):
            raise FileFormatError(source, "", "the array's header and data disagree on its shape.")
        return out
    stream.seek(0)
    try:
        return npy.read_array(stream, allow_pickle=False)
    except (ValueError, TypeError, OverflowError, EOFError, MemoryError) as error:
        raise FileFormatError(source, "", f"not a readable .npy array ({error}).") from None


def load_npz(data: bytes, source: str) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` archive's bytes, object arrays parsed safely.

    The loaders call it only on a file whose checksum matched the published one: members
    are decompressed whole.

    Raises:
        FileFormatError: (a ``ValueError``) not a zip of ``.npy`` files, or a member that is
            neither a plain array nor an object array of integer lists.
    """
    arrays = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                if member.endswith(".npy"):
                    name = member[: -len(".npy")]
                    arrays[name] = _read_member(archive.read(member), f"{source}:{member}")
    except FileFormatError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError, zlib.error) as error:
        raise FileFormatError(source, "", "not an .npz archive, or a damaged one "
                                          f"({type(error).__name__}: {error}).") from None
    return arrays
