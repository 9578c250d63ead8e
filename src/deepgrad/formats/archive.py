"""The model file: a zip of named members plus ``manifest.json`` with their SHA-256.

Writing is deterministic (fixed timestamps, members in a fixed order). Reading checks,
before anything is used, that the file is a zip, that it is a deepgrad file of a format
version this reader knows, that the members are exactly those the manifest lists, and
that each one's size and SHA-256 match.

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

from deepgrad import __version__
from deepgrad.formats import jsonio

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "MANIFEST", "write_archive", "read_zip",
           "check_members", "read_archive_bytes", "read_file", "check_format"]

FORMAT_NAME = "deepgrad.model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


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
        ValueError: for another format, or a version newer than this reader knows.

    >>> check_format({"format": FORMAT_NAME, "format_version": 99}, "m.deepgrad")
    Traceback (most recent call last):
    ...
    ValueError: m.deepgrad: written in model format version 99 (by deepgrad ?), but ...
    """
    if not isinstance(info, dict) or info.get("format") != FORMAT_NAME:
        found = info.get("format") if isinstance(info, dict) else None
        raise ValueError(f"{where}: not a deepgrad model file (format {found!r}).")
    version = info.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"{where}: invalid format_version {version!r}.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{where}: written in model format version {version} (by deepgrad "
            f"{info.get('deepgrad_version', '?')}), but this deepgrad {__version__} reads "
            f"versions up to {FORMAT_VERSION}. To fix, upgrade deepgrad."
        )


def _not_ours(names: list[str], where: str) -> ValueError:
    if "model.weights.h5" in names or "model.weights.npz" in names:
        return ValueError(
            f"{where}: this is a Keras 3 .keras file, not a deepgrad one, so its architecture "
            "cannot be loaded. To use its weights, build the same model in deepgrad and call "
            "model.load_weights(path)."
        )
    shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
    return ValueError(
        f"{where}: not a deepgrad model file: the zip has no {MANIFEST} "
        f"(it holds: {shown or 'nothing'})."
    )


def read_zip(blob: bytes, where: str) -> dict[str, bytes]:
    """Open zip bytes and return every member's bytes: the one place a zip is read.

    Raises:
        ValueError: for an HDF5 file, anything that is not a zip, a damaged zip, or a zip
            that names a member twice.

    >>> read_zip(b"hello", "notes.txt")
    Traceback (most recent call last):
    ...
    ValueError: notes.txt: not a deepgrad model file: it is not a zip archive (it starts ...
    """
    if blob.startswith(HDF5_MAGIC):
        raise ValueError(
            f"{where}: this is an HDF5 (.h5) file, not a deepgrad model file. For Keras "
            "weights, build the model and call model.load_weights(path)."
        )
    if not blob.startswith(ZIP_MAGIC):
        raise ValueError(
            f"{where}: not a deepgrad model file: it is not a zip archive (it starts with "
            f"{blob[:8]!r})."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
    except zipfile.BadZipFile as error:
        raise ValueError(
            f"{where}: the model file is damaged or truncated ({error})."
        ) from None
    with archive:
        names = archive.namelist()
        if len(set(names)) != len(names):
            raise ValueError(f"{where}: the zip names a member twice; the file is altered.")
        try:
            return {name: archive.read(name) for name in names}
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
            raise ValueError(f"{where}: the model file is damaged ({error}).") from None


def check_members(members: dict[str, bytes], where: str) -> dict[str, bytes]:
    """Verify a deepgrad archive's members against its manifest; return them without it.

    Raises:
        ValueError: for a zip without a manifest (naming Keras's ``.keras`` files), another
            format or a newer version, or members that differ from the manifest.

    >>> check_members({"config.json": b"{}"}, "other.zip")
    Traceback (most recent call last):
    ...
    ValueError: other.zip: not a deepgrad model file: the zip has no manifest.json ...
    """
    if MANIFEST not in members:
        raise _not_ours(list(members), where)
    members = dict(members)
    manifest = jsonio.loads(members.pop(MANIFEST), where, MANIFEST)
    check_format(manifest, where)
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise ValueError(f"{where}: {MANIFEST} has no 'files' table.")
    missing = sorted(set(files) - set(members))
    extra = sorted(set(members) - set(files))
    if missing or extra:
        raise ValueError(
            f"{where}: the members do not match the manifest (missing: {missing}, not "
            f"listed: {extra}); the file is incomplete or altered."
        )
    for name, data in members.items():
        entry = files[name]
        if not isinstance(entry, dict) or entry.get("size") != len(data) or entry.get(
            "sha256"
        ) != _sha256(data):
            raise ValueError(
                f"{where}: member {name!r} does not match its SHA-256 in the manifest; the "
                "file is damaged or was altered."
            )
    return members


def read_archive_bytes(blob: bytes, where: str) -> dict[str, bytes]:
    """Open and verify a model file's bytes; return its members (without the manifest).

    Raises:
        ValueError: for anything but an intact deepgrad model file, saying what is wrong.

    >>> sorted(read_archive_bytes(write_archive({"a.json": b"1"}), "demo"))
    ['a.json']
    """
    return check_members(read_zip(blob, where), where)


def read_file(path, who: str) -> bytes:
    """Read a whole file, failing clearly when it is missing or a folder.

    Raises:
        FileNotFoundError: if nothing is at ``path``.
        IsADirectoryError: if ``path`` is a folder.

    >>> read_file("/no/such/model.deepgrad", "load_model")
    Traceback (most recent call last):
    ...
    FileNotFoundError: load_model: no file at '/no/such/model.deepgrad'.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{who}: {path!r} is a folder, not a file.")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{who}: no file at {path!r}.")
    with open(path, "rb") as handle:
        return handle.read()
