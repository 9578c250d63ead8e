"""The fused recurrent ops (lstm, gru, simple_rnn): forward against a plain NumPy loop of
the cell's formula, backward against central finite differences in float64, through
whole sequences with masks, go_backwards, initial states and every output."""

import itertools

import numpy as np
import pytest

from deepgrad import ops
from deepgrad.ops.recurrent import gru, lstm, multi_result, simple_rnn, unstack_steps
from deepgrad.tensor import Tensor
from deepgrad.utils import gradient_check

B, T, F, U = 3, 5, 2, 3
rng = np.random.default_rng(0)
# Gaps inside a sequence: the loops apply the mask step by step.
MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [0, 0, 1, 0, 1]], bool)
# Padding only after (or only before) each sequence, one sequence empty: the loops pack
# the rows (kernels.recurrent.Schedule) and run only those still running.
POST = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], bool)
PRE = POST[:, ::-1].copy()


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def run_reference(step, x, states, mask, go_backwards, return_sequences, zero_output):
    """Keras's loop: masked steps keep the states; outputs repeat (or zero) there."""
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    outputs, previous = [], np.zeros_like(states[0])
    for t in order:
        out, new = step(x[:, t], states)
        if mask is not None:
            m = mask[:, t][:, None]
            new = [np.where(m, n, s) for n, s in zip(new, states)]
            out = np.where(m, out, 0 if zero_output else previous)
        states, previous = new, out
        outputs.append(out)
    output = np.stack(outputs, axis=1) if return_sequences else outputs[-1]
    return [output, *states]


def lstm_step(k, rk, b):
    def step(x, states):
        h, c = states
        z = x @ k + h @ rk + b
        i, f, g, o = np.split(z, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        return h, [h, c]

    return step


def gru_step(k, rk, b):
    def step(x, states):
        (h,) = states
        xz, xr, xh = np.split(x @ k + b[0], 3, axis=1)
        rz, rr, rh = np.split(h @ rk + b[1], 3, axis=1)
        z, r = sigmoid(xz + rz), sigmoid(xr + rr)
        h = z * h + (1 - z) * np.tanh(xh + r * rh)
        return h, [h]

    return step


def rnn_step(k, rk, b, activation):
    fn = {"tanh": np.tanh, "sigmoid": sigmoid, "relu": lambda z: np.maximum(z, 0),
          "linear": lambda z: z}[activation]

    def step(x, states):
        h = fn(x @ k + states[0] @ rk + b)
        return h, [h]

    return step


MASKS = {"nomask": None, "gaps": MASK, "post": POST, "pre": PRE}
CASES = list(itertools.product(MASKS, [False, True], [False, True]))
CASE_IDS = [f"{m}-{'back' if g else 'fwd'}-{'seq' if s else 'last'}" for m, g, s in CASES]
CASES = [(MASKS[m], g, s) for m, g, s in CASES]


def lstm_inputs():
    return [rng.normal(size=(B, T, F)), rng.normal(size=(B, U)) * 0.5,
            rng.normal(size=(B, U)) * 0.5, rng.normal(size=(F, 4 * U)),
            rng.normal(size=(U, 4 * U)) * 0.5, rng.normal(size=(4 * U,))]


def gru_inputs():
    return [rng.normal(size=(B, T, F)), rng.normal(size=(B, U)) * 0.5,
            rng.normal(size=(F, 3 * U)), rng.normal(size=(U, 3 * U)) * 0.5,
            rng.normal(size=(2, 3 * U))]


def rnn_inputs():
    return [rng.normal(size=(B, T, F)), rng.normal(size=(B, U)) * 0.5,
            rng.normal(size=(F, U)), rng.normal(size=(U, U)) * 0.5, rng.normal(size=(U,))]


def all_outputs(results):
    """One tensor holding every output of an op, so each one's gradient is checked."""
    return ops.concatenate([ops.reshape(r, (-1,)) for r in results], axis=0)


@pytest.mark.parametrize("mask,go_backwards,return_sequences", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("zero_output", [False, True])
def test_lstm_forward_and_gradients(mask, go_backwards, return_sequences, zero_output):
    inputs = lstm_inputs()
    flags = dict(mask=mask, go_backwards=go_backwards, return_sequences=return_sequences,
                 zero_output_for_mask=zero_output)
    got = lstm(*[Tensor(a) for a in inputs], **flags)
    x, h0, c0, k, rk, b = inputs
    want = run_reference(lstm_step(k, rk, b), x, [h0, c0], mask, go_backwards,
                         return_sequences, zero_output)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g.data, w, rtol=1e-12, atol=1e-12)
    assert gradient_check(lambda *t: all_outputs(lstm(*t, **flags)), inputs,
                          atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("mask,go_backwards,return_sequences", CASES, ids=CASE_IDS)
def test_gru_forward_and_gradients(mask, go_backwards, return_sequences):
    inputs = gru_inputs()
    flags = dict(mask=mask, go_backwards=go_backwards, return_sequences=return_sequences)
    got = gru(*[Tensor(a) for a in inputs], **flags)
    x, h0, k, rk, b = inputs
    want = run_reference(gru_step(k, rk, b), x, [h0], mask, go_backwards,
                         return_sequences, False)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g.data, w, rtol=1e-12, atol=1e-12)
    assert gradient_check(lambda *t: all_outputs(gru(*t, **flags)), inputs,
                          atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("mask,go_backwards,return_sequences", CASES[::3], ids=CASE_IDS[::3])
def test_simple_rnn_forward_and_gradients(activation, mask, go_backwards, return_sequences):
    inputs = rnn_inputs()
    flags = dict(mask=mask, go_backwards=go_backwards, return_sequences=return_sequences)
    got = simple_rnn(*[Tensor(a) for a in inputs], activation=activation, **flags)
    x, h0, k, rk, b = inputs
    want = run_reference(rnn_step(k, rk, b, activation), x, [h0], mask, go_backwards,
                         return_sequences, False)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g.data, w, rtol=1e-12, atol=1e-12)
    assert gradient_check(
        lambda *t: all_outputs(simple_rnn(*t, activation=activation, **flags)), inputs,
        atol=1e-7, rtol=1e-6)


def test_ops_without_bias_and_with_one_output_used():
    x, h0, c0, k, rk, _ = lstm_inputs()
    assert gradient_check(lambda *t: lstm(*t, mask=MASK)[2], [x, h0, c0, k, rk],
                          atol=1e-7, rtol=1e-6)
    x, h0, k, rk, _ = gru_inputs()
    assert gradient_check(lambda *t: gru(*t)[0], [x, h0, k, rk], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("padded", [False, True], ids=["full", "packed"])
def test_float32_stays_float32_and_batch_split_matches_one_thread(monkeypatch, padded):
    """A batch large enough to split over threads gives the numbers of a single pass up to
    the last bits (each run on one machine is bit-identical): with packed padding the rows
    are summed in another order in the weight gradients, and without padding the step's
    product (``kernels/recurrent_columns.py``: batch columns) has another width, which
    OpenBLAS may round differently."""
    from deepgrad.kernels import recurrent as loops

    x = rng.normal(size=(40, 6, 3)).astype(np.float32)
    h0 = np.zeros((40, 4), np.float32)
    k = rng.normal(size=(3, 16)).astype(np.float32)
    rk = rng.normal(size=(4, 16)).astype(np.float32)
    mask = (np.arange(6) < rng.integers(0, 7, size=(40, 1))) if padded else None

    def run():
        kt, rkt = Tensor(k, requires_grad=True), Tensor(rk, requires_grad=True)
        xt = Tensor(x, requires_grad=True)
        out, h, c = lstm(xt, h0, h0, kt, rkt, mask=mask, return_sequences=True)
        (out.sum() + c.sum()).backward()
        return out.data, xt.grad, kt.grad, rkt.grad

    split = run()
    for a, b in zip(split, run(), strict=True):
        np.testing.assert_array_equal(a, b)
    monkeypatch.setattr(loops, "split_batch", lambda batch, threads=None: [slice(0, batch)])
    whole = run()
    assert all(a.dtype == np.float32 for a in split)
    for a, b in zip(split, whole, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_multi_result_and_unstack_steps_gradients():
    assert gradient_check(lambda x: ops.stack(unstack_steps(x)[::2], axis=1),
                          [rng.normal(size=(2, 5, 3))])
    a = Tensor([1.0, 2.0], requires_grad=True)
    first, _ = multi_result([a.data * 2, a.data * 3], (a,),
                            lambda g: ((g[0] * 2 if g[0] is not None else 0)
                                       + (g[1] * 3 if g[1] is not None else 0),))
    first.sum().backward()
    np.testing.assert_array_equal(a.grad, [2.0, 2.0])


def test_bad_shapes_name_the_op_and_both_shapes():
    x, h0, c0, k, rk, b = lstm_inputs()
    with pytest.raises(ValueError, match=r"lstm: expected a 3-D input .* Received: shape \(3, 5\)"):
        lstm(x[:, :, 0], h0, c0, k, rk, b)
    with pytest.raises(ValueError, match=r"lstm: expected kernel \(2, 12\)"):
        lstm(x, h0, c0, k[:, :8], rk, b)
    with pytest.raises(ValueError, match=r"initial states of shape \(3, 3\)"):
        lstm(x, h0[:2], c0, k, rk, b)
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, steps\)"):
        lstm(x, h0, c0, k, rk, b, mask=MASK[:, :2])
    with pytest.raises(ValueError, match="simple_rnn: `activation` must be one of"):
        simple_rnn(x, h0, k[:, :3], rk[:, :3], activation="elu")


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
@pytest.mark.parametrize("mask", [None, POST, MASK], ids=["nomask", "post", "gaps"])
def test_bidirectional_op_is_the_two_directions(kind, mask):
    """Both directions in one op (loops side by side) give each direction's own op's
    outputs and gradients; the shared input gets both directions' gradients."""
    from deepgrad.ops.recurrent import bidirectional

    make = {"lstm": lstm_inputs, "gru": gru_inputs, "simple_rnn": rnn_inputs}[kind]
    op = {"lstm": lstm, "gru": gru, "simple_rnn": simple_rnn}[kind]
    x, *forward = make()
    backward = make()[1:]
    names = {"lstm": ["h0", "c0", "kernel", "recurrent_kernel", "bias"],
             "gru": ["h0", "kernel", "recurrent_kernel", "bias"],
             "simple_rnn": ["h0", "kernel", "recurrent_kernel", "bias"]}[kind]
    flags = dict(mask=mask, return_sequences=True)

    def both(x, *weights):
        half = len(weights) // 2
        f = dict(zip(names, weights[:half]), x=x, **flags)
        b = dict(zip(names, weights[half:]), x=x, go_backwards=True, **flags)
        return all_outputs(bidirectional(kind, f, b))

    def separate(x, *weights):
        half = len(weights) // 2
        return all_outputs(op(x, *weights[:half], **flags)
                           + op(x, *weights[half:], go_backwards=True, **flags))

    inputs = [x, *forward, *backward]
    np.testing.assert_allclose(both(*[Tensor(a) for a in inputs]).data,
                               separate(*[Tensor(a) for a in inputs]).data, rtol=1e-12)
    assert gradient_check(both, inputs, atol=1e-7, rtol=1e-6)


def dropped_step(kind, weights, recurrent_mask):
    """A reference step whose state enters the recurrent products times the mask; the
    LSTM's carry and the GRU's mix ``z * h`` use the state itself."""
    k, rk, b = weights

    def step(x, states):
        h = states[0]
        if kind == "gru":
            xz, xr, xh = np.split(x @ k + b[0], 3, axis=1)
            rz, rr, rh = np.split((h * recurrent_mask) @ rk + b[1], 3, axis=1)
            z, r = sigmoid(xz + rz), sigmoid(xr + rr)
            h = z * h + (1 - z) * np.tanh(xh + r * rh)
            return h, [h]
        z = x @ k + (h * recurrent_mask) @ rk + b
        if kind == "simple_rnn":
            return np.tanh(z), [np.tanh(z)]
        i, f, g, o = np.split(z, 4, axis=1)
        c = sigmoid(f) * states[1] + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        return h, [h, c]

    return step


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
@pytest.mark.parametrize("mask", [None, POST, MASK], ids=["nomask", "post", "gaps"])
def test_recurrent_dropout_mask_forward_and_gradients(kind, mask):
    make, op, states = {"lstm": (lstm_inputs, lstm, 2), "gru": (gru_inputs, gru, 1),
                        "simple_rnn": (rnn_inputs, simple_rnn, 1)}[kind]
    inputs = make()
    dropped = (rng.uniform(size=(B, U)) > 0.3) / 0.7
    flags = dict(mask=mask, go_backwards=True, return_sequences=True, recurrent_mask=dropped)
    got = op(*[Tensor(a) for a in inputs], **flags)
    x, init, weights = inputs[0], inputs[1 : 1 + states], inputs[1 + states :]
    want = run_reference(dropped_step(kind, weights, dropped), x, list(init), mask, True,
                         True, False)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.data, w, rtol=1e-12, atol=1e-12)
    assert gradient_check(lambda *t: all_outputs(op(*t, **flags)), inputs, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("dropout", [False, True], ids=["plain", "dropout"])
def test_fast_path_matches_the_row_loop(monkeypatch, kind, bias, dropout):
    """Unpadded sequences take ``kernels/recurrent_columns.py`` (the batch on the last
    axis); the row loop of ``kernels/recurrent.py`` gives the same outputs and gradients,
    with the batch split over threads (40 rows) and the sequence run backwards."""
    from deepgrad.ops import recurrent_columns, recurrent_runs

    gates, states = (4, 2) if kind == "lstm" else (3, 1)
    x = rng.normal(size=(40, 6, 3))
    init = [rng.normal(size=(40, 4)) * 0.5 for _ in range(states)]
    weights = [rng.normal(size=(3, 4 * gates)), rng.normal(size=(4, 4 * gates)) * 0.5]
    if bias:
        weights.append(rng.normal(size=(4 * gates,) if kind == "lstm" else (2, 4 * gates)))
    recurrent_mask = (rng.uniform(size=(40, 4)) > 0.3) / 0.7 if dropout else None
    op = lstm if kind == "lstm" else gru

    def run():
        tensors = [Tensor(a, requires_grad=True) for a in [x, *init, *weights]]
        out, *final = op(*tensors, go_backwards=True, return_sequences=True,
                         recurrent_mask=recurrent_mask)
        (out * np.linspace(-1, 1, out.size).reshape(out.shape)).sum().backward()
        sum((s * (2 + k)).sum() for k, s in enumerate(final)).backward()
        return [out.data] + [s.data for s in final] + [t.grad for t in tensors]

    fast = run()
    monkeypatch.setattr(recurrent_columns, "LSTMColumnsRun", recurrent_runs.LSTMRun)
    monkeypatch.setattr(recurrent_columns, "GRUColumnsRun", recurrent_runs.GRURun)
    rows = run()
    for a, b in zip(fast, rows, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_lstm_fast_path_reuses_its_gradient_buffer_only_after_the_backward():
    """The gate gradients' buffer goes back to the pool after the backward; a graph run
    backward twice gives the same gradients."""
    x, h0, c0, k, rk, b = [Tensor(a, requires_grad=True) for a in lstm_inputs()]
    out, _, _ = lstm(x, h0, c0, k, rk, b)
    out.sum().backward()
    first = [t.grad.copy() for t in (x, k, rk, b)]
    for t in (x, k, rk, b):
        t.grad = None
    lstm(x, h0, c0, k * 2, rk, b)[0].sum().backward()  # takes the pooled buffer
    for t in (x, k, rk, b):
        t.grad = None
    out.sum().backward()
    for g, t in zip(first, (x, k, rk, b), strict=True):
        np.testing.assert_array_equal(g, t.grad)
