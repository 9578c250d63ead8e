"""The model file: a zip of named members plus ``manifest.json`` with their sizes and SHA-256.

Writing is deterministic (fixed timestamps, members in a fixed order). Reading checks the
file before it reads any member's data: that it is a zip whose members are stored or
deflated and not encrypted, that the manifest (read with a size cap) is a deepgrad one of
a format version this reader knows, and that the zip's central directory lists exactly
the members the manifest lists, each with the declared size. Members are then read one
at a time, streamed, never past their declared size, and their SHA-256 is compared at the
end of each; a member the manifest does not list is never read. Whatever the zip library
raises on a damaged file becomes a :class:`~deepgrad.formats.errors.FileFormatError`.

>>> blob = write_archive({"config.json": b"{}"})
>>> sorted(read_archive_bytes(blob, "demo"))
['config.json']
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
import zlib
from collections.abc import Iterable

from deepgrad import __version__
from deepgrad.formats import jsonio
from deepgrad.formats.errors import FileFormatError

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "MANIFEST", "write_archive", "open_zip",
           "open_archive", "ModelArchive", "MemberStream", "member_file", "read_archive_bytes",
           "check_file", "sniff", "check_format"]

FORMAT_NAME = "deepgrad.model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# A manifest lists a few members in about 120 bytes each.
MAX_MANIFEST_BYTES = 1 << 20
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_COMPRESSIONS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
# What a damaged zip makes the zip module raise (a bad offset gives ValueError('negative
# seek value'), a bad method NotImplementedError, encryption RuntimeError).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error,
               ValueError, NotImplementedError, RuntimeError, OverflowError, UnicodeError,
               KeyError, IndexError)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_archive(members: dict[str, bytes]) -> bytes:
    """Return the zip bytes holding ``members`` and a manifest of their SHA-256.

    JSON members are deflated; tensor data is stored as is (it does not compress).

    >>> write_archive({"a.json": b"1"})[:2]
    b'PK'
    """
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "deepgrad_version": __version__,
        "files": {name: {"size": len(data), "sha256": _sha256(data)}
                  for name, data in members.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in [*members.items(),
                           (MANIFEST, json.dumps(manifest, indent=1).encode())]:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = (
                zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
            )
            archive.writestr(info, data)
    return buffer.getvalue()


def check_format(info: dict, where: str) -> None:
    """Check a manifest's or config's ``format`` and ``format_version`` fields.

    Raises:
        FileFormatError: for another format, or a version newer than this reader knows.

    >>> check_format({"format": FORMAT_NAME, "format_version": 99}, "m.deepgrad")
    Traceback (most recent call last):
    ...
    deepgrad.formats.errors.FileFormatError: m.deepgrad: written in model format version 99 ...
    """
    if not isinstance(info, dict) or info.get("format") != FORMAT_NAME:
        found = info.get("format") if isinstance(info, dict) else None
        raise FileFormatError(where, "", f"not a deepgrad model file (format {found!r:.80}).")
    version = info.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise FileFormatError(where, "", f"invalid format_version {version!r:.80}.")
    if version > FORMAT_VERSION:
        raise FileFormatError(
            where, "", f"written in model format version {version} (by deepgrad "
                       f"{str(info.get('deepgrad_version', '?')):.40}), but this deepgrad "
                       f"{__version__} reads versions up to {FORMAT_VERSION}. To fix, upgrade "
                       "deepgrad."
        )


def check_file(path, who: str) -> str:
    """Return ``path`` as a string after checking that it names a file.

    Raises:
        FileNotFoundError: if nothing is at ``path``.
        IsADirectoryError: if ``path`` is a folder.

    >>> check_file("/no/such/model.deepgrad", "load_model")
    Traceback (most recent call last):
    ...
    FileNotFoundError: load_model: no file at '/no/such/model.deepgrad'.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{who}: {path!r} is a folder, not a file.")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{who}: no file at {path!r}.")
    return path


def sniff(source: str | bytes) -> bytes:
    """The first 8 bytes of a file (or of bytes), which tell its kind."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source[:8])
    with open(source, "rb") as handle:
        return handle.read(8)


def _not_ours(names: list[str], where: str) -> FileFormatError:
    if "model.weights.h5" in names or "model.weights.npz" in names:
        return FileFormatError(
            where, "", "this is a Keras 3 .keras file, not a deepgrad one, so its architecture "
                       "cannot be loaded. To use its weights, build the same model in deepgrad "
                       "and call model.load_weights(path)."
        )
    shown = ", ".join(repr(n)[:60] for n in names[:5]) + (" ..." if len(names) > 5 else "")
    return FileFormatError(where, "", f"not a deepgrad model file: the zip has no {MANIFEST} "
                                      f"(it holds: {shown or 'nothing'}).")


def open_zip(source: str | bytes, where: str) -> zipfile.ZipFile:
    """Open a zip file (a path, or bytes) after checking its kind and every member's entry.

    Only the central directory is read. Members must be stored or deflated (what deepgrad
    and Keras write), not encrypted, and named once.

    Raises:
        FileFormatError: for an HDF5 file, anything that is not a zip, a damaged zip, or
            a member that is encrypted, compressed another way, or named twice.

    >>> open_zip(b"hello", "notes.txt")
    Traceback (most recent call last):
    ...
    deepgrad.formats.errors.FileFormatError: notes.txt: not a deepgrad model file: it is not ...
    """
    head = sniff(source)
    if head.startswith(HDF5_MAGIC):
        raise FileFormatError(
            where, "", "this is an HDF5 (.h5) file, not a deepgrad model file. For Keras "
                       "weights, build the model and call model.load_weights(path)."
        )
    if not head.startswith(ZIP_MAGIC):
        raise FileFormatError(where, "", "not a deepgrad model file: it is not a zip archive "
                                         f"(it starts with {head!r}).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        infos = archive.infolist()
    except _ZIP_ERRORS as error:
        raise FileFormatError(where, "", "the model file is damaged or truncated "
                                         f"({type(error).__name__}: {error}).") from None
    names = [info.filename for info in infos]
    problem = None
    if len(set(names)) != len(names):
        problem = "the zip names a member twice; the file is altered."
    for info in infos:
        if info.flag_bits & 0x1:
            problem = f"member {info.filename!r:.80} is encrypted; deepgrad never writes that."
        elif info.compress_type not in _COMPRESSIONS:
            problem = (f"member {info.filename!r:.80} uses compression method "
                       f"{info.compress_type}; only stored and deflated members are read.")
    if problem:
        archive.close()
        raise FileFormatError(where, "", problem)
    return archive


class MemberStream(io.RawIOBase):
    """One zip member, streamed: never more than its declared size, hashed as it is read.

    :meth:`finish` reads nothing more than the declared size, and checks that the member
    had exactly that size and the expected SHA-256.
    """

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str,
                 size: int, sha256: str | None) -> None:
        super().__init__()
        self._where, self._name = where, info.filename
        self._left, self._sha256 = size, sha256
        self._digest = hashlib.sha256()
        try:
            self._handle = archive.open(info)
        except _ZIP_ERRORS as error:
            raise self._damaged(error) from None

    def _damaged(self, error: BaseException) -> FileFormatError:
        return FileFormatError(self._where, self._name, "the member is damaged "
                                                        f"({type(error).__name__}: {error}).")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        size = min(len(view), self._left, 1 << 20)
        if size <= 0:
            return 0
        try:
            data = self._handle.read(size)
        except _ZIP_ERRORS as error:
            raise self._damaged(error) from None
        view[:len(data)] = data
        self._digest.update(data)
        self._left -= len(data)
        return len(data)

    def finish(self) -> None:
        """Check the member ended at its declared size and matches its SHA-256.

        Raises:
            FileFormatError: if not.
        """
        try:
            beyond = self._handle.read(1) if self._left == 0 else b""
        except _ZIP_ERRORS as error:
            raise self._damaged(error) from None
        if self._left or beyond:
            raise FileFormatError(self._where, self._name, "its size differs from the one "
                                                           "declared; the file is altered.")
        if self._sha256 is not None and self._digest.hexdigest() != self._sha256:
            raise FileFormatError(
                self._where, self._name, "the member does not match its SHA-256 in the "
                                         "manifest; the file is damaged or was altered."
            )

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
        super().close()


class _Window(io.RawIOBase):
    """A read-only, seekable view of ``size`` bytes of a file from ``start``: a stored
    member, read in place (HDF5 seeks often; the zip module's member files re-read from
    the start on every backward seek)."""

    def __init__(self, handle, start: int, size: int, owned: bool) -> None:
        super().__init__()
        self._handle, self._start, self._size, self._owned = handle, start, size, owned
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._position, 2: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        size = max(0, min(len(view), self._size - self._position))
        if not size:
            return 0
        self._handle.seek(self._start + self._position)
        count = self._handle.readinto(view[:size]) or 0
        self._position += count
        return count

    def close(self) -> None:
        if not self.closed and self._owned:
            self._handle.close()
        super().close()


def member_file(archive: zipfile.ZipFile, name: str, where: str,
                max_deflated: int) -> io.RawIOBase:
    """A seekable file object over member ``name`` of a zip (for HDF5 inside ``.keras``).

    A stored member is read in place, within the bytes the zip gives it; a deflated one is
    decompressed into memory, and refused if declared larger than ``max_deflated``.

    Raises:
        FileFormatError: for a member that is damaged, or deflated and too large.
    """
    info = archive.getinfo(name)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        if info.file_size > max_deflated:
            raise FileFormatError(where, name, f"is deflated to {info.file_size} bytes, more "
                                               f"than the {max_deflated} this model can need.")
        return io.BytesIO(_read_member(archive, info, where, info.file_size, None))
    owned = archive.filename is not None and not isinstance(archive.filename, int)
    handle = open(archive.filename, "rb") if owned else archive.fp
    try:
        handle.seek(0, 2)
        length = handle.tell()
        if not 0 <= info.header_offset <= length - 30:
            raise FileFormatError(where, name, "its local header lies outside the file; the "
                                               "file is truncated or altered.")
        handle.seek(info.header_offset)
        local = handle.read(30)
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            raise FileFormatError(where, name, "its local header is damaged.")
        start = info.header_offset + 30 + int.from_bytes(local[26:28], "little") + \
            int.from_bytes(local[28:30], "little")
        if info.compress_size != info.file_size or start + info.file_size > length:
            raise FileFormatError(where, name, "its size runs past the end of the file; the "
                                               "file is truncated or altered.")
    except BaseException:
        if owned:
            handle.close()
        raise
    return _Window(handle, start, info.file_size, owned)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str,
                 size: int, sha256: str | None) -> bytes:
    with MemberStream(archive, info, where, size, sha256) as stream:
        data = bytearray(size)
        filled = 0
        while filled < size:
            count = stream.readinto(memoryview(data)[filled:])
            if not count:
                break
            filled += count
        stream.finish()
    return bytes(data)


def _check_manifest(manifest, where: str) -> dict[str, tuple[int, str]]:
    check_format(manifest, where)
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise FileFormatError(where, MANIFEST, "has no 'files' table.")
    out = {}
    for name, entry in files.items():
        size = entry.get("size") if isinstance(entry, dict) else None
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if (type(size) is not int or size < 0 or not isinstance(digest, str)
                or len(digest) != 64 or digest.strip("0123456789abcdef")):
            raise FileFormatError(where, MANIFEST, f"the entry of {name!r:.80} is not "
                                                   f"{{'size': bytes, 'sha256': hex}}.")
        out[name] = (size, digest)
    return out


class ModelArchive:
    """An opened deepgrad model file whose manifest matches its zip directory.

    Read members with :meth:`read` (whole, verified) or :meth:`stream` (a
    :class:`MemberStream`; call its ``finish()`` after reading it).
    """

    def __init__(self, archive: zipfile.ZipFile, where: str,
                 files: dict[str, tuple[int, str]]) -> None:
        self._archive, self.where, self._files = archive, where, files

    @property
    def names(self) -> list[str]:
        """The members the manifest lists (the manifest itself not included)."""
        return list(self._files)

    def size(self, name: str) -> int:
        """The declared size of member ``name``."""
        return self._files[name][0]

    def stream(self, name: str) -> MemberStream:
        """Open member ``name`` for streaming."""
        size, digest = self._files[name]
        return MemberStream(self._archive, self._archive.getinfo(name), self.where, size,
                            digest)

    def read(self, name: str, limit: int) -> bytes:
        """Read member ``name`` whole and verify it; refuse one declared over ``limit``.

        Raises:
            FileFormatError: for a member over ``limit`` bytes, or one that is damaged.
        """
        size, digest = self._files[name]
        if size > limit:
            raise FileFormatError(self.where, name, f"is declared {size} bytes, more than the "
                                                    f"{limit} accepted.")
        return _read_member(self._archive, self._archive.getinfo(name), self.where, size,
                            digest)

    def close(self) -> None:
        self._archive.close()

    def __enter__(self) -> ModelArchive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_archive(source: str | bytes, where: str,
                 allowed: Iterable[str] | None = None) -> ModelArchive:
    """Open a deepgrad model file and check its manifest against the zip's directory.

    Nothing but the manifest is read: an unlisted member, a missing one, or one whose size
    in the zip directory differs from the manifest's fails here.

    Args:
        source: the file's path, or its bytes.
        where: the file, for messages.
        allowed: the member names this format version may hold (any when None).

    Raises:
        FileFormatError: for a zip without a manifest (naming Keras's ``.keras`` files),
            another format or a newer version, or members that differ from the manifest.

    >>> open_archive(write_archive({"x.bin": b"1"}), "m.deepgrad", allowed=["config.json"])
    Traceback (most recent call last):
    ...
    deepgrad.formats.errors.FileFormatError: m.deepgrad: manifest.json: lists 'x.bin', which ...
    """
    archive = open_zip(source, where)
    try:
        infos = {info.filename: info for info in archive.infolist()}
        if MANIFEST not in infos:
            raise _not_ours(list(infos), where)
        info = infos.pop(MANIFEST)
        if info.file_size > MAX_MANIFEST_BYTES:
            raise FileFormatError(where, MANIFEST, f"is {info.file_size} bytes, more than the "
                                                   f"{MAX_MANIFEST_BYTES} accepted.")
        manifest = jsonio.loads(_read_member(archive, info, where, info.file_size, None),
                                where, MANIFEST, max_bytes=MAX_MANIFEST_BYTES)
        files = _check_manifest(manifest, where)
        missing = sorted(set(files) - set(infos))
        extra = sorted(set(infos) - set(files))
        if missing or extra:
            raise FileFormatError(
                where, "", f"the members do not match the manifest (missing: {missing[:5]}, "
                           f"not listed: {extra[:5]}); the file is incomplete or altered."
            )
        if allowed is not None:
            unknown = sorted(set(files) - set(allowed))
            if unknown:
                raise FileFormatError(where, MANIFEST, f"lists {unknown[0]!r:.80}, which this "
                                                       "format version does not have.")
        for name, (size, _) in files.items():
            if infos[name].file_size != size:
                raise FileFormatError(
                    where, name, f"the zip declares {infos[name].file_size} bytes but the "
                                 f"manifest {size}; the file is altered."
                )
    except BaseException:
        archive.close()
        raise
    return ModelArchive(archive, where, files)


def read_archive_bytes(blob: bytes, where: str) -> dict[str, bytes]:
    """Open and verify a model file's bytes; return every member (without the manifest).

    Raises:
        FileFormatError: for anything but an intact deepgrad model file, saying what is
            wrong.

    >>> sorted(read_archive_bytes(write_archive({"a.json": b"1"}), "demo"))
    ['a.json']
    """
    with open_archive(blob, where) as archive:
        return {name: archive.read(name, archive.size(name)) for name in archive.names}
