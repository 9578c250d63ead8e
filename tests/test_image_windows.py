"""dg.image.sliding_windows: a strided view equal to slicing, without copies."""

import numpy as np
import pytest

import deepgrad as dg


@pytest.mark.parametrize("shape, size, stride", [
    ((12, 10, 3), 4, 2), ((12, 10), (5, 3), (3, 2)), ((2, 9, 9, 1), 3, 3), ((7, 7, 2), 7, 1),
])
def test_windows_equal_slices(shape, size, stride):
    image = np.random.default_rng(0).integers(0, 255, shape).astype(np.uint8)
    windows = dg.image.sliding_windows(image, size, stride)
    h, w = (size, size) if isinstance(size, int) else size
    sy, sx = (stride, stride) if isinstance(stride, int) else stride
    batch = image if image.ndim == 4 else image[None]
    rows = (batch.shape[1] - h) // sy + 1
    cols = (batch.shape[2] - w) // sx + 1
    expected = np.stack([np.stack([batch[:, i * sy:i * sy + h, j * sx:j * sx + w]
                                   for j in range(cols)], 1) for i in range(rows)], 1)
    if image.ndim < 4:
        expected = expected[0]
    assert windows.shape == expected.shape
    np.testing.assert_array_equal(windows, expected)
    assert np.shares_memory(windows, image) and not windows.flags.writeable


def test_course_scene_has_143_by_143_windows_and_no_copy():
    scene = np.zeros((1500, 1500, 3), np.float32)
    windows = dg.image.sliding_windows(scene, 80, stride=10)
    assert windows.shape == (143, 143, 80, 80, 3)
    assert windows.base is not None and np.shares_memory(windows, scene)


@pytest.mark.parametrize("kwargs, message", [
    ({"image": np.zeros(5), "size": 2}, "rank 2"),
    ({"image": np.zeros((5, 5)), "size": 0}, "size=0"),
    ({"image": np.zeros((5, 5)), "size": 2, "stride": (1, -1)}, "stride=\\(1, -1\\)"),
    ({"image": np.zeros((5, 5)), "size": (6, 2)}, "larger than the image"),
])
def test_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dg.image.sliding_windows(**kwargs)
