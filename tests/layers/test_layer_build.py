"""Layer.build called by hand, as Keras allows: the layer is built, and its weights stay."""

import numpy as np
import pytest

import deepgrad as dg

L = dg.layers


def test_build_by_hand_marks_the_layer_built_and_keeps_its_weights():
    layer = dg.layers.Dense(4)
    layer.build((None, 5))
    assert layer.built
    kernel = np.arange(20, dtype="float32").reshape(5, 4)
    layer.set_weights([kernel, np.zeros(4, "float32")])
    layer(np.ones((2, 5), "float32"))
    np.testing.assert_array_equal(layer.kernel.numpy(), kernel)


@pytest.mark.parametrize("make, shape", [
    (lambda: L.Dense(3), (2, 5)),
    (lambda: L.Conv2D(2, 3), (1, 6, 6, 2)),
    (lambda: L.Conv1D(2, 3), (1, 6, 2)),
    (lambda: L.BatchNormalization(), (4, 3)),
    (lambda: L.LayerNormalization(), (4, 3)),
])
def test_build_then_set_weights_then_call_keeps_the_weights(make, shape):
    layer = make()
    layer.build((None,) + shape[1:])
    assert layer.built
    count = len(layer.weights)
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(w.shape).astype("float32") for w in layer.get_weights()]
    if isinstance(layer, L.BatchNormalization):
        values[-1] = np.abs(values[-1])  # a variance
    layer.set_weights(values)
    layer(np.ones(shape, "float32"))
    assert len(layer.weights) == count
    for value, weight in zip(values, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(weight, value)


def test_a_custom_layer_built_by_hand_is_built_and_remembers_the_shape():
    class Scale(L.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, inputs):
            return inputs * self.w

    layer = Scale()
    layer.build((None, 3))
    assert layer.built and layer._build_shapes == (None, 3)
    first = layer.w
    layer(np.ones((2, 3), "float32"))
    assert layer.w is first and len(layer.weights) == 1


def test_a_layer_without_build_is_built_by_build():
    layer = L.Flatten()
    layer.build((None, 2, 2))
    assert layer.built


def test_a_variable_held_in_an_attribute_is_a_weight_as_in_keras(tmp_path):
    # keras.io "Customizing saving": a Dense subclass with self.my_variable = keras.Variable
    # in __init__. Keras 3.15 lists it first (['my_variable', 'kernel', 'bias']), fit trains
    # it and save keeps it; deepgrad had left it out of the weights (never trained or saved).
    class Shifted(dg.layers.Dense):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)
            self.my_variable = dg.Variable(np.ones((units,)), name="my_variable",
                                           dtype="float32")

        def call(self, inputs):
            return super().call(inputs) + self.my_variable

    model = dg.Sequential([dg.Input((3,)), Shifted(2)])
    assert [v.name for v in model.layers[0].weights] == ["my_variable", "kernel", "bias"]
    assert model.count_params() == 3 * 2 + 2 + 2
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 3)), np.zeros((8, 2)), epochs=1, verbose=0)
    trained = model.layers[0].my_variable.numpy().copy()
    assert (trained != 1).all()
    model.save(tmp_path / "shifted.keras")
    loaded = dg.models.load_model(tmp_path / "shifted.keras", custom_objects={"Shifted": Shifted})
    np.testing.assert_array_equal(loaded.layers[0].my_variable.numpy(), trained)
    model.layers[0].trainable = False
    assert model.trainable_weights == []
    model.layers[0].trainable = True
    assert len(model.trainable_weights) == 3
