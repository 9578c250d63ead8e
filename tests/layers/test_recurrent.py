"""Recurrent layers: Keras's documented shapes, the fused path against the step-by-step
cell path, float64 finite differences through whole sequences (masks, go_backwards,
initial states, stacks, Bidirectional), stateful layers, configs and errors."""

import numpy as np
import pytest
from layer_gradients import check_layer_gradients, flat

import deepgrad as dg
from deepgrad import layers
from deepgrad.layers.recurrent_cells import RecurrentCell
from deepgrad.tensor import Tensor, grad

rng = np.random.default_rng(1)
MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [0, 0, 1, 0, 1]], bool)


def seq(b=3, t=5, f=2, dtype=np.float64):
    return rng.normal(size=(b, t, f)).astype(dtype)


# -- Keras's documented examples ------------------------------------------------------


def test_keras_documented_shapes():
    inputs = np.random.default_rng(0).random((32, 10, 8)).astype(np.float32)
    assert layers.LSTM(4)(inputs).shape == (32, 4)
    out, h, c = layers.LSTM(4, return_sequences=True, return_state=True)(inputs)
    assert (out.shape, h.shape, c.shape) == ((32, 10, 4), (32, 4), (32, 4))
    out, h = layers.GRU(4, return_sequences=True, return_state=True)(inputs)
    assert (out.shape, h.shape) == ((32, 10, 4), (32, 4))
    out, h = layers.SimpleRNN(4, return_sequences=True, return_state=True)(inputs)
    assert (out.shape, h.shape) == ((32, 10, 4), (32, 4))
    assert layers.RNN(layers.LSTMCell(4))(inputs).shape == (32, 4)
    out, h, c = layers.RNN(layers.LSTMCell(4), return_sequences=True, return_state=True)(inputs)
    assert (out.shape, h.shape) == ((32, 10, 4), (32, 4))
    out, h = layers.RNN(layers.GRUCell(4), return_sequences=True, return_state=True)(inputs)
    assert (out.shape, h.shape) == ((32, 10, 4), (32, 4))
    # Bidirectional's docstring models, and Embedding's.
    model = dg.Sequential([
        dg.Input(shape=(5, 10)),
        layers.Bidirectional(layers.LSTM(10, return_sequences=True)),
        layers.Bidirectional(layers.LSTM(10)),
        layers.Dense(5, activation="softmax"),
    ])
    assert model.output_shape == (None, 5)
    backward = layers.LSTM(10, activation="relu", return_sequences=True, go_backwards=True)
    model = dg.Sequential([
        dg.Input(shape=(5, 10)),
        layers.Bidirectional(layers.LSTM(10, return_sequences=True), backward_layer=backward),
        layers.Dense(5, activation="softmax"),
    ])
    assert model.output_shape == (None, 5, 5)
    model = dg.Sequential([layers.Embedding(1000, 64)])
    assert model.predict(np.random.default_rng(0).integers(1000, size=(32, 10))).shape == (
        32, 10, 64)


def test_weight_shapes_names_and_keras_initial_bias():
    lstm = layers.LSTM(3)
    lstm.build((None, 4, 2))
    assert [(w.path, w.shape) for w in lstm.weights] == [
        ("lstm_cell/kernel", (2, 12)), ("lstm_cell/recurrent_kernel", (3, 12)),
        ("lstm_cell/bias", (12,))]
    np.testing.assert_array_equal(lstm.cell.bias.data, [0] * 3 + [1] * 3 + [0] * 6)
    recurrent = lstm.cell.recurrent_kernel.data
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(3), atol=1e-5)
    gru = layers.GRU(3)
    gru.build((None, 4, 2))
    assert [w.shape for w in gru.weights] == [(2, 9), (3, 9), (2, 9)]
    gru = layers.GRU(3, reset_after=False)
    gru.build((None, 4, 2))
    assert gru.weights[2].shape == (9,)
    assert layers.LSTM(3, unit_forget_bias=False).cell.unit_forget_bias is False


# -- fused path against the cell's own step ---------------------------------------------


def _outputs_and_grads(layer, x, **call):
    xt = Tensor(x, requires_grad=True)
    outs = flat(layer(xt, **call))
    weights = [np.random.default_rng(7).normal(size=o.shape) for o in outs]
    loss = sum((o * Tensor(w)).sum() for o, w in zip(outs, weights))
    grads = grad(loss, [xt] + layer.trainable_weights)
    return [o.data for o in outs], grads


LAYERS = [
    ("lstm", lambda **kw: layers.LSTM(3, dtype="float64", **kw)),
    ("gru", lambda **kw: layers.GRU(3, dtype="float64", **kw)),
    ("simple_rnn", lambda **kw: layers.SimpleRNN(3, dtype="float64", **kw)),
    ("simple_rnn_relu", lambda **kw: layers.SimpleRNN(3, activation="relu", dtype="float64",
                                                      **kw)),
]


@pytest.mark.parametrize("name,make", LAYERS, ids=[n for n, _ in LAYERS])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_fused_matches_the_cell_step_by_step(name, make, go_backwards, return_sequences,
                                              monkeypatch):
    x = seq()
    layer = make(go_backwards=go_backwards, return_sequences=return_sequences,
                 return_state=True)
    h0 = [rng.normal(size=(3, 3)) for _ in layer.state_size]
    fused = _outputs_and_grads(layer, x, mask=MASK, initial_state=h0)
    monkeypatch.setattr(RecurrentCell, "can_fuse", lambda self, training: False)
    loop = _outputs_and_grads(layer, x, mask=MASK, initial_state=h0)
    for a, b in zip(fused[0] + fused[1], loop[0] + loop[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# -- finite differences through layers --------------------------------------------------


@pytest.mark.parametrize("name,make", LAYERS[:3], ids=[n for n, _ in LAYERS[:3]])
def test_layer_gradients_with_mask_backwards_and_initial_state(name, make):
    layer = make(return_sequences=True, return_state=True, go_backwards=True)
    states = [rng.normal(size=(3, 3)) * 0.5 for _ in layer.state_size]
    check_layer_gradients(layer, seq(), call={"mask": MASK}, initial_state=states)


def test_stacked_cells_gradients_and_values_match_two_layers():
    cells = [layers.LSTMCell(3, dtype="float64"), layers.GRUCell(2, dtype="float64")]
    stack = layers.RNN(cells, return_sequences=True, return_state=True, dtype="float64")
    x = seq()
    check_layer_gradients(stack, x, call={"mask": MASK})
    out, (h1, c1), h2 = stack(x, mask=MASK)
    first = layers.LSTM(3, return_sequences=True, dtype="float64")
    second = layers.GRU(2, return_sequences=True, dtype="float64")
    first.build(x.shape)
    second.build((3, 5, 3))
    first.set_weights(cells[0].get_weights())
    second.set_weights(cells[1].get_weights())
    np.testing.assert_allclose(out.data, second(first(x, mask=MASK), mask=MASK).data,
                               rtol=1e-12)


def test_stacked_backwards_runs_every_cell_in_the_reversed_order():
    x = seq()
    cells = [layers.SimpleRNNCell(3, dtype="float64"), layers.SimpleRNNCell(2, dtype="float64")]
    stack = layers.RNN(cells, go_backwards=True, return_sequences=True, dtype="float64")
    fused = stack(x, mask=MASK).data
    step_by_step = layers.RNN(cells, go_backwards=True, return_sequences=True,
                              dtype="float64")
    step_by_step.build(x.shape)
    RecurrentCell_can_fuse = RecurrentCell.can_fuse
    try:
        RecurrentCell.can_fuse = lambda self, training: False
        np.testing.assert_allclose(fused, step_by_step(x, mask=MASK).data, rtol=1e-12)
    finally:
        RecurrentCell.can_fuse = RecurrentCell_can_fuse


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_gradients_and_merge(merge_mode):
    layer = layers.Bidirectional(layers.GRU(2, return_sequences=True, dtype="float64"),
                                 merge_mode=merge_mode, dtype="float64")
    x = seq()
    check_layer_gradients(layer, x, call={"mask": MASK})
    out = layer(x, mask=MASK)
    forward = layer.forward_layer(x, mask=MASK).data
    backward = layer.backward_layer(x, mask=MASK).data[:, ::-1]
    # Masked steps give zeros in both directions (Keras forces zero_output_for_mask).
    assert np.all(forward[~MASK] == 0) and np.all(backward[~MASK] == 0)
    expected = {"concat": [np.concatenate([forward, backward], -1)],
                "sum": [forward + backward], "mul": [forward * backward],
                "ave": [(forward + backward) / 2], None: [forward, backward]}[merge_mode]
    got = out if isinstance(out, list) else [out]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g.data, e, rtol=1e-12)


def test_bidirectional_states_names_and_backward_layer():
    layer = layers.Bidirectional(layers.LSTM(2, return_state=True, name="enc"))
    assert (layer.forward_layer.name, layer.backward_layer.name) == ("forward_enc", "backward_enc")
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    x = seq(dtype=np.float32)
    out, fh, fc, bh, bc = layer(x)
    assert out.shape == (3, 4) and fh.shape == bc.shape == (3, 2)
    np.testing.assert_allclose(out.data, np.concatenate([fh.data, bh.data], -1))
    states = [np.full((3, 2), v, np.float32) for v in (0.1, 0.2, 0.3, 0.4)]
    out2 = layer(x, initial_state=states)[0]
    fw = layer.forward_layer(x, initial_state=states[:2])[0]
    np.testing.assert_allclose(out2.data[:, :2], fw.data)
    with pytest.raises(ValueError, match="different `go_backwards`"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match="same `return_sequences`"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(
            2, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match="merge_mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")


def test_time_distributed_matches_each_step_and_passes_gradients():
    dense = layers.Dense(4, dtype="float64")
    layer = layers.TimeDistributed(dense, dtype="float64")
    x = seq()
    out = layer(x)
    for t in range(x.shape[1]):
        np.testing.assert_allclose(out.data[:, t], dense(x[:, t]).data, rtol=1e-12)
    check_layer_gradients(layer, x)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        layers.TimeDistributed(layers.Dense(2))(np.ones((2, 3), np.float32))


# -- generic cells, dropout, stateful ---------------------------------------------------


class MinimalRNNCell(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        output = dg.ops.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
        return output, [output]


def test_user_cell_runs_step_by_step_with_masks_and_gradients():
    layer = layers.RNN(MinimalRNNCell(3, dtype="float64"), return_sequences=True,
                       go_backwards=True, dtype="float64")
    x = seq()
    check_layer_gradients(layer, x, call={"mask": MASK})
    same = layers.SimpleRNN(3, use_bias=False, return_sequences=True, go_backwards=True,
                            dtype="float64")
    same.build(x.shape)
    same.set_weights(layer.get_weights())
    np.testing.assert_allclose(layer(x, mask=MASK).data, same(x, mask=MASK).data, rtol=1e-12)


def test_dropout_masks_are_fixed_over_steps_and_off_in_inference():
    x = np.ones((4, 6, 3), np.float32)
    layer = layers.SimpleRNN(5, dropout=0.5, recurrent_dropout=0.3, seed=1,
                             return_sequences=True)
    plain = layers.SimpleRNN(5, return_sequences=True)
    plain.build(x.shape)
    layer.build(x.shape)
    plain.set_weights(layer.get_weights())
    np.testing.assert_array_equal(layer(x, training=False).data, plain(x).data)
    assert not np.allclose(layer(x, training=True).data, plain(x).data)
    lstm = layers.LSTM(5, dropout=0.5, seed=2)  # fused path with an input mask
    lstm(x, training=True).sum().backward()
    grad = lstm.cell.kernel.grad
    assert grad is not None and np.isfinite(grad).all() and np.count_nonzero(grad) > grad.size // 2


def test_stateful_carries_states_and_resets():
    x = seq(b=2, t=6, f=3, dtype=np.float32)
    layer = layers.LSTM(4, stateful=True, return_sequences=True)
    whole = layers.LSTM(4, return_sequences=True)
    whole.build(x.shape)
    layer.build(x.shape)
    whole.set_weights(layer.get_weights())
    first = layer(x[:, :3]).data
    second = layer(x[:, 3:]).data
    np.testing.assert_allclose(np.concatenate([first, second], 1), whole(x).data, atol=1e-6)
    layer.reset_states()
    np.testing.assert_allclose(layer(x[:, :3]).data, first)
    layer.reset_states([np.ones((2, 4)), np.zeros((2, 4))])
    assert not np.allclose(layer(x[:, :3]).data, first)
    with pytest.raises(ValueError, match="keeps states for batches of 2, but got a batch of 3"):
        layer(seq(b=3, t=2, f=3, dtype=np.float32))
    with pytest.raises(ValueError, match="stateful=True needs a fixed batch size"):
        dg.Sequential([dg.Input(shape=(5, 3)), layers.LSTM(2, stateful=True)])
    with pytest.raises(AttributeError, match="stateful layer only"):
        layers.LSTM(2).reset_states()
    model = dg.Sequential([dg.Input(shape=(5, 3), batch_size=2), layers.GRU(2, stateful=True)])
    assert model.output_shape == (2, 2)


# -- configs and bad input -------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(3, return_sequences=True, dropout=0.1, unit_forget_bias=False),
    lambda: layers.GRU(3, reset_after=False, go_backwards=True, kernel_regularizer="l2"),
    lambda: layers.SimpleRNN(3, activation="relu", return_state=True),
    lambda: layers.RNN([layers.LSTMCell(2), layers.GRUCell(3)], return_sequences=True),
    lambda: layers.Bidirectional(layers.LSTM(2, return_sequences=True), merge_mode="sum"),
    lambda: layers.TimeDistributed(layers.Dense(2)),
])
def test_config_round_trip_gives_the_same_layer_and_outputs(make):
    layer = make()
    x = seq(b=2, t=4, f=3, dtype=np.float32)
    out = layer(x)
    twin = type(layer).from_config(layer.get_config())
    twin(x)
    assert twin.get_config() == layer.get_config()
    twin.set_weights(layer.get_weights())
    for a, b in zip(out if isinstance(out, list) else [out],
                    twin(x) if isinstance(out, list) else [twin(x)], strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-6)


def test_lstm_properties_come_from_its_cell():
    layer = layers.LSTM(7, dropout=0.25, recurrent_activation="hard_sigmoid")
    assert (layer.units, layer.dropout) == (7, 0.25)
    assert layer.recurrent_activation is dg.activations.hard_sigmoid
    assert layers.GRU(2).reset_after is True


def test_bad_input_errors_name_the_layer_expected_and_given():
    layer = layers.LSTM(4, name="lstm_a")
    with pytest.raises(ValueError, match=r"LSTM 'lstm_a': expected a 3-D input \(batch, "
                                         r"timesteps, features\). Received: shape \(32, 8\)"):
        layer(np.ones((32, 8), np.float32))
    layer(np.ones((2, 5, 8), np.float32))
    with pytest.raises(ValueError, match=r"LSTM 'lstm_a': the layer was built for 8 features "
                                         r"per step, but got inputs of shape \(2, 5, 6\)"):
        layer(np.ones((2, 5, 6), np.float32))
    with pytest.raises(ValueError, match=r"`initial_state` must hold 2 states"):
        layer(np.ones((2, 5, 8), np.float32), initial_state=[np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"each initial state must have shape \(2, 4\)"):
        layer(np.ones((2, 5, 8), np.float32), initial_state=[np.zeros((2, 3))] * 2)
    with pytest.raises(ValueError, match="`units` must be a positive int"):
        layers.GRU(0)
    with pytest.raises(ValueError, match=r"`dropout` must be a float in \[0, 1\)"):
        layers.LSTM(2, dropout=1.5)
    with pytest.raises(ValueError, match="must have a `state_size`"):
        layers.RNN(layers.Dense(3))


@pytest.mark.parametrize("name,make", LAYERS[:3], ids=[n for n, _ in LAYERS[:3]])
def test_dropout_in_the_fused_loop_matches_the_cell_step_by_step(name, make, monkeypatch):
    """Training with dropout and recurrent_dropout: the fused op and the cell's own step
    draw the same masks from the same seed, and give the same outputs and gradients."""
    x = seq()

    def run():
        layer = make(dropout=0.3, recurrent_dropout=0.4, seed=5, return_sequences=True)
        layer.build(x.shape)
        layer.set_weights([np.random.default_rng(9).normal(size=w.shape) * 0.5
                           for w in layer.get_weights()])
        xt = Tensor(x, requires_grad=True)
        out = layer(xt, mask=MASK, training=True)
        grads = grad((out * Tensor(np.random.default_rng(2).normal(size=out.shape))).sum(),
                     [xt] + layer.trainable_weights)
        return [out.data] + grads

    fused = run()
    monkeypatch.setattr(RecurrentCell, "can_fuse", lambda self, training: False)
    for a, b in zip(fused, run()):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_encoder_states_feed_a_decoder_in_a_functional_model(tmp_path):
    """Keras's sequence-to-sequence pattern: ``initial_state=`` given KerasTensors makes
    them inputs of the call, filled at run time; gradients reach the encoder, and the model
    saves and loads."""
    encoder_inputs = dg.Input(shape=(None, 3))
    encoder = layers.LSTM(4, return_state=True)
    _, h, c = encoder(encoder_inputs)
    decoder_inputs = dg.Input(shape=(None, 2))
    decoder = layers.LSTM(4, return_sequences=True)
    outputs = layers.Dense(2)(decoder(decoder_inputs, initial_state=[h, c]))
    model = dg.Model([encoder_inputs, decoder_inputs], outputs)
    a, b = seq(b=2, t=5, f=3, dtype=np.float32), seq(b=2, t=4, f=2, dtype=np.float32)
    _, eh, ec = encoder(a)
    eager = model.layers[-1](decoder(b, initial_state=[eh, ec]))
    np.testing.assert_allclose(model.predict([a, b], verbose=0), eager.data, rtol=1e-6)
    out = model([a, b], training=True)
    (g,) = grad(out.sum(), [encoder.cell.kernel])
    assert np.abs(g).sum() > 0
    model.save(tmp_path / "s2s.deepgrad")
    again = dg.saving.load_model(tmp_path / "s2s.deepgrad")
    np.testing.assert_allclose(again.predict([a, b], verbose=0), eager.data, rtol=1e-6)
