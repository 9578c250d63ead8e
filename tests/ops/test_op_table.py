"""The op table: every differentiable op, forward against NumPy and backward against
central finite differences in float64, over several shapes (broadcasting included).
The rows of Keras's NumPy-like ops and of the rest of Keras's ops live in
tests/op_rows_numpy.py and tests/op_rows_more.py; the checks in tests/op_table.py."""

import math

import numpy as np
import op_rows_more
import op_rows_numpy
import pytest
from op_table import check_backward, check_float32, check_forward

from deepgrad import ops
from deepgrad.tensor import Tensor
from deepgrad.utils import gradient_check

import torch_reference as tr

rng = np.random.default_rng(0)


def pos(*shape):
    return rng.uniform(0.5, 2.0, size=shape)


def any_(*shape):
    return rng.normal(size=shape)


def away_from_zero(*shape):
    x = rng.uniform(0.2, 2.0, size=shape)
    return x * rng.choice([-1, 1], size=shape)


# The batch-norm rows draw from their own generator, so the other rows' inputs stay as
# they were (test_gelu_matches_torch is tight on its draws).
_bn_rng = np.random.default_rng(17)


def _bn_any(*shape):
    return _bn_rng.normal(size=shape)


def _batch_norm(x, gamma, beta, axis):
    others = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    mean, var = x.mean(axis=others, keepdims=True), x.var(axis=others, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-3) * gamma.reshape(shape) + beta.reshape(shape)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# (name, function of Tensors, reference of arrays, input makers)
OP_TABLE = [
    ("add", ops.add, np.add, [any_(3, 4), any_(3, 4)]),
    ("add_broadcast_row", ops.add, np.add, [any_(3, 4), any_(4)]),
    ("add_broadcast_col", ops.add, np.add, [any_(3, 1), any_(1, 4)]),
    ("add_scalar_tensor", ops.add, np.add, [any_(2, 3), any_()]),
    ("subtract", ops.subtract, np.subtract, [any_(2, 3), any_(2, 3)]),
    ("subtract_broadcast", ops.subtract, np.subtract, [any_(4), any_(2, 3, 4)]),
    ("multiply", ops.multiply, np.multiply, [any_(2, 3), any_(2, 3)]),
    ("multiply_broadcast", ops.multiply, np.multiply, [any_(2, 1, 3), any_(4, 1)]),
    ("divide", ops.divide, np.divide, [any_(2, 3), away_from_zero(2, 3)]),
    ("divide_broadcast", ops.divide, np.divide, [any_(2, 3), away_from_zero(3)]),
    ("power", ops.power, np.power, [pos(2, 3), any_(2, 3)]),
    ("power_broadcast", ops.power, np.power, [pos(2, 3), any_(1)]),
    ("negative", ops.negative, np.negative, [any_(5)]),
    ("square", ops.square, np.square, [any_(2, 3)]),
    ("exp", ops.exp, np.exp, [any_(2, 3)]),
    ("log", ops.log, np.log, [pos(2, 3)]),
    ("sqrt", ops.sqrt, np.sqrt, [pos(2, 3)]),
    ("abs", ops.abs, np.abs, [away_from_zero(2, 3)]),
    ("tanh", ops.tanh, np.tanh, [any_(2, 3)]),
    ("sigmoid", ops.sigmoid, lambda x: 1 / (1 + np.exp(-x)), [any_(2, 3)]),
    ("relu", ops.relu, lambda x: np.maximum(x, 0), [away_from_zero(3, 4)]),
    ("clip", lambda x: ops.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5),
     [np.array([-1.0, -0.3, 0.1, 0.4, 0.9])]),
    ("maximum", ops.maximum, np.maximum, [any_(3, 4), any_(3, 4)]),
    ("minimum", ops.minimum, np.minimum, [any_(3, 4), any_(4)]),
    ("where", lambda a, b: ops.where(np.array([[True, False, True]]), a, b),
     lambda a, b: np.where(np.array([[True, False, True]]), a, b), [any_(2, 3), any_(3)]),
    ("matmul", ops.matmul, np.matmul, [any_(3, 4), any_(4, 2)]),
    ("matmul_batched", ops.matmul, np.matmul, [any_(2, 3, 4), any_(4, 5)]),
    ("matmul_broadcast_batch", ops.matmul, np.matmul, [any_(2, 1, 3, 4), any_(3, 4, 2)]),
    ("matmul_vec_mat", ops.matmul, np.matmul, [any_(4), any_(4, 3)]),
    ("matmul_mat_vec", ops.matmul, np.matmul, [any_(3, 4), any_(4)]),
    ("dense", lambda x, w, b: ops.dense(x, w, b), lambda x, w, b: x @ w + b,
     [any_(5, 4), any_(4, 3), any_(3)]),
    ("dense_relu", lambda x, w, b: ops.dense(x, w, b, "relu"),
     lambda x, w, b: np.maximum(x @ w + b, 0), [any_(5, 4), any_(4, 3), any_(3)]),
    ("dense_3d_input", lambda x, w: ops.dense(x, w), lambda x, w: x @ w,
     [any_(2, 3, 4), any_(4, 2)]),
    ("sum_all", ops.sum, np.sum, [any_(2, 3)]),
    ("sum_axis", lambda x: ops.sum(x, axis=1), lambda x: x.sum(axis=1), [any_(2, 3, 4)]),
    ("sum_keepdims", lambda x: ops.sum(x, axis=(0, 2), keepdims=True),
     lambda x: x.sum(axis=(0, 2), keepdims=True), [any_(2, 3, 4)]),
    ("mean_all", ops.mean, np.mean, [any_(2, 3)]),
    ("mean_axis_neg", lambda x: ops.mean(x, axis=-1), lambda x: x.mean(axis=-1), [any_(2, 3, 4)]),
    ("max_axis", lambda x: ops.max(x, axis=1), lambda x: x.max(axis=1), [any_(3, 5)]),
    ("max_all", ops.max, np.max, [any_(3, 5)]),
    ("min_keepdims", lambda x: ops.min(x, axis=0, keepdims=True),
     lambda x: x.min(axis=0, keepdims=True), [any_(3, 5)]),
    ("logsumexp", lambda x: ops.logsumexp(x, axis=1),
     lambda x: np.log(np.exp(x).sum(axis=1)), [any_(3, 5)]),
    ("reshape", lambda x: ops.reshape(x, (3, 4)), lambda x: x.reshape(3, 4), [any_(2, 6)]),
    ("transpose", lambda x: ops.transpose(x, (2, 0, 1)),
     lambda x: x.transpose(2, 0, 1), [any_(2, 3, 4)]),
    ("getitem_slice", lambda x: ops.getitem(x, (slice(None), slice(1, 3))),
     lambda x: x[:, 1:3], [any_(3, 4)]),
    ("getitem_fancy_repeat", lambda x: ops.getitem(x, np.array([0, 2, 0])),
     lambda x: x[np.array([0, 2, 0])], [any_(3, 4)]),
    ("concatenate", lambda a, b: ops.concatenate([a, b], axis=1),
     lambda a, b: np.concatenate([a, b], axis=1), [any_(2, 3), any_(2, 2)]),
    ("stack", lambda a, b: ops.stack([a, b], axis=1),
     lambda a, b: np.stack([a, b], axis=1), [any_(2, 3), any_(2, 3)]),
    ("expand_squeeze", lambda x: ops.squeeze(ops.expand_dims(x, 1), 1), lambda x: x, [any_(2, 3)]),
    ("pad", lambda x: ops.pad(x, ((1, 0), (2, 1))), lambda x: np.pad(x, ((1, 0), (2, 1))),
     [any_(2, 3)]),
    ("repeat", lambda x: ops.repeat(x, 3, axis=1), lambda x: np.repeat(x, 3, axis=1),
     [any_(2, 3)]),
    ("tile", lambda x: ops.tile(x, (2, 3)), lambda x: np.tile(x, (2, 3)), [any_(2, 3)]),
    ("softmax", ops.softmax, _softmax, [any_(3, 5)]),
    ("softmax_axis0", lambda x: ops.softmax(x, axis=0), lambda x: _softmax(x, 0), [any_(3, 5)]),
    ("log_softmax", ops.log_softmax, lambda x: np.log(_softmax(x)), [any_(3, 5)]),
    ("elu", ops.elu, lambda x: np.where(x > 0, x, np.expm1(x)), [away_from_zero(3, 4)]),
    ("selu", ops.selu,
     lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
     [away_from_zero(3, 4)]),
    ("leaky_relu", ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), [away_from_zero(3, 4)]),
    ("gelu", lambda x: ops.gelu(x, approximate=False),
     lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))),
     [any_(3, 4)]),
    ("gelu_tanh", lambda x: ops.gelu(x, approximate=True),
     lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))), [any_(3, 4)]),
    ("softplus", ops.softplus, lambda x: np.log1p(np.exp(x)), [any_(3, 4)]),
    ("softsign", ops.softsign, lambda x: x / (1 + np.abs(x)), [any_(3, 4)]),
    ("silu", ops.silu, lambda x: x / (1 + np.exp(-x)), [any_(3, 4)]),
    ("relu6", ops.relu6, lambda x: np.clip(x, 0, 6), [np.array([-1.0, 0.5, 3.0, 5.5, 7.0])]),
    ("batch_norm_train", lambda x, g, b: ops.batch_norm_train(x, g, b)[0],
     lambda x, g, b: _batch_norm(x, g, b, -1), [_bn_any(4, 3, 5), _bn_any(5), _bn_any(5)]),
    # gamma near 4 so that ReLU6 clips at both ends
    ("batch_norm_train_relu6", lambda x, g, b: ops.batch_norm_train(x, g, b, activation="relu6")[0],
     lambda x, g, b: np.clip(_batch_norm(x, g, b, -1), 0, 6),
     [_bn_any(6, 2, 4), 4 + _bn_any(4) * 0.3, _bn_any(4)]),
    ("batch_norm_train_axis1_relu",
     lambda x, g, b: ops.batch_norm_train(x, g, b, axis=1, activation="relu")[0],
     lambda x, g, b: np.maximum(_batch_norm(x, g, b, 1), 0),
     [_bn_any(4, 3, 2), _bn_any(3), _bn_any(3)]),
    ("batch_normalization_relu6",
     lambda x, m, v, b, s: ops.batch_normalization(x, m, v, -1, b, s, 1e-3, activation="relu6"),
     lambda x, m, v, b, s: np.clip((x - m) / np.sqrt(v + 1e-3) * s + b, 0, 6),
     [_bn_any(3, 2, 4) * 4, _bn_any(4), _bn_rng.uniform(0.5, 2, 4), _bn_any(4), _bn_any(4)]),
    ("hard_sigmoid", ops.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6,
     [np.array([-4.0, -1.0, 0.5, 2.0, 4.0])]),
    ("exponential", ops.exponential, np.exp, [any_(3)]),
    ("sparse_ce_logits",
     lambda z: ops.sparse_categorical_crossentropy(np.array([0, 2, 1]), z, from_logits=True),
     lambda z: -np.log(_softmax(z))[np.arange(3), [0, 2, 1]], [any_(3, 4)]),
    ("sparse_ce_probs",
     lambda p: ops.sparse_categorical_crossentropy(np.array([0, 2, 1]), p),
     lambda p: -np.log((p / p.sum(1, keepdims=True))[np.arange(3), [0, 2, 1]]), [pos(3, 4)]),
    ("categorical_ce_logits",
     lambda t, z: ops.categorical_crossentropy(t, z, from_logits=True),
     lambda t, z: -(t * np.log(_softmax(z))).sum(-1), [pos(3, 4), any_(3, 4)]),
    ("categorical_ce_probs", lambda t, p: ops.categorical_crossentropy(t, p),
     lambda t, p: -(t * np.log(p / p.sum(-1, keepdims=True))).sum(-1), [pos(3, 4), pos(3, 4)]),
    ("binary_ce_logits", lambda t, z: ops.binary_crossentropy(t, z, from_logits=True),
     lambda t, z: -(t * np.log(1 / (1 + np.exp(-z))) + (1 - t) * np.log(1 - 1 / (1 + np.exp(-z)))),
     [rng.uniform(0, 1, (3, 2)), any_(3, 2)]),
    ("binary_ce_probs", lambda t, p: ops.binary_crossentropy(t, p),
     lambda t, p: -(t * np.log(p) + (1 - t) * np.log(1 - p)),
     [rng.uniform(0, 1, (3, 2)), rng.uniform(0.1, 0.9, (3, 2))]),
]


# Every table: this file's (the original ops), Keras's NumPy-like ops, and the rest of
# Keras's ops; (name prefix, rows, forward tolerances).
TABLES = [("", OP_TABLE, (1e-10, 1e-12)), ("numpy-", op_rows_numpy.OP_TABLE, (1e-10, 1e-12)),
          ("more-", op_rows_more.OP_TABLE, (1e-9, 1e-10))]
ALL_ROWS = [(prefix + name, fn, reference, inputs, tolerances)
            for prefix, table, tolerances in TABLES for name, fn, reference, inputs in table]


@pytest.mark.parametrize("name,fn,reference,inputs,tolerances",
                         [row for row in ALL_ROWS if row[2] is not None],
                         ids=[row[0] for row in ALL_ROWS if row[2] is not None])
def test_forward_matches_numpy(name, fn, reference, inputs, tolerances):
    check_forward(fn, reference, inputs, *tolerances)


@pytest.mark.parametrize("name,fn,reference,inputs,tolerances", ALL_ROWS,
                         ids=[row[0] for row in ALL_ROWS])
def test_backward_matches_finite_differences(name, fn, reference, inputs, tolerances):
    check_backward(fn, inputs)


@pytest.mark.parametrize("name,fn,reference,inputs,tolerances", ALL_ROWS,
                         ids=[row[0] for row in ALL_ROWS])
def test_float32_stays_float32(name, fn, reference, inputs, tolerances):
    check_float32(name, fn, inputs)


def test_gelu_matches_torch():
    gelu = tr.import_torch().nn.functional.gelu
    x = any_(4, 5)

    def exact(t):
        return ops.gelu(t, approximate=False)

    tr.compare(exact, gelu, [x], atol=0, rtol=1e-12, grad_atol=1e-14, grad_rtol=1e-12)
    tr.compare(exact, gelu, [x.astype(np.float32)], atol=3e-7, rtol=0, grad_atol=1e-6,
               grad_rtol=0)


def test_probability_clipping_matches_keras():
    p = Tensor(np.array([[0.0, 1.0]]))
    loss = ops.sparse_categorical_crossentropy(np.array([0]), p)
    np.testing.assert_allclose(loss.data, [-np.log(1e-7)], rtol=1e-12)


def test_logits_cross_entropy_is_stable_for_huge_logits():
    z = Tensor(np.array([[1000.0, -1000.0, 0.0]], dtype=np.float32), requires_grad=True)
    loss = ops.sparse_categorical_crossentropy(np.array([1]), z, from_logits=True)
    assert np.isfinite(loss.data).all() and loss.data[0] == pytest.approx(2000.0)
    loss.sum().backward()
    assert np.isfinite(z.grad).all()


def test_sparse_labels_out_of_range():
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\] for 3 classes.*\[3\]"):
        ops.sparse_categorical_crossentropy(np.array([0, 3]), Tensor(np.ones((2, 3))))


def test_dropout_scales_and_masks_consistently():
    x = Tensor(np.ones((1000,)), requires_grad=True)
    out = ops.dropout(x, 0.25, np.random.default_rng(1))
    kept = out.data != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(out.data[kept], 1 / 0.75)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, out.data)


@pytest.mark.parametrize("loss,activation,labels", [
    (ops.sparse_categorical_crossentropy, ops.softmax, np.array([0, 2, 1])),
    (ops.categorical_crossentropy, ops.softmax, np.eye(4)[[0, 2, 1]]),
    (ops.binary_crossentropy, ops.sigmoid, rng.uniform(0, 1, (3, 4))),
])
def test_cross_entropy_of_activation_output_uses_its_logits(loss, activation, labels):
    """As in Keras's TF backend: exact value, and the gradient reaches the logits directly."""
    z = any_(3, 4)
    via_probs = Tensor(z, requires_grad=True)
    loss(labels, activation(via_probs)).sum().backward()
    via_logits = Tensor(z, requires_grad=True)
    loss(labels, via_logits, from_logits=True).sum().backward()
    np.testing.assert_allclose(via_probs.grad, via_logits.grad, rtol=1e-12)
    assert gradient_check(lambda t: loss(labels, activation(t)), [z])


def test_softmax_logits_path_is_exact_where_clipping_would_cap():
    z = Tensor(np.array([[40.0, 0.0]]))
    value = ops.sparse_categorical_crossentropy(np.array([1]), ops.softmax(z))
    np.testing.assert_allclose(value.data, [40.0], rtol=1e-12)
