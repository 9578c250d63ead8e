"""EinsumDense: Keras 3.15 parity (weights' shapes, outputs on Keras's weights, output
shapes, Glorot fans by kernel axes), gradients, config and save, errors."""

import json
import pathlib

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.layers.einsum_dense import EinsumDense, axes_initializer
from deepgrad.utils.gradcheck import gradient_check

FIXTURE = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "keras_einsum_parity.npz")
CASES = json.loads(str(FIXTURE["cases"]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_equals_keras(name):
    case = CASES[name]
    layer = EinsumDense(**case["config"])
    x = FIXTURE[f"{name}/x"]
    layer(x)
    assert [list(w.shape) for w in layer.weights] == case["weights"]
    layer.set_weights([FIXTURE[f"{name}/weight/{i}"] for i in range(len(case["weights"]))])
    np.testing.assert_allclose(layer(x).data, FIXTURE[f"{name}/output"], rtol=1e-5, atol=1e-5)
    # Keras leaves None where output_shape says None; deepgrad takes the input's size
    # there when the equation keeps the letter (the size the call gives).
    ours = layer.compute_output_shape((None,) + x.shape[1:])
    assert len(ours) == len(case["output_shape"])
    for axis, (mine, keras) in enumerate(zip(ours, case["output_shape"], strict=True)):
        assert mine == keras or (keras is None and mine in (None, layer(x).shape[axis]))


@pytest.mark.parametrize("name", ["heads", "dense"])
def test_glorot_fans_are_keras_kernel_axes(name):
    case = CASES[name]
    layer = EinsumDense(**case["init_config"], kernel_initializer=dg.initializers.GlorotUniform(
        seed=0))
    layer.build(tuple(case["init_input"]))
    kernel = layer.kernel.numpy()
    assert list(kernel.shape) == case["init_kernel"]
    assert abs(kernel.std() / case["init_std"] - 1) < 0.02


def test_axes_initializer_lays_the_draw_in_the_kernel_order():
    init = axes_initializer(dg.initializers.GlorotUniform(seed=3), [0, 2], [1])
    direct = dg.initializers.GlorotUniform(seed=3)((4 * 6, 5)).reshape(4, 6, 5)
    np.testing.assert_array_equal(init((4, 5, 6)), direct.transpose(0, 2, 1))
    ones = dg.initializers.Ones()
    assert axes_initializer(ones, [0], [1]) is ones


def test_gradients():
    rng = np.random.default_rng(0)
    layer = EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de",
                        activation="tanh", dtype="float64")
    assert gradient_check(lambda t: layer(t), [rng.normal(size=(2, 3, 4))])
    x = dg.Tensor(rng.normal(size=(2, 3, 4)))
    layer(x).sum().backward()
    assert layer.kernel.grad is not None and layer.bias.grad is not None


def test_config_training_and_save(tmp_path):
    inputs = dg.Input((4, 6))
    layer = EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de",
                        kernel_regularizer="l2", name="proj")
    model = dg.Model(inputs, dg.layers.Reshape((4, 6))(layer(inputs)))
    config = layer.get_config()
    assert config["equation"] == "abc,cde->abde" and config["output_shape"] == [None, 2, 3]
    assert EinsumDense.from_config(config).get_config() == config
    x = np.random.default_rng(1).normal(size=(8, 4, 6)).astype("float32")
    model.compile("sgd", "mse")
    first = model.evaluate(x, x, verbose=0)
    model.fit(x, x, epochs=3, verbose=0)
    assert model.evaluate(x, x, verbose=0) < first
    path = tmp_path / "einsum.keras"
    model.save(path)
    np.testing.assert_allclose(dg.saving.load_model(path).predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match=r"EinsumDense '.*': `equation` must have the form"):
        EinsumDense("a,b,c->d", 3)(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"input shape and output shape differ at the shared "
                                         r"dimension 'b': 4 in the input, 5 in"):
        EinsumDense("abc,cd->abd", (5, 3))(np.ones((2, 4, 3)))
    with pytest.raises(ValueError, match=r"bias dimension 'x' is not in the output spec"):
        EinsumDense("ab,bc->ac", 3, bias_axes="x")(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"weight dimension 'z' of 'ab,bz->a' is in neither"):
        EinsumDense("ab,bz->a", ())(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"LoRA is not supported"):
        EinsumDense("ab,bc->ac", 3, lora_rank=2)


def test_attention_projections_use_the_same_fans():
    # MultiHeadAttention(8, 64) on 256 features: Keras builds its query kernel with the
    # EinsumDense of the "heads" case (256, 8, 64).
    mha = dg.layers.MultiHeadAttention(8, 64)
    x = np.zeros((1, 2, 256), "float32")
    mha(x, x)
    std = mha.weights[0].numpy().std()
    assert mha.weights[0].shape == (256, 8, 64)
    assert abs(std / CASES["heads"]["init_std"] - 1) < 0.02
