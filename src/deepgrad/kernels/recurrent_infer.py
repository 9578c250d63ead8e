"""The LSTM loop for inference: nothing kept for a backward pass, every step in place.

Raw arrays, no autograd (``deepgrad.ops.recurrent_infer`` calls it when no gradient is
wanted and no step is padding). Like ``kernels/recurrent_columns.py`` it holds the batch
on the last axis and runs one product ``W @ [h; x; 1]`` per step, and a sigmoid is
``0.5 * tanh(z / 2) + 0.5`` with the sigmoid gates' rows of ``W`` halved, so one tanh
covers all gates. What it does differently, each measured in ``benchmarks/rnn.py``
(``LSTM(128)`` inference, 64 x 100 x 32, one thread):

- ``[h; x; 1]`` is one contiguous ``(units + features + 1, batch)`` block, two of them
  taking turns (the step's ``x`` copied in, the new ``h`` written to the other): 0.2 ms
  less per call than one ``(steps + 1, ...)`` stack of all steps (4 MB to write and read
  again), and the new ``h`` goes to contiguous memory (1.4 us less per step than rows
  strided across all steps);
- the gates are ordered ``o, i, f, c`` in a buffer that holds the cell state right after
  them: ``[i; f] * [c~; c]`` is then one multiply, and ``c = i c~ + f c`` one add;
- no per-step views or temporaries: about 0.3-0.5 us of Python per NumPy call is a fifth
  of the step's non-product time.

The results equal the training loop's up to float rounding (its gate rows are in another
order, and OpenBLAS may round a row of the product differently elsewhere in the matrix).

>>> u, f, b, steps = 2, 3, 4, 5
>>> w = lstm_weights(np.full((f, 4 * u), 0.1, np.float32),
...                  np.zeros((u, 4 * u), np.float32), np.zeros(4 * u, np.float32))
>>> zeros = np.zeros((u, b), np.float32)
>>> h, c = lstm_infer(np.ones((b, steps, f), np.float32), w, zeros, zeros)
>>> h.shape, c.shape
((2, 4), (2, 4))
"""

from __future__ import annotations

import numpy as np

__all__ = ["GATES", "lstm_weights", "lstm_infer"]

# Keras's gate blocks (i, f, c, o) in this loop's order (o, i, f, c).
GATES = (3, 0, 1, 2)
# Source rows per block of a transposing copy: numpy's copy of a whole (161, 512)
# transpose took 89 us, by blocks of 16 rows 31 us.
_BLOCK = 16


def lstm_weights(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias, dtype=None):
    """``W`` ``(4u, u + features [+ 1])``: the recurrent kernel's, the kernel's and the
    bias's rows transposed, gates ``o, i, f, c``, the sigmoid gates' rows halved."""
    units, features = recurrent_kernel.shape[0], kernel.shape[0]
    dtype = np.dtype(dtype or kernel.dtype)
    rows = np.empty((units + features + (bias is not None), 4 * units), dtype)
    for j, k in enumerate(GATES):
        src, dst = slice(k * units, (k + 1) * units), slice(j * units, (j + 1) * units)
        rows[:units, dst] = recurrent_kernel[:, src]
        rows[units : units + features, dst] = kernel[:, src]
        if bias is not None:
            rows[-1, dst] = bias[src]
    weights = np.empty(rows.shape[::-1], dtype)
    for start in range(0, rows.shape[0], _BLOCK):
        np.copyto(weights[:, start : start + _BLOCK], rows[start : start + _BLOCK].T)
    sigmoids = weights[: 3 * units]
    np.multiply(sigmoids, dtype.type(0.5), out=sigmoids)
    return weights


def lstm_infer(x: np.ndarray, weights: np.ndarray, h0: np.ndarray, c0: np.ndarray,
               recurrent_mask: np.ndarray | None = None, states: np.ndarray | None = None):
    """Run the LSTM over all steps; returns the final ``(h, c)``, each ``(units, batch)``.

    Args:
        x: ``(batch, steps, features)``, any strides.
        weights: from :func:`lstm_weights` (with a bias row or not).
        h0, c0: ``(units, batch)``.
        recurrent_mask: optional ``(units, batch)``: the state times it enters the product.
        states: optional ``(steps, units, batch)``, filled with every step's state.
    """
    batch, steps, features = x.shape
    u, rows = weights.shape[0] // 4, weights.shape[1]
    dtype = weights.dtype
    if steps == 0:
        return np.array(h0, dtype), np.array(c0, dtype)
    if recurrent_mask is not None and states is None:
        states = np.empty((steps, u, batch), dtype)
    xt = np.empty((steps, features, batch), dtype)
    np.copyto(xt, x.transpose(1, 2, 0))
    # [h; x; 1] of this step and the next: a new h goes to the other slot.
    slots = np.empty((2, rows, batch), dtype)
    slots[:, u + features :] = 1
    hs = slots[:, :u]
    np.multiply(h0, 1 if recurrent_mask is None else recurrent_mask, out=hs[0])
    xs = slots[:, u : u + features]
    buffer = np.empty((5 * u, batch), dtype)  # o, i, f, c~ gates, then the cell state
    gates, sigmoids, o = buffer[: 4 * u], buffer[: 3 * u], buffer[:u]
    i_f, candidate_c, c = buffer[u : 3 * u], buffer[3 * u :], buffer[4 * u :]
    c[...] = c0
    products = np.empty((2 * u, batch), dtype)
    i_term, f_term = products[:u], products[u:]
    tanh_c = np.empty((u, batch), dtype)
    half = np.array(0.5, dtype)  # a 0-d array: 0.2 us less per call than a scalar
    turns = ((slots[0], xs[0], hs[1]), (slots[1], xs[1], hs[0]))
    matmul, tanh, multiply, add, copyto = np.matmul, np.tanh, np.multiply, np.add, np.copyto
    for t in range(steps):
        slot, x_slot, h_next = turns[t & 1]
        copyto(x_slot, xt[t])
        matmul(weights, slot, gates)
        tanh(gates, gates)
        multiply(sigmoids, half, sigmoids)
        add(sigmoids, half, sigmoids)
        multiply(i_f, candidate_c, products)  # [i * c~; f * c]
        add(i_term, f_term, c)
        tanh(c, tanh_c)
        if states is None:
            multiply(o, tanh_c, h_next)
        else:
            multiply(o, tanh_c, states[t])
            if recurrent_mask is None:
                copyto(h_next, states[t])
            else:
                multiply(states[t], recurrent_mask, h_next)
    return (hs[steps & 1] if states is None else states[-1]), c
