"""Pooling ops: forward against naive loops, backward against finite differences (float64)
and against PyTorch, TensorFlow's 'same' padding rule, dtypes, the course's walk-through."""

import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from deepgrad.kernels import geometry
from deepgrad.kernels import pool as kernels
from deepgrad.kernels.pool_axis import max_along_backward
from deepgrad.tensor import Tensor
from deepgrad.utils import gradient_check

import torch_reference as tr
from numpy_reference import naive_pool

rng = np.random.default_rng(0)


def distinct(*shape):
    """Values at least 0.05 apart, so a max has no ties and finite differences stay inside."""
    values = rng.permutation(math.prod(shape)).reshape(shape) * 0.05
    return values - values.mean()


# (input shape, pool_size, strides, padding): odd sizes, overlap, stride > size,
# size 1, a window as large as the input, batch 1 and 3.
CASES_2D = [
    ((1, 4, 4, 1), (2, 2), None, "valid"),
    ((3, 5, 5, 2), (2, 2), None, "valid"),
    ((3, 5, 5, 2), (2, 2), None, "same"),
    ((3, 5, 7, 2), (3, 3), (2, 2), "same"),
    ((1, 6, 6, 3), (3, 3), (1, 1), "same"),
    ((1, 6, 5, 2), (3, 2), (1, 1), "valid"),
    ((3, 7, 5, 2), (2, 3), (3, 1), "valid"),
    ((2, 5, 4, 2), (4, 2), (3, 1), "same"),
    ((3, 4, 6, 2), (1, 1), (2, 2), "valid"),
    ((2, 3, 3, 1), (3, 3), None, "valid"),
    ((1, 2, 7, 1), (2, 3), (1, 3), "same"),
]
CASES_1D = [
    ((1, 6, 2), (2,), None, "valid"),
    ((3, 7, 2), (2,), None, "valid"),
    ((3, 7, 2), (2,), None, "same"),
    ((3, 8, 1), (3,), (1,), "same"),
    ((1, 9, 2), (3,), (2,), "valid"),
    ((3, 7, 3), (2,), (3,), "same"),
    ((2, 5, 1), (5,), None, "valid"),
]
OPS = {
    2: (("max", ops.max_pool2d, np.max), ("avg", ops.avg_pool2d, np.mean)),
    1: (("max", ops.max_pool1d, np.max), ("avg", ops.avg_pool1d, np.mean)),
}
ALL = [(n, case) for n, cases in ((2, CASES_2D), (1, CASES_1D)) for case in cases]


def _ids(item):
    n, (shape, size, strides, padding) = item
    return f"{n}d-{'x'.join(map(str, shape))}-k{size}-s{strides}-{padding}"


@pytest.mark.parametrize("item", ALL, ids=[_ids(i) for i in ALL])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_forward_matches_naive_loops(item, kind):
    n, (shape, size, strides, padding) = item
    _, op, reduce = dict((k, (k, f, r)) for k, f, r in OPS[n])[kind]
    x = distinct(*shape).astype(np.float32)
    out = op(Tensor(x), size, strides, padding)
    expected = naive_pool(x, size, strides, padding, reduce)
    assert out.shape == expected.shape
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("item", ALL, ids=[_ids(i) for i in ALL])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_gradient_matches_finite_differences(item, kind):
    n, (shape, size, strides, padding) = item
    op = dict((k, f) for k, f, _ in OPS[n])[kind]
    assert gradient_check(lambda t: op(t, size, strides, padding), [distinct(*shape)])


@pytest.mark.parametrize("padding", ["VALID", "Same", "same"])
def test_padding_is_case_insensitive(padding):
    x = Tensor(distinct(1, 5, 5, 1))
    expected = naive_pool(x.data, (2, 2), None, padding.lower(), np.max)
    np.testing.assert_array_equal(ops.max_pool2d(x, 2, padding=padding).data, expected)


def test_float32_stays_float32_forward_and_backward():
    for op, shape in ((ops.max_pool2d, (2, 5, 5, 3)), (ops.avg_pool2d, (2, 5, 5, 3)),
                      (ops.max_pool1d, (2, 5, 3)), (ops.avg_pool1d, (2, 5, 3))):
        for padding in ("valid", "same"):
            x = Tensor(distinct(*shape).astype(np.float32), requires_grad=True)
            y = op(x, padding=padding)
            y.sum().backward()
            assert y.dtype == np.float32 and x.grad.dtype == np.float32, (op, padding)


def test_course_max_pool_walkthrough():
    # The course pools a 4x4 input 2x2 with stride 2 and gets [[6, 8], [9, 6]]; its input
    # is not reproduced, so this one is chosen to have those window maxima.
    x = np.array([[1, 6, 2, 8],
                  [3, 4, 7, 5],
                  [9, 0, 1, 2],
                  [3, 4, 6, 5]], dtype=np.float32).reshape(1, 4, 4, 1)
    t = Tensor(x, requires_grad=True)
    y = ops.max_pool2d(t, pool_size=(2, 2), strides=(2, 2))
    np.testing.assert_array_equal(y.data[0, :, :, 0], [[6, 8], [9, 6]])
    y.sum().backward()
    # Each window's gradient goes to its maximum only.
    np.testing.assert_array_equal(t.grad[0, :, :, 0], [[0, 1, 0, 1],
                                                       [0, 0, 0, 0],
                                                       [1, 0, 0, 0],
                                                       [0, 0, 1, 0]])


@pytest.mark.parametrize("length,size,stride,padding,expected", [
    (28, 2, 2, "valid", 14), (14, 2, 2, "valid", 7), (7, 2, 2, "valid", 3),
    (7, 2, 2, "same", 4), (5, 3, 1, "valid", 3), (5, 3, 1, "same", 5),
    (10, 3, 3, "valid", 3), (10, 3, 3, "same", 4), (4, 4, 1, "valid", 1),
])
def test_output_length_formula(length, size, stride, padding, expected):
    # valid: floor((n - k) / s) + 1; same: ceil(n / s).
    formula = (length - size) // stride + 1 if padding == "valid" else math.ceil(length / stride)
    assert geometry.pool_output_length(length, size, stride, padding) == formula == expected
    x = Tensor(np.zeros((1, length, length, 1), np.float32))
    assert ops.max_pool2d(x, size, stride, padding).shape == (1, expected, expected, 1)
    assert ops.avg_pool1d(x[:, :, 0], size, stride, padding).shape == (1, expected, 1)


def test_same_padding_puts_the_extra_cell_after():
    # Height 4, window 2, stride 1: out 4, one padding row, at the bottom.
    assert geometry.window(4, 2, 1, "same") == geometry.Window(2, 1, 4, 4, 0, 1)
    # Width 6, window 4, stride 1: three padding cells, one before and two after.
    assert geometry.window(6, 4, 1, "same")[-2:] == (1, 2)


def test_ties_go_to_the_first_maximum_in_row_major_order():
    x = Tensor(np.array([[0, 5], [5, 5]], np.float32).reshape(1, 2, 2, 1), requires_grad=True)
    ops.max_pool2d(x).sum().backward()
    np.testing.assert_array_equal(x.grad[0, :, :, 0], [[0, 1], [0, 0]])
    x = Tensor(np.zeros((1, 3, 3, 1), np.float32), requires_grad=True)
    ops.max_pool2d(x, 2, 1).sum().backward()
    np.testing.assert_array_equal(x.grad[0, :, :, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_no_graph_without_gradients():
    x = Tensor(distinct(1, 4, 4, 2), requires_grad=True)
    with dg.no_grad():
        y = ops.max_pool2d(x)
    assert not y.requires_grad
    assert not ops.max_pool2d(Tensor(x.data)).requires_grad


def test_integer_inputs():
    x = np.arange(16).reshape(1, 4, 4, 1)
    assert ops.max_pool2d(Tensor(x)).data.dtype == x.dtype
    avg = ops.avg_pool2d(Tensor(x))
    assert avg.dtype == np.float32
    np.testing.assert_allclose(avg.data[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])


@pytest.mark.parametrize("op,shape,match", [
    (ops.max_pool2d, (28, 28, 1), r"max_pool2d: expected a 4-D input \(batch, height, width, "
                                  r"channels\), got shape \(28, 28, 1\) — missing batch"),
    (ops.avg_pool1d, (5, 5, 5, 1), r"avg_pool1d: expected a 3-D input .* got shape \(5, 5, 5, 1\)"),
    (ops.max_pool1d, (10, 3), r"max_pool1d: .*missing batch dimension"),
])
def test_wrong_rank(op, shape, match):
    with pytest.raises(ValueError, match=match):
        op(Tensor(np.zeros(shape, np.float32)))


def test_bad_arguments():
    x = Tensor(np.zeros((1, 3, 3, 1), np.float32))
    with pytest.raises(ValueError, match=r"pool size \(4, 4\) is larger than the input's "
                                         r"spatial size \(3, 3\).*padding='valid'"):
        ops.max_pool2d(x, 4)
    assert ops.max_pool2d(x, 4, padding="same").shape == (1, 1, 1, 1)
    with pytest.raises(ValueError, match=r"`padding` must be 'valid' or 'same'. Received: "
                                         r"padding='full'"):
        ops.avg_pool2d(x, padding="full")
    with pytest.raises(ValueError, match=r"`pool_size` must be .* Received: pool_size=\(2, 0\)"):
        ops.max_pool2d(x, (2, 0))
    with pytest.raises(ValueError, match=r"`strides` must be .* Received: strides=\(1, 1, 1\)"):
        ops.max_pool2d(x, 2, (1, 1, 1))
    with pytest.raises(ValueError, match=r"`pool_size` must be a positive int"):
        ops.max_pool1d(x[:, :, 0], 2.5)


# -- against PyTorch (NCHW; the same seeded NHWC data transposed) --------------------------
# (input shape, pool, strides, padding, torch padding): 'same' only where TensorFlow pads
# both sides equally, which torch's symmetric `padding` can express.
TORCH_2D = [
    ((3, 8, 8, 4), (2, 2), None, "valid", 0),
    ((2, 7, 9, 3), (2, 2), None, "valid", 0),
    ((2, 7, 7, 3), (3, 3), (2, 2), "valid", 0),
    ((2, 6, 6, 3), (3, 3), (1, 1), "same", 1),
    ((2, 5, 7, 2), (3, 3), (2, 2), "same", 1),
    ((1, 9, 9, 2), (5, 5), (1, 1), "same", 2),
]


@pytest.mark.parametrize("shape,size,strides,padding,torch_padding", TORCH_2D)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_against_torch_2d(shape, size, strides, padding, torch_padding, kind):
    F = tr.import_torch().nn.functional
    x = rng.normal(size=shape).astype(np.float32)
    op = ops.max_pool2d if kind == "max" else ops.avg_pool2d
    stride = strides or size

    def reference(t):
        t = tr.channels_first(t)
        if kind == "max":
            return tr.channels_last(F.max_pool2d(t, size, stride, torch_padding))
        return tr.channels_last(F.avg_pool2d(t, size, stride, torch_padding,
                                             count_include_pad=False))

    # Max picks the same elements: its forward is exact, and so is its gradient where
    # windows do not overlap. Sums (an average, and the gradient where windows overlap)
    # run in another order: float32 rounding.
    exact, exact_grad = kind == "max", kind == "max" and stride == size
    tr.compare(lambda t: op(t, size, strides, padding), reference, [x],
               atol=0 if exact else 1e-6, rtol=0 if exact else 1e-5,
               grad_atol=0 if exact_grad else 1e-6, grad_rtol=0 if exact_grad else 1e-5)


def test_against_torch_with_ties():
    # After a ReLU most windows tie at zero: the gradient goes to the same (first) cell.
    F = tr.import_torch().nn.functional
    x = np.maximum(rng.integers(-3, 3, size=(4, 8, 10, 3)), 0).astype(np.float32)
    tr.compare(lambda t: ops.max_pool2d(t, 2),
               lambda t: tr.channels_last(F.max_pool2d(tr.channels_first(t), 2)), [x], atol=0,
               rtol=0)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("size,stride", [(2, 2), (3, 2), (2, 1)])
def test_against_torch_1d(kind, size, stride):
    F = tr.import_torch().nn.functional
    x = rng.normal(size=(3, 11, 4)).astype(np.float32)
    op = ops.max_pool1d if kind == "max" else ops.avg_pool1d
    reference = F.max_pool1d if kind == "max" else F.avg_pool1d
    tr.compare(lambda t: op(t, size, stride),
               lambda t: tr.channels_last(reference(tr.channels_first(t), size, stride)), [x],
               atol=0, rtol=1e-6)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", [((7, 6, 6, 3), (2, 2), None, "valid"),
                                  ((5, 7, 5, 2), (3, 3), (2, 2), "same"),
                                  ((2, 4, 4, 1), (2, 2), None, "same")])
def test_batch_split_between_threads_gives_identical_results(monkeypatch, kind, case):
    shape, size, strides, padding = case
    op = ops.max_pool2d if kind == "max" else ops.avg_pool2d
    x = distinct(*shape).astype(np.float32)
    g_seed = np.random.default_rng(1)

    def run():
        t = Tensor(x, requires_grad=True)
        y = op(t, size, strides, padding)
        y.backward(g_seed.normal(size=y.shape).astype(np.float32))
        return y.data, t.grad

    g_seed = np.random.default_rng(1)
    serial = run()
    monkeypatch.setattr(kernels, "_PARALLEL_MIN_SIZE", 0)
    monkeypatch.setattr(kernels, "_thread_count", lambda: 3)
    assert len(kernels.batch_parts(shape[0], x.size)) == min(3, shape[0])
    g_seed = np.random.default_rng(1)
    split = run()
    np.testing.assert_array_equal(split[0], serial[0])
    np.testing.assert_array_equal(split[1], serial[1])


def test_pool_threads_follow_set_num_threads():
    from deepgrad.kernels import pool

    try:
        dg.config.set_num_threads(1)
        assert pool.batch_parts(128, 1 << 20) == [slice(0, 128)]
    finally:
        dg.config.set_num_threads(None)


@pytest.mark.parametrize("size", [(2, 2), (3, 3), (2, 3)])
def test_tiled_max_pool_backward_equals_two_passes_bit_for_bit(size):
    from deepgrad.kernels import pool

    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((4, 12, 12, 5)), 0).astype(np.float32)
    x[0, :3, :3] = 0.5  # ties: the first cell in row-major order wins
    out, state = pool.max_pool2d(x, size, size, "valid")
    g = rng.standard_normal(out.shape).astype(np.float32)
    wh, ww, parts, argmaxes = state
    two_passes = np.concatenate([
        max_along_backward(max_along_backward(g[part], arg_h, 1, wh), arg_w, 2, ww)
        for part, (arg_h, arg_w) in zip(parts, argmaxes)
    ])
    assert pool.max_pool2d_backward(g, state).tobytes() == two_passes.tobytes()
