"""MaxNumBoundingBoxes: cut and pad boxes and labels as Keras 3 does, ragged lists,
pass-through, config, errors."""

import numpy as np
import pytest

import deepgrad as dg

L = dg.layers


def test_pads_and_cuts_like_keras():
    boxes = np.arange(24, dtype="float32").reshape(2, 3, 4)
    labels = np.array([[1, 2, 3], [4, 5, 6]], "float32")
    data = {"images": np.zeros((2, 4, 4, 3), "float32"),
            "bounding_boxes": {"boxes": boxes, "labels": labels}}
    cut = L.MaxNumBoundingBoxes(2)(data)["bounding_boxes"]
    np.testing.assert_array_equal(cut["boxes"].data, boxes[:, :2])
    np.testing.assert_array_equal(cut["labels"].data, labels[:, :2])
    padded = L.MaxNumBoundingBoxes(5, fill_value=-7)(data)["bounding_boxes"]
    assert padded["boxes"].shape == (2, 5, 4) and (padded["boxes"].data[:, 3:] == -7).all()
    np.testing.assert_array_equal(padded["labels"].data[:, :3], labels)


def test_ragged_lists_and_pass_through():
    layer = L.MaxNumBoundingBoxes(2)
    boxes = [np.zeros((0, 4)), np.ones((3, 4))]
    out = layer({"images": np.zeros((2, 4, 4, 1)), "bounding_boxes": {
        "boxes": boxes, "labels": [np.zeros(0), np.array([7, 8, 9])]}, "name": "x"})
    assert out["name"] == "x" and out["images"].shape == (2, 4, 4, 1)
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"].data, [[-1, -1], [7, 8]])
    images = np.zeros((2, 4, 4, 3), "float32")
    np.testing.assert_array_equal(layer(images).data, images)


def test_config_and_errors():
    config = L.MaxNumBoundingBoxes(4, fill_value=0, bounding_box_format="xyxy").get_config()
    assert (config["max_number"], config["fill_value"], config["bounding_box_format"]) == (
        4, 0, "xyxy")
    assert L.MaxNumBoundingBoxes.from_config(config).max_number == 4
    with pytest.raises(ValueError, match=r"MaxNumBoundingBoxes '.*': `max_number` must be a "
                                         r"positive int. Received: max_number=0"):
        L.MaxNumBoundingBoxes(0)
    with pytest.raises(ValueError, match=r"`bounding_boxes` must be a dict with exactly the "
                                         r"keys 'boxes' and 'labels'. Received: \['boxes', "
                                         r"'labels', 'scores'\]"):
        L.MaxNumBoundingBoxes(2)({"images": np.zeros((1, 2, 2, 1)), "bounding_boxes": {
            "boxes": np.zeros((1, 1, 4)), "labels": np.zeros((1, 1)),
            "scores": np.zeros((1, 1))}})
