"""The LSTM and GRU ops' work for one direction when no step is padding: the loops of
``kernels/recurrent_columns.py`` (the batch on the last axis, one product per step with
the input projection and bias inside it, one product for the weight gradients).

Padded sequences (packed or masked step by step) take ``LSTMRun`` and ``GRURun`` of
``ops/recurrent_runs.py``; both give the same numbers up to float rounding (tested in
``tests/ops/test_recurrent_ops.py``).
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels import parallel
from deepgrad.kernels import recurrent as loops
from deepgrad.kernels import recurrent_columns as columns
from deepgrad.ops.recurrent_infer import LSTMInferRun
from deepgrad.ops.recurrent_runs import GRURun, LSTMRun, Sequence, gru_args, lstm_args
from deepgrad.tensor import Tensor, is_grad_enabled

__all__ = ["LSTMColumnsRun", "lstm_run", "GRUColumnsRun", "gru_run"]


def lstm_run(x, h0, c0, kernel, recurrent_kernel, bias=None, mask=None, go_backwards=False,
             return_sequences=False, zero_output_for_mask=False, recurrent_mask=None,
             group=None):
    """The run for ``ops.lstm``'s arguments: ``LSTMRun`` when a step is padding, else
    :class:`LSTMColumnsRun`, or ``LSTMInferRun`` when no gradient is wanted."""
    if not _unpadded(mask):
        cls = LSTMRun
    elif _wants_grad(x, h0, c0, kernel, recurrent_kernel, bias):
        cls = LSTMColumnsRun
    else:
        cls = LSTMInferRun
    return cls(x, h0, c0, kernel, recurrent_kernel, bias, mask, go_backwards,
               return_sequences, zero_output_for_mask, recurrent_mask, group)


def _wants_grad(*arrays) -> bool:
    return is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad for a in arrays)


def _unpadded(mask) -> bool:
    return mask is None or bool(np.all(mask.data if isinstance(mask, Tensor) else mask))


def _state_grad(g, s: slice, units: int, dtype, extra=None) -> np.ndarray:
    """The gradient of a final state for the rows ``s``, ``(units, rows)``, a new array:
    ``g`` (or zeros) plus ``extra`` (the output's gradient when it is the last state)."""
    grad = (np.zeros((units, s.stop - s.start), dtype) if g is None
            else np.array(g[s].T, dtype, order="C"))
    if extra is not None:
        grad += extra[s].T
    return grad


class LSTMColumnsRun:
    """The LSTM op's work for one direction without padding (arguments as ``ops.lstm``)."""

    def __init__(self, x, h0, c0, kernel, recurrent_kernel, bias=None, mask=None,
                 go_backwards=False, return_sequences=False, zero_output_for_mask=False,
                 recurrent_mask=None, group=None):
        x, h0, c0, kernel, recurrent_kernel, bias = lstm_args(x, h0, c0, kernel,
                                                              recurrent_kernel, bias)
        self.seq = seq = Sequence(x, mask, go_backwards, return_sequences,
                                  zero_output_for_mask, group)
        rmask = seq.recurrent_mask(recurrent_mask, h0)
        self.parents = (x, h0, c0, kernel, recurrent_kernel) + (() if bias is None else (bias,))
        keep = is_grad_enabled() and any(p.requires_grad for p in self.parents)
        units, dtype = recurrent_kernel.shape[0], x.dtype
        self.order = order = loops.lstm_gate_order(units)
        features = kernel.shape[0]
        # weights = [recurrent kernel; kernel; bias] transposed, the sigmoid gates halved.
        rows = [recurrent_kernel.data[:, order], kernel.data[:, order]]
        if bias is not None:
            rows.append(bias.data[order][None])
        self.weights = np.concatenate(rows).T.astype(dtype)
        self.weights[: 3 * units] *= 0.5
        self.rk_ordered = np.asarray(rows[0], dtype)
        self.k_ordered = np.asarray(rows[1], dtype)
        self.units, self.features = units, features
        shares = seq.schedule.shares
        # x's rows of the stack come from the time-major (steps, batch, features) copy.
        self.stack = stack = columns.lstm_stack(seq.xt.transpose(0, 2, 1), units,
                                                bias is not None)
        self.h = stack[:units] if rmask is None else np.empty(stack[:units].shape, dtype)
        self.rmask = None if rmask is None else np.ascontiguousarray(rmask.T)
        self.forward = [None] * len(shares)
        h0t, c0t = np.asarray(h0.data, dtype).T, np.asarray(c0.data, dtype).T

        def run(k: int) -> None:
            s = shares[k]
            self.forward[k] = columns.lstm_forward(
                stack[:, :, s], self.h[:, :, s], h0t[:, s], c0t[:, s], self.weights, keep,
                None if rmask is None else self.rmask[:, s])

        seq.schedule.run(run)

    def outputs(self) -> list[np.ndarray]:
        u, dtype = self.units, self.weights.dtype
        last_c = np.empty((self.seq.x.shape[0], u), dtype)
        for s, (_, c, _) in zip(self.seq.schedule.shares, self.forward):
            last_c[s] = c[-1].T
        last_h = self.h[:, -1].T.copy()
        out = self.h[:, 1:].transpose(2, 1, 0) if self.seq.return_sequences else last_h
        return [np.ascontiguousarray(out), last_h, last_c]

    def start_backward(self, grads, group=None) -> None:
        seq = self.seq
        seq.schedule.group = group
        g_out, g_h, g_c = grads
        shares = seq.schedule.shares
        batch, steps = seq.x.shape[:2]
        u, dtype = self.units, self.weights.dtype
        self.dh0 = np.empty((batch, u), dtype)
        self.dc0 = np.empty((batch, u), dtype)
        self.d_gates = columns.take((4 * u, steps, batch), dtype)
        sequences = seq.return_sequences

        def run(k: int) -> None:
            s = shares[k]
            gates, c, tanh_c = self.forward[k]
            d_out = None
            if g_out is not None and sequences:
                d_out = np.ascontiguousarray(g_out[s].transpose(1, 2, 0), dtype)
            dh = _state_grad(g_h, s, u, dtype, None if sequences else g_out)
            dc = _state_grad(g_c, s, u, dtype)
            columns.lstm_backward(d_out, dh, dc, gates, c, tanh_c, self.rk_ordered,
                                  self.d_gates[:, :, s],
                                  None if self.rmask is None else self.rmask[:, s])
            self.dh0[s] = dh.T
            self.dc0[s] = dc.T

        seq.schedule.run(run)

    def parent_grads(self) -> tuple:
        x, h0, c0, kernel, recurrent_kernel = self.parents[:5]
        u, features, order = self.units, self.features, self.order
        d_gates = self.d_gates
        stacked = None
        if kernel.requires_grad or recurrent_kernel.requires_grad or len(self.parents) > 5:
            stacked = columns.stacked_grads(d_gates, self.stack)
        dx = None
        if x.requires_grad:
            flat = parallel.matmul(self.k_ordered, d_gates.reshape(4 * u, -1))
            dx = flat.reshape(features, *d_gates.shape[1:]).transpose(2, 1, 0)
            dx = dx[:, ::-1] if self.seq.go_backwards else dx
        out = [
            dx,
            self.dh0 if h0.requires_grad else None,
            self.dc0 if c0.requires_grad else None,
            stacked[:, u : u + features].T[:, order] if kernel.requires_grad else None,
            stacked[:, :u].T[:, order] if recurrent_kernel.requires_grad else None,
        ]
        if len(self.parents) > 5:
            out.append(stacked[:, -1][order])
        columns.give(self.d_gates)
        self.d_gates = None
        return tuple(out)


def gru_run(x, h0, kernel, recurrent_kernel, bias=None, mask=None, go_backwards=False,
            return_sequences=False, zero_output_for_mask=False, recurrent_mask=None,
            group=None):
    """The run for ``ops.gru``'s arguments: :class:`GRUColumnsRun` when no step is
    padding, else ``GRURun``."""
    cls = GRUColumnsRun if _unpadded(mask) else GRURun
    return cls(x, h0, kernel, recurrent_kernel, bias, mask, go_backwards, return_sequences,
               zero_output_for_mask, recurrent_mask, group)


class GRUColumnsRun:
    """The GRU op's work for one direction without padding (arguments as ``ops.gru``)."""

    def __init__(self, x, h0, kernel, recurrent_kernel, bias=None, mask=None,
                 go_backwards=False, return_sequences=False, zero_output_for_mask=False,
                 recurrent_mask=None, group=None):
        x, h0, kernel, recurrent_kernel, bias = gru_args(x, h0, kernel, recurrent_kernel, bias)
        units = recurrent_kernel.shape[0]
        self.seq = seq = Sequence(x, mask, go_backwards, return_sequences,
                                  zero_output_for_mask, group)
        rmask = seq.recurrent_mask(recurrent_mask, h0)
        self.parents = (x, h0, kernel, recurrent_kernel) + (() if bias is None else (bias,))
        keep = is_grad_enabled() and any(p.requires_grad for p in self.parents)
        dtype, features = x.dtype, kernel.shape[0]
        self.units, self.features = u, f = units, features
        k, rk = kernel.data, recurrent_kernel.data
        # weights: z, r rows [R; K; b_in + b_rec] halved, the candidate's recurrent rows
        # [R_h; 0; b_rec_h]; the candidate's input part x K_h + b_in_h for all steps.
        rows = u + f + (bias is not None)
        self.weights = weights = np.zeros((3 * u, rows), dtype)
        weights[:, :u] = rk.T
        weights[: 2 * u, u : u + f] = k[:, : 2 * u].T
        x_weights = np.empty((u, rows - u), dtype)
        x_weights[:, :f] = k[:, 2 * u :].T
        if bias is not None:
            b = bias.data
            weights[: 2 * u, -1] = b[0, : 2 * u] + b[1, : 2 * u]
            weights[2 * u :, -1] = b[1, 2 * u :]
            x_weights[:, f] = b[0, 2 * u :]
        weights[: 2 * u] *= 0.5
        self.rk = np.asarray(rk, dtype)
        self.stack = stack = columns.lstm_stack(seq.xt.transpose(0, 2, 1), u, bias is not None)
        steps, batch = x.shape[1], x.shape[0]
        x_candidate = np.matmul(x_weights, stack[u:, :steps].transpose(1, 0, 2))
        self.h = np.empty((steps + 1, u, batch), dtype)
        self.rmask = None if rmask is None else np.ascontiguousarray(rmask.T)
        shares = seq.schedule.shares
        self.forward = [None] * len(shares)
        h0t = np.asarray(h0.data, dtype).T

        def run(k: int) -> None:
            s = shares[k]
            self.forward[k] = columns.gru_forward(
                stack[:, :, s], self.h[:, :, s], h0t[:, s], weights, x_candidate[:, :, s],
                keep, None if rmask is None else self.rmask[:, s])

        seq.schedule.run(run)

    def outputs(self) -> list[np.ndarray]:
        last_h = self.h[-1].T.copy()
        out = self.h[1:].transpose(2, 0, 1) if self.seq.return_sequences else last_h
        return [np.ascontiguousarray(out), last_h]

    def start_backward(self, grads, group=None) -> None:
        seq = self.seq
        seq.schedule.group = group
        g_out, g_h = grads
        shares = seq.schedule.shares
        batch, steps = seq.x.shape[:2]
        u, dtype = self.units, self.weights.dtype
        self.dh0 = np.empty((batch, u), dtype)
        self.d_gates = columns.take((4 * u, steps, batch), dtype)
        sequences = seq.return_sequences

        def run(k: int) -> None:
            s = shares[k]
            gates, candidate = self.forward[k]
            d_out = None
            if g_out is not None and sequences:
                d_out = np.ascontiguousarray(g_out[s].transpose(1, 2, 0), dtype)
            dh = _state_grad(g_h, s, u, dtype, None if sequences else g_out)
            columns.gru_backward(d_out, dh, gates, candidate, self.h[:, :, s], self.rk,
                                 self.d_gates[:, :, s],
                                 None if self.rmask is None else self.rmask[:, s])
            self.dh0[s] = dh.T

        seq.schedule.run(run)

    def parent_grads(self) -> tuple:
        x, h0, kernel, recurrent_kernel = self.parents[:4]
        u, f, d_gates, stack = self.units, self.features, self.d_gates, self.stack
        steps = d_gates.shape[1]
        biased = len(self.parents) > 4
        gates_part = x_part = None
        if kernel.requires_grad or recurrent_kernel.requires_grad or biased:
            gates_part = columns.stacked_grads(d_gates[: 3 * u], stack)
        if kernel.requires_grad or biased:
            x_rows = stack[u:, :steps].reshape(stack.shape[0] - u, -1)
            x_part = parallel.matmul(d_gates[3 * u :].reshape(u, -1), x_rows.T)
        dx = None
        if x.requires_grad:
            k4 = np.zeros((f, 4 * u), d_gates.dtype)
            k4[:, : 2 * u] = kernel.data[:, : 2 * u]
            k4[:, 3 * u :] = kernel.data[:, 2 * u :]
            flat = parallel.matmul(k4, d_gates.reshape(4 * u, -1))
            dx = flat.reshape(f, *d_gates.shape[1:]).transpose(2, 1, 0)
            dx = dx[:, ::-1] if self.seq.go_backwards else dx
        dk = None
        if kernel.requires_grad:
            dk = np.concatenate([gates_part[: 2 * u, u : u + f], x_part[:, :f]]).T
        out = [
            dx,
            self.dh0 if h0.requires_grad else None,
            dk,
            gates_part[:, :u].T if recurrent_kernel.requires_grad else None,
        ]
        if biased:
            d_in = np.concatenate([gates_part[: 2 * u, -1], x_part[:, f]])
            d_rec = gates_part[:, -1]
            out.append(np.stack([d_in, d_rec]))
        columns.give(self.d_gates)
        self.d_gates = None
        return tuple(out)
