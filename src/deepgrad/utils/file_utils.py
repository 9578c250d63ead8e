"""``get_file``: a file found offline first, checked by its hash, downloaded only as a last resort.

Keras's ``get_file`` downloads into ``~/.keras/datasets`` unless the file is already
there. deepgrad looks first where the dataset loaders look (see
:mod:`deepgrad.datasets._files`): the ``path`` you give, ``$DEEPGRAD_DATA``, the cache
``~/.cache/deepgrad/<cache_subdir>``, then Keras's own cache ``~/.keras/<cache_subdir>``
(read only, so files Keras downloaded are reused). A copy whose hash does not match is
skipped with a warning. Only then is ``origin`` downloaded, into the cache, to a
temporary name renamed once checked, so an interrupted download never looks complete;
when that fails (no network) the error lists where it looked and where to put the file.

>>> import hashlib, os, tempfile
>>> folder = tempfile.mkdtemp()
>>> with open(os.path.join(folder, "notes.txt"), "wb") as f:
...     _ = f.write(b"hello")
>>> digest = hashlib.sha256(b"hello").hexdigest()
>>> found = get_file("notes.txt", "https://example.org/notes.txt", file_hash=digest, path=folder)
>>> found == os.path.join(folder, "notes.txt")
True
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import urllib.parse
import warnings
from pathlib import Path

from deepgrad.datasets import _files

__all__ = ["get_file", "hash_file", "validate_file", "extract_archive"]

CACHE_DIR = "~/.cache/deepgrad"
KERAS_CACHE_DIR = "~/.keras"


def _hasher(algorithm: str, file_hash: str | None):
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            "get_file: `hash_algorithm` must be 'auto', 'sha256' or 'md5'. "
            f"Received: hash_algorithm={algorithm!r}"
        )
    if algorithm == "sha256" or (algorithm == "auto" and file_hash and len(file_hash) == 64):
        return hashlib.sha256()
    return hashlib.md5(usedforsecurity=False)


def hash_file(fpath: str | os.PathLike, algorithm: str = "sha256",
              chunk_size: int = 1 << 20) -> str:
    """The SHA-256 (or MD5) hex digest of a file, read in chunks.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(delete=False) as f:
    ...     _ = f.write(b"")
    >>> hash_file(f.name)
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    hasher = _hasher(algorithm, None)
    with open(fpath, "rb") as file:
        for chunk in iter(lambda: file.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath: str | os.PathLike, file_hash: str, algorithm: str = "auto") -> bool:
    """Whether the file's hash is ``file_hash`` (SHA-256 for 64 hex digits, else MD5, as Keras).

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(delete=False) as f:
    ...     _ = f.write(b"")
    >>> validate_file(f.name, "d41d8cd98f00b204e9800998ecf8427e")
    True
    """
    hasher = _hasher(algorithm, file_hash)
    with open(fpath, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest() == str(file_hash).lower()


def _safe_names(names: list[str], where: str) -> None:
    """Refuse absolute names and ``..``: an archive must not write outside its folder."""
    for name in names:
        parts = Path(name).parts
        if Path(name).is_absolute() or ".." in parts:
            raise ValueError(f"{where}: refusing to extract {name!r}, which points outside "
                             "the extraction folder.")


def extract_archive(file_path: str | os.PathLike, path: str | os.PathLike = ".",
                    archive_format="auto") -> bool:
    """Extract a ``.tar``, ``.tar.gz``, ``.tar.bz2`` or ``.zip`` file into ``path``.

    Members with absolute names or ``..`` are refused (tar links and devices too), so an
    archive never writes outside ``path``.

    Args:
        file_path: the archive.
        path: the folder to extract into (created).
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list of
            these, or None (extract nothing).

    Returns:
        True if the file was an archive of an accepted format and was extracted.

    >>> import io, os, tempfile, zipfile
    >>> folder = tempfile.mkdtemp()
    >>> with zipfile.ZipFile(os.path.join(folder, "a.zip"), "w") as z:
    ...     z.writestr("inner/b.txt", "hi")
    >>> extract_archive(os.path.join(folder, "a.zip"), os.path.join(folder, "out"))
    True
    >>> Path(folder, "out", "inner", "b.txt").read_text()
    'hi'
    """
    import tarfile  # here, not at the top: `import deepgrad` stays light
    import zipfile

    if not archive_format:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    formats = [formats] if isinstance(formats, str) else list(formats)
    file_path, where = os.fspath(file_path), os.fspath(file_path)
    for kind in formats:
        if kind not in ("tar", "zip"):
            raise ValueError(f"extract_archive: unknown archive_format {kind!r}; expected "
                             "'auto', 'tar', 'zip' or None.")
        if kind == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as archive:
                _safe_names(archive.getnames(), where)
                # The "data" filter (Python >= 3.10.12) also refuses links out and devices.
                filters = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                archive.extractall(path, **filters)
            return True
        if kind == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                _safe_names(archive.namelist(), where)
                archive.extractall(path)
            return True
    return False


def _file_name(fname, origin: str | None) -> str:
    if fname is not None:
        name = os.fspath(fname)
        if os.sep in name or (os.altsep and os.altsep in name):
            raise ValueError(
                "Paths are no longer accepted as the `fname` argument. To specify the "
                "file's parent directory, use the `cache_dir` argument (or deepgrad's "
                f"`path=` to read an existing copy). Received: fname={name}"
            )
        return name
    if origin is None:
        raise ValueError('get_file: please specify the "origin" argument (URL of the file '
                         "to download) or `fname`.")
    name = os.path.basename(urllib.parse.urlsplit(origin).path)
    if not name or name in (os.curdir, os.pardir):
        raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. "
                         "Please specify the `fname` argument.")
    return name


def _targets(name: str, fname, extract: bool) -> tuple[str, str | None]:
    """Keras's names: the archive's file name and the extraction folder's name."""
    if not extract:
        return name, None
    if fname is not None and "." in name:
        return name, name[: name.find(".")] + "_extracted"
    return name + "_archive", name


def _find(folders, names, file_hash, algorithm) -> tuple[str | None, list[str]]:
    """The first copy under any name in any folder whose hash matches; what was wrong."""
    notes = []
    for folder, origin in folders:
        if folder is None or not folder.is_dir():
            notes.append(f"{folder if folder is not None else origin}: "
                         f"{'not set' if folder is None else 'no such folder'}")
            continue
        for name in names:
            candidate = folder / name
            if not candidate.is_file():
                continue
            if file_hash is None or validate_file(candidate, file_hash, algorithm):
                return os.fspath(candidate), notes
            warnings.warn(f"get_file: not using {candidate}: its hash does not match "
                          f"{file_hash}.", UserWarning, stacklevel=3)
            notes.append(f"{candidate}: hash does not match")
        notes.append(f"{folder} ({origin}): no {names[0]}")
    return None, notes


def _download(origin: str, target: Path, file_hash, algorithm) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(descriptor)
    try:
        print(f"deepgrad: downloading {origin}", file=sys.stderr)
        _files.download_url(origin, partial)  # looked up at call time: tests replace it
        if file_hash is not None and not validate_file(partial, file_hash, algorithm):
            raise ValueError(
                f"Incomplete or corrupted file detected. The {algorithm} file hash does not "
                f"match the provided value of {file_hash}."
            )
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def get_file(
    fname: str | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format="auto",
    cache_dir: str | os.PathLike | None = None,
    force_download: bool = False,
    *,
    path: str | os.PathLike | None = None,
) -> str:
    """Return the path of a file, found offline first, downloading it only as a last resort.

    Looked for, in order (each copy checked against ``file_hash`` when given): ``path``
    (a folder holding the file, or the file itself), ``$DEEPGRAD_DATA``,
    ``<cache_dir>/<cache_subdir>`` (default ``~/.cache/deepgrad/datasets``) and Keras's
    ``~/.keras/<cache_subdir>``; then ``origin`` is downloaded into the cache.

    Args:
        fname: the file's local name (default: the last part of ``origin``). With
            ``extract``, a name without an extension names the extraction folder.
        origin: the URL to download from; needed only when no copy is found (Keras
            always requires it).
        untar: deprecated form of ``extract=True, archive_format="tar"``.
        md5_hash: deprecated form of ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: the expected SHA-256 (64 hex digits) or MD5 of the file.
        cache_subdir: the cache's subfolder (an absolute path is used as is).
        hash_algorithm: ``"auto"`` (by the hash's length), ``"sha256"`` or ``"md5"``.
        extract: extract the archive and return the extraction folder, in the cache
            (Keras 3's names: ``<fname>_extracted``, or ``<fname>`` without an
            extension); extracted again when the archive is newer than the folder.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"`` or None, for ``extract``.
        cache_dir: the cache folder (default ``~/.cache/deepgrad``; Keras's is ``~/.keras``).
        force_download: download even when a good copy exists.
        path: (deepgrad only) a folder holding the file, or the file, looked in first.

    Returns:
        The path of the file, or with ``extract`` of the folder it was extracted into.

    Raises:
        FileNotFoundError: (``DatasetNotFoundError``) when no good copy exists and the
            download fails (no network) or no ``origin`` is given; the message lists the
            places looked in and where to put the file.
        ValueError: for a path in ``fname``, a bad ``hash_algorithm``, or a downloaded
            file whose hash does not match.

    >>> get_file("model.bin", cache_dir=tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    deepgrad.datasets._files.DatasetNotFoundError: get_file: no good copy of model.bin. ...
    """
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    _hasher(hash_algorithm, file_hash)
    name = _file_name(fname, origin)
    archive_name, folder_name = _targets(name, fname, extract or untar)
    cache = Path(os.fspath(cache_dir) if cache_dir is not None else CACHE_DIR).expanduser()
    cache = cache / cache_subdir
    folders: list[tuple[Path | None, str]] = []
    if path is not None:
        given = Path(path).expanduser()
        folders.append((given if given.is_dir() else given.parent, "the `path` argument"))
    env = os.environ.get(_files.ENV_VAR, "")
    folders.append((Path(env).expanduser() if env else None, f"${_files.ENV_VAR}"))
    folders.append((cache, "the cache"))
    folders.append((Path(KERAS_CACHE_DIR).expanduser() / cache_subdir, "Keras's cache"))
    names = [archive_name, name]
    if path is not None and not Path(path).expanduser().is_dir():
        names.insert(0, Path(path).name)
    if origin is not None:
        names.append(os.path.basename(urllib.parse.urlsplit(origin).path))
    names = list(dict.fromkeys(n for n in names if n))
    found, notes = (None, []) if force_download else _find(folders, names, file_hash,
                                                            hash_algorithm)
    downloaded = False
    if found is None:
        target = cache / archive_name
        failure = "no `origin` was given to download from"
        if origin is not None:
            try:
                _download(origin, target, file_hash, hash_algorithm)
                found, downloaded = os.fspath(target), True
            except OSError as error:
                failure = f"downloading {origin} failed: {type(error).__name__}: {error}"
        if found is None:
            lines = [f"get_file: no good copy of {name}. Looked in, in order:"]
            lines += [f"  {note}" for note in notes] or ["  (force_download=True)"]
            lines.append(f"Then {failure}.")
            lines.append(f"To fix, download it yourself and put it at {target} (or in "
                         f"${_files.ENV_VAR}, or pass its folder as `path=`).")
            raise _files.DatasetNotFoundError("\n".join(lines))
    if folder_name is None:
        return found
    # Extracted into the cache (never into `path` or Keras's folder), again whenever the
    # archive is newer than the extraction.
    destination = cache / folder_name
    if (downloaded or not destination.is_dir()
            or destination.stat().st_mtime < os.stat(found).st_mtime):
        _extract_atomically(found, destination, "tar" if untar else archive_format)
    return os.fspath(destination)


def _extract_atomically(archive: str, destination: Path, archive_format) -> None:
    """Extract into a temporary folder renamed at the end: a half extraction never shows."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        if not extract_archive(archive, staging, archive_format):
            warnings.warn(f"get_file: could not extract {archive} (not a {archive_format} "
                          "archive).", UserWarning, stacklevel=3)
            return
        if destination.exists():
            shutil.rmtree(destination)
        os.replace(staging, destination)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
