"""Keras 3 ``.weights.h5`` files: read by layer path (``layers/<class>/vars/<i>``)."""

import io
import zipfile

import numpy as np
import pytest

import deepgrad as dg

h5py = pytest.importorskip("h5py", reason="h5py writes the Keras-made files; pip install '.[test]'")


def _keras_like_file(path, kernel_shape=(4, 8)):
    """Write the layout Keras 3's H5IOStore produces for a compiled functional model:
    Input -> Dense(8, relu) -> Dense(3), layers named by class, plus optimizer and
    metric state that a weights loader must ignore."""
    rng = np.random.default_rng(0)
    weights = {
        "layers/dense/vars/0": rng.normal(size=kernel_shape).astype("float32"),
        "layers/dense/vars/1": rng.normal(size=(8,)).astype("float32"),
        "layers/dense_1/vars/0": rng.normal(size=(8, 3)).astype("float32"),
        "layers/dense_1/vars/1": rng.normal(size=(3,)).astype("float32"),
    }
    with h5py.File(path, "w") as handle:
        handle.create_group("vars")
        handle.create_group("layers/input_layer/vars")
        for key, value in weights.items():
            handle.create_dataset(key, data=value)
        handle.create_dataset("optimizer/vars/0", data=np.array(10, dtype="int64"))
        handle.create_dataset("optimizer/vars/1", data=np.zeros((4, 8), "float32"))
        handle.create_group("_compile_metrics/vars")
    return weights


def _functional(names=("hidden", "logits")):
    inputs = dg.Input(shape=(4,))
    hidden = dg.layers.Dense(8, activation="relu", name=names[0])(inputs)
    return dg.Model(inputs, dg.layers.Dense(3, name=names[1])(hidden))


def test_reads_keras_layout_by_class_order(tmp_path):
    path = tmp_path / "keras.weights.h5"
    weights = _keras_like_file(path)
    model = _functional()  # layer names differ from the file's paths: the order decides
    model.load_weights(path)
    expected = [weights[k] for k in ("layers/dense/vars/0", "layers/dense/vars/1",
                                     "layers/dense_1/vars/0", "layers/dense_1/vars/1")]
    for got, want in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_sequential_reads_the_same_file(tmp_path):
    path = tmp_path / "keras.weights.h5"
    weights = _keras_like_file(path)
    model = dg.Sequential([dg.layers.Dense(8, input_shape=(4,)), dg.layers.Dense(3)])
    model.load_weights(path)
    np.testing.assert_array_equal(model.layers[1].bias.numpy(), weights["layers/dense_1/vars/1"])


def test_mismatch_names_layer_and_shapes(tmp_path):
    path = tmp_path / "keras.weights.h5"
    _keras_like_file(path, kernel_shape=(5, 8))
    model = _functional()
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"layer 'hidden' \(Dense, at 'layers/dense'\): weight "
                                         r"'hidden/kernel' has shape \(4, 8\) in the model but "
                                         r"\(5, 8\) in the file"):
        model.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_missing_layer_is_named(tmp_path):
    path = tmp_path / "keras.weights.h5"
    _keras_like_file(path)
    inputs = dg.Input(shape=(4,))
    x = dg.layers.Dense(8, name="a")(inputs)
    x = dg.layers.Dense(3, name="b")(x)
    model = dg.Model(inputs, dg.layers.Dense(2, name="extra")(x))
    with pytest.raises(ValueError, match=r"layer 'extra' .*'layers/dense_2'.*no weights"):
        model.load_weights(path)


def test_round_trip_and_layout_of_our_h5(tmp_path):
    inner = dg.Sequential([dg.layers.Dense(2, input_shape=(3,))], name="inner")
    inputs = dg.Input(shape=(3,))
    model = dg.Model(inputs, dg.layers.Dense(1)(inner(inputs)))
    path = tmp_path / "ours.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as handle:
        datasets = []

        def visit(name, item):
            if isinstance(item, h5py.Dataset):
                datasets.append(name)

        handle.visititems(visit)
        assert "vars" in handle and "layers/input_layer/vars" in handle
    assert sorted(datasets) == ["layers/dense/vars/0", "layers/dense/vars/1",
                                "layers/sequential/layers/dense/vars/0",
                                "layers/sequential/layers/dense/vars/1"]
    dg.layers.clear_session()  # a second, independently built instance
    inner2 = dg.Sequential([dg.layers.Dense(2, input_shape=(3,))], name="inner")
    inputs2 = dg.Input(shape=(3,))
    copy = dg.Model(inputs2, dg.layers.Dense(1)(inner2(inputs2)))
    copy.load_weights(path)
    for a, b in zip(model.get_weights(), copy.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_float64_model_casts_keras_float32(tmp_path):
    path = tmp_path / "keras.weights.h5"
    weights = _keras_like_file(path)
    model = dg.Sequential([dg.layers.Dense(8, input_shape=(4,), dtype="float64"),
                           dg.layers.Dense(3, dtype="float64")])
    model.load_weights(path)
    assert model.layers[0].kernel.numpy().dtype == np.float64
    np.testing.assert_allclose(model.layers[0].kernel.numpy(), weights["layers/dense/vars/0"])


def test_keras_zip_weights(tmp_path):
    buffer = io.BytesIO()
    weights = _keras_like_file(buffer)
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as handle:
        handle.writestr("metadata.json", b'{"keras_version": "3.6.0"}')
        handle.writestr("config.json", b"{}")
        handle.writestr("model.weights.h5", buffer.getvalue())
    model = _functional()
    model.load_weights(path)
    loaded = model.get_weights()
    assert len(loaded) == len(weights)
    for got, want in zip(loaded, weights.values(), strict=True):  # written in the model's order
        np.testing.assert_array_equal(got, want)


def test_legacy_keras2_file(tmp_path):
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as handle:
        handle.attrs["layer_names"] = [b"dense"]
    with pytest.raises(ValueError, match="legacy Keras 2"):
        _functional().load_weights(path)


def test_damaged_h5(tmp_path):
    path = tmp_path / "keras.weights.h5"
    _keras_like_file(path)
    path.write_bytes(path.read_bytes()[:600])
    with pytest.raises(ValueError, match="not a readable HDF5 file"):
        _functional().load_weights(path)
