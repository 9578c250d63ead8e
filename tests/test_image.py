"""Tests for dg.image: single images and batches, dtypes, the course's helpers, bad input."""

from __future__ import annotations

import re

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import image as img
from deepgrad.random import set_random_seed

import torch_reference as tr

RNG = np.random.default_rng(0)
SINGLE_U8 = RNG.integers(0, 256, (6, 6, 3)).astype(np.uint8)
BATCH_F32 = RNG.random((4, 6, 6, 1)).astype(np.float32)


def test_lazily_exported_as_dg_image():
    assert dg.image.rotate is img.rotate


# ---------------------------------------------------------------------------
# Flips and quarter turns against NumPy


@pytest.mark.parametrize("x", [SINGLE_U8, BATCH_F32, RNG.random((2, 3, 5, 2))])
def test_flips_match_numpy(x):
    np.testing.assert_array_equal(img.flip_left_right(x), np.flip(x, -2))
    np.testing.assert_array_equal(img.flip_up_down(x), np.flip(x, -3))
    assert img.flip_left_right(x).dtype == x.dtype
    flipped = img.flip_left_right(x)
    flipped[...] = 0  # a copy, not a view
    assert np.any(x != 0)


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 4, 5])
def test_rot90_matches_numpy_on_non_square_images(k):
    x = RNG.random((2, 3, 5, 2))
    np.testing.assert_array_equal(img.rot90(x, k), np.rot90(x, k, axes=(1, 2)))
    np.testing.assert_array_equal(img.rot90(x[0], k), np.rot90(x[0], k, axes=(0, 1)))


# ---------------------------------------------------------------------------
# rotate, translate, zoom


@pytest.mark.parametrize("angle, k", [(90, 1), (180, 2), (270, 3), (-90, 3), (450, 1)])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_rotate_by_right_angles_equals_rot90(angle, k, interpolation):
    for x in (SINGLE_U8, BATCH_F32):
        out = img.rotate(x, angle, interpolation=interpolation)
        np.testing.assert_array_equal(out, img.rot90(x, k))
        assert out.dtype == x.dtype


def test_rotate_takes_one_angle_per_image_and_zero_is_identity():
    out = img.rotate(BATCH_F32, [0, 90, 180, 270])
    for i in range(4):
        np.testing.assert_array_equal(out[i], np.rot90(BATCH_F32[i], i))
    np.testing.assert_array_equal(img.rotate(SINGLE_U8, 0.0), SINGLE_U8)


def test_rotate_small_angle_keeps_mass_roughly_and_constant_fill_shows():
    x = np.ones((9, 9, 1), np.float32)
    out = img.rotate(x, 30, fill_mode="constant", fill_value=0.0)
    assert out[4, 4, 0] == 1.0
    assert out[0, 0, 0] < 1.0  # a corner rotated in from outside
    assert img.rotate(x, 30, fill_mode="reflect").min() == 1.0


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("reflect", [2, 1, 1, 2, 3]),
        ("wrap", [4, 5, 1, 2, 3]),
        ("nearest", [1, 1, 1, 2, 3]),
        ("constant", [0, 0, 1, 2, 3]),
    ],
)
def test_translate_row_by_two(mode, expected):
    row = np.array([1, 2, 3, 4, 5], np.uint8).reshape(1, 5, 1)
    out = img.translate(row, 2, 0, fill_mode=mode)
    assert out.dtype == np.uint8
    assert out[0, :, 0].tolist() == expected


def test_translate_half_pixel_averages_and_batches_take_one_shift_each():
    row = np.array([0.0, 2.0, 4.0, 6.0], np.float32).reshape(1, 4, 1)
    assert img.translate(row, 0.5, 0, fill_mode="nearest")[0, :, 0].tolist() == [0, 1, 3, 5]
    rows = np.stack([row, row])
    out = img.translate(rows, [1, -1], [0, 0], fill_mode="constant")
    assert out[0, 0, :, 0].tolist() == [0, 0, 2, 4]
    assert out[1, 0, :, 0].tolist() == [2, 4, 6, 0]


def test_translate_down_moves_rows_down():
    x = np.zeros((4, 3, 1), np.float32)
    x[0] = 1.0
    out = img.translate(x, 0, 2, fill_mode="constant")
    assert out[:, 0, 0].tolist() == [0, 0, 1, 0]


def test_zoom_magnifies_about_the_centre():
    x = np.arange(25, dtype=np.float32).reshape(5, 5, 1)
    np.testing.assert_array_equal(img.zoom(x, 1.0), x)
    zoomed = img.zoom(x, 2.0, interpolation="nearest")
    assert zoomed[2, 2, 0] == x[2, 2, 0]
    # Output pixels 1, 2, 3 read input 1.5, 2, 2.5, which nearest rounds half up to 2, 2, 3.
    np.testing.assert_array_equal(zoomed[1:4, 1:4, 0], [[12, 12, 13], [12, 12, 13], [17, 17, 18]])
    shrunk = img.zoom(x, 0.5, fill_mode="constant")
    assert shrunk[0, 0, 0] == 0 and shrunk[2, 2, 0] == 12
    out = img.zoom(np.stack([x, x]), [1.0, 2.0])
    np.testing.assert_array_equal(out[0], x)


# ---------------------------------------------------------------------------
# resize


@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("size", [(5, 7), (26, 40), (20, 9), (1, 1)])
def test_resize_matches_torch_bilinear_half_pixel(size, antialias):
    F = tr.import_torch().nn.functional
    x = np.random.default_rng(1).random((2, 13, 17, 3)).astype(np.float32)
    tr.compare(lambda a: img.resize(a, size, antialias=antialias),
               lambda t: tr.channels_last(F.interpolate(
                   tr.channels_first(t), size=size, mode="bilinear", align_corners=False,
                   antialias=antialias)),
               [x], atol=2e-6, rtol=0, backward=False)
    tr.compare(lambda a: img.resize(a, size, "nearest"),
               lambda t: tr.channels_last(F.interpolate(tr.channels_first(t), size=size,
                                                        mode="nearest-exact")),
               [x], atol=0, rtol=0, backward=False)


def test_resize_single_image_and_dtype():
    out = img.resize(SINGLE_U8, (12, 3))
    assert out.shape == (12, 3, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(img.resize(SINGLE_U8, (6, 6)), SINGLE_U8)
    up = img.resize(np.array([[[0.0], [1.0]]], np.float32), (1, 4))
    assert up.dtype == np.float32
    assert up[0, :, 0].tolist() == [0.0, 0.25, 0.75, 1.0]


# ---------------------------------------------------------------------------
# Crops and pads


def test_crop_pad_and_central_crop():
    x = RNG.random((2, 8, 10, 3))
    np.testing.assert_array_equal(img.crop_to_bounding_box(x, 1, 2, 5, 4), x[:, 1:6, 2:6])
    np.testing.assert_array_equal(img.crop_to_bounding_box(x[0], 0, 0, 8, 10), x[0])
    padded = img.pad_to_bounding_box(x, 2, 3, 12, 14)
    assert padded.shape == (2, 12, 14, 3)
    np.testing.assert_array_equal(img.crop_to_bounding_box(padded, 2, 3, 8, 10), x)
    assert padded.sum() == pytest.approx(x.sum())
    np.testing.assert_array_equal(img.central_crop(x, 0.5), x[:, 2:6, 2:8])
    np.testing.assert_array_equal(img.central_crop(x[0], 1.0), x[0])


# ---------------------------------------------------------------------------
# Brightness and contrast


def test_adjust_brightness_keeps_dtype_and_clips_integers():
    x = np.array([[[0.2], [0.9]]], np.float32)
    out = img.adjust_brightness(x, np.float64(0.2))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[..., 0], [[0.4, 1.1]], rtol=1e-6)  # floats are not clipped
    u8 = np.array([[[0], [100], [250]]], np.uint8)
    assert img.adjust_brightness(u8, 0.1)[..., 0].tolist() == [[26, 126, 255]]
    assert img.adjust_brightness(u8, -0.5)[..., 0].tolist() == [[0, 0, 123]]  # 122.5 rounds half up


def test_adjust_contrast_per_image_and_channel():
    x = np.array([[[0.4, 0.0], [0.6, 1.0]]], np.float32)  # one row, two pixels, two channels
    out = img.adjust_contrast(x, 2.0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[[0.3, -0.5], [0.7, 1.5]]], rtol=1e-6)
    u8 = np.array([[[100], [200]]], np.uint8)
    assert img.adjust_contrast(u8, 3.0)[..., 0].tolist() == [[0, 255]]
    assert img.adjust_contrast(u8, 0.0)[..., 0].tolist() == [[150, 150]]
    batch = np.stack([u8, u8 // 2])
    assert img.adjust_contrast(batch, 0.0)[:, 0, :, 0].tolist() == [[150, 150], [75, 75]]


# ---------------------------------------------------------------------------
# Inversion and noise


def test_invert_round_trips():
    np.testing.assert_array_equal(img.invert(img.invert(SINGLE_U8)), SINGLE_U8)
    assert img.invert(np.array([[[0], [255]]], np.uint8))[..., 0].tolist() == [[255, 0]]
    np.testing.assert_allclose(img.invert(img.invert(BATCH_F32)), BATCH_F32, atol=1e-7)
    assert img.invert(BATCH_F32).dtype == np.float32
    np.testing.assert_allclose(img.invert(BATCH_F32), 1.0 - BATCH_F32)
    scaled = BATCH_F32 * 255
    np.testing.assert_allclose(img.invert(scaled, max_value=255.0), 255.0 - scaled)
    assert img.invert(np.array([[[3]]], np.int16), max_value=10).tolist() == [[[7]]]


@pytest.mark.parametrize("amount", [0.0, 0.1, 0.25, 1.0])
def test_salt_and_pepper_hits_the_requested_fraction(amount):
    x = np.full((3, 20, 10, 3), 0.5, np.float32)
    out = img.random_salt_and_pepper(x, amount, seed=3)
    changed = np.any(out != 0.5, axis=-1)  # per pixel
    assert changed.sum(axis=(1, 2)).tolist() == [round(amount * 200)] * 3
    salt = np.all(out == 1.0, axis=-1).sum()
    pepper = np.all(out == 0.0, axis=-1).sum()
    assert salt + pepper == changed.sum()  # all channels of a pixel change together
    assert salt == 3 * round(round(amount * 200) * 0.5)
    assert out.dtype == np.float32


def test_salt_and_pepper_is_reproducible_and_uses_the_global_seed():
    a = img.random_salt_and_pepper(SINGLE_U8, 0.3, seed=11)
    b = img.salt_and_pepper_noise(SINGLE_U8, 0.3, seed=11)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, img.random_salt_and_pepper(SINGLE_U8, 0.3, seed=12))
    set_random_seed(5)
    c = img.random_salt_and_pepper(BATCH_F32, 0.3)
    set_random_seed(5)
    np.testing.assert_array_equal(c, img.random_salt_and_pepper(BATCH_F32, 0.3))
    only_salt = img.random_salt_and_pepper(SINGLE_U8, 1.0, salt_vs_pepper=1.0)
    assert np.all(only_salt == 255)


def test_gaussian_noise():
    x = np.full((50, 40, 1), 0.5, np.float32)
    a = img.gaussian_noise(x, 0.1, seed=0)
    np.testing.assert_array_equal(a, img.gaussian_noise(x, 0.1, seed=0))
    assert a.dtype == np.float32
    assert abs(float(a.mean()) - 0.5) < 0.01 and abs(float(a.std()) - 0.1) < 0.01
    u8 = np.full((50, 40, 1), 250, np.uint8)
    noisy = img.gaussian_noise(u8, 20.0, seed=1)
    assert noisy.dtype == np.uint8 and noisy.max() == 255 and noisy.min() < 250
    np.testing.assert_array_equal(img.gaussian_noise(u8, 0.0), u8)


# ---------------------------------------------------------------------------
# dtype preservation across the module


CALLS = {
    "flip_left_right": lambda x: img.flip_left_right(x),
    "flip_up_down": lambda x: img.flip_up_down(x),
    "rot90": lambda x: img.rot90(x),
    "rotate": lambda x: img.rotate(x, 17),
    "translate": lambda x: img.translate(x, 1.5, -2),
    "zoom": lambda x: img.zoom(x, 1.3),
    "resize": lambda x: img.resize(x, (9, 4)),
    "crop_to_bounding_box": lambda x: img.crop_to_bounding_box(x, 1, 1, 3, 3),
    "pad_to_bounding_box": lambda x: img.pad_to_bounding_box(x, 1, 1, 8, 8),
    "central_crop": lambda x: img.central_crop(x, 0.5),
    "adjust_brightness": lambda x: img.adjust_brightness(x, 0.1),
    "adjust_contrast": lambda x: img.adjust_contrast(x, 1.5),
    "invert": lambda x: img.invert(x),
    "random_salt_and_pepper": lambda x: img.random_salt_and_pepper(x, 0.1, seed=0),
    "gaussian_noise": lambda x: img.gaussian_noise(x, 0.1, seed=0),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_every_function_keeps_dtype_and_rank(name, dtype):
    single = (RNG.random((6, 6, 3)) * (255 if dtype == np.uint8 else 1)).astype(dtype)
    batch = np.stack([single, single])
    out_single, out_batch = CALLS[name](single), CALLS[name](batch)
    assert out_single.dtype == dtype and out_batch.dtype == dtype
    assert out_single.ndim == 3 and out_batch.ndim == 4
    if name != "random_salt_and_pepper" and name != "gaussian_noise":
        np.testing.assert_array_equal(out_batch[1], out_single)


# ---------------------------------------------------------------------------
# Bad input


def test_wrong_rank_says_what_to_do():
    with pytest.raises(ValueError, match=re.escape("rotate: `image` must have rank 3")) as info:
        img.rotate(np.zeros((28, 28)), 10)
    assert "image[..., None]" in str(info.value)
    for name, call in CALLS.items():
        with pytest.raises(ValueError, match=f"^{name}: `images?` must have rank 3"):
            call(np.zeros((2, 2, 2, 2, 2)))


def test_unknown_fill_mode_lists_valid_ones():
    message = (
        "rotate: `fill_mode` must be one of 'reflect', 'wrap', 'constant', 'nearest'. "
        "Received: fill_mode='mirror'"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        img.rotate(SINGLE_U8, 10, fill_mode="mirror")
    with pytest.raises(ValueError, match=re.escape("translate: `interpolation` must be one of")):
        img.translate(SINGLE_U8, 1, 1, interpolation="cubic")


def test_other_bad_values():
    with pytest.raises(ValueError, match=re.escape("resize: `size` must be a tuple of 2 positive")):
        img.resize(SINGLE_U8, (-4, 4))
    with pytest.raises(ValueError, match=re.escape("`angle` must be a number or hold one value")):
        img.rotate(BATCH_F32, [10, 20])
    with pytest.raises(ValueError, match="`factor` must be positive"):
        img.zoom(SINGLE_U8, 0.0)
    with pytest.raises(ValueError, match="does not fit in the 6x6 image"):
        img.crop_to_bounding_box(SINGLE_U8, 4, 0, 3, 3)
    with pytest.raises(ValueError, match="`target_height` must be >= 1"):
        img.crop_to_bounding_box(SINGLE_U8, 0, 0, 0, 3)
    with pytest.raises(ValueError, match="does not fit on the canvas"):
        img.pad_to_bounding_box(SINGLE_U8, 1, 0, 6, 6)
    with pytest.raises(TypeError, match="`offset_width` must be an int"):
        img.pad_to_bounding_box(SINGLE_U8, 0, 1.5, 8, 8)
    with pytest.raises(ValueError, match=re.escape("`central_fraction` must be in (0, 1]")):
        img.central_crop(SINGLE_U8, 1.5)
    with pytest.raises(ValueError, match=re.escape("`amount` must be in [0, 1]")):
        img.random_salt_and_pepper(SINGLE_U8, -0.1)
    with pytest.raises(ValueError, match=re.escape("`max_value` must lie in 0..255")):
        img.invert(SINGLE_U8, max_value=300)
    with pytest.raises(ValueError, match="`stddev` must be >= 0"):
        img.gaussian_noise(SINGLE_U8, -1.0)
    with pytest.raises(TypeError, match="`k` must be an int"):
        img.rot90(SINGLE_U8, 1.0)
    with pytest.raises(TypeError, match="integer or float dtype"):
        img.invert(np.zeros((2, 2, 1), bool))
