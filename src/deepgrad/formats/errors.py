"""The one error a file's content raises: :class:`FileFormatError`, naming the file and the part.

Every reader of untrusted bytes (model files, weights files, dataset files) turns what is
wrong with a file into this ``ValueError`` subclass, whatever the underlying library
raised, so callers can catch one class and users read which file and which part of it is
at fault.

>>> error = FileFormatError("m.deepgrad", "config.json", "the layer list is not a list.")
>>> str(error)
'm.deepgrad: config.json: the layer list is not a list.'
>>> error.path, error.part, isinstance(error, ValueError)
('m.deepgrad', 'config.json', True)
"""

from __future__ import annotations

__all__ = ["FileFormatError"]


class FileFormatError(ValueError):
    """A file is damaged, altered, hostile or of another kind; the message says where.

    Args:
        path: the file, as the caller named it.
        part: the part of the file at fault (``"config.json"``, ``"the header"``, a
            weight's path), or ``""`` for the file as a whole.
        detail: what is wrong, and how to fix it when there is an obvious way.

    Attributes:
        path: the file.
        part: the part at fault.
    """

    def __init__(self, path: str, part: str, detail: str) -> None:
        self.path = str(path)
        self.part = part
        self.detail = detail
        super().__init__(f"{self.path}: {part}: {detail}" if part else f"{self.path}: {detail}")

    def __reduce__(self):
        return type(self), (self.path, self.part, self.detail)
