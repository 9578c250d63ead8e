"""dg.utils.bounding_boxes and dg.image.non_max_suppression against Keras 3 / TensorFlow
(tests/fixtures/keras_boxes.json, written by make_keras_boxes.py) and plain formulas."""

import json
from pathlib import Path

import numpy as np
import pytest

import deepgrad as dg

bb = dg.utils.bounding_boxes
FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures" / "keras_boxes.json").read_text())
BOXES = np.array(FIXTURE["boxes"], dtype=np.float32)
SCORES = np.array(FIXTURE["scores"], dtype=np.float32)
H, W = FIXTURE["height"], FIXTURE["width"]


@pytest.mark.parametrize("fmt", sorted(FIXTURE["convert"]))
def test_convert_format_equals_keras_and_round_trips(fmt):
    converted = bb.convert_format(BOXES, "xyxy", fmt, height=H, width=W)
    assert converted.dtype == np.float32 and converted.shape == BOXES.shape
    np.testing.assert_allclose(converted, FIXTURE["convert"][fmt], rtol=1e-6, atol=1e-6)
    back = bb.convert_format(converted, fmt.upper(), "xyxy", height=H, width=W)
    np.testing.assert_allclose(back, BOXES, atol=2e-5)


def test_convert_format_between_relative_formats_and_dicts():
    rel = bb.convert_format(BOXES, "xyxy", "rel_xyxy", height=H, width=W)
    np.testing.assert_allclose(bb.convert_format(rel, "rel_xyxy", "rel_xywh", H, W),
                               FIXTURE["convert"]["rel_xywh"], atol=1e-6)
    labelled = {"boxes": BOXES[:2], "labels": np.array([3, 4])}
    out = bb.convert_format(labelled, "xyxy", "yxyx")
    assert out["labels"].tolist() == [3, 4] and out is not labelled
    np.testing.assert_array_equal(out["boxes"], BOXES[:2][:, [1, 0, 3, 2]])
    assert labelled["boxes"].shape == (2, 4) and np.shares_memory(labelled["boxes"], BOXES)


@pytest.mark.parametrize("call, message", [
    (lambda: bb.convert_format(BOXES[:, :3], "xyxy", "xywh"), "last dimension of 4"),
    (lambda: bb.convert_format(BOXES, "xyxy", "corners"), "must be one of"),
    (lambda: bb.convert_format(BOXES, "xyxy", "rel_xyxy"), "`height` and `width`"),
    (lambda: bb.compute_iou(BOXES[0], BOXES, "xyxy"), "boxes1.shape=\\(4,\\)"),
    (lambda: bb.compute_iou(BOXES, BOXES, "rel_xyxy"), "image_shape"),
    (lambda: bb.clip_to_image_size({"boxes": BOXES}, bounding_box_format="xyxy"), "height"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_compute_iou_equals_keras_unbatched_and_batched():
    np.testing.assert_allclose(bb.compute_iou(BOXES[:10], BOXES[10:25], "xyxy"),
                               FIXTURE["iou"], atol=1e-6)
    batched = bb.compute_iou(BOXES[:20].reshape(2, 10, 4), BOXES[20:35], "xyxy")
    assert batched.shape == (2, 10, 15)
    np.testing.assert_allclose(batched, FIXTURE["iou_batched"], atol=1e-6)
    flipped = bb.compute_iou(BOXES[20:35], BOXES[:20].reshape(2, 10, 4), "xyxy")
    np.testing.assert_allclose(flipped, np.swapaxes(batched, 1, 2), atol=1e-7)


def test_compute_iou_plain_formula_and_masking():
    a = np.array([[0, 0, 4, 4], [-1, -1, -1, -1]], np.float32)
    b = np.array([[2, 2, 6, 6]], np.float32)
    iou = bb.compute_iou(a, b, "xyxy")
    assert iou[0, 0] == pytest.approx(4 / (16 + 16 - 4), rel=1e-6)
    masked = bb.compute_iou(a, b, "xyxy", use_masking=True, mask_val=-7)
    assert masked[1, 0] == -7 and masked[0, 0] == iou[0, 0]
    rel = bb.compute_iou(a[:1] / 10, b / 10, "rel_xyxy", image_shape=(10, 10, 3))
    np.testing.assert_allclose(rel, iou[:1], rtol=1e-5)


def test_clip_to_image_size_equals_keras():
    out = bb.clip_to_image_size({"boxes": BOXES, "labels": np.arange(40)}, height=100, width=100)
    np.testing.assert_allclose(out["boxes"], FIXTURE["clip_boxes"])
    assert out["labels"].tolist() == FIXTURE["clip_labels"]
    assert -1 in FIXTURE["clip_labels"]  # the fixture has boxes that leave the image
    rel = bb.clip_to_image_size({"boxes": np.array([[-0.5, 0.2, 1.5, 0.9]])},
                                bounding_box_format="rel_xyxy")
    assert rel["boxes"].tolist() == [[0.0, 0.2, 1.0, 0.9]] and "labels" not in rel
    with pytest.raises(NotImplementedError, match="convert_format"):
        bb.clip_to_image_size({"boxes": BOXES}, 10, 10, bounding_box_format="xywh")


@pytest.mark.parametrize("threshold", ["0.1", "0.3", "0.5"])
def test_non_max_suppression_equals_tensorflow(threshold):
    kept = dg.image.non_max_suppression(BOXES[:, [1, 0, 3, 2]], SCORES, 25, float(threshold),
                                        0.2)
    assert kept.dtype == np.int32
    assert kept.tolist() == FIXTURE["nms"][threshold]
    same = dg.image.non_max_suppression(BOXES, SCORES, 25, float(threshold), 0.2,
                                        bounding_box_format="xyxy")
    assert same.tolist() == kept.tolist()


def test_non_max_suppression_rules():
    boxes = np.array([[0, 0, 10, 10], [10, 10, 0, 0], [0, 0, 10, 5], [50, 50, 60, 60]])
    scores = np.array([0.5, 0.9, 0.8, 0.1])
    nms = dg.image.non_max_suppression
    # Box 1 is box 0 with its corners swapped: identical, suppressed; box 2 overlaps 0.5.
    assert nms(boxes, scores, 10, iou_threshold=0.5).tolist() == [1, 2, 3]
    assert nms(boxes, scores, 10, iou_threshold=0.49).tolist() == [1, 3]
    assert nms(boxes, scores, 1).tolist() == [1]
    assert nms(boxes, scores, 10, score_threshold=0.8).tolist() == [1]
    assert nms(np.zeros((0, 4)), np.zeros(0), 5).tolist() == []
    with pytest.raises(ValueError, match="scores.shape=\\(3,\\)"):
        nms(boxes, scores[:3], 10)
    with pytest.raises(ValueError, match="iou_threshold=1.5"):
        nms(boxes, scores, 10, iou_threshold=1.5)


# -- detection box arithmetic: crop, pad, affine moves, CIoU, anchor deltas ----------------
def test_crop_and_pad_equal_keras():
    boxes = np.array(FIXTURE["boxes"], "float32")
    np.testing.assert_allclose(bb.crop(boxes, top=10, left=20, height=60, width=70),
                               FIXTURE["crop"], rtol=1e-6)
    np.testing.assert_allclose(bb.pad(boxes, top=7, left=3), FIXTURE["pad"], rtol=1e-6)
    with pytest.raises(NotImplementedError, match="crop: only bounding_box_format='xyxy'"):
        bb.crop(boxes, 0, 0, 10, 10, bounding_box_format="yxyx")
    with pytest.raises(ValueError, match=r"pad: `boxes` must have shape \(num_boxes, 4\)"):
        bb.pad(boxes[:, :3], 1, 1)


def test_affine_transform_equals_keras_per_image_parameters():
    boxes = np.array(FIXTURE["boxes"], "float32")[:12].reshape(2, 6, 4)
    args = {k: np.array(v, "float32") for k, v in FIXTURE["affine"].items()}
    moved = bb.affine_transform(boxes, height=120, width=150, **args)
    np.testing.assert_allclose(moved, FIXTURE["affine_boxes"], rtol=1e-5, atol=1e-3)
    one = bb.affine_transform(boxes[0], height=120, width=150,
                              **{k: v[0] for k, v in args.items()})
    np.testing.assert_allclose(one, moved[0], rtol=1e-6)


def test_ciou_equals_keras_and_is_one_for_equal_boxes():
    boxes = np.array(FIXTURE["boxes"], "float32")
    np.testing.assert_allclose(bb.compute_ciou(boxes[:20], boxes[20:], "xyxy"),
                               FIXTURE["ciou"], rtol=1e-5, atol=1e-6)
    centre = np.array(FIXTURE["convert"]["center_xywh"], "float32")
    np.testing.assert_allclose(bb.compute_ciou(centre[:20], centre[20:], "center_xywh"),
                               FIXTURE["ciou_center"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bb.compute_ciou(boxes, boxes, "xyxy"), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="image_shape"):
        bb.compute_ciou(boxes, boxes, "rel_xyxy")


@pytest.mark.parametrize("fmt", ["center_yxhw", "center_xywh"])
def test_anchor_deltas_equal_keras_and_invert(fmt):
    boxes = np.array(FIXTURE["boxes"], "float32")
    anchors, variance = boxes[20:], [0.1, 0.1, 0.2, 0.2]
    deltas = bb.encode_box_to_deltas(anchors, boxes[:20], "xyxy", "xyxy",
                                     encoding_format=fmt, variance=variance)
    np.testing.assert_allclose(deltas, FIXTURE[f"deltas_{fmt}"], rtol=1e-5, atol=1e-5)
    decoded = bb.decode_deltas_to_boxes(anchors, deltas, "xyxy", "yxyx", encoded_format=fmt,
                                        variance=variance)
    np.testing.assert_allclose(decoded, FIXTURE[f"decoded_{fmt}"], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(decoded[:, [1, 0, 3, 2]], boxes[:20], rtol=1e-5, atol=1e-4)
    levels = bb.decode_deltas_to_boxes({3: anchors}, {3: deltas}, "xyxy", "yxyx",
                                       encoded_format=fmt, variance=variance)
    np.testing.assert_array_equal(levels[3], decoded)


def test_anchor_delta_arguments_are_checked():
    boxes = np.array(FIXTURE["boxes"], "float32")[:4]
    with pytest.raises(ValueError, match="variance` must be length 4"):
        bb.encode_box_to_deltas(boxes, boxes, "xyxy", "xyxy", variance=[1, 1])
    with pytest.raises(ValueError, match="encoded_format"):
        bb.decode_deltas_to_boxes(boxes, boxes, "xyxy", "xyxy", encoded_format="xyxy")
    with pytest.raises(ValueError, match="same levels"):
        bb.decode_deltas_to_boxes({3: boxes}, {4: boxes}, "xyxy", "xyxy")
