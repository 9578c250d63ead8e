"""The colour and tone augmentation layers: Keras parity on fixed draws, the draws
themselves, training switch, errors."""

import json
import pathlib

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.layers.data_format import to_channels_first, to_channels_last

L = dg.layers
FIXTURE = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "keras_augment_parity.npz")
CASES = json.loads(str(FIXTURE["cases"]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_equal_to_keras_on_the_same_draws(name):
    case = CASES[name]
    layer = getattr(L, case["layer"])(**case["config"])
    images = FIXTURE[f"array/{case['images']}"]
    params = FIXTURE[f"{name}/params"] if f"{name}/params" in FIXTURE else None
    first = case["config"].get("data_format") == "channels_first"
    batch = to_channels_last(images) if first else images
    out = layer.transform(np.ascontiguousarray(batch), params)
    if first:
        out = to_channels_first(out)
    expected = FIXTURE[f"{name}/output"]
    assert out.dtype == np.float32 and out.shape == expected.shape
    # Keras's float32 HSV round trip differs from NumPy's in the last bits.
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=2e-4 * (255 if "255" in
                                                                     case["images"] else 1))


def test_fixture_was_written_by_keras_3():
    assert str(FIXTURE["keras_version"]).startswith("3.")


RANDOM_LAYERS = [
    lambda: L.RandomGrayscale(0.5, seed=1),
    lambda: L.RandomInvert(seed=1),
    lambda: L.Solarization(0.2, 0.5, seed=1),
    lambda: L.RandomPosterization(4, seed=1),
    lambda: L.RandomColorDegeneration(0.5, seed=1),
    lambda: L.RandomSaturation(0.5, seed=1),
    lambda: L.RandomHue(0.5, seed=1),
    lambda: L.RandomSharpness(0.5, seed=1),
    lambda: L.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.3,
                                saturation_factor=0.4, hue_factor=0.1, seed=1),
    lambda: L.Equalization(),
]


@pytest.mark.parametrize("make", RANDOM_LAYERS, ids=lambda m: type(m()).__name__)
def test_training_switch_single_image_and_seed(make):
    images = np.random.default_rng(0).uniform(0, 255, (6, 5, 4, 3)).astype("float32")
    assert make()(images, training=False).data is images or np.array_equal(
        make()(images, training=False).data, images)
    out = make()(images).data
    assert out.shape == images.shape and out.dtype == np.float32
    assert not np.array_equal(out, images)
    np.testing.assert_array_equal(make()(images).data, out)  # same seed, same draws
    assert make()(images[0]).data.shape == images[0].shape


def test_draws_follow_keras_ranges():
    rng = np.random.default_rng(0)
    n = 4000
    assert 0.45 < L.RandomGrayscale(0.5).transformation(n, rng).mean() < 0.55
    # factor=1.0: probability ~ U(0, 1), inverted when U(0, 1) falls below it: 1/2.
    assert 0.45 < L.RandomInvert().transformation(n, rng).mean() < 0.55
    assert L.RandomInvert((1, 1)).transformation(n, rng).all()
    bits = 8 - L.RandomPosterization((2, 5)).transformation(n, rng)
    assert set(np.unique(bits)) == {2, 3, 4}
    assert (L.RandomPosterization((3, 3)).transformation(5, rng) == 5).all()
    assert L.RandomSaturation(0.2).factor == (-0.2, 0.2)  # Keras's code, not its docs
    assert L.RandomColorDegeneration(0.3).factor == (-0.3, 0.3)
    assert L.RandomHue(0.3).factor == (0.0, 0.3)
    hue = L.RandomHue((0.2, 0.4)).transformation(n, rng)
    assert (np.abs(hue) >= 0.1).all() and (np.abs(hue) <= 0.2).all() and (hue < 0).any()
    solar = L.Solarization((0.1, 0.2), (0.3, 0.4)).transformation(n, rng)
    assert solar[:, 0].min() >= 0.1 and solar[:, 0].max() <= 51
    assert solar[:, 1].min() >= 0.3 and solar[:, 1].max() <= 102


def test_auto_contrast_acts_at_inference_as_keras():
    x = np.array([[[[50.0], [100.0]]]], "float32")
    assert L.AutoContrast()(x, training=False).data.ravel().tolist() == [0.0, 255.0]


def test_channels_first_matches_channels_last():
    images = np.random.default_rng(1).uniform(0, 255, (3, 4, 5, 3)).astype("float32")
    for make in (lambda f: L.RandomHue((0.3, 0.3), seed=2, data_format=f),
                 lambda f: L.RandomSharpness((0.8, 0.8), data_format=f),
                 lambda f: L.Equalization(bins=32, data_format=f)):
        last = make("channels_last")(images).data
        first = make("channels_first")(to_channels_first(images)).data
        np.testing.assert_allclose(to_channels_last(first), last, rtol=1e-6)


def test_color_jitter_runs_its_steps_in_keras_order():
    jitter = L.RandomColorJitter((0, 1), brightness_factor=0.1, hue_factor=0.2)
    assert [type(s).__name__ for s in jitter._steps] == ["RandomBrightness", "RandomHue"]
    config = jitter.get_config()
    assert config["hue_factor"] == 0.2 and config["contrast_factor"] is None
    assert type(L.RandomColorJitter.from_config(config)._steps[1]).__name__ == "RandomHue"


def test_errors():
    with pytest.raises(ValueError, match=r"RandomGrayscale '.*': `factor` must be a number in "
                                         r"\[0, 1\]. Received: factor=1.5"):
        L.RandomGrayscale(1.5)
    with pytest.raises(ValueError, match=r"RandomHue '.*': `factor` must be .* in \[0, 1\]. "
                                         r"Received: factor=-0.2"):
        L.RandomHue(-0.2)
    with pytest.raises(ValueError, match=r"RandomPosterization .*\[1, 8\]. Received: factor=9"):
        L.RandomPosterization(9)
    with pytest.raises(ValueError, match=r"Solarization .*`threshold_factor` must be"):
        L.Solarization(threshold_factor=(0.1, 2))
    with pytest.raises(ValueError, match=r"AutoContrast .*`value_range` must be a pair"):
        L.AutoContrast(value_range=(1, 0))
    with pytest.raises(ValueError, match=r"RandomSaturation .*expected RGB images with 3 "
                                         r"channels, got shape \(1, 2, 2, 1\)"):
        L.RandomSaturation(0.3)(np.zeros((1, 2, 2, 1), "float32"))
    with pytest.raises(ValueError, match=r"Equalization .*`bins` must be"):
        L.Equalization(bins=0)
