"""Layer.save_own_variables / load_own_variables: Keras 3's hooks for a layer's saved state.

keras.io's guide "Customizing saving and serialization" overrides them to save state kept
outside the layer's variables; before, deepgrad never called them and that state was
silently not saved.
"""

import numpy as np
import pytest

import deepgrad as dg


class Table(dg.layers.Layer):
    """A layer whose state is a plain NumPy array, saved only through the hooks."""

    def __init__(self, size=3, **kwargs):
        super().__init__(**kwargs)
        self.size = size
        self.table = np.zeros(size, np.float32)
        self.loaded = 0

    def call(self, inputs):
        return inputs + self.table

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["table"] = self.table

    def load_own_variables(self, store):
        self.table = np.array(store["table"])
        self.loaded += 1

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class LayerWithCustomVariable(dg.layers.Dense):
    """The guide's layer: a variable of its own, saved and loaded by hand."""

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.my_variable = dg.Variable(np.arange(units, dtype="float32"), name="my_variable")

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["variables"] = self.my_variable.numpy()

    def load_own_variables(self, store):
        self.my_variable.assign(store["variables"])
        for i, v in enumerate(self.weights):
            v.assign(store[f"{i}"])

    def call(self, inputs):
        return super().call(inputs) + self.my_variable


def _model(layer):
    return dg.Sequential([dg.Input((3,)), dg.layers.Dense(3, name="first"), layer])


def test_state_outside_variables_survives_save_and_load_model(tmp_path):
    model = _model(Table(name="table"))
    model.layers[-1].table = np.array([1.0, 2.0, 3.0], np.float32)
    x = np.ones((2, 3), np.float32)
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = dg.models.load_model(tmp_path / "m.keras", custom_objects={"Table": Table})
    assert loaded.layers[-1].loaded == 1
    np.testing.assert_array_equal(loaded.layers[-1].table, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)


@pytest.mark.parametrize("suffix", [".weights.safetensors", ".weights.h5"])
def test_state_outside_variables_survives_save_and_load_weights(tmp_path, suffix):
    if suffix.endswith(".h5"):
        pytest.importorskip("h5py", reason="Keras's .weights.h5 needs h5py (the h5 extra)")
    model = _model(Table(name="table"))
    model.layers[-1].table = np.array([4.0, 5.0, 6.0], np.float32)
    model.save_weights(tmp_path / f"w{suffix}")
    other = _model(Table(name="table"))
    other.load_weights(tmp_path / f"w{suffix}")
    np.testing.assert_array_equal(other.layers[-1].table, [4.0, 5.0, 6.0])
    for a, b in zip(model.get_weights(), other.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_guides_layer_writes_keras_keys_and_loads_back(tmp_path):
    h5py = pytest.importorskip("h5py", reason="Keras's .weights.h5 needs h5py (the h5 extra)")
    model = dg.Sequential([dg.Input((4,)), LayerWithCustomVariable(3, name="custom")])
    model.layers[0].my_variable.assign([7.0, 8.0, 9.0])
    x = np.ones((2, 4), np.float32)
    expected = model.predict(x, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as handle:
        # Keras 3 writes the same layout for the guide's layer: its three variables by
        # index (the adopted my_variable first), then the key the layer chose.
        keys = sorted(handle["layers/layer_with_custom_variable/vars"])
    assert keys == ["0", "1", "2", "variables"]
    other = dg.Sequential([dg.Input((4,)), LayerWithCustomVariable(3, name="custom")])
    other.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(other.layers[0].my_variable.numpy(), [7.0, 8.0, 9.0])
    np.testing.assert_allclose(other.predict(x, verbose=0), expected)


def test_the_default_hooks_store_the_layer_s_own_weights_by_index():
    layer = dg.layers.Dense(2)
    layer.build((None, 3))
    store = {}
    layer.save_own_variables(store)
    assert sorted(store) == ["0", "1"]
    assert store["0"] is layer.kernel
    layer.load_own_variables({"0": np.ones((3, 2)), "1": np.full(2, 5.0)})
    np.testing.assert_array_equal(layer.bias.numpy(), [5.0, 5.0])
    with pytest.raises(ValueError, match=r"Dense 'dense.*': expected 2 weights .* Received 1"):
        layer.load_own_variables({"0": np.ones((3, 2))})


def test_a_layer_with_save_assets_is_refused_by_name(tmp_path):
    class WithAssets(dg.layers.Layer):
        def call(self, inputs):
            return inputs

        def save_assets(self, dir_path):
            (dir_path / "vocab.txt").write_text("a\nb")

    model = dg.Sequential([dg.Input((2,)), WithAssets(name="assets_layer")])
    with pytest.raises(NotImplementedError, match="'assets_layer' defines save_assets"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


@pytest.mark.parametrize("key, value, message", [
    ("a/b", np.ones(2), "string keys without '/'"),
    (3, np.ones(2), "string keys without '/'"),
    ("words", np.array(["a", "b"]), "numbers"),
])
def test_store_entries_deepgrad_cannot_save_are_refused(tmp_path, key, value, message):
    class Bad(dg.layers.Layer):
        def call(self, inputs):
            return inputs

        def save_own_variables(self, store):
            store[key] = value

    model = dg.Sequential([dg.Input((2,)), Bad(name="bad")])
    with pytest.raises(ValueError, match=f"Bad 'bad': save_own_variables .*{message}"):
        model.save_weights(tmp_path / "w.weights.safetensors")
