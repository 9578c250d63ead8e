"""Recurrent ops over whole sequences: ``lstm``, ``gru`` and ``simple_rnn``.

Each is one fused op with a hand-written backward around the loops of
``deepgrad.kernels.recurrent``: one product projects the inputs of all steps, one
``(batch, units) @ recurrent_kernel`` product runs per step, and the backward gets the
kernel, recurrent kernel and bias gradients as one product each over all steps. The
weights have Keras's shapes and gate orders (LSTM ``i, f, c, o``; GRU ``z, r, h`` with
``reset_after=True``, the formulation of PyTorch's ``nn.GRU`` and cuDNN).

Masks follow Keras: where ``mask[b, t]`` is False, sample ``b``'s state does not change
at step ``t``, and its output there is the previous step's output (zeros before its first
real step), or zeros with ``zero_output_for_mask=True``. With ``go_backwards=True`` the
sequence runs from its last step and the outputs come in that (reversed) order.

Each op returns its output (the whole sequence ``(batch, steps, units)`` or the last
step's ``(batch, units)``) followed by the final states.

>>> import deepgrad as dg
>>> x = dg.Tensor(np.ones((2, 3, 4), np.float32))
>>> h0 = c0 = dg.Tensor(np.zeros((2, 5), np.float32))
>>> k = dg.Tensor(np.full((4, 20), 0.1, np.float32), requires_grad=True)
>>> rk = dg.Tensor(np.zeros((5, 20), np.float32))
>>> out, h, c = lstm(x, h0, c0, k, rk, return_sequences=True)
>>> out.shape, h.shape, c.shape
((2, 3, 5), (2, 5), (2, 5))
>>> h.sum().backward(); k.grad.shape
(4, 20)
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels import parallel
from deepgrad.kernels import recurrent as loops
from deepgrad.tensor import Tensor, as_tensor, is_grad_enabled, make_result

__all__ = ["lstm", "gru", "simple_rnn", "multi_result", "unstack_steps"]


def multi_result(arrays, parents: tuple[Tensor, ...], backward) -> list[Tensor]:
    """Several outputs of one op that share one backward function.

    ``backward(grads)`` receives one gradient per output (None for an output that got
    none) and returns one gradient per parent. Each output's node hands its gradient to
    a shared hidden node, which runs after all of them (it was created first).

    >>> a = Tensor([1.0, 2.0], requires_grad=True)
    >>> twice, thrice = multi_result([a.data * 2, a.data * 3], (a,),
    ...                              lambda g: ((g[0] if g[0] is not None else 0)
    ...                                         + (g[1] * 3 if g[1] is not None else 0),))
    >>> (twice.sum() + thrice.sum()).backward(); a.grad
    array([4., 4.], dtype=float32)
    """
    received: list = [None] * len(arrays)
    empty = np.empty(0, arrays[0].dtype)

    def run(_):
        grads = list(received)
        received[:] = [None] * len(arrays)
        return backward(grads)

    hub = make_result(empty, parents, run)

    def keeper(i: int):
        def store(g):
            received[i] = g if received[i] is None else received[i] + g
            return (empty,)

        return store

    return [make_result(a, (hub,), keeper(i)) for i, a in enumerate(arrays)]


def unstack_steps(x) -> list[Tensor]:
    """The steps of ``(batch, steps, ...)`` as a list of ``(batch, ...)`` tensors.

    One op for all steps: the backward fills one gradient array, where a slice per step
    would allocate a full-size gradient for each step.

    >>> [t.shape for t in unstack_steps(Tensor(np.zeros((2, 3, 4))))]
    [(2, 4), (2, 4), (2, 4)]
    """
    x = as_tensor(x)

    def backward(grads):
        full = np.zeros(x.shape, x.dtype)
        for t, g in enumerate(grads):
            if g is not None:
                full[:, t] = g
        return (full,)

    return multi_result([x.data[:, t] for t in range(x.shape[1])], (x,), backward)


def _check(name: str, x: Tensor, states, kernel: Tensor, recurrent_kernel: Tensor, width: int):
    if x.ndim != 3:
        raise ValueError(
            f"{name}: expected a 3-D input (batch, steps, features). Received: shape {x.shape}"
        )
    batch, _, features = x.shape
    units = recurrent_kernel.shape[0]
    if kernel.shape != (features, width * units) or recurrent_kernel.shape != (
        units, width * units
    ):
        raise ValueError(
            f"{name}: expected kernel ({features}, {width * units}) and recurrent_kernel "
            f"({units}, {width * units}). Received: kernel {kernel.shape}, recurrent_kernel "
            f"{recurrent_kernel.shape}"
        )
    for s in states:
        if s.shape != (batch, units):
            raise ValueError(
                f"{name}: expected initial states of shape {(batch, units)}. "
                f"Received: {s.shape}"
            )


def _time_major(x: np.ndarray, go_backwards: bool) -> np.ndarray:
    view = x[:, ::-1] if go_backwards else x
    return np.ascontiguousarray(view.transpose(1, 0, 2))


def _mask_time_major(mask, shape, go_backwards: bool, dtype):
    """The mask as ``(steps, batch, 1)`` 0/1 of the input's dtype, or None."""
    if mask is None:
        return None
    m = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if m.shape != shape[:2]:
        raise ValueError(
            f"recurrent op: the mask must have shape (batch, steps) = {shape[:2]}. "
            f"Received: {m.shape}"
        )
    if m.dtype != bool:
        m = m != 0
    if go_backwards:
        m = m[:, ::-1]
    return np.ascontiguousarray(m.T, dtype=dtype)[:, :, None]


class _Sequence:
    """What the three ops share: the inputs time-major (and, for packed padding, with the
    rows in the loop's order, see ``kernels.recurrent.Schedule``), the masked outputs,
    and the gradients of the input projection (``x @ kernel + bias``) for all steps."""

    def __init__(self, x: Tensor, mask, go_backwards, return_sequences, zero_output_for_mask):
        self.x = x
        self.go_backwards = go_backwards
        self.return_sequences = return_sequences
        mask = _mask_time_major(mask, x.shape, go_backwards, x.dtype)
        if mask is not None and mask.all():
            mask = None  # no padding: the plain loop
        self.schedule = loops.Schedule(x.shape[0], None if mask is None else mask[:, :, 0] > 0)
        self.perm = self.schedule.perm
        self.xt = _time_major(x.data, go_backwards)
        if self.perm is not None:
            self.inverse = np.argsort(self.perm)
            self.xt = np.ascontiguousarray(self.xt[:, self.perm])
            mask = mask[:, self.perm]
        self.emit = None  # (steps, batch, 1): 1 where the output is the state
        if mask is not None:
            self.emit = mask if zero_output_for_mask else np.maximum.accumulate(mask, axis=0)
        # The loop applies the mask step by step only where the schedule cannot pack it.
        self.mask = mask if self.schedule.counts is None else None

    def rows(self, array: np.ndarray) -> np.ndarray:
        """A ``(batch, ...)`` array of the caller's in the loop's row order."""
        return array if self.perm is None else array[self.perm]

    def unrows(self, array: np.ndarray) -> np.ndarray:
        """A ``(batch, ...)`` array of the loop's back in the caller's row order."""
        return array if self.perm is None else array[self.inverse]

    def project(self, kernel: np.ndarray, bias) -> np.ndarray:
        steps, batch, features = self.xt.shape
        z = parallel.matmul(self.xt.reshape(steps * batch, features), kernel)
        if bias is not None:
            z += bias
        return z.reshape(steps, batch, -1)

    def output(self, h: np.ndarray) -> np.ndarray:
        """Outputs from the states ``h`` ``(steps + 1, batch, u)``."""
        if self.return_sequences:
            seq = h[1:] if self.emit is None else h[1:] * self.emit
            return self.unrows(seq.transpose(1, 0, 2))
        return self.unrows(h[-1] if self.emit is None else h[-1] * self.emit[-1])

    def output_grads(self, g_out, g_h):
        """``(d_out, dh_last)`` for the loop from the output's and final state's gradients."""
        d_out, dh_last = None, None if g_h is None else self.rows(g_h)
        if g_out is not None:
            g_out = self.rows(g_out)
            if self.return_sequences:
                d_out = g_out.transpose(1, 0, 2)
                d_out = d_out * self.emit if self.emit is not None else d_out
            else:
                last = g_out if self.emit is None else g_out * self.emit[-1]
                dh_last = last if dh_last is None else dh_last + last
        return d_out, dh_last

    def input_grad(self, d_gates: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        steps, batch, width = d_gates.shape
        dx = parallel.matmul(d_gates.reshape(steps * batch, width), kernel.T)
        dx = self.unrows(dx.reshape(steps, batch, -1).transpose(1, 0, 2))
        return dx[:, ::-1] if self.go_backwards else dx

    def weight_grad(self, d_gates: np.ndarray) -> np.ndarray:
        steps, batch, width = d_gates.shape
        xt = self.xt.reshape(steps * batch, -1)
        return parallel.matmul(xt.T, d_gates.reshape(steps * batch, width))


def _state_grad(h: np.ndarray, d_gates: np.ndarray) -> np.ndarray:
    """``sum_t h[t]^T @ d_gates[t]``: the recurrent kernel's gradient, one product."""
    steps, batch, width = d_gates.shape
    return parallel.matmul(h[:steps].reshape(steps * batch, -1).T, d_gates.reshape(-1, width))


def lstm(
    x,
    h0,
    c0,
    kernel,
    recurrent_kernel,
    bias=None,
    mask=None,
    go_backwards: bool = False,
    return_sequences: bool = False,
    zero_output_for_mask: bool = False,
) -> list[Tensor]:
    """Long short-term memory over a whole sequence, tanh and sigmoid activations.

    Args:
        x: ``(batch, steps, features)``.
        h0, c0: ``(batch, units)`` initial states.
        kernel: ``(features, 4 * units)``, gates ``i, f, c, o`` (Keras's layout).
        recurrent_kernel: ``(units, 4 * units)``.
        bias: optional ``(4 * units,)``.
        mask: optional ``(batch, steps)`` booleans, True for real steps.
        go_backwards: run from the last step; outputs come in that order.
        return_sequences: return every step's output, not just the last.
        zero_output_for_mask: zeros, not the previous output, at masked steps.

    Returns:
        ``[output, h, c]``: output ``(batch, steps, units)`` or ``(batch, units)``, final
        states ``(batch, units)``.
    """
    x, h0, c0 = as_tensor(x), as_tensor(h0), as_tensor(c0)
    kernel, recurrent_kernel = as_tensor(kernel), as_tensor(recurrent_kernel)
    _check("lstm", x, (h0, c0), kernel, recurrent_kernel, 4)
    bias = None if bias is None else as_tensor(bias)
    units = recurrent_kernel.shape[0]
    order = loops.lstm_gate_order(units)
    dtype = x.dtype
    # Halve the sigmoid gates' columns: one tanh over all gates then gives their sigmoid.
    scale = np.ones(4 * units, dtype)
    scale[: 3 * units] = 0.5
    seq = _Sequence(x, mask, go_backwards, return_sequences, zero_output_for_mask)
    k_ordered = kernel.data[:, order]
    gates = seq.project(k_ordered * scale, None if bias is None else bias.data[order] * scale)
    rk_ordered = recurrent_kernel.data[:, order]
    parents = (x, h0, c0, kernel, recurrent_kernel) + (() if bias is None else (bias,))
    keep = is_grad_enabled() and any(p.requires_grad for p in parents)
    h, c, tanh_c = loops.lstm_forward(gates, seq.rows(h0.data), seq.rows(c0.data),
                                      rk_ordered * scale, seq.schedule, seq.mask, keep=keep)

    def backward(grads):
        g_out, g_h, g_c = grads
        d_out, dh_last = seq.output_grads(g_out, g_h)
        d_gates, dh0, dc0 = loops.lstm_backward(
            d_out, dh_last, None if g_c is None else seq.rows(g_c), gates, h, c, tanh_c,
            rk_ordered, seq.schedule, seq.mask,
        )
        dx = seq.input_grad(d_gates, k_ordered) if x.requires_grad else None
        dk = seq.weight_grad(d_gates)[:, order] if kernel.requires_grad else None
        drk = _state_grad(h, d_gates)[:, order] if recurrent_kernel.requires_grad else None
        out = [dx, seq.unrows(dh0) if h0.requires_grad else None,
               seq.unrows(dc0) if c0.requires_grad else None, dk, drk]
        if bias is not None:
            out.append(d_gates.sum(axis=(0, 1))[order])
        return tuple(out)

    return multi_result([seq.output(h), seq.unrows(h[-1]), seq.unrows(c[-1])], parents,
                        backward)


def gru(
    x,
    h0,
    kernel,
    recurrent_kernel,
    bias=None,
    mask=None,
    go_backwards: bool = False,
    return_sequences: bool = False,
    zero_output_for_mask: bool = False,
) -> list[Tensor]:
    """Gated recurrent unit over a whole sequence, Keras's ``reset_after=True`` form.

    ``z = sigmoid(x Wz + bz + h Rz + b'z)``, ``r`` likewise, ``candidate = tanh(x Wh + bh
    + r * (h Rh + b'h))``, ``h = z * h + (1 - z) * candidate``.

    Args:
        kernel: ``(features, 3 * units)``, gates ``z, r, h``.
        recurrent_kernel: ``(units, 3 * units)``.
        bias: optional ``(2, 3 * units)``: input bias, then recurrent bias.
        Others as :func:`lstm`.

    Returns:
        ``[output, h]``.

    >>> x = Tensor(np.ones((1, 2, 3), np.float32))
    >>> out, h = gru(x, np.zeros((1, 4), np.float32), np.zeros((3, 12), np.float32),
    ...              np.zeros((4, 12), np.float32))
    >>> out.shape
    (1, 4)
    """
    x, h0 = as_tensor(x), as_tensor(h0)
    kernel, recurrent_kernel = as_tensor(kernel), as_tensor(recurrent_kernel)
    _check("gru", x, (h0,), kernel, recurrent_kernel, 3)
    units = recurrent_kernel.shape[0]
    bias = None if bias is None else as_tensor(bias)
    if bias is not None and bias.shape != (2, 3 * units):
        raise ValueError(
            f"gru: expected a bias of shape (2, {3 * units}) (reset_after=True). "
            f"Received: {bias.shape}"
        )
    dtype = x.dtype
    scale = np.ones(3 * units, dtype)
    scale[: 2 * units] = 0.5
    seq = _Sequence(x, mask, go_backwards, return_sequences, zero_output_for_mask)
    gates = seq.project(kernel.data * scale, None if bias is None else bias.data[0] * scale)
    parents = (x, h0, kernel, recurrent_kernel) + (() if bias is None else (bias,))
    keep = is_grad_enabled() and any(p.requires_grad for p in parents)
    h, rec_h = loops.gru_forward(
        gates, seq.rows(h0.data), recurrent_kernel.data * scale,
        None if bias is None else bias.data[1] * scale, seq.schedule, seq.mask, keep=keep,
    )

    def backward(grads):
        g_out, g_h = grads
        d_out, dh_last = seq.output_grads(g_out, g_h)
        rk = recurrent_kernel.data
        d_x, d_rec_h, dh0 = loops.gru_backward(d_out, dh_last, gates, h, rec_h, rk,
                                               seq.schedule, seq.mask)
        dx = seq.input_grad(d_x, kernel.data) if x.requires_grad else None
        dk = seq.weight_grad(d_x) if kernel.requires_grad else None
        drk = None
        if recurrent_kernel.requires_grad:
            drk = np.concatenate(
                [_state_grad(h, d_x[:, :, : 2 * units]), _state_grad(h, d_rec_h)], axis=1
            )
        out = [dx, seq.unrows(dh0) if h0.requires_grad else None, dk, drk]
        if bias is not None:
            d_in = d_x.sum(axis=(0, 1))
            d_rec = np.concatenate([d_in[: 2 * units], d_rec_h.sum(axis=(0, 1))])
            out.append(np.stack([d_in, d_rec]))
        return tuple(out)

    return multi_result([seq.output(h), seq.unrows(h[-1])], parents, backward)


def simple_rnn(
    x,
    h0,
    kernel,
    recurrent_kernel,
    bias=None,
    activation: str = "tanh",
    mask=None,
    go_backwards: bool = False,
    return_sequences: bool = False,
    zero_output_for_mask: bool = False,
) -> list[Tensor]:
    """Fully connected recurrence ``h = activation(x @ kernel + h @ recurrent_kernel + bias)``.

    Args:
        kernel: ``(features, units)``; recurrent_kernel: ``(units, units)``; bias ``(units,)``.
        activation: ``'tanh'``, ``'sigmoid'``, ``'relu'`` or ``'linear'``.
        Others as :func:`lstm`.

    Returns:
        ``[output, h]``.

    >>> out, h = simple_rnn(np.ones((1, 2, 1), np.float32), np.zeros((1, 1), np.float32),
    ...                     np.ones((1, 1), np.float32), np.ones((1, 1), np.float32),
    ...                     activation="linear", return_sequences=True)
    >>> out.data.ravel()
    array([1., 2.], dtype=float32)
    """
    if activation not in loops.ACTIVATIONS:
        raise ValueError(
            f"simple_rnn: `activation` must be one of {loops.ACTIVATIONS}. "
            f"Received: activation={activation!r}"
        )
    x, h0 = as_tensor(x), as_tensor(h0)
    kernel, recurrent_kernel = as_tensor(kernel), as_tensor(recurrent_kernel)
    _check("simple_rnn", x, (h0,), kernel, recurrent_kernel, 1)
    bias = None if bias is None else as_tensor(bias)
    seq = _Sequence(x, mask, go_backwards, return_sequences, zero_output_for_mask)
    gates = seq.project(kernel.data, None if bias is None else bias.data)
    h = loops.rnn_forward(gates, seq.rows(h0.data), recurrent_kernel.data, activation,
                          seq.schedule, seq.mask)
    parents = (x, h0, kernel, recurrent_kernel) + (() if bias is None else (bias,))

    def backward(grads):
        g_out, g_h = grads
        d_out, dh_last = seq.output_grads(g_out, g_h)
        d_pre, dh0 = loops.rnn_backward(
            d_out, dh_last, h, recurrent_kernel.data, activation, seq.schedule, seq.mask
        )
        dx = seq.input_grad(d_pre, kernel.data) if x.requires_grad else None
        dk = seq.weight_grad(d_pre) if kernel.requires_grad else None
        drk = _state_grad(h, d_pre) if recurrent_kernel.requires_grad else None
        out = [dx, seq.unrows(dh0) if h0.requires_grad else None, dk, drk]
        if bias is not None:
            out.append(d_pre.sum(axis=(0, 1)))
        return tuple(out)

    return multi_result([seq.output(h), seq.unrows(h[-1])], parents, backward)
