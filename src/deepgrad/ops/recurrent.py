"""Recurrent ops over whole sequences: ``lstm``, ``gru`` and ``simple_rnn``.

Each is one fused op with a hand-written backward around the loops of
``deepgrad.kernels.recurrent``: one product projects the inputs of all steps, one
``(batch, units) @ recurrent_kernel`` product runs per step, and the backward gets the
kernel, recurrent kernel and bias gradients as one product each over all steps. LSTM
and GRU sequences without padding run the loops of ``deepgrad.kernels.recurrent_columns``
instead (the batch on the last axis, the input projection inside the step's product). The
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

from deepgrad.kernels import recurrent as loops
from deepgrad.ops.recurrent_columns import gru_run, lstm_run
from deepgrad.ops.recurrent_runs import SimpleRNNRun
from deepgrad.tensor import Tensor, as_tensor, make_result

__all__ = ["lstm", "gru", "simple_rnn", "bidirectional", "multi_result", "unstack_steps"]


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
    recurrent_mask=None,
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
        recurrent_mask: optional ``(batch, units)`` recurrent dropout mask: the state is
            multiplied by it before each recurrent product (the same for every step).

    Returns:
        ``[output, h, c]``: output ``(batch, steps, units)`` or ``(batch, units)``, final
        states ``(batch, units)``.
    """
    run = lstm_run(x, h0, c0, kernel, recurrent_kernel, bias, mask, go_backwards,
                  return_sequences, zero_output_for_mask, recurrent_mask)
    return _single(run)


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
    recurrent_mask=None,
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
    run = gru_run(x, h0, kernel, recurrent_kernel, bias, mask, go_backwards, return_sequences,
                 zero_output_for_mask, recurrent_mask)
    return _single(run)


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
    recurrent_mask=None,
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
    run = SimpleRNNRun(x, h0, kernel, recurrent_kernel, bias, activation, mask, go_backwards,
                       return_sequences, zero_output_for_mask, recurrent_mask)
    return _single(run)


def _single(run) -> list[Tensor]:
    def backward(grads):
        run.start_backward(grads)
        return run.parent_grads()

    return multi_result(run.outputs(), run.parents, backward)


_RUNS = {"lstm": lstm_run, "gru": gru_run, "simple_rnn": SimpleRNNRun}


def bidirectional(kind: str, forward: dict, backward: dict) -> list[Tensor]:
    """Two directions of one recurrent op as one op: their loops run side by side, each on
    its own share of deepgrad's threads, forward and backward.

    Args:
        kind: ``'lstm'``, ``'gru'`` or ``'simple_rnn'``.
        forward, backward: each direction's keyword arguments for that op (the backward
            one usually with ``go_backwards=True``).

    Returns:
        The forward op's outputs followed by the backward op's.

    >>> x = Tensor(np.ones((2, 3, 1), np.float32))
    >>> args = dict(x=x, h0=np.zeros((2, 1), np.float32), kernel=np.ones((1, 1), np.float32),
    ...             recurrent_kernel=np.ones((1, 1), np.float32), activation="linear",
    ...             return_sequences=True)
    >>> out, h, out_back, h_back = bidirectional("simple_rnn", args,
    ...                                           dict(args, go_backwards=True))
    >>> out.data[0, :, 0].tolist(), out_back.data[0, :, 0].tolist()
    ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    """
    cls = _RUNS[kind]
    group = loops.Together(2)
    runs = [cls(**forward, group=group), cls(**backward, group=group)]
    group.run()

    def backward_fn(grads):
        group = loops.Together(2)
        split = len(grads) // 2
        runs[0].start_backward(grads[:split], group)
        runs[1].start_backward(grads[split:], group)
        group.run()
        return runs[0].parent_grads() + runs[1].parent_grads()

    outputs = runs[0].outputs() + runs[1].outputs()
    return multi_result(outputs, runs[0].parents + runs[1].parents, backward_fn)
