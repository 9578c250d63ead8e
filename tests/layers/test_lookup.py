"""StringLookup and IntegerLookup: errors, config, models, and FarmHash against TensorFlow."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.layers.lookup_hash import fingerprint64

# tf.strings.to_hash_bucket_fast(strings, 2**63 - 1) from TensorFlow 2.21, one string per
# length class of FarmHash (0-16, 17-32, 33-64 bytes, and the 64-byte block loop).
LENGTHS = (0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 300)
TF_BUCKETS = [
    1936946117179621456, 6718541329968349382, 482962209891272381, 2900955300314963227,
    8465351625610686995, 470604875374568891, 2976261092510412750, 7925669748760780915,
    5681495283572728089, 5083111568637350562, 5593246934722835250, 5963338228071145105,
    7613969784541219484, 5671231715762973892, 6796958726241483617, 5273429904153008460,
    8324870864738027361, 6516868199321877515, 154178834757363963,
]


def test_fingerprint64_matches_tensorflow():
    strings = [("ab" * 200)[:n] + "é" * (n % 3) for n in LENGTHS]
    got = [fingerprint64(s.encode()) % (2**63 - 1) for s in strings]
    assert got == TF_BUCKETS


@pytest.mark.parametrize("cls", [dg.layers.StringLookup, dg.layers.IntegerLookup])
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"invert": True, "output_mode": "count"}, "must be 'int' when `invert`"),
        ({"num_oov_indices": -1}, "`num_oov_indices` must be an int >= 0"),
        ({"max_tokens": 1}, "an int >= 2"),
        ({"sparse": True}, "sparse=True is not supported"),
        ({"idf_weights": [1.0]}, "only be set if `output_mode` is 'tf_idf'"),
        ({"salt": 3}, "`salt`"),
    ],
)
def test_bad_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_tf_idf_vocabulary_needs_weights():
    with pytest.raises(ValueError, match="`idf_weights` must be given too"):
        dg.layers.StringLookup(vocabulary=["a"], output_mode="tf_idf")
    with pytest.raises(ValueError, match=r"one weight per vocabulary entry \(2\)"):
        dg.layers.StringLookup(vocabulary=["a", "b"], idf_weights=[1.0], output_mode="tf_idf")


def test_bad_vocabularies():
    with pytest.raises(ValueError, match=r"StringLookup 'words': the vocabulary has repeated"):
        dg.layers.StringLookup(vocabulary=["a", "b", "b"], name="words")
    with pytest.raises(ValueError, match="reserved mask token 0 is in the vocabulary at index 1"):
        dg.layers.IntegerLookup(vocabulary=[5, 0], mask_token=0)
    with pytest.raises(ValueError, match="more than max_tokens=3"):
        dg.layers.StringLookup(vocabulary=["a", "b", "c"], max_tokens=3)
    with pytest.raises(TypeError, match="the vocabulary must hold integers"):
        dg.layers.IntegerLookup(vocabulary=["a"])
    with pytest.raises(TypeError, match="the vocabulary must hold strings"):
        dg.layers.StringLookup(vocabulary=[1, 2])


def test_inputs_of_the_wrong_kind():
    with pytest.raises(TypeError, match="expected string inputs, got dtype int64.*IntegerLookup"):
        dg.layers.StringLookup(vocabulary=["a"])(np.array([1, 2]))
    with pytest.raises(TypeError, match="IntegerLookup 'integer_ids': received strings"):
        dg.layers.IntegerLookup(vocabulary=[1], name="integer_ids")(np.array(["a"]))
    with pytest.raises(TypeError, match="expected integer inputs, got dtype float32"):
        dg.layers.IntegerLookup(vocabulary=[1])(np.array([1.5], "float32"))
    with pytest.raises(ValueError, match=r"num_oov_indices=0 .* found out-of-vocabulary .*'zz'"):
        dg.layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["a", "zz"]))
    with pytest.raises(RuntimeError, match="no vocabulary yet"):
        dg.layers.StringLookup(output_mode="multi_hot")(np.array([["a"]]))


def test_bytes_and_object_inputs_are_decoded():
    layer = dg.layers.StringLookup(vocabulary=["é", "b"])
    assert layer(np.array([b"b", "é".encode()])).data.tolist() == [2, 1]
    assert layer(np.array(["é", b"zz"], dtype=object)).data.tolist() == [1, 0]


def test_pad_to_max_tokens_works_before_a_vocabulary():
    layer = dg.layers.StringLookup(max_tokens=4, output_mode="count", pad_to_max_tokens=True)
    assert layer(np.array([["a", "b"]])).data.tolist() == [[2.0, 0.0, 0.0, 0.0]]


def test_vector_width_cannot_change_once_built():
    layer = dg.layers.StringLookup(vocabulary=["a", "b"], output_mode="multi_hot")
    layer(np.array([["a"]]))
    with pytest.raises(RuntimeError, match="Old size 3, new size 2"):
        layer.set_vocabulary(["a"])
    layer.set_vocabulary(["c", "d"])  # the same width is fine


@pytest.mark.parametrize(
    "layer",
    [
        dg.layers.StringLookup(vocabulary=["a", "b"], mask_token="", num_oov_indices=2),
        dg.layers.StringLookup(vocabulary=["a", "b"], output_mode="tf_idf", idf_weights=[1, 2]),
        dg.layers.IntegerLookup(vocabulary=[4, 9], mask_token=0, oov_method="farmhash"),
        dg.layers.IntegerLookup(vocabulary=[4, 9], invert=True),
    ],
    ids=["string-mask", "string-tf_idf", "integer-farmhash", "integer-invert"],
)
def test_config_round_trip(layer):
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_vocabulary() == layer.get_vocabulary()
    data = np.array([[1, 2], [0, 9]]) if layer.invert or layer.vocabulary_dtype == "int64" else (
        np.array([["a", ""], ["zz", "b"]])
    )
    np.testing.assert_array_equal(clone(data).data, layer(data).data)


def test_integer_ids_stay_integer_through_a_model(tmp_path):
    lookup = dg.layers.IntegerLookup(vocabulary=[10, 20, 30], output_mode="one_hot", name="ids")
    inputs = dg.Input(shape=(), dtype="int64")
    outputs = dg.layers.Dense(2)(lookup(inputs))
    model = dg.Model(inputs, outputs)
    x = np.array([10, 30, 99])
    before = model.predict(x, verbose=0)
    assert before.shape == (3, 2)
    path = tmp_path / "lookup.keras"
    model.save(path)
    restored = dg.models.load_model(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), before)
    assert restored.get_layer("ids").get_vocabulary() == [-1, 10, 20, 30]


def test_string_lookup_in_a_model_and_invert():
    words = ["red", "green", "blue"]
    inputs = dg.Input(shape=(1,), dtype="string")
    encoded = dg.layers.StringLookup(vocabulary=words, output_mode="one_hot")(inputs)
    model = dg.Model(inputs, dg.layers.Dense(3)(encoded))
    assert model(np.array(["red", "blue", "pink"])).shape == (3, 3)
    invert = dg.layers.StringLookup(vocabulary=words, invert=True)
    assert invert(np.array([[1, 3], [0, 7]])).data.tolist() == [
        ["red", "blue"],
        ["[UNK]", "[UNK]"],
    ]


def test_adapt_from_dataset_and_tf_idf_documents():
    rows = np.array([["b", "a"], ["b", "c"], ["c", "d"]])
    layer = dg.layers.StringLookup(output_mode="tf_idf")
    layer.adapt(dg.data.Dataset.from_tensor_slices(rows).batch(2))
    assert layer.get_vocabulary() == ["[UNK]", "c", "b", "d", "a"]
    out = layer(np.array([["b", "b", "zz"]])).data[0]
    np.testing.assert_allclose(out[2], 2 * np.log(1 + 3 / 3), rtol=1e-6)
