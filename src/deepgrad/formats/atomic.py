"""Atomic file writes: a temp file in the same folder, flushed to disk, then renamed.

An error while writing leaves any existing file untouched and no temp file behind;
readers never see a half-written file. A process killed while writing (``kill -9``, a
power cut) cannot remove its temp file, ``.NAME.XXXXXXXX.tmp`` next to the target; the
next save of the same target removes such leftovers: only files matching that pattern
exactly, that no process holds locked (a writer keeps an exclusive ``flock`` on its temp
file until the rename) and that were last written before this module was imported, so
another process's save in progress is not touched. Where ``fcntl`` is missing (Windows)
only the time rule applies.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "a.bin")
>>> write_atomic(path, b"hello", who="demo")
>>> with open(path, "rb") as f:
...     f.read()
b'hello'
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from collections.abc import Callable

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the time rule alone decides
    fcntl = None

__all__ = ["write_atomic", "check_target", "remove_stale_temporaries"]

# tempfile.mkstemp's random part: 8 characters of this alphabet.
_RANDOM_PART = re.compile(r"[a-z0-9_]{8}")


# Decision: the time rule compares with this module's import, not the process's start as
# read from /proc: that estimate mixed two clocks and was off by seconds in CI containers
# (a just-killed save's temp file counted as newer than the next process). The lock is what
# protects live writers; the time rule only covers the instant between mkstemp and flock.
_IMPORTED = time.time()


def _locked_elsewhere(full: str) -> bool:
    """Whether another process holds the temp file ``full`` locked (a save in progress)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return True  # cannot look inside: leave it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)  # releases the probe's lock



def remove_stale_temporaries(path: str) -> list[str]:
    """Delete the temp files an interrupted save of ``path`` left; return their names.

    Only regular files named ``.<target name>.<8 random characters>.tmp`` in the target's
    folder, last modified before this module was imported and not locked by a writer, are
    removed.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp(); target = os.path.join(folder, "m.deepgrad")
    >>> stale = os.path.join(folder, ".m.deepgrad.abcd1234.tmp")
    >>> open(stale, "wb").close(); os.utime(stale, (0, 0))
    >>> remove_stale_temporaries(target)
    ['.m.deepgrad.abcd1234.tmp']
    """
    folder = os.path.dirname(os.path.abspath(path))
    prefix = f".{os.path.basename(path)}."
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")
                and _RANDOM_PART.fullmatch(name[len(prefix):-4])):
            continue
        full = os.path.join(folder, name)
        try:
            info = os.lstat(full)
            if (stat.S_ISREG(info.st_mode) and info.st_mtime < _IMPORTED
                    and not _locked_elsewhere(full)):
                os.unlink(full)
                removed.append(name)
        except OSError:  # gone already, or not ours to remove
            continue
    return sorted(removed)


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

    Temp files that earlier, interrupted saves of ``path`` left are removed first (see
    :func:`remove_stale_temporaries`).

    Args:
        path: the destination file.
        data: the bytes, or a zero-argument function producing them (called after the
            target checks and before the temp file exists, so a failing producer leaves
            nothing behind either).
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
    remove_stale_temporaries(path)
    payload = data() if callable(data) else data
    mode = _file_mode(path)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if fcntl is not None:  # held until the rename: marks the save as in progress
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
            os.chmod(temp, mode)
            if fcntl is not None:  # POSIX renames an open file; the lock lasts until then
                os.replace(temp, path)
        if fcntl is None:  # Windows cannot rename an open file
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
