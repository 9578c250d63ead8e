"""SimpleRNN, LSTM, GRU and Bidirectional in ONNX Runtime: the same numbers as predict, for
every output form (sequences, last step, states), backwards, initial states given as model
inputs, and Keras's two GRU bias layouts."""

import numpy as np
import pytest

import deepgrad as dg

L = dg.layers


def randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        weight.assign(rng.normal(0.0, 0.5, tuple(weight.shape)).astype(weight.dtype))
    return model


def seq(*layers, shape=(6, 3)):
    return randomize(dg.Sequential([L.Input(shape), *layers]))


CASES = {
    "simple_rnn": lambda: seq(L.SimpleRNN(4)),
    "simple_rnn_relu_sequences": lambda: seq(L.SimpleRNN(4, activation="relu",
                                                         return_sequences=True)),
    "lstm": lambda: seq(L.LSTM(5)),
    "lstm_sequences_backwards": lambda: seq(L.LSTM(5, return_sequences=True, go_backwards=True)),
    "lstm_no_bias_sigmoid": lambda: seq(L.LSTM(3, use_bias=False, activation="sigmoid")),
    "gru_reset_after": lambda: seq(L.GRU(4, return_sequences=True)),
    "gru_reset_before": lambda: seq(L.GRU(4, reset_after=False)),
    "gru_backwards_relu": lambda: seq(L.GRU(4, go_backwards=True, activation="relu")),
    "stacked": lambda: seq(L.LSTM(4, return_sequences=True), L.GRU(3), L.Dense(2)),
    "rnn_with_cell": lambda: seq(L.RNN(L.LSTMCell(4), return_sequences=True)),
    **{f"bidirectional_{mode}": (lambda mode=mode: seq(L.Bidirectional(
        L.LSTM(4, return_sequences=True), merge_mode=mode)))
       for mode in ("concat", "sum", "ave", "mul")},
    "bidirectional_gru_last": lambda: seq(L.Bidirectional(L.GRU(3))),
    "bidirectional_none": lambda: seq(L.Bidirectional(L.SimpleRNN(3), merge_mode=None)),
    "embedding_lstm": lambda: seq(L.Embedding(20, 4), L.LSTM(3), shape=(7,)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_recurrent_exports(case, onnx_check, onnx_inputs):
    if case == "embedding_lstm":
        onnx_check(CASES[case](), lambda m, n: onnx_inputs(m, n, integers=20))
    else:
        onnx_check(CASES[case]())


def test_return_state_and_initial_state(onnx_check):
    encoder_in = L.Input((5, 3))
    _, h, c = L.LSTM(4, return_state=True)(encoder_in)
    decoder_in = L.Input((6, 2))
    out, h2, c2 = L.LSTM(4, return_sequences=True, return_state=True)(
        decoder_in, initial_state=[h, c])
    model = randomize(dg.Model([encoder_in, decoder_in], [out, h2, c2]))
    onnx_check(model)


def test_bidirectional_states(onnx_check):
    x = L.Input((5, 3))
    outputs = L.Bidirectional(L.GRU(3, return_state=True))(x)
    onnx_check(randomize(dg.Model(x, outputs)))


def _padded_ids(model, n):
    """Token ids with zeros (padding) before and after the real ones, and one sequence that
    is all padding (a zero between ids warns; test_masking_layer_mask_is_carried has one)."""
    rng = np.random.default_rng(n)
    ids = rng.integers(1, 20, (n, 7)).astype("float32")
    ids[:, :2] = 0  # pre-padding (pad_sequences' default)
    if n > 1:
        ids[1, 5:] = 0  # post-padding
        ids[-1] = 0  # nothing real
    return [ids]


MASKED = {
    "lstm_last": lambda: [L.LSTM(3)],
    "gru_sequences_then_lstm": lambda: [L.GRU(4, return_sequences=True), L.LSTM(3)],
    "simple_rnn_backwards_sequences": lambda: [L.SimpleRNN(3, return_sequences=True,
                                                           go_backwards=True)],
    "lstm_zero_output": lambda: [L.LSTM(3, return_sequences=True, zero_output_for_mask=True)],
    "bidirectional_sequences": lambda: [L.Bidirectional(L.LSTM(3, return_sequences=True))],
    "bidirectional_last": lambda: [L.Bidirectional(L.GRU(3), merge_mode="sum")],
    "dropout_then_average_pooling": lambda: [L.Dropout(0.5), L.GlobalAveragePooling1D()],
    "lstm_then_max_pooling": lambda: [L.LSTM(3, return_sequences=True),
                                      L.GlobalMaxPooling1D()],
}


@pytest.mark.parametrize("case", sorted(MASKED))
def test_masks_are_carried(case, onnx_check):
    """Keras's masks from Embedding(mask_zero=True): each sequence's real steps are moved
    to the front for ONNX's op (sequence_lens), outputs spread back over the steps."""
    model = seq(L.Embedding(20, 4, mask_zero=True), *MASKED[case](), shape=(7,))
    onnx_check(model, _padded_ids)


def test_masking_layer_mask_is_carried(onnx_check):
    def inputs(model, n):
        x = np.random.default_rng(n).normal(size=(n, 6, 3)).astype("float32")
        x[:, :2] = 0.0
        x[-1, 4] = 0.0
        return [x]

    onnx_check(seq(L.Masking(), L.LSTM(3), shape=(6, 3)), inputs)


def test_mask_into_a_layer_without_a_mask_rule_is_refused():
    model = seq(L.Embedding(20, 4, mask_zero=True), L.Softmax(axis=1), shape=(7,))
    with pytest.raises(dg.export.ExportError, match="receives a mask"):
        dg.export.onnx_model(model)


def test_stateful_and_other_activations_are_refused():
    stateful = randomize(dg.Sequential([L.Input((4, 2), batch_size=2), L.LSTM(3, stateful=True)]))
    with pytest.raises(dg.export.ExportError, match="stateful=True"):
        dg.export.onnx_model(stateful)
    with pytest.raises(dg.export.ExportError, match="'gelu' has no ONNX recurrent form"):
        dg.export.onnx_model(seq(L.SimpleRNN(3, activation="gelu")))
