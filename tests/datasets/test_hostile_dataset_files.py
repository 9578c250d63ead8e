"""Hostile dataset files (issue 13, item 4): bombs given in ``path=``, headers that wrap.

Each reproducer runs in a child with capped memory (``bounded.run_bounded``): a copy that
is not the published file fails with deepgrad's FileFormatError (ChecksumError is one)
naming it, without decompressing more than a published file can hold.
"""

from __future__ import annotations

import gzip
import zlib

import numpy as np
import pytest

from deepgrad.datasets import cifar10, fashion_mnist, mnist
from deepgrad.datasets._files import ChecksumError, read_verified
from deepgrad.datasets.idx import gunzip, parse_idx, read_idx
from deepgrad.formats.errors import FileFormatError

from bounded import run_bounded


def _gzip_of_zeros(path, size: int, head: bytes = b"") -> None:
    """A gzip file of ``head`` and then ``size`` zeros, written in pieces (about size/1000)."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    with open(path, "wb") as out:
        out.write(compressor.compress(head))
        for _ in range(size >> 20):
            out.write(compressor.compress(chunk))
        out.write(compressor.flush())


@pytest.mark.parametrize("dataset, index, match", [
    (fashion_mnist, 1, "more than any copy"),  # the .gz alone is larger than any good copy
    (mnist, 3, "more than any copy"),
    (mnist, 0, "content is larger than the"),  # decompression stops at 47 MB
    (fashion_mnist, 2, "content is larger than the"),
])
def test_gzip_bomb_in_path_is_not_decompressed_past_the_published_size(tmp_path, dataset,
                                                                        index, match):
    """Was: a 1 MB .gz given in path= was decompressed to 2 GB before its checksum."""
    remote = dataset.DATASET.files[index]
    path = tmp_path / remote.filename
    _gzip_of_zeros(path, 256 << 20)
    assert path.stat().st_size < 1_500_000
    result = run_bounded(lambda: read_verified(path, remote), memory_mb=48 + (
        remote.max_size >> 20))
    assert result.clean and "ChecksumError" in result.error_type, result
    assert str(path) in result.message and match in result.message


def test_oversized_file_is_refused_unread(tmp_path):
    remote = cifar10.DATASET.files[0]
    path = tmp_path / remote.filename
    with open(path, "wb") as handle:
        handle.truncate(remote.max_size + 1)  # sparse: no disk used
    with pytest.raises(ChecksumError, match=f"{remote.max_size + 1} bytes, more than any copy"):
        read_verified(path, remote)


def test_read_idx_stops_at_the_size_its_header_declares(tmp_path):
    path = tmp_path / "labels-idx1-ubyte.gz"
    _gzip_of_zeros(path, 256 << 20, head=bytes([0, 0, 8, 1, 0, 0, 0, 3]))
    result = run_bounded(lambda: read_idx(path), memory_mb=32)
    assert result.clean, result
    assert "invalid IDX file" in result.message and str(path) in result.message


@pytest.mark.parametrize("dims", [(2**16,) * 4, (2**32 - 1,) * 3, (2**32 - 1, 2**32 - 1)])
def test_idx_sizes_are_python_integers(dims):
    """Was: 2**16 x 2**16 x 2**16 x 2**16 wrapped to 0 values in int64."""
    header = bytes([0, 0, 8, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    expected = 1
    for d in dims:
        expected *= d
    with pytest.raises(FileFormatError, match=f"truncated IDX file: .*\\({expected} bytes"):
        parse_idx(header, "x-idx-ubyte")


def test_gunzip_limit():
    assert gunzip(gzip.compress(b"abc"), "x.gz", limit=3) == b"abc"
    with pytest.raises(FileFormatError, match="larger than the 2 bytes"):
        gunzip(gzip.compress(b"abc"), "x.gz", limit=2)


def test_corrupt_files_fail_as_file_format_errors(tmp_path):
    """Every damaged dataset file is deepgrad's error naming it, never a raw one."""
    path = tmp_path / "y-idx1-ubyte.gz"
    blob = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2, 3, 4, 5]), mtime=0)
    rng = np.random.default_rng(4)
    for _ in range(300):
        damaged = bytearray(blob)
        for position in rng.choice(len(blob), int(rng.integers(1, 4)), replace=False):
            damaged[position] = int(rng.integers(0, 256))
        path.write_bytes(bytes(damaged))
        try:
            read_idx(path)
        except FileFormatError as error:
            assert str(path) in str(error)


def test_damaged_npz_files_fail_as_file_format_errors(tmp_path):
    """IMDB's parser of pickled arrays (it runs after the checksum, but is public): damage
    gives deepgrad's error, never IndexError or AttributeError from the opcode machine."""
    from deepgrad.datasets.npz import load_npz

    ragged = np.empty(3, dtype=object)
    ragged[:] = [[1, 2, 3], [4, 70_000], []]
    path = tmp_path / "imdb.npz"
    np.savez(path, x_train=ragged, y_train=np.array([0, 1, 1]))
    blob = path.read_bytes()
    rng = np.random.default_rng(5)
    for _ in range(400):
        damaged = bytearray(blob)
        for position in rng.choice(len(blob), int(rng.integers(1, 4)), replace=False):
            damaged[position] = int(rng.integers(0, 256))
        try:
            load_npz(bytes(damaged), "imdb.npz")
        except FileFormatError as error:
            assert "imdb.npz" in str(error)
