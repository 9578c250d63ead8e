"""Wrapper, SpectralNormalization (Keras parity on Keras's weights), AlphaDropout,
dg.layers.serialize/deserialize."""

import json
import pathlib

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils.gradcheck import gradient_check

L = dg.layers
FIXTURE = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "keras_wrapper_parity.npz")
CASES = json.loads(str(FIXTURE["cases"]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_spectral_normalization_equals_keras(name):
    case = CASES[name]
    layer = L.SpectralNormalization(getattr(L, case["layer"])(**case["config"]),
                                    power_iterations=case["power_iterations"])
    x = FIXTURE[f"{name}/x"]
    layer(x)
    layer.set_weights([FIXTURE[f"{name}/before/{i}"] for i in range(case["weights"])])
    out = layer(x, training=True).data
    for i, w in enumerate(layer.get_weights()):
        np.testing.assert_allclose(w, FIXTURE[f"{name}/after/{i}"], rtol=1e-5, atol=1e-6)
    if x.dtype.kind == "i":
        # Keras casts the output to the input's dtype: Embedding's vectors come out as
        # truncated ints there; deepgrad keeps them float (documented on the class).
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out.astype(x.dtype), FIXTURE[f"{name}/train"])
        return
    np.testing.assert_allclose(out, FIXTURE[f"{name}/train"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer(x, training=False).data, FIXTURE[f"{name}/infer"],
                               rtol=1e-5, atol=1e-5)


def test_spectral_normalization_weights_in_keras_order_and_trains():
    layer = L.SpectralNormalization(L.Dense(3), power_iterations=20)
    model = dg.Sequential([dg.Input((4,)), layer])
    assert [w.name for w in layer.weights] == ["kernel", "vector_u", "bias"]
    assert [w.name for w in model.trainable_weights] == ["kernel", "bias"]
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    model.fit(x, x[:, :3], epochs=2, verbose=0)
    # after a training call the kernel's largest singular value is 1
    layer(x, training=True)
    assert abs(np.linalg.norm(layer.layer.kernel.numpy(), 2) - 1) < 1e-3


def test_spectral_normalization_zero_kernel_and_errors():
    dense = L.Dense(2, kernel_initializer="zeros")
    layer = L.SpectralNormalization(dense)
    layer(np.ones((1, 3), "float32"), training=True)
    assert not dense.kernel.numpy().any()
    with pytest.raises(ValueError, match=r"SpectralNormalization '.*': `power_iterations` must "
                                         r"be an int > 0. Received: power_iterations=0"):
        L.SpectralNormalization(L.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match=r"the wrapped Dropout '.*' has no `kernel` nor "
                                         r"`embeddings`"):
        L.SpectralNormalization(L.Dropout(0.1))(np.ones((1, 3), "float32"))
    with pytest.raises(TypeError, match=r"SpectralNormalization: `layer` must be a deepgrad "
                                        r"layer. Received: layer='dense'"):
        L.SpectralNormalization("dense")


def test_wrapper_config_round_trip_and_save(tmp_path):
    layer = L.SpectralNormalization(L.Dense(3, name="inner"), power_iterations=2)
    config = layer.get_config()
    assert config["layer"]["class_name"] == "Dense" and config["power_iterations"] == 2
    again = L.SpectralNormalization.from_config(config)
    assert again.layer.name == "inner" and again.layer.units == 3
    model = dg.Sequential([dg.Input((4,)), layer])
    path = tmp_path / "sn.keras"
    model.save(path)
    loaded = dg.saving.load_model(path)
    x = np.ones((2, 4), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_alpha_dropout_keeps_mean_and_variance_and_is_identity_at_inference():
    x = np.random.default_rng(0).normal(size=(40000, 5)).astype("float32")
    layer = L.AlphaDropout(0.3, seed=2)
    y = layer(x, training=True).data
    assert y.dtype == np.float32
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    # dropped values all land on one point: a * (-alpha * scale) + b
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.3) * (1 + 0.3 * alpha_p**2)) ** -0.5
    dropped = np.isclose(y, a * alpha_p - a * alpha_p * 0.3)
    assert 0.28 < dropped.mean() < 0.32
    assert layer(x, training=False).data is x or np.array_equal(layer(x).data, x)
    shaped = L.AlphaDropout(0.5, noise_shape=(None, 1), seed=3)(x[:50], training=True).data
    assert all(np.unique(row).size <= 5 for row in shaped)  # one draw per row


def test_alpha_dropout_gradient():
    rng = np.random.default_rng(1)

    def fn(t):
        layer = L.AlphaDropout(0.4, seed=7)
        return layer(t, training=True)

    assert gradient_check(fn, [rng.normal(size=(4, 6))])


def test_alpha_dropout_errors_and_config():
    with pytest.raises(ValueError, match=r"AlphaDropout: `rate` must be a float in \[0, 1\). "
                                         r"Received: rate=1"):
        L.AlphaDropout(1)
    config = L.AlphaDropout(0.2, noise_shape=(None, 1), seed=4).get_config()
    assert config["noise_shape"] == [None, 1] and config["seed"] == 4


def test_serialize_deserialize_layers():
    spec = L.serialize(L.Conv2D(4, 3, name="c"))
    assert spec["class_name"] == "Conv2D" and spec["config"]["filters"] == 4
    assert L.deserialize(spec).kernel_size == (3, 3)

    @dg.saving.register_keras_serializable(package="WrapperTest")
    class Twice(L.Wrapper):
        def call(self, inputs):
            return self.layer(self.layer(inputs))

    spec = L.serialize(Twice(L.Identity()))
    assert spec["registered_name"] == "WrapperTest>Twice"
    assert isinstance(L.deserialize(spec), Twice)

    class Local(L.Layer):
        pass

    assert isinstance(L.deserialize(L.serialize(Local(name="x")), {"Local": Local}), Local)
    with pytest.raises(ValueError, match="unknown layer class 'Nope'"):
        L.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(TypeError, match="serialize: expected a Layer"):
        L.serialize("dense")
