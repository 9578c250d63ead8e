"""The LSTM's inference loop (``kernels/recurrent_infer.py``): taken only when no gradient
is wanted and no step is padding, and equal to the loop that keeps the backward's arrays
(``LSTMColumnsRun``, itself tested against the reference step in test_recurrent_ops.py)."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.ops import recurrent_columns, recurrent_infer, recurrent_runs
from deepgrad.ops.recurrent import bidirectional, lstm
from deepgrad.tensor import Tensor

rng = np.random.default_rng(3)


def inputs(batch=40, steps=6, features=3, units=4, dtype=np.float64):
    arrays = [rng.normal(size=(batch, steps, features)), rng.normal(size=(batch, units)) * 0.5,
              rng.normal(size=(batch, units)) * 0.5, rng.normal(size=(features, 4 * units)),
              rng.normal(size=(units, 4 * units)) * 0.5, rng.normal(size=(4 * units,))]
    return [a.astype(dtype) for a in arrays]


def run_both(arrays, **flags):
    """The op's outputs without gradients (the inference loop) and with them."""
    with dg.no_grad():
        infer = lstm(*arrays, **flags)
    train = lstm(*[Tensor(a, requires_grad=True) for a in arrays], **flags)
    return [t.data for t in infer], [t.data for t in train]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("go_backwards", [False, True], ids=["forwards", "backwards"])
@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "sequences"])
@pytest.mark.parametrize("dropout", [False, True], ids=["plain", "dropout"])
def test_inference_loop_equals_the_training_loop(bias, go_backwards, return_sequences,
                                                 dropout):
    """Float64, a batch of 40 (split over the threads where there are several)."""
    arrays = inputs()
    if not bias:
        arrays = arrays[:5]
    recurrent_mask = (rng.uniform(size=(40, 4)) > 0.3) / 0.7 if dropout else None
    infer, train = run_both(arrays, go_backwards=go_backwards,
                            return_sequences=return_sequences, recurrent_mask=recurrent_mask)
    assert [a.shape for a in infer] == [a.shape for a in train]
    for a, b in zip(infer, train, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_float32_stays_float32_and_agrees_to_rounding():
    """The gates' rows come in another order, and OpenBLAS may round a row of the step's
    product differently at another place in the matrix: the last bits may differ."""
    infer, train = run_both(inputs(batch=64, steps=7, features=5, units=16,
                                   dtype=np.float32), return_sequences=True)
    assert all(a.dtype == np.float32 for a in infer)
    for a, b in zip(infer, train, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_the_run_is_chosen_by_gradients_and_padding():
    x, h0, c0, k, rk, b = inputs(batch=3, steps=4)
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 1, 1]], bool)
    pick = recurrent_columns.lstm_run
    assert type(pick(x, h0, c0, k, rk, b)) is recurrent_infer.LSTMInferRun
    assert type(pick(x, h0, c0, k, rk, b, mask=np.ones((3, 4), bool))) is (
        recurrent_infer.LSTMInferRun)
    assert type(pick(x, h0, c0, k, rk, b, mask=mask)) is recurrent_runs.LSTMRun
    wanted = Tensor(k, requires_grad=True)
    assert type(pick(x, h0, c0, wanted, rk, b)) is recurrent_columns.LSTMColumnsRun
    with dg.no_grad():
        assert type(pick(x, h0, c0, wanted, rk, b)) is recurrent_infer.LSTMInferRun


def test_bidirectional_without_gradients_runs_both_directions():
    arrays, backward = inputs(), inputs()[1:]
    names = ["h0", "c0", "kernel", "recurrent_kernel", "bias"]
    f = dict(zip(names, arrays[1:]), x=arrays[0], return_sequences=True)
    b = dict(zip(names, backward), x=arrays[0], go_backwards=True, return_sequences=True)
    with dg.no_grad():
        both = [t.data for t in bidirectional("lstm", f, b)]
    separate = [t.data for t in lstm(*arrays, return_sequences=True)
                + lstm(arrays[0], *backward, go_backwards=True, return_sequences=True)]
    for a, c in zip(both, separate, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


def test_bad_recurrent_mask_names_both_shapes():
    x, h0, c0, k, rk, b = inputs(batch=3, steps=4)
    with pytest.raises(ValueError, match=r"states' shape \(3, 4\). Received: \(3, 5\)"):
        lstm(x, h0, c0, k, rk, b, recurrent_mask=np.ones((3, 5)))


@pytest.mark.parametrize("flags", [
    dict(stateful=True, return_sequences=True),
    dict(stateful=True, go_backwards=True, return_state=True, recurrent_dropout=0.5),
    dict(go_backwards=True, return_sequences=True, return_state=True, use_bias=False,
         unit_forget_bias=False),
], ids=["stateful", "stateful_backwards_dropout", "initial_state_no_bias"])
@pytest.mark.parametrize("batch, steps", [(1, 1), (3, 4)])
def test_a_layer_predicts_as_its_calls_with_gradients(flags, batch, steps):
    """``predict`` (the inference loop) against the same model called with gradients on
    (the training loop), float64: states carried across two calls of a stateful layer,
    initial states given, a recurrent dropout that inference ignores, a batch of one and
    one step."""
    dg.utils.set_random_seed(0)
    stateful = flags.get("stateful", False)
    x_in = dg.Input(batch_shape=(batch, steps, 3), dtype="float64")
    ins = [x_in] if stateful else [x_in, dg.Input((4,), dtype="float64"),
                                   dg.Input((4,), dtype="float64")]
    layer = dg.layers.LSTM(4, dtype="float64", **flags)
    model = dg.Model(ins, layer(x_in) if stateful else layer(x_in, initial_state=ins[1:]))
    data = [rng.normal(size=(batch, steps, 3))] + (
        [] if stateful else [rng.normal(size=(batch, 4)) for _ in range(2)])
    data = data[0] if stateful else data
    runs = []
    for predict in (True, False):
        if stateful:
            layer.reset_states()
        outs = []
        for _ in range(2 if stateful else 1):
            out = (model.predict(data, batch_size=batch, verbose=0) if predict
                   else model(data, training=False))
            outs += [np.asarray(getattr(o, "data", o)) for o in
                     (out if isinstance(out, (list, tuple)) else [out])]
        runs.append(outs)
    for a, b in zip(*runs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
