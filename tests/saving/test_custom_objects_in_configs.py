"""Registered or custom activations, initializers and regularizers inside layer configs
survive a save/load round trip, as in Keras."""

import numpy as np
import pytest

import deepgrad as dg


@dg.utils.register_keras_serializable(package="Test")
def doubled_relu(x):
    return dg.ops.relu(x) * 2


@dg.utils.register_keras_serializable(package="Test")
class Halves(dg.initializers.Initializer):
    def __call__(self, shape, dtype=None):
        return np.full(shape, 0.5, dtype or "float32")


@dg.utils.register_keras_serializable(package="Test")
class Tiny(dg.regularizers.Regularizer):
    def __call__(self, x):
        return dg.ops.sum(x) * 1e-3

    def get_config(self):
        return {}


def model_with(activation, initializer, regularizer=None):
    return dg.Sequential([dg.layers.Input((3,)), dg.layers.Dense(
        2, activation=activation, kernel_initializer=initializer,
        kernel_regularizer=regularizer)])


def test_registered_objects_round_trip(tmp_path):
    model = model_with(doubled_relu, Halves(), Tiny())
    config = model.layers[0].get_config()
    assert config["activation"] == "Test>doubled_relu"
    assert config["kernel_initializer"]["class_name"] == "Test>Halves"
    model.save(tmp_path / "m.deepgrad")
    loaded = dg.models.load_model(tmp_path / "m.deepgrad")
    assert loaded.layers[0].activation is doubled_relu
    assert isinstance(loaded.layers[0].kernel_regularizer, Tiny)
    np.testing.assert_array_equal(loaded.predict(np.ones((1, 3)), verbose=0), [[3.0, 3.0]])


def test_unregistered_function_loads_through_custom_objects(tmp_path):
    def tripled(x):
        return x * 3

    model_with(tripled, "ones").save(tmp_path / "m.deepgrad")
    with pytest.raises(ValueError, match="Unknown activation: 'tripled'"):
        dg.models.load_model(tmp_path / "m.deepgrad")
    loaded = dg.models.load_model(tmp_path / "m.deepgrad", custom_objects={"tripled": tripled})
    assert loaded.layers[0].activation is tripled


@dg.saving.register_keras_serializable(package="Test")
class Scale(dg.layers.Layer):
    """keras.io "Serialization & saving": a get_config with only its own argument."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {"factor": self.factor}


def test_a_layer_whose_config_has_no_name_reloads_in_a_functional_model(tmp_path):
    inputs = dg.Input(shape=(4,))
    outputs = dg.layers.Dense(3)(Scale(0.5)(inputs))
    model = dg.Model(inputs, outputs)
    model.save(tmp_path / "scaled.keras")
    reloaded = dg.models.load_model(tmp_path / "scaled.keras")  # was: graph "inconsistent"
    x = np.random.default_rng(0).random((2, 4)).astype("float32")
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [layer.name for layer in reloaded.layers] == [layer.name for layer in model.layers]
    assert dg.Model.from_config(model.get_config()).output_shape == (None, 3)


@dg.saving.register_keras_serializable(package="Test")
def small_square_sum_loss(y_true, y_pred):
    return dg.ops.sum(dg.ops.square(y_pred - y_true) / 10.0, axis=1)


@dg.saving.register_keras_serializable(package="Test")
def mean_pred(y_true, y_pred):
    return dg.ops.mean(y_pred)


@dg.saving.register_keras_serializable(package="Test")
class ModelWithCustomCompile(dg.Model):
    """keras.io "Customizing saving": a compile with its own arguments."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense1 = dg.layers.Dense(8, activation="relu")
        self.dense2 = dg.layers.Dense(4, activation="softmax")

    def call(self, inputs):
        return self.dense2(self.dense1(inputs))

    def compile(self, optimizer, loss_fn, metrics):
        super().compile(optimizer=optimizer, loss=loss_fn, metrics=metrics)
        self.model_optimizer, self.loss_fn, self.loss_metrics = optimizer, loss_fn, metrics

    def get_compile_config(self):
        return {"model_optimizer": self.model_optimizer, "loss_fn": self.loss_fn,
                "metric": self.loss_metrics}

    def compile_from_config(self, config):
        self.compile(optimizer=dg.utils.deserialize_keras_object(config["model_optimizer"]),
                     loss_fn=dg.utils.deserialize_keras_object(config["loss_fn"]),
                     metrics=dg.utils.deserialize_keras_object(config["metric"]))


def test_a_model_class_with_its_own_compile_config(tmp_path):
    # Keras 3.15 runs the guide's code; deepgrad called compile(optimizer=, loss=,
    # metrics=) on load (TypeError: unexpected keyword argument 'loss').
    model = ModelWithCustomCompile()
    model.compile(optimizer="SGD", loss_fn=small_square_sum_loss, metrics=["accuracy", mean_pred])
    x, y = np.random.default_rng(0).random((4, 8)), np.random.default_rng(1).random((4,))
    model.fit(x, y, verbose=0)
    model.save(tmp_path / "custom_compile_model.keras")
    restored = dg.models.load_model(tmp_path / "custom_compile_model.keras")
    assert restored.model_optimizer == "SGD"
    assert restored.loss_fn is small_square_sum_loss
    assert restored.loss_metrics == ["accuracy", mean_pred]
    assert restored.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    plain = dg.Sequential([dg.Input((2,)), dg.layers.Dense(1)])
    plain.compile("sgd", "mse")
    assert plain.get_compile_config()["loss"] == "mse"
