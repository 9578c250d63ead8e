"""The LSTM op's work for one direction when no gradient is wanted and no step is
padding: the loop of ``kernels/recurrent_infer.py`` (nothing kept for a backward pass).

``ops/recurrent_columns.py``'s ``lstm_run`` picks it; its outputs equal
``LSTMColumnsRun``'s (tested in ``tests/ops/test_recurrent_infer.py``).
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels import recurrent as loops
from deepgrad.kernels import recurrent_infer as infer
from deepgrad.ops.recurrent_runs import checked_recurrent_mask, lstm_args

__all__ = ["LSTMInferRun"]


class LSTMInferRun:
    """An LSTM over unpadded sequences without a backward (arguments as ``ops.lstm``;
    ``mask`` must be None or all True, and ``zero_output_for_mask`` then changes nothing).

    >>> x = np.ones((2, 3, 4), np.float32)
    >>> zeros = np.zeros((2, 5), np.float32)
    >>> run = LSTMInferRun(x, zeros, zeros, np.full((4, 20), 0.1, np.float32),
    ...                    np.zeros((5, 20), np.float32), return_sequences=True)
    >>> [a.shape for a in run.outputs()]
    [(2, 3, 5), (2, 5), (2, 5)]
    """

    def __init__(self, x, h0, c0, kernel, recurrent_kernel, bias=None, mask=None,
                 go_backwards=False, return_sequences=False, zero_output_for_mask=False,
                 recurrent_mask=None, group=None):
        x, h0, c0, kernel, recurrent_kernel, bias = lstm_args(x, h0, c0, kernel,
                                                              recurrent_kernel, bias)
        self.parents = (x, h0, c0, kernel, recurrent_kernel) + (() if bias is None else (bias,))
        batch, steps, _ = x.shape
        units, dtype = recurrent_kernel.shape[0], x.dtype
        rmask = checked_recurrent_mask(recurrent_mask, h0)
        weights = infer.lstm_weights(kernel.data, recurrent_kernel.data,
                                     None if bias is None else bias.data, dtype)
        xs = x.data[:, ::-1] if go_backwards else x.data
        h0, c0 = h0.data, c0.data
        self.last_h = np.empty((batch, units), dtype)
        self.last_c = np.empty((batch, units), dtype)
        self.out = (np.empty((batch, steps, units), dtype) if return_sequences
                    else self.last_h)
        schedule = loops.Schedule(batch, None, group)

        def run(k: int) -> None:
            s = schedule.shares[k]
            m = None if rmask is None else np.ascontiguousarray(rmask[s].T, dtype)
            states = (np.empty((steps, units, s.stop - s.start), dtype) if return_sequences
                      else None)
            h, c = infer.lstm_infer(xs[s], weights, h0[s].T, c0[s].T, m, states)
            self.last_h[s] = h.T
            self.last_c[s] = c.T
            if return_sequences:
                self.out[s] = states.transpose(2, 0, 1)

        schedule.run(run)

    def outputs(self) -> list[np.ndarray]:
        return [self.out, self.last_h, self.last_c]
