"""dg.nn: the tf.nn-style functions accept TF's argument forms and agree with the ops."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from deepgrad.tensor import Tensor

rng = np.random.default_rng(0)


def test_conv2d_tf_forms_match_the_op():
    x, k = Tensor(rng.normal(size=(2, 7, 7, 3))), Tensor(rng.normal(size=(3, 3, 3, 4)))
    expected = ops.conv2d(x, k, strides=(2, 2), padding="same", dilation_rate=(1, 1)).data
    for strides in (2, [2, 2], [1, 2, 2, 1]):
        for padding in ("SAME", "same"):
            out = dg.nn.conv2d(x, k, strides=strides, padding=padding)
            np.testing.assert_array_equal(out.data, expected)
    explicit = dg.nn.conv2d(x, k, 1, padding=[[0, 0], [1, 1], [2, 0], [0, 0]])
    np.testing.assert_array_equal(
        explicit.data, ops.conv2d(x, k, padding=((1, 1), (2, 0))).data)


def test_conv1d_and_the_course_sliding_dot_product():
    a = Tensor(np.array([5.0, 3, 7, 5, 9, 7]).reshape(1, 6, 1))
    out = dg.nn.conv1d(a, Tensor(np.array([1.0, 2, 3]).reshape(3, 1, 1)), stride=1,
                       padding="VALID")
    np.testing.assert_array_equal(out.data.ravel(), [32, 32, 44, 44])


def test_pools_and_transpose_match_the_ops():
    x = Tensor(rng.normal(size=(1, 5, 5, 2)))
    pooled = dg.nn.max_pool2d(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
    assert pooled.shape == (1, 3, 3, 2)
    np.testing.assert_array_equal(pooled.data, ops.max_pool2d(x, 2, 2, "same").data)
    averaged = dg.nn.avg_pool2d(x, 3, 1)
    assert averaged.shape == (1, 3, 3, 2)
    np.testing.assert_allclose(averaged.data, ops.avg_pool2d(x, 3, 1, "valid").data, rtol=1e-12)
    # TF's filter for conv2d_transpose is (h, w, out_channels, in_channels), as Keras's kernel.
    kernel = Tensor(rng.normal(size=(3, 3, 4, 2)))
    up = dg.nn.conv2d_transpose(x, kernel, output_shape=(1, 10, 10, 4), strides=2,
                                padding="SAME")
    assert up.shape == (1, 10, 10, 4)
    np.testing.assert_allclose(up.data, ops.conv2d_transpose(x, kernel, strides=2,
                                                             padding="same").data, rtol=1e-12)


def test_gradients_flow_through_the_wrappers():
    """'SAME' through the wrappers has the values and gradients of its explicit padding
    (a 2x2 kernel at stride 1 pads one row and column after, as TF does), and those
    gradients are the finite differences'."""
    x_data, k_data = rng.normal(size=(1, 4, 4, 1)), rng.normal(size=(2, 2, 1, 1))

    def through_wrappers(x, k):
        return dg.nn.max_pool2d(dg.nn.conv2d(x, k, padding="SAME"), 2)

    def explicit(x, k):
        return ops.max_pool2d(ops.conv2d(x, k, padding=((0, 1), (0, 1))), 2)

    grads = []
    for fn in (through_wrappers, explicit):
        x, k = Tensor(x_data, requires_grad=True), Tensor(k_data, requires_grad=True)
        out = fn(x, k)
        out.backward(np.arange(1.0, 5.0).reshape(out.shape))
        grads.append((out.data, x.grad, k.grad))
    assert grads[0][0].shape == (1, 2, 2, 1)
    for ours, reference in zip(grads[0], grads[1], strict=True):
        np.testing.assert_array_equal(ours, reference)
    assert np.count_nonzero(grads[0][1]) > 0 and np.count_nonzero(grads[0][2]) == 4
    assert dg.utils.gradient_check(through_wrappers, [x_data, k_data])


@pytest.mark.parametrize("call, message", [
    (lambda x, k: dg.nn.conv2d(x, k, strides=[2, 2, 2, 1]), "must be 1 for the batch"),
    (lambda x, k: dg.nn.conv2d(x, k, data_format="NCHW"), "channels-last"),
    (lambda x, k: dg.nn.conv2d(x, k, strides=[1, 2, 3]), "must be an int, 2 ints"),
    (lambda x, k: dg.nn.max_pool2d(x, 2, padding=[[0, 0], [1, 1], [1, 1], [0, 0]]),
     "'SAME' or 'VALID'"),
    (lambda x, k: dg.nn.conv2d_transpose(x, k, output_shape=(1, 9, 9, 1), strides=2),
     "does not match"),
])
def test_bad_arguments_name_the_function(call, message):
    x, k = Tensor(np.zeros((1, 4, 4, 1))), Tensor(np.zeros((2, 2, 1, 1)))
    with pytest.raises(ValueError, match=message):
        call(x, k)
