"""Tests for deepgrad.kernels.affine: the batched projective warp, its transforms, resize."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

from deepgrad.kernels import affine as affine_module
from deepgrad.kernels.affine import (
    FILL_MODES,
    affine_transform,
    compose,
    rotation_transform,
    translation_transform,
    zoom_transform,
)
from deepgrad.kernels.image_common import INTERPOLATIONS
from deepgrad.kernels.resize import resize_images

# ---------------------------------------------------------------------------
# An independent reference: Python loops over pixels, the extended image written
# out index by index from the fill-mode definitions Keras documents.


def _extend(i: int, n: int, mode: str) -> int | None:
    """The source index of position ``i`` of a length-``n`` axis extended by ``mode``."""
    if 0 <= i < n:
        return i
    if mode == "constant":
        return None
    if mode == "nearest":
        return min(max(i, 0), n - 1)
    if mode == "wrap":
        return i % n
    m = i % (2 * n)  # reflect: d c b a | a b c d | d c b a
    return m if m < n else 2 * n - 1 - m


def reference_warp(images, transforms, mode, interpolation, fill_value=0.0, output_shape=None):
    images = np.asarray(images, dtype=np.float64)
    n, h, w, c = images.shape
    oh, ow = output_shape or (h, w)
    transforms = np.broadcast_to(np.asarray(transforms, np.float64).reshape(-1, 8), (n, 8))
    out = np.zeros((n, oh, ow, c))

    def pixel(b, row, col):
        r, q = _extend(row, h, mode), _extend(col, w, mode)
        if r is None or q is None:
            return np.full(c, fill_value)
        return images[b, r, q]

    for b in range(n):
        a0, a1, a2, b0, b1, b2, c0, c1 = transforms[b]
        for yo in range(oh):
            for xo in range(ow):
                k = c0 * xo + c1 * yo + 1.0
                x = (a0 * xo + a1 * yo + a2) / k
                y = (b0 * xo + b1 * yo + b2) / k
                if interpolation == "nearest":
                    out[b, yo, xo] = pixel(b, int(np.floor(y + 0.5)), int(np.floor(x + 0.5)))
                    continue
                x0, y0 = int(np.floor(x)), int(np.floor(y))
                fx, fy = x - x0, y - y0
                top = (1 - fx) * pixel(b, y0, x0) + fx * pixel(b, y0, x0 + 1)
                bottom = (1 - fx) * pixel(b, y0 + 1, x0) + fx * pixel(b, y0 + 1, x0 + 1)
                out[b, yo, xo] = (1 - fy) * top + fy * bottom
    return out


def random_transforms(rng, n, h, w, projective=False):
    t = compose(
        rotation_transform(rng.uniform(-np.pi, np.pi, n), h, w),
        translation_transform(rng.uniform(-2 * w, 2 * w, n), rng.uniform(-2 * h, 2 * h, n)),
        zoom_transform(rng.uniform(0.3, 2.5, n), rng.uniform(0.3, 2.5, n), h, w),
    )
    if projective:
        t[:, 6:] = rng.uniform(-0.03, 0.03, (n, 2))
    return t


# ---------------------------------------------------------------------------
# Exact cases


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8, np.int16, np.float16])
@pytest.mark.parametrize("mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("channels", [1, 3])
def test_identity_returns_input_exactly(dtype, mode, interpolation, channels):
    rng = np.random.default_rng(0)
    images = (rng.random((3, 6, 7, channels)) * 100).astype(dtype)
    identity = [1, 0, 0, 0, 1, 0, 0, 0]
    out = affine_transform(images, identity, mode, interpolation)
    assert out.dtype == images.dtype
    np.testing.assert_array_equal(out, images)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("k", [1, 2, 3, -1])
def test_quarter_turns_equal_np_rot90(interpolation, k):
    images = np.random.default_rng(1).random((2, 5, 5, 3)).astype(np.float32)
    out = affine_transform(
        images, rotation_transform(k * np.pi / 2, 5, 5), "constant", interpolation
    )
    np.testing.assert_array_equal(out, np.rot90(images, k, axes=(1, 2)))


def test_each_image_gets_its_own_transform():
    images = np.random.default_rng(2).random((4, 6, 6, 1))
    turns = np.array([0, 1, 2, 3])
    out = affine_transform(images, rotation_transform(turns * np.pi / 2, 6, 6))
    for i, k in enumerate(turns):
        np.testing.assert_array_equal(out[i], np.rot90(images[i], k))


ROW = np.array([1.0, 2.0, 3.0, 4.0, 5.0]).reshape(1, 1, 5, 1)


@pytest.mark.parametrize(
    "mode, dx, expected",
    [
        # Shift right by 2: output x reads input x - 2.
        ("reflect", 2, [2, 1, 1, 2, 3]),  # ... b a | a b c d e
        ("wrap", 2, [4, 5, 1, 2, 3]),  # ... d e | a b c d e
        ("nearest", 2, [1, 1, 1, 2, 3]),  # ... a a | a b c d e
        ("constant", 2, [9, 9, 1, 2, 3]),  # fill_value = 9
        # Shift left by 2: output x reads input x + 2.
        ("reflect", -2, [3, 4, 5, 5, 4]),
        ("wrap", -2, [3, 4, 5, 1, 2]),
        ("nearest", -2, [3, 4, 5, 5, 5]),
        ("constant", -2, [3, 4, 5, 9, 9]),
        # Far outside: reflect has period 10, wrap period 5.
        ("reflect", 12, [2, 1, 1, 2, 3]),
        ("wrap", 7, [4, 5, 1, 2, 3]),
        ("nearest", 40, [1, 1, 1, 1, 1]),
        ("constant", 40, [9, 9, 9, 9, 9]),
    ],
)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_fill_modes_on_a_row(mode, dx, expected, interpolation):
    out = affine_transform(ROW, translation_transform(dx, 0), mode, interpolation, fill_value=9.0)
    assert out[0, 0, :, 0].tolist() == expected


def test_bilinear_half_pixel_shift_averages_neighbours():
    out = affine_transform(ROW, translation_transform(0.5, 0), "nearest")
    assert out[0, 0, :, 0].tolist() == [1.0, 1.5, 2.5, 3.5, 4.5]
    column = ROW.reshape(1, 5, 1, 1)
    out = affine_transform(column, translation_transform(0, -0.5), "nearest")
    assert out[0, :, 0, 0].tolist() == [1.5, 2.5, 3.5, 4.5, 5.0]


def test_bilinear_blends_fill_value_at_the_edge_in_constant_mode():
    out = affine_transform(ROW, translation_transform(0.25, 0), "constant", fill_value=9.0)
    assert out[0, 0, :2, 0].tolist() == pytest.approx([0.25 * 9 + 0.75 * 1, 0.25 * 1 + 0.75 * 2])


def test_nearest_rounds_half_up_like_scipy():
    # Output x reads input x - 0.5, and floor(x - 0.5 + 0.5) = x.
    out = affine_transform(ROW, translation_transform(0.5, 0), "nearest", "nearest")
    assert out[0, 0, :, 0].tolist() == [1, 2, 3, 4, 5]
    out = affine_transform(ROW, translation_transform(0.51, 0), "nearest", "nearest")
    assert out[0, 0, :, 0].tolist() == [1, 1, 2, 3, 4]


# ---------------------------------------------------------------------------
# Against the references


@pytest.mark.parametrize("mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("projective", [False, True])
def test_matches_loop_reference(mode, interpolation, projective):
    rng = np.random.default_rng(3)
    images = rng.random((3, 5, 6, 2))
    t = random_transforms(rng, 3, 5, 6, projective)
    out = affine_transform(images, t, mode, interpolation, fill_value=0.7, output_shape=(4, 7))
    expected = reference_warp(images, t, mode, interpolation, 0.7, (4, 7))
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


_SCIPY_PAD = {"nearest": "edge", "reflect": "symmetric", "wrap": "wrap", "constant": "constant"}


def keras_numpy_backend(images, transforms, mode, interpolation, fill_value):
    """What Keras 3's NumPy backend computes: pad by the fill mode, then SciPy's map_coordinates."""
    ndimage = pytest.importorskip(
        "scipy.ndimage", reason="SciPy (scikit-learn's dependency) is the reference")
    n, h, w, c = images.shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.empty(images.shape)
    for b in range(n):
        a0, a1, a2, b0, b1, b2 = transforms[b, :6]
        xi, yi = a0 * x + a1 * y + a2, b0 * x + b1 * y + b2
        pad_y = (max(int(-np.floor(yi.min())) + 1, 0), max(int(np.ceil(yi.max())) + 1 - h, 0))
        pad_x = (max(int(-np.floor(xi.min())) + 1, 0), max(int(np.ceil(xi.max())) + 1 - w, 0))
        extra = {"constant_values": fill_value} if mode == "constant" else {}
        for ch in range(c):
            padded = np.pad(images[b, :, :, ch], (pad_y, pad_x), _SCIPY_PAD[mode], **extra)
            coordinates = [yi + pad_y[0], xi + pad_x[0]]
            order = {"nearest": 0, "bilinear": 1}[interpolation]
            out[b, :, :, ch] = ndimage.map_coordinates(
                padded, coordinates, order=order, mode="nearest"
            )
    return out


@pytest.mark.parametrize("mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("dtype, atol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_matches_keras_numpy_backend(mode, interpolation, dtype, atol):
    rng = np.random.default_rng(4)
    images = rng.random((5, 9, 11, 3)).astype(dtype)
    t = random_transforms(rng, 5, 9, 11)
    out = affine_transform(images, t, mode, interpolation, fill_value=0.3)
    expected = keras_numpy_backend(images.astype(np.float64), t, mode, interpolation, 0.3)
    np.testing.assert_allclose(out, expected, rtol=0, atol=atol)


def test_batches_larger_than_a_block_match_image_by_image():
    rng = np.random.default_rng(5)
    images = rng.random((200, 28, 28, 1)).astype(np.float32)  # several blocks
    t = random_transforms(rng, 200, 28, 28)
    out = affine_transform(images, t)
    for i in (0, 82, 83, 84, 199):
        np.testing.assert_array_equal(out[i], affine_transform(images[i : i + 1], t[i])[0])


def test_large_images_skip_the_workspace(monkeypatch):
    rng = np.random.default_rng(6)
    images = rng.random((2, 9, 9, 3)).astype(np.float32)
    t = random_transforms(rng, 2, 9, 9)
    expected = affine_transform(images, t)
    monkeypatch.setattr(affine_module, "_WORKSPACE_BYTES", 16)
    np.testing.assert_array_equal(affine_transform(images, t), expected)


def test_threads_do_not_share_scratch_buffers():
    rng = np.random.default_rng(7)
    inputs = [rng.random((30, 16, 16, c)).astype(np.float32) for c in (1, 3, 1, 3)]
    t = random_transforms(rng, 30, 16, 16)
    expected = [affine_transform(x, t) for x in inputs]
    results = [None] * len(inputs)

    def work(i):
        for _ in range(20):
            results[i] = affine_transform(inputs[i], t)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for got, want in zip(results, expected, strict=True):
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------------------
# Dtypes, shapes, degenerate transforms


def test_integer_results_round_half_up_and_saturate():
    images = np.array([0, 3, 255, 255], np.uint8).reshape(1, 1, 4, 1)
    out = affine_transform(images, translation_transform(-0.5, 0), "nearest")
    assert out.dtype == np.uint8
    assert out[0, 0, :, 0].tolist() == [2, 129, 255, 255]  # 1.5 -> 2, 129 exactly
    signed = np.array([-3, 0], np.int16).reshape(1, 1, 2, 1)
    out = affine_transform(signed, translation_transform(-0.5, 0), "nearest")
    assert out.dtype == np.int16 and out[0, 0, :, 0].tolist() == [-1, 0]  # -1.5 -> -1


def test_float32_stays_float32_and_float16_comes_back_float16():
    t = rotation_transform(0.3, 4, 4)
    for dtype in (np.float32, np.float16, np.float64):
        out = affine_transform(np.ones((1, 4, 4, 2), dtype), t)
        assert out.dtype == dtype
        np.testing.assert_allclose(out, 1.0)


def test_output_shape_and_zoom_centre():
    images = np.arange(25.0).reshape(1, 5, 5, 1)
    out = affine_transform(images, zoom_transform(0.5, 0.5, 5, 5), output_shape=(5, 5))
    assert out[0, 2, 2, 0] == images[0, 2, 2, 0]  # the centre stays put
    crop = affine_transform(images, translation_transform(-1, -2), output_shape=(2, 3))
    np.testing.assert_array_equal(crop[0, :, :, 0], images[0, 2:4, 1:4, 0])


def test_degenerate_projective_and_huge_coordinates_stay_finite():
    images = np.random.default_rng(8).random((2, 6, 6, 1))
    # k = 0 along the line x = 2 of the output.
    singular = [[1, 0, 0, 0, 1, 0, -0.5, 0], [1, 0, 1e12, 0, 1, -1e12, 0, 0]]
    for mode in FILL_MODES:
        out = affine_transform(images, singular, mode)
        assert np.all(np.isfinite(out))
        assert out.min() >= min(images.min(), 0.0) and out.max() <= images.max()


def test_empty_batches():
    out = affine_transform(np.zeros((0, 4, 4, 3), np.float32), np.zeros((0, 8)))
    assert out.shape == (0, 4, 4, 3) and out.dtype == np.float32


# ---------------------------------------------------------------------------
# Transform builders


def test_compose_applies_the_first_transform_first():
    images = np.random.default_rng(9).random((1, 6, 6, 1))
    rotate = rotation_transform(np.pi / 2, 6, 6)
    shift = translation_transform(2, 1)
    one_call = affine_transform(images, compose(rotate, shift), "wrap", "nearest")
    two_calls = affine_transform(
        affine_transform(images, rotate, "wrap", "nearest"), shift, "wrap", "nearest"
    )
    np.testing.assert_array_equal(one_call, two_calls)


def test_compose_adds_angles_and_shifts_and_broadcasts_batches():
    np.testing.assert_allclose(
        compose(rotation_transform(0.3, 7, 9), rotation_transform(0.5, 7, 9)),
        rotation_transform(0.8, 7, 9),
        atol=1e-12,
    )
    batch = compose(translation_transform([1, 2, 3], 0), translation_transform(1, 1))
    assert batch.shape == (3, 8)
    np.testing.assert_array_equal(batch[:, 2], [-2, -3, -4])
    np.testing.assert_array_equal(batch[:, 5], [-1, -1, -1])


def test_rotation_fixes_the_centre_and_turns_counter_clockwise():
    a0, a1, a2, b0, b1, b2, _, _ = rotation_transform(0.7, 5, 9)
    assert a0 * 4 + a1 * 2 + a2 == pytest.approx(4)  # centre (x, y) = (4, 2)
    assert b0 * 4 + b1 * 2 + b2 == pytest.approx(2)
    # A quarter turn: the output pixel above the centre reads the input pixel to its right.
    a0, a1, a2, b0, b1, b2, _, _ = rotation_transform(np.pi / 2, 5, 5)
    assert (a0 * 2 + a1 * 0 + a2, b0 * 2 + b1 * 0 + b2) == (4, 2)


def test_builders_match_keras_layer_matrices():
    # Keras RandomTranslation: [1, 0, -dx, 0, 1, -dy, 0, 0];
    # RandomZoom: [zx, 0, (w - 1) / 2 * (1 - zx), 0, zy, (h - 1) / 2 * (1 - zy), 0, 0].
    assert translation_transform(3, -2).tolist() == [1, 0, -3, 0, 1, 2, 0, 0]
    assert zoom_transform(1.5, 0.5, 5, 9).tolist() == [1.5, 0, -2.0, 0, 0.5, 1.0, 0, 0]


# ---------------------------------------------------------------------------
# resize_images (compared with PyTorch in tests/test_image.py)


def test_resize_nearest_picks_half_pixel_centres_and_keeps_dtype():
    x = np.arange(6, dtype=np.uint8).reshape(1, 1, 6, 1)
    # Output pixel i reads floor((i + 0.5) * in / out).
    assert resize_images(x, (1, 3), "nearest")[0, 0, :, 0].tolist() == [1, 3, 5]
    assert resize_images(x, (1, 4), "nearest")[0, 0, :, 0].tolist() == [0, 2, 3, 5]
    assert resize_images(x, (2, 6), "bilinear").dtype == np.uint8


def test_resize_bilinear_clamps_at_edges_and_antialias_averages():
    x = np.array([0.0, 1.0, 2.0, 3.0]).reshape(1, 1, 4, 1)
    assert resize_images(x, (1, 8))[0, 0, :, 0].tolist() == pytest.approx(
        [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3]
    )
    y = np.array([0.0, 0.0, 0.0, 9.0, 0.0, 0.0]).reshape(1, 1, 6, 1)
    plain = resize_images(y, (1, 2))[0, 0, :, 0]
    smooth = resize_images(y, (1, 2), antialias=True)[0, 0, :, 0]
    assert plain.tolist() == [0.0, 0.0]  # samples at 1 and 4 miss the spike at 3
    assert smooth.sum() > 0


# ---------------------------------------------------------------------------
# Bad input


def test_bad_input_raises_clear_errors():
    images = np.zeros((1, 4, 4, 1), np.float32)
    with pytest.raises(ValueError, match=re.escape("must have rank 4 (batch, height, width")):
        affine_transform(images[0], np.eye(3).ravel()[:8])
    message = (
        "affine_transform: `fill_mode` must be one of 'reflect', 'wrap', 'constant', "
        "'nearest'. Received: fill_mode='mirror'"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        affine_transform(images, [1, 0, 0, 0, 1, 0, 0, 0], fill_mode="mirror")
    with pytest.raises(ValueError, match="`interpolation` must be one of 'bilinear', 'nearest'"):
        affine_transform(images, [1, 0, 0, 0, 1, 0, 0, 0], interpolation="bicubic")
    with pytest.raises(ValueError, match=re.escape("shape (8,) or (batch, 8)")):
        affine_transform(images, [1, 0, 0, 0, 1, 0])
    with pytest.raises(ValueError, match="must hold 1 or 1 transforms"):
        affine_transform(images, np.zeros((2, 8)))
    with pytest.raises(ValueError, match=re.escape("Received: output_shape=(-1, 4)")):
        affine_transform(images, [1, 0, 0, 0, 1, 0, 0, 0], output_shape=(-1, 4))
    with pytest.raises(TypeError, match="integer or float dtype"):
        affine_transform(images.astype(bool), [1, 0, 0, 0, 1, 0, 0, 0])
    with pytest.raises(ValueError, match=re.escape("Received: size=(0, 3)")):
        resize_images(images, (0, 3))
    with pytest.raises(ValueError, match="at least one transform"):
        compose()
