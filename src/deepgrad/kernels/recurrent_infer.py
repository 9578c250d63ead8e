"""The LSTM loop for inference: nothing kept for a backward pass, every step in place.

Raw arrays, no autograd (``deepgrad.ops.recurrent_infer`` calls it when no gradient is
wanted and no step is padding). Like ``kernels/recurrent_columns.py`` it holds the batch
on the last axis and runs one product ``W @ [h; x; 1]`` per step, and a sigmoid is
``0.5 * tanh(z / 2) + 0.5`` with the sigmoid gates' rows of ``W`` halved, so one tanh
covers all gates. What it does differently, each measured in ``benchmarks/rnn.py``
(``LSTM(128)`` inference, 64 x 100 x 32, one thread):

- ``[h; x; 1]`` of step ``t`` is the contiguous block ``stack[t]`` of a
  ``(steps + 1, units + features + 1, batch)`` array, so the step's new ``h`` is written
  to contiguous memory (writing it to rows strided across all steps cost 1.4 us more
  per step);
- the gates are ordered ``o, i, f, c`` in a buffer that holds the cell state right after
  them: ``[i; f] * [c~; c]`` is then one multiply, and ``c = i c~ + f c`` one add;
- no per-step views or temporaries: about 0.3-0.5 us of Python per NumPy call is a fifth
  of the step's non-product time.

The results equal the training loop's up to float rounding (its gate rows are in another
order, and OpenBLAS may round a row of the product differently elsewhere in the matrix).

>>> u, f, b, steps = 2, 3, 4, 5
>>> stack = lstm_stack(np.ones((b, steps, f), np.float32), u, bias=True)
>>> stack[0, :u] = 0
>>> w = lstm_weights(np.full((f, 4 * u), 0.1, np.float32),
...                  np.zeros((u, 4 * u), np.float32), np.zeros(4 * u, np.float32))
>>> c = lstm_infer(stack, w, np.zeros((u, b), np.float32))
>>> stack.shape, c.shape
((6, 6, 4), (2, 4))
"""

from __future__ import annotations

import numpy as np

__all__ = ["GATES", "lstm_weights", "lstm_stack", "lstm_infer"]

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


def lstm_stack(x: np.ndarray, units: int, bias: bool, dtype=None) -> np.ndarray:
    """``[h; x; 1]`` of every step, ``(steps + 1, units + features + bias, batch)``, from
    ``x`` ``(batch, steps, features)`` (any strides); the ``h`` rows are left to fill."""
    batch, steps, features = x.shape
    stack = np.empty((steps + 1, units + features + int(bias), batch), dtype or x.dtype)
    np.copyto(stack[:steps, units : units + features], x.transpose(1, 2, 0))
    stack[steps, units:] = 0  # the last step holds only the final h
    if bias:
        stack[:steps, -1] = 1
    return stack


def lstm_infer(stack: np.ndarray, weights: np.ndarray, c0: np.ndarray,
               recurrent_mask: np.ndarray | None = None, h: np.ndarray | None = None):
    """Run the LSTM over all steps; returns the final cell state ``(units, batch)``.

    Args:
        stack: from :func:`lstm_stack` with ``stack[0, :units]`` the initial state (times
            the recurrent dropout mask, when there is one); step ``t``'s state goes to
            ``stack[t, :units]``.
        weights: from :func:`lstm_weights`.
        c0: ``(units, batch)``.
        recurrent_mask: optional ``(units, batch)``: the state times it enters the
            product; then ``h`` ``(steps + 1, units, batch)`` receives the states
            themselves (``h[0]`` is left to the caller).
    """
    steps, batch = stack.shape[0] - 1, stack.shape[2]
    u = weights.shape[0] // 4
    dtype = stack.dtype
    buffer = np.empty((5 * u, batch), dtype)  # o, i, f, c~ gates, then the cell state
    gates, sigmoids, o = buffer[: 4 * u], buffer[: 3 * u], buffer[:u]
    i_f, candidate_c, c = buffer[u : 3 * u], buffer[3 * u :], buffer[4 * u :]
    c[...] = c0
    products = np.empty((2 * u, batch), dtype)
    i_term, f_term = products[:u], products[u:]
    tanh_c = np.empty((u, batch), dtype)
    half = dtype.type(0.5)
    matmul, tanh, multiply, add = np.matmul, np.tanh, np.multiply, np.add
    for t in range(steps):
        matmul(weights, stack[t], gates)
        tanh(gates, gates)
        multiply(sigmoids, half, sigmoids)
        add(sigmoids, half, sigmoids)
        multiply(i_f, candidate_c, products)  # [i * c~; f * c]
        add(i_term, f_term, c)
        tanh(c, tanh_c)
        if recurrent_mask is None:
            multiply(o, tanh_c, stack[t + 1, :u])
        else:
            multiply(o, tanh_c, h[t + 1])
            multiply(h[t + 1], recurrent_mask, stack[t + 1, :u])
    return c
