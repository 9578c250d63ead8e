"""Training with 1, 2 or 4 threads (issue 13, item 13): which paths give the same bits.

Measured (this test's models, Adam, 2 epochs; the README's "Determinism" says the same):
convolutions (fixed groups, ``kernels.parallel.run_groups``), pooling, normalisation,
elementwise passes, the optimizer's updates and tiny products give bit-identical weights
for any thread count. Products that OpenBLAS runs on several threads (a Dense layer on 768
features already) or that deepgrad splits by thread count (``kernels.parallel.matmul``),
and recurrent layers' products, differ in the last bits (under 1e-6 after 2 epochs). With
one thread count, every run is bit-identical.
"""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.kernels import parallel


def _cnn():
    return [dg.Input((16, 16, 3)), dg.layers.Conv2D(16, 3, activation="relu"),
            dg.layers.BatchNormalization(), dg.layers.MaxPooling2D(),
            dg.layers.Conv2D(32, 3, activation="relu"), dg.layers.GlobalAveragePooling2D(),
            dg.layers.Dropout(0.2), dg.layers.Dense(10, activation="softmax")]


def _tiny_mlp():  # products OpenBLAS runs on one thread whatever its thread count
    return [dg.Input((16, 16, 3)), dg.layers.GlobalAveragePooling2D(),
            dg.layers.Dense(32, activation="relu"), dg.layers.Dense(10, activation="softmax")]


def _mlp():  # 768 x 32: OpenBLAS's threads change the last bits
    return [dg.Input((16, 16, 3)), dg.layers.Flatten(), dg.layers.Dense(32, activation="relu"),
            dg.layers.Dense(10, activation="softmax")]


def _large_dense():  # 768 x 2048 x 64 = 1e8 multiply-adds a step: split by thread count
    return [dg.Input((16, 16, 3)), dg.layers.Flatten(), dg.layers.Dense(2048, activation="relu"),
            dg.layers.Dense(10, activation="softmax")]


def _train(layers, threads: int, monkeypatch, batch_size=32):
    splits = []
    real = parallel._BLOCKS.splitting

    def counted():
        splits.append(1)
        return real()

    with monkeypatch.context() as patch:
        # deepgrad's threads follow the cores; pretend to have `threads` of them, so the test
        # splits work the same way on any machine (one core or many).
        patch.setattr(parallel, "thread_count", lambda: threads)
        patch.setattr(parallel._BLOCKS, "splitting", counted)
        dg.config.set_num_threads(threads)
        try:
            dg.utils.set_random_seed(0)
            dg.layers.clear_session()
            rng = np.random.default_rng(0)
            x = rng.normal(size=(128, 16, 16, 3)).astype("float32")
            y = rng.integers(0, 10, 128)
            model = dg.Sequential(layers())
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
            model.fit(x, y, epochs=2, batch_size=batch_size, verbose=0)
        finally:
            dg.config.set_num_threads(None)
    return model.get_weights(), len(splits)


@pytest.mark.parametrize("layers", [_cnn, _tiny_mlp])
def test_same_bits_for_any_thread_count(layers, monkeypatch):
    reference, _ = _train(layers, 1, monkeypatch)
    for threads in (2, 4):
        weights, splits = _train(layers, threads, monkeypatch)
        if layers is _cnn:
            assert splits > 0  # the work was split over threads: the test tests something
        for a, b in zip(reference, weights, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("layers", [_mlp, _large_dense])
def test_dense_products_differ_only_in_the_last_bits(layers, monkeypatch):
    reference, _ = _train(layers, 1, monkeypatch, batch_size=64)
    weights, splits = _train(layers, 2, monkeypatch, batch_size=64)
    assert splits > 0 or layers is _mlp
    for a, b in zip(reference, weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)


def test_one_thread_count_repeats_exactly(monkeypatch):
    first, _ = _train(_large_dense, 2, monkeypatch, batch_size=64)
    again, _ = _train(_large_dense, 2, monkeypatch, batch_size=64)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
