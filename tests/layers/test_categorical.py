"""CategoryEncoding, Discretization and Hashing: Keras's shape rules, adapt, errors and
configs. Keras's own numbers (FarmHash and SipHash buckets, quantile boundaries):
tests/layers/test_keras_layer_parity.py."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.layers.hashing import siphash24

L = dg.layers


def test_category_encoding_shapes_follow_keras():
    ids = np.array([[0, 1, 1], [3, 2, 0]])
    assert L.CategoryEncoding(4)(ids).shape == (2, 4)
    assert L.CategoryEncoding(4)(np.array([3, 0])).data.tolist() == [1, 0, 0, 1]  # one sample
    assert L.CategoryEncoding(4, output_mode="one_hot")(ids).shape == (2, 3, 4)
    assert L.CategoryEncoding(4, output_mode="one_hot")(ids[:, :1]).shape == (2, 4)
    assert L.CategoryEncoding(4, output_mode="count")(ids[None]).shape == (1, 2, 4)
    layer = L.CategoryEncoding(4, output_mode="one_hot")
    assert layer.compute_output_shape((None, 1)) == (None, 4)
    assert layer.compute_output_shape((None, 3)) == (None, 3, 4)


def test_category_encoding_errors():
    with pytest.raises(ValueError, match=r"CategoryEncoding 'c': expected ids in \[0, 4\), "
                                         r"got \[-1, 7\]"):
        L.CategoryEncoding(4, name="c")(np.array([[1, 7, -1]]))
    with pytest.raises(ValueError, match=r"`num_tokens` must be set"):
        L.CategoryEncoding()
    with pytest.raises(ValueError, match=r"`output_mode` must be one of 'one_hot', "
                                         r"'multi_hot', 'count'"):
        L.CategoryEncoding(3, output_mode="int")
    with pytest.raises(ValueError, match=r"`count_weights` is only used with "):
        L.CategoryEncoding(3)(np.array([[1]]), count_weights=np.ones((1, 1)))
    with pytest.raises(ValueError, match="sparse=True is not supported"):
        L.CategoryEncoding(3, sparse=True)
    with pytest.raises(TypeError, match=r"expected integer ids, got values of dtype float"):
        L.CategoryEncoding(3)(np.array([[0.5]]))


def test_discretization_adapt_from_a_dataset_equals_adapt_from_the_array():
    data = np.random.default_rng(1).normal(size=(64, 2)).astype("float32")
    whole = L.Discretization(num_bins=4)
    whole.adapt(data)
    batched = L.Discretization(num_bins=4)
    batched.adapt(dg.data.Dataset.from_tensor_slices(data).batch(64))
    assert whole.bin_boundaries == batched.bin_boundaries
    assert len(whole.bin_boundaries) == 3
    ids = whole(data).data
    assert ids.dtype == np.int32 and set(np.unique(ids)) == {0, 1, 2, 3}


def test_discretization_config_round_trip_keeps_learned_boundaries():
    layer = L.Discretization(num_bins=3, output_mode="one_hot")
    layer.adapt(np.arange(30.0))
    clone = L.Discretization.from_config(layer.get_config())
    assert clone.bin_boundaries == layer.bin_boundaries and clone.num_bins == 3
    x = np.array([[1.0], [15.0], [29.0]])
    np.testing.assert_array_equal(clone(x).data, layer(x).data)


def test_discretization_errors():
    with pytest.raises(ValueError, match="set either `num_bins` .* not both"):
        L.Discretization(bin_boundaries=[0.0], num_bins=2)
    with pytest.raises(ValueError, match="set either `num_bins`"):
        L.Discretization()
    with pytest.raises(ValueError, match="`bin_boundaries` must be sorted"):
        L.Discretization(bin_boundaries=[1.0, 0.0])
    with pytest.raises(ValueError, match="cannot adapt a layer created with `bin_boundaries`"):
        L.Discretization(bin_boundaries=[0.0]).adapt(np.ones(3))
    with pytest.raises(ValueError, match=r"no bin boundaries yet"):
        L.Discretization(num_bins=2)(np.ones(3))


def test_hashing_known_values_and_masks():
    # Keras's documented examples (keras.layers.Hashing docstring).
    words = np.array([["A"], ["B"], ["C"], ["D"], ["E"]])
    assert L.Hashing(num_bins=3)(words).data.ravel().tolist() == [1, 0, 1, 1, 2]
    assert L.Hashing(num_bins=3, mask_value="")(np.array([["A"], ["B"], [""], ["C"], ["D"]])
                                                ).data.ravel().tolist() == [1, 1, 0, 2, 2]
    assert L.Hashing(num_bins=3, salt=133)(words).data.ravel().tolist() == [0, 0, 2, 1, 0]
    assert L.Hashing(num_bins=3)(words).data.dtype == np.int64


def test_siphash_reference_vectors():
    # The SipHash paper's test key 00..0f and messages 00, 00 01, ..., (vectors 0, 1, 15).
    k0, k1 = 0x0706050403020100, 0x0F0E0D0C0B0A0908
    assert siphash24(b"", k0, k1) == 0x726FDB47DD0E0E31
    assert siphash24(bytes([0]), k0, k1) == 0x74F839C593DC67FD
    assert siphash24(bytes(range(15)), k0, k1) == 0xA129CA6149BE45E5


def test_hashing_in_a_functional_model_on_strings():
    inputs = dg.Input(shape=(2,), dtype="string")
    model = dg.Model(inputs, L.Hashing(6, output_mode="count", salt=[1, 2])(inputs))
    texts = np.array([["a", "b"], ["a", "a"]])
    expected = L.Hashing(6, output_mode="count", salt=[1, 2])(texts).data
    np.testing.assert_array_equal(model.predict(texts, verbose=0), expected)
    assert model.outputs[0].shape == (None, 6)


def test_hashing_errors():
    with pytest.raises(ValueError, match=r"`num_bins` must be a positive int"):
        L.Hashing(0)
    with pytest.raises(ValueError, match=r"`salt` must be an int or a pair of ints"):
        L.Hashing(3, salt=[1, 2, 3])
    with pytest.raises(ValueError, match=r"with output_mode='int', `dtype` must be"):
        L.Hashing(3, dtype="float32")
