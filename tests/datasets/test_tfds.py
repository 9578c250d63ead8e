"""dg.datasets.load in the tensorflow_datasets form: splits, slicing, supervised pairs, info."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.datasets import DatasetNotFoundError, load

from offline_data import needs_fashion_mnist


@needs_fashion_mnist
def test_fashion_mnist_course_form():
    (train, test), info = load(
        "fashion_mnist",
        split=["train", "test"],
        as_supervised=True,
        with_info=True,
        shuffle_files=True,
    )
    assert len(train) == 60000 and len(test) == 10000
    assert info.splits["train"].num_examples == 60000
    assert info.splits["test"].num_examples == 10000
    assert info.features["label"].num_classes == 10
    assert info.features["label"].names[9] == "Ankle boot"
    assert info.features["image"].shape == (28, 28, 1)
    image, label = next(iter(train))
    assert image.shape == (28, 28, 1) and image.dtype == np.uint8
    assert label.dtype == np.int64 and info.features["label"].int2str(label) == "Ankle boot"
    text = repr(info)
    for piece in ("fashion_mnist", "Image(shape=(28, 28, 1), dtype=uint8)", "num_classes=10",
                  "'train': <SplitInfo num_examples=60000"):  # fmt: skip
        assert piece in text
    # The course pipeline: normalise, cache, shuffle, batch, fit.
    def normalize(x, y):
        return x.astype(np.float32) / 255.0, y

    batches = train.take(256).map(normalize).cache().shuffle(256).batch(64)
    model = dg.Sequential(
        [dg.Input((28, 28, 1)), dg.layers.Flatten(), dg.layers.Dense(10, activation="softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(batches, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


@needs_fashion_mnist
def test_fashion_mnist_slices_and_dict_elements():
    ds, info = load("fashion_mnist", split="train[:10%]", with_info=True, batch_size=1000)
    assert info.splits["train[:10%]"].num_examples == 6000
    batch = next(iter(ds))
    assert set(batch) == {"image", "label"} and batch["image"].shape == (1000, 28, 28, 1)
    everything = load("fashion_mnist")
    assert set(everything) == {"train", "test"}


def test_iris_slices_are_complementary_and_hold_every_class():
    (a, b), info = load(
        "iris", split=["train[:80%]", "train[80%:]"], as_supervised=True, with_info=True
    )
    xa = np.stack([x for x, _ in a])
    xb = np.stack([x for x, _ in b])
    ya = np.array([int(y) for _, y in a])
    assert xa.shape == (120, 4) and xb.shape == (30, 4) and xa.dtype == np.float32
    assert set(ya.tolist()) == {0, 1, 2}
    whole, _ = dg.datasets.iris.load_data()
    together = np.concatenate([xa, xb])
    assert sorted(map(tuple, together.tolist())) == sorted(map(tuple, whole.tolist()))
    assert info.features["features"].shape == (4,)
    assert info.features["label"].names == ["setosa", "versicolor", "virginica"]
    assert info.supervised_keys == ("features", "label")
    # The same order on every call: slices are reproducible.
    again = load("iris", split="train[:80%]", as_supervised=True)
    np.testing.assert_array_equal(np.stack([x for x, _ in again]), xa)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("train", 1797),
        ("train[:100]", 100),
        ("train[-97:]", 97),
        ("train[10%:20%]", 359 - 180),  # round(179.7) to round(359.4)
        ("train[:50%]+train[50%:]", 1797),
        ("train[5:5]", 0),
    ],
)
def test_digits_split_strings(spec, expected):
    ds, info = load("digits", split=spec, with_info=True)
    assert len(ds) == expected == info.splits[spec].num_examples


def test_batch_size_whole_split_and_images():
    ds = load("digits", split="train", as_supervised=True, batch_size=-1)
    (x, y), = list(ds)
    assert x.shape == (1797, 8, 8, 1) and x.dtype == np.uint8 and x.max() == 16
    assert y.shape == (1797,) and y.dtype == np.int64


def test_mnist_from_data_dir(toy, tmp_path):
    toy.put(tmp_path / "data" / "mnist")
    train, test = load("mnist", split=["train", "test"], as_supervised=True,
                       data_dir=tmp_path / "data")  # fmt: skip
    images = np.stack([x for x, _ in train])
    np.testing.assert_array_equal(images[..., 0], toy.x_train)
    assert [int(y) for _, y in test] == toy.y_test.tolist()
    toy.put(tmp_path / "flat")  # a data_dir holding the files directly works too
    assert len(load("mnist", split="test", data_dir=tmp_path / "flat")) == 2


def test_missing_files_raise_the_lookup_error(toy):
    with pytest.raises(DatasetNotFoundError, match="no good copy") as error:
        load("mnist", download=False)
    assert "`data_dir=`" in str(error.value) and "`path=`" not in str(error.value)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"name": "imagenet"}, ValueError, "Known datasets: cifar10, digits, fashion_mnist"),
        ({"name": "fashion-mnist"}, ValueError, "Did you mean 'fashion_mnist'"),
        ({"name": "iris", "split": "test"}, ValueError, r"splits \['train'\]"),
        ({"name": "iris", "split": "train[:80"}, ValueError, "could not parse"),
        ({"name": "iris", "split": "train[:120%]"}, ValueError, "percent"),
        ({"name": "iris", "batch_size": 0}, ValueError, "`batch_size`"),
        ({"name": "iris", "as_supervised": "yes"}, TypeError, "`as_supervised` must be a bool"),
        ({"name": "iris", "split": 3}, TypeError, "`split` must be"),
    ],
)
def test_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        load(**kwargs)


def test_list_builders():
    assert dg.datasets.list_builders() == ["cifar10", "digits", "fashion_mnist", "iris", "mnist"]
