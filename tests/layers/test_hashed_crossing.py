"""HashedCrossing: Keras 3.15's buckets (numbers printed by real Keras, TF backend:
``keras.layers.HashedCrossing(num_bins=...)((a, b))`` on the arrays below), shapes,
one-hot, config, errors."""

import numpy as np
import pytest

import deepgrad as dg

L = dg.layers
A = np.array(["A", "B", "C", "A", ""])
B = np.array([101, 102, 103, 102, 0])


def test_buckets_equal_keras():
    cross = L.HashedCrossing(num_bins=1000)
    assert cross((A, B)).data.tolist() == [891, 576, 703, 523, 600]
    assert cross((B, B)).data.tolist() == [13, 129, 61, 129, 304]
    assert cross([A, A]).data.tolist() == [228, 688, 305, 228, 373]
    assert L.HashedCrossing(num_bins=1 << 62)((A, A, B)).data.tolist() == [
        3660271427788689179, 318279893214161767, 1754810031487296064, 1166123414884371510,
        3690179201073802314]


def test_one_hot_shapes_and_dtypes_as_keras():
    out = L.HashedCrossing(5, output_mode="one_hot")((A[:, None], B[:, None]))
    assert out.dtype == np.float32
    assert out.data.argmax(axis=1).tolist() == [1, 1, 3, 3, 0]
    ids = L.HashedCrossing(5)((A[:, None], B[:, None]))
    assert ids.dtype == np.int64 and ids.shape == (5, 1)
    assert L.HashedCrossing(7)((np.array("x"), np.array(3))).shape == ()
    layer = L.HashedCrossing(4, output_mode="one_hot")
    assert layer.compute_output_shape([(None, 1), (None, 1)]) == (None, 4)
    assert L.HashedCrossing(4).compute_output_shape([(None,), (None,)]) == (None,)


def test_in_a_functional_model_and_config(tmp_path):
    first = dg.Input(shape=(1,), dtype="string")
    second = dg.Input(shape=(1,), dtype="int64")
    out = L.HashedCrossing(1000, name="cross")([first, second])
    model = dg.Model([first, second], out)
    np.testing.assert_array_equal(model.predict([A[:, None], B[:, None]], verbose=0).ravel(),
                                  [891, 576, 703, 523, 600])
    config = model.get_layer("cross").get_config()
    assert config == {"name": "cross", "dtype": "int64", "num_bins": 1000,
                      "output_mode": "int", "sparse": False}
    assert L.HashedCrossing.from_config(config).num_bins == 1000


def test_errors():
    with pytest.raises(ValueError, match=r"HashedCrossing '.*': expected a list or tuple of at "
                                         r"least two inputs"):
        L.HashedCrossing(3)([A])
    with pytest.raises(ValueError, match=r"every input must have the same shape \(\), "
                                         r"\(batch,\) or \(batch, 1\). Received shapes: "
                                         r"\[\(5,\), \(4,\)\]"):
        L.HashedCrossing(3)((A, B[:4]))
    with pytest.raises(ValueError, match=r"HashedCrossing: `output_mode` must be one of 'int', "
                                         r"'one_hot'. Received: output_mode='multi_hot'"):
        L.HashedCrossing(3, output_mode="multi_hot")
    with pytest.raises(ValueError, match=r"HashedCrossing: `num_bins` must be a positive int"):
        L.HashedCrossing(0)
    with pytest.raises(ValueError, match="sparse=True is not supported"):
        L.HashedCrossing(3, sparse=True)
