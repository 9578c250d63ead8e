"""Name scopes: prefixes for the paths of the variables made inside them (Keras's
``keras.name_scope``).

A variable's ``path`` is the names of the open scopes, then its own name:
``Variable(..., name="v")`` inside ``name_scope("block")`` has the path ``block/v``, and
a layer built there has weights ``block/dense/kernel``. Paths are labels only: model
files match weights by layer and order, never by path. Unlike Keras, a model does not
open a scope of its own around its layers, so a Dense in a Sequential named ``seq`` has
the path ``dense/kernel`` (Keras: ``seq/dense/kernel``).

>>> with name_scope("block"):
...     with name_scope("inner"):
...         current_path()
'block/inner'
"""

from __future__ import annotations

import threading

__all__ = ["name_scope", "current_path"]

_local = threading.local()


def _stack() -> list:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


class name_scope:  # noqa: N801 (Keras's name; used as ``with name_scope(...):``)
    """Open a scope: variables made inside it get ``name/`` in front of their paths.

    Args:
        name: the scope's name, a string without ``/``.
        caller: the object opening it (a layer); with ``deduplicate``, the same caller
            opening a scope of the same name directly inside its own adds nothing.
        deduplicate: see ``caller``.
        override_parent: a path that replaces the enclosing scopes' names.

    Raises:
        ValueError: for a name that is not a string or contains ``/``.

    The scope holds per thread, as Keras's.

    >>> import deepgrad as dg
    >>> with dg.name_scope("block"):
    ...     v = dg.Variable([1.0], name="v")
    >>> v.path
    'block/v'
    """

    def __init__(self, name: str, caller=None, deduplicate: bool = True,
                 override_parent: str | None = None) -> None:
        if not isinstance(name, str) or "/" in name:
            raise ValueError("name_scope: `name` must be a string without '/'. "
                             f"Received: name={name!r}")
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        self._pushed = False

    def __enter__(self) -> name_scope:
        stack = _stack()
        if self.deduplicate and stack and self.caller is not None \
                and stack[-1].caller is self.caller and stack[-1].name == self.name:
            return self
        stack.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc) -> None:
        if self._pushed:
            _stack().pop()
            self._pushed = False


def current_path() -> str:
    """The open scopes' names joined by ``/`` (``''`` outside any), as Keras's.

    >>> current_path()
    ''
    """
    parts: list[str] = []
    for entry in _stack():
        if entry.override_parent is not None:
            parts = [p for p in entry.override_parent.split("/") if p]
        parts.append(entry.name)
    return "/".join(parts)


def scoped(name: str | None) -> str | None:
    """``name`` under the open scopes (``block/name``); None stays None.

    >>> with name_scope("a"):
    ...     scoped("kernel")
    'a/kernel'
    """
    if name is None:
        return None
    prefix = current_path()
    return f"{prefix}/{name}" if prefix else name
