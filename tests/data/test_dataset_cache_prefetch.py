"""cache (memory and NumPy files) and prefetch (background thread, clean shutdown)."""

from __future__ import annotations

import collections
import gc
import json
import os
import threading

import numpy as np
import pytest

from deepgrad.data import Dataset
from deepgrad.data import cache as cache_module


def ints(ds):
    return [int(v) for v in ds]


def deepgrad_threads():
    """The pipeline's threads (map workers, prefetchers); the pooling kernels' worker pool
    lives for the whole process by design and is not counted."""
    gc.collect()
    return [t for t in threading.enumerate()
            if t.name.startswith(("deepgrad-map", "deepgrad-prefetch"))]


def counted(n=5):
    calls = []
    ds = Dataset.range(n).map(lambda x: calls.append(1) or x * 2)
    return ds, calls


class TestMemoryCache:
    def test_map_runs_once_across_epochs(self):
        ds, calls = counted()
        cached = ds.cache()
        assert ints(cached) == [0, 2, 4, 6, 8]
        assert ints(cached) == [0, 2, 4, 6, 8] and ints(cached.repeat(2)) == [0, 2, 4, 6, 8] * 2
        assert len(calls) == 5

    def test_cache_before_shuffle_reshuffles_cached_elements(self):
        ds, calls = counted(20)
        pipeline = ds.cache().shuffle(20, seed=0)
        epochs = [ints(pipeline) for _ in range(3)]
        assert len(calls) == 20
        assert all(sorted(e) == list(range(0, 40, 2)) for e in epochs) and epochs[1] != epochs[2]

    def test_partial_pass_stores_nothing(self):
        ds, calls = counted()
        cached = ds.cache()
        assert ints(cached.take(2)) == [0, 2]
        assert ints(cached) == [0, 2, 4, 6, 8]
        assert len(calls) == 2 + 5
        ints(cached)
        assert len(calls) == 7

    def test_ragged_and_nested_elements(self):
        gen = Dataset.from_generator(lambda: iter([([1], {"k": 1.0}), ([1, 2], {"k": 2.0})]))
        cached = gen.cache()
        first = [(a.tolist(), float(b["k"])) for a, b in cached]
        assert (
            [(a.tolist(), float(b["k"])) for a, b in cached]
            == first
            == [
                ([1], 1.0),
                ([1, 2], 2.0),
            ]
        )

    def test_known_length_with_changing_shapes_or_dtypes(self):
        # a known cardinality preallocates; an element that does not fit switches to a list
        shapes = Dataset.range(4).map(lambda x: np.zeros(int(x) % 2 + 1, np.float32)).cache()
        assert [e.shape for e in shapes] == [e.shape for e in shapes] == [(1,), (2,), (1,), (2,)]
        kinds = Dataset.range(3).map(lambda x: np.float32(x) if x < 2 else np.float64(x)).cache()
        assert [e.dtype for e in kinds] == [e.dtype for e in kinds]
        assert [e.dtype for e in kinds] == [np.float32, np.float32, np.float64]

    def test_cached_elements_are_read_only(self):
        cached = Dataset.from_tensor_slices(np.zeros((3, 2))).map(lambda x: x + 1).cache()
        list(cached)
        with pytest.raises(ValueError, match="read-only"):
            next(iter(cached))[0] = 5.0


class TestFileCache:
    def test_second_pass_reads_the_files_even_from_a_new_dataset(self, tmp_path):
        prefix = str(tmp_path / "cache" / "train")
        ds, calls = counted()
        assert ints(ds.cache(prefix)) == [0, 2, 4, 6, 8]
        assert os.path.exists(prefix + ".index.json")
        assert ints(ds.cache(prefix)) == [0, 2, 4, 6, 8]
        assert len(calls) == 5
        index = json.loads((tmp_path / "cache" / "train.index.json").read_text())
        assert index["num_elements"] == 5 and all(n.endswith(".npz") for n in index["shards"])
        for name in index["shards"]:  # plain arrays: loadable without pickle
            with np.load(tmp_path / "cache" / name, allow_pickle=False) as shard:
                assert all(shard[k].dtype != object for k in shard.files)

    def test_partial_pass_leaves_no_files(self, tmp_path):
        prefix = str(tmp_path / "part")
        ds, calls = counted()
        for _ in ds.cache(prefix):
            break
        assert os.listdir(tmp_path) == []
        assert ints(ds.cache(prefix)) == [0, 2, 4, 6, 8]
        assert sorted(os.listdir(tmp_path))[-1] == "part.index.json"

    def test_structures_ragged_and_many_shards(self, tmp_path, monkeypatch):
        monkeypatch.setattr(cache_module, "_SHARD_BYTES", 64)
        Point = collections.namedtuple("Point", ["xy", "label"])
        rows = [Point(np.arange(k, dtype=np.float32), {"id": np.int64(k)}) for k in range(1, 30)]
        source = Dataset.from_generator(lambda: iter(rows))
        list(source.cache(str(tmp_path / "c")))
        index = json.loads((tmp_path / "c.index.json").read_text())
        assert len(index["shards"]) > 3
        again = list(source.map(lambda p: p).cache(str(tmp_path / "c")))
        assert [type(p).__name__ for p in again] == ["Point"] * 29
        assert [p.xy.tolist() for p in again] == [r.xy.tolist() for r in rows]
        assert [int(p.label["id"]) for p in again] == list(range(1, 30))

    def test_corrupt_cache_is_reported(self, tmp_path):
        prefix = str(tmp_path / "c")
        list(Dataset.range(3).cache(prefix))
        for name in os.listdir(tmp_path):
            if name.endswith(".npz"):
                (tmp_path / name).write_bytes(b"not a zip file")
        with pytest.raises(ValueError, match="incomplete or corrupt"):
            list(Dataset.range(3).cache(prefix))

    def test_filename_type(self):
        with pytest.raises(TypeError, match="`filename` must be a str or path"):
            Dataset.range(3).cache(3)


class TestPrefetch:
    def test_order_and_thread_shutdown(self):
        ds = Dataset.range(50).map(lambda x: x + 1).prefetch(3)
        assert ints(ds) == list(range(1, 51))
        assert ints(Dataset.range(5).prefetch(0)) == list(range(5))
        assert deepgrad_threads() == []

    def test_abandoned_iterators_stop_their_threads(self):
        ds = Dataset.range(10_000).prefetch(2).map(lambda x: x).prefetch(2)
        for _ in ds:
            break
        iterator = iter(ds)
        next(iterator)
        del iterator
        assert deepgrad_threads() == []

    def test_errors_reach_the_consumer(self):
        def fail(x):
            if x == 4:
                raise KeyError("element four")
            return x

        with pytest.raises(KeyError, match="element four"):
            list(Dataset.range(10).map(fail).prefetch(2))
        assert deepgrad_threads() == []

    def test_buffer_size_errors(self):
        with pytest.raises(ValueError, match=r"`buffer_size` must be an int >= 0 or AUTOTUNE"):
            Dataset.range(2).prefetch(-2)
        with pytest.raises(TypeError, match="`buffer_size` must be an int"):
            Dataset.range(2).prefetch(None)

    def test_partial_cache_pass_inside_prefetch_stores_nothing(self):
        ds, calls = counted(100)
        pipeline = ds.cache().prefetch(2)
        for _ in pipeline:
            break
        assert deepgrad_threads() == []
        assert ints(pipeline) == list(range(0, 200, 2))
        before = len(calls)
        ints(pipeline)
        assert len(calls) == before
