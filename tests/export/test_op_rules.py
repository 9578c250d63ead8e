"""dg.ops calls in functional models (OpLayer nodes) in ONNX Runtime: the same numbers as
predict."""

import numpy as np
import pytest

import deepgrad as dg

L = dg.layers
ops = dg.ops


def model_of(fn, shape=(4, 6)):
    dg.utils.set_random_seed(0)
    x = L.Input(shape)
    return dg.Model(x, fn(x))


CASES = {
    "arithmetic": lambda x: (x * 2.0 + 1.0) / 3.0 - x,
    "constant_first": lambda x: 1.0 - x,
    "array_constant": lambda x: ops.multiply(x, np.arange(6, dtype="float32")),
    "two_tensors": lambda x: ops.maximum(L.Dense(6)(x), x) * ops.minimum(x, ops.abs(x)),
    "unary": lambda x: ops.sqrt(ops.exp(ops.negative(ops.square(x)))) + ops.tanh(x),
    "activations": lambda x: ops.relu(x) + ops.sigmoid(x) + ops.silu(x) + ops.relu6(x * 4)
    + ops.leaky_relu(x, 0.1) + ops.elu(x) + ops.softplus(x) + ops.hard_sigmoid(x),
    "gelu_both": lambda x: ops.gelu(x) + ops.gelu(x, approximate=False),
    "softmax_axis1": lambda x: ops.softmax(x, axis=1) + ops.log_softmax(x),
    "reductions": lambda x: ops.sum(x, axis=-1, keepdims=True) + ops.max(x, axis=1,
                                                                         keepdims=True),
    "mean_min": lambda x: ops.mean(x, axis=1) - ops.min(x, axis=1),
    "matmul_concat": lambda x: ops.concatenate([ops.matmul(x, np.ones((6, 3), "float32")), x],
                                               axis=-1),
    "transpose_reshape": lambda x: ops.reshape(ops.transpose(x, (0, 2, 1)), (-1, 24)),
    "expand_squeeze": lambda x: ops.squeeze(ops.expand_dims(x, 1), 1),
    "clip_after_conv": None,
    "getitem_slices": lambda x: x[:, 1:3, ::2] + x[:, -2:, 1::2],
    "getitem_int_none_ellipsis": lambda x: x[:, 0][..., None] * x[:, -1, None, :],
    "getitem_negative_step": lambda x: x[:, ::-1, 4:1:-1],
}


def _clip_after_conv():
    x = L.Input((6, 6, 2))
    return dg.Model(x, ops.clip(L.Conv2D(3, 3)(x), -0.1, 0.2) * 2.0)


@pytest.mark.parametrize("case", sorted(CASES))
def test_op_exports(case, onnx_check):
    model = _clip_after_conv() if CASES[case] is None else model_of(CASES[case])
    onnx_check(model)


def test_op_without_rule_is_named():
    model = model_of(lambda x: ops.cumsum(x, axis=1))
    with pytest.raises(dg.export.ExportError, match=r"dg.ops.cumsum\) has no ONNX export rule"):
        dg.export.onnx_model(model)
