"""CIFAR-100 from a small synthetic binary-version tarball built here."""

from __future__ import annotations

import hashlib
import io
import tarfile

import numpy as np
import pytest

from deepgrad.datasets import DatasetNotFoundError, cifar100
from deepgrad.datasets._files import DatasetSpec, RemoteFile


def make_records(coarse, fine, rng):
    """Records of 2 label bytes + 3072 pixel bytes; returns (bytes, HWC images)."""
    chw = rng.integers(0, 256, (len(fine), 3, 32, 32), dtype=np.uint8)
    labels = np.stack([np.asarray(coarse, np.uint8), np.asarray(fine, np.uint8)], axis=1)
    return np.concatenate([labels, chw.reshape(len(fine), -1)], axis=1).tobytes(), \
        chw.transpose(0, 2, 3, 1)


def make_tarball(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-100-binary/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def install(tmp_path, monkeypatch):
    def put(members: dict[str, bytes]):
        data = make_tarball(members)
        folder = tmp_path / "data"
        folder.mkdir(exist_ok=True)
        (folder / "cifar-100-binary.tar.gz").write_bytes(data)
        remote = RemoteFile("cifar-100-binary.tar.gz", hashlib.sha256(data).hexdigest(), ())
        monkeypatch.setattr(cifar100, "DATASET", DatasetSpec("cifar100", "Toy", (remote,), "-"))
        return folder

    return put


def test_load_data_in_keras_form(install):
    rng = np.random.default_rng(0)
    train, train_images = make_records([4, 19, 0], [99, 0, 57], rng)
    test, test_images = make_records([7, 1], [3, 44], rng)
    folder = install({"test.bin": test, "fine_label_names.txt": b"apple\n", "train.bin": train})
    (x_train, y_train), (x_test, y_test) = cifar100.load_data(path=folder)
    assert x_train.dtype == np.uint8 and x_train.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(x_train, train_images)
    np.testing.assert_array_equal(x_test, test_images)
    assert y_train.dtype == np.int64 and y_train.shape == (3, 1)
    assert y_train[:, 0].tolist() == [99, 0, 57] and y_test[:, 0].tolist() == [3, 44]
    (_, y_coarse), (_, y_coarse_test) = cifar100.load_data("coarse", path=folder)
    assert y_coarse[:, 0].tolist() == [4, 19, 0] and y_coarse_test[:, 0].tolist() == [7, 1]


def test_bad_archives_and_arguments(install, tmp_path):
    rng = np.random.default_rng(0)
    train, _ = make_records([0], [0], rng)
    folder = install({"train.bin": train})
    with pytest.raises(ValueError, match="lacks test.bin"):
        cifar100.load_data(path=folder)
    folder = install({"train.bin": train, "test.bin": train[:-1]})
    with pytest.raises(ValueError, match="not a positive multiple of the 3074-byte record"):
        cifar100.load_data(path=folder)
    bad, _ = make_records([0], [100], rng)
    folder = install({"train.bin": train, "test.bin": bad})
    with pytest.raises(ValueError, match="fine label 100 found, expected 0 to 99"):
        cifar100.load_data(path=folder)
    with pytest.raises(ValueError, match="`label_mode` must be one of"):
        cifar100.load_data("all")


def test_missing_archive_says_where_to_put_it(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        cifar100.load_data(path=tmp_path, download=False)
    message = str(info.value)
    assert "cifar-100-binary.tar.gz" in message and "datasets/cifar100" in message
    assert "cs.toronto.edu/~kriz/cifar.html" in message
