"""Bad files fail with clear errors, and nothing is half-loaded."""

import hashlib
import json
import zipfile

import numpy as np
import pytest

import deepgrad as dg


def _model(units=3, name=None):
    return dg.Sequential([dg.layers.Dense(5, input_shape=(4,)), dg.layers.Dense(units)],
                         name=name)


@pytest.fixture
def saved(tmp_path):
    model = _model()
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 4), "float32"), np.ones((4, 3), "float32"), epochs=1, verbose=0)
    path = tmp_path / "m.deepgrad"
    model.save(path)
    return path


def _members(path):
    with zipfile.ZipFile(path) as handle:
        return {name: handle.read(name) for name in handle.namelist()}


def _rezip(path, members):
    with zipfile.ZipFile(path, "w") as handle:
        for name, data in members.items():
            handle.writestr(name, data)


def _with_manifest(members):
    manifest = json.loads(members["manifest.json"])
    for name, data in members.items():
        if name != "manifest.json":
            manifest["files"][name] = {"size": len(data),
                                       "sha256": hashlib.sha256(data).hexdigest()}
    return {**members, "manifest.json": json.dumps(manifest).encode()}


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at"):
        dg.models.load_model(tmp_path / "nope.deepgrad")
    with pytest.raises(FileNotFoundError, match="load_weights: no file at"):
        _model().load_weights(tmp_path / "nope.weights.safetensors")
    with pytest.raises(IsADirectoryError):
        dg.models.load_model(tmp_path)


def test_text_file(tmp_path):
    path = tmp_path / "notes.deepgrad"
    path.write_text("hello, I am not a model\n")
    with pytest.raises(ValueError, match="not a zip archive"):
        dg.models.load_model(path)
    with pytest.raises(ValueError, match="not a weights file deepgrad reads"):
        _model().load_weights(path)


def test_truncated_file(saved):
    blob = saved.read_bytes()
    for cut in (len(blob) // 2, len(blob) - 10, 30):
        saved.write_bytes(blob[:cut])
        with pytest.raises(ValueError, match="damaged or truncated"):
            dg.models.load_model(saved)


def test_flipped_byte_is_detected(saved):
    blob = bytearray(saved.read_bytes())
    start = blob.index(b"weights.safetensors") + 200  # inside the stored tensor bytes
    blob[start] ^= 0xFF
    saved.write_bytes(bytes(blob))
    with pytest.raises(ValueError, match="damaged"):
        dg.models.load_model(saved)


def test_altered_member_fails_sha256(saved):
    members = _members(saved)
    config = json.loads(members["config.json"])
    config["model"]["config"]["layers"][1]["config"]["units"] = 4
    members["config.json"] = json.dumps(config).encode()
    _rezip(saved, members)
    with pytest.raises(ValueError, match="config.json: the zip declares .* bytes but the "
                                         "manifest"):
        dg.models.load_model(saved)


def test_consistent_but_wrong_weights_name_the_layer(saved):
    members = _members(saved)
    config = json.loads(members["config.json"])
    config["model"]["config"]["layers"][1]["config"]["units"] = 4
    members["config.json"] = json.dumps(config).encode()
    _rezip(saved, _with_manifest(members))
    with pytest.raises(ValueError, match=r"layer 'dense_1'.*shape \(5, 4\) in the model but "
                                         r"\(5, 3\) in the file"):
        dg.models.load_model(saved)


def test_foreign_zip(tmp_path):
    path = tmp_path / "photos.deepgrad"
    with zipfile.ZipFile(path, "w") as handle:
        handle.writestr("cat.jpg", b"\xff\xd8")
    with pytest.raises(ValueError, match="no manifest.json.*cat.jpg"):
        dg.models.load_model(path)


def test_keras_file_is_recognised(tmp_path):
    path = tmp_path / "k.keras"
    with zipfile.ZipFile(path, "w") as handle:
        handle.writestr("metadata.json", b"{}")
        handle.writestr("config.json", b"{}")
        handle.writestr("model.weights.h5", b"")
    with pytest.raises(ValueError, match="Keras 3 .keras file.*load_weights"):
        dg.models.load_model(path)


def test_extra_or_missing_member(saved):
    members = _members(saved)
    _rezip(saved, {**members, "evil.py": b"print('hi')"})
    with pytest.raises(ValueError, match=r"not listed: \['evil.py'\]"):
        dg.models.load_model(saved)
    _rezip(saved, {k: v for k, v in members.items() if k != "optimizer.safetensors"})
    with pytest.raises(ValueError, match=r"missing: \['optimizer.safetensors'\]"):
        dg.models.load_model(saved)


def test_newer_format_version(saved):
    members = _members(saved)
    manifest = json.loads(members["manifest.json"])
    manifest["format_version"] = 2
    manifest["deepgrad_version"] = "9.0.0"
    members["manifest.json"] = json.dumps(manifest).encode()
    _rezip(saved, members)
    with pytest.raises(ValueError, match=r"format version 2 \(by deepgrad 9.0.0\).*up to 1.*"
                                         "upgrade deepgrad"):
        dg.models.load_model(saved)


def test_newer_version_in_config(saved):
    members = _members(saved)
    config = json.loads(members["config.json"])
    config["format_version"] = 7
    members["config.json"] = json.dumps(config).encode()
    _rezip(saved, _with_manifest(members))
    with pytest.raises(ValueError, match="format version 7"):
        dg.models.load_model(saved)


def test_corrupt_safetensors_member(saved):
    members = _members(saved)
    members["weights.safetensors"] = members["weights.safetensors"][:-4]
    _rezip(saved, _with_manifest(members))
    with pytest.raises(ValueError, match="weights.safetensors.*truncated or altered"):
        dg.models.load_model(saved)


def test_load_weights_into_other_architecture_changes_nothing(tmp_path):
    source = _model(units=3)
    path = tmp_path / "w.weights.safetensors"
    source.save_weights(path)
    target = _model(units=2)
    before = target.get_weights()
    with pytest.raises(ValueError) as info:
        target.load_weights(path)
    message = str(info.value)
    assert "layer 'dense_3'" in message and "weight 'dense_3/kernel'" in message
    assert "shape (5, 2) in the model but (5, 3) in the file" in message
    assert "Nothing was loaded" in message
    assert all(np.array_equal(a, b) for a, b in zip(before, target.get_weights(), strict=True))


def test_load_weights_missing_and_extra_layers(tmp_path):
    big = dg.Sequential([dg.layers.Dense(2, input_shape=(2,)), dg.layers.Dense(2),
                         dg.layers.Dense(2)])
    small = dg.Sequential([dg.layers.Dense(2, input_shape=(2,)), dg.layers.Dense(2)])
    big.save_weights(tmp_path / "big.weights.safetensors")
    small.save_weights(tmp_path / "small.weights.safetensors")
    with pytest.raises(ValueError, match=r"2 weights that model .* lacks: "
                                         r"'layers/dense_2/vars/0' \(dense_2/kernel\)"):
        small.load_weights(tmp_path / "big.weights.safetensors")
    with pytest.raises(ValueError, match=r"layer 'dense_2'.*the file has no weights for "
                                         r"this layer \(expected 'dense_2/kernel' \(2, 2\)"):
        big.load_weights(tmp_path / "small.weights.safetensors")


def test_skip_mismatch_loads_the_rest(tmp_path):
    source, target = _model(units=3), _model(units=2)
    source.save_weights(tmp_path / "w.weights.safetensors")
    with pytest.warns(UserWarning, match="skipped"):
        target.load_weights(tmp_path / "w.weights.safetensors", skip_mismatch=True)
    np.testing.assert_array_equal(target.layers[0].kernel.numpy(),
                                  source.layers[0].kernel.numpy())


def test_dtype_mismatch(tmp_path):
    source = dg.Sequential([dg.layers.Dense(2, input_shape=(2,), dtype="float64")])
    source.save_weights(tmp_path / "w.weights.safetensors")
    target = dg.Sequential([dg.layers.Dense(2, input_shape=(2,))])
    with pytest.raises(ValueError, match="dtype float32 in the model but float64 in the file"):
        target.load_weights(tmp_path / "w.weights.safetensors")


def test_unbuilt_model(tmp_path):
    with pytest.raises(ValueError, match="not built.*input_shape"):
        dg.Sequential([dg.layers.Dense(2)]).save_weights(tmp_path / "w.weights.safetensors")
    _model().save_weights(tmp_path / "w.weights.safetensors")
    with pytest.raises(ValueError, match="not built"):
        dg.Sequential([dg.layers.Dense(2)]).load_weights(tmp_path / "w.weights.safetensors")


def test_weights_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.weights\.safetensors or \.weights\.h5"):
        _model().save_weights(tmp_path / "w.npz")


def test_load_weights_from_model_file(saved):
    fresh = _model()
    fresh.load_weights(saved)
    assert all(np.array_equal(a, b) for a, b in
               zip(fresh.get_weights(), dg.models.load_model(saved).get_weights()))
