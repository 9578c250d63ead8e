"""get_file: offline first, hashes, extraction, downloads from a server on 127.0.0.1 only."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from deepgrad.datasets import DatasetNotFoundError
from deepgrad.utils import get_file
from deepgrad.utils.file_utils import extract_archive, hash_file, validate_file

from local_http import closed_port_url, serve

DATA = b"some bytes of a model"
SHA = hashlib.sha256(DATA).hexdigest()
MD5 = hashlib.md5(DATA, usedforsecurity=False).hexdigest()


@pytest.fixture(autouse=True)
def empty_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DEEPGRAD_DATA", raising=False)


def tarball(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_offline_order_path_env_cache_then_keras(tmp_path, monkeypatch):
    folders = {name: tmp_path / name for name in ("given", "env", "home/.cache/deepgrad/datasets",
                                                   "home/.keras/datasets")}
    for folder in folders.values():
        folder.mkdir(parents=True)
        (folder / "w.bin").write_bytes(DATA)
    monkeypatch.setenv("DEEPGRAD_DATA", str(folders["env"]))
    url = closed_port_url() + "/w.bin"
    assert get_file("w.bin", url, file_hash=SHA, path=folders["given"]) == \
        str(folders["given"] / "w.bin")
    assert get_file("w.bin", url, file_hash=SHA, path=folders["given"] / "w.bin") == \
        str(folders["given"] / "w.bin")
    assert get_file("w.bin", url, file_hash=SHA) == str(folders["env"] / "w.bin")
    monkeypatch.delenv("DEEPGRAD_DATA")
    found = get_file(origin=url, file_hash=MD5)  # fname from the URL; MD5 by its length
    assert found == str(folders["home/.cache/deepgrad/datasets"] / "w.bin")
    os.unlink(found)
    assert get_file("w.bin", url, md5_hash=MD5) == str(folders["home/.keras/datasets"] / "w.bin")


def test_a_copy_with_the_wrong_hash_is_skipped(tmp_path):
    (tmp_path / "w.bin").write_bytes(b"tampered")
    with pytest.warns(UserWarning, match="hash does not match"), \
            pytest.raises(DatasetNotFoundError) as info:
        get_file("w.bin", closed_port_url() + "/w.bin", file_hash=SHA, path=tmp_path)
    message = str(info.value)
    assert "hash does not match" in message and "downloading http://127.0.0.1" in message
    assert "To fix, download it yourself and put it at" in message
    assert ".cache/deepgrad/datasets/w.bin" in message


def test_no_network_gives_a_clear_error_and_leaves_nothing(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(DatasetNotFoundError, match="failed: URLError"):
        get_file("w.bin", closed_port_url() + "/w.bin", cache_dir=cache)
    assert not any(p.is_file() for p in cache.rglob("*"))
    with pytest.raises(DatasetNotFoundError, match="no `origin` was given"):
        get_file("w.bin", cache_dir=cache)


def test_download_checks_the_hash_and_writes_atomically(tmp_path):
    cache = tmp_path / "cache"
    with serve({"/w.bin": DATA, "/bad.bin": b"other"}) as server:
        path = get_file("w.bin", server.url + "/w.bin", file_hash=SHA, cache_dir=cache,
                        cache_subdir="models")
        assert path == str(cache / "models" / "w.bin") and Path(path).read_bytes() == DATA
        again = get_file("w.bin", server.url + "/w.bin", file_hash=SHA, cache_dir=cache,
                         cache_subdir="models")
        assert again == path and len(server.requests) == 1  # found, not downloaded twice
        get_file("w.bin", server.url + "/w.bin", cache_dir=cache, cache_subdir="models",
                 force_download=True)
        assert len(server.requests) == 2
        with pytest.raises(ValueError, match="Incomplete or corrupted file detected"):
            get_file("bad.bin", server.url + "/bad.bin", file_hash=SHA, cache_dir=cache)
    assert sorted(p.name for p in (cache / "datasets").iterdir()) == []


def test_extract_tar_and_zip_with_keras_names(tmp_path):
    archive = tarball({"photos/a.txt": b"A", "photos/b.txt": b"B"})
    cache = tmp_path / "cache"
    with serve({"/photos.tgz": archive}) as server:
        folder = get_file(origin=server.url + "/photos.tgz", extract=True, cache_dir=cache)
        assert folder == str(cache / "datasets" / "photos.tgz")
        assert Path(folder, "photos", "b.txt").read_text() == "B"
        assert (cache / "datasets" / "photos.tgz_archive").is_file()
        named = get_file("photos.tar.gz", server.url + "/photos.tgz", extract=True,
                         cache_dir=cache)
        assert named == str(cache / "datasets" / "photos_extracted")
    zipped = tmp_path / "given" / "pack.zip"
    zipped.parent.mkdir()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("inner/c.txt", "C")
    folder = get_file("pack.zip", extract=True, path=zipped.parent, cache_dir=cache)
    assert Path(folder, "inner", "c.txt").read_text() == "C"
    assert folder == str(cache / "datasets" / "pack_extracted")  # never inside `path`


def test_archives_cannot_write_outside_their_folder(tmp_path):
    evil = tmp_path / "evil.tar.gz"
    evil.write_bytes(tarball({"../escape.txt": b"x"}))
    with pytest.raises(ValueError, match="points outside the extraction folder"):
        extract_archive(evil, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()
    assert extract_archive(evil, tmp_path / "out", archive_format=None) is False
    with pytest.raises(ValueError, match="unknown archive_format"):
        extract_archive(evil, tmp_path / "out", archive_format="rar")


def test_hashes_and_argument_errors(tmp_path):
    path = tmp_path / "w.bin"
    path.write_bytes(DATA)
    assert hash_file(path) == SHA and hash_file(path, "md5") == MD5
    assert validate_file(path, SHA) and validate_file(path, MD5) and not validate_file(path, "0")
    with pytest.raises(ValueError, match="Paths are no longer accepted"):
        get_file("a/b.bin", "http://127.0.0.1/b.bin")
    with pytest.raises(ValueError, match="`hash_algorithm` must be"):
        get_file("b.bin", "http://127.0.0.1/b.bin", hash_algorithm="sha1")
    with pytest.raises(ValueError, match="Can't parse the file name"):
        get_file(origin="http://127.0.0.1/")
