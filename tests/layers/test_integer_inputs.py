"""Integer inputs stay integers where Keras 3 keeps them (issue 12 item 10).

A student's own layer gets integer ids, eagerly and inside a functional model, and the
model is built from the Input's declared dtype; deepgrad's float layers give float32 (as
Keras's promotion of int and float32), never NumPy's float64. Also how a text layer reads
a nested list of strings (one array).
"""

import numpy as np
import pytest

import deepgrad as dg

TABLE = np.arange(10, dtype="float32") * 2


class Lookup(dg.layers.Layer):
    """A student's lookup layer: it indexes a table with its inputs."""

    def call(self, ids):
        assert ids.dtype.kind == "i", ids.dtype  # fails the test when ids became floats
        return dg.Tensor(TABLE[ids.data if isinstance(ids, dg.Tensor) else ids])


def test_users_layer_gets_integer_ids_eagerly():
    out = Lookup()(np.array([[1, 2, 3]]))
    np.testing.assert_array_equal(out.data, [[2, 4, 6]])


def test_users_layer_builds_and_runs_in_a_functional_model_from_the_declared_dtype():
    ids = dg.Input((3,), dtype="int32")
    looked_up = Lookup()(ids)
    assert looked_up.shape == (None, 3) and looked_up.dtype == "float32"
    outputs = dg.layers.Dense(1)(looked_up)
    model = dg.Model(ids, outputs)
    assert model.predict(np.array([[1, 2, 3], [0, 0, 9]]), verbose=0).shape == (2, 1)


def test_output_dtype_is_read_off_the_call():
    class Doubled(dg.layers.Layer):
        def call(self, x):
            return x * 2

    x = dg.Input((3,), dtype="int64")
    assert Doubled()(x).dtype == "int64"
    assert Doubled()(dg.Input((3,))).dtype == "float32"


def test_float_layers_on_integer_inputs_give_float32_as_keras():
    x = dg.Input((3,), dtype="int32")
    model = dg.Model(x, dg.layers.Dense(2)(x))
    assert model.output.dtype == "float32"
    assert model.predict(np.array([[1, 2, 3]]), verbose=0).dtype == np.float32  # was float64
    assert dg.layers.Dense(2)(dg.Tensor(np.array([[1, 2, 3]]))).dtype == np.float32
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3), "int32"), np.ones((4, 2), "float32"), verbose=0)


@pytest.mark.parametrize("layer", [dg.layers.Flatten(), dg.layers.Reshape((3, 1)),
                                   dg.layers.Identity()], ids=lambda layer: layer.name)
def test_layers_that_only_move_values_keep_integers_as_keras(layer):
    x = dg.Input((3,), dtype="int32")
    assert layer(x).dtype == "int32"
    assert layer(np.array([[1, 2, 3]], "int32")).dtype == np.int32


def test_permute_keeps_integers():
    x = dg.Input((3, 2), dtype="int32")
    assert dg.layers.Permute((2, 1))(x).dtype == "int32"


def test_text_layers_take_nested_lists_of_strings_as_one_array():
    # Keras's Hashing docstring example; the outputs are Keras 3.15's
    texts = [["A"], ["B"], ["C"], ["D"], ["E"]]
    assert dg.layers.Hashing(num_bins=3)(texts).numpy().ravel().tolist() == [1, 0, 1, 1, 2]
    salted = dg.layers.Hashing(num_bins=3, salt=[133, 137])(texts)
    assert salted.numpy().ravel().tolist() == [1, 2, 1, 0, 2]
    assert dg.layers.StringLookup(vocabulary=["a", "b"])([["a", "c"]]).numpy().tolist() == [[1, 0]]
