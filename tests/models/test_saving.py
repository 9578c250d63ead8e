"""Model files: round trips for Sequential, functional and subclassed models, compile
settings, custom objects, atomic writes, and clear errors for bad files."""

import json
import os
import zipfile

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.formats import archive


def _sequential(compiled=True):
    model = dg.Sequential([
        dg.layers.Dense(8, activation="relu", input_shape=(4,)),
        dg.layers.Dropout(0.25),
        dg.layers.Dense(3, activation="softmax", kernel_regularizer="l2"),
    ])
    if compiled:
        model.compile(optimizer=dg.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def _data(n=32):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)).astype("float32"), rng.integers(0, 3, n)


def _same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(
        u.shape == v.shape and u.dtype == v.dtype and np.array_equal(u, v) for u, v in zip(wa, wb)
    )


@pytest.mark.parametrize("suffix", [".deepgrad", ".keras"])
def test_sequential_round_trip(tmp_path, suffix):
    model = _sequential()
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / f"m{suffix}"
    model.save(path)
    loaded = dg.models.load_model(path)
    assert type(loaded) is dg.Sequential
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert _same_weights(model, loaded)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.compiled and type(loaded.optimizer) is dg.optimizers.Adam
    assert loaded.optimizer.learning_rate == pytest.approx(0.01)
    assert loaded.optimizer.iterations == model.optimizer.iterations
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    assert loaded.layers[2].kernel_regularizer is not None


def test_file_layout_and_versions(tmp_path):
    model = _sequential()
    model.fit(*_data(), epochs=1, verbose=0)
    path = tmp_path / "m.deepgrad"
    model.save(path)
    with zipfile.ZipFile(path) as handle:
        names = handle.namelist()
        config = json.loads(handle.read("config.json"))
        manifest = json.loads(handle.read("manifest.json"))
    assert names == ["config.json", "weights.safetensors", "optimizer.safetensors",
                     "manifest.json"]
    assert config["format"] == "deepgrad.model" and config["format_version"] == 1
    assert config["deepgrad_version"] == dg.__version__
    assert config["numpy_version"] == np.__version__
    assert config["compile_config"]["loss"] == "sparse_categorical_crossentropy"
    assert config["compile_config"]["metrics"] == ["accuracy"]
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert config["training_state"]["epoch"] == 1
    assert sorted(manifest["files"]) == ["config.json", "optimizer.safetensors",
                                         "weights.safetensors"]


def test_saving_is_deterministic(tmp_path):
    model = _sequential(compiled=False)
    model.save(tmp_path / "a.deepgrad")
    model.save(tmp_path / "b.deepgrad")
    assert (tmp_path / "a.deepgrad").read_bytes() == (tmp_path / "b.deepgrad").read_bytes()


def test_functional_multi_input_shared_layer(tmp_path):
    a = dg.Input(shape=(3,), name="a")
    b = dg.Input(shape=(3,), name="b")
    shared = dg.layers.Dense(4, activation="tanh", name="shared")
    merged = dg.layers.Concatenate(name="cat")([shared(a), shared(b)])
    out1 = dg.layers.Dense(2, name="head1")(merged)
    out2 = dg.layers.Dense(1, activation="sigmoid", name="head2")(dg.layers.Add()(
        [shared(a), shared(b)]))
    model = dg.Model([a, b], [out1, out2], name="twin")
    model.compile(optimizer="sgd", loss=["mse", "binary_crossentropy"], loss_weights=[1.0, 0.5],
                  metrics=[["mae"], ["accuracy"]])
    xa, xb = np.ones((2, 3), "float32"), np.arange(6, dtype="float32").reshape(2, 3)
    path = tmp_path / "twin.deepgrad"
    model.save(path)
    loaded = dg.models.load_model(path)
    assert loaded.name == "twin" and loaded.output_names == ["head1", "head2"]
    for got, want in zip(loaded.predict([xa, xb]), model.predict([xa, xb]), strict=True):
        np.testing.assert_array_equal(got, want)
    assert loaded.compiled_loss.weights == [1.0, 0.5]


def test_functional_dict_inputs_and_nested_model(tmp_path):
    inner = dg.Sequential([dg.layers.Dense(3, input_shape=(2,), name="inner_dense")],
                          name="inner")
    x = dg.Input(shape=(2,), name="x")
    model = dg.Model({"x": x}, dg.layers.Dense(1, name="out")(inner(x)))
    path = tmp_path / "nested.deepgrad"
    model.save(path)
    loaded = dg.models.load_model(path, compile=False)
    data = {"x": np.ones((2, 2), "float32")}
    np.testing.assert_array_equal(loaded.predict(data), model.predict(data))
    assert isinstance(loaded.get_layer("inner"), dg.Sequential)


@dg.saving.register_keras_serializable(package="Tests")
class Scale(dg.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, inputs):
        return inputs * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Unregistered(Scale):
    pass


def test_registered_custom_layer(tmp_path):
    model = dg.Sequential([dg.layers.Dense(2, input_shape=(3,)), Scale(3.0, name="scale")])
    model.layers[1].w.assign(np.array([1.0, -2.0], "float32"))
    model.save(tmp_path / "c.deepgrad")
    loaded = dg.models.load_model(tmp_path / "c.deepgrad")
    assert type(loaded.layers[1]) is Scale and loaded.layers[1].factor == 3.0
    assert _same_weights(model, loaded)
    assert dg.utils.register_keras_serializable is dg.saving.register_keras_serializable


def test_custom_objects_and_scope(tmp_path):
    model = dg.Sequential([Unregistered(name="u", input_shape=(2,))])
    path = tmp_path / "u.deepgrad"
    model.save(path)
    with pytest.raises(ValueError, match=r"unknown layer class 'Unregistered'.*custom_objects"):
        dg.models.load_model(path)
    assert type(dg.models.load_model(path, custom_objects={"Unregistered": Unregistered})
                .layers[0]) is Unregistered
    with dg.utils.custom_object_scope({"Unregistered": Unregistered}):
        assert type(dg.models.load_model(path).layers[0]) is Unregistered


@dg.saving.register_keras_serializable(package="Tests")
def scaled_mse(y_true, y_pred):
    return dg.losses.mean_squared_error(y_true, y_pred) * 2.0


def test_custom_loss_function(tmp_path):
    model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss=scaled_mse, metrics=[dg.metrics.MeanAbsoluteError()])
    path = tmp_path / "loss.deepgrad"
    model.save(path)
    loaded = dg.models.load_model(path)
    x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))


def test_unresolvable_loss_names_fix(tmp_path):
    def my_loss(y_true, y_pred):
        return dg.losses.mean_squared_error(y_true, y_pred)

    model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss=my_loss)
    path = tmp_path / "l.deepgrad"
    model.save(path)
    with pytest.raises(ValueError, match="the loss.*unknown function 'my_loss'.*compile=False"):
        dg.models.load_model(path)
    assert not dg.models.load_model(path, compile=False).compiled
    assert dg.models.load_model(path, custom_objects={"my_loss": my_loss}).compiled


class Subclassed(dg.Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = dg.layers.Dense(units, activation="relu")
        self.out = dg.layers.Dense(2)

    def call(self, inputs, training=None):
        return self.out(self.hidden(inputs))

    def get_config(self):
        return {"name": self.name, "units": self.units}


def test_subclassed_model(tmp_path):
    model = Subclassed(units=5)
    x = np.ones((3, 6), "float32")
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.zeros((3, 2), "float32"), epochs=1, verbose=0)
    path = tmp_path / "sub.deepgrad"
    model.save(path)
    loaded = dg.models.load_model(path, custom_objects={"Subclassed": Subclassed})
    assert loaded.units == 5
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.optimizer.iterations == 1


def test_lambda_layer_cannot_be_saved(tmp_path):
    model = dg.Sequential([dg.layers.Lambda(lambda t: t * 2, input_shape=(2,))])
    with pytest.raises(ValueError, match="Lambda.*register_keras_serializable"):
        model.save(tmp_path / "lam.deepgrad")
    assert not os.listdir(tmp_path)


def test_suffix_and_overwrite(tmp_path):
    model = _sequential(compiled=False)
    with pytest.raises(ValueError, match=r"\.deepgrad or \.keras.*save_weights"):
        model.save(tmp_path / "m.h5")
    model.save(tmp_path / "m.deepgrad")
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(tmp_path / "m.deepgrad", overwrite=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        model.save(tmp_path / "missing_dir" / "m.deepgrad")


def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    model = _sequential(compiled=False)
    path = tmp_path / "m.deepgrad"
    model.save(path)
    before = path.read_bytes()
    model.layers[0].kernel.assign(np.zeros((4, 8), "float32"))

    def explode(members):
        raise OSError("disk full")

    monkeypatch.setattr(archive, "write_archive", explode)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.deepgrad"]


def test_failed_replace_leaves_no_temp(tmp_path, monkeypatch):
    model = _sequential(compiled=False)
    path = tmp_path / "m.deepgrad"
    path.write_bytes(b"old")

    def refuse(src, dst):
        raise PermissionError("read-only")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError):
        model.save(path)
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["m.deepgrad"]


def test_builtin_function_loss_and_class_identifiers(tmp_path):
    model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="rmsprop", loss=dg.losses.mean_absolute_error,
                  metrics=[dg.metrics.MeanSquaredError, "mae"])
    model.save(tmp_path / "f.deepgrad")
    loaded = dg.models.load_model(tmp_path / "f.deepgrad")
    x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))


def test_subclassed_weight_paths_follow_keras():
    from deepgrad.saving.weight_paths import weight_entries

    model = Subclassed()
    model(np.ones((1, 3), "float32"))
    # Keras visits attributes alphabetically and the `layers` list among them: `hidden`
    # comes before `layers`, `out` is first reached through `layers` (second Dense).
    assert [e.key for e in weight_entries(model)] == [
        "hidden/vars/0", "hidden/vars/1", "layers/dense_1/vars/0", "layers/dense_1/vars/1"]
