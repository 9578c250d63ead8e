"""deepgrad's thread policy: fixed groups, products split by shape and thread count, and
BLAS single-threaded from the first split to the end of a model's block (restored
after, also on errors)."""

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


def _count_splits(monkeypatch) -> list:
    calls = []
    real = parallel.run_parts
    monkeypatch.setattr(parallel, "run_parts", lambda fn, parts: (
        calls.append(len(parts)), real(fn, parts))[1])
    return calls


@pytest.mark.parametrize("m, n", [(300, 500), (500, 300)])  # split by columns, by rows
def test_matmul_splits_by_shape_and_thread_count_alone(monkeypatch, m, n):
    """The same split, and so the same numbers bit for bit, inside a model's block and
    outside it; close to one BLAS call (BLAS does not promise the same last bits for
    another split)."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(m, 200)).astype(np.float32)
    b = rng.normal(size=(200, n)).astype(np.float32)
    calls = _count_splits(monkeypatch)
    outside = parallel.matmul(a, b)
    with parallel.own_threads():
        inside = parallel.matmul(a, b)
        out = np.empty((m, n), np.float32)
        assert parallel.matmul(a, b, out=out) is out
    np.testing.assert_array_equal(inside, outside)
    np.testing.assert_array_equal(out, outside)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(outside, exact, rtol=0, atol=1e-5 * np.abs(exact).max())
    threads = parallel.thread_count()
    assert calls == ([threads] * 3 if threads > 1 else [])


def test_one_thread_means_one_blas_call(monkeypatch):
    rng = np.random.default_rng(3)
    a = rng.normal(size=(500, 200)).astype(np.float32)
    b = rng.normal(size=(200, 300)).astype(np.float32)
    calls = _count_splits(monkeypatch)
    dg.config.set_num_threads(1)
    try:
        with parallel.own_threads():
            ours = parallel.matmul(a, b)
        expected = np.matmul(a, b)
    finally:
        dg.config.set_num_threads(None)
    np.testing.assert_array_equal(ours, expected)
    assert calls == []


def test_small_products_are_one_blas_call(monkeypatch):
    calls = _count_splits(monkeypatch)
    a, b = np.ones((128, 784), np.float32), np.ones((784, 128), np.float32)
    with parallel.own_threads():
        np.testing.assert_array_equal(parallel.matmul(a, b), np.matmul(a, b))
    assert calls == []


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


def _split_something():
    parallel.run_parts(lambda i: i, [0, 1])


needs_two = pytest.mark.skipif(
    parallel.thread_count() < 2, reason="one core: deepgrad's threads never split work here")


@needs_two
def test_blas_keeps_its_threads_until_work_splits_then_until_the_block_ends():
    before = blas_threads()
    with pytest.raises(RuntimeError):
        with parallel.own_threads():
            assert blas_threads() == before  # nothing split yet: BLAS's threads
            _split_something()
            assert blas_threads() == 1
            with parallel.own_threads():  # nested: still one thread, also after it
                _split_something()
            assert blas_threads() == 1
            raise RuntimeError("inside")
    assert blas_threads() == before and parallel._BLOCKS.depth == 0


@needs_two
def test_outside_a_block_a_split_limits_blas_for_itself_only():
    before = blas_threads()
    seen = []
    parallel.run_parts(lambda i: seen.append(blas_threads()), [0, 1])
    assert seen == [1, 1] and blas_threads() == before


@needs_two
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
        _split_something()
        np.testing.assert_allclose(parallel.matmul(a, b), a @ b, rtol=1e-12)
        assert blas_threads() == 1
    assert seen == [parallel.thread_count()]


def small_mlp():
    model = dg.Sequential([dg.layers.Input((8,)), dg.layers.Dense(4), dg.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


@needs_two
@pytest.mark.parametrize("make, batch, limited", [
    (small_mlp, 2, False),  # products too small to split: BLAS's threads throughout
    (lambda: dg.Sequential([dg.layers.Input((12, 12, 1)), dg.layers.Conv2D(2, 3)]), 8, True),
    (lambda: dg.Sequential([dg.layers.Input((12, 12, 1)), dg.layers.Conv2D(2, 3)]), 1, False),
    (lambda: dg.Sequential([dg.layers.Input((600,)), dg.layers.Dense(30_000)]), 2, True),
])
def test_a_models_loop_is_one_block_decided_by_its_work(monkeypatch, make, batch, limited):
    """No model-level choice: the loop enters one block, and BLAS becomes single-threaded
    there only once a kernel splits work (a convolution over several images, a large
    product); a single image or a small network leaves BLAS its threads."""
    model = make()
    seen = []
    real = type(model).predict_step
    monkeypatch.setattr(type(model), "predict_step", lambda self, data: (
        real(self, data), seen.append((parallel._BLOCKS.depth, parallel._BLOCKS.limited())))[0])
    model.predict_on_batch(np.ones((batch,) + model.input_shape[1:], np.float32))
    assert seen == [(1, limited)]
    assert parallel._BLOCKS.depth == 0 and not parallel._BLOCKS.limited()


@pytest.mark.parametrize("splitter", ["first", "second"])
def test_overlapping_blocks_in_two_threads_restore_blas(splitter):
    """Two fits at once, the first to start ends first: BLAS gets its threads back
    whichever thread's work split first."""
    import threading

    before = blas_threads()
    entered, first_left = threading.Event(), threading.Event()
    depths = []

    def second():
        with parallel.own_threads():
            if splitter == "second":
                _split_something()
            depths.append(parallel._BLOCKS.depth)
            entered.set()
            first_left.wait(5)
        depths.append(parallel._BLOCKS.depth)

    with parallel.own_threads():
        if splitter == "first":
            _split_something()
        thread = threading.Thread(target=second)
        thread.start()
        entered.wait(5)
        depths.append(parallel._BLOCKS.depth)
    first_left.set()
    thread.join(5)
    assert depths == [1, 1, 0] and parallel._BLOCKS.depth == 0
    assert blas_threads() == before and not parallel._BLOCKS.limited()
