"""dg.datasets.shipsnet: the course's ship tiles, read offline from a folder, checked."""

import json

import numpy as np
import pytest
from PIL import Image

import deepgrad as dg
from deepgrad.formats.errors import FileFormatError

shipsnet = dg.datasets.shipsnet


def write_dataset(folder, count=3, scenes=("sfbay_1",)):
    rng = np.random.default_rng(0)
    tiles = rng.integers(0, 256, (count, 80, 80, 3), dtype=np.uint8)
    record = {"data": tiles.transpose(0, 3, 1, 2).reshape(count, -1).tolist(),
              "labels": [i % 2 for i in range(count)],
              "locations": [[-122.3 + i, 37.7] for i in range(count)],
              "scene_ids": [f"scene{i}" for i in range(count)]}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shipsnet.json").write_text(json.dumps(record))
    for name in scenes:
        (folder / "scenes").mkdir(exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (50, 70, 4), dtype=np.uint8)).save(
            folder / "scenes" / f"{name}.png")
    return tiles, record


def test_load_data_from_a_folder_keeps_pixels_labels_and_scenes(tmp_path):
    tiles, record = write_dataset(tmp_path / "ships")
    data = shipsnet.load_data(tmp_path / "ships")
    np.testing.assert_array_equal(data.images, tiles)
    assert data.images.dtype == np.uint8 and data.labels.tolist() == [0, 1, 0]
    assert data.locations.shape == (3, 2) and data.scene_ids == ["scene0", "scene1", "scene2"]
    assert list(data.scenes) == ["sfbay_1"]
    scene = shipsnet.load_scene(data.scenes["sfbay_1"])
    assert scene.shape == (50, 70, 3) and scene.dtype == np.uint8


def test_load_data_from_deepgrad_data(tmp_path, monkeypatch):
    write_dataset(tmp_path / "shipsnet", count=2, scenes=())
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path))
    data = shipsnet.load_data()
    assert len(data.images) == 2 and data.scenes == {}


def test_missing_dataset_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPGRAD_DATA", str(tmp_path / "nothing"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(dg.datasets.DatasetNotFoundError) as raised:
        shipsnet.load_data(tmp_path / "here")
    text = str(raised.value)
    assert str(tmp_path / "here" / "shipsnet.json") in text and "kaggle" in text.lower()
    assert "$DEEPGRAD_DATA/shipsnet" in text


@pytest.mark.parametrize("change, message", [
    (lambda r: r.pop("labels"), "has no \\['labels'\\]"),
    (lambda r: r["labels"].append(1), "3 tiles but 4 labels"),
    (lambda r: r["data"][0].pop(), "must be 19200 values"),
    (lambda r: r["data"][1].__setitem__(5, 300), "0..255"),
    (lambda r: r["labels"].__setitem__(0, 2), "0 \\(no ship\\) or 1"),
])
def test_bad_files_are_file_format_errors(tmp_path, change, message):
    _, record = write_dataset(tmp_path, scenes=())
    change(record)
    (tmp_path / "shipsnet.json").write_text(json.dumps(record))
    with pytest.raises(FileFormatError, match=message):
        shipsnet.load_data(tmp_path)
    (tmp_path / "shipsnet.json").write_text("{not json")
    with pytest.raises(FileFormatError, match="not valid JSON"):
        shipsnet.load_data(tmp_path)
