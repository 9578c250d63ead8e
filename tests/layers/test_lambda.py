"""Lambda as Keras 3 has it: a named, registered function survives get_config/from_config and
saving; an anonymous lambda is refused when rebuilding (Keras's safe mode refuses it too)."""

import numpy as np
import pytest

import deepgrad as dg

L = dg.layers


@dg.saving.register_keras_serializable(package="LambdaTest")
def scale_and_shift(x, factor=2.0, shift=0.0):
    return x * factor + shift


def unregistered_square(x):
    return x * x


def test_a_registered_function_survives_get_config_and_from_config():
    layer = L.Lambda(scale_and_shift, arguments={"factor": 3.0, "shift": 1.0}, name="affine")
    config = layer.get_config()
    assert config["function"] == {"module": __name__, "class_name": "function",
                                  "config": "scale_and_shift",
                                  "registered_name": "LambdaTest>scale_and_shift"}
    rebuilt = L.Lambda.from_config(config)
    assert rebuilt.function is scale_and_shift and rebuilt.name == "affine"
    np.testing.assert_array_equal(rebuilt(np.ones((1, 2), "float32")).numpy(), [[4.0, 4.0]])


def test_a_model_with_a_registered_lambda_saves_and_loads(tmp_path):
    model = dg.Sequential([dg.Input(shape=(3,)), L.Dense(2), L.Lambda(scale_and_shift)])
    model.save(tmp_path / "lambda.keras")
    loaded = dg.models.load_model(tmp_path / "lambda.keras")
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    copy = dg.Sequential.from_config(model.get_config())
    assert copy.layers[-1].function is scale_and_shift


def test_an_unregistered_function_is_found_through_custom_objects(tmp_path):
    layer = L.Lambda(unregistered_square)
    with pytest.raises(ValueError, match="unknown function 'unregistered_square'.*register"):
        L.Lambda.from_config(layer.get_config())
    with dg.saving.custom_object_scope({"unregistered_square": unregistered_square}):
        assert L.Lambda.from_config(layer.get_config()).function is unregistered_square
    model = dg.Sequential([dg.Input(shape=(2,)), layer])
    model.save(tmp_path / "square.keras")
    loaded = dg.models.load_model(tmp_path / "square.keras",
                                  custom_objects={"unregistered_square": unregistered_square})
    np.testing.assert_array_equal(loaded.predict(np.full((1, 2), 3.0), verbose=0), [[9.0, 9.0]])


def test_deepgrad_functions_survive_by_name():
    for function in (dg.activations.relu, dg.ops.relu):
        rebuilt = L.Lambda.from_config(L.Lambda(function).get_config())
        assert rebuilt(np.array([[-1.0, 2.0]], "float32")).numpy().tolist() == [[0.0, 2.0]]


def test_an_anonymous_lambda_is_not_rebuilt_from_a_config():
    layer = L.Lambda(lambda x: x + 1, name="plus_one")
    assert layer.get_config()["function"]["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="Lambda 'plus_one': its function was an anonymous "
                                         "lambda.*define the function with `def`"):
        L.Lambda.from_config(layer.get_config())


def test_training_arguments_and_output_shape():
    def noisy(x, training=None):
        return x + (1.0 if training else 0.0)

    layer = L.Lambda(noisy)
    x = np.zeros((1, 2), "float32")
    assert layer(x, training=True).numpy().tolist() == [[1.0, 1.0]]
    assert layer(x).numpy().tolist() == [[0.0, 0.0]]
    halves = L.Lambda(lambda t: t[:, :2], output_shape=lambda shape: (shape[0], 2))
    assert halves(dg.Input(shape=(4,))).shape == (None, 2)
    with pytest.raises(TypeError, match="`arguments` must be a dict"):
        L.Lambda(noisy, arguments=[1])


def test_a_given_output_shape_on_several_inputs_takes_the_first_batch_axis():
    # keras.io's siamese contrastive example: Lambda(euclidean_distance, output_shape=(1,))
    # on two towers raised TypeError (the first input's whole shape was taken as its batch).
    def distance(pair):
        a, b = pair
        return dg.ops.sqrt(dg.ops.sum(dg.ops.square(a - b), axis=1, keepdims=True))

    left, right = dg.Input(shape=(3,)), dg.Input(shape=(3,))
    out = L.Lambda(distance, output_shape=(1,))([left, right])
    assert out.shape == (None, 1)
    model = dg.Model([left, right], out)
    got = model.predict([np.zeros((2, 3), "float32"), np.full((2, 3), 2.0, "float32")],
                        verbose=0)
    np.testing.assert_allclose(got, np.full((2, 1), np.sqrt(12.0)), rtol=1e-6)
    both = L.Lambda(lambda t: [t, t], output_shape=[(3,), (3,)])(left)
    assert [t.shape for t in both] == [(None, 3), (None, 3)]
