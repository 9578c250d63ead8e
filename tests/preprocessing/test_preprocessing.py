"""dg.preprocessing: Keras 3's keras.preprocessing names, the same functions as dg.utils."""

import numpy as np
import pytest

import deepgrad as dg


def test_the_same_functions_as_utils():
    pre = dg.preprocessing
    assert pre.sequence.pad_sequences is dg.utils.pad_sequences
    assert pre.image_dataset_from_directory is dg.utils.image_dataset_from_directory
    assert pre.text_dataset_from_directory is dg.utils.text_dataset_from_directory
    assert pre.timeseries_dataset_from_array is dg.utils.timeseries_dataset_from_array
    for name in ("load_img", "img_to_array", "array_to_img", "save_img"):
        assert getattr(pre.image, name) is getattr(dg.utils, name)
    with pytest.raises(AttributeError, match="no attribute 'text'"):
        pre.text  # noqa: B018 (Keras 3 removed keras.preprocessing.text)


def test_smart_resize_like_keras():
    x = np.arange(2 * 5 * 7 * 3, dtype="uint8").reshape(2, 5, 7, 3)
    # Keras 3.15's keras.preprocessing.image.smart_resize on the same arrays.
    out = dg.preprocessing.image.smart_resize(x, (4, 4))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, :, 0], [
        [6.0, 9.75, 13.5, 17.25],
        [32.25, 36.0, 39.75, 43.5],
        [58.5, 62.25, 66.0, 69.75],
        [84.75, 88.5, 92.25, 96.0],
    ])
    nearest = dg.preprocessing.image.smart_resize(x[0], (3, 6), interpolation="nearest")
    assert nearest.dtype == np.uint8 and nearest[:, :, 0].tolist() == [
        [21, 24, 27, 33, 36, 39], [42, 45, 48, 54, 57, 60], [63, 66, 69, 75, 78, 81]
    ]
    first = dg.preprocessing.image.smart_resize(np.moveaxis(x, -1, 1), (4, 4),
                                                data_format="channels_first")
    np.testing.assert_array_equal(np.moveaxis(first, 1, -1), out)


def test_smart_resize_errors():
    resize = dg.preprocessing.image.smart_resize
    with pytest.raises(ValueError, match="`size` must be"):
        resize(np.zeros((4, 4, 3)), (4,))
    with pytest.raises(ValueError, match=r"got an array of shape \(4, 4\)"):
        resize(np.zeros((4, 4)), (2, 2))
