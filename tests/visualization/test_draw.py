"""draw_bounding_boxes and draw_segmentation_masks: pixels where the boxes and masks are."""

import numpy as np
import pytest

import deepgrad as dg

vis = dg.visualization


def test_boxes_are_drawn_on_their_outline_only():
    images = np.zeros((2, 30, 40, 3), np.float32)
    boxes = {"boxes": np.array([[[5, 5, 20, 15]], [[0, 0, 1, 1]]], np.float32),
             "labels": np.array([[1], [-1]])}
    out = vis.draw_bounding_boxes(images, boxes, "xyxy", color=(255, 0, 0), line_thickness=1)
    assert out.shape == images.shape and out.dtype == np.uint8
    first = out[0, ..., 0]
    assert first[5, 5:21].min() == 255 and first[15, 5:21].min() == 255  # top, bottom
    assert first[5:16, 5].min() == 255 and first[5:16, 20].min() == 255  # left, right
    assert first[10, 10] == 0 and first[25, 30] == 0 and out[0, ..., 1].max() == 0
    assert out[1].max() == 0  # label -1 is not drawn


def test_box_formats_channels_first_grey_and_labels():
    images = np.full((1, 1, 32, 32), 0.0)  # channels_first, grey, floats in 0..1
    boxes = {"boxes": np.array([[[16, 16, 10, 10]]]), "labels": np.array([[0]]),
             "confidences": np.array([[0.87]])}
    out = vis.draw_bounding_boxes(images, boxes, "center_xywh", class_mapping={0: "ship"},
                                  color=(200, 200, 200), line_thickness=1,
                                  data_format="channels_first")
    assert out.shape == (1, 1, 32, 32)
    assert out[0, 0, 11, 11:22].min() == 200  # the top edge of the box 11..21
    inside_text = out[0, 0, 14:22, 14:20]
    assert inside_text.max() > 0  # the label is written inside the box (no room above)


@pytest.mark.parametrize("call, error, message", [
    (lambda: vis.draw_bounding_boxes(np.zeros((4, 4, 3)), {}, "xyxy"), ValueError, "rank 4"),
    (lambda: vis.draw_bounding_boxes(np.zeros((1, 4, 4, 3)), [], "xyxy"), TypeError, "dict"),
    (lambda: vis.draw_bounding_boxes(np.zeros((1, 4, 4, 3)), {"boxes": 1}, "xyxy"),
     ValueError, "'boxes' and 'labels'"),
    (lambda: vis.draw_segmentation_masks(np.zeros((1, 4, 4, 3)), np.zeros((1, 4, 4))),
     TypeError, "integer dtype"),
    (lambda: vis.draw_segmentation_masks(np.zeros((1, 4, 4, 3)), np.zeros((1, 4, 5), int)),
     ValueError, "shape \\(1, 4, 4\\)"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_segmentation_masks_blend_and_paint_as_keras():
    images = np.full((1, 3, 3, 3), 100, np.uint8)
    masks = np.array([[[0, 1, 2], [1, -1, 0], [2, 2, 2]]])[..., None]
    colors = {0: (0, 0, 0), 1: (255, 0, 0), 2: (0, 0, 255)}
    blended = vis.draw_segmentation_masks(images, masks, color_mapping=colors, alpha=0.5)
    assert blended.dtype == np.uint8
    assert blended[0, 0, 1].tolist() == [177, 50, 50] and blended[0, 1, 1].tolist() == [100] * 3
    painted = vis.draw_segmentation_masks(images, masks, color_mapping=colors, blend=False)
    assert painted.dtype == np.float32 and painted[0, 2, 0].tolist() == [0, 0, 255]
    default = vis.draw_segmentation_masks(images, masks[..., 0])
    assert default.shape == images.shape
    assert len({tuple(p) for p in default[0].reshape(-1, 3)}) == 4  # 3 classes + ignored
