"""deepgrad's own threads: fixed groups, split products, and BLAS single-threaded inside
``own_threads`` (restored after, also on errors)."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import deepgrad as dg
from deepgrad.kernels import conv, parallel
from deepgrad.kernels.geometry import conv_geometry


def blas_threads():
    """Threads of NumPy's BLAS (torch, when imported, brings a BLAS of its own)."""
    numpy_blas = [p for p in threadpool_info() if p["user_api"] == "blas"
                  and "numpy" in p["filepath"]] or [p for p in threadpool_info()
                                                   if p["user_api"] == "blas"]
    return max(p["num_threads"] for p in numpy_blas)


@pytest.mark.parametrize("m, n", [(300, 500), (500, 300)])  # split by columns, by rows
def test_matmul_matches_numpy_bit_for_bit(monkeypatch, m, n):
    """Split over threads inside own_threads, one BLAS call outside: the same numbers."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(m, 200)).astype(np.float32), rng.normal(size=(200, n))
    b = b.astype(np.float32)
    calls = []
    monkeypatch.setattr(parallel, "run_parts", lambda fn, parts: (
        calls.append(len(parts)), [fn(part) for part in parts])[1])
    np.testing.assert_array_equal(parallel.matmul(a, b), np.matmul(a, b))
    assert calls == []
    with parallel.own_threads():
        np.testing.assert_array_equal(parallel.matmul(a, b), np.matmul(a, b))
        out = np.empty((m, n), np.float32)
        assert parallel.matmul(a, b, out=out) is out
    assert calls == ([parallel.thread_count()] * 2 if parallel.thread_count() > 1 else [])


def test_groups_do_not_depend_on_the_thread_count():
    rng = np.random.default_rng(1)
    x, g = rng.normal(size=(9, 8, 8, 3)), rng.normal(size=(9, 8, 8, 4))
    w2 = rng.normal(size=(27, 4))
    geo = conv_geometry(x.shape, (3, 3, 3, 4), padding="same")
    results = []
    for threads in (1, 2, None):
        dg.config.set_num_threads(threads)
        try:
            results.append(conv.conv_backward(x, w2, g, geo, need_bias=True))
        finally:
            dg.config.set_num_threads(None)
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            np.testing.assert_array_equal(a, b)


def test_own_threads_makes_blas_single_threaded_and_restores_it():
    before = blas_threads()
    inside = 1 if parallel.thread_count() > 1 else before  # one core: nothing to switch off
    with pytest.raises(RuntimeError):
        with parallel.own_threads():
            assert blas_threads() == inside
            with parallel.own_threads():  # nested: still one thread
                assert blas_threads() == inside
            assert blas_threads() == inside
            raise RuntimeError("inside")
    assert blas_threads() == before


def test_one_row_times_a_large_matrix_uses_blas_threads_then_one_again(monkeypatch):
    """A single image's dense layer is memory-bound: BLAS's own threads take it, and
    BLAS is single-threaded again right after."""
    seen = []
    real = np.matmul
    monkeypatch.setattr(parallel.np, "matmul", lambda *a, **k: (
        seen.append(blas_threads()), real(*a, **k))[1])
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(1, 1100)), rng.normal(size=(1100, 1000))
    with parallel.own_threads():
        np.testing.assert_allclose(parallel.matmul(a, b), a @ b, rtol=1e-12)
        assert blas_threads() == (1 if parallel.thread_count() > 1 else seen[0])
    assert seen == [parallel.thread_count()]


def small_mlp():
    model = dg.Sequential([dg.layers.Input((8,)), dg.layers.Dense(4), dg.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.mark.parametrize("make, own", [
    (small_mlp, False),  # products too small to hand over: BLAS's threads
    (lambda: dg.Sequential([dg.layers.Dense(2)]), True),  # not built: ours
    (lambda: dg.Sequential([dg.layers.Input((6, 6, 1)), dg.layers.Conv2D(2, 3)]), True),
    (lambda: dg.Sequential([dg.layers.Input((6, 6, 1)), dg.layers.MaxPooling2D(2)]), True),
    (lambda: dg.Sequential([dg.layers.Input((600,)), dg.layers.Dense(500)]), True),  # big update
])
def test_models_run_on_our_threads_where_kernels_or_updates_use_them(monkeypatch, make, own):
    model = make()
    seen = []
    monkeypatch.setattr(type(model), "predict_step", lambda self, batch: seen.append(
        parallel._owned) or np.zeros(1))
    x = np.zeros((2,) + model.input_shape[1:], np.float32) if model.built else np.zeros((2, 3))
    model.predict_on_batch(x)
    model.predict_on_batch(x[:1])  # a single sample: BLAS's threads whatever the model
    assert seen == [1 if own else 0, 0]


def test_the_choice_of_threads_follows_the_layers(monkeypatch):
    model = small_mlp()
    seen = []
    monkeypatch.setattr(type(model), "predict_step", lambda self, batch: seen.append(
        parallel._owned) or np.zeros(1))
    model.predict_on_batch(np.zeros((2, 8), np.float32))
    model.add(dg.layers.Dense(100_000))  # 300,000 more weights: the update is split
    model.predict_on_batch(np.zeros((2, 8), np.float32))
    assert seen == [0, 1]


def test_overlapping_blocks_in_two_threads_count_and_restore():
    """Two fits at once: the count of open blocks comes back to 0 and BLAS to its
    threads, whichever block ends first."""
    import threading

    before = blas_threads()
    entered, first_left = threading.Event(), threading.Event()

    def second():
        with parallel.own_threads():
            entered.set()
            first_left.wait(5)

    with parallel.own_threads():
        thread = threading.Thread(target=second)
        thread.start()
        entered.wait(5)
        assert parallel._owned == 2
    first_left.set()
    thread.join(5)
    assert parallel._owned == 0 and blas_threads() == before
