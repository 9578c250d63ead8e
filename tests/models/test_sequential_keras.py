"""Sequential as Keras 3 has it: one layer object used twice, from_config, a layer built by hand."""

import numpy as np
import pytest

import deepgrad as dg

L = dg.layers


def test_one_max_pool_object_used_twice_as_the_course_does():
    pool = L.MaxPool2D(pool_size=(2, 2))
    model = dg.Sequential([
        L.Conv2D(4, 3, padding="same", activation="relu", input_shape=(12, 12, 1)),
        pool,
        L.Conv2D(8, 3, padding="same", activation="relu"),
        pool,
        L.Flatten(),
        L.Dense(3, activation="softmax"),
    ])
    assert model.output_shape == (None, 3)
    assert [layer.name for layer in model.layers].count(pool.name) == 2  # Keras lists it twice
    x = np.random.default_rng(0).random((6, 12, 12, 1), dtype="float32")
    pooled = pool(L.Conv2D(1, 1, use_bias=False, kernel_initializer="ones")(x))
    assert pooled.shape == (6, 6, 6, 1)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, np.arange(6) % 3, epochs=1, verbose=0)
    assert model.predict(x, verbose=0).shape == (6, 3)


def test_a_dense_layer_used_twice_shares_its_weights():
    dense = L.Dense(4, kernel_initializer="ones", bias_initializer="zeros")
    model = dg.Sequential([dg.Input(shape=(4,)), dense, L.Activation("relu"), dense])
    assert len(model.weights) == 2 and model.count_params() == 20  # Keras: 2 weights, 20
    x = np.ones((1, 4), "float32")
    np.testing.assert_allclose(model(x).numpy(), np.full((1, 4), 16.0))
    # Both uses feed the one kernel's gradient, 4 from each: h = x W = 4, sum(h W) -> 4 + 4.
    with dg.GradientTape() as tape:
        loss = model(x).sum()
    (kernel_grad, _) = tape.gradient(loss, model.trainable_weights)
    np.testing.assert_allclose(kernel_grad, np.full((4, 4), 8.0))


def test_a_shared_layer_survives_from_config_and_saving(tmp_path):
    dense = L.Dense(3, kernel_regularizer="l2")
    model = dg.Sequential([dg.Input(shape=(3,)), dense, L.Activation("tanh"), dense])
    assert len(model.losses) == 1  # the shared kernel's penalty, counted once
    copy = dg.Sequential.from_config(model.get_config())
    assert len(copy.weights) == 2 and copy.layers[0] is copy.layers[2]
    model.save(tmp_path / "shared.keras")
    loaded = dg.models.load_model(tmp_path / "shared.keras")
    x = np.random.default_rng(1).random((2, 3), dtype="float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_two_different_layers_with_one_name_are_still_refused():
    model = dg.Sequential([L.Dense(2, name="d", input_shape=(2,))])
    with pytest.raises(ValueError, match="a different layer named 'd' is already in the model"):
        model.add(L.Dense(2, name="d"))


def test_pop_keeps_the_name_of_a_layer_still_in_the_model():
    dense = L.Dense(2)
    model = dg.Sequential([dg.Input(shape=(2,)), dense, dense])
    assert model.pop() is dense
    model.add(dense)
    assert len(model.layers) == 2
    with pytest.raises(ValueError, match="a different layer"):
        model.add(L.Dense(2, name=dense.name))


def test_from_config_makes_a_new_model_with_the_same_architecture():
    model = dg.Sequential([L.Dense(4, activation="relu", input_shape=(3,)), L.Dropout(0.2),
                           L.Dense(2, activation="softmax")], name="clf")
    copy = dg.Sequential.from_config(model.get_config())
    assert copy.name == "clf" and copy.output_shape == (None, 2)
    assert [type(layer) for layer in copy.layers] == [type(layer) for layer in model.layers]
    assert [w.shape for w in copy.weights] == [w.shape for w in model.weights]
    assert copy.layers[0].activation is model.layers[0].activation
    assert all(a is not b for a, b in zip(copy.weights, model.weights, strict=True))


def test_from_config_keeps_an_integer_input_and_unbuilt_models():
    model = dg.Sequential([dg.Input(shape=(5,), dtype="int32"), L.Embedding(10, 2)])
    copy = dg.Sequential.from_config(model.get_config())
    assert copy.input.dtype == "int32" and copy.output_shape == (None, 5, 2)
    unbuilt = dg.Sequential([L.Dense(2)])
    assert not dg.Sequential.from_config(unbuilt.get_config()).built


def test_from_config_finds_custom_layers_in_custom_objects():
    class Twice(L.Layer):
        def call(self, inputs):
            return inputs * 2

    model = dg.Sequential([dg.Input(shape=(2,)), Twice()])
    with pytest.raises(ValueError, match="unknown layer class 'Twice'"):
        dg.Sequential.from_config(model.get_config())
    copy = dg.Sequential.from_config(model.get_config(), custom_objects={"Twice": Twice})
    np.testing.assert_array_equal(copy(np.ones((1, 2))).numpy(), [[2.0, 2.0]])


def test_input_name_survives_config_and_file(tmp_path):
    """Keras keeps a Sequential's dg.Input name through get_config and model files."""
    model = dg.Sequential([dg.layers.Input((4,), name="features"), dg.layers.Dense(2)])
    assert dg.Sequential.from_config(model.get_config()).inputs[0].name == "features"
    model.save(tmp_path / "m.keras")
    assert dg.saving.load_model(tmp_path / "m.keras").inputs[0].name == "features"
    unnamed = dg.Sequential([dg.layers.Dense(2, input_shape=(3,))])
    assert "input_name" not in unnamed.get_config()
    assert "input_name" not in dg.Sequential.from_config(unnamed.get_config()).get_config()
