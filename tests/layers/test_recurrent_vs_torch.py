"""LSTM, GRU (reset_after=True) and SimpleRNN against PyTorch's nn.LSTM, nn.GRU and nn.RNN
on identical weights: outputs, final states, input and weight gradients, both directions
(``go_backwards`` and ``Bidirectional``). float64 (tolerance 1e-10) and float32 (1e-5)."""

import numpy as np
import pytest

from deepgrad import layers
from deepgrad.tensor import Tensor, grad

torch = pytest.importorskip("torch", reason="PyTorch is the reference here (the test extra)")

B, T, F, U = 4, 6, 3, 5


def keras_gru(array, units):
    """PyTorch's GRU gates r, z, n in Keras's order z, r, h (last axis)."""
    r, z, n = np.split(array, 3, axis=-1)
    return np.concatenate([z, r, n], axis=-1)


def torch_module(kind, dtype, bidirectional=False):
    torch.manual_seed(0)
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "simple_rnn": torch.nn.RNN}[kind]
    return cls(F, U, batch_first=True, bidirectional=bidirectional).to(dtype)


def keras_weights(module, kind, suffix=""):
    """deepgrad/Keras weights [kernel, recurrent_kernel, bias] from a PyTorch module."""
    w_ih = getattr(module, f"weight_ih_l0{suffix}").detach().numpy().T
    w_hh = getattr(module, f"weight_hh_l0{suffix}").detach().numpy().T
    b_ih = getattr(module, f"bias_ih_l0{suffix}").detach().numpy()
    b_hh = getattr(module, f"bias_hh_l0{suffix}").detach().numpy()
    if kind == "gru":
        return [keras_gru(w_ih, U), keras_gru(w_hh, U),
                np.stack([keras_gru(b_ih, U), keras_gru(b_hh, U)])]
    return [w_ih, w_hh, b_ih + b_hh]


def torch_weight_grads(module, kind, suffix=""):
    g_ih = getattr(module, f"weight_ih_l0{suffix}").grad.numpy().T
    g_hh = getattr(module, f"weight_hh_l0{suffix}").grad.numpy().T
    gb_ih = getattr(module, f"bias_ih_l0{suffix}").grad.numpy()
    gb_hh = getattr(module, f"bias_hh_l0{suffix}").grad.numpy()
    if kind == "gru":
        return [keras_gru(g_ih, U), keras_gru(g_hh, U),
                np.stack([keras_gru(gb_ih, U), keras_gru(gb_hh, U)])]
    return [g_ih, g_hh, gb_ih]  # the summed bias gets each bias's gradient


LAYER = {"lstm": layers.LSTM, "gru": layers.GRU, "simple_rnn": layers.SimpleRNN}
PRECISION = [("float64", torch.float64, 1e-10), ("float32", torch.float32, 2e-5)]


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("dtype,torch_dtype,tol", PRECISION, ids=["f64", "f32"])
def test_layer_matches_torch(kind, go_backwards, dtype, torch_dtype, tol):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(B, T, F)).astype(dtype)
    states = [rng.normal(size=(B, U)).astype(dtype) for _ in range(2 if kind == "lstm" else 1)]
    module = torch_module(kind, torch_dtype)
    xt = torch.tensor(x[:, ::-1].copy() if go_backwards else x, requires_grad=True)
    hx = tuple(torch.tensor(s[None], requires_grad=True) for s in states)
    out_t, final_t = module(xt, hx if kind == "lstm" else hx[0])
    finals_t = list(final_t) if kind == "lstm" else [final_t]
    g_out = rng.normal(size=out_t.shape)
    g_final = [rng.normal(size=(B, U)) for _ in finals_t]
    loss_t = (out_t * torch.tensor(g_out, dtype=torch_dtype)).sum() + sum(
        (f[0] * torch.tensor(g, dtype=torch_dtype)).sum() for f, g in zip(finals_t, g_final))
    loss_t.backward()

    layer = LAYER[kind](U, return_sequences=True, return_state=True,
                        go_backwards=go_backwards, dtype=dtype)
    layer.build(x.shape)
    layer.set_weights(keras_weights(module, kind))
    xd = Tensor(x, requires_grad=True)
    sd = [Tensor(s, requires_grad=True) for s in states]
    out, *finals = layer(xd, initial_state=sd)
    loss = (out * Tensor(g_out.astype(dtype))).sum() + sum(
        (f * Tensor(g.astype(dtype))).sum() for f, g in zip(finals, g_final))
    grads = grad(loss, [xd, *sd, *layer.trainable_weights])

    close = dict(rtol=tol, atol=tol)
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **close)
    for f, ft in zip(finals, finals_t, strict=True):
        np.testing.assert_allclose(f.data, ft[0].detach().numpy(), **close)
    dx = xt.grad.numpy()[:, ::-1] if go_backwards else xt.grad.numpy()
    np.testing.assert_allclose(grads[0], dx, **close)
    for g, h in zip(grads[1:1 + len(states)], hx, strict=True):
        np.testing.assert_allclose(g, h.grad.numpy()[0], **close)
    for g, gt in zip(grads[1 + len(states):], torch_weight_grads(module, kind), strict=True):
        np.testing.assert_allclose(g, gt, **close)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_bidirectional_matches_torch_bidirectional(kind):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(B, T, F))
    module = torch_module(kind, torch.float64, bidirectional=True)
    xt = torch.tensor(x, requires_grad=True)
    out_t, _ = module(xt)
    g_out = rng.normal(size=out_t.shape)
    (out_t * torch.tensor(g_out)).sum().backward()

    layer = layers.Bidirectional(LAYER[kind](U, return_sequences=True, dtype="float64"),
                                 dtype="float64")
    layer.build(x.shape)
    layer.set_weights(keras_weights(module, kind) + keras_weights(module, kind, "_reverse"))
    xd = Tensor(x, requires_grad=True)
    out = layer(xd)
    grads = grad((out * Tensor(g_out)).sum(), [xd, *layer.trainable_weights])
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads[0], xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    expected = torch_weight_grads(module, kind) + torch_weight_grads(module, kind, "_reverse")
    for g, gt in zip(grads[1:], expected, strict=True):
        np.testing.assert_allclose(g, gt, rtol=1e-10, atol=1e-12)


def test_masked_lstm_matches_torch_packed_sequences():
    """Post-padded sequences with a mask give PyTorch's packed-sequence results: the last
    real step's output and state, and the same gradients."""
    rng = np.random.default_rng(2)
    lengths = np.array([6, 2, 4, 5])
    x = rng.normal(size=(B, T, F))
    mask = np.arange(T) < lengths[:, None]
    module = torch_module("lstm", torch.float64)
    xt = torch.tensor(x, requires_grad=True)
    packed = torch.nn.utils.rnn.pack_padded_sequence(xt, torch.tensor(lengths),
                                                     batch_first=True, enforce_sorted=False)
    _, (h_t, c_t) = module(packed)
    g = rng.normal(size=(B, U))
    (h_t[0] * torch.tensor(g)).sum().backward()

    layer = layers.LSTM(U, return_state=True, dtype="float64")
    layer.build(x.shape)
    layer.set_weights(keras_weights(module, "lstm"))
    xd = Tensor(x, requires_grad=True)
    out, h, c = layer(xd, mask=mask)
    grads = grad((out * Tensor(g)).sum(), [xd, *layer.trainable_weights])
    np.testing.assert_allclose(out.data, h_t[0].detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(c.data, c_t[0].detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(grads[0], xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    for got, want in zip(grads[1:], torch_weight_grads(module, "lstm"), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
