"""text_dataset_from_directory on a tiny folder of .txt files, against Keras 3's behaviour."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg

# Keras 3.15's index_directory(..., seed=7) on the folder below gave this file order.
KERAS_ORDER_SEED_7 = [
    "neg/sub/n.txt", "pos/3.txt", "mid/3.txt", "neg/2.txt", "mid/1.txt", "mid/2.txt",
    "pos/sub/n.txt", "pos/1.txt", "mid/sub/n.txt", "neg/3.txt", "pos/2.txt", "neg/1.txt",
]


@pytest.fixture
def folder(tmp_path):
    """Three classes of three texts and a nested one each; a hidden folder and a non-.txt."""
    root = tmp_path / "texts"
    for name in ("neg", "pos", "mid"):
        (root / name / "sub").mkdir(parents=True)
        for i in (1, 2, 3):
            (root / name / f"{i}.txt").write_text(f"{name} text {i}\n", encoding="utf-8")
        (root / name / "sub" / "n.txt").write_text(f"{name} nested\n", encoding="utf-8")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "h.txt").write_text("hidden")
    (root / "neg" / "skip.md").write_text("not a .txt")
    return root


def relative(paths, root):
    return [str(p)[len(str(root)) + 1 :] for p in paths]


def test_keras_order_message_and_batches(folder, capsys):
    ds = dg.utils.text_dataset_from_directory(folder, seed=7, batch_size=5)
    assert capsys.readouterr().out.strip() == "Found 12 files belonging to 3 classes."
    assert ds.class_names == ["mid", "neg", "pos"]
    assert relative(ds.file_paths, folder) == KERAS_ORDER_SEED_7
    texts, labels = zip(*ds)
    assert [len(t) for t in texts] == [5, 5, 2]
    assert texts[0].dtype.kind == "U" and labels[0].dtype == np.int32
    for batch, batch_labels in zip(texts, labels):
        for text, label in zip(batch, batch_labels):
            assert text.startswith(ds.class_names[label])  # each text keeps its label


def test_class_names_subset_label_modes_and_max_length(folder):
    ds = dg.utils.text_dataset_from_directory(
        folder, shuffle=False, batch_size=20, class_names=["pos", "neg"], verbose=False
    )
    texts, labels = next(iter(ds))
    assert texts.tolist() == [
        "pos text 1\n", "pos text 2\n", "pos text 3\n", "pos nested\n",
        "neg text 1\n", "neg text 2\n", "neg text 3\n", "neg nested\n",
    ]
    assert labels.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    common = dict(shuffle=False, batch_size=None, verbose=False)
    binary = dg.utils.text_dataset_from_directory(
        folder, class_names=["pos", "neg"], label_mode="binary", max_length=3, **common
    )
    first_text, first_label = next(iter(binary))
    assert str(first_text) == "pos" and first_label.tolist() == [0.0]
    onehot = dg.utils.text_dataset_from_directory(folder, label_mode="categorical", **common)
    assert next(iter(onehot))[1].tolist() == [1.0, 0.0, 0.0]
    texts_only = dg.utils.text_dataset_from_directory(folder, labels=None, **common)
    assert texts_only.class_names is None and isinstance(next(iter(texts_only)), np.str_)
    # With explicit labels every .txt counts, the hidden folder's too (as in Keras).
    explicit = dg.utils.text_dataset_from_directory(folder, labels=list(range(13)), **common)
    assert [int(y) for _, y in explicit] == list(range(13))
    assert explicit.class_names == [str(i) for i in range(13)]


def test_validation_split(folder, capsys):
    kwargs = dict(validation_split=0.25, seed=1, batch_size=3)
    train, val = dg.utils.text_dataset_from_directory(folder, subset="both", **kwargs)
    out = capsys.readouterr().out
    assert "Using 9 files for training." in out and "Using 3 files for validation." in out
    assert set(train.file_paths).isdisjoint(val.file_paths)
    assert sum(len(y) for _, y in train) == 9 and sum(len(y) for _, y in val) == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"labels": "folders"}, "`labels` must be 'inferred', None or a list"),
        ({"labels": [0, 1]}, "one label per text file"),
        ({"labels": list(range(13)), "class_names": ["neg"]}, "`class_names` can only be"),
        ({"class_names": ["cats"]}, "`class_names` must name subfolders"),
        ({"label_mode": "sparse"}, "`label_mode` must be"),
        ({"label_mode": "binary"}, "exactly 2 classes"),
        ({"format": "arrow"}, "`format` must be 'tf' or 'grain'"),
        ({"max_length": -1}, "`max_length` must be None or an int"),
        ({"validation_split": 0.2}, "give both or neither"),
        ({"validation_split": 0.2, "subset": "training"}, "give a `seed`"),
    ],
)
def test_errors(folder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        dg.utils.text_dataset_from_directory(folder, verbose=False, **kwargs)


def test_missing_folder_and_no_texts(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        dg.utils.text_dataset_from_directory(tmp_path / "nowhere")
    (tmp_path / "empty" / "a").mkdir(parents=True)
    (tmp_path / "empty" / "a" / "x.md").write_text("no")
    with pytest.raises(ValueError, match=r"no text files found .* Allowed formats: \('.txt',\)"):
        dg.utils.text_dataset_from_directory(tmp_path / "empty")


def test_texts_train_a_model_end_to_end(folder):
    dg.utils.set_random_seed(0)
    train = dg.utils.text_dataset_from_directory(folder, batch_size=4, seed=0, verbose=False)
    vectorize = dg.layers.TextVectorization(output_mode="multi_hot")
    vectorize.adapt(train.map(lambda x, y: x))
    inputs = dg.Input(shape=(1,), dtype="string")
    outputs = dg.layers.Dense(3, activation="softmax")(vectorize(inputs))
    model = dg.Model(inputs, outputs)
    model.compile(dg.optimizers.Adam(0.2), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train, epochs=15, verbose=0)
    assert history.history["accuracy"][-1] == 1.0
