"""TextVectorization: adapt sources, outputs, errors, config and saving, use in models."""

import numpy as np
import pytest

import deepgrad as dg

TEXTS = np.array(
    ["good movie", "bad movie", "great film", "awful film", "good good fun", "bad bad bore"]
)
LABELS = np.array([1, 0, 1, 0, 1, 0])


def adapted(**kwargs):
    layer = dg.layers.TextVectorization(**kwargs)
    layer.adapt(TEXTS)
    return layer


def test_adapt_on_list_array_and_dataset_agree():
    from_list = adapted()
    from_array = dg.layers.TextVectorization()
    from_array.adapt(np.asarray(TEXTS)[:, None])
    from_dataset = dg.layers.TextVectorization()
    from_dataset.adapt(dg.data.Dataset.from_tensor_slices(TEXTS).batch(4))
    unbatched = dg.layers.TextVectorization()
    unbatched.adapt(dg.data.Dataset.from_tensor_slices(TEXTS))
    expected = ["", "[UNK]", "good", "bad", "movie", "film", "great", "fun", "bore", "awful"]
    for layer in (from_list, from_array, from_dataset, unbatched):
        assert layer.get_vocabulary() == expected
    assert from_list.get_vocabulary(include_special_tokens=False) == expected[2:]
    assert from_list.vocabulary_size() == len(expected)


def test_adapt_with_steps_reads_only_those_batches():
    layer = dg.layers.TextVectorization()
    layer.adapt(dg.data.Dataset.from_tensor_slices(TEXTS).batch(2), steps=1)
    assert layer.get_vocabulary() == ["", "[UNK]", "movie", "good", "bad"]


def test_int_output_pads_to_longest_or_to_length():
    layer = adapted()
    out = layer(np.array(["good movie", "bad", "nothing known here"])).data
    assert out.dtype == np.int64
    assert out.tolist() == [[2, 4, 0], [3, 0, 0], [1, 1, 1]]
    fixed = adapted(output_sequence_length=2)
    assert fixed(["good good fun", "bad"]).data.tolist() == [[2, 2], [3, 0]]
    assert fixed("good").data.tolist() == [2, 0]  # a single text gives one sequence


def test_callable_standardize_and_split_get_numpy_strings():
    seen = {}

    def upper(texts):
        seen["standardize"] = texts
        return np.char.upper(texts)

    def commas(texts):
        seen["split"] = texts
        return [t.split(",") for t in texts]

    layer = dg.layers.TextVectorization(standardize=upper, split=commas)
    layer.adapt(["a,b", "b,c", "b"])
    assert isinstance(seen["standardize"], np.ndarray) and seen["split"].ndim == 1
    assert layer.get_vocabulary() == ["", "[UNK]", "B", "C", "A"]
    assert layer(["c,a,zz"]).data.tolist() == [[3, 4, 1]]


def test_set_vocabulary_and_vocabulary_file(tmp_path):
    layer = dg.layers.TextVectorization()
    layer.set_vocabulary(["earth", "wind", "and", "fire"])
    assert layer.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    path = tmp_path / "vocab.txt"
    path.write_text("earth\nwind\n\n", encoding="utf-8")
    from_file = dg.layers.TextVectorization(vocabulary=str(path))
    assert from_file.get_vocabulary() == ["", "[UNK]", "earth", "wind"]
    assert from_file(["Wind, earth and fire"]).data.tolist() == [[3, 2, 1, 1]]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"output_mode": "multi_hot", "output_sequence_length": 4}, "output_sequence_length"),
        ({"output_mode": "count", "output_sequence_length": 2}, "can only be set"),
        ({"output_sequence_length": 2.5}, "None or an int >= 1"),
        ({"standardize": "upper"}, "`standardize` must be None"),
        ({"split": "comma"}, "`split` must be None"),
        ({"output_mode": "words"}, "`output_mode` must be one of"),
        ({"ngrams": 0}, "`ngrams` must be"),
        ({"ngrams": 2, "split": None}, "`ngrams` needs a `split`"),
        ({"output_mode": "one_hot"}, "split=None"),
        ({"sparse": True}, "sparse=True is not supported"),
        ({"ragged": True}, "ragged=True is not supported"),
        ({"max_tokens": 1}, "an int >= 2"),
        ({"pad_to_max_tokens": True, "output_mode": "count"}, "needs `max_tokens`"),
    ],
)
def test_bad_arguments_name_the_layer(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        dg.layers.TextVectorization(name="vec", **kwargs)
    assert "TextVectorization 'vec'" in str(info.value)


@pytest.mark.parametrize(
    "vocabulary, match",
    [
        (["a", "b", "a"], r"repeated terms: \['a'\]"),
        (["a", "", "b"], "reserved mask token ''"),
        (["a", "[UNK]"], r"reserved OOV token '\[UNK\]'"),
        ([], "empty vocabulary"),
    ],
)
def test_bad_vocabularies_are_refused(vocabulary, match):
    with pytest.raises(ValueError, match=match) as info:
        dg.layers.TextVectorization(vocabulary=vocabulary, name="vec")
    assert "TextVectorization 'vec'" in str(info.value)


def test_special_tokens_first_are_accepted():
    layer = dg.layers.TextVectorization(vocabulary=["", "[UNK]", "x"])
    assert layer.get_vocabulary() == ["", "[UNK]", "x"]


def test_adapt_errors():
    with pytest.raises(ValueError, match="adapt got no data") as info:
        dg.layers.TextVectorization(name="vec").adapt([])
    assert "TextVectorization 'vec'" in str(info.value)
    empty = dg.data.Dataset.from_tensor_slices(TEXTS).take(0)
    with pytest.raises(ValueError, match="adapt got no data"):
        dg.layers.TextVectorization().adapt(empty)
    with pytest.raises(ValueError, match="found no tokens in its 2 samples"):
        dg.layers.TextVectorization().adapt(["", " ,!"])
    pairs = dg.data.Dataset.from_tensor_slices((TEXTS, LABELS)).batch(2)
    with pytest.raises(ValueError, match=r"ds.map\(lambda x, y: x\)"):
        dg.layers.TextVectorization().adapt(pairs)
    with pytest.raises(ValueError, match="static vocabulary"):
        dg.layers.TextVectorization(vocabulary=["a"]).adapt(TEXTS)


def test_call_errors():
    with pytest.raises(RuntimeError, match="no vocabulary yet"):
        dg.layers.TextVectorization(name="vec")(["a b"])
    layer = adapted(name="vec2")
    with pytest.raises(ValueError, match=r"last axis of size 1 .* shape \(1, 2\)"):
        layer(np.array([["good", "bad"]]))
    with pytest.raises(TypeError, match="expected strings, got dtype float32"):
        layer(np.zeros((2, 1), "float32"))


def test_tf_idf_weights_follow_keras_formula():
    layer = adapted(output_mode="tf_idf")
    vocab = layer.get_vocabulary()
    out = layer(["good good zzz"]).data[0]
    documents = len(TEXTS)
    df_good = 2  # "good" is in two texts
    idf_good = np.log(1 + documents / (1 + df_good))
    np.testing.assert_allclose(out[vocab.index("good")], 2 * idf_good, rtol=1e-6)
    learned = [np.log(1 + documents / (1 + sum(w in t.split() for t in TEXTS))) for w in vocab[1:]]
    np.testing.assert_allclose(out[0], np.mean(learned), rtol=1e-6)  # OOV: mean IDF


def test_config_round_trip_keeps_vocabulary_and_idf():
    layer = adapted(output_mode="tf_idf", max_tokens=20, pad_to_max_tokens=True, ngrams=(1, 2))
    config = layer.get_config()
    assert config["vocabulary"][0] == "[UNK]" and config["ngrams"] == [1, 2]
    clone = dg.layers.TextVectorization.from_config(config)
    assert clone.get_vocabulary() == layer.get_vocabulary()
    texts = ["good movie fun", "awful bore bore"]
    np.testing.assert_array_equal(clone(texts).data, layer(texts).data)
    assert clone(texts).shape == (2, 20)


def test_registered_callables_survive_the_config():
    @dg.saving.register_keras_serializable(package="TextTest")
    def strip_vowels(texts):
        return np.char.replace(texts, "o", "")

    layer = dg.layers.TextVectorization(standardize=strip_vowels)
    layer.adapt(["foo bar"])
    config = layer.get_config()
    assert config["standardize"] == "TextTest>strip_vowels"
    clone = dg.layers.TextVectorization.from_config(config)
    assert clone(["foo"]).data.tolist() == layer(["foo"]).data.tolist()
    config["standardize"] = "NotRegistered>fn"
    with pytest.raises(ValueError, match="loads only if the function is registered"):
        dg.layers.TextVectorization.from_config(config)


def text_model(output_mode="multi_hot"):
    dg.utils.set_random_seed(0)
    vectorize = adapted(output_mode=output_mode, name="vectorize")
    inputs = dg.Input(shape=(1,), dtype="string")
    hidden = vectorize(inputs)
    outputs = dg.layers.Dense(1, activation="sigmoid")(hidden)
    model = dg.Model(inputs, outputs)
    model.compile(optimizer=dg.optimizers.Adam(0.1), loss="binary_crossentropy")
    return model


def test_model_from_strings_to_predictions_trains():
    model = text_model()
    assert model.layers[1].output.shape == (None, 9)
    history = model.fit(TEXTS, LABELS, epochs=30, batch_size=6, verbose=0)
    assert history.history["loss"][-1] < 0.2 < history.history["loss"][0]
    probs = model.predict(np.array(["good fun", "bad bore"]), verbose=0)
    assert probs.shape == (2, 1) and probs[0, 0] > 0.5 > probs[1, 0]
    ds = dg.data.Dataset.from_tensor_slices((TEXTS, LABELS)).batch(3)
    assert model.evaluate(ds, verbose=0) < 0.2


def test_fit_takes_texts_in_an_object_array():
    model = text_model()
    texts = np.empty(len(TEXTS), dtype=object)  # as pandas' column.values gives them
    texts[:] = list(TEXTS)
    history = model.fit(texts, LABELS, epochs=2, batch_size=6, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_model_with_scalar_string_input_and_sequential():
    vectorize = adapted(output_mode="count")
    dense = dg.layers.Dense(2)
    model = dg.Sequential([dg.Input(shape=(), dtype="string"), vectorize, dense])
    texts = np.array(["good", "bad film"])
    out = model(texts)
    assert out.shape == (2, 2)
    np.testing.assert_array_equal(out.data, dense(vectorize(texts)).data)


def test_model_save_and_load_keep_the_vocabulary(tmp_path):
    model = text_model(output_mode="tf_idf")
    model.fit(TEXTS, LABELS, epochs=3, batch_size=6, verbose=0)
    path = tmp_path / "text.keras"
    model.save(path)
    restored = dg.models.load_model(path)
    queries = np.array(["good movie", "awful bore", "unknown"])
    np.testing.assert_array_equal(restored.predict(queries, verbose=0),
                                  model.predict(queries, verbose=0))
    assert restored.get_layer("vectorize").get_vocabulary() == (
        model.get_layer("vectorize").get_vocabulary()
    )


def test_inside_dataset_map():
    vectorize = adapted(output_sequence_length=3)
    ds = dg.data.Dataset.from_tensor_slices((TEXTS, LABELS)).batch(4)
    batches = list(ds.map(lambda x, y: (vectorize(x), y)))
    assert [b[0].shape for b in batches] == [(4, 3), (2, 3)]
    assert batches[0][0].dtype == np.int64 and batches[0][0][0].tolist() == [2, 4, 0]


def test_strings_into_a_numeric_layer_name_it():
    inputs = dg.Input(shape=(1,), dtype="string")
    with pytest.raises(TypeError, match=r"Dense 'dense_words'.*TextVectorization"):
        dg.layers.Dense(2, name="dense_words")(inputs)
    with pytest.raises(TypeError, match=r"Dense 'eager'.* dtype <U3.*StringLookup"):
        dg.layers.Dense(2, name="eager")(np.array([["abc"]]))
    model = dg.Sequential([dg.layers.Dense(2, name="first", input_shape=(1,))])
    with pytest.raises(TypeError, match="Dense 'first': received strings"):
        model.predict(np.array([["a b"]]), verbose=0)


def test_string_input_refuses_numbers():
    inputs = dg.Input(shape=(1,), dtype="string", name="text")
    model = dg.Model(inputs, adapted()(inputs))
    with pytest.raises(TypeError, match="Input 'text': expects strings"):
        model(np.zeros((2, 1)))
