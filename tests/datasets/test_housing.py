"""Boston and California Housing in Keras's form, from a small .npz written here.

The expected rows are what Keras 3.15's ``load_data`` returned on the same file (its
``get_file`` pointed at it): the indices of the file's rows in each split.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from deepgrad.datasets import DatasetNotFoundError, boston_housing, california_housing
from deepgrad.datasets._files import DatasetSpec, RemoteFile

KERAS_BOSTON = [
    ({}, [4, 3, 8, 7, 1, 0, 10, 6], [9, 2, 5]),
    ({"test_split": 0.3, "seed": 1}, [2, 3, 4, 9, 1, 6, 0], [7, 10, 8, 5]),
    ({"test_split": 0.0}, [4, 3, 8, 7, 1, 0, 10, 6, 9, 2, 5], []),
]
KERAS_CALIFORNIA_SMALL = ([8, 5, 0, 2, 1], [10, 7, 3, 6, 9, 4])  # test_split=0.5, seed=7


def install(module, folder, monkeypatch, **arrays):
    """Write ``<name>.npz`` with ``arrays`` into folder and make it the file ``module`` expects."""
    name = module.DATASET.files[0].filename
    folder.mkdir(exist_ok=True)
    path = folder / name
    np.savez(path, **arrays)
    remote = RemoteFile(name, hashlib.sha256(path.read_bytes()).hexdigest(), ("https://x.invalid",))
    monkeypatch.setattr(module, "DATASET", DatasetSpec(module.DATASET.name, "Toy", (remote,), "-"))
    return path


@pytest.fixture
def housing(tmp_path, monkeypatch):
    rng = np.random.RandomState(0)
    x, y = np.round(rng.rand(11, 3) * 10, 3), np.round(rng.rand(11) * 50, 2)
    return x, y, install(boston_housing, tmp_path / "boston", monkeypatch, x=x, y=y)


@pytest.mark.parametrize("kwargs, train_rows, test_rows", KERAS_BOSTON)
def test_boston_matches_keras(housing, kwargs, train_rows, test_rows):
    x, y, path = housing
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(path, **kwargs)
    np.testing.assert_array_equal(x_train, x[train_rows].reshape(-1, 3))
    np.testing.assert_array_equal(y_train, y[train_rows])
    np.testing.assert_array_equal(x_test, x[test_rows].reshape(-1, 3))
    np.testing.assert_array_equal(y_test, y[test_rows])
    assert x_train.dtype == np.float64 and x_test.shape == (len(test_rows), 3)


def test_california_small_matches_keras(tmp_path, monkeypatch):
    rng = np.random.RandomState(0)
    x = rng.rand(650, 8).astype(np.float32)
    y = np.arange(650, dtype=np.float32)
    path = install(california_housing, tmp_path / "cal", monkeypatch, x=x, y=y)
    (x_train, y_train), (x_test, y_test) = california_housing.load_data(
        version="small", path=path, test_split=0.5, seed=7)
    assert len(x_train) + len(x_test) == 600 and x_train.dtype == np.float32
    assert y_train.max() < 600 and sorted(y_train.tolist() + y_test.tolist()) == list(range(600))
    np.testing.assert_array_equal(x_train, x[y_train.astype(int)])
    # Keras's rows on its 11-row file: the same shuffle and cut on the first 11 rows.
    path11 = install(california_housing, tmp_path / "cal11", monkeypatch, x=x[:11], y=y[:11])
    (_, y_train), (_, y_test) = california_housing.load_data("small", path11, 0.5, 7)
    assert (y_train.tolist(), y_test.tolist()) == tuple(
        [float(i) for i in rows] for rows in KERAS_CALIFORNIA_SMALL)
    (x_train, _), _ = california_housing.load_data(path=path11)
    assert x_train.shape == (8, 8)


def test_found_through_the_environment_in_keras_path_form(housing, monkeypatch):
    x, y, path = housing
    monkeypatch.setenv("DEEPGRAD_DATA", str(path.parent.parent))
    # $DEEPGRAD_DATA/<dataset name>/<file>: rename the folder to the dataset's name.
    path.parent.rename(path.parent.parent / "boston_housing")
    (x_train, _), _ = boston_housing.load_data()
    np.testing.assert_array_equal(x_train, x[KERAS_BOSTON[0][1]])


@pytest.mark.parametrize("module", [boston_housing, california_housing])
def test_missing_file_says_where_to_put_it(module, tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        module.load_data(path=tmp_path, download=False)
    message = str(info.value)
    name = module.DATASET.files[0].filename
    assert f"no good copy of {name}" in message and f"datasets/{module.DATASET.name}" in message
    assert "storage.googleapis.com/tensorflow/tf-keras-datasets/" in message


def test_bad_arguments_and_files(housing, tmp_path, monkeypatch):
    _, _, path = housing
    for split in (1.0, -0.1):
        with pytest.raises(ValueError, match="Invalid `test_split` argument"):
            boston_housing.load_data(path, test_split=split)
    with pytest.raises(TypeError, match="`test_split` must be a float"):
        boston_housing.load_data(path, test_split="0.2")
    with pytest.raises(ValueError, match="Argument `version` must be one of"):
        california_housing.load_data(version="tiny")
    wrong = install(boston_housing, tmp_path / "wrong", monkeypatch, a=np.zeros(3))
    with pytest.raises(ValueError, match=r"lacks the arrays \['x', 'y'\]"):
        boston_housing.load_data(wrong)
    uneven = install(boston_housing, tmp_path / "uneven", monkeypatch, x=np.zeros((3, 2)),
                     y=np.zeros(2))
    with pytest.raises(ValueError, match="one row each per sample"):
        boston_housing.load_data(uneven)


def test_a_different_file_fails_the_checksum(tmp_path):
    folder = tmp_path / "other"
    folder.mkdir()
    np.savez(folder / "boston_housing.npz", x=np.zeros((2, 13)), y=np.zeros(2))
    with pytest.warns(UserWarning, match="SHA-256 is"), pytest.raises(DatasetNotFoundError):
        boston_housing.load_data(folder, download=False)
