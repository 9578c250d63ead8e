"""Hostile weights files (issue 13, items 3, 7, 8, 9): HDF5 bombs and links, flipped bytes.

Each test keeps its reproducer: the file is crafted as an attacker would (h5py writes the
HDF5 features a weights file never needs), and loading must fail with deepgrad's
FileFormatError naming the file and the part, within a capped memory, or load exactly
what was saved.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from deepgrad.formats import h5_weights
from deepgrad.formats.errors import FileFormatError

from bounded import run_bounded
from hostile_files import add_zeros_member, rezip, small_model

h5py = pytest.importorskip("h5py", reason="h5py writes the crafted files; pip install '.[test]'")

CAP_MB = 64
KERNEL = "layers/dense/vars/0"


def _weights_file(path, **datasets):
    """A Keras-layout weights file for ``small_model()``; ``datasets`` replace its weights."""
    model = small_model()
    arrays = {f"layers/dense{s}/vars/{i}": w for s, ws in
              (("", model.layers[0].get_weights()), ("_1", model.layers[1].get_weights()))
              for i, w in enumerate(ws)}
    with h5py.File(path, "w") as handle:
        for key, value in arrays.items():
            if key in datasets:
                datasets[key](handle, key)
            else:
                handle.create_dataset(key, data=value)
    return arrays


def _assert_refused(path, match: str):
    model = small_model()
    result = run_bounded(lambda: model.load_weights(path), memory_mb=CAP_MB, seconds=20)
    assert result.clean, f"{result.outcome} {result.error_type}: {result.message}"
    assert str(path) in result.message and match in result.message, result.message
    assert result.seconds < 10


# -- item 3: HDF5 bombs ------------------------------------------------------------------
def test_unwritten_huge_chunked_dataset_is_not_read(tmp_path):
    """Was: a 7,968-byte file with an unwritten 2 GiB chunked dataset used 2.1 GB."""
    path = tmp_path / "bomb.weights.h5"
    _weights_file(path, **{KERNEL: lambda h, k: h.create_dataset(
        k, shape=(2**15, 2**14), dtype="f4", chunks=(1024, 1024))})
    assert path.stat().st_size < 20_000
    _assert_refused(path, "shape (4, 5) in the model but (32768, 16384) in the file")


def test_chunks_larger_than_their_dataset_are_refused(tmp_path):
    path = tmp_path / "chunks.weights.h5"
    _weights_file(path, **{KERNEL: lambda h, k: h.create_dataset(
        k, shape=(4, 5), maxshape=(None, None), dtype="f4", chunks=(2**13, 2**14))})
    _assert_refused(path, "has chunks of")


def test_huge_dataset_under_ignored_groups_is_never_read(tmp_path):
    path = tmp_path / "opt.weights.h5"
    arrays = _weights_file(path)
    with h5py.File(path, "a") as handle:
        handle.create_dataset("optimizer/vars/0", shape=(2**16, 2**15), dtype="f4",
                              chunks=(1024, 1024))
    model = small_model()
    result = run_bounded(lambda: (model.load_weights(path), model.get_weights())[1][0].tolist(),
                         memory_mb=CAP_MB)
    assert result.outcome == "ok", result
    assert result.value == repr(arrays[KERNEL].tolist())


def _keras_zip(path, h5_bytes=None, bomb: int = 0):
    files = {"config.json": b"{}", "metadata.json": b"{}"}
    rezip(path, files)
    if bomb:
        add_zeros_member(path, "model.weights.h5", bomb)
    else:
        with zipfile.ZipFile(path, "a") as handle:
            handle.writestr("model.weights.h5", h5_bytes, compress_type=zipfile.ZIP_STORED)


def test_keras_zip_with_inner_bomb(tmp_path):
    """Was: a 2.8 KB .keras hit a MemoryError at 2 GB reading model.weights.h5."""
    path = tmp_path / "bomb.keras"
    _keras_zip(path, bomb=128 << 20)
    _assert_refused(path, "model.weights.h5: is deflated to 134217728 bytes")


def test_keras_zip_with_stored_weights_loads_in_place(tmp_path):
    inner = tmp_path / "inner.weights.h5"
    arrays = _weights_file(inner)
    path = tmp_path / "model.keras"
    _keras_zip(path, inner.read_bytes())
    model = small_model()
    model.load_weights(path)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), arrays[KERNEL])


# -- item 7: nothing outside the file is read ----------------------------------------------
def test_external_storage_cannot_read_a_local_file(tmp_path):
    """Was: external=[("secret.txt", 0, 128)] loaded the secret into the weights."""
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"password=hunter2" * 8)
    path = tmp_path / "ext.weights.h5"
    _weights_file(path, **{KERNEL: lambda h, k: h.create_dataset(
        k, shape=(4, 5), dtype="f4", external=[(str(secret), 0, 80)])})
    _assert_refused(path, "keeps its data in other files")


def test_external_storage_on_dev_zero(tmp_path):
    """Was: 1 GiB read from /dev/zero."""
    path = tmp_path / "zero.weights.h5"
    _weights_file(path, **{KERNEL: lambda h, k: h.create_dataset(
        k, shape=(2**28,), dtype="f4", external=[("/dev/zero", 0, 2**30)])})
    _assert_refused(path, "keeps its data in other files")


def test_virtual_dataset_is_refused(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as handle:
        handle.create_dataset("data", data=np.arange(20, dtype="f4").reshape(4, 5))
    layout = h5py.VirtualLayout(shape=(4, 5), dtype="f4")
    layout[:] = h5py.VirtualSource(str(other), "data", shape=(4, 5))
    path = tmp_path / "virtual.weights.h5"
    _weights_file(path, **{KERNEL: lambda h, k: h.create_virtual_dataset(k, layout)})
    _assert_refused(path, "keeps its data in other files")


@pytest.mark.parametrize("kind", ["soft", "external"])
def test_links_are_refused(tmp_path, kind):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as handle:
        handle.create_dataset("data", data=np.ones((4, 5), "f4"))
    path = tmp_path / f"{kind}.weights.h5"

    def link(handle, key):
        handle.create_dataset("elsewhere", data=np.ones((4, 5), "f4"))
        handle[key] = (h5py.SoftLink("/elsewhere") if kind == "soft"
                       else h5py.ExternalLink(str(other), "/data"))

    _weights_file(path, **{KERNEL: link})
    _assert_refused(path, f"{KERNEL}: is {'a soft' if kind == 'soft' else 'an external'} link")


def test_hard_link_cycle_is_walked_once(tmp_path):
    path = tmp_path / "cycle.weights.h5"
    arrays = _weights_file(path)
    with h5py.File(path, "a") as handle:
        handle["layers/dense/loop"] = handle["layers"]  # a group holding its own parent
    model = small_model()
    model.load_weights(path)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), arrays[KERNEL])


@pytest.mark.parametrize("dataset", [
    lambda h, k: h.create_dataset(k, data=np.array([b"abc"] * 20).reshape(4, 5)),
    lambda h, k: h.create_dataset(k, shape=(4, 5), dtype=[("a", "f4"), ("b", "i4")]),
    lambda h, k: h.create_dataset(k, shape=None, dtype="f4"),
    lambda h, k: h.create_dataset(k, shape=(4, 5), dtype=h5py.vlen_dtype("f4")),
], ids=["strings", "compound", "null", "vlen"])
def test_non_numeric_datasets_are_refused(tmp_path, dataset):
    path = tmp_path / "odd.weights.h5"
    _weights_file(path, **{KERNEL: dataset})
    _assert_refused(path, KERNEL)


# -- items 8 and 9: damaged bytes fail cleanly, and a checksum catches flipped data --------
def _flip_everywhere(path, positions, load, expected):
    """Set each byte in ``positions`` to another value; every load must fail cleanly or
    give exactly ``expected``. Returns how many loaded."""
    blob = path.read_bytes()
    rng = np.random.default_rng(13)
    loaded = 0
    for position in positions:
        damaged = bytearray(blob)
        damaged[position] = (damaged[position] + int(rng.integers(1, 256))) % 256
        path.write_bytes(bytes(damaged))
        try:
            weights = load()
        except FileFormatError as error:
            assert str(path) in str(error)
            continue
        assert all(np.array_equal(a, b) for a, b in zip(weights, expected, strict=True)), \
            f"a flipped byte at {position} loaded different weights"
        loaded += 1
    return loaded


def test_every_flipped_byte_of_a_safetensors_file_is_caught(tmp_path):
    """Was: 268 of 820 single-byte flips loaded different weights silently."""
    source = small_model()
    path = tmp_path / "w.weights.safetensors"
    source.save_weights(path)
    target = small_model()

    def load():
        target.load_weights(path)
        return target.get_weights()

    size = path.stat().st_size
    positions = np.random.default_rng(0).choice(size, 250, replace=False)
    loaded = _flip_everywhere(path, positions, load, source.get_weights())
    assert loaded < 25  # only flips in metadata text that nothing checks load, unchanged


def test_flipped_bytes_of_a_deepgrad_h5_file(tmp_path):
    """Was: 58 of 1,500 flips loaded different weights; deepgrad's .weights.h5 carries a
    checksum now (Keras's does not, see the next test)."""
    source = small_model()
    path = tmp_path / "w.weights.h5"
    source.save_weights(path)
    target = small_model()

    def load():
        target.load_weights(path)
        return target.get_weights()

    positions = np.random.default_rng(0).choice(path.stat().st_size, 150, replace=False)
    _flip_everywhere(path, positions, load, source.get_weights())


def test_flipped_bytes_of_a_keras_h5_file_never_raise_raw_errors(tmp_path):
    """A Keras file has no checksum: a flip may load other numbers, but any error is ours."""
    path = tmp_path / "keras.weights.h5"
    _weights_file(path)
    blob = path.read_bytes()
    target = small_model()
    rng = np.random.default_rng(1)
    for position in rng.choice(len(blob), 150, replace=False):
        damaged = bytearray(blob)
        damaged[position] ^= int(rng.integers(1, 256))
        path.write_bytes(bytes(damaged))
        try:
            target.load_weights(path)
        except FileFormatError as error:
            assert str(path) in str(error)


def test_checksum_is_written_and_checked_in_h5(tmp_path):
    source = small_model()
    path = tmp_path / "w.weights.h5"
    source.save_weights(path)
    with h5py.File(path, "a") as handle:
        assert len(handle.attrs[h5_weights.CHECKSUM_ATTR]) == 64
        handle[KERNEL][0, 0] += 1.0
    with pytest.raises(FileFormatError, match="do not match their SHA-256"):
        small_model().load_weights(path)


@pytest.mark.parametrize("offset", [0xFFFFFF00, None])
def test_keras_zip_whose_directory_points_outside_the_file(tmp_path, offset):
    """Was (fuzz_loaders, keras case 1804): 62 bytes inserted made every local-header
    offset negative, and seeking there raised a raw OSError (Errno 22)."""
    inner = tmp_path / "inner.weights.h5"
    _weights_file(inner)
    path = tmp_path / "model.keras"
    _keras_zip(path, inner.read_bytes())
    blob = bytearray(path.read_bytes())
    directory = blob.index(b"PK\x01\x02")
    if offset is None:  # the directory's declared start moved on: offsets come out negative
        end = blob.rindex(b"PK\x05\x06")
        start = int.from_bytes(blob[end + 16:end + 20], "little")
        blob[end + 16:end + 20] = (start + 10**6).to_bytes(4, "little")
    else:
        at = blob.index(b"model.weights.h5", directory) - 46
        blob[at + 42:at + 46] = offset.to_bytes(4, "little")
    path.write_bytes(bytes(blob))
    with pytest.raises(FileFormatError, match=str(path)):
        small_model().load_weights(path)
