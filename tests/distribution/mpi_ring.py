"""Run under ``mpirun -n 3`` by test_ring.py: the ring collectives and the sharded
optimizer step on three ranks, whose pieces of the flat buffers are uneven and cut
through variables, against one process applying the mean gradient. Exits non-zero
with the difference if a check fails."""

from __future__ import annotations

import numpy as np

import deepgrad as dg
from deepgrad import collective
from deepgrad.tensor import Variable

SHAPES = [(10,), (7, 3), (20_001,), (3,), (2, 5)]  # packed, packed, in place, packed...


def _gradients(rank: int) -> list[np.ndarray]:
    rng = np.random.default_rng(10 + rank)
    return [rng.normal(size=shape).astype(np.float32) for shape in SHAPES]


def _variables() -> list[Variable]:
    rng = np.random.default_rng(0)
    return [Variable(rng.normal(size=shape).astype(np.float32)) for shape in SHAPES]


def main() -> None:
    dg.distribution.set_distribution(dg.distribution.DataParallel(timeout=60))
    group = collective.current()
    rank, size = group.rank, group.size
    assert size == 3, size

    # The all-reduce of a flat buffer (weighted by 1/size: equal shares).
    flat = np.concatenate([g.ravel() for g in _gradients(rank)])
    expected = sum(np.concatenate([g.ravel() for g in _gradients(r)]) for r in range(size))
    group.all_reduce_gradients([flat])
    np.testing.assert_allclose(flat, expected / size, rtol=1e-6, atol=1e-6)

    # Three steps of sharded Adam against one process's on the mean gradients.
    sharded, alone = _variables(), _variables()
    optimizer, reference = dg.optimizers.Adam(0.01), dg.optimizers.Adam(0.01)
    for step in range(3):
        grads = _gradients(rank + 3 * step)
        optimizer.apply(grads, sharded)
        collective.install(None)
        mean = [sum(_gradients(r + 3 * step)[i] for r in range(size)) / size
                for i in range(len(SHAPES))]
        reference.apply(mean, alone)
        collective.install(group)
    # A step with a None gradient is not sharded: the slots split so far are fetched first.
    grads = _gradients(rank + 9)
    optimizer.apply(grads[:1] + [None] + grads[2:], sharded)
    collective.install(None)
    mean = [sum(_gradients(r + 9)[i] for r in range(size)) / size for i in range(len(SHAPES))]
    reference.apply(mean[:1] + [None] + mean[2:], alone)
    collective.install(group)
    for a, b in zip(sharded, alone):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=0, atol=1e-6)
    state, expected_state = optimizer.get_state(), reference.get_state()
    assert sorted(state) == sorted(expected_state)
    for key in state:
        np.testing.assert_allclose(state[key], expected_state[key], rtol=1e-5, atol=1e-7)
    # Every rank holds rank 0's weights and state, bit for bit.
    mine = np.concatenate([v.numpy().ravel() for v in sharded]
                          + [np.ravel(state[k]) for k in sorted(state)]).astype(np.float64)
    first = mine.copy()
    group.comm.broadcast(first, "the check")
    assert np.array_equal(mine, first), "the ranks' weights or states differ"


if __name__ == "__main__":
    main()
