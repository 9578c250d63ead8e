"""load_img, img_to_array, array_to_img and save_img, against Keras's documented behaviour."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from deepgrad.utils.image_io import array_to_img, img_to_array, load_img, save_img


@pytest.fixture
def rgb():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)


def test_png_round_trip_rgb(tmp_path, rgb):
    path = tmp_path / "a.png"
    save_img(path, rgb, scale=False)
    img = load_img(path)
    assert img.mode == "RGB" and img.size == (8, 6)
    x = img_to_array(img)
    assert x.shape == (6, 8, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(x, rgb)
    np.testing.assert_array_equal(img_to_array(load_img(str(path)), dtype="uint8"), rgb)


def test_color_modes(tmp_path, rgb):
    path = tmp_path / "a.png"
    Image.fromarray(rgb).save(path)
    gray = load_img(path, color_mode="grayscale")
    assert gray.mode == "L"
    assert img_to_array(gray).shape == (6, 8, 1)
    np.testing.assert_array_equal(
        img_to_array(gray)[:, :, 0], np.asarray(Image.fromarray(rgb).convert("L"))
    )
    rgba = img_to_array(load_img(path, color_mode="rgba"))
    assert rgba.shape == (6, 8, 4) and np.all(rgba[:, :, 3] == 255)


def test_grayscale_keeps_16_bit_images(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray(np.array([[0, 1000], [40000, 65535]], np.uint16)).save(path)
    img = load_img(path, color_mode="grayscale")
    assert img.mode in ("I;16", "I")
    assert img_to_array(img)[:, :, 0].tolist() == [[0, 1000], [40000, 65535]]


def test_target_size_is_height_width_and_uses_the_interpolation(tmp_path):
    path = tmp_path / "stripes.png"
    x = np.zeros((2, 4, 1), np.uint8)
    x[:, 1::2] = 200  # columns 0, 200, 0, 200
    save_img(path, x, scale=False)
    nearest = img_to_array(load_img(path, color_mode="grayscale", target_size=(2, 2)))
    bilinear = img_to_array(
        load_img(path, color_mode="grayscale", target_size=(2, 2), interpolation="bilinear")
    )
    assert nearest.shape == (2, 2, 1)
    assert set(np.unique(nearest)) <= {0.0, 200.0}
    assert 0 < bilinear[0, 0, 0] < 200


def test_keep_aspect_ratio_crops_the_centre(tmp_path):
    x = np.zeros((4, 8, 3), np.uint8)
    x[:, 2:6] = 255  # a white centre square in a wide image
    path = tmp_path / "wide.png"
    save_img(path, x, scale=False)
    cropped = img_to_array(load_img(path, target_size=(2, 2), keep_aspect_ratio=True))
    stretched = img_to_array(load_img(path, target_size=(2, 2)))
    assert np.all(cropped == 255)
    assert not np.all(stretched == 255)


def test_load_from_a_file_object_and_bytes_path(tmp_path, rgb):
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    buffer.seek(0)
    np.testing.assert_array_equal(img_to_array(load_img(buffer)), rgb)
    path = tmp_path / "b.png"
    path.write_bytes(buffer.getvalue())
    np.testing.assert_array_equal(img_to_array(load_img(bytes(path))), rgb)


def test_load_img_errors(tmp_path, rgb):
    path = tmp_path / "a.png"
    save_img(path, rgb)
    with pytest.raises(ValueError, match="`color_mode` must be 'grayscale', 'rgb' or 'rgba'"):
        load_img(path, color_mode="cmyk")
    with pytest.raises(ValueError, match="`interpolation` must be one of 'nearest'"):
        load_img(path, target_size=(3, 3), interpolation="cubic")
    with pytest.raises(ValueError, match=r"`target_size` must be \(height, width\)"):
        load_img(path, target_size=(3, 0))
    with pytest.raises(TypeError, match="`path` must be a path or a binary file object"):
        load_img(3)
    with pytest.raises(FileNotFoundError):
        load_img(tmp_path / "absent.png")


def test_img_to_array_channels_first_and_errors():
    img = Image.new("RGB", (5, 3), (1, 2, 3))
    x = img_to_array(img, data_format="channels_first")
    assert x.shape == (3, 3, 5) and x[:, 0, 0].tolist() == [1, 2, 3]
    assert img_to_array(Image.new("L", (5, 3)), data_format="channels_first").shape == (1, 3, 5)
    assert img_to_array(img, dtype="float64").dtype == np.float64
    with pytest.raises(ValueError, match="expected an image of 2 or 3 dimensions"):
        img_to_array(np.zeros((1, 2, 3, 4)))
    with pytest.raises(
        ValueError, match="`data_format` must be 'channels_last' or 'channels_first'"
    ):
        img_to_array(img, data_format="NHWC")


def test_array_to_img_scales_min_to_0_and_max_to_255():
    x = np.array([[[-1.0], [0.0]], [[1.0], [3.0]]])
    assert np.asarray(array_to_img(x)).tolist() == [[0, 64], [128, 255]]
    assert np.asarray(array_to_img(np.full((2, 2, 1), 7.0))).tolist() == [[0, 0], [0, 0]]
    unscaled = array_to_img(np.array([[[12.4], [300.0]], [[-5.0], [254.6]]]), scale=False)
    assert unscaled.mode == "I"  # one channel above 255: a 32-bit image, as in Keras
    assert np.asarray(array_to_img(np.array([[[12.4], [-5.0]]]), scale=False)).tolist() == [[12, 0]]


def test_array_to_img_modes_and_layouts(rgb):
    assert array_to_img(rgb, scale=False).mode == "RGB"
    np.testing.assert_array_equal(
        np.asarray(array_to_img(rgb.astype(np.float32), scale=False)), rgb
    )
    assert array_to_img(np.zeros((2, 2, 4))).mode == "RGBA"
    chw = np.ascontiguousarray(rgb.transpose(2, 0, 1))
    np.testing.assert_array_equal(
        np.asarray(array_to_img(chw, data_format="channels_first", scale=False)), rgb
    )
    with pytest.raises(ValueError, match="expected an image array of rank 3"):
        array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="expected 1, 3 or 4 channels"):
        array_to_img(np.zeros((2, 2, 2)))


def test_save_img_formats(tmp_path, rgb):
    save_img(tmp_path / "a.JPG", rgb, scale=False, quality=95)
    with Image.open(tmp_path / "a.JPG") as img:
        assert img.format == "JPEG"
    buffer = io.BytesIO()
    save_img(buffer, rgb, file_format="png")
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.warns(UserWarning, match="JPEG does not support an alpha channel"):
        save_img(tmp_path / "b.jpg", np.zeros((2, 2, 4)))
    with Image.open(tmp_path / "b.jpg") as img:
        assert img.mode == "RGB"
