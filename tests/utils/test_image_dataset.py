"""image_dataset_from_directory on a tiny folder of PNGs, against Keras's documented behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import deepgrad as dg

CLASSES = {"cats": 5, "dogs": 3, "owls": 2}


@pytest.fixture
def folder(tmp_path):
    """Three class folders; every pixel of an image holds its class index * 100 + its number."""
    root = tmp_path / "images"
    for index, (name, count) in enumerate(CLASSES.items()):
        (root / name).mkdir(parents=True)
        for i in range(count):
            value = index * 100 + i
            Image.new("RGB", (6 + i, 4), (value, value, value)).save(root / name / f"{i}.png")
    (root / "cats" / "notes.txt").write_text("not an image")
    (root / "cats" / "nested").mkdir()
    Image.new("RGB", (3, 3), (9, 9, 9)).save(root / "cats" / "nested" / "deep.png")  # recursive
    return root


def _all(ds):
    xs, ys = zip(*list(ds))
    return np.concatenate(xs), np.concatenate(ys)


def test_batches_labels_and_message(folder, capsys):
    ds = dg.utils.image_dataset_from_directory(folder, image_size=(5, 7), batch_size=4, seed=1)
    assert capsys.readouterr().out.strip() == "Found 11 files belonging to 3 classes."
    assert ds.class_names == ["cats", "dogs", "owls"]
    batches = list(ds)
    assert [len(y) for _, y in batches] == [4, 4, 3]
    x, y = _all(ds)
    assert x.shape == (11, 5, 7, 3) and x.dtype == np.float32 and y.dtype == np.int32
    value = x[:, 2, 3, 0]  # a uniform image stays uniform after resizing
    np.testing.assert_array_equal(value // 100, y)  # each image travels with its own label
    assert np.bincount(y).tolist() == [6, 3, 2]


def test_label_modes_color_modes_and_unbatched(folder):
    kwargs = dict(image_size=(4, 4), seed=0, verbose=False)
    x, y = _all(dg.utils.image_dataset_from_directory(folder, label_mode="categorical", **kwargs))
    assert y.shape == (11, 3) and y.dtype == np.float32 and (y.sum(1) == 1).all()
    gray = dg.utils.image_dataset_from_directory(folder, color_mode="grayscale", **kwargs)
    assert next(iter(gray))[0].shape[-1] == 1
    rgba = dg.utils.image_dataset_from_directory(folder, color_mode="rgba", **kwargs)
    assert next(iter(rgba))[0].shape[-1] == 4
    images = dg.utils.image_dataset_from_directory(folder, labels=None, batch_size=None, **kwargs)
    first = next(iter(images))
    assert isinstance(first, np.ndarray) and first.shape == (4, 4, 3)
    assert images.class_names is None
    (folder / "owls" / "0.png").unlink()
    (folder / "owls" / "1.png").unlink()
    (folder / "owls").rmdir()
    _, binary = _all(dg.utils.image_dataset_from_directory(folder, label_mode="binary", **kwargs))
    assert binary.shape == (9, 1) and binary.dtype == np.float32 and binary.sum() == 3


def test_class_names_order_and_explicit_labels(folder):
    ds = dg.utils.image_dataset_from_directory(
        folder, class_names=["owls", "dogs", "cats"], image_size=(4, 4), verbose=False, seed=0
    )
    x, y = _all(ds)
    assert np.bincount(y).tolist() == [2, 3, 6]
    labels = list(range(11))
    explicit = dg.utils.image_dataset_from_directory(
        folder, labels=labels, image_size=(4, 4), verbose=False, shuffle=False
    )
    _, given = _all(explicit)
    assert given.tolist() == labels


def test_validation_split_is_disjoint_and_complementary(folder, capsys):
    kwargs = dict(validation_split=0.3, seed=42, image_size=(4, 4), batch_size=2)
    train = dg.utils.image_dataset_from_directory(folder, subset="training", **kwargs)
    val = dg.utils.image_dataset_from_directory(folder, subset="validation", **kwargs)
    out = capsys.readouterr().out
    assert "Using 8 files for training." in out and "Using 3 files for validation." in out
    assert set(train.file_paths).isdisjoint(val.file_paths)
    assert len(set(train.file_paths) | set(val.file_paths)) == 11
    both = dg.utils.image_dataset_from_directory(folder, subset="both", **kwargs)
    assert both[0].file_paths == train.file_paths and both[1].file_paths == val.file_paths
    assert sum(len(y) for _, y in val) == 3


def test_seed_reproduces_and_global_seed_too(folder):
    kwargs = dict(image_size=(4, 4), verbose=False)
    a = dg.utils.image_dataset_from_directory(folder, seed=3, **kwargs)
    b = dg.utils.image_dataset_from_directory(folder, seed=3, **kwargs)
    assert a.file_paths == b.file_paths
    np.testing.assert_array_equal(_all(a)[1], _all(b)[1])
    dg.utils.set_random_seed(5)
    c = dg.utils.image_dataset_from_directory(folder, **kwargs).file_paths
    dg.utils.set_random_seed(5)
    assert dg.utils.image_dataset_from_directory(folder, **kwargs).file_paths == c
    ordered = dg.utils.image_dataset_from_directory(folder, shuffle=False, **kwargs)
    assert ordered.file_paths == sorted(ordered.file_paths, key=lambda p: p.split("images")[1])


def test_crop_and_pad_to_aspect_ratio(tmp_path):
    root = tmp_path / "wide" / "only"
    root.mkdir(parents=True)
    pixels = np.zeros((2, 6, 3), np.uint8)
    pixels[:, 2:4] = 255
    Image.fromarray(pixels).save(root / "a.png")
    load = dg.utils.image_dataset_from_directory
    common = dict(image_size=(2, 2), verbose=False, interpolation="nearest")
    x, _ = _all(load(root.parent, crop_to_aspect_ratio=True, **common))
    assert (x == 255).all()  # the centred 2x2 window is all white
    x, _ = _all(load(root.parent, pad_to_aspect_ratio=True, **common))
    assert x.shape == (1, 2, 2, 3)


def test_fits_a_model(folder):
    train = dg.utils.image_dataset_from_directory(
        folder, image_size=(8, 8), batch_size=4, seed=0, verbose=False
    )
    model = dg.Sequential(
        [
            dg.Input((8, 8, 3)),
            dg.layers.Rescaling(1 / 255),
            dg.layers.RandomFlip("horizontal"),
            dg.layers.Flatten(),
            dg.layers.Dense(len(train.class_names), activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(train, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"subset": "training"}, ValueError, "give both or neither"),
        ({"validation_split": 0.2}, ValueError, "give both or neither"),
        ({"validation_split": 0.2, "subset": "training"}, ValueError, "give a `seed`"),
        ({"validation_split": 1.5, "subset": "training", "seed": 1}, ValueError, "between 0"),
        ({"label_mode": "binary"}, ValueError, "exactly 2 classes"),
        ({"label_mode": "sparse"}, ValueError, "`label_mode` must be"),
        ({"color_mode": "cmyk"}, ValueError, "`color_mode` must be"),
        ({"image_size": (0, 4)}, ValueError, "`image_size`"),
        ({"interpolation": "bicubic"}, ValueError, "`interpolation`"),
        ({"class_names": ["a", "b"]}, ValueError, "`class_names` must name"),
        ({"labels": [0, 1]}, ValueError, "one label per image file"),
    ],
)
def test_errors(folder, kwargs, error, message):
    with pytest.raises(error, match=message):
        dg.utils.image_dataset_from_directory(folder, verbose=False, **kwargs)


def test_missing_folder_and_no_images(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        dg.utils.image_dataset_from_directory(tmp_path / "nowhere")
    (tmp_path / "empty" / "a").mkdir(parents=True)
    (tmp_path / "empty" / "a" / "x.txt").write_text("text")
    with pytest.raises(ValueError, match="no images found"):
        dg.utils.image_dataset_from_directory(tmp_path / "empty")
