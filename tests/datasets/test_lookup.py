"""Offline lookup order, checksums, the cache, downloads (faked) and the not-found error."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import urllib.error

import numpy as np
import pytest

from deepgrad.datasets import DatasetNotFoundError, _files, fashion_mnist, mnist

from .conftest import TOY_FILES


def assert_toy(data, toy):
    (x_train, y_train), (x_test, y_test) = data
    np.testing.assert_array_equal(x_train, toy.x_train)
    np.testing.assert_array_equal(y_train, toy.y_train)
    np.testing.assert_array_equal(x_test, toy.x_test)
    np.testing.assert_array_equal(y_test, toy.y_test)
    assert x_train.dtype == y_train.dtype == np.uint8


@pytest.fixture
def reads(monkeypatch):
    """Record the folder of every file the loader reads."""
    seen = []
    original = _files.read_verified

    def spy(path, remote):
        seen.append(os.path.dirname(path))
        return original(path, remote)

    monkeypatch.setattr(_files, "read_verified", spy)
    return seen


def test_lookup_order(toy, tmp_path, monkeypatch, reads):
    explicit = toy.put(tmp_path / "explicit")
    env = toy.put(tmp_path / "env" / toy.name)
    cache = toy.put(_files.cache_dir(toy.name))
    system = toy.put(tmp_path / "system" / toy.name)
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "env"))
    for expected, remove in [(explicit, None), (env, explicit), (cache, env), (system, cache)]:
        if remove is not None:
            for filename in TOY_FILES:
                (remove / filename).unlink()
        reads.clear()
        assert_toy(mnist.load_data(explicit), toy)
        assert reads == [str(expected)] * 4


def test_each_file_is_looked_up_on_its_own(toy, tmp_path, monkeypatch, reads):
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "env"))
    toy.put(tmp_path / "env" / toy.name, TOY_FILES[:2])
    toy.put(tmp_path / "system" / toy.name, TOY_FILES[2:])
    assert_toy(mnist.load_data(download=False), toy)
    assert (
        reads == [str(tmp_path / "env" / toy.name)] * 2 + [str(tmp_path / "system" / toy.name)] * 2
    )


def test_uncompressed_recompressed_and_dotted_copies_pass_the_checksum(toy, tmp_path):
    folder = toy.put(tmp_path / "plain", plain=True)
    assert_toy(mnist.load_data(folder, download=False), toy)
    (folder / "train-images-idx3-ubyte").rename(folder / "train-images.idx3-ubyte")
    data = gzip.decompress(toy.bytes_of(TOY_FILES[3]))
    (folder / "t10k-labels-idx1-ubyte").unlink()
    (folder / TOY_FILES[3]).write_bytes(gzip.compress(data, compresslevel=1, mtime=12345))
    assert (folder / TOY_FILES[3]).read_bytes() != toy.bytes_of(TOY_FILES[3])
    assert_toy(mnist.load_data(folder, download=False), toy)


def test_checksum_mismatch_is_skipped_with_a_warning(toy, tmp_path):
    bad = toy.put(tmp_path / "bad")
    labels = gzip.decompress(toy.bytes_of(TOY_FILES[1]))
    (bad / TOY_FILES[1]).write_bytes(gzip.compress(labels[:-1] + b"\x07"))  # valid IDX, wrong data
    toy.put(_files.cache_dir(toy.name))
    with pytest.warns(UserWarning, match=r"not using .*bad.train-labels.*SHA-256 of its content"):
        assert_toy(mnist.load_data(bad, download=False), toy)


def test_checksum_mismatch_alone_is_an_error(toy, tmp_path):
    bad = toy.put(tmp_path / "bad")
    (bad / TOY_FILES[0]).write_bytes(gzip.compress(b"\0\0\x08\x01\0\0\0\x01\x07"))
    with pytest.warns(UserWarning), pytest.raises(DatasetNotFoundError) as caught:
        mnist.load_data(bad, download=False)
    message = str(caught.value)
    assert "no good copy of train-images-idx3-ubyte.gz" in message
    assert f"{bad} (the `path` argument): ChecksumError" in message
    assert "not the published train-images-idx3-ubyte.gz" in message


def test_corrupt_gzip_is_reported_not_a_zlib_traceback(toy, tmp_path):
    bad = toy.put(tmp_path / "bad")
    data = bytearray(toy.bytes_of(TOY_FILES[2]))
    data[len(data) // 2] ^= 0xFF
    (bad / TOY_FILES[2]).write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="not a valid gzip file"):
        with pytest.raises(DatasetNotFoundError, match="not a valid gzip file"):
            mnist.load_data(bad, download=False)


def test_download_goes_to_the_cache_atomically_and_once(toy, monkeypatch):
    calls = []

    def fake_download(url, destination, **kwargs):
        calls.append(url)
        assert os.path.dirname(destination) == str(_files.cache_dir(toy.name))
        assert os.path.basename(destination) not in TOY_FILES  # a temporary name first
        with open(destination, "wb") as out:
            out.write(toy.bytes_of(url.rsplit("/", 1)[1]))

    monkeypatch.setattr(_files, "download_url", fake_download)
    assert_toy(mnist.load_data(), toy)
    assert calls == [f"https://mirror-a.invalid/{name}" for name in TOY_FILES]
    assert sorted(os.listdir(_files.cache_dir(toy.name))) == sorted(TOY_FILES)
    assert_toy(mnist.load_data(), toy)
    assert len(calls) == 4  # the second load is served by the cache


def test_a_bad_download_is_not_kept_and_the_next_mirror_is_tried(toy, monkeypatch):
    def fake_download(url, destination, **kwargs):
        data = toy.bytes_of(url.rsplit("/", 1)[1])
        with open(destination, "wb") as out:
            out.write(data[:-10] if "mirror-a" in url else data)

    monkeypatch.setattr(_files, "download_url", fake_download)
    assert_toy(mnist.load_data(), toy)
    assert sorted(os.listdir(_files.cache_dir(toy.name))) == sorted(TOY_FILES)


def test_download_failures_are_reported_and_leave_nothing(toy, monkeypatch):
    def corrupt_download(url, destination, **kwargs):
        with open(destination, "wb") as out:
            out.write(b"<html>not found</html>")

    monkeypatch.setattr(_files, "download_url", corrupt_download)
    with pytest.raises(
        DatasetNotFoundError,
        match=r"downloading train-images-idx3-ubyte.gz failed:\n.*ChecksumError",
    ) as caught:
        mnist.load_data()
    assert "mirror-b.invalid" in str(caught.value)
    assert os.listdir(_files.cache_dir(toy.name)) == []


def test_network_errors_are_reported(toy, monkeypatch):
    def unreachable(url, destination, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(_files, "download_url", unreachable)
    with pytest.raises(
        DatasetNotFoundError, match=r"downloading train-images-idx3-ubyte.gz failed:\n.*URLError"
    ):
        mnist.load_data()


def test_a_corrupt_cached_download_is_detected_and_replaced(toy, monkeypatch):
    cache = toy.put(_files.cache_dir(toy.name))
    (cache / TOY_FILES[0]).write_bytes(toy.bytes_of(TOY_FILES[0])[:-100])

    def fake_download(url, destination, **kwargs):
        with open(destination, "wb") as out:
            out.write(toy.bytes_of(url.rsplit("/", 1)[1]))

    monkeypatch.setattr(_files, "download_url", fake_download)
    with pytest.warns(UserWarning, match=r"not using .*cache.*train-images-idx3-ubyte.gz"):
        assert_toy(mnist.load_data(), toy)
    assert (cache / TOY_FILES[0]).read_bytes() == toy.bytes_of(TOY_FILES[0])


def test_not_found_lists_every_folder_and_what_to_put_where(toy, tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "env"))
    (tmp_path / "system" / toy.name).mkdir(parents=True)
    with pytest.raises(DatasetNotFoundError) as caught:
        mnist.load_data(tmp_path / "mine", download=False)
    assert isinstance(caught.value, FileNotFoundError)
    message = str(caught.value)
    cache = _files.cache_dir(toy.name)
    for line in [
        f"1. {tmp_path / 'mine'} (the `path` argument): does not exist",
        f"2. {tmp_path / 'env' / toy.name} ($DEEPGRAD_DATA/{toy.name}): does not exist",
        f"3. {cache} (the cache): does not exist",
        f"4. {tmp_path / 'system' / toy.name} (a system folder): no train-images-idx3-ubyte.gz",
        "Then downloading was off (download=False).",
        f"To fix, put these files into {cache}",
        "  ".join(TOY_FILES),
        "sudo apt-get install dataset-toy",
    ]:
        assert line in message


def test_unset_environment_variable_and_a_failed_download_are_described(toy):
    with pytest.raises(DatasetNotFoundError) as caught:
        mnist.load_data()  # the download fails: tests have no network
    message = str(caught.value)
    assert "1. $DEEPGRAD_DATA/toy-mnist: not set\n" in message
    # As the cache was before the failed download made the folder.
    assert f"2. {_files.cache_dir(toy.name)} (the cache): does not exist\n" in message
    assert "tests never download" in message


def test_fashion_mnist_error_mentions_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setattr(_files, "SYSTEM_DIRS", (str(tmp_path / "system"),))
    with pytest.raises(DatasetNotFoundError) as caught:
        fashion_mnist.load_data()
    message = str(caught.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "downloading train-images-idx3-ubyte.gz failed:\n    https://" in message
    assert "t10k-labels-idx1-ubyte.gz" in message


def test_images_and_labels_must_match(toy, tmp_path, monkeypatch):
    import dataclasses
    import hashlib

    from deepgrad.datasets._files import idx_remote_file
    from deepgrad.datasets.idx import write_idx

    folder = toy.put(tmp_path / "data")
    write_idx(folder / TOY_FILES[1], np.array([1, 2], np.uint8))  # 2 labels for 5 images
    content = gzip.decompress((folder / TOY_FILES[1]).read_bytes())
    labels = idx_remote_file(TOY_FILES[1], "0" * 64, hashlib.sha256(content).hexdigest(), [])
    spec = dataclasses.replace(toy.spec, files=(toy.spec.files[0], labels, *toy.spec.files[2:]))
    monkeypatch.setattr(mnist, "DATASET", spec)
    with pytest.raises(ValueError, match=r"do not match: .*got \(5, 4, 3\) and \(2,\)"):
        mnist.load_data(folder, download=False)


def test_importing_deepgrad_datasets_loads_nothing_heavy_and_downloads_nothing():
    code = (
        "import sys, deepgrad, deepgrad.datasets, deepgrad.utils.image_io\n"
        "heavy = ['gzip', 'tarfile', 'urllib.request', 'sklearn', 'PIL', 'http.client']\n"
        "print([name for name in heavy if name in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
