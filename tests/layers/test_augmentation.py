"""Random augmentation layers: Keras's factor semantics, statistics, seeding, inference identity."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.layers import (
    GaussianNoise,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from deepgrad.tensor import Tensor

RNG = np.random.default_rng(0)
IMAGES = RNG.random((16, 12, 10, 3), dtype=np.float32) * 255

ALL_RANDOM = [
    lambda: RandomFlip(),
    lambda: RandomRotation(0.2),
    lambda: RandomTranslation(0.2, 0.3),
    lambda: RandomZoom(0.3),
    lambda: RandomZoom(0.2, (-0.1, 0.3), fill_mode="constant", fill_value=1.0),
    lambda: RandomContrast(0.5),
    lambda: RandomBrightness(0.2),
    lambda: RandomCrop(8, 6),
]


def _out(layer, x=IMAGES, **kwargs) -> np.ndarray:
    return layer(x, **kwargs).data


@pytest.mark.parametrize("make", ALL_RANDOM)
def test_identity_at_inference(make):
    layer = make()
    out = _out(layer, training=False)
    if isinstance(layer, RandomCrop):  # Keras: resize the centred aspect-ratio window
        assert out.shape == (16, 8, 6, 3)
    else:
        np.testing.assert_array_equal(out, IMAGES)


@pytest.mark.parametrize("make", ALL_RANDOM)
def test_active_in_training_and_by_default(make):
    layer = make()
    out = _out(layer, training=True)
    assert out.dtype == np.float32
    if not isinstance(layer, RandomCrop):
        assert out.shape == IMAGES.shape
        assert not np.array_equal(out, IMAGES)
    # Called without `training`, as Keras 3 does, the layer augments (augment(images)).
    assert not np.array_equal(_out(make()), _out(make()))


@pytest.mark.parametrize("make", ALL_RANDOM)
def test_global_seed_and_seed_argument_reproduce(make):
    dg.utils.set_random_seed(7)
    a = _out(make())
    dg.utils.set_random_seed(7)
    b = _out(make())
    np.testing.assert_array_equal(a, b)
    layer = make()
    config = layer.get_config()
    config.update(seed=3, name=None)
    c = _out(type(layer).from_config(config))
    d = _out(type(layer).from_config(config))
    np.testing.assert_array_equal(c, d)


@pytest.mark.parametrize("make", ALL_RANDOM)
def test_config_round_trip_and_single_image(make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config({**config, "name": layer.name + "_clone"})
    assert {k: v for k, v in clone.get_config().items() if k != "name"} == {
        k: v for k, v in config.items() if k != "name"
    }
    single = _out(layer, IMAGES[0])
    assert single.ndim == 3
    assert layer.compute_output_shape((None, 12, 10, 3))[0] is None


def test_flip_probabilities_and_modes():
    x = np.zeros((4000, 2, 2, 1), np.float32)
    x[:, 0, 0] = 1.0  # top-left marker
    out = _out(RandomFlip(seed=0), x)
    corners = [out[:, 0, 0, 0], out[:, 0, 1, 0], out[:, 1, 0, 0], out[:, 1, 1, 0]]
    for share in (c.mean() for c in corners):  # each quarter of the four outcomes
        assert 0.22 < share < 0.28
    horizontal = _out(RandomFlip("horizontal", seed=0), x)
    assert horizontal[:, 1].max() == 0 and 0.45 < horizontal[:, 0, 1, 0].mean() < 0.55
    vertical = _out(RandomFlip("vertical", seed=0), x)
    assert vertical[:, :, 1].max() == 0 and 0.45 < vertical[:, 1, 0, 0].mean() < 0.55
    flipped = out[out[:, 0, 1, 0] == 1]  # flipped left-right only: an exact mirror
    np.testing.assert_array_equal(flipped, x[: len(flipped), :, ::-1])


def test_rotation_angles_follow_the_factor():
    # A dot right of the centre of a large image: its angle after the warp is the draw.
    n, size = 2000, 41
    x = np.zeros((n, size, size, 1), np.float32)
    x[:, 20, 35] = 1.0
    out = _out(RandomRotation((-0.1, 0.05), fill_mode="constant", seed=1), x)
    ys, xs = np.indices((size, size))
    weight = out[..., 0]
    cy = (weight * ys).sum((1, 2)) / weight.sum((1, 2))
    cx = (weight * xs).sum((1, 2)) / weight.sum((1, 2))
    turns = np.arctan2(-(cy - 20), cx - 20) / (2 * np.pi)  # counter-clockwise positive
    assert turns.min() > -0.1 - 0.01 and turns.max() < 0.05 + 0.01
    assert abs(turns.mean() - (-0.025)) < 0.005
    assert turns.std() == pytest.approx(0.15 / np.sqrt(12), rel=0.1)  # uniform


def test_translation_shifts_follow_the_factors():
    n = 3000
    x = np.zeros((n, 21, 21, 1), np.float32)
    x[:, 10, 10] = 1.0
    layer = RandomTranslation((0.1, 0.2), -0.2, fill_mode="constant", seed=2)
    out = _out(layer, x)[..., 0]
    ys, xs = np.indices((21, 21))
    dy = (out * ys).sum((1, 2)) / out.sum((1, 2)) - 10
    dx = (out * xs).sum((1, 2)) / out.sum((1, 2)) - 10
    assert dy.min() >= 0.1 * 21 - 1e-4 and dy.max() <= 0.2 * 21 + 1e-4  # positive: down
    assert abs(dy.mean() - 0.15 * 21) < 0.1
    assert dx.min() >= -0.2 * 21 - 1e-4 and dx.max() <= 0.2 * 21 + 1e-4
    assert abs(dx.mean()) < 0.15


def test_zoom_positive_factor_zooms_out():
    x = np.ones((500, 20, 20, 1), np.float32)
    out_ = _out(RandomZoom((0.2, 0.5), fill_mode="constant", seed=3), x)
    in_ = _out(RandomZoom((-0.5, -0.2), fill_mode="constant", seed=3), x)
    assert (out_.mean((1, 2, 3)) < 0.9).all()  # zoomed out: constant border appears
    np.testing.assert_allclose(in_, 1.0)  # zoomed in: the image fills the frame
    # width_factor=None keeps the aspect ratio: the filled border is square.
    filled = out_[0, ..., 0] > 0.5
    assert filled.sum(0).max() == filled.sum(1).max()
    wide = _out(RandomZoom((0.0, 0.0), (0.5, 0.5), fill_mode="constant", seed=0), x[:1])
    assert wide[0, :, 0, 0].max() == 0 and wide[0, :, 10, 0].min() > 0  # only the width shrank


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_geometric_layers_match_the_kernel(fill_mode, interpolation):
    """The layer's output equals dg.image on the angles the layer drew."""
    layer = RandomRotation(0.2, fill_mode, interpolation, seed=5, fill_value=9.0)
    angles = np.random.default_rng(5).uniform(-0.2, 0.2, len(IMAGES)) * 360
    expected = dg.image.rotate(IMAGES, angles, fill_mode, interpolation, 9.0)
    np.testing.assert_allclose(_out(layer), expected, rtol=1e-5, atol=1e-3)


def test_contrast_keeps_means_and_scales_spread():
    x = np.random.default_rng(1).uniform(100, 150, (400, 8, 8, 3)).astype(np.float32)
    out = _out(RandomContrast((0.3, 0.6), seed=0), x)
    np.testing.assert_allclose(out.mean((1, 2)), x.mean((1, 2)), rtol=1e-4)
    ratio = out.std((1, 2)) / x.std((1, 2))
    assert ratio.min() > 0.7 - 1e-3 and ratio.max() < 1.6 + 1e-3
    assert np.allclose(ratio, ratio[:, :1], rtol=1e-4)  # one factor per image
    eye = np.eye(4, dtype=np.float32)[None, ..., None]
    clipped = _out(RandomContrast((0.0, 1.0), value_range=(0, 1), seed=0), eye)
    assert clipped.min() >= 0 and clipped.max() <= 1


def test_brightness_shifts_by_value_range_fraction():
    x = np.full((1000, 2, 2, 3), 0.5, np.float32)
    out = _out(RandomBrightness(0.2, value_range=(0, 1), seed=0), x)
    delta = out - 0.5
    assert np.all(delta == delta[:, :1, :1, :1])  # the same for every pixel and channel
    assert delta.min() >= -0.2 - 1e-6 and delta.max() <= 0.2 + 1e-6
    assert abs(delta.mean()) < 0.01
    big = _out(RandomBrightness((0.9, 1.0), seed=0), np.full((5, 1, 1, 1), 200.0, np.float32))
    assert big.max() == 255.0  # clipped to value_range


def test_random_crop_windows_are_per_image_and_inside():
    x = np.arange(10 * 10, dtype=np.float32).reshape(1, 10, 10, 1).repeat(300, 0)
    out = _out(RandomCrop(4, 3, seed=0), x)
    assert out.shape == (300, 4, 3, 1)
    tops, lefts = np.divmod(out[:, 0, 0, 0].astype(int), 10)
    assert set(tops) == set(range(7)) and set(lefts) == set(range(8))
    np.testing.assert_array_equal(out, x[0][tops[:, None] + np.arange(4), :][
        np.arange(300)[:, None, None], np.arange(4)[None, :, None],
        lefts[:, None, None] + np.arange(3)])
    # Smaller than the target: resized even in training, as Keras does.
    assert _out(RandomCrop(20, 20), x[:2]).shape == (2, 20, 20, 1)
    # At inference: Keras resizes the centred window of the target's aspect ratio.
    expected = dg.image.resize(x[:1], (4, 3), crop_to_aspect_ratio=True)
    np.testing.assert_allclose(_out(RandomCrop(4, 3), x[:1], training=False), expected)


def test_gaussian_noise_is_training_only():
    x = np.zeros((200, 50), np.float32)
    layer = GaussianNoise(0.5, seed=0)
    np.testing.assert_array_equal(_out(layer, x), x)
    np.testing.assert_array_equal(_out(layer, x, training=False), x)
    noisy = _out(layer, x, training=True)
    assert noisy.std() == pytest.approx(0.5, rel=0.02)
    assert abs(noisy.mean()) < 0.01


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: RandomRotation(1.5), "`factor` must be"),
        (lambda: RandomRotation((0.3, 0.1)), "lower <= upper"),
        (lambda: RandomRotation("big"), "Received: factor='big'"),
        (lambda: RandomRotation(0.1, fill_mode="mirror"), "`fill_mode` must be one of"),
        (lambda: RandomTranslation(0.1, 0.1, interpolation="cubic"), "`interpolation`"),
        (lambda: RandomTranslation(0.1, (0.1, 0.2, 0.3)), "`width_factor`"),
        (lambda: RandomZoom((-1.5, 0.2)), "`height_factor`"),
        (lambda: RandomContrast(-0.1), "`factor`"),
        (lambda: RandomContrast(1.5), "in \\[0, 1\\]"),
        (lambda: RandomBrightness(0.1, value_range=(1, 0)), "`value_range`"),
        (lambda: RandomBrightness(2.0), "`factor`"),
        (lambda: RandomFlip("diagonal"), "`mode` must be one of"),
        (lambda: RandomCrop(0, 3), "`height` must be a positive int"),
        (lambda: RandomFlip(seed=-1), "`seed`"),
        (lambda: RandomFlip(data_format="NCHW"), "`data_format` must be 'channels_last' or"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_error_names_layer_and_shape():
    with pytest.raises(ValueError, match=r"RandomRotation 'random_rotation'.*got shape \(4, 5\)"):
        RandomRotation(0.1)(np.zeros((4, 5), np.float32))


def test_trains_inside_sequential_with_fit():
    dg.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((64, 8, 8, 1), dtype=np.float32)
    y = (x[:, :4].mean((1, 2, 3)) > x[:, 4:].mean((1, 2, 3))).astype(np.int64)
    seen = []

    class Spy(dg.layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    model = dg.Sequential(
        [
            dg.Input((8, 8, 1)),
            RandomRotation(0.05),
            RandomTranslation(0.1, 0.1),
            RandomZoom(0.1),
            RandomFlip("horizontal"),
            RandomContrast(0.1, value_range=(0, 1)),
            RandomBrightness(0.1, value_range=(0, 1)),
            GaussianNoise(0.01),
            Spy(),
            dg.layers.Flatten(),
            dg.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert True in seen and False in seen  # training batches and validation
    p1, p2 = model.predict(x, verbose=0), model.predict(x, verbose=0)
    np.testing.assert_array_equal(p1, p2)  # inference is deterministic


def test_outputs_are_plain_tensors_without_graph():
    x = Tensor(IMAGES, requires_grad=False)
    out = RandomRotation(0.1)(x)
    assert isinstance(out, Tensor) and not out.requires_grad
