"""CIFAR-10 from a small synthetic binary-version tarball built here."""

from __future__ import annotations

import hashlib
import io
import tarfile

import numpy as np
import pytest

from deepgrad.datasets import DatasetNotFoundError, _files, cifar10
from deepgrad.datasets._files import DatasetSpec, RemoteFile

BATCHES = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]


def make_records(labels, rng):
    """Records of 1 label byte + 3072 pixel bytes; returns (bytes, HWC images)."""
    chw = rng.integers(0, 256, (len(labels), 3, 32, 32), dtype=np.uint8)
    records = np.concatenate(
        [np.asarray(labels, np.uint8)[:, None], chw.reshape(len(labels), -1)], axis=1
    )
    return records.tobytes(), chw.transpose(0, 2, 3, 1)


def make_tarball(batches: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in batches.items():
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def synthetic(tmp_path, monkeypatch):
    """Write a tarball, make it the one CIFAR-10 expects, and return what it holds."""
    rng = np.random.default_rng(1)
    batches, images, labels = {}, [], []
    for index, name in enumerate(BATCHES):
        batch_labels = [index, (index + 3) % 10] if index < 5 else [7, 8, 9]
        batches[name], batch_images = make_records(batch_labels, rng)
        images.append(batch_images)
        labels.append(batch_labels)
    # Written in a shuffled order: the loader must order the batches itself.
    archive = make_tarball({name: batches[name] for name in reversed(BATCHES)})

    def install(data: bytes):
        folder = tmp_path / "data"
        folder.mkdir(exist_ok=True)
        (folder / "cifar-10-binary.tar.gz").write_bytes(data)
        remote = RemoteFile(
            "cifar-10-binary.tar.gz", hashlib.sha256(data).hexdigest(), ("https://x.invalid/",)
        )
        spec = DatasetSpec("toy-cifar", "Toy-CIFAR", (remote,), "https://x.invalid")
        monkeypatch.setattr(cifar10, "DATASET", spec)
        return folder

    monkeypatch.setattr(_files, "SYSTEM_DIRS", (str(tmp_path / "system"),))
    return install, archive, images, labels


def test_reads_the_binary_version_in_keras_form(synthetic):
    install, archive, images, labels = synthetic
    folder = install(archive)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data(folder, download=False)
    assert x_train.shape == (10, 32, 32, 3) and y_train.shape == (10, 1)
    assert x_test.shape == (3, 32, 32, 3) and y_test.shape == (3, 1)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8 and array.flags.c_contiguous
    np.testing.assert_array_equal(x_train, np.concatenate(images[:5]))
    np.testing.assert_array_equal(y_train[:, 0], np.concatenate(labels[:5]))
    np.testing.assert_array_equal(x_test, images[5])
    assert y_test[:, 0].tolist() == [7, 8, 9]


def test_pixels_are_channels_last():
    record = bytes([2]) + bytes([1]) * 1024 + bytes([2]) * 1024 + bytes([3]) * 1024
    images, labels = cifar10.parse_batch(record)
    assert images[0, 31, 0].tolist() == [1, 2, 3] and labels.tolist() == [[2]]
    planes = np.arange(3072, dtype=np.int64).reshape(3, 32, 32) % 251
    images, _ = cifar10.parse_batch(bytes([0]) + planes.astype(np.uint8).tobytes())
    np.testing.assert_array_equal(images[0], planes.transpose(1, 2, 0))


def test_a_batch_of_the_wrong_length_or_label():
    with pytest.raises(ValueError, match=r"b.bin: not a CIFAR-10 binary batch: its 3074 bytes"):
        cifar10.parse_batch(bytes(3074), "b.bin")
    with pytest.raises(ValueError, match="label 10 found"):
        cifar10.parse_batch(bytes([10]) + bytes(3072), "b.bin")


def test_an_archive_without_every_batch(synthetic):
    install, *_ = synthetic
    folder = install(make_tarball({"data_batch_1.bin": bytes(3073)}))
    with pytest.raises(ValueError, match=r"lacks data_batch_2.bin, .*test_batch.bin"):
        cifar10.load_data(folder, download=False)


def test_a_corrupt_archive_is_not_used(synthetic):
    install, archive, *_ = synthetic
    folder = install(archive)
    (folder / "cifar-10-binary.tar.gz").write_bytes(archive[:-50])
    with pytest.warns(UserWarning, match="SHA-256 is"):
        with pytest.raises(DatasetNotFoundError, match="Toy-CIFAR: no good copy"):
            cifar10.load_data(folder, download=False)


def test_the_real_spec_points_at_the_binary_version():
    (remote,) = cifar10.DATASET.files
    assert remote.filename == "cifar-10-binary.tar.gz"
    assert remote.urls[0].endswith("/cifar-10-binary.tar.gz")
    assert len(remote.sha256) == 64
