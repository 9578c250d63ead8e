"""Finding a dataset's files offline, checking them, and downloading them only as a last resort.

Every loader goes through :func:`fetch_files`, which looks for each file in turn in

1. the ``path`` argument the caller gave (a folder holding the files),
2. ``$DEEPGRAD_DATA/<name>``,
3. ``~/.cache/deepgrad/datasets/<name>`` (where downloads go),
4. the system folders ``/usr/local/share/datasets/<name>`` and
   ``/usr/share/datasets/<name>`` (where Debian's ``dataset-fashion-mnist`` puts
   Fashion-MNIST),

and only then downloads it into the cache folder (to a temporary file that is
renamed once checked, so an interrupted download never looks complete).

A copy is used only if its checksum matches: the SHA-256 of the file as
published, or, for a gzip'd file that has a known digest of its decompressed
content, the SHA-256 of that content, so that recompressed copies (Debian's are)
and uncompressed ones are accepted too. A copy that does not match is skipped
with a warning and named in the error raised when no good copy is found. As the
whole dataset is checked, a ``path`` that misses files cannot lead to different
data: at worst the same files come from the next place.
"""

from __future__ import annotations

import hashlib
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from deepgrad.formats.errors import FileFormatError

from .idx import _GZIP_MAGIC, gunzip

__all__ = [
    "ChecksumError",
    "DatasetNotFoundError",
    "RemoteFile",
    "DatasetSpec",
    "idx_remote_file",
    "cache_dir",
    "search_dirs",
    "fetch_files",
    "download_url",
]

ENV_VAR = "DEEPGRAD_DATA"
SYSTEM_DIRS = ("/usr/local/share/datasets", "/usr/share/datasets")


class DatasetNotFoundError(FileNotFoundError):
    """No verified copy of a dataset's files was found, and downloading was off or failed."""


class ChecksumError(FileFormatError):
    """A file's checksum does not match the published one: it is corrupt or a different file."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: its published name, where to get it, and how to check it.

    Attributes:
        filename: the name it is published under, e.g. ``"train-images-idx3-ubyte.gz"``.
        sha256: SHA-256 of the file as published.
        urls: mirrors to download it from, tried in order.
        content_sha256: for a gzip'd file, SHA-256 of its decompressed content, or
            None. When set, a local copy may also be recompressed or uncompressed,
            and :func:`fetch_files` returns the decompressed content.
        aliases: other names a local copy may have (e.g. the uncompressed name).
        md5: for a file whose publisher gives only an MD5 (Keras's
            ``imdb_word_index.json``), that digest, checked when ``sha256`` is empty.
        max_size: the most bytes a good copy, or its decompressed content, can have; a
            larger file is refused unread and decompression stops past it. None: no cap.
    """

    filename: str
    sha256: str
    urls: tuple[str, ...]
    content_sha256: str | None = None
    aliases: tuple[str, ...] = ()
    md5: str | None = None
    max_size: int | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a local copy may have, the published one first."""
        return (self.filename, *self.aliases)


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset's files and how to tell a user to get them.

    Attributes:
        name: its folder name, e.g. ``"fashion-mnist"``.
        title: its human name, e.g. ``"Fashion-MNIST"``.
        files: the files it needs.
        homepage: where it is published.
        install_hint: how to install it from a system package, or ``""``.
        layout_hint: a line on the accepted forms of the files, or ``""``.
    """

    name: str
    title: str
    files: tuple[RemoteFile, ...]
    homepage: str
    install_hint: str = ""
    layout_hint: str = ""


def idx_remote_file(
    filename: str, sha256: str, content_sha256: str, mirrors: Sequence[str],
    content_size: int | None = None,
) -> RemoteFile:
    """Describe a gzip'd IDX file published at each of ``mirrors``, under MNIST's naming.

    Local copies may also be uncompressed, named without ``.gz`` or in the dotted
    form common on Kaggle (``train-images.idx3-ubyte``). ``content_size`` is the
    uncompressed file's size (its header and values); no good copy is larger than that
    plus a little (gzip adds a few bytes to data it cannot compress).

    >>> idx_remote_file("t10k-labels-idx1-ubyte.gz", "0" * 64, "1" * 64, ["https://x/"],
    ...                 10_008).names
    ('t10k-labels-idx1-ubyte.gz', 't10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte')
    """
    plain = filename.removesuffix(".gz")
    return RemoteFile(
        filename,
        sha256,
        tuple(mirror + filename for mirror in mirrors),
        content_sha256=content_sha256,
        aliases=(plain, plain.replace("-idx", ".idx")),
        max_size=None if content_size is None else content_size + content_size // 100 + 4096,
    )


def cache_dir(name: str) -> Path:
    """Return the cache folder downloads of dataset ``name`` go to.

    >>> cache_dir("mnist").parts[-4:]
    ('.cache', 'deepgrad', 'datasets', 'mnist')
    """
    return Path("~/.cache/deepgrad/datasets").expanduser() / name


def search_dirs(name: str, path: str | os.PathLike | None = None) -> list[tuple[Path | None, str]]:
    """Return the folders searched for dataset ``name``, in order, with where each comes from.

    Args:
        name: the dataset's folder name, e.g. ``"fashion-mnist"``.
        path: the folder the caller named, or None.

    Returns:
        ``(folder, origin)`` pairs; ``folder`` is None for ``$DEEPGRAD_DATA`` when
        it is not set.

    >>> [origin for _, origin in search_dirs("mnist", path="/data/mnist")][:2]
    ['the `path` argument', '$DEEPGRAD_DATA/mnist']
    """
    dirs: list[tuple[Path | None, str]] = []
    if path is not None:
        dirs.append((Path(path).expanduser(), "the `path` argument"))
    env = os.environ.get(ENV_VAR, "")
    dirs.append((Path(env).expanduser() / name if env else None, f"${ENV_VAR}/{name}"))
    dirs.append((cache_dir(name), "the cache"))
    dirs.extend((Path(system) / name, "a system folder") for system in SYSTEM_DIRS)
    return dirs


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_verified(path: str | os.PathLike, remote: RemoteFile) -> bytes:
    """Read a local copy of ``remote`` and return its bytes if its checksum matches.

    Args:
        path: the copy.
        remote: the file it should be.

    Returns:
        The file's bytes; when ``remote.content_sha256`` is set, the decompressed content.

    Raises:
        ChecksumError: if neither the file's nor its content's SHA-256 matches, if it
            is not valid gzip where it should be, or if it (or its content) is larger
            than ``remote.max_size``.
        OSError: if it cannot be read.

    >>> import gzip, hashlib, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "a.gz")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(gzip.compress(b"hello"))
    >>> digest = hashlib.sha256(b"hello").hexdigest()
    >>> read_verified(path, RemoteFile("a.gz", "0" * 64, (), content_sha256=digest))
    b'hello'
    """
    path = Path(path)
    size = path.stat().st_size
    if remote.max_size is not None and size > remote.max_size:
        raise ChecksumError(str(path), "", f"it has {size} bytes, more than any copy of "
                                           f"{remote.filename} ({remote.max_size}): it is not "
                                           "the published file.")
    data = path.read_bytes()
    if not remote.sha256 and remote.md5:
        digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
        if digest != remote.md5:
            raise ChecksumError(
                str(path), "", f"MD5 is {digest}, expected {remote.md5}: the file is corrupt, "
                               f"incomplete or not the published {remote.filename}."
            )
        return data
    # The bytes as they are first: a published .gz is hashed before it is decompressed.
    if _sha256(data) == remote.sha256:
        return gunzip(data, str(path), remote.max_size) if remote.content_sha256 else data
    if remote.content_sha256 is None:
        raise ChecksumError(
            str(path), "", f"SHA-256 is {_sha256(data)}, expected {remote.sha256}: the file is "
                           f"corrupt, incomplete or not the published {remote.filename}."
        )
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gunzip(data, str(path), remote.max_size)
        except FileFormatError as error:
            raise ChecksumError(error.path, error.part, error.detail) from None
    digest = _sha256(data)
    if digest != remote.content_sha256:
        raise ChecksumError(
            str(path), "", f"SHA-256 of its content is {digest}, expected "
                           f"{remote.content_sha256}: the file is corrupt, incomplete or not the "
                           f"published {remote.filename}."
        )
    return data


def download_url(url: str, destination: str | os.PathLike, *, timeout: float = 60.0) -> None:
    """Download ``url`` into the file ``destination`` (urllib; no checks, no retries).

    Loaders call it through this module, so tests replace it with a fake that
    never touches the network.

    Raises:
        OSError: for network errors (``urllib.error.URLError`` is one) and HTTP errors.

    Example (it needs the network, so it is shown, not run)::

        download_url("https://example.org/data.gz", "data.gz")
    """
    import shutil
    import urllib.request

    with urllib.request.urlopen(url, timeout=timeout) as response, open(destination, "wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)


def _download(remote: RemoteFile, folder: Path) -> bytes:
    """Download ``remote`` into ``folder`` atomically, mirror by mirror; return its bytes."""
    import tempfile

    folder.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in remote.urls:
        descriptor, partial = tempfile.mkstemp(prefix=f".{remote.filename}.", dir=folder)
        os.close(descriptor)
        try:
            print(f"deepgrad: downloading {url}", file=sys.stderr)
            # Looked up on the module at call time so that tests can replace it.
            this_module = sys.modules[__name__]
            this_module.download_url(url, partial)
            content = read_verified(partial, remote)
            os.replace(partial, folder / remote.filename)
            return content
        except Exception as error:  # any failure, network or checksum, moves on to the next mirror
            failures.append(f"    {url}: {type(error).__name__}: {error}")
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
    raise OSError("\n".join(failures) or "no download address is known")


def fetch_files(
    spec: DatasetSpec,
    path: str | os.PathLike | None = None,
    download: bool = True,
) -> dict[str, bytes]:
    """Find, check and if need be download every file of a dataset; return their verified bytes.

    Args:
        spec: the dataset.
        path: a folder to look in first, or None.
        download: whether to download the files no folder holds a good copy of.

    Returns:
        ``{filename: bytes}`` for each of ``spec.files`` (decompressed content where
        the file has a ``content_sha256``).

    Raises:
        DatasetNotFoundError: if a file has no good copy anywhere and downloading
            was off or failed; the message lists every folder looked in, what was
            wrong there, and which files to put where.

    >>> spec = DatasetSpec("nothing", "Nothing", (RemoteFile("a.gz", "0" * 64, ()),), "-")
    >>> fetch_files(spec, download=False)
    Traceback (most recent call last):
    ...
    deepgrad.datasets._files.DatasetNotFoundError: Nothing: no good copy of a.gz. ...
    """
    dirs = search_dirs(spec.name, path)
    # What each folder looked like, for the error message: taken now, before a download
    # creates the cache folder.
    states: list[list[str]] = [[_folder_state(folder)] for folder, _ in dirs]
    found: dict[str, bytes] = {}
    missing: list[RemoteFile] = []
    for remote in spec.files:
        for (folder, _), state in zip(dirs, states, strict=True):
            if folder is None or not folder.is_dir():
                continue
            candidates = [folder / name for name in remote.names if (folder / name).is_file()]
            if not candidates:
                state.append(f"no {remote.filename}")
            for candidate in candidates:
                try:
                    found[remote.filename] = read_verified(candidate, remote)
                    break
                except (ChecksumError, OSError) as error:
                    state.append(f"{type(error).__name__}: {error}")
                    warnings.warn(
                        f"deepgrad.datasets: not using {candidate}: {error}",
                        UserWarning,
                        stacklevel=3,
                    )
            if remote.filename in found:
                break
        else:
            missing.append(remote)

    download_note = "downloading was off (download=False)"
    if missing and download:
        for remote in list(missing):
            try:
                found[remote.filename] = _download(remote, cache_dir(spec.name))
            except OSError as error:
                # Without this file the dataset is unusable: do not try the others.
                download_note = f"downloading {remote.filename} failed:\n{error}"
                break
            missing.remove(remote)
    if missing:
        raise DatasetNotFoundError(_not_found_message(spec, dirs, states, missing, download_note))
    return found


def _folder_state(folder: Path | None) -> str:
    if folder is None:
        return "not set"
    if not folder.exists():
        return "does not exist"
    if not folder.is_dir():
        return "is not a folder"
    return ""


def _not_found_message(
    spec: DatasetSpec,
    dirs: Sequence[tuple[Path | None, str]],
    states: Sequence[list[str]],
    missing: Sequence[RemoteFile],
    download_note: str,
) -> str:
    lines = [
        f"{spec.title}: no good copy of {', '.join(remote.filename for remote in missing)}. "
        "Looked in, in order:"
    ]
    for index, ((folder, origin), state) in enumerate(zip(dirs, states, strict=True)):
        where = f"{folder} ({origin})" if folder is not None else origin
        lines.append(f"  {index + 1}. {where}: {'; '.join(filter(None, state))}")
    lines.append(f"Then {download_note}.")
    names = "  ".join(remote.filename for remote in spec.files)
    lines.append(
        f"To fix, put these files into {cache_dir(spec.name)} (or into $DEEPGRAD_DATA/"
        f"{spec.name}, or a folder you pass as `path=`):\n    {names}"
    )
    if spec.layout_hint:
        lines.append(spec.layout_hint)
    lines.append(f"They are published at {spec.homepage}.")
    if spec.install_hint:
        lines.append(f"Or install the system package: {spec.install_hint}")
    return "\n".join(lines)
