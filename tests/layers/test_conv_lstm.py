"""ConvLSTM1D/2D/3D: equal to real Keras 3.15 on its weights (fixture), float64 finite
differences through masks, states and go_backwards, dropout masks, stateful runs, configs,
files and errors."""

import json
import pathlib

import numpy as np
import pytest
from layer_gradients import check_layer_gradients

import deepgrad as dg

L = dg.layers
FIXTURE = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "keras_conv_lstm_parity.npz")
SPEC = json.loads(FIXTURE["spec"].tobytes())
rng = np.random.default_rng(5)


@pytest.mark.parametrize("name", sorted(SPEC))
def test_equal_to_keras(name):
    case = SPEC[name]
    layer = getattr(L, case["class"])(**case["kwargs"])
    x = FIXTURE[f"{name}/x"]
    layer.build(x.shape)
    layer.set_weights([FIXTURE[f"{name}/w{i}"] for i in range(case["weights"])])
    call = {} if case["mask"] is None else {"mask": np.asarray(case["mask"])}
    outs = layer(x, **call)
    outs = outs if isinstance(outs, list) else [outs]
    assert len(outs) == case["outputs"]
    for i, out in enumerate(outs):
        expected = FIXTURE[f"{name}/out{i}"]
        assert out.shape == expected.shape
        np.testing.assert_allclose(out.data, expected, rtol=1e-4, atol=1e-5)
    assert layer.compute_output_shape(x.shape) == (
        tuple(o.shape for o in outs) if case["outputs"] > 1 else outs[0].shape)


def test_weights_have_keras_shapes_and_forget_bias_one():
    layer = L.ConvLSTM2D(4, (3, 2))
    layer.build((None, 5, 8, 8, 3))
    kernel, recurrent, bias = layer.get_weights()
    assert kernel.shape == (3, 2, 3, 16) and recurrent.shape == (3, 2, 4, 16)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]


MASK = np.array([[1, 1, 0, 1], [0, 1, 1, 0]], bool)


def test_finite_differences_with_mask_states_and_backwards():
    layer = L.ConvLSTM2D(2, 3, padding="same", return_sequences=True, return_state=True,
                         go_backwards=True, dtype="float64")
    x = rng.normal(size=(2, 4, 3, 3, 1))
    states = [rng.normal(size=(2, 3, 3, 2)) * 0.5 for _ in range(2)]
    check_layer_gradients(layer, x, call={"mask": MASK}, initial_state=states)


def test_finite_differences_1d_strided_channels_first():
    layer = L.ConvLSTM1D(2, 2, strides=2, data_format="channels_first", dtype="float64")
    check_layer_gradients(layer, rng.normal(size=(2, 3, 2, 5)))


def test_masked_steps_keep_the_state():
    layer = L.ConvLSTM1D(2, 3, padding="same", return_sequences=True)
    x = rng.normal(size=(2, 4, 5, 1)).astype("float32")
    out = layer(x, mask=MASK).data
    np.testing.assert_array_equal(out[0, 2], out[0, 1])  # step 2 of sample 0 is padding
    np.testing.assert_array_equal(out[1, 0], np.zeros_like(out[1, 0]))  # nothing seen yet
    alone = layer(x[:1, :2]).data  # the steps before the padding, alone
    np.testing.assert_allclose(out[0, 1], alone[0, 1], rtol=1e-6)


def test_dropout_masks_are_keras_four_per_gate_and_fixed_over_steps():
    x = np.ones((64, 3, 4, 1), "float32")
    layer = L.ConvLSTM1D(2, 1, dropout=0.5, recurrent_dropout=0.5, seed=1)
    layer.build(x.shape)
    inference = layer(x).data
    trained = layer(x, training=True).data
    assert not np.allclose(trained, inference)
    np.testing.assert_array_equal(layer(x, training=False).data, inference)
    masks = layer.cell.masks(np.ones((1000, 1), "float32"), 0.5)
    assert len(masks) == 4 and set(np.unique(masks[0])) == {0.0, 2.0}
    assert abs(masks[0].mean() - 1.0) < 0.15


def test_stateful_carries_states_until_reset():
    layer = L.ConvLSTM2D(2, 3, padding="same", stateful=True)
    dg.Sequential([L.Input((2, 4, 4, 1), batch_size=3), layer])
    x = rng.normal(size=(3, 2, 4, 4, 1)).astype("float32")
    whole = L.ConvLSTM2D(2, 3, padding="same")
    whole.build((3, 4, 4, 4, 1))
    whole.set_weights(layer.get_weights())
    layer(x)
    second = layer(x).data
    np.testing.assert_allclose(second, whole(np.concatenate([x, x], 1)).data, rtol=1e-5,
                               atol=1e-6)
    layer.reset_states()
    np.testing.assert_array_equal(layer.states[0], 0)


def test_config_round_trip_and_model_file(tmp_path):
    model = dg.Sequential([L.Input((3, 6, 6, 2)),
                           L.ConvLSTM2D(3, 3, padding="same", return_sequences=True,
                                        recurrent_dropout=0.1, kernel_regularizer="l2"),
                           L.ConvLSTM2D(2, 3), L.Flatten(), L.Dense(1)])
    copy = L.ConvLSTM2D.from_config(model.layers[0].get_config())
    assert copy.get_config() == model.layers[0].get_config()
    x = rng.normal(size=(2, 3, 6, 6, 2)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = dg.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_fit_learns_a_moving_dot_direction():
    """Frames with a dot moving left or right; the network tells which."""
    n, steps, width = 64, 4, 8
    labels = rng.integers(0, 2, n)
    x = np.zeros((n, steps, width, 1), "float32")
    for i, label in enumerate(labels):
        start = rng.integers(0, width - steps)
        for t in range(steps):
            x[i, t, start + t if label else start + steps - 1 - t, 0] = 1.0
    dg.utils.set_random_seed(0)
    model = dg.Sequential([L.Input((steps, width, 1)), L.ConvLSTM1D(4, 3, padding="same"),
                           L.GlobalMaxPooling1D(), L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=dg.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, labels, epochs=30, batch_size=16, verbose=0)
    assert history.history["accuracy"][-1] > 0.9


@pytest.mark.parametrize("make, shape, match", [
    (lambda: L.ConvLSTM2D(2, 3), (2, 4, 5, 5), "5 dimensions"),
    (lambda: L.ConvLSTM2D(2, 7), (2, 4, 5, 5, 1), "does not fit"),
    (lambda: L.ConvLSTM2D(2, 3, stateful=True), (None, 4, 5, 5, 1), "fixed batch size"),
    (lambda: L.ConvLSTM1D(2, 3, padding="causal"), None, "padding"),
    (lambda: L.ConvLSTM1D(0, 3), None, "filters"),
    (lambda: L.ConvLSTM1D(2, 3, dropout=1.5), None, "dropout"),
    (lambda: L.ConvLSTM1D(2, 3, strides=2, dilation_rate=2), None, "dilation_rate"),
])
def test_bad_arguments_and_inputs_name_the_layer(make, shape, match):
    with pytest.raises(ValueError, match=match):
        layer = make()
        layer(np.zeros([s or 2 for s in shape], "float32")) if shape and None not in shape \
            else layer.build(shape)


def test_initial_state_of_the_wrong_shape_is_refused():
    layer = L.ConvLSTM2D(2, 3, padding="same")
    x = np.zeros((2, 3, 4, 4, 1), "float32")
    with pytest.raises(ValueError, match=r"ConvLSTM2D 'conv_lstm2d.*initial_state.*\(2, 4, 4, 2\)"):
        layer(x, initial_state=[np.zeros((2, 4, 4, 3), "float32")] * 2)


def test_loads_keras_weights_file():
    pytest.importorskip("h5py", reason="Keras .weights.h5 files need h5py (the test extra)")
    model = dg.Sequential([L.Input((3, 5, 5, 2)), L.ConvLSTM2D(2, 3, padding="same"),
                           L.Flatten(), L.Dense(1)])
    model.load_weights(pathlib.Path(__file__).parents[1] / "fixtures"
                       / "keras_conv_lstm.weights.h5")
    np.testing.assert_allclose(model.predict(FIXTURE["h5/x"], verbose=0), FIXTURE["h5/y"],
                               rtol=1e-4, atol=1e-5)
