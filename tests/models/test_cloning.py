"""Keras's ways to copy a graph: sub-models from intermediate tensors, clone_model,
to_json/model_from_json, Model.get_config/from_config, input_shape/output_shape."""

import json

import numpy as np
import pytest

import deepgrad as dg

L = dg.layers


def _functional():
    x = dg.Input(shape=(4,), name="x")
    hidden = L.Dense(3, activation="relu", name="hidden")
    head = L.Dense(2, name="head")
    return x, hidden, head, dg.Model(x, head(hidden(x)), name="net")


def test_a_sub_model_from_an_intermediate_tensor_shares_the_layers():
    x, hidden, head, model = _functional()
    sub = dg.Model(hidden.output, head.output)
    assert sub.input_shape == (None, 3) and sub.output_shape == (None, 2)
    assert [layer.name for layer in sub.layers] == ["hidden_clone", "head"]
    assert sub.layers[1] is head  # the same layer, so the same weights
    h = np.random.default_rng(0).random((5, 3), dtype="float32")
    np.testing.assert_allclose(sub.predict(h, verbose=0), head(h).numpy())
    # The original model is untouched, and head.output is still its first call's.
    assert head.output is model.output and model.input_shape == (None, 4)
    full = np.random.default_rng(1).random((5, 4), dtype="float32")
    np.testing.assert_allclose(model.predict(full, verbose=0),
                               sub.predict(hidden(full).numpy(), verbose=0), rtol=1e-6)


def test_feature_extractor_and_head_of_a_sequential():
    model = dg.Sequential([dg.Input(shape=(6, 6, 1)), L.Conv2D(2, 3, name="conv"),
                           L.Flatten(name="flat"), L.Dense(3, name="out")])
    features = dg.Model(model.input, model.get_layer("flat").output)
    head = dg.Model(model.get_layer("flat").output, model.output)
    x = np.random.default_rng(2).random((2, 6, 6, 1), dtype="float32")
    np.testing.assert_allclose(head.predict(features.predict(x, verbose=0), verbose=0),
                               model.predict(x, verbose=0), rtol=1e-5)
    assert head.input_shape == (None, 32)


def test_a_sub_model_with_two_intermediate_inputs():
    a, b = dg.Input(shape=(2,)), dg.Input(shape=(2,))
    da, db = L.Dense(3)(a), L.Dense(3)(b)
    out = L.Dense(1)(L.Add()([da, db]))
    sub = dg.Model([da, db], out)
    assert sub.input_shape == [(None, 3), (None, 3)] and sub.output_shape == (None, 1)
    assert sub.predict([np.ones((1, 3)), np.ones((1, 3))], verbose=0).shape == (1, 1)


def test_an_output_that_needs_an_input_not_given_is_still_an_error():
    x, hidden, head, _ = _functional()
    other = dg.Input(shape=(3,))
    mixed = L.Add()([hidden.output, L.Dense(3)(other)])
    with pytest.raises(ValueError, match="not reachable from the given inputs"):
        dg.Model(hidden.output, mixed)


def test_input_and_output_shapes_of_functional_models():
    a, b = dg.Input(shape=(3,)), dg.Input(shape=(5, 2))
    out1, out2 = L.Dense(4)(a), L.Flatten()(b)
    model = dg.Model([a, b], [out1, out2])
    assert model.input_shape == [(None, 3), (None, 5, 2)]
    assert model.output_shape == [(None, 4), (None, 10)]
    assert dg.Model([a], [out1]).input_shape == (None, 3)  # a list of one: the shape (Keras)

    class Sub(dg.Model):
        def call(self, inputs):
            return inputs

    with pytest.raises(AttributeError, match="has no defined input_shape"):
        Sub().input_shape  # noqa: B018


def test_clone_model_makes_new_weights_with_the_same_architecture():
    x, hidden, head, model = _functional()
    model.compile("adam", "mse", metrics=["mae"])
    copy = dg.models.clone_model(model)
    assert copy.name == "net" and copy.input_shape == (None, 4)
    assert [type(layer) for layer in copy.layers] == [type(layer) for layer in model.layers]
    assert all(a is not b for a, b in zip(copy.weights, model.weights, strict=True))
    assert copy.compiled and copy.optimizer is not model.optimizer
    copy.set_weights(model.get_weights())
    data = np.random.default_rng(3).random((4, 4), dtype="float32")
    np.testing.assert_allclose(copy.predict(data, verbose=0), model.predict(data, verbose=0))
    copy.fit(data, np.zeros((4, 2)), epochs=1, verbose=0)
    assert not np.allclose(copy.get_weights()[0], model.get_weights()[0])


def test_clone_model_keeps_shared_layers_shared():
    dense = L.Dense(3)
    model = dg.Sequential([dg.Input(shape=(3,)), dense, L.Activation("relu"), dense])
    copy = dg.models.clone_model(model)
    assert copy.layers[0] is copy.layers[2] and copy.layers[0] is not dense
    a, b = dg.Input(shape=(2,)), dg.Input(shape=(2,))
    shared = L.Dense(2)
    siamese = dg.Model([a, b], L.Add()([shared(a), shared(b)]))
    copy = dg.models.clone_model(siamese)
    assert len(copy.weights) == 2


def test_clone_model_clone_function_and_input_tensors():
    model = dg.Sequential([dg.Input(shape=(3,)), L.Dense(2, name="d"), L.Dropout(0.5, seed=1)])

    def reseed(layer):
        config = layer.get_config()
        if "seed" in config:
            config["seed"] = 1337
        return type(layer).from_config(config)

    copy = dg.models.clone_model(model, clone_function=reseed)
    assert copy.layers[1].seed == 1337
    same = dg.models.clone_model(model, clone_function=lambda layer: layer)
    assert same.layers[0] is model.layers[0]  # clone_function may share layers
    new_input = dg.Input(shape=(3,), name="fresh")
    assert dg.models.clone_model(model, input_tensors=new_input).input is new_input
    x, hidden, head, functional = _functional()
    grafted = dg.models.clone_model(functional, input_tensors=[dg.Input(shape=(4,), name="g")])
    assert grafted.input.name == "g"
    with pytest.raises(ValueError, match="`input_tensors` must have the structure"):
        dg.models.clone_model(functional, input_tensors=[dg.Input((4,)), dg.Input((4,))])
    with pytest.raises(ValueError, match="a Sequential model must be a dg.Input tensor"):
        dg.models.clone_model(model, input_tensors=hidden.output)


def test_clone_model_of_a_subclassed_model():
    @dg.saving.register_keras_serializable(package="CloneTest")
    class Twice(dg.Model):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = L.Dense(units)

        def call(self, inputs):
            return self.dense(inputs) * 2

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    copy = dg.models.clone_model(Twice(units=5))
    assert isinstance(copy, Twice) and copy.units == 5
    with pytest.raises(ValueError, match="work for Sequential and functional models only"):
        dg.models.clone_model(Twice(), clone_function=lambda layer: layer)


def test_to_json_and_model_from_json():
    x, hidden, head, model = _functional()
    text = model.to_json()
    assert json.loads(text)["class_name"] == "Functional"
    rebuilt = dg.models.model_from_json(text)
    assert rebuilt.input_shape == (None, 4) and [w.shape for w in rebuilt.weights] == [
        w.shape for w in model.weights]
    seq = dg.Sequential([dg.Input(shape=(5,)), L.Dense(3), L.Dense(1)])
    assert dg.models.model_from_json(seq.to_json(indent=2)).output_shape == (None, 1)
    with pytest.raises(ValueError, match="model_from_json: the text is not JSON"):
        dg.models.model_from_json("{not json")
    with pytest.raises(ValueError, match="expected a model description"):
        dg.models.model_from_json("[1, 2]")


def test_model_from_json_with_custom_objects():
    class Plus(L.Layer):
        def call(self, inputs):
            return inputs + 1

    model = dg.Sequential([dg.Input(shape=(2,)), Plus()])
    rebuilt = dg.models.model_from_json(model.to_json(), custom_objects={"Plus": Plus})
    np.testing.assert_array_equal(rebuilt.predict(np.zeros((1, 2)), verbose=0), [[1, 1]])


def test_functional_get_config_and_from_config():
    x, hidden, head, model = _functional()
    config = model.get_config()
    assert [layer["class_name"] for layer in config["layers"]] == ["InputLayer", "Dense", "Dense"]
    rebuilt = dg.Model.from_config(config)
    assert rebuilt.name == "net" and rebuilt.output_shape == (None, 2)
    assert rebuilt.get_layer("hidden") is not hidden
