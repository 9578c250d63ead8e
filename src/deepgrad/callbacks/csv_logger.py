"""CSVLogger: stream each epoch's logs to a CSV file."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable

import numpy as np

from deepgrad.callbacks.base import Callback, should_write

__all__ = ["CSVLogger"]


def _cell(value):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, str) or not isinstance(value, Iterable):
        return value
    return f"[{', '.join(map(str, value))}]"


class CSVLogger(Callback):
    """Write one row per epoch to a CSV file: ``epoch`` (0-based, as Keras) and the logs.

    The columns are ``epoch`` then the first epoch's log keys in sorted order (so
    ``val_*`` columns when validating; without validation, as Keras 3, a ``val_`` column
    for each key all the same, written ``NA``); a value missing in a later epoch is
    written ``NA``. The file is flushed after every row and closed when training ends.

    Args:
        filename: the CSV file, e.g. ``"run/log.csv"``.
        separator: the string between fields. Defaults to ``","``.
        append: append to an existing file (its header is kept, none is added) instead
            of overwriting it.

    Raises:
        TypeError: for a ``filename`` that is not a string or path, or a ``separator``
            that is not a one-character string.

    >>> import os, tempfile
    >>> import deepgrad as dg
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
    >>> model.compile("sgd", "mse", metrics=["mae"])
    >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
    ...               validation_data=(np.ones((2, 2)), np.ones((2, 1))),
    ...               callbacks=[dg.callbacks.CSVLogger(path)])
    >>> with open(path) as f:
    ...     f.readline().strip()
    'epoch,loss,mae,val_loss,val_mae'
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(
                f"CSVLogger: `filename` must be a string or a path. Received: filename={filename!r}"
            )
        if not isinstance(separator, str) or len(separator) != 1:
            raise TypeError(
                "CSVLogger: `separator` must be a one-character string. "
                f"Received: separator={separator!r}"
            )
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = bool(append)
        self.keys: list[str] | None = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        self.append_header = True
        if not should_write():  # data-parallel training: rank 0 writes the file
            return
        mode = "w"
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, newline="") as existing:
                    self.append_header = not existing.readline()
            mode = "a"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")  # noqa: SIM115 - closed at train end
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.csv_file is None or self.csv_file.closed:
            return
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                # Keras 3's columns: a val_ column per key even without validation (NA).
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch", *self.keys], delimiter=self.sep,
                extrasaction="ignore",
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
