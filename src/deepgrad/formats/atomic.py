"""Atomic file writes: a temp file in the same folder, flushed to disk, then renamed.

A crash or an error while writing leaves any existing file untouched and no temp file
behind; readers never see a half-written file.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "a.bin")
>>> write_atomic(path, b"hello", who="demo")
>>> with open(path, "rb") as f:
...     f.read()
b'hello'
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable

__all__ = ["write_atomic", "check_target"]


def check_target(path: str, who: str, overwrite: bool) -> str:
    """Return ``path`` as a string after checking its folder exists and overwrite rules.

    Raises:
        FileNotFoundError: if the folder does not exist.
        FileExistsError: if the file exists and ``overwrite`` is False.
        IsADirectoryError: if ``path`` is a folder.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{who}: the folder {folder!r} does not exist. Create it first.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{who}: {path!r} is a folder; give a file name.")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(
            f"{who}: {path!r} already exists and overwrite=False. To replace it, pass "
            "overwrite=True."
        )
    return path


def _file_mode(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(
    path: str, data: bytes | Callable[[], bytes], who: str, overwrite: bool = True
) -> None:
    """Write ``data`` (bytes, or a function returning them) to ``path`` atomically.

    Args:
        path: the destination file.
        data: the bytes, or a zero-argument function producing them (called after the
            target checks, so a failing producer leaves nothing behind either).
        who: the caller's name, for messages.
        overwrite: whether an existing file may be replaced.

    Raises:
        FileNotFoundError, FileExistsError, IsADirectoryError: as :func:`check_target`.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "b.bin")
    >>> write_atomic(path, lambda: b"x", who="demo"); os.listdir(os.path.dirname(path))
    ['b.bin']
    """
    path = check_target(path, who, overwrite)
    folder = os.path.dirname(os.path.abspath(path))
    mode = _file_mode(path)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data() if callable(data) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        try:
            dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)
