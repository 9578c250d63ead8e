"""Keras's dtype and argument rules found by running the same calls through Keras 3.15
(TensorFlow): integer accumulators, complex eig, triangular factors, scalar scales."""

import numpy as np
import pytest

from deepgrad import ops


def test_integer_sums_and_products_keep_32_bits_as_keras():
    x = np.arange(1, 7, dtype=np.int32).reshape(2, 3)
    for fn in (ops.sum, ops.prod, ops.cumsum, ops.cumprod, ops.nansum, ops.trace):
        assert fn(x).dtype == np.int32, fn.__name__
        assert fn(x.astype(bool)).dtype == np.int32, fn.__name__
        assert fn(x.astype(np.int64)).dtype == np.int64, fn.__name__
    assert ops.sum(x).data == 21 and ops.prod(x).data == 720


def test_eig_is_complex_as_keras():
    values, vectors = ops.eig(np.array([[2.0, 1.0], [0.0, 3.0]], np.float32))
    assert values.dtype == np.complex64 and vectors.dtype == np.complex64
    np.testing.assert_allclose(np.sort(values.data.real), [2.0, 3.0])


def test_cholesky_inverse_reads_only_the_factor_triangle():
    factor = np.array([[2.0, 0.0], [1.0, 3.0]])
    expected = np.linalg.inv(factor @ factor.T)
    noisy = factor + np.triu(np.ones((2, 2)), 1) * 5.0
    np.testing.assert_allclose(ops.cholesky_inverse(noisy).data, expected, rtol=1e-12)
    np.testing.assert_allclose(ops.cholesky_inverse(noisy.T, upper=True).data, expected,
                               rtol=1e-12)


def test_rms_normalization_takes_a_number_as_scale_and_keras_epsilon():
    x = np.array([[3.0, -4.0]])
    rms = np.sqrt(12.5 + 1e-7)
    np.testing.assert_allclose(ops.rms_normalization(x, 2.0).data, 2.0 * x / rms, rtol=1e-12)
    assert ops.rms_normalization(np.array([[1, 2]])).dtype == np.float32


def test_leaky_relu_of_integers_is_float_as_keras():
    out = ops.leaky_relu(np.array([-5, 5], np.int32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, [-1.0, 5.0])


def test_the_mean_of_nothing_is_nan_as_keras():
    # keras.io "Visualizing what convnets learn": mean(activation[:, 2:-2, 2:-2, i]) of a
    # 4x4 map is the mean of an empty slice. Keras 3.15 gives NaN (so does NumPy);
    # deepgrad gave 0.0, and a gradient ascent silently did nothing.
    image = np.ones((1, 4, 4, 2), np.float32)
    assert np.isnan(ops.mean(image[:, 2:-2, 2:-2, 0]).data)
    assert np.isnan(ops.mean(np.zeros((2, 0), np.float32), axis=1).data).all()
    assert float(ops.mean(image[:, 1:-1, 1:-1, 0]).data) == 1.0


def test_an_empty_batch_has_a_zero_loss():
    from deepgrad import losses

    empty = np.zeros((0, 1), np.float32)
    assert float(losses.MeanSquaredError()(empty, empty).data) == 0.0


def test_text_converts_to_a_string_tensor_as_keras():
    # keras.io "Using pre-trained word embeddings" ends with
    # end_to_end_model(keras.ops.convert_to_tensor([["this message is about ..."]])):
    # Keras gives a string tensor; deepgrad raised "Invalid dtype: 'str1760'".
    text = ops.convert_to_tensor([["this message is about computer graphics"]])
    assert text.shape == (1, 1) and text.dtype.kind == "U"
    assert ops.convert_to_tensor("abc").data.tolist() == "abc"
    assert ops.convert_to_tensor(["a", "b"], dtype="string").data.tolist() == ["a", "b"]
    assert ops.equal(np.array(["a", "b"]), "a").data.tolist() == [True, False]
    with pytest.raises(ValueError, match="text and numbers do not mix"):
        ops.add(["a"], 1)
