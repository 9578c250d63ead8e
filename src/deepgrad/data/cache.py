"""``cache``: the first complete pass is stored (in memory, or in NumPy files) and later
passes read the store instead of re-running the pipeline above it.

A pass that stops early stores nothing, as in tf.data. The memory store keeps equal-shape
components as stacked, read-only arrays, so a filled cache offers the index fast path
(``cache().shuffle(n).batch(b)`` fancy-indexes batches from epoch two on).

On disk, ``cache(filename)`` writes ``filename.data-00000.npz``... (uncompressed ``.npz``
shards of at most ~64 MB, never pickle) and then ``filename.index.json``; the index is
written last, through a temporary file and an atomic rename, so an interrupted pass leaves
no cache that a later run would trust. Temporary shards of a pass that stops early are
deleted.
"""

from __future__ import annotations

import collections
import json
import os
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np

from deepgrad.data.batching import stack_component
from deepgrad.data.pipeline import (
    Columns,
    ForwardingNode,
    Node,
    Plan,
    arange_chunks,
    close_iterator,
    epoch_scope,
    leaves_of,
    plan_elements,
)
from deepgrad.data.structure import flatten, is_nested, pack, same_structure

_SHARD_BYTES = 64 * 2**20
_END = object()
_FORMAT = "deepgrad.data.cache"


def _read_only(array: Any) -> Any:
    if isinstance(array, np.ndarray):
        array.flags.writeable = False
    return array


class MemoryStore:
    """The elements of one complete pass, kept in memory."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.columns: Columns | None = None
        self.elements: list | None = None

    def filled(self) -> bool:
        return self.columns is not None or self.elements is not None

    def commit(self, elements: list) -> None:
        columns = _as_columns(elements)
        with self.lock:
            if self.filled():
                return
            if columns is not None:
                self.columns = columns
            else:
                self.elements = [
                    pack(e, [_read_only(np.array(leaf)) for leaf in flatten(e)]) for e in elements
                ]

    def commit_columns(self, columns: Columns) -> None:
        with self.lock:
            if not self.filled():
                self.columns = columns

    def read(self) -> Iterator:
        yield from self.elements or ()


def _as_columns(elements: list) -> Columns | None:
    """Stack the elements component-wise if they share structure, shapes and dtypes."""
    if not elements:
        return None
    first = elements[0]
    if is_nested(first) and not all(same_structure(first, e) for e in elements):
        return None
    components = zip(*(flatten(e) for e in elements)) if is_nested(first) else [elements]
    leaves = []
    for component in components:
        try:
            leaves.append(_read_only(stack_component(list(component), len(leaves))))
        except (TypeError, ValueError):
            return None
    return Columns(first, leaves)


def _encode(structure: Any) -> Any:
    """The nesting of an element as JSON (leaves are null)."""
    if isinstance(structure, tuple):
        encoded: dict = {"tuple": [_encode(item) for item in structure]}
        if hasattr(type(structure), "_fields"):
            encoded["namedtuple"] = [type(structure).__name__, list(structure._fields)]
        return encoded
    if isinstance(structure, dict):
        for key in structure:
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(
                    f"Dataset.cache: dict keys must be str or int to cache to a file. "
                    f"Received: key={key!r}"
                )
        return {"dict": [[key, _encode(value)] for key, value in structure.items()]}
    return None


def _decode(encoded: Any) -> Any:
    if encoded is None:
        return None
    if "dict" in encoded:
        return {key: _decode(value) for key, value in encoded["dict"]}
    items = [_decode(item) for item in encoded["tuple"]]
    if "namedtuple" in encoded:
        name, fields = encoded["namedtuple"]
        return collections.namedtuple(name, fields)(*items)
    return tuple(items)


class FileStore:
    """The elements of one complete pass, in ``.npz`` shards next to ``prefix``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.index_path = prefix + ".index.json"

    def filled(self) -> bool:
        return os.path.exists(self.index_path)

    def _corrupt(self, reason: str) -> ValueError:
        return ValueError(
            f"Dataset.cache: the cache at {self.prefix!r} is incomplete or corrupt ({reason}). "
            f"To fix, delete {self.index_path!r} and the {self.prefix!r}.data-*.npz files so "
            "the next pass rebuilds it."
        )

    def read(self) -> Iterator:
        try:
            with open(self.index_path, encoding="utf-8") as file:
                index = json.load(file)
            if index.get("format") != _FORMAT or index.get("version") != 1:
                raise self._corrupt("unknown format")
            structure = _decode(index["structure"])
        except (OSError, KeyError, TypeError, json.JSONDecodeError) as error:
            raise self._corrupt(str(error)) from None
        count = 0
        folder = os.path.dirname(self.prefix)
        for name in index["shards"]:
            components = self._load_shard(os.path.join(folder, name), index["num_components"])
            for row in range(len(components[0])):
                count += 1
                yield pack(structure, [component[row] for component in components])
        if count != index["num_elements"]:
            raise self._corrupt(f"{count} elements, the index says {index['num_elements']}")

    def _load_shard(self, path: str, num_components: int) -> list:
        try:
            with np.load(path, allow_pickle=False) as shard:
                components = []
                for i in range(num_components):
                    if f"c{i}" in shard.files:
                        components.append(_read_only(shard[f"c{i}"]))
                        continue
                    flat, shapes = shard[f"c{i}_flat"], shard[f"c{i}_shapes"]
                    ends = np.cumsum([int(np.prod(s)) for s in shapes])
                    pieces = np.split(flat, ends[:-1]) if len(ends) else []
                    components.append(
                        [_read_only(p.reshape(s))[()] for p, s in zip(pieces, shapes.tolist())]
                    )
        except (OSError, ValueError, KeyError) as error:
            raise self._corrupt(f"{os.path.basename(path)}: {error}") from None
        return components

    def writer(self) -> FileWriter:
        return FileWriter(self)


class FileWriter:
    """Writes one pass to temporary shards; ``commit`` publishes them, ``abort`` deletes them."""

    def __init__(self, store: FileStore) -> None:
        self.store = store
        self.token = f"tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.structure: Any = None
        self.pending: list[list] = []
        self.pending_bytes = 0
        self.shards: list[str] = []
        self.count = 0
        self.done = False
        folder = os.path.dirname(store.prefix)
        if folder:
            os.makedirs(folder, exist_ok=True)

    def add(self, element: Any) -> None:
        if self.count == 0:
            self.structure = element
            _encode(element)  # fail early on keys JSON cannot hold
        elif not same_structure(self.structure, element):
            raise ValueError("Dataset.cache: elements of one dataset must share one structure")
        leaves = flatten(element)
        for leaf in leaves:
            if np.asarray(leaf).dtype == object:
                raise TypeError("Dataset.cache: cannot cache object arrays to a file")
        self.pending.append(leaves)
        self.pending_bytes += sum(np.asarray(leaf).nbytes for leaf in leaves)
        self.count += 1
        if self.pending_bytes >= _SHARD_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        arrays = {}
        for i, component in enumerate(zip(*self.pending)):
            values = [np.asarray(v) for v in component]
            head = values[0]
            if any(v.dtype != head.dtype for v in values):
                raise TypeError(f"Dataset.cache: component {i} changes dtype between elements")
            if all(v.shape == head.shape for v in values):
                arrays[f"c{i}"] = np.stack(values)
            else:
                arrays[f"c{i}_flat"] = np.concatenate([v.ravel() for v in values])
                arrays[f"c{i}_shapes"] = np.array([v.shape for v in values], dtype=np.int64)
        path = f"{self.store.prefix}.{self.token}.data-{len(self.shards):05d}.npz"
        self.shards.append(path)
        with open(path, "wb") as file:
            np.savez(file, allow_pickle=False, **arrays)
        self.pending, self.pending_bytes = [], 0

    def commit(self) -> None:
        self._flush()
        names = []
        for k, temp in enumerate(self.shards):
            final = f"{self.store.prefix}.data-{k:05d}-of-{len(self.shards):05d}.npz"
            os.replace(temp, final)
            names.append(os.path.basename(final))
        index = {
            "format": _FORMAT,
            "version": 1,
            "num_elements": self.count,
            "num_components": len(flatten(self.structure)) if self.count else 0,
            "structure": _encode(self.structure),
            "shards": names,
        }
        temp_index = f"{self.store.index_path}.{self.token}"
        with open(temp_index, "w", encoding="utf-8") as file:
            json.dump(index, file)
        os.replace(temp_index, self.store.index_path)
        self.done = True

    def abort(self) -> None:
        if self.done:
            return
        for path in self.shards:
            if os.path.exists(path):
                os.remove(path)
        self.shards = []


class _MemoryWriter:
    """Collects one pass for a ``MemoryStore``.

    When the input's length is known it writes each element straight into preallocated
    component arrays, so the pass holds one copy of the data instead of a list of rows
    plus their stacked copy; an element that does not fit (another shape, dtype or
    structure) switches it to keeping a list.
    """

    def __init__(self, store: MemoryStore, expected: int) -> None:
        self.store = store
        self.expected = expected
        self.structure: Any = None
        self.columns: list[np.ndarray] | None = None
        self.count = 0
        self.elements: list = []

    def add(self, element: Any) -> None:
        if self.count == 0 and self.expected > 0:
            self.structure = element
            self.columns = [
                np.empty((self.expected,) + np.shape(leaf), np.asarray(leaf).dtype)
                for leaf in leaves_of(element)
            ]
        if self.columns is not None:
            leaves = leaves_of(element)
            fits = self.count < self.expected and same_structure(self.structure, element)
            if fits:
                for leaf, column in zip(leaves, self.columns):
                    if leaf.shape != column.shape[1:] or leaf.dtype != column.dtype:
                        fits = False
                        break
                    column[self.count] = leaf
            if fits:
                self.count += 1
                return
            self.elements = [self._row(i) for i in range(self.count)]
            self.columns = None
        self.elements.append(element)

    def _row(self, index: int) -> Any:
        return pack(self.structure, [column[index] for column in self.columns])

    def commit(self) -> None:
        if self.columns is not None:
            leaves = [_read_only(column[: self.count]) for column in self.columns]
            self.store.commit_columns(Columns(self.structure, leaves))
        else:
            self.store.commit(self.elements)

    def abort(self) -> None:
        self.columns, self.elements = None, []


class CacheNode(ForwardingNode):
    """The input, stored on its first complete pass (``cache``)."""

    def __init__(self, input_node: Node, filename: str) -> None:
        self.input = input_node
        self.store = FileStore(filename) if filename else MemoryStore()

    def plan(self) -> Plan | None:
        columns = getattr(self.store, "columns", None)
        return None if columns is None else Plan(columns, arange_chunks(columns.length))

    def iterate(self) -> Iterator:
        plan = self.plan()
        if plan is not None:
            yield from plan_elements(plan)
            return
        if self.store.filled():
            yield from self.store.read()
            return
        store = self.store
        if isinstance(store, FileStore):
            writer: Any = store.writer()
        else:
            writer = _MemoryWriter(store, self.input.cardinality())
        upstream = self.input.iterate()
        # The pass that fills the cache draws its randomness as epoch 0's pass would, in
        # whichever epoch it runs: a run resumed later caches what the uninterrupted one did.
        scope = epoch_scope(0)
        try:
            while True:
                with scope:
                    element = next(upstream, _END)
                if element is _END:
                    break
                writer.add(element)
                yield element
            writer.commit()
        finally:
            writer.abort()
            close_iterator(upstream)

    def cardinality(self) -> int:
        return self.input.cardinality()

    def sample(self) -> Any:
        columns = getattr(self.store, "columns", None)
        return columns.sample() if columns is not None else self.input.sample()
