"""Reuters in Keras's form, from small reuters.npz and word-index files written here.

The expected outputs are what Keras 3.15's ``keras.datasets.reuters.load_data`` returned
on the same file (its ``get_file`` pointed at it).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from deepgrad.datasets import DatasetNotFoundError, reuters
from deepgrad.datasets._files import DatasetSpec, RemoteFile

ROWS = [[1, 2, 3], [4, 1], [5, 6, 7, 8], [2], [9, 3, 1, 1], [7, 7]]
LABELS = [3, 0, 45, 3, 1, 2]
KERAS = [
    ({}, [[1, 7, 4], [1, 4, 5, 6], [1, 5], [1, 8, 9, 10, 11]], [0, 3, 3, 45],
     [[1, 2, 6, 4, 4], [1, 10, 10]], [1, 2]),
    ({"num_words": 8, "skip_top": 4, "maxlen": 5, "seed": 1, "test_split": 0.5},
     [[2, 7, 4], [2, 4, 5, 6]], [0, 3], [[2, 5], [2, 2, 2]], [3, 2]),
    ({"oov_char": None, "num_words": 10, "start_char": None},
     [[7, 4], [4, 5, 6], [5], [8, 9]], [0, 3, 3, 45], [[6, 4, 4], []], [1, 2]),
    ({"index_from": 0, "start_char": None},
     [[4, 1], [1, 2, 3], [2], [5, 6, 7, 8]], [0, 3, 3, 45], [[2, 3, 1, 1], [7, 7]], [1, 2]),
]


@pytest.fixture
def npz_file(tmp_path, monkeypatch):
    """reuters.npz as NumPy writes it (a pickled object array), made the file expected."""
    folder = tmp_path / "reuters"
    folder.mkdir()
    path = folder / "reuters.npz"
    rows = np.empty(len(ROWS), dtype=object)
    rows[:] = ROWS
    np.savez(path, x=rows, y=np.array(LABELS))
    remote = RemoteFile("reuters.npz", hashlib.sha256(path.read_bytes()).hexdigest(), ())
    monkeypatch.setattr(reuters, "DATASET", DatasetSpec("reuters", "Reuters", (remote,), "-"))
    return path


@pytest.mark.parametrize("kwargs, x_train, y_train, x_test, y_test", KERAS)
def test_load_data_matches_keras(npz_file, kwargs, x_train, y_train, x_test, y_test):
    (xa, ya), (xb, yb) = reuters.load_data(npz_file, **kwargs)
    assert xa.dtype == object and xa.ndim == 1 and isinstance(xa[0], list)
    assert ya.dtype == np.int64
    assert xa.tolist() == x_train and ya.tolist() == y_train
    assert xb.tolist() == x_test and yb.tolist() == y_test


def test_found_by_file_name_under_deepgrad_data(npz_file, monkeypatch):
    monkeypatch.setenv("DEEPGRAD_DATA", str(npz_file.parent.parent))
    assert reuters.load_data()[0][0].tolist() == KERAS[0][1]


def test_missing_file_says_where_to_put_it(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        reuters.load_data(tmp_path, download=False)
    message = str(info.value)
    assert "no good copy of reuters.npz" in message and "datasets/reuters" in message


def test_word_index_and_label_names(tmp_path, monkeypatch):
    path = tmp_path / "reuters_word_index.json"
    path.write_text(json.dumps({"the": 1, "of": 2}), encoding="utf-8")
    digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
    remote = RemoteFile("reuters_word_index.json", "", (), md5=digest)
    monkeypatch.setattr(reuters, "WORD_INDEX", DatasetSpec("reuters", "index", (remote,), "-"))
    assert reuters.get_word_index(path) == {"the": 1, "of": 2}
    path.write_text("{}", encoding="utf-8")
    with pytest.warns(UserWarning, match="MD5 is"), pytest.raises(DatasetNotFoundError):
        reuters.get_word_index(tmp_path, download=False)
    names = reuters.get_label_names()
    assert len(names) == 46 and len(set(names)) == 46
    assert (names[0], names[3], names[45]) == ("cocoa", "earn", "lead")
