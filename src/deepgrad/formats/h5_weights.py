"""Keras 3 ``.weights.h5`` files, read and written through h5py (optional: ``deepgrad[h5]``).

Keras 3 lays a weights file out as one HDF5 group per layer, holding a ``vars`` group
with one dataset per weight named ``0``, ``1``...: ``layers/dense/vars/0`` is the first
Dense layer's kernel, ``layers/dense_1/vars/1`` the second one's bias, and the model's
own weights sit in the top-level ``vars``. deepgrad's weight paths are the same
(:mod:`deepgrad.saving.weight_paths`), so a file maps onto a model by path alone. Keras
also stores its optimizer (``optimizer/vars/...``) and metrics (private attributes such
as ``_compile_metrics``) there; those are ignored when loading weights.

Layers are numbered in the model's layer order, which follows Keras 3's rule for
functional models too (deepest first, ties in the order of a depth-first walk back from
the outputs; see :mod:`deepgrad.models.functional`), so branching models such as ResNet50
number their layers as Keras does. A mismatch still shows as an error naming the layers.

An HDF5 file can do more than hold arrays, and a weights file is untrusted, so the
reader (:class:`WeightsFile`) first walks the file's structure without reading any data,
and refuses what a weights file never needs: soft and external links, datasets whose
data lives in other files (external storage, virtual datasets), layouts and filters
other than HDF5's standard ones, chunks larger than their dataset, and non-numeric
types. It then reads only the datasets the caller asks for, each checked against its
declared shape and dtype first, so memory stays that of the model being loaded.

Integrity: a ``.weights.h5`` written by deepgrad carries the SHA-256 of its weights in
the root attribute ``deepgrad_weights_sha256`` (Keras ignores it), checked when every
weight is read; one written by Keras carries no checksum, so a damaged Keras file can
load different numbers without an error.

>>> blob = dumps({"layers/dense/vars/0": np.ones((2, 1), np.float32)}, ["", "layers/dense"])
>>> loads(blob, "demo")["layers/dense/vars/0"].shape
(2, 1)
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable

import numpy as np

from deepgrad.formats.errors import FileFormatError
from deepgrad.formats.isolated import run_isolated, shared_arrays

__all__ = ["dumps", "loads", "require_h5py", "WeightsFile", "CHECKSUM_ATTR"]

CHECKSUM_ATTR = "deepgrad_weights_sha256"
# More objects than any weights file has (a 10,000-layer model has about 40,000).
MAX_OBJECTS = 200_000
# CPU-time limits for libhdf5 (see WeightsFile): a few seconds plus the file's size at a
# slow pace (a 10,000-layer file of 40,000 objects is about 30 MB).
LIMIT_SECONDS = 5.0
BYTES_PER_SECOND = 2e6
# What libhdf5 may allocate besides (twice the file, to walk it; twice the largest dataset
# or chunk, to read one): its caches are a few MB.
MEMORY_BYTES = 64 << 20
# HDF5's standard filters (h5py ships them): deflate, shuffle, fletcher32, scale-offset, lzf.
_FILTERS = {1: "deflate", 2: "shuffle", 3: "fletcher32", 6: "scaleoffset", 32000: "lzf"}


def require_h5py(who: str):
    """Import h5py, or fail with how to install it.

    Raises:
        ImportError: if h5py is not installed.
    """
    try:
        import h5py
    except ImportError:
        raise ImportError(
            f"{who}: reading and writing .h5 weights needs h5py. To fix: "
            "pip install 'deepgrad[h5]' (or pip install h5py)."
        ) from None
    return h5py


def _checksum(arrays: Iterable[tuple[str, np.ndarray]]) -> str:
    """SHA-256 over each weight's path, little-endian dtype, shape and bytes, sorted by path."""
    digest = hashlib.sha256()
    for key, value in sorted(arrays, key=lambda item: item[0]):
        value = np.asarray(value)
        dtype = value.dtype.newbyteorder("<") if value.dtype.byteorder != "|" else value.dtype
        digest.update(repr((key, dtype.str, tuple(int(s) for s in value.shape))).encode())
        digest.update(np.ascontiguousarray(value, dtype=dtype).reshape(-1).view(np.uint8))
    return digest.hexdigest()


def dumps(arrays: dict[str, np.ndarray], layer_paths: Iterable[str]) -> bytes:
    """Return the bytes of a Keras 3 ``.weights.h5`` file holding ``arrays``.

    Args:
        arrays: weight path (``layers/dense/vars/0``) to array.
        layer_paths: every layer's path (``""`` for the model itself), so layers without
            weights get their (empty) ``vars`` group as Keras writes them.
    """
    h5py = require_h5py("save_weights")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        for path in layer_paths:
            handle.require_group(f"{path}/vars" if path else "vars")
        for key, value in arrays.items():
            handle.create_dataset(key, data=np.asarray(value))
        handle.attrs[CHECKSUM_ATTR] = _checksum(arrays.items())
    return buffer.getvalue()


def _size(source) -> int:
    """The size in bytes of a file given by path or as a seekable file object."""
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        return os.path.getsize(source)
    position = source.seek(0, 2)
    source.seek(0)
    return position


def _ignored(key: str) -> bool:
    top = key.split("/", 1)[0]
    return top == "optimizer" or top.startswith("_")


class _Reader:
    """The file opened with h5py: walked and checked on opening, datasets read on request.

    It runs in the child process :class:`WeightsFile` starts (see the module's notes).
    """

    def __init__(self, h5py, source, where: str) -> None:
        self._h5py, self.where = h5py, where
        try:
            self._handle = h5py.File(source, "r")
        except Exception as error:  # h5py raises OSError, and others for damaged files
            raise FileFormatError(where, "", "not a readable HDF5 file "
                                             f"({type(error).__name__}: {error}).") from None
        try:
            self._datasets: dict[str, object] = {}
            self.specs: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
            self.checksum = self._guard("the file's attributes", self._read_checksum)
            self._walk()
        except BaseException:
            self.close()
            raise

    def _guard(self, part: str, action, *args):
        """Run an h5py call; whatever a damaged file makes it raise becomes our error."""
        try:
            return action(*args)
        except FileFormatError:
            raise
        except Exception as error:
            raise FileFormatError(self.where, part, "the file is damaged "
                                                    f"({type(error).__name__}: {error}).") from None

    def _read_checksum(self) -> str | None:
        attrs = self._handle.attrs
        if "layer_names" in attrs or "model_weights" in self._handle:
            raise FileFormatError(
                self.where, "", "this is a legacy Keras 2 .h5 file, which deepgrad does not "
                                "read. To fix, load it in Keras 3 and save it again with "
                                "model.save_weights('name.weights.h5')."
            )
        if CHECKSUM_ATTR not in attrs:
            return None
        value = attrs[CHECKSUM_ATTR]
        value = value.decode() if isinstance(value, bytes) else value
        if not isinstance(value, str) or len(value) != 64 or value.strip("0123456789abcdef"):
            raise FileFormatError(self.where, CHECKSUM_ATTR, "is not a SHA-256.")
        return value

    def _walk(self) -> None:
        """Visit every object once, iteratively, following hard links only."""
        h5py = self._h5py
        seen: set[tuple[int, int]] = set()
        stack: list[tuple[str, object]] = [("", self._handle)]
        while stack:
            path, group = stack.pop()
            names = self._guard(path or "/", lambda g=group: list(g.keys()))
            for name in names:
                child = f"{path}/{name}" if path else name
                link = self._guard(child, group.get, name, None, False, True)
                if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
                    kind = "a soft" if isinstance(link, h5py.SoftLink) else "an external"
                    raise FileFormatError(self.where, child, f"is {kind} link; a weights file "
                                                             "holds none.")
                item = self._guard(child, group.__getitem__, name)
                info = self._guard(child, h5py.h5o.get_info, item.id)
                if (info.fileno, info.addr) in seen:
                    continue
                seen.add((info.fileno, info.addr))
                if len(seen) > MAX_OBJECTS:
                    raise FileFormatError(self.where, "", f"holds more than {MAX_OBJECTS} "
                                                          "objects; not a weights file.")
                if isinstance(item, h5py.Group):
                    stack.append((child, item))
                elif isinstance(item, h5py.Dataset) and "/vars/" in f"/{child}" \
                        and not _ignored(child):
                    self.specs[child] = self._guard(child, self._check_dataset, child, item)
                    self._datasets[child] = item

    def _check_dataset(self, key: str, dataset) -> tuple[tuple[int, ...], np.dtype]:
        h5d = self._h5py.h5d
        if dataset.is_virtual or dataset.external:
            raise FileFormatError(self.where, key, "keeps its data in other files (a virtual "
                                                   "dataset or external storage); refused.")
        plist = dataset.id.get_create_plist()
        layout = plist.get_layout()
        if layout not in (h5d.CONTIGUOUS, h5d.CHUNKED, h5d.COMPACT):
            raise FileFormatError(self.where, key, f"has an unexpected storage layout "
                                                   f"({layout}).")
        for index in range(plist.get_nfilters()):
            code = plist.get_filter(index)[0]
            if code not in _FILTERS:
                raise FileFormatError(self.where, key, f"uses HDF5 filter {code}; only "
                                                       f"{sorted(_FILTERS.values())} are read.")
        dtype, shape = dataset.dtype, dataset.shape
        if shape is None or dtype.kind not in "fiub" or dtype.fields or dtype.subdtype:
            raise FileFormatError(self.where, key, f"is not a numeric array (dtype {dtype}, "
                                                   f"shape {shape}).")
        if dataset.attrs.get("dtype") == "bfloat16":
            raise FileFormatError(self.where, key, "is bfloat16, which NumPy lacks.")
        count = 1
        for size in shape:
            count *= int(size)
        if dataset.chunks is not None:
            chunk = dtype.itemsize
            for size in dataset.chunks:
                chunk *= int(size)
            if chunk > max(count * dtype.itemsize, 1 << 20):
                raise FileFormatError(self.where, key, f"has chunks of {chunk} bytes, larger "
                                                       "than the dataset; refused.")
        return tuple(int(s) for s in shape), dtype.newbyteorder("=")

    def read_into(self, keys: list[str], arrays: list[np.ndarray]) -> None:
        """Read the weights ``keys`` into ``arrays`` (of the shapes in :attr:`specs`)."""
        for key, array in zip(keys, arrays):
            if array.size:
                self._guard(key, self._datasets[key].read_direct, array)

    def close(self) -> None:
        try:
            self._handle.close()
        except Exception:  # closing a damaged file can fail too; nothing is left to do
            pass

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class WeightsFile:
    """A Keras 3 weights file opened for reading: its weights' shapes first, data on request.

    libhdf5 does the reading in a child process with a CPU-time limit (:mod:`.isolated`):
    first a walk of the file's structure, then, on :meth:`read`, the datasets asked for,
    written into memory shared with this process. Each step may take
    :data:`LIMIT_SECONDS` plus the file's size (and the data read) at
    :data:`BYTES_PER_SECOND`, and allocate :data:`MEMORY_BYTES` plus twice the file's
    size (the walk) or twice the largest dataset (a read).

    Args:
        source: a path, or a binary file object (a member of a ``.keras`` zip).
        where: the file, for messages.

    Attributes:
        specs: weight path to ``(shape, dtype)`` for every weight dataset (optimizer and
            metric state excluded), nothing read yet.

    Raises:
        FileFormatError: for a file h5py cannot open, a Keras 2 (legacy) file, anything
            a weights file should not hold (see the module's notes), and a file libhdf5
            does not finish reading in time.
    """

    def __init__(self, source, where: str) -> None:
        self._h5py = require_h5py("load_weights")
        self._source, self.where = source, where

        def walk():
            with _Reader(self._h5py, source, where) as reader:
                specs = {key: [list(shape), dtype.str] for key, (shape, dtype)
                         in reader.specs.items()}
                return {"specs": specs, "checksum": reader.checksum}

        self._seconds = LIMIT_SECONDS + _size(source) / BYTES_PER_SECOND
        found = run_isolated(walk, where, self._seconds, MEMORY_BYTES + 2 * _size(source))
        self.specs: dict[str, tuple[tuple[int, ...], np.dtype]] = {
            key: (tuple(shape), np.dtype(dtype)) for key, (shape, dtype)
            in found["specs"].items()}
        self._checksum = found["checksum"]

    def read(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Read the weights ``keys`` (each of :attr:`specs`); check the checksum if all are.

        Raises:
            FileFormatError: for a dataset that cannot be read, a file libhdf5 does not
                finish reading in time, or weights that do not match the file's checksum.
        """
        keys = list(keys)
        arrays = shared_arrays([self.specs[key] for key in keys])
        nbytes = sum(array.nbytes for array in arrays)

        def fill():
            with _Reader(self._h5py, self._source, self.where) as reader:
                reader.read_into(keys, arrays)

        largest = max((array.nbytes for array in arrays), default=0)
        run_isolated(fill, self.where, self._seconds + nbytes / BYTES_PER_SECOND,
                     MEMORY_BYTES + 2 * max(largest, 1 << 20))
        out = dict(zip(keys, arrays))
        if self._checksum is not None and set(keys) == set(self.specs):
            if _checksum(out.items()) != self._checksum:
                raise FileFormatError(
                    self.where, "", f"the weights do not match their SHA-256 ({CHECKSUM_ATTR});"
                                    " the file is damaged or was altered."
                )
        return out

    def close(self) -> None:
        """Nothing stays open in this process; kept for ``with`` blocks."""

    def __enter__(self) -> WeightsFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def loads(blob: bytes, where: str) -> dict[str, np.ndarray]:
    """Read every weight of a Keras 3 ``.weights.h5`` file's bytes: ``{path: array}``.

    Raises:
        FileFormatError: for a file h5py cannot open, a Keras 2 (legacy) file, bfloat16
            weights, or anything :class:`WeightsFile` refuses.
    """
    with WeightsFile(io.BytesIO(blob), where) as weights:
        return weights.read(weights.specs)
