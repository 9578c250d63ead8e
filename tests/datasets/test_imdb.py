"""IMDB in Keras's form, from small imdb.npz and word-index files written here.

The expected outputs are what Keras 3.15's ``keras.datasets.imdb.load_data`` returned
on the same file (its ``get_file`` pointed at it).
"""

from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pytest

from deepgrad.datasets import DatasetNotFoundError, imdb
from deepgrad.datasets._files import DatasetSpec, RemoteFile
from deepgrad.datasets.npz import load_npz, read_object_array

TRAIN = [[1, 2, 3], [4, 1], [5, 6, 7, 8]]
TEST = [[2, 9], [3]]
KERAS = [
    ({}, [[1, 8, 9, 10, 11], [1, 4, 5, 6], [1, 7, 4]], [1, 0, 1], [[1, 6], [1, 5, 2]], [0, 1]),
    (
        {"num_words": 8, "skip_top": 4, "maxlen": 5, "seed": 1},
        [[2, 4, 5, 6], [2, 7, 4]], [0, 1], [[2, 6], [2, 5, 2]], [0, 1],
    ),
    (
        {"oov_char": None, "num_words": 10, "start_char": None},
        [[8, 9], [4, 5, 6], [7, 4]], [1, 0, 1], [[6], [5]], [0, 1],
    ),
]


def ragged(rows):
    out = np.empty(len(rows), dtype=object)
    out[:] = rows
    return out


@pytest.fixture
def npz_file(tmp_path, monkeypatch):
    """imdb.npz as NumPy writes it (pickled object arrays), made the file IMDB expects."""
    folder = tmp_path / "imdb"
    folder.mkdir()
    path = folder / "imdb.npz"
    np.savez(path, x_train=ragged(TRAIN), y_train=np.array([0, 1, 1]),
             x_test=ragged(TEST), y_test=np.array([1, 0]))
    remote = RemoteFile("imdb.npz", hashlib.sha256(path.read_bytes()).hexdigest(), ())
    monkeypatch.setattr(imdb, "DATASET", DatasetSpec("imdb", "IMDB", (remote,), "-"))
    return path


@pytest.mark.parametrize("kwargs, x_train, y_train, x_test, y_test", KERAS)
def test_load_data_matches_keras(npz_file, kwargs, x_train, y_train, x_test, y_test):
    (xa, ya), (xb, yb) = imdb.load_data(npz_file, **kwargs)
    assert xa.dtype == object and xa.ndim == 1 and isinstance(xa[0], list)
    assert xa.tolist() == x_train and ya.tolist() == y_train
    assert xb.tolist() == x_test and yb.tolist() == y_test


def test_path_forms_and_maxlen_error(npz_file, monkeypatch):
    folder_form = imdb.load_data(npz_file.parent)[0][0].tolist()
    monkeypatch.setenv("DEEPGRAD_DATA", str(npz_file.parent.parent))
    assert imdb.load_data()[0][0].tolist() == folder_form  # Keras's form: a file name
    with pytest.raises(ValueError, match="no sequence was kept. Increase maxlen"):
        imdb.load_data(npz_file, maxlen=2)


def test_missing_file_says_where_to_put_it(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        imdb.load_data(tmp_path, download=False)
    message = str(info.value)
    assert "no good copy of imdb.npz" in message and "datasets/imdb" in message
    assert "storage.googleapis.com/tensorflow/tf-keras-datasets/" in message


def test_a_different_file_fails_the_checksum(npz_file, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    np.savez(other / "imdb.npz", x_train=ragged([[1]]), y_train=np.array([0]),
             x_test=ragged([[1]]), y_test=np.array([0]))
    with pytest.warns(UserWarning, match="SHA-256 is"), pytest.raises(DatasetNotFoundError):
        imdb.load_data(other, download=False)


def test_word_index_checks_the_md5(tmp_path, monkeypatch):
    path = tmp_path / "imdb_word_index.json"
    path.write_text(json.dumps({"the": 1, "and": 2}), encoding="utf-8")
    digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
    remote = RemoteFile("imdb_word_index.json", "", (), md5=digest)
    monkeypatch.setattr(imdb, "WORD_INDEX", DatasetSpec("imdb", "index", (remote,), "-"))
    assert imdb.get_word_index(path) == {"the": 1, "and": 2}
    path.write_text("{}", encoding="utf-8")
    with pytest.warns(UserWarning, match="MD5 is"), pytest.raises(DatasetNotFoundError):
        imdb.get_word_index(tmp_path, download=False)


def test_python2_pickles_as_in_keras_file():
    # What Python 2's np.save wrote for an object array [[5, 10000], [7]]: protocol 2,
    # numpy.core, byte strings as SHORT_BINSTRING (Keras's imdb.npz is of this kind).
    stream = (
        b"\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01K\x00\x85q"
        b"\x02U\x01bq\x03\x87q\x04Rq\x05(K\x01K\x02\x85q\x06cnumpy\ndtype\nq\x07U\x02O8q\x08K"
        b"\x00K\x01\x87q\tRq\n(K\x03U\x01|q\x0bNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tq\x0cb"
        b"\x89]q\r(]q\x0e(K\x05M\x10'e]q\x0fK\x07aetq\x10b."
    )
    assert read_object_array(stream).tolist() == [[5, 10000], [7]]


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_object_arrays_of_every_protocol(protocol):
    rows = [[1, 2**40, -3], [], [255, 256, 65535, 65536]]
    assert read_object_array(pickle.dumps(ragged(rows), protocol=protocol)).tolist() == rows


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"cos\nsystem\n(U\x02hitR.", "refusing the pickled object os.system"),
        (b"\x80\x02cbuiltins\neval\nq\x00.", "refusing the pickled object builtins.eval"),
        (pickle.dumps(ragged([["a"]]), protocol=2), "opcode|not a list of integers"),
        (pickle.dumps({"a": 1}, protocol=2), "opcode"),
        (pickle.dumps(np.zeros(2), protocol=2), "not a pickled 1-D NumPy object array"),
    ],
)
def test_anything_else_is_refused(payload, message):
    with pytest.raises(ValueError, match=message):
        read_object_array(payload)


def test_load_npz_reads_plain_arrays_without_pickle(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez_compressed(path, a=np.arange(4.0), b=ragged([[1], [2, 3]]))
    arrays = load_npz(path.read_bytes(), "plain.npz")
    assert arrays["a"].tolist() == [0.0, 1.0, 2.0, 3.0] and arrays["b"].tolist() == [[1], [2, 3]]
    with pytest.raises(ValueError, match="not an .npz archive"):
        load_npz(b"not a zip", "x.npz")
