"""PyDataset (Sequence) through fit/evaluate/predict: threads and processes give the same
batches in the same order as computing them one by one; shuffling follows the global seed."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils import PyDataset, Sequence
from deepgrad.utils.py_dataset import PyDatasetBatches

X = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)


class Batches(PyDataset):
    def __init__(self, batch_size=8, **kwargs):
        super().__init__(**kwargs)
        self.batch_size = batch_size
        self.fetched, self.epochs_begun, self.epochs_ended = [], 0, 0
        self.lock = threading.Lock()

    def __len__(self):
        return -(-len(X) // self.batch_size)

    def __getitem__(self, index):
        with self.lock:
            self.fetched.append(index)
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return X[part], Y[part]

    def on_epoch_begin(self):
        self.epochs_begun += 1

    def on_epoch_end(self):
        self.epochs_ended += 1


def model():
    dg.utils.set_random_seed(3)
    net = dg.Sequential([dg.layers.Dense(4, activation="relu", input_shape=(3,)),
                         dg.layers.Dense(1)])
    net.compile(dg.optimizers.SGD(0.05), "mse")
    return net


def trained(x, **kwargs):
    net = model()
    history = net.fit(x, epochs=3, verbose=0, **kwargs)
    return net.get_weights(), history.history["loss"]


def test_same_training_as_arrays_in_order():
    expected = model()
    expected.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    dataset = Batches()
    weights, _ = trained(dataset, shuffle=False)
    for got, want in zip(weights, expected.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert dataset.fetched == list(range(7)) * 3
    assert (dataset.epochs_begun, dataset.epochs_ended) == (3, 3)


@pytest.mark.parametrize("options", [
    {"workers": 3},
    {"workers": 2, "max_queue_size": 1},
    # Forked workers, as Keras (Python 3.12+ warns that forking a threaded process is risky).
    pytest.param({"workers": 2, "use_multiprocessing": True},
                 marks=pytest.mark.filterwarnings(
                     "ignore:This process .* is multi-threaded:DeprecationWarning")),
])
def test_workers_give_the_same_result_in_the_same_order(options):
    serial = Batches()
    weights, losses = trained(serial, shuffle=True)
    order = serial.fetched
    assert sorted(order[:7]) == list(range(7)) and order[:7] != list(range(7))  # shuffled
    parallel = Batches(**options)
    got, got_losses = trained(parallel, shuffle=True)
    for a, b in zip(got, weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert got_losses == losses
    if not options.get("use_multiprocessing"):
        assert sorted(parallel.fetched) == sorted(order)
    assert parallel.epochs_ended == 3


def test_evaluate_and_predict_keep_the_order():
    net = model()
    net.fit(X, Y, epochs=1, verbose=0)
    dataset = Batches(workers=3, max_queue_size=2)
    np.testing.assert_array_equal(net.predict(dataset, verbose=0), net.predict(X, batch_size=8,
                                                                                verbose=0))
    assert net.evaluate(dataset, verbose=0) == pytest.approx(
        net.evaluate(X, Y, batch_size=8, verbose=0), rel=1e-6)


def test_queue_bounds_how_far_workers_run_ahead():
    dataset = Batches(workers=4, max_queue_size=2)
    epoch = PyDatasetBatches(dataset).epoch(shuffle=False)
    next(epoch)
    with dataset.lock:
        started = len(dataset.fetched)
    assert started <= 3  # the consumed batch and at most two ahead
    assert len(list(epoch)) == 6 and dataset.epochs_ended == 1


class Endless(PyDataset):
    @property
    def num_batches(self):
        return None

    def __getitem__(self, index):
        return X[:4] + index, Y[:4]


def test_endless_datasets_need_steps_and_errors_are_clear():
    net = model()
    with pytest.raises(ValueError, match="the PyDataset is endless"):
        net.fit(Endless(), epochs=1, verbose=0)
    history = net.fit(Endless(workers=2), steps_per_epoch=5, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2

    class NotABatch(Batches):
        def __getitem__(self, index):
            return "not a batch" if index == 1 else super().__getitem__(index)

    class Broken(Batches):
        def __getitem__(self, index):
            if index == 2:
                raise KeyError("broken batch 2")
            return super().__getitem__(index)

    with pytest.raises(ValueError, match="must return a tuple or a dict"):
        net.fit(NotABatch(), shuffle=False, epochs=1, verbose=0)
    with pytest.raises(KeyError, match="broken batch 2"):
        net.predict(Broken(workers=2), verbose=0)


def test_keras_names_and_the_missing_super_init_warning():
    assert Sequence is PyDataset and dg.utils.PyDataset is PyDataset

    class NoInit(PyDataset):
        def __init__(self):
            pass

        def __len__(self):
            return 1

        def __getitem__(self, index):
            return X[:2], Y[:2]

    with pytest.warns(UserWarning, match=r"should call `super\(\).__init__\(\*\*kwargs\)`"):
        assert NoInit().workers == 1
    assert [len(x) for x, _ in NoInit()] == [2]
