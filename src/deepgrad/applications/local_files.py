"""The files Keras's applications download, found offline: weights and the class index.

Keras downloads its ImageNet weights files and ``imagenet_class_index.json`` into
``~/.keras/models`` on first use. deepgrad never downloads them at run time: it looks in

1. ``$DEEPGRAD_DATA/models`` (when the variable is set),
2. ``~/.cache/deepgrad/models``,
3. ``~/.keras/models`` (so files Keras already fetched are used as they are),

and when the file is in none of them fails with an error that names the file, the address
to fetch it from and the folder to save it in.

>>> search_dirs()[-1].parts[-2:]
('.keras', 'models')
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "ENV_VAR",
    "KERAS_BASE_URL",
    "WeightsNotFoundError",
    "ClassIndexNotFoundError",
    "search_dirs",
    "find_local_file",
]

ENV_VAR = "DEEPGRAD_DATA"
KERAS_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"


class WeightsNotFoundError(FileNotFoundError):
    """``weights="imagenet"`` was asked for, and the weights file is not in any cache folder."""


class ClassIndexNotFoundError(FileNotFoundError):
    """``decode_predictions`` needs ``imagenet_class_index.json``, which is in no cache folder."""


def search_dirs() -> list[Path]:
    """The folders searched for weights files and the class index, in order.

    >>> [p.name for p in search_dirs()][-2:]
    ['models', 'models']
    """
    dirs = []
    env = os.environ.get(ENV_VAR, "")
    if env:
        dirs.append(Path(env).expanduser() / "models")
    dirs.append(Path("~/.cache/deepgrad/models").expanduser())
    dirs.append(Path("~/.keras/models").expanduser())
    return dirs


def find_local_file(who: str, needs: str, filename: str, url: str, error: type,
                    alternative: str) -> Path:
    """Return the path of ``filename`` in the first of :func:`search_dirs` that has it.

    Args:
        who: the name the message starts with (the builder or function).
        needs: what needed the file, e.g. ``"weights='imagenet'"``.
        filename: the file's name in the cache.
        url: where Keras downloads it from.
        error: the exception class to raise (a ``FileNotFoundError``).
        alternative: the end of the message: what to do instead.

    Raises:
        error: naming the file, where to get it and where to save it.

    >>> find_local_file("demo", "this example", "no_such_file.json", "https://example.org/f",
    ...                 FileNotFoundError, "Or do without.")
    Traceback (most recent call last):
    ...
    FileNotFoundError: demo: this example needs the file no_such_file.json, which was not found ...
    """
    dirs = search_dirs()
    for folder in dirs:
        candidate = folder / filename
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(d) for d in dirs)
    raise error(
        f"{who}: {needs} needs the file {filename}, which was not found (searched: "
        f"{searched}). deepgrad does not download it at run time. To fix, download {url} "
        f"and save it as {dirs[-2] / filename} (or in ${ENV_VAR}/models/). {alternative}"
    )
