"""The loops of the recurrent layers over whole sequences: LSTM, GRU and simple RNN.

Raw arrays, no autograd (the ops in ``deepgrad.ops.recurrent`` wrap them). Sequences are
time-major here, ``(steps, batch, features)``, so each step reads contiguous rows. Every
loop follows one plan, measured in ``benchmarks/rnn.py``:

- the caller projects the inputs of all steps in one product ``x @ kernel + bias``
  before the loop, and the loop adds one ``(batch, units) @ recurrent_kernel`` product
  per step into that buffer, which then holds the gates;
- gate non-linearities run in place; a sigmoid is ``0.5 * tanh(x / 2) + 0.5`` (NumPy's
  float32 tanh is vectorised and 15x faster than an exp-based logistic here), and the
  caller halves the sigmoid gates' columns of the weights so that one tanh pass covers
  all gates;
- every buffer is allocated once per sequence, never per step;
- the backward loop stores the gates' gradients of all steps, so that the caller gets
  the kernel, recurrent kernel and bias gradients as one product each over all steps.

A mask ``(steps, batch, 1)`` of 0/1 (1 = a real step) holds a sample's state where its
step is padding, as Keras does.

LSTM gates are laid out ``i, f, o, c`` here (Keras's ``i, f, c, o`` with the last two
swapped, see :func:`lstm_gate_order`): the three sigmoid gates are then one block.

>>> order = lstm_gate_order(2)
>>> order.tolist()
[0, 1, 2, 3, 6, 7, 4, 5]
"""

from __future__ import annotations

import numpy as np

from deepgrad.kernels import parallel

__all__ = [
    "lstm_gate_order", "lstm_forward", "lstm_backward", "gru_forward", "gru_backward",
    "rnn_forward", "rnn_backward", "ACTIVATIONS", "split_batch", "Schedule", "Together",
]

# Simple-RNN activations that the loop runs in place, and their derivative from the output.
ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")


def lstm_gate_order(units: int) -> np.ndarray:
    """Column order taking Keras's ``i, f, c, o`` gates to this module's ``i, f, o, c``."""
    return np.r_[0 : 2 * units, 3 * units : 4 * units, 2 * units : 3 * units]


def _half_tanh_to_sigmoid(a: np.ndarray) -> None:
    """``a`` holds ``tanh(z / 2)``; turn it into ``sigmoid(z)`` in place."""
    a *= 0.5
    a += 0.5


def _keep_idle(states, rows: slice, share: slice) -> bool:
    """Packed rows of the share that are not running at this step keep their states
    (``(previous, new)`` pairs); True when none of the share's rows runs."""
    if rows.stop < share.stop:
        idle = slice(rows.stop, share.stop)
        for previous, new in states:
            new[idle] = previous[idle]
    return rows.stop == rows.start


def _dropped(h: np.ndarray, recurrent_mask, rows: slice, scratch) -> np.ndarray:
    """The state that enters the recurrent product: ``h``, or ``h`` times the sequence's
    recurrent dropout mask."""
    if recurrent_mask is None:
        return h
    out = scratch[rows]
    np.multiply(h, recurrent_mask[rows], out=out)
    return out


def _activate(a: np.ndarray, name: str) -> None:
    if name == "tanh":
        np.tanh(a, out=a)
    elif name == "sigmoid":
        a *= 0.5
        np.tanh(a, out=a)
        _half_tanh_to_sigmoid(a)
    elif name == "relu":
        np.maximum(a, 0, out=a)


def _times_derivative(g: np.ndarray, y: np.ndarray, name: str, work: np.ndarray) -> None:
    """``g *= activation'(z)`` where ``y = activation(z)``; ``work`` is scratch of g's shape."""
    if name == "tanh":
        np.multiply(y, y, out=work)
        np.subtract(1, work, out=work)
        g *= work
    elif name == "sigmoid":
        np.subtract(1, y, out=work)
        work *= y
        g *= work
    elif name == "relu":
        np.greater(y, 0, out=work)
        g *= work


def split_batch(batch: int, threads: int | None = None) -> list[slice]:
    """The batch's rows in one share per thread when the batch is large enough to split.

    The steps of a recurrence follow each other, but its samples are independent: each
    thread runs the whole loop for its own rows, with BLAS single-threaded inside.
    """
    threads = parallel.thread_count() if threads is None else threads
    return parallel.split(batch, threads if batch >= 16 else 1)


class Together:
    """Loops of several recurrences (the two directions of a bidirectional layer) run side
    by side: each schedule made with this group queues its loops instead of running them,
    and :meth:`run` runs them all in threads. Each direction then gets its own threads'
    share of the cores (one of two), instead of each direction being split in turn.

    >>> group = Together(2); done = []
    >>> Schedule(4, group=group).run(lambda share: done.append(share)); done
    []
    >>> group.run(); done
    [0]
    """

    def __init__(self, loops: int):
        self.threads = max(1, parallel.thread_count() // loops)
        self.jobs: list = []

    def run(self) -> None:
        jobs, self.jobs = self.jobs, []
        parallel.run_parts(lambda job: job(), jobs)


class Schedule:
    """Which rows of the batch each thread runs, step by step.

    Without padding every thread runs all its rows at every step. With padding that only
    ends sequences early (or, run backwards, starts them late), the rows are packed as
    PyTorch's packed sequences are: sorted by length, dealt out to the threads in turn,
    so that at each step a thread's rows still running are a prefix of its share, and
    only those go through the products. A padded row keeps its state, as a mask would.
    ``perm`` is the order of the rows (None when unchanged). With a ``group``
    (:class:`Together`) the loops wait for the group's run.

    >>> valid = np.array([[1, 1, 1], [1, 0, 1], [0, 0, 1]], bool)  # (steps, batch)
    >>> schedule = Schedule(3, valid)
    >>> schedule.perm.tolist(), list(schedule.rows(0, range(3)))
    ([2, 0, 1], [(0, slice(0, 3, None)), (1, slice(0, 2, None)), (2, slice(0, 1, None))])
    """

    def __init__(self, batch: int, valid: np.ndarray | None = None, group: Together | None = None):
        self.perm = None
        self.counts = None  # per share: rows still running at each step
        self.group = group
        self.shares = split_batch(batch, None if group is None else group.threads)
        if valid is None:
            return
        lengths = valid.sum(axis=0)
        steps = valid.shape[0]
        first = np.argmax(valid, axis=0)
        last = steps - 1 - np.argmax(valid[::-1], axis=0)
        empty = lengths == 0
        if not np.all(empty | (last - first + 1 == lengths)):
            return  # gaps inside a sequence: the mask is applied step by step
        if np.all(empty | (first == 0)):
            late = False
        elif np.all(empty | (last == steps - 1)):
            late = True
        else:
            return
        order = np.argsort(-lengths, kind="stable")
        groups = [order[k :: len(self.shares)] for k in range(len(self.shares))]
        self.perm = np.concatenate(groups)
        starts = np.cumsum([0] + [len(g) for g in groups])
        self.shares = [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])]
        t = np.arange(steps)
        self.counts = [
            ((lengths[g][:, None] >= steps - t) if late else (lengths[g][:, None] > t)).sum(0)
            for g in groups
        ]

    def rows(self, share: int, order):
        """``(t, active rows)`` for the steps in ``order``: the share's rows still running."""
        rows = self.shares[share]
        if self.counts is None:
            for t in order:
                yield t, rows
            return
        counts = self.counts[share]
        for t in order:
            yield t, slice(rows.start, rows.start + int(counts[t]))

    def run(self, fn) -> None:
        """``fn(share)`` for each share, in threads with BLAS single-threaded
        (``parallel.run_parts``), or queued on the group."""
        if self.group is not None:
            self.group.jobs.extend(lambda k=k: fn(k) for k in range(len(self.shares)))
            return
        parallel.run_parts(fn, list(range(len(self.shares))))


# -- LSTM ------------------------------------------------------------------------------


def lstm_forward(gates, h0, c0, recurrent_kernel, schedule, mask=None, keep=True,
                 recurrent_mask=None):
    """Run the LSTM over all steps.

    Args:
        gates: ``(steps, batch, 4u)`` input projections (``x @ kernel + bias``) in
            ``i, f, o, c`` order with the ``i, f, o`` columns halved; overwritten with
            the gates' values.
        h0, c0: ``(batch, u)`` initial states.
        recurrent_kernel: ``(u, 4u)`` in the same order and scaling.
        schedule: the :class:`Schedule` of the batch's rows.
        mask: optional ``(steps, batch, 1)`` 0/1 array (padding the schedule cannot pack).
        keep: whether to keep what the backward loop needs.

    Returns:
        ``(h, c, tanh_c)``: ``h`` and ``c`` of shape ``(steps + 1, batch, u)`` (index 0 the
        initial states; ``c`` only the last two steps when not ``keep``), ``tanh_c``
        ``(steps, batch, u)`` (None when not ``keep``).
    """
    steps, batch, four_u = gates.shape
    u = four_u // 4
    dtype = gates.dtype
    h = np.empty((steps + 1, batch, u), dtype)
    h[0] = h0
    c = np.empty((steps + 1 if keep else 2, batch, u), dtype)
    c[0] = c0
    tanh_c = np.empty((steps if keep else 1, batch, u), dtype)
    product = np.empty((batch, four_u), dtype)
    scratch = np.empty((batch, u), dtype)
    hold = None if mask is None else np.empty((batch, 1), bool)
    scratch_h = None if recurrent_mask is None else np.empty_like(h0, dtype=gates.dtype)

    def run(k: int) -> None:
        share = schedule.shares[k]
        for t, rows in schedule.rows(k, range(steps)):
            c_prev, c_new = c[t if keep else t % 2], c[t + 1 if keep else (t + 1) % 2]
            if _keep_idle(((h[t], h[t + 1]), (c_prev, c_new)), rows, share):
                continue
            g = gates[t, rows]
            np.matmul(_dropped(h[t, rows], recurrent_mask, rows, scratch_h), recurrent_kernel,
                      out=product[rows])
            g += product[rows]
            np.tanh(g, out=g)
            _half_tanh_to_sigmoid(g[:, : 3 * u])
            work = scratch[rows]
            np.multiply(g[:, u : 2 * u], c_prev[rows], out=c_new[rows])
            np.multiply(g[:, :u], g[:, 3 * u :], out=work)
            c_new[rows] += work
            tc = tanh_c[t if keep else 0, rows]
            np.tanh(c_new[rows], out=tc)
            np.multiply(g[:, 2 * u : 3 * u], tc, out=h[t + 1, rows])
            if mask is not None:
                np.equal(mask[t, rows], 0, out=hold[rows])
                np.copyto(h[t + 1, rows], h[t, rows], where=hold[rows])
                np.copyto(c_new[rows], c_prev[rows], where=hold[rows])

    schedule.run(run)  # (a group runs it later: the arrays returned fill then)
    return h, c if keep else c[steps % 2][None], tanh_c if keep else None


def lstm_backward(d_out, dh_last, dc_last, gates, h, c, tanh_c, recurrent_kernel, schedule,
                  mask=None, recurrent_mask=None):
    """Gradients through the LSTM loop.

    Args:
        d_out: ``(steps, batch, u)`` gradient of every step's ``h`` coming from outside
            (outputs), or None.
        dh_last, dc_last: ``(batch, u)`` gradients of the final states, or None.
        gates, h, c, tanh_c: what :func:`lstm_forward` kept.
        recurrent_kernel: ``(u, 4u)`` in ``i, f, o, c`` order, not halved.
        schedule, mask: as in the forward.

    Returns:
        ``(d_gates, dh0, dc0)``: ``d_gates`` ``(steps, batch, 4u)`` gradients of the gates'
        pre-activations (``i, f, o, c`` order; zero where a row was not running), and the
        initial states' gradients.
    """
    steps, batch, four_u = gates.shape
    u = four_u // 4
    dtype = gates.dtype
    d_gates = np.empty_like(gates)
    dh = np.zeros((batch, u), dtype) if dh_last is None else np.array(dh_last, dtype)
    dc = np.zeros((batch, u), dtype) if dc_last is None else np.array(dc_last, dtype)
    scratch = np.empty((batch, 3 * u), dtype)
    dh_held = None if mask is None else np.empty((batch, u), dtype)
    dc_held = None if mask is None else np.empty((batch, u), dtype)
    rk_t = recurrent_kernel.T

    def run(k: int) -> None:
        share = schedule.shares[k]
        for t, rows in schedule.rows(k, range(steps - 1, -1, -1)):
            if d_out is not None:
                dh[share] += d_out[t, share]
            if rows.stop < share.stop:  # rows not running: no gradient through the gates
                d_gates[t, rows.stop : share.stop] = 0
                if rows.stop == rows.start:
                    continue
            g, dg = gates[t, rows], d_gates[t, rows]
            dh_r, dc_r, w = dh[rows], dc[rows], scratch[rows]
            w1 = w[:, :u]
            if mask is not None:
                m = mask[t, rows]
                # The state passed through unchanged where the step is padding.
                np.subtract(1, m, out=w1[:, :1])
                np.multiply(dh_r, w1[:, :1], out=dh_held[rows])
                np.multiply(dc_r, w1[:, :1], out=dc_held[rows])
                dh_r *= m
                dc_r *= m
            tc = tanh_c[t, rows]
            i, f, o, cc = g[:, :u], g[:, u : 2 * u], g[:, 2 * u : 3 * u], g[:, 3 * u :]
            # do = dh * tanh(c); dc += dh * o * (1 - tanh(c)^2)
            np.multiply(dh_r, tc, out=dg[:, 2 * u : 3 * u])
            np.multiply(tc, tc, out=w1)
            np.subtract(1, w1, out=w1)
            w1 *= o
            w1 *= dh_r
            dc_r += w1
            np.multiply(dc_r, cc, out=dg[:, :u])  # di
            np.multiply(dc_r, c[t, rows], out=dg[:, u : 2 * u])  # df
            np.multiply(dc_r, i, out=dg[:, 3 * u :])  # dcc
            dc_r *= f
            # Pre-activation gradients: sigmoid' = s (1 - s), tanh' = 1 - t^2.
            np.subtract(1, g[:, : 3 * u], out=w)
            w *= g[:, : 3 * u]
            dg[:, : 3 * u] *= w
            np.multiply(cc, cc, out=w1)
            np.subtract(1, w1, out=w1)
            dg[:, 3 * u :] *= w1
            np.matmul(dg, rk_t, out=dh_r)
            if recurrent_mask is not None:
                dh_r *= recurrent_mask[rows]
            if mask is not None:
                dh_r += dh_held[rows]
                dc_r += dc_held[rows]

    schedule.run(run)
    return d_gates, dh, dc


# -- GRU (reset_after=True: PyTorch's formulation) ------------------------------------


def gru_forward(gates, h0, recurrent_kernel, recurrent_bias, schedule, mask=None, keep=True,
                recurrent_mask=None):
    """Run the GRU (``reset_after=True``) over all steps.

    Args:
        gates: ``(steps, batch, 3u)`` input projections with the input bias, ``z, r, h``
            order, the ``z, r`` columns halved; overwritten with ``z, r, candidate``.
        h0: ``(batch, u)``.
        recurrent_kernel: ``(u, 3u)``, ``z, r`` columns halved.
        recurrent_bias: ``(3u,)`` (``z, r`` halved) or None.
        schedule, mask: as :func:`lstm_forward`.

    Returns:
        ``(h, rec_h)``: ``h`` ``(steps + 1, batch, u)``; ``rec_h`` ``(steps, batch, u)``
        the candidate's recurrent part ``h @ R_h + b_h`` (None when not ``keep``).
    """
    steps, batch, three_u = gates.shape
    u = three_u // 3
    dtype = gates.dtype
    h = np.empty((steps + 1, batch, u), dtype)
    h[0] = h0
    rec_h = np.empty((steps if keep else 1, batch, u), dtype)
    product = np.empty((batch, three_u), dtype)
    scratch = np.empty((batch, u), dtype)
    hold = None if mask is None else np.empty((batch, 1), bool)
    scratch_h = None if recurrent_mask is None else np.empty_like(h0, dtype=gates.dtype)

    def run(k: int) -> None:
        share = schedule.shares[k]
        for t, rows in schedule.rows(k, range(steps)):
            if _keep_idle(((h[t], h[t + 1]),), rows, share):
                continue
            g, prod = gates[t, rows], product[rows]
            np.matmul(_dropped(h[t, rows], recurrent_mask, rows, scratch_h), recurrent_kernel,
                      out=prod)
            if recurrent_bias is not None:
                prod += recurrent_bias
            zr = g[:, : 2 * u]
            zr += prod[:, : 2 * u]
            np.tanh(zr, out=zr)
            _half_tanh_to_sigmoid(zr)
            rh = rec_h[t if keep else 0, rows]
            rh[...] = prod[:, 2 * u :]
            cand = g[:, 2 * u :]
            work = scratch[rows]
            np.multiply(g[:, u : 2 * u], rh, out=work)
            cand += work
            np.tanh(cand, out=cand)
            # h = z * h_prev + (1 - z) * cand = cand + z * (h_prev - cand)
            h_new = h[t + 1, rows]
            np.subtract(h[t, rows], cand, out=h_new)
            h_new *= g[:, :u]
            h_new += cand
            if mask is not None:
                np.equal(mask[t, rows], 0, out=hold[rows])
                np.copyto(h_new, h[t, rows], where=hold[rows])

    schedule.run(run)
    return h, rec_h if keep else None


def gru_backward(d_out, dh_last, gates, h, rec_h, recurrent_kernel, schedule, mask=None,
                 recurrent_mask=None):
    """Gradients through the GRU loop (``reset_after=True``).

    Args:
        recurrent_kernel: ``(u, 3u)``, not halved.

    Returns:
        ``(d_x_gates, d_rec_h, dh0)``: ``d_x_gates`` ``(steps, batch, 3u)`` gradients of
        the input projections (``z, r, h``); the recurrent projections' gradients are the
        same in the ``z, r`` columns and ``d_rec_h`` ``(steps, batch, u)`` in the last.
    """
    steps, batch, three_u = gates.shape
    u = three_u // 3
    dtype = gates.dtype
    d_x = np.empty_like(gates)
    d_rec_h = np.empty((steps, batch, u), dtype)
    dh = np.zeros((batch, u), dtype) if dh_last is None else np.array(dh_last, dtype)
    scratch = np.empty((batch, 2 * u), dtype)
    d_rec = np.empty((batch, u), dtype)
    d_rec_more = np.empty((batch, u), dtype)
    dh_held = None if mask is None else np.empty((batch, u), dtype)
    rk_zr_t = recurrent_kernel[:, : 2 * u].T
    rk_h_t = recurrent_kernel[:, 2 * u :].T

    def run(k: int) -> None:
        share = schedule.shares[k]
        for t, rows in schedule.rows(k, range(steps - 1, -1, -1)):
            if d_out is not None:
                dh[share] += d_out[t, share]
            if rows.stop < share.stop:
                d_x[t, rows.stop : share.stop] = 0
                d_rec_h[t, rows.stop : share.stop] = 0
                if rows.stop == rows.start:
                    continue
            g, dg, dh_r, w = gates[t, rows], d_x[t, rows], dh[rows], scratch[rows]
            w1 = w[:, :u]
            if mask is not None:
                m = mask[t, rows]
                np.subtract(1, m, out=w1[:, :1])
                np.multiply(dh_r, w1[:, :1], out=dh_held[rows])
                dh_r *= m
            z, r, cand = g[:, :u], g[:, u : 2 * u], g[:, 2 * u :]
            # dz = dh * (h_prev - cand); dcand = dh * (1 - z)
            np.subtract(h[t, rows], cand, out=dg[:, :u])
            dg[:, :u] *= dh_r
            dcand = dg[:, 2 * u :]
            np.subtract(1, z, out=dcand)
            dcand *= dh_r
            np.multiply(cand, cand, out=w1)
            np.subtract(1, w1, out=w1)
            dcand *= w1
            # candidate = tanh(x_h + r * rec_h): dr = dcand * rec_h, drec_h = dcand * r
            np.multiply(dcand, rec_h[t, rows], out=dg[:, u : 2 * u])
            np.multiply(dcand, r, out=d_rec_h[t, rows])
            np.subtract(1, g[:, : 2 * u], out=w)
            w *= g[:, : 2 * u]
            dg[:, : 2 * u] *= w
            # dh_prev = dh * z + [dz, dr] @ R_zr^T + drec_h @ R_h^T
            dh_r *= z
            through = d_rec[rows]
            np.matmul(dg[:, : 2 * u], rk_zr_t, out=through)
            np.matmul(d_rec_h[t, rows], rk_h_t, out=d_rec_more[rows])
            through += d_rec_more[rows]
            if recurrent_mask is not None:  # the state went through the products dropped
                through *= recurrent_mask[rows]
            dh_r += through
            if mask is not None:
                dh_r += dh_held[rows]

    schedule.run(run)
    return d_x, d_rec_h, dh


# -- simple RNN -----------------------------------------------------------------------


def rnn_forward(gates, h0, recurrent_kernel, activation: str, schedule, mask=None,
                recurrent_mask=None):
    """Run ``h = activation(x @ kernel + bias + h_prev @ recurrent_kernel)`` over all steps.

    ``gates`` ``(steps, batch, u)`` holds the input projections. Returns ``h``
    ``(steps + 1, batch, u)``.
    """
    steps, batch, u = gates.shape
    h = np.empty((steps + 1, batch, u), gates.dtype)
    h[0] = h0
    hold = None if mask is None else np.empty((batch, 1), bool)
    scratch_h = None if recurrent_mask is None else np.empty_like(h0, dtype=gates.dtype)

    def run(k: int) -> None:
        share = schedule.shares[k]
        for t, rows in schedule.rows(k, range(steps)):
            if _keep_idle(((h[t], h[t + 1]),), rows, share):
                continue
            h_new = h[t + 1, rows]
            np.matmul(_dropped(h[t, rows], recurrent_mask, rows, scratch_h), recurrent_kernel,
                      out=h_new)
            h_new += gates[t, rows]
            _activate(h_new, activation)
            if mask is not None:
                np.equal(mask[t, rows], 0, out=hold[rows])
                np.copyto(h_new, h[t, rows], where=hold[rows])

    schedule.run(run)
    return h


def rnn_backward(d_out, dh_last, h, recurrent_kernel, activation: str, schedule, mask=None,
                 recurrent_mask=None):
    """Gradients through :func:`rnn_forward`'s loop: ``(d_pre, dh0)``, ``d_pre``
    ``(steps, batch, u)`` the pre-activations' gradients."""
    steps, batch, u = h.shape[0] - 1, h.shape[1], h.shape[2]
    dtype = h.dtype
    d_pre = np.empty((steps, batch, u), dtype)
    dh = np.zeros((batch, u), dtype) if dh_last is None else np.array(dh_last, dtype)
    scratch = np.empty((batch, u), dtype)
    dh_held = None if mask is None else np.empty((batch, u), dtype)
    rk_t = recurrent_kernel.T

    def run(k: int) -> None:
        share = schedule.shares[k]
        for t, rows in schedule.rows(k, range(steps - 1, -1, -1)):
            if d_out is not None:
                dh[share] += d_out[t, share]
            if rows.stop < share.stop:
                d_pre[t, rows.stop : share.stop] = 0
                if rows.stop == rows.start:
                    continue
            dh_r, w, dp = dh[rows], scratch[rows], d_pre[t, rows]
            if mask is not None:
                m = mask[t, rows]
                np.subtract(1, m, out=w[:, :1])
                np.multiply(dh_r, w[:, :1], out=dh_held[rows])
                dh_r *= m
            dp[...] = dh_r
            _times_derivative(dp, h[t + 1, rows], activation, w)
            np.matmul(dp, rk_t, out=dh_r)
            if recurrent_mask is not None:
                dh_r *= recurrent_mask[rows]
            if mask is not None:
                dh_r += dh_held[rows]

    schedule.run(run)
    return d_pre, dh
