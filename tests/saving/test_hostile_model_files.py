"""Hostile ``.deepgrad`` files (issue 13, items 1, 2, 5, 6, 8): each attack as it was found.

Every test keeps the reproducer: the file is crafted as an attacker would, loaded in a
child process whose memory is capped (``bounded.run_bounded``), and must fail with
deepgrad's FileFormatError naming the file, quickly and without the memory it once took.
"""

from __future__ import annotations

import json
import struct
import zipfile

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.formats import jsonio, safetensors_io
from deepgrad.formats.errors import FileFormatError

from bounded import run_bounded
from hostile_files import (
    add_zeros_member,
    edit_config,
    members,
    rezip,
    save_trained,
    small_model,
    with_manifest,
)

BOMB = 128 << 20  # each bomb expands to more than the child may allocate
CAP_MB = 64


def _load_bounded(path, **kwargs):
    return run_bounded(lambda: dg.models.load_model(path, **kwargs), memory_mb=CAP_MB,
                       seconds=20)


def _assert_clean(result, path, match: str):
    assert result.outcome == "error", result
    assert result.clean, f"{result.error_type}: {result.message}"
    assert str(path) in result.message and match in result.message, result.message
    assert result.seconds < 10, result.seconds


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "m.deepgrad"
    save_trained(path)
    return path


# -- item 1: zip members are checked against the manifest before they are read ----------
def test_unlisted_bomb_member_is_never_read(saved):
    """Was: 5.2 GB and 26 s before 'not listed'. The bomb is named but never decompressed."""
    add_zeros_member(saved, "extra.bin", BOMB)
    result = _load_bounded(saved)
    _assert_clean(result, saved, "not listed: ['extra.bin']")


def test_listed_member_larger_than_declared_stops_at_the_declared_size(saved):
    """A member whose data expands past its declared size is read only up to that size."""
    files = members(saved)
    rezip(saved, {k: v for k, v in files.items() if k != "config.json"})
    add_zeros_member(saved, "config.json", BOMB)
    with zipfile.ZipFile(saved) as handle:  # the zip still says config.json is BOMB bytes
        assert handle.getinfo("config.json").file_size == BOMB
    result = _load_bounded(saved)
    _assert_clean(result, saved, "config.json")


def test_listed_member_declared_huge_is_refused_unread(saved):
    """A manifest that owns up to a 128 MiB config.json: refused for its size, unread."""
    files = members(saved)
    files["config.json"] = b" " * BOMB
    files = with_manifest(files)
    rezip(saved, {k: v for k, v in files.items() if k != "config.json"})
    add_zeros_member(saved, "config.json", BOMB)
    result = _load_bounded(saved)
    _assert_clean(result, saved, "more than the")


def test_manifest_bomb(saved):
    files = members(saved)
    rezip(saved, {k: v for k, v in files.items() if k != "manifest.json"})
    add_zeros_member(saved, "manifest.json", BOMB)
    result = _load_bounded(saved)
    _assert_clean(result, saved, "manifest.json")


def test_weights_with_load_weights_too(saved):
    add_zeros_member(saved, "extra.bin", BOMB)
    model = small_model()
    result = run_bounded(lambda: model.load_weights(saved), memory_mb=CAP_MB)
    _assert_clean(result, saved, "not listed")


# -- item 2: a config is built within the weights the file holds -----------------------
def test_config_asking_for_gigabytes_fails_before_allocating(tmp_path):
    """Was: units=50000 on a 10,000-wide input allocated 3.9 GB before the shape error."""
    path = tmp_path / "wide.deepgrad"
    dg.Sequential([dg.layers.Dense(2, input_shape=(10_000,)), dg.layers.Dense(1)]).save(path)

    def widen(config):
        config["model"]["config"]["layers"][0]["config"]["units"] = 50_000

    edit_config(path, widen)
    result = _load_bounded(path)
    _assert_clean(result, path, "Dense 'dense")
    assert "twice the" in result.message


def test_config_slightly_off_names_the_weight(saved):
    edit_config(saved, lambda c: c["model"]["config"]["layers"][1]["config"].update(units=4))
    with pytest.raises(FileFormatError, match=r"layer 'dense_1'.*shape \(5, 4\) in the model "
                                              r"but \(5, 3\) in the file"):
        dg.models.load_model(saved)


@dg.saving.register_keras_serializable(package="HostileTests")
class _ShapeByRunning(dg.layers.Layer):
    """A custom layer without compute_output_shape: Layer's default runs it on zeros."""

    def call(self, inputs):
        return inputs * 2.0


def test_huge_input_shape_does_not_allocate_a_dummy_batch(tmp_path):
    """A layer that finds its output shape by running on zeros is held to the budget."""
    path = tmp_path / "m.deepgrad"
    inputs = dg.Input((4,))
    dg.Model(inputs, dg.layers.Dense(2)(_ShapeByRunning()(inputs))).save(path)

    def huge(config):
        for layer in config["model"]["config"]["layers"]:
            if layer["class_name"] == "InputLayer":
                layer["config"]["batch_shape"] = [None, 100_000, 100_000]

    edit_config(path, huge)
    result = _load_bounded(path)
    _assert_clean(result, path, "to find its output shape")


# -- item 5: safetensors shapes ----------------------------------------------------------
def _safetensors(header: dict, data: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


@pytest.mark.parametrize("shape, match", [
    ([2**31, 2**31, 4], "larger than any array"), ([2**32, 2**32], "larger than any array"),
    ([2**64], "larger than any array"), ([2**64, 0], "larger than any array"),
    ([2**16] * 4, "larger than any array"), ([2**20, 3], f"needs {2**20 * 12} bytes"),
])
def test_safetensors_shape_products_do_not_wrap(tmp_path, shape, match):
    """[2**31, 2**31, 4] float32 wrapped to 0 bytes in int64; 2**64 raised OverflowError."""
    path = tmp_path / "w.weights.safetensors"
    path.write_bytes(_safetensors({"x": {"dtype": "F32", "shape": shape,
                                         "data_offsets": [0, 0]}}))
    with pytest.raises(safetensors_io.SafetensorsError, match=match):
        safetensors_io.loads(path.read_bytes(), str(path))
    with pytest.raises(FileFormatError, match=str(path)):
        small_model().load_weights(path)


# -- item 6 (files): deeply nested JSON ----------------------------------------------------
@pytest.mark.parametrize("depth", [101, 10_000, 200_000])
def test_deep_json_fails_cleanly(depth):
    with pytest.raises(FileFormatError, match=f"nested {depth} levels deep"):
        jsonio.loads(b"[" * depth + b"]" * depth, "m.deepgrad", "config.json")
    assert jsonio.loads(b"[" * 100 + b"]" * 100, "m.deepgrad", "config.json") is not None


def test_deep_nesting_in_config_manifest_and_header(saved, tmp_path):
    """Was: RecursionError from each of the three."""
    nested = '{"a":' * 5_000 + "null" + "}" * 5_000
    edit_config(saved, lambda config: config.update(extra="placeholder"))
    files = members(saved)
    files["config.json"] = files["config.json"].replace(b'"placeholder"', nested.encode())
    rezip(saved, with_manifest(files), {"weights.safetensors": zipfile.ZIP_STORED})
    with pytest.raises(FileFormatError, match=r"config.json: is nested 5001 levels deep"):
        dg.models.load_model(saved)
    files["manifest.json"] = b'{"deep": ' + nested.encode() + b"}"
    rezip(saved, files)
    with pytest.raises(FileFormatError, match=r"manifest.json: is nested"):
        dg.models.load_model(saved)
    weights = tmp_path / "deep.weights.safetensors"
    weights.write_bytes(struct.pack("<Q", len(nested)) + nested.encode())
    with pytest.raises(FileFormatError, match="nested"):
        small_model().load_weights(weights)


def test_too_many_values(saved):
    with pytest.raises(FileFormatError, match="values, more than"):
        jsonio.loads(b"[" + b"0," * 5_000_000 + b"0]", "m.deepgrad", "config.json")


# -- item 8: raw exceptions from a damaged zip become ours ---------------------------------
def _patch_central_directory(path, name: str, offset: int, value: bytes) -> None:
    """Overwrite bytes of ``name``'s central-directory entry (offset from its signature)."""
    blob = bytearray(path.read_bytes())
    end = blob.rindex(b"PK\x05\x06")
    at = struct.unpack("<I", blob[end + 16:end + 20])[0]
    while blob[at:at + 4] == b"PK\x01\x02":
        name_length, extra, comment = struct.unpack("<HHH", blob[at + 28:at + 34])
        if blob[at + 46:at + 46 + name_length] == name.encode():
            blob[at + offset:at + offset + len(value)] = value
            path.write_bytes(bytes(blob))
            return
        at += 46 + name_length + extra + comment
    raise AssertionError(f"no {name} in the central directory")


@pytest.mark.parametrize("case, match", [
    ("lzma", "compression method 14"),  # was NotImplementedError / LZMAError
    ("bzip2", "compression method 12"),
    ("encrypted", "is encrypted"),  # was RuntimeError
    ("offset", "damaged"),  # was ValueError('negative seek value')
    ("deflate", "damaged"),  # was zlib.error
])
def test_damaged_zip_structures(saved, case, match):
    if case in ("lzma", "bzip2"):
        method = 14 if case == "lzma" else 12
        _patch_central_directory(saved, "config.json", 10, struct.pack("<H", method))
    elif case == "encrypted":
        _patch_central_directory(saved, "config.json", 8, struct.pack("<H", 1))
    elif case == "offset":
        _patch_central_directory(saved, "config.json", 42, struct.pack("<I", 2**31))
    else:
        blob = bytearray(saved.read_bytes())
        with zipfile.ZipFile(saved) as handle:
            info = handle.getinfo("config.json")
        start = info.header_offset + 30 + len(info.filename)
        blob[start:start + 8] = b"\xff" * 8
        saved.write_bytes(bytes(blob))
    with pytest.raises(FileFormatError, match=match) as raised:
        dg.models.load_model(saved)
    assert str(saved) in str(raised.value)


@pytest.mark.parametrize("change, part", [
    (lambda c: c["model"].update(config=1.5), "model.config must be a dict"),
    (lambda c: c.pop("model"), "has no 'model' entry"),
    (lambda c: c["training_state"].update(random_state="x"), "training_state.random_state"),
    (lambda c: c["training_state"].update(layer_random_states=5), "layer_random_states"),
    (lambda c: c["training_state"].update(random_state={"bit_generator": "PCG64",
                                                        "state": 3}), "training_state"),
    (lambda c: c["training_state"].update(epoch=-1), "training_state.epoch"),
    (lambda c: c["model"]["config"]["layers"][0]["config"].update(units="x"), "config.json"),
    (lambda c: c["model"]["config"]["layers"][0]["config"].update(units=2**70), "config.json"),
    (lambda c: c["model"]["config"]["layers"][0]["config"].update(units=1.5), "config.json"),
    (lambda c: c["model"]["config"]["layers"][0].update(class_name=7), "class_name"),
    (lambda c: c["model"]["config"].update(layers={"a": 1}), "layers must be a list"),
    (lambda c: c["compile_config"].update(optimizer=3), "compile_config.optimizer"),
    (lambda c: c["compile_config"]["optimizer"]["config"].update(learning_rate="x"),
     "compile_config"),
    (lambda c: c["compile_config"].update(loss={"class_name": 5}), "compile_config"),
    (lambda c: c.update(format_version="1"), "format_version"),
])
def test_wrong_types_in_config(saved, change, part):
    """Was: TypeError, AttributeError, KeyError from deep inside."""
    edit_config(saved, change)
    with pytest.raises(FileFormatError, match=part) as raised:
        dg.models.load_model(saved)
    assert str(saved) in str(raised.value)


@pytest.mark.parametrize("metadata", [{"labels": "{not json"}, {"labels": "[1, 2"}])
def test_labels_that_are_not_json(tmp_path, metadata):
    """Was: JSONDecodeError / TypeError."""
    path = tmp_path / "w.weights.safetensors"
    model = small_model()
    from deepgrad.saving.weights_io import collect

    path.write_bytes(safetensors_io.dumps(collect(model)[0], metadata=metadata))
    with pytest.raises(FileFormatError, match="labels"):
        small_model().load_weights(path)


def test_optimizer_metadata_that_is_not_json(saved):
    files = members(saved)
    state, metadata = safetensors_io.loads(files["optimizer.safetensors"])
    files["optimizer.safetensors"] = safetensors_io.dumps(state, {"variables": "[oops"})
    rezip(saved, with_manifest(files), {"weights.safetensors": zipfile.ZIP_STORED,
                                        "optimizer.safetensors": zipfile.ZIP_STORED})
    with pytest.raises(FileFormatError, match="optimizer.safetensors"):
        dg.models.load_model(saved)
    files["optimizer.safetensors"] = safetensors_io.dumps(
        {**state, "momentum/0": np.zeros((10**4,), np.float32)}, {"variables": metadata[
            "variables"]})
    rezip(saved, with_manifest(files), {"weights.safetensors": zipfile.ZIP_STORED,
                                        "optimizer.safetensors": zipfile.ZIP_STORED})
    with pytest.raises(FileFormatError, match="optimizer state does not fit"):
        dg.models.load_model(saved)


def test_an_intact_file_still_loads_exactly(saved):
    model = dg.models.load_model(saved)
    x = np.ones((2, 4), "float32")
    reference = dg.models.load_model(saved)
    np.testing.assert_array_equal(model.predict(x, verbose=0), reference.predict(x, verbose=0))
    assert model.optimizer.iterations == 1
