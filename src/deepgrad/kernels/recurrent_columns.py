"""The LSTM and GRU loops with the batch on the last axis: the fast path for sequences
without padding.

Raw arrays, no autograd (``deepgrad.ops.recurrent_runs`` calls it). The loops in
``kernels/recurrent.py`` hold a step as ``(batch, 4 * units)``, so each gate is a column
slice, and NumPy runs an elementwise pass over a column slice row by row (2.5-3.5x the
time of the same pass over contiguous memory at 64 x 128). Here a step is ``(4 * units,
batch)``: each gate is a contiguous ``(units, batch)`` block and every pass is one flat
loop. The products turn around with it: ``gates = W @ [h; x; 1]``.

One array (``stack``, ``(units + features + 1, steps + 1, batch)``) holds every step's
``[h; x; 1]``: the step's product then includes the input projection and the bias, and
after the backward loop one product over all steps gives the recurrent kernel's, the
kernel's and the bias's gradients together. Threads run shares of the batch's columns
(each its own loop, as in ``kernels/recurrent.py``). Run to run the numbers are the same
bit for bit; with another thread count the step's product has another width, and
OpenBLAS may round its last bits differently. Measured in
``benchmarks/rnn.py`` (``LSTM(128)``, 64 x 100 x 32).

LSTM gates are ``i, f, o, c`` with the sigmoid gates' rows of ``W`` halved, as in
``kernels/recurrent.py``: one tanh over all gates gives every activation. The GRU's
product gives ``z``, ``r`` and the candidate's recurrent part (its input part, which
``r`` does not scale, is one product over all steps before the loop).

>>> u, f, b, steps = 2, 3, 4, 5
>>> x = np.ones((steps, f, b), np.float32)
>>> stack = lstm_stack(x, u, bias=True)
>>> weights = np.full((4 * u, u + f + 1), 0.1, np.float32)
>>> zeros = np.zeros((u, b), np.float32)
>>> gates, c, tanh_c = lstm_forward(stack, stack[:u], zeros, zeros, weights, keep=True)
>>> stack[:u].shape, c.shape, gates.shape
((2, 6, 4), (6, 2, 4), (5, 8, 4))
"""

from __future__ import annotations

import threading

import numpy as np

from deepgrad.kernels import parallel

__all__ = ["lstm_stack", "lstm_forward", "lstm_backward", "gru_forward", "gru_backward",
           "stacked_grads", "take", "give"]

# The backward's gate gradients (13 MB for LSTM(128) on 64 x 100 steps) live only
# during one backward call: the next call reuses them. A fresh array each call faulted in
# its 3,200 pages every training step (benchmarks/rnn.py, LSTM training step).
_spare: dict = {}
_spare_lock = threading.Lock()


def take(shape: tuple, dtype) -> np.ndarray:
    """An uninitialised array: the one last given back with this shape and dtype, or new.

    >>> a = take((2, 3), np.float32); give(a); take((2, 3), np.float32) is a
    True
    """
    with _spare_lock:
        spare = _spare.pop((shape, np.dtype(dtype)), None)
    return np.empty(shape, dtype) if spare is None else spare


def give(array: np.ndarray) -> None:
    """Keep ``array`` (no longer used by its caller) for the next :func:`take` of its
    shape; a few shapes at most are kept.

    >>> give(np.zeros(4)); take((4,), np.float64).shape
    (4,)
    """
    with _spare_lock:
        if len(_spare) >= 4:
            _spare.clear()
        _spare[(array.shape, array.dtype)] = array


def lstm_stack(x: np.ndarray, units: int, bias: bool) -> np.ndarray:
    """The ``[h; x; 1]`` of every step, ``(units + features + bias, steps + 1, batch)``,
    from ``x`` ``(steps, features, batch)``; the ``h`` rows are filled by the loop."""
    steps, features, batch = x.shape
    stack = np.empty((units + features + int(bias), steps + 1, batch), x.dtype)
    stack[units : units + features, :steps] = x.transpose(1, 0, 2)
    stack[units:, steps] = 0  # the last slot holds only the final h
    if bias:
        stack[-1, :steps] = 1
    return stack


def lstm_forward(stack, h, h0, c0, weights, keep=True, recurrent_mask=None):
    """Run the LSTM over all steps of one share of the batch.

    Args:
        stack: from :func:`lstm_stack` (or the share's columns of it); its ``h`` rows are
            filled here (with the recurrent dropout mask applied, when there is one).
        h: ``(units, steps + 1, batch)``, filled with every step's state: ``stack[:units]``
            itself without a recurrent dropout mask.
        h0, c0: ``(units, batch)``.
        weights: ``(4u, u + features [+ 1])``: the recurrent kernel's, the kernel's and
            the bias's rows, transposed, ``i, f, o, c`` order, sigmoid rows halved.
        keep: keep what :func:`lstm_backward` needs.
        recurrent_mask: optional ``(units, batch)``.

    Returns:
        ``(gates, c, tanh_c)``: ``gates`` ``(steps, 4u, batch)`` activations (one step
        when not ``keep``); ``c`` ``(steps + 1, units, batch)`` (the last step only when
        not ``keep``); ``tanh_c`` ``(steps, units, batch)`` (one step when not ``keep``).
    """
    steps, batch = stack.shape[1] - 1, stack.shape[2]
    four_u = weights.shape[0]
    u = four_u // 4
    dtype = stack.dtype
    gates = np.empty((steps if keep else 1, four_u, batch), dtype)
    c = np.empty((steps + 1 if keep else 2, u, batch), dtype)
    c[0] = c0
    tanh_c = np.empty((steps if keep else 1, u, batch), dtype)
    h[:, 0] = h0
    if recurrent_mask is not None:
        np.multiply(h0, recurrent_mask, out=stack[:u, 0])
    work = np.empty((u, batch), dtype)
    for t in range(steps):
        g = gates[t if keep else 0]
        np.matmul(weights, stack[:, t], out=g)
        np.tanh(g, out=g)
        sigmoids = g[: 3 * u]
        sigmoids *= 0.5
        sigmoids += 0.5
        c_prev, c_new = (c[t], c[t + 1]) if keep else (c[t % 2], c[(t + 1) % 2])
        np.multiply(g[u : 2 * u], c_prev, out=c_new)
        np.multiply(g[:u], g[3 * u :], out=work)
        c_new += work
        tc = tanh_c[t if keep else 0]
        np.tanh(c_new, out=tc)
        np.multiply(g[2 * u : 3 * u], tc, out=h[:, t + 1])
        if recurrent_mask is not None:
            np.multiply(h[:, t + 1], recurrent_mask, out=stack[:u, t + 1])
    return gates, c if keep else c[steps % 2][None], tanh_c


def lstm_backward(d_out, dh, dc, gates, c, tanh_c, recurrent_kernel, d_gates,
                  recurrent_mask=None):
    """Gradients through :func:`lstm_forward`'s loop for one share.

    Args:
        d_out: ``(steps, units, batch)`` gradient of every step's ``h`` from outside, or None.
        dh, dc: ``(units, batch)`` gradients of the final states; updated in place to the
            initial states' gradients.
        gates, c, tanh_c: what the forward kept.
        recurrent_kernel: ``(units, 4u)``, ``i, f, o, c`` order, not halved.
        d_gates: ``(4u, steps, batch)`` (or the share's columns of it), filled with the
            gates' pre-activation gradients, laid out for :func:`stacked_grads`.
        recurrent_mask: as in the forward.
    """
    steps, four_u, batch = gates.shape
    u = four_u // 4
    dtype = gates.dtype
    d = np.empty((four_u, batch), dtype)
    work = np.empty((3 * u, batch), dtype)
    w1 = work[:u]
    for t in range(steps - 1, -1, -1):
        if d_out is not None:
            dh += d_out[t]
        g, tc = gates[t], tanh_c[t]
        i, f, o, cc = g[:u], g[u : 2 * u], g[2 * u : 3 * u], g[3 * u :]
        # do = dh * tanh(c); dc += dh * o * (1 - tanh(c)^2)
        np.multiply(dh, tc, out=d[2 * u : 3 * u])
        np.multiply(tc, tc, out=w1)
        np.subtract(1, w1, out=w1)
        w1 *= o
        w1 *= dh
        dc += w1
        np.multiply(dc, cc, out=d[:u])  # di
        np.multiply(dc, c[t], out=d[u : 2 * u])  # df
        np.multiply(dc, i, out=d[3 * u :])  # dcc
        dc *= f
        # Pre-activation gradients: sigmoid' = s (1 - s), tanh' = 1 - t^2.
        np.subtract(1, g[: 3 * u], out=work)
        work *= g[: 3 * u]
        d[: 3 * u] *= work
        np.multiply(cc, cc, out=w1)
        np.subtract(1, w1, out=w1)
        d[3 * u :] *= w1
        np.matmul(recurrent_kernel, d, out=dh)
        if recurrent_mask is not None:
            dh *= recurrent_mask
        d_gates[:, t] = d


def stacked_grads(d_gates: np.ndarray, stack: np.ndarray) -> np.ndarray:
    """``sum_t d_gates[:, t] @ stack[:, t].T`` ``(4u, rows of stack)``: the gradients of
    :func:`lstm_forward`'s ``weights`` (recurrent kernel, kernel, bias), one product."""
    four_u, steps, batch = d_gates.shape
    states = stack[:, :steps].reshape(stack.shape[0], steps * batch)
    return parallel.matmul(d_gates.reshape(four_u, steps * batch), states.T)


# -- GRU (reset_after=True) ----------------------------------------------------------


def gru_forward(stack, h, h0, weights, x_candidate, keep=True, recurrent_mask=None):
    """Run the GRU (``reset_after=True``) over all steps of one share of the batch.

    Args:
        stack: from :func:`lstm_stack` (the share's columns of it); its ``h`` rows are
            filled here (times the recurrent dropout mask, when there is one).
        h: ``(steps + 1, units, batch)``, filled with every step's state.
        h0: ``(units, batch)``.
        weights: ``(3u, u + features [+ 1])``, transposed: the ``z, r`` rows hold the
            recurrent kernel's, the kernel's and both biases' sum, halved; the ``h`` rows
            the recurrent kernel's and the recurrent bias (the candidate's recurrent part).
        x_candidate: ``(steps, units, batch)`` the candidate's input part ``x W_h + b_h``.
        keep: keep what :func:`gru_backward` needs.

    Returns:
        ``(gates, candidate)``: ``gates`` ``(steps, 3u, batch)`` ``z, r`` and the
        candidate's recurrent part, ``candidate`` ``(steps, units, batch)`` (one step each
        when not ``keep``).
    """
    steps, batch = stack.shape[1] - 1, stack.shape[2]
    u = weights.shape[0] // 3
    dtype = stack.dtype
    gates = np.empty((steps if keep else 1, 3 * u, batch), dtype)
    candidate = np.empty((steps if keep else 1, u, batch), dtype)
    h[0] = h0
    stack[:u, 0] = h0 if recurrent_mask is None else h0 * recurrent_mask
    for t in range(steps):
        g, cand = gates[t if keep else 0], candidate[t if keep else 0]
        np.matmul(weights, stack[:, t], out=g)
        zr = g[: 2 * u]
        np.tanh(zr, out=zr)
        zr *= 0.5
        zr += 0.5
        np.multiply(g[u : 2 * u], g[2 * u :], out=cand)
        cand += x_candidate[t]
        np.tanh(cand, out=cand)
        # h = z * h_prev + (1 - z) * cand = cand + z * (h_prev - cand)
        h_new = h[t + 1]
        np.subtract(h[t], cand, out=h_new)
        h_new *= g[:u]
        h_new += cand
        if recurrent_mask is None:
            stack[:u, t + 1] = h_new
        else:
            np.multiply(h_new, recurrent_mask, out=stack[:u, t + 1])
    return gates, candidate


def gru_backward(d_out, dh, gates, candidate, h, recurrent_kernel, d_gates,
                 recurrent_mask=None):
    """Gradients through :func:`gru_forward`'s loop for one share.

    Args:
        d_out: ``(steps, units, batch)`` or None; dh: ``(units, batch)`` the final state's
            gradient, updated in place to the initial state's.
        gates, candidate, h: what the forward kept.
        recurrent_kernel: ``(units, 3u)``, not halved.
        d_gates: ``(4u, steps, batch)`` (the share's columns), filled with the
            pre-activation gradients of ``z, r``, of the candidate's recurrent part and
            of the candidate (its input part).
    """
    steps, three_u, batch = gates.shape
    u = three_u // 3
    dtype = gates.dtype
    d = np.empty((4 * u, batch), dtype)
    work = np.empty((2 * u, batch), dtype)
    through = np.empty((u, batch), dtype)
    w1 = work[:u]
    for t in range(steps - 1, -1, -1):
        if d_out is not None:
            dh += d_out[t]
        g, cand = gates[t], candidate[t]
        z, r, rec_h = g[:u], g[u : 2 * u], g[2 * u :]
        dcand = d[3 * u :]
        # dz = dh * (h_prev - cand); dcand = dh * (1 - z) * (1 - cand^2)
        np.subtract(h[t], cand, out=d[:u])
        d[:u] *= dh
        np.subtract(1, z, out=dcand)
        dcand *= dh
        np.multiply(cand, cand, out=w1)
        np.subtract(1, w1, out=w1)
        dcand *= w1
        # cand = tanh(x_h + r * rec_h): dr = dcand * rec_h, drec_h = dcand * r
        np.multiply(dcand, rec_h, out=d[u : 2 * u])
        np.multiply(dcand, r, out=d[2 * u : 3 * u])
        np.subtract(1, g[: 2 * u], out=work)
        work *= g[: 2 * u]
        d[: 2 * u] *= work
        # dh_prev = dh * z + R @ [dz; dr; drec_h]
        dh *= z
        np.matmul(recurrent_kernel, d[: 3 * u], out=through)
        if recurrent_mask is not None:
            through *= recurrent_mask
        dh += through
        d_gates[:, t] = d
