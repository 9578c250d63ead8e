"""The parts of data-parallel training that need no MPI: the API on one process, the
metric states summed over ranks, synchronized batch norm with threads as ranks."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import collective
from deepgrad.distribution import metric_state
from deepgrad.distribution.communicator import find_world_size
from deepgrad.ops.norm_synchronized import batch_norm_train_synchronized
from deepgrad.ops.normalization import batch_norm_train
from deepgrad.tensor import Tensor, grad
from deepgrad.utils import gradient_check


# -- the API on one process --------------------------------------------------------------
def test_one_process_lists_one_cpu_and_installs_nothing():
    assert dg.distribution.list_devices() == ["cpu:0"]
    assert dg.distribution.get_device_count("cpu") == 1
    parallel = dg.distribution.DataParallel(devices=["cpu:0"])
    with parallel.scope():
        assert dg.distribution.distribution() is parallel
        assert collective.current() is None  # one process: nothing changes
    assert dg.distribution.distribution() is None
    assert (parallel.num_processes, parallel.process_id, parallel.auto_shard_dataset) == (
        1, 0, True)


def test_fit_under_data_parallel_on_one_process_is_unchanged():
    def train():
        dg.utils.set_random_seed(3)
        model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(4, activation="relu"),
                               dg.layers.Dense(1)])
        model.compile("adam", "mse")
        x = np.random.default_rng(0).normal(size=(50, 3)).astype("float32")
        model.fit(x, x[:, :1], batch_size=8, epochs=2, verbose=0)
        return model.get_weights()

    plain = train()
    with dg.distribution.DataParallel().scope():
        parallel = train()
    for a, b in zip(plain, parallel):
        np.testing.assert_array_equal(a, b)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="`devices` must be None or every process's device"):
        dg.distribution.DataParallel(devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match="`device_mesh` is not supported"):
        dg.distribution.DataParallel(device_mesh="mesh")
    with pytest.raises(ValueError, match="`device_type` must be None or 'cpu'"):
        dg.distribution.list_devices("gpu")
    with pytest.raises(TypeError, match="expected a DataParallel or None"):
        dg.distribution.set_distribution("data_parallel")


def test_world_size_comes_from_the_launcher():
    assert find_world_size({"OMPI_COMM_WORLD_SIZE": "8"}) == 8
    assert find_world_size({"PMI_SIZE": "3"}) == 3
    assert find_world_size({"OMPI_COMM_WORLD_SIZE": ""}) == 1


# -- metric states summed over ranks -----------------------------------------------------
_rng = np.random.default_rng(5)
_LABELS = _rng.integers(0, 3, 40)
_PROBS = _rng.dirichlet(np.ones(3), 40).astype("float32")
_BINARY = (_LABELS == 1).astype("float32")
_SCORES = _PROBS[:, 1]

METRICS = [
    (lambda: dg.metrics.Mean(), lambda s: (_SCORES[s],)),
    (lambda: dg.metrics.Sum(), lambda s: (_SCORES[s],)),
    (lambda: dg.metrics.SparseCategoricalAccuracy(), lambda s: (_LABELS[s], _PROBS[s])),
    (lambda: dg.metrics.BinaryAccuracy(), lambda s: (_BINARY[s], _SCORES[s])),
    (lambda: dg.metrics.AUC(), lambda s: (_BINARY[s], _SCORES[s])),
    (lambda: dg.metrics.Precision(), lambda s: (_BINARY[s], _SCORES[s])),
    (lambda: dg.metrics.Recall(thresholds=[0.2, 0.5]), lambda s: (_BINARY[s], _SCORES[s])),
    (lambda: dg.metrics.MeanIoU(num_classes=3), lambda s: (_LABELS[s], _PROBS[s].argmax(1))),
    (lambda: dg.metrics.F1Score(), lambda s: (np.eye(3)[_LABELS[s]], _PROBS[s])),
    (lambda: dg.metrics.R2Score(), lambda s: (_BINARY[s], _SCORES[s])),
    (lambda: dg.metrics.MeanSquaredError(), lambda s: (_BINARY[s, None], _SCORES[s, None])),
]


@pytest.mark.parametrize("make, data", METRICS, ids=[type(m()).__name__ for m, _ in METRICS])
def test_summed_states_give_the_metric_of_the_whole_batch(make, data):
    """Two "ranks" see 25 and 15 rows; their summed states give the 40-row result."""
    whole, first, second = make(), make(), make()
    whole.update_state(*data(slice(None)))
    first.update_state(*data(slice(0, 25)))
    second.update_state(*data(slice(25, None)))
    summed = metric_state.pack([first]) + metric_state.pack([second])
    before = first.result()
    with metric_state.summed_into([first], summed):
        np.testing.assert_allclose(first.result(), whole.result(), rtol=1e-6, atol=1e-7)
    assert first.result() == before  # its own state is back


def test_snapshot_and_restore_leave_a_metric_unchanged():
    metric = dg.metrics.MeanIoU(num_classes=2)
    metric.update_state([0, 1], [0, 0])
    saved, before = metric_state.snapshot([metric]), metric.result()
    metric.update_state([1, 1], [1, 1])
    metric_state.restore([metric], saved)
    assert metric.result() == before


@pytest.mark.parametrize("make", [lambda: dg.metrics.AUC(), lambda: dg.metrics.F1Score()])
def test_a_lazy_state_restored_is_zeros_that_sum(make):
    """A stand-in row on a rank whose metric had seen nothing: its state becomes zeros of
    the right shape (summable), and adds nothing to the other rank's."""
    labels, scores = np.eye(2)[[0, 1, 1]], np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    if isinstance(make(), dg.metrics.AUC):
        labels, scores = labels[:, 1], scores[:, 1]
    stand_in, other, whole = make(), make(), make()
    saved = metric_state.snapshot([stand_in])
    stand_in.update_state(labels[:1], scores[:1])
    metric_state.restore([stand_in], saved)
    other.update_state(labels, scores)
    whole.update_state(labels, scores)
    summed = metric_state.pack([stand_in]) + metric_state.pack([other])
    with metric_state.summed_into([other], summed):
        np.testing.assert_allclose(other.result(), whole.result())


def test_a_state_that_cannot_be_summed_is_named():
    class Last(dg.metrics.Metric):
        def reset_state(self):
            self.values = []

        def update_state(self, value):
            self.values.append(value)

        def result(self):
            return self.values[-1]

    metric = Last(name="last")
    metric.reset_state()
    with pytest.raises(TypeError, match="metric 'last' .* keeps its state `values` as list"):
        metric_state.pack([metric])


# -- synchronized batch norm, with threads as ranks --------------------------------------
class ThreadRanks:
    """An all-reduce between threads: each deposits its array, all read the sum."""

    def __init__(self, size: int):
        self.slots = [None] * size
        self.barrier = threading.Barrier(size)

    def all_reduce(self, rank: int):
        def reduce(array: np.ndarray) -> np.ndarray:
            self.slots[rank] = array.copy()
            self.barrier.wait()
            total = np.sum(self.slots, axis=0)
            self.barrier.wait()
            return total

        return reduce


@pytest.mark.parametrize("axis", [-1, 1])
def test_synchronized_batch_norm_on_slices_equals_batch_norm_on_the_whole(axis):
    """Slices of 5 and 3 rows, each with its share as weight: outputs, statistics and
    (share-weighted) gradients equal one batch norm over the 8 rows."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 3, 4)) * 2 + 1
    gamma, beta = rng.normal(size=3 if axis == 1 else 4), rng.normal(size=3 if axis == 1 else 4)
    upstream = rng.normal(size=x.shape)
    cuts = [slice(0, 5), slice(5, 8)]

    def loss_and_grads(fn, rows):
        X, G, B = (Tensor(a, requires_grad=True) for a in (x[rows], gamma, beta))
        y, mean, var = fn(X, G, B)
        loss = (y * Tensor(upstream[rows])).sum() * (1.0 / len(x[rows]))
        return y.data, mean, var, grad(loss, [X, G, B])

    y, mean, var, (dx, dgamma, dbeta) = loss_and_grads(
        lambda X, G, B: batch_norm_train(X, G, B, axis=axis), slice(None))
    ranks, found = ThreadRanks(2), [None, None]

    def run(rank):
        weight = (cuts[rank].stop - cuts[rank].start) / len(x)
        found[rank] = (weight, loss_and_grads(lambda X, G, B: batch_norm_train_synchronized(
            X, G, B, axis=axis, all_reduce=ranks.all_reduce(rank), weight=weight), cuts[rank]))

    threads = [threading.Thread(target=run, args=(r,)) for r in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for rank, (weight, (y_r, mean_r, var_r, grads_r)) in enumerate(found):
        np.testing.assert_allclose(y_r, y[cuts[rank]], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(mean_r, mean, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(var_r, var, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(weight * grads_r[0], dx[cuts[rank]], rtol=1e-9, atol=1e-12)
    for i, expected in ((1, dgamma), (2, dbeta)):
        total = sum(weight * grads[i] for weight, (*_, grads) in found)
        np.testing.assert_allclose(total, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("axis", [-1, 1])
def test_synchronized_batch_norm_gradients_against_finite_differences(axis):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 3, 2))
    channels = x.shape[axis]
    assert gradient_check(
        lambda a, g, b: batch_norm_train_synchronized(
            a, g, b, axis=axis, all_reduce=lambda v: v)[0],
        [x, rng.normal(size=channels), rng.normal(size=channels)])


def test_a_weight_of_zero_adds_nothing_to_the_statistics():
    ranks, found = ThreadRanks(2), [None, None]
    x = np.arange(12.0).reshape(6, 2)

    def run(rank, rows, weight):
        found[rank] = batch_norm_train_synchronized(
            Tensor(x[rows]), all_reduce=ranks.all_reduce(rank), weight=weight)[1]

    threads = [threading.Thread(target=run, args=(0, slice(None), 1.0)),
               threading.Thread(target=run, args=(1, slice(0, 1), 0.0))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_allclose(found[1], x.mean(axis=0))


# -- one rank's piece of an optimizer step (ZeRO stage 1) --------------------------------
@pytest.mark.parametrize("cuts", [[0, 7, 40_045], [0, 100, 20_000, 20_400, 40_045]])
def test_a_flat_step_in_pieces_equals_one_whole_step(cuts):
    """Adam's rule over pieces of the flat layout that cut through packed buckets and an
    in-place variable gives the whole step's weights and slots, bit for bit."""
    from deepgrad.optimizers.flat import FlatStorage
    from deepgrad.tensor import Variable

    shapes = [(10,), (7, 3), (20_001,), (3,), (20_000,), (2, 5)]
    rng = np.random.default_rng(0)
    values = [rng.normal(size=s).astype(np.float32) for s in shapes]
    grads = [rng.normal(size=s).astype(np.float32) for s in shapes]
    optimizers = [dg.optimizers.Adam(0.1) for _ in range(2)]
    variables = [[Variable(v.copy()) for v in values] for _ in range(2)]
    stored = [FlatStorage(vs, opt._slot_specs()) for vs, opt in zip(variables, optimizers)]
    update = optimizers[0]._rule(1, 0.1, None)
    for storage in stored:
        assert storage.gather(grads)
    group_whole, group_parts = stored[0].groups[0], stored[1].groups[0]
    assert cuts[-1] == group_whole.grad.size
    group_whole.step(update)
    for start, stop in zip(cuts, cuts[1:]):
        group_parts.step(update, start, stop)
    for a, b in zip(variables[0], variables[1]):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(variables[0][2].numpy(), values[2])
    for name in group_whole.slots:
        np.testing.assert_array_equal(group_whole.slots[name], group_parts.slots[name])
