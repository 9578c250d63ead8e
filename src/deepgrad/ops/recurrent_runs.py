"""One direction of each recurrent op (``ops/recurrent.py``): inputs prepared, the
forward loop scheduled, and the backward in two parts (the loop, then the products over
all steps), so that two directions can run their loops side by side
(``kernels.recurrent.Together``).

A run's loops start when it is made, or wait for its group's ``run()``; its
:meth:`outputs` and :meth:`parent_grads` may be read only after that.
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels import parallel
from deepgrad.kernels import recurrent as loops
from deepgrad.tensor import Tensor, as_tensor, is_grad_enabled

__all__ = ["Sequence", "LSTMRun", "GRURun", "SimpleRNNRun", "check", "lstm_args", "gru_args",
           "checked_recurrent_mask"]

# Packed padding: the products over all steps gather the steps that run when fewer than
# this fraction of them do (benchmarks/rnn_text.py, the text classifier).
_GATHER_BELOW = 0.8


def check(name: str, x: Tensor, states, kernel: Tensor, recurrent_kernel: Tensor, width: int):
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


def lstm_args(x, h0, c0, kernel, recurrent_kernel, bias) -> tuple:
    """The LSTM op's arrays as tensors, their shapes checked."""
    x, h0, c0 = as_tensor(x), as_tensor(h0), as_tensor(c0)
    kernel, recurrent_kernel = as_tensor(kernel), as_tensor(recurrent_kernel)
    check("lstm", x, (h0, c0), kernel, recurrent_kernel, 4)
    return x, h0, c0, kernel, recurrent_kernel, None if bias is None else as_tensor(bias)


def gru_args(x, h0, kernel, recurrent_kernel, bias) -> tuple:
    """The GRU op's arrays as tensors, their shapes checked (the bias ``(2, 3u)``)."""
    x, h0 = as_tensor(x), as_tensor(h0)
    kernel, recurrent_kernel = as_tensor(kernel), as_tensor(recurrent_kernel)
    check("gru", x, (h0,), kernel, recurrent_kernel, 3)
    units = recurrent_kernel.shape[0]
    bias = None if bias is None else as_tensor(bias)
    if bias is not None and bias.shape != (2, 3 * units):
        raise ValueError(
            f"gru: expected a bias of shape (2, {3 * units}) (reset_after=True). "
            f"Received: {bias.shape}"
        )
    return x, h0, kernel, recurrent_kernel, bias


def checked_recurrent_mask(mask, h0) -> np.ndarray | None:
    """A recurrent dropout mask ``(batch, units)`` as an array (or None), its shape checked
    against the initial state's."""
    if mask is None:
        return None
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    shape = np.shape(h0.data if isinstance(h0, Tensor) else h0)
    if mask.shape != shape:
        raise ValueError(
            f"recurrent op: `recurrent_mask` must have the states' shape {shape}. "
            f"Received: {mask.shape}"
        )
    return mask


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


class Sequence:
    """What the three ops share: the inputs time-major (and, for packed padding, with the
    rows in the loop's order, see ``kernels.recurrent.Schedule``), the masked outputs,
    and the gradients of the input projection (``x @ kernel + bias``) for all steps."""

    def __init__(self, x: Tensor, mask, go_backwards, return_sequences, zero_output_for_mask,
                 group=None):
        self.x = x
        self.go_backwards = go_backwards
        self.return_sequences = return_sequences
        mask = _mask_time_major(mask, x.shape, go_backwards, x.dtype)
        if mask is not None and mask.all():
            mask = None  # no padding: the plain loop
        self.schedule = loops.Schedule(x.shape[0], None if mask is None else mask[:, :, 0] > 0,
                                       group)
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
        # Packed: the (step, row) pairs that run, as rows of the (steps * batch) products.
        # The products over all steps then skip the padding too, where it is worth a gather
        # (the fortune texts: 28% of the steps are words).
        self.running = None
        if self.schedule.counts is not None:
            running = np.flatnonzero(mask.reshape(-1) > 0)
            if len(running) < _GATHER_BELOW * mask.size:
                self.running = running

    def recurrent_mask(self, mask, h0) -> np.ndarray | None:
        """A recurrent dropout mask ``(batch, units)`` (or None) checked, in the loop's rows."""
        mask = checked_recurrent_mask(mask, h0)
        return None if mask is None else np.ascontiguousarray(self.rows(mask), self.xt.dtype)

    def rows(self, array: np.ndarray) -> np.ndarray:
        """A ``(batch, ...)`` array of the caller's in the loop's row order."""
        return array if self.perm is None else array[self.perm]

    def unrows(self, array: np.ndarray) -> np.ndarray:
        """A ``(batch, ...)`` array of the loop's back in the caller's row order."""
        return array if self.perm is None else array[self.inverse]

    def project(self, kernel: np.ndarray, bias) -> np.ndarray:
        """``x @ kernel + bias`` for every step at once ``(steps, batch, width)`` (packed:
        only the steps that run; the loop never reads the others)."""
        steps, batch, features = self.xt.shape
        xt = self.xt.reshape(steps * batch, features)
        if self.running is None:
            z = parallel.matmul(xt, kernel)
            if bias is not None:
                z += bias
            return z.reshape(steps, batch, kernel.shape[1])
        z = np.empty((steps * batch, kernel.shape[1]), kernel.dtype)
        part = parallel.matmul(xt[self.running], kernel)
        if bias is not None:
            part += bias
        z[self.running] = part
        return z.reshape(steps, batch, kernel.shape[1])

    def _flat(self, array: np.ndarray) -> np.ndarray:
        """``(steps, batch, width)`` as the rows of the products: all, or those that run."""
        flat = array.reshape(-1, array.shape[-1])
        return flat if self.running is None else flat[self.running]

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
        part = parallel.matmul(self._flat(d_gates), kernel.T)
        if self.running is None:
            dx = part
        else:
            dx = np.zeros((steps * batch, kernel.shape[0]), part.dtype)
            dx[self.running] = part
        dx = self.unrows(dx.reshape(steps, batch, kernel.shape[0]).transpose(1, 0, 2))
        return dx[:, ::-1] if self.go_backwards else dx

    def weight_grad(self, d_gates: np.ndarray) -> np.ndarray:
        """The kernel's gradient: one product over all steps."""
        return parallel.matmul(self._flat(self.xt).T, self._flat(d_gates))

    def state_grad(self, h: np.ndarray, d_gates: np.ndarray, recurrent_mask=None) -> np.ndarray:
        """``sum_t h[t]^T @ d_gates[t]``: the recurrent kernel's gradient, one product (``h``
        times the recurrent dropout mask, when there is one)."""
        states = h[: d_gates.shape[0]]
        states = states if recurrent_mask is None else states * recurrent_mask
        return parallel.matmul(self._flat(states).T, self._flat(d_gates))

    def bias_grad(self, d_gates: np.ndarray) -> np.ndarray:
        return self._flat(d_gates).sum(axis=0)


def _flags(mask, go_backwards, return_sequences, zero_output_for_mask, group):
    return dict(mask=mask, go_backwards=go_backwards, return_sequences=return_sequences,
                zero_output_for_mask=zero_output_for_mask, group=group)


class LSTMRun:
    """The LSTM op's work for one direction (arguments as ``ops.lstm``)."""

    def __init__(self, x, h0, c0, kernel, recurrent_kernel, bias=None, mask=None,
                 go_backwards=False, return_sequences=False, zero_output_for_mask=False,
                 recurrent_mask=None, group=None):
        x, h0, c0, kernel, recurrent_kernel, bias = lstm_args(x, h0, c0, kernel,
                                                              recurrent_kernel, bias)
        units = recurrent_kernel.shape[0]
        self.order = order = loops.lstm_gate_order(units)
        # Halve the sigmoid gates' columns: one tanh over all gates then gives their sigmoid.
        scale = np.ones(4 * units, x.dtype)
        scale[: 3 * units] = 0.5
        self.seq = seq = Sequence(x, mask, go_backwards, return_sequences,
                                  zero_output_for_mask, group)
        self.rmask = seq.recurrent_mask(recurrent_mask, h0)
        self.k_ordered = kernel.data[:, order]
        bias_ordered = None if bias is None else bias.data[order] * scale
        self.gates = seq.project(self.k_ordered * scale, bias_ordered)
        self.rk_ordered = recurrent_kernel.data[:, order]
        self.parents = (x, h0, c0, kernel, recurrent_kernel) + (() if bias is None else (bias,))
        keep = is_grad_enabled() and any(p.requires_grad for p in self.parents)
        self.h, self.c, self.tanh_c = loops.lstm_forward(
            self.gates, seq.rows(h0.data), seq.rows(c0.data), self.rk_ordered * scale,
            seq.schedule, seq.mask, keep=keep, recurrent_mask=self.rmask)

    def outputs(self) -> list[np.ndarray]:
        seq = self.seq
        return [seq.output(self.h), seq.unrows(self.h[-1]), seq.unrows(self.c[-1])]

    def start_backward(self, grads, group=None) -> None:
        seq = self.seq
        seq.schedule.group = group
        g_out, g_h, g_c = grads
        d_out, dh_last = seq.output_grads(g_out, g_h)
        self.d_gates, self.dh0, self.dc0 = loops.lstm_backward(
            d_out, dh_last, None if g_c is None else seq.rows(g_c), self.gates, self.h,
            self.c, self.tanh_c, self.rk_ordered, seq.schedule, seq.mask, self.rmask)

    def parent_grads(self) -> tuple:
        x, h0, c0, kernel, recurrent_kernel = self.parents[:5]
        seq, order, d_gates = self.seq, self.order, self.d_gates
        out = [
            seq.input_grad(d_gates, self.k_ordered) if x.requires_grad else None,
            seq.unrows(self.dh0) if h0.requires_grad else None,
            seq.unrows(self.dc0) if c0.requires_grad else None,
            seq.weight_grad(d_gates)[:, order] if kernel.requires_grad else None,
            (seq.state_grad(self.h, d_gates, self.rmask)[:, order]
             if recurrent_kernel.requires_grad else None),
        ]
        if len(self.parents) > 5:
            out.append(seq.bias_grad(d_gates)[order])
        return tuple(out)


class GRURun:
    """The GRU op's work for one direction (arguments as ``ops.gru``)."""

    def __init__(self, x, h0, kernel, recurrent_kernel, bias=None, mask=None,
                 go_backwards=False, return_sequences=False, zero_output_for_mask=False,
                 recurrent_mask=None, group=None):
        x, h0, kernel, recurrent_kernel, bias = gru_args(x, h0, kernel, recurrent_kernel, bias)
        self.units = units = recurrent_kernel.shape[0]
        scale = np.ones(3 * units, x.dtype)
        scale[: 2 * units] = 0.5
        self.seq = seq = Sequence(x, mask, go_backwards, return_sequences,
                                  zero_output_for_mask, group)
        self.rmask = seq.recurrent_mask(recurrent_mask, h0)
        self.gates = seq.project(kernel.data * scale,
                                 None if bias is None else bias.data[0] * scale)
        self.parents = (x, h0, kernel, recurrent_kernel) + (() if bias is None else (bias,))
        keep = is_grad_enabled() and any(p.requires_grad for p in self.parents)
        self.h, self.rec_h = loops.gru_forward(
            self.gates, seq.rows(h0.data), recurrent_kernel.data * scale,
            None if bias is None else bias.data[1] * scale, seq.schedule, seq.mask, keep=keep,
            recurrent_mask=self.rmask)

    def outputs(self) -> list[np.ndarray]:
        return [self.seq.output(self.h), self.seq.unrows(self.h[-1])]

    def start_backward(self, grads, group=None) -> None:
        seq = self.seq
        seq.schedule.group = group
        d_out, dh_last = seq.output_grads(*grads)
        self.d_x, self.d_rec_h, self.dh0 = loops.gru_backward(
            d_out, dh_last, self.gates, self.h, self.rec_h, self.parents[3].data,
            seq.schedule, seq.mask, self.rmask)

    def parent_grads(self) -> tuple:
        x, h0, kernel, recurrent_kernel = self.parents[:4]
        seq, d_x, d_rec_h, u = self.seq, self.d_x, self.d_rec_h, self.units
        drk = None
        if recurrent_kernel.requires_grad:
            drk = np.concatenate([seq.state_grad(self.h, d_x[:, :, : 2 * u], self.rmask),
                                  seq.state_grad(self.h, d_rec_h, self.rmask)], axis=1)
        out = [
            seq.input_grad(d_x, kernel.data) if x.requires_grad else None,
            seq.unrows(self.dh0) if h0.requires_grad else None,
            seq.weight_grad(d_x) if kernel.requires_grad else None,
            drk,
        ]
        if len(self.parents) > 4:
            d_in = seq.bias_grad(d_x)
            d_rec = np.concatenate([d_in[: 2 * u], seq.bias_grad(d_rec_h)])
            out.append(np.stack([d_in, d_rec]))
        return tuple(out)


class SimpleRNNRun:
    """The simple RNN op's work for one direction (arguments as ``ops.simple_rnn``)."""

    def __init__(self, x, h0, kernel, recurrent_kernel, bias=None, activation="tanh",
                 mask=None, go_backwards=False, return_sequences=False,
                 zero_output_for_mask=False, recurrent_mask=None, group=None):
        if activation not in loops.ACTIVATIONS:
            raise ValueError(
                f"simple_rnn: `activation` must be one of {loops.ACTIVATIONS}. "
                f"Received: activation={activation!r}"
            )
        x, h0 = as_tensor(x), as_tensor(h0)
        kernel, recurrent_kernel = as_tensor(kernel), as_tensor(recurrent_kernel)
        check("simple_rnn", x, (h0,), kernel, recurrent_kernel, 1)
        bias = None if bias is None else as_tensor(bias)
        self.activation = activation
        self.seq = seq = Sequence(x, mask, go_backwards, return_sequences,
                                  zero_output_for_mask, group)
        self.rmask = seq.recurrent_mask(recurrent_mask, h0)
        gates = seq.project(kernel.data, None if bias is None else bias.data)
        self.h = loops.rnn_forward(gates, seq.rows(h0.data), recurrent_kernel.data, activation,
                                   seq.schedule, seq.mask, self.rmask)
        self.parents = (x, h0, kernel, recurrent_kernel) + (() if bias is None else (bias,))

    def outputs(self) -> list[np.ndarray]:
        return [self.seq.output(self.h), self.seq.unrows(self.h[-1])]

    def start_backward(self, grads, group=None) -> None:
        seq = self.seq
        seq.schedule.group = group
        d_out, dh_last = seq.output_grads(*grads)
        self.d_pre, self.dh0 = loops.rnn_backward(
            d_out, dh_last, self.h, self.parents[3].data, self.activation, seq.schedule,
            seq.mask, self.rmask)

    def parent_grads(self) -> tuple:
        x, h0, kernel, recurrent_kernel = self.parents[:4]
        seq, d_pre = self.seq, self.d_pre
        out = [
            seq.input_grad(d_pre, kernel.data) if x.requires_grad else None,
            seq.unrows(self.dh0) if h0.requires_grad else None,
            seq.weight_grad(d_pre) if kernel.requires_grad else None,
            seq.state_grad(self.h, d_pre, self.rmask) if recurrent_kernel.requires_grad else None,
        ]
        if len(self.parents) > 4:
            out.append(seq.bias_grad(d_pre))
        return tuple(out)
