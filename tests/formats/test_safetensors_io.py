"""Our safetensors writer/reader: exchange with the reference package, strict checks."""

import io
import json
import struct

import numpy as np
import pytest

from deepgrad.formats.safetensors_io import SafetensorsError, dumps, loads

ARRAYS = {
    "f32": np.arange(12, dtype=np.float32).reshape(3, 4),
    "f64": np.linspace(-1, 1, 5),
    "f16": np.array([0.5, -2.0], dtype=np.float16),
    "i64": np.array([[-(2**40)], [7]], dtype=np.int64),
    "i8": np.array([-3, 4], dtype=np.int8),
    "u8": np.array([255, 0], dtype=np.uint8),
    "flag": np.array([True, False]),
    "scalar": np.array(3.5, dtype=np.float32),
    "empty": np.zeros((0, 3), dtype=np.float32),
}


def test_round_trip_all_dtypes():
    tensors, metadata = loads(dumps(ARRAYS, metadata={"a": "b"}))
    assert list(tensors) == list(ARRAYS) and metadata == {"a": "b"}
    for name, array in ARRAYS.items():
        assert tensors[name].dtype == array.dtype and tensors[name].shape == array.shape
        np.testing.assert_array_equal(tensors[name], array)
        assert tensors[name].flags.writeable


def test_big_endian_and_non_contiguous_input():
    big = np.arange(6, dtype=">f4").reshape(2, 3).T
    tensors, _ = loads(dumps({"x": big}))
    np.testing.assert_array_equal(tensors["x"], big)
    assert tensors["x"].dtype == np.dtype("float32")


def test_header_is_aligned():
    blob = dumps({"x": np.ones(3, np.float32)})
    (size,) = struct.unpack("<Q", blob[:8])
    assert (8 + size) % 8 == 0


def test_reference_package_reads_ours_and_we_read_its():
    st = pytest.importorskip("safetensors.numpy",
                             reason="the reference package checks ours; pip install '.[test]'")
    theirs = st.load(dumps(ARRAYS))
    for name, array in ARRAYS.items():
        np.testing.assert_array_equal(theirs[name], array)
        assert theirs[name].dtype == array.dtype
    ours, _ = loads(st.save(ARRAYS, metadata={"k": "v"}))
    for name, array in ARRAYS.items():
        np.testing.assert_array_equal(ours[name], array)


def test_unsupported_dtypes_and_names():
    with pytest.raises(TypeError, match="complex128"):
        dumps({"c": np.ones(2, dtype=complex)})
    with pytest.raises(ValueError, match="reserved"):
        dumps({"__metadata__": np.ones(1)})
    with pytest.raises(TypeError, match="strings to strings"):
        dumps({"x": np.ones(1)}, metadata={"n": 1})


def _blob(header: dict, data: bytes = b"", raw: bytes | None = None) -> bytes:
    text = raw if raw is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


@pytest.mark.parametrize("blob, message", [
    (b"\x01\x02", "fewer than the 8-byte header length"),
    (struct.pack("<Q", 10**12) + b"{}", "the header claims"),
    (_blob({}, raw=b"{nope"), "not valid JSON"),
    (_blob({}, raw=b"[1, 2]"), "not a dict"),
    (_blob({}, raw=b'{"a": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}, '
                   b'"a": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}',
           data=b"\0" * 4), "names 'a' twice"),
    (_blob({"a": {"dtype": "X9", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
     "unsupported dtype 'X9'"),
    (_blob({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4),
     "invalid shape"),
    (_blob({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4),
     "needs 8 bytes"),
    (_blob({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, b"\0" * 4),
     "invalid data_offsets"),
    (_blob({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 8),
     "holds 8"),
    (_blob({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 2),
     "holds 2"),
    (_blob({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
            "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
     "overlaps"),
    (_blob({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8),
     "gap"),
    (_blob({"a": {"dtype": "F32", "shape": [1]}}, b"\0" * 4), "exactly 'dtype'"),
    (_blob({"__metadata__": {"a": 1}}), "__metadata__: must map strings"),
])
def test_invalid_files(blob, message):
    with pytest.raises(SafetensorsError, match=message):
        loads(blob, "bad.safetensors")


def test_is_a_value_error():
    assert issubclass(SafetensorsError, ValueError)


class _Trickle(io.RawIOBase):
    """A stream that returns at most 1,000 bytes a call, as zip members and pipes may."""

    def __init__(self, blob: bytes) -> None:
        super().__init__()
        self._data, self._at = blob, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        piece = self._data[self._at:self._at + min(len(buffer), 1000)]
        buffer[:len(piece)] = piece
        self._at += len(piece)
        return len(piece)


def test_headers_and_data_arrive_in_short_reads():
    """Was: a header over 1 MiB in a model file (a 10,000-layer model) read as truncated,
    because a zip member hands out at most 1 MiB a call."""
    from deepgrad.formats.safetensors_io import read_header, read_tensors

    arrays = {f"layers/dense_{i}/vars/0": np.full((2, 2), i, np.float32) for i in range(300)}
    blob = dumps(arrays)
    stream = _Trickle(blob)
    header = read_header(stream, "w", len(blob))
    assert header.data_start > 1000
    tensors = read_tensors(stream, header, "w")
    assert all(np.array_equal(tensors[k], v) for k, v in arrays.items())
