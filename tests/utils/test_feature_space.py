"""FeatureSpace: equal to real Keras 3.15 on every column kind (fixture), the Keras
tutorial's flow (encoded features into a model, an inference model on raw columns), and
clear errors."""

import json
from pathlib import Path

import numpy as np
import pytest

import deepgrad as dg

FS = dg.utils.FeatureSpace
FIXTURE = np.load(Path(__file__).parents[1] / "fixtures" / "keras_feature_space.npz")
SPEC = json.loads(FIXTURE["spec"].tobytes())
TRAIN = {k[6:]: FIXTURE[k] for k in FIXTURE.files if k.startswith("train/")}
TEST = {k[5:]: FIXTURE[k] for k in FIXTURE.files if k.startswith("test/")}


def adapted(mode="concat", **kwargs):
    space = FS(features=SPEC["features"], output_mode=mode, **{**SPEC["args"], **kwargs})
    space.adapt(TRAIN)
    return space


def test_concat_equals_keras():
    np.testing.assert_allclose(adapted()(TEST), FIXTURE["concat"], rtol=1e-6, atol=1e-6)


def test_dict_equals_keras():
    encoded = adapted("dict")(TEST)
    expected = {k[5:] for k in FIXTURE.files if k.startswith("dict/")}
    assert set(encoded) == expected
    for name, value in encoded.items():
        np.testing.assert_allclose(value, FIXTURE[f"dict/{name}"], rtol=1e-6, atol=1e-6)


def test_adapt_from_datasets_batched_unbatched_and_labelled():
    expected = adapted()(TEST)
    for data in (dg.data.Dataset.from_tensor_slices(TRAIN),
                 dg.data.Dataset.from_tensor_slices(TRAIN).batch(7),
                 dg.data.Dataset.from_tensor_slices((TRAIN, np.zeros(60))).batch(16)):
        space = FS(features=SPEC["features"], **SPEC["args"])
        space.adapt(data)
        np.testing.assert_array_equal(space(TEST), expected)


def test_one_sample_of_scalars_gives_one_vector():
    space = adapted()
    row = {k: v[3] for k, v in TEST.items()}
    np.testing.assert_array_equal(space(row), space(TEST)[3])


def test_int_outputs_and_custom_feature():
    space = FS(features={
        "city": FS.string_categorical(output_mode="int"),
        "rooms": FS.integer_categorical(max_tokens=4, output_mode="int"),
        "note": FS.feature(dtype="string", output_mode="float",
                           preprocessor=dg.layers.TextVectorization(output_mode="tf_idf")),
    }, crosses=[FS.cross(("city", "rooms"), crossing_dim=5, output_mode="int")],
        output_mode="dict")
    notes = np.array(["big room", "small room", "big view", "no view"] * 15)
    space.adapt({**TRAIN, "note": notes})
    out = space({"city": TEST["city"], "rooms": TEST["rooms"], "note": notes[:9]})
    assert out["city"].dtype.kind == "i" and out["city"].shape == (9, 1)
    assert out["rooms"].max() < 4 and out["city_X_rooms"].max() < 5
    assert out["note"].shape[0] == 9 and out["note"].dtype == np.float32


def test_the_keras_tutorial_flow_trains_and_saves(tmp_path):
    space = adapted()
    labels = (TRAIN["age"] > 50).astype("float32")
    encoded = space.get_encoded_features()
    hidden = dg.layers.Dense(8, activation="relu")(encoded)
    predictions = dg.layers.Dense(1, activation="sigmoid")(hidden)
    training_model = dg.Model(encoded, predictions)
    training_model.compile(optimizer="adam", loss="binary_crossentropy")
    train_ds = dg.data.Dataset.from_tensor_slices((TRAIN, labels)).batch(16).map(
        lambda x, y: (space(x), y))
    training_model.fit(train_ds, epochs=2, verbose=0)
    inference = dg.Model(space.get_inputs(), predictions)
    raw = {k: v[:, None] for k, v in TEST.items()}
    np.testing.assert_allclose(inference.predict(raw, verbose=0),
                               training_model.predict(space(TEST), verbose=0), rtol=1e-5)
    inference.save(tmp_path / "inference.keras")
    loaded = dg.saving.load_model(tmp_path / "inference.keras")
    np.testing.assert_allclose(loaded.predict(raw, verbose=0),
                               inference.predict(raw, verbose=0), rtol=1e-6)


def test_discretized_with_given_boundaries_needs_no_adapt():
    space = FS(features={"x": FS.float_discretized(num_bins=3, bin_boundaries=[0.0, 1.0])})
    np.testing.assert_array_equal(space({"x": np.array([-1.0, 0.5, 2.0])}), np.eye(3))


def test_config_rebuilds_the_same_space():
    space = adapted()
    copy = FS.from_config(space.get_config())
    assert sorted(copy.features) == sorted(space.features)
    assert [c.name for c in copy.crosses] == ["city_X_rooms"]
    copy.adapt(TRAIN)
    np.testing.assert_array_equal(copy(TEST), space(TEST))


@pytest.mark.parametrize("make, match", [
    (lambda: FS(features={}), "non-empty"),
    (lambda: FS(features={"a": "float"}, output_mode="list"), "output_mode"),
    (lambda: FS(features={"a": "floaty"}), "unknown type 'floaty'"),
    (lambda: FS(features={"a": "float"}, crosses=[("a", "b")]), r"not in `features`: \['b'\]"),
    (lambda: FS.feature("float64", dg.layers.Identity(), "float"), "dtype"),
    (lambda: FS.cross(("a", "b"), 4, output_mode="float"), "output_mode"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_use():
    space = FS(features=SPEC["features"], **SPEC["args"])
    with pytest.raises(ValueError, match="adapt"):
        space(TEST)
    with pytest.raises(ValueError, match=r"no column\(s\) \['zip'\]"):
        space.adapt({k: v for k, v in TRAIN.items() if k != "zip"})
    space.adapt(TRAIN)
    with pytest.raises(ValueError, match="dict of columns"):
        space([1, 2])
    ints = FS(features={"c": FS.string_categorical(output_mode="int")})
    ints.adapt({"c": TRAIN["city"]})
    with pytest.raises(ValueError, match="cannot concatenate feature 'c'"):
        ints({"c": TEST["city"]})
