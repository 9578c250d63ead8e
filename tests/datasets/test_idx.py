"""The IDX reader and writer: round trips, and a clear error for every kind of bad file."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from deepgrad.datasets.idx import gunzip, parse_idx, read_idx, write_idx

ARRAYS = [
    np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
    np.array([-128, 0, 127], np.int8),
    np.array([[-300, 2], [7, 30000]], np.int16),
    np.array([-(2**31), 2**31 - 1], np.int32),
    np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2),
    np.array([np.pi, -np.e], np.float64),
    np.zeros((0, 28, 28), np.uint8),
]


@pytest.mark.parametrize("array", ARRAYS, ids=lambda a: f"{a.dtype}{a.shape}")
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, array, suffix):
    path = tmp_path / f"data-idx{array.ndim}-ubyte{suffix}"
    write_idx(path, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")
    back = read_idx(path)
    assert back.dtype == array.dtype and back.dtype.isnative
    assert back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_header_is_big_endian_as_the_format_says(tmp_path):
    path = tmp_path / "x"
    write_idx(path, np.array([[1, 2, 3]], np.int16))
    assert path.read_bytes() == bytes([0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 1, 0, 2, 0, 3])


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    gz = tmp_path / "labels-idx1-ubyte.gz"
    write_idx(gz, np.array([5, 6], np.uint8))
    renamed = gz.rename(tmp_path / "labels-idx1-ubyte")
    np.testing.assert_array_equal(read_idx(renamed), [5, 6])


def _labels_file(tmp_path, payload: bytes, count: int = 3, name: str = "y-idx1-ubyte"):
    path = tmp_path / name
    path.write_bytes(bytes([0, 0, 0x08, 1]) + count.to_bytes(4, "big") + payload)
    return path


def test_truncated_payload(tmp_path):
    path = _labels_file(tmp_path, bytes([1, 2]))
    with pytest.raises(ValueError, match=r"y-idx1-ubyte: truncated IDX file: .* 3 uint8 values"):
        read_idx(path)


def test_truncated_images_name_their_shape(tmp_path):
    path = tmp_path / "img-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (2, 2, 2)))
    with pytest.raises(ValueError, match=r"2x2x2 uint8 values \(8 bytes .*\) but 0 bytes follow"):
        read_idx(path)


def test_extra_bytes(tmp_path):
    path = _labels_file(tmp_path, bytes([1, 2, 3, 4]))
    with pytest.raises(ValueError, match=r"y-idx1-ubyte: invalid IDX file: .*\(1 extra\)"):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = tmp_path / "h-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 1]))
    with pytest.raises(ValueError, match=r"h-idx3-ubyte: truncated IDX file: .*3 dimensions"):
        read_idx(path)


def test_wrong_magic(tmp_path):
    path = tmp_path / "not-idx"
    path.write_bytes(b"P5\n28 28\n255\n" + bytes(784))
    with pytest.raises(ValueError, match=r"not-idx: not an IDX file: bad magic number 0x50350a32"):
        read_idx(path)


def test_unknown_type_code(tmp_path):
    path = tmp_path / "code"
    path.write_bytes(bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 9]))
    with pytest.raises(ValueError, match=r"unknown type code 0x07 .*0x08 \(uint8\)"):
        read_idx(path)


def test_zero_dimensions_and_tiny_files(tmp_path):
    with pytest.raises(ValueError, match="declares 0 dimensions"):
        parse_idx(bytes([0, 0, 8, 0, 1]), "zero")
    with pytest.raises(ValueError, match="has 2 bytes, fewer than the 4"):
        parse_idx(b"\0\0", "tiny")


def test_gzip_bytes_given_to_parse_idx_get_a_hint():
    with pytest.raises(ValueError, match="it is gzip'd: decompress it first"):
        parse_idx(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 0])), "y.gz")


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "img-idx3-ubyte.gz"
    write_idx(path, np.arange(4000, dtype=np.int32))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"img-idx3-ubyte.gz: not a valid gzip file"):
        read_idx(path)


def test_truncated_gzip(tmp_path):
    path = tmp_path / "img-idx3-ubyte.gz"
    write_idx(path, np.arange(4000, dtype=np.int32))
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match=r"img-idx3-ubyte.gz: not a valid gzip file .*truncated"):
        read_idx(path)


def test_gunzip_checks_the_crc():
    data = bytearray(gzip.compress(b"some content"))
    data[-8] ^= 1  # the CRC-32 of the content, in the gzip trailer
    with pytest.raises(ValueError, match="not a valid gzip file"):
        gunzip(bytes(data), "bad.gz")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent")


def test_write_idx_rejects_what_idx_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="IDX cannot hold dtype int64"):
        write_idx(tmp_path / "a", np.arange(3))
    with pytest.raises(ValueError, match="1 to 255 dimensions"):
        write_idx(tmp_path / "a", np.uint8(3))
