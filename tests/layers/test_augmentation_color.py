"""The colour, tone and region augmentation layers: Keras parity on fixed draws, the
draws themselves, training switch, errors."""

import json
import pathlib

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.layers.data_format import to_channels_first, to_channels_last

L = dg.layers
FIXTURE = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "keras_augment_parity.npz")
CASES = json.loads(str(FIXTURE["cases"]))


def _params(name, case):
    if "params" in case:  # a Keras transformation dict; deepgrad's masks have no channel axis
        return {key: FIXTURE[f"{name}/params/{key}"][..., 0] if key == "batch_masks" else
                FIXTURE[f"{name}/params/{key}"] for key in case["params"]}
    return FIXTURE[f"{name}/params"] if f"{name}/params" in FIXTURE else None


@pytest.mark.parametrize("name", sorted(CASES))
def test_equal_to_keras_on_the_same_draws(name):
    case = CASES[name]
    layer = getattr(L, case["layer"])(**case["config"])
    images = FIXTURE[f"array/{case['images']}"]
    params = _params(name, case)
    if case.get("labels"):
        np.testing.assert_allclose(layer.transform_labels(FIXTURE[f"{name}/labels"], params),
                                   FIXTURE[f"{name}/labels_output"], rtol=1e-6, atol=1e-7)
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
    lambda: L.RandAugment(num_ops=3, seed=1),
    lambda: L.AugMix(seed=1),
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


MIX_LAYERS = [
    lambda: L.RandomPerspective(seed=1),
    lambda: L.RandomElasticTransform(seed=1),
    lambda: L.MixUp(seed=1),
    lambda: L.CutMix(seed=1),
    lambda: L.RandomErasing(seed=1),
    lambda: L.RandomGaussianBlur(seed=1),
]


@pytest.mark.parametrize("make", MIX_LAYERS, ids=lambda m: type(m()).__name__)
def test_region_layers_take_dicts_and_keep_labels_consistent(make):
    rng = np.random.default_rng(3)
    images = rng.uniform(0, 255, (6, 8, 8, 3)).astype("float32")
    labels = np.eye(6, 4, dtype="float32")[rng.integers(0, 4, 6)]
    out = make()({"images": images, "labels": labels, "extra": 5})
    assert out["extra"] == 5 and out["images"].shape == images.shape
    np.testing.assert_allclose(out["labels"].data.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(make()({"images": images, "labels": labels})["images"].data,
                                  out["images"].data)  # the seed fixes the draws
    same = make()({"images": images, "labels": labels}, training=False)
    assert same["images"] is images or np.array_equal(same["images"], images)
    assert make()(images[0]).data.shape == images[0].shape


def test_mixup_and_cutmix_label_weights_follow_the_images():
    images = np.stack([np.zeros((10, 10, 1)), np.ones((10, 10, 1))]).astype("float32")
    labels = np.eye(2, dtype="float32")
    for layer in (L.MixUp(alpha=0.5, seed=4), L.CutMix(seed=4)):
        out = layer({"images": images, "labels": labels})
        # image 0 holds the share of image 1 that its label gives class 1
        share = out["images"].data[0].mean()
        assert abs(out["labels"].data[0, 1] - share) < (1e-6 if isinstance(layer, L.MixUp)
                                                        else 0.11)


def test_gaussian_blur_is_keras_separable_kernel():
    from deepgrad.layers.augmentation_mix import gaussian_blur

    x = np.zeros((1, 7, 7, 1))
    x[0, 3, 3] = 1.0
    out = gaussian_blur(x, (5, 5), (0.8, 1.5))[0, :, :, 0]
    rows = np.exp(-0.5 * (np.arange(-2, 3) / 1.5) ** 2)
    cols = np.exp(-0.5 * (np.arange(-2, 3) / 0.8) ** 2)
    np.testing.assert_allclose(out[1:6, 1:6], np.outer(rows / rows.sum(), cols / cols.sum()),
                               rtol=1e-12)


def test_pipeline_runs_layers_in_order_and_saves():
    pipe = L.Pipeline([L.Rescaling(2.0), L.RandomFlip(seed=0), L.Rescaling(0.25)])
    x = np.ones((2, 3, 3, 1), "float32")
    np.testing.assert_allclose(pipe(x).data, 0.5)
    assert [type(x).__name__ for x in pipe.layers] == ["Rescaling", "RandomFlip", "Rescaling"]
    again = L.Pipeline.from_config(pipe.get_config())
    np.testing.assert_allclose(again(x, training=False).data, 0.5)
    with pytest.raises(TypeError, match=r"Pipeline '.*': `layers` must be a list of layers"):
        L.Pipeline(L.Rescaling(2.0))
    with pytest.raises(ValueError, match="Pipeline: the config must hold a `layers` list"):
        L.Pipeline.from_config({"name": "p"})


def test_region_errors():
    with pytest.raises(ValueError, match=r"MixUp '.*': `alpha` must be a number > 0"):
        L.MixUp(alpha=0)
    with pytest.raises(ValueError, match=r"RandomGaussianBlur .*`kernel_size` must be an odd"):
        L.RandomGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError, match=r"RandomErasing .*`fill_value` must be None, a number"):
        L.RandomErasing(fill_value=(1, 2))
    with pytest.raises(ValueError, match=r"RandomErasing .*`scale` must be .* Received: "
                                         r"scale=\(0.1, 2\)"):
        L.RandomErasing(scale=(0.1, 2))
    with pytest.raises(ValueError, match=r"CutMix .*a dict input needs an 'images' entry"):
        L.CutMix()({"labels": np.zeros((2, 2), "float32")})


def test_shear_factors_and_config_round_trip():
    shear = L.RandomShear(0.2, (0.1, 0.3), seed=0)
    assert shear.x_factor == (-0.2, 0.2) and shear.y_factor == (0.1, 0.3)
    # Keras writes (-f, f) in its config and then refuses it in from_config; deepgrad reads it
    again = L.RandomShear.from_config(shear.get_config())
    assert again.x_factor == (-0.2, 0.2)
    draws = L.RandomShear(0.2, (0.1, 0.3)).transformation(2000, np.random.default_rng(0))
    same_sign = np.sign(draws[:, 0]) == np.sign(draws[:, 1])
    assert (np.abs(draws[:, 1]) >= 0.1).all() and same_sign[np.abs(draws[:, 0]) > 0].mean() > 0.4
    with pytest.raises(ValueError, match=r"RandomShear .*`x_factor` must be a number in \[0, 1\] "
                                         r"or a pair in \[-1, 1\]. Received: x_factor=1.5"):
        L.RandomShear(1.5)


def test_policies_use_keras_operations_and_factors():
    rand = L.RandAugment(factor=0.5)
    assert len(rand._OPERATIONS) == 11 and set(rand._OPERATIONS) == set(rand._operations)
    assert rand._operations["random_posterization"].factor == (1, 4)
    assert rand._operations["random_shear"].x_factor == (0.0, 0.5)
    assert L.AugMix(all_ops=False)._names == ("random_shear", "random_translation",
                                               "random_rotation", "random_posterization",
                                               "solarization", "auto_contrast", "equalization")
    config = L.AugMix(num_chains=2, alpha=0.5, seed=3).get_config()
    assert L.AugMix.from_config(config).get_config() == config
    x = np.random.default_rng(2).uniform(0, 255, (3, 6, 6, 3)).astype("float32")
    out = L.AugMix(seed=0)(x).data
    assert out.min() >= 0 and out.max() <= 255
    with pytest.raises(ValueError, match=r"RandAugment '.*': `num_ops` must be a positive int"):
        L.RandAugment(num_ops=0)
    with pytest.raises(ValueError, match=r"AugMix '.*': `alpha` must be a number > 0"):
        L.AugMix(alpha=-1)


def test_numpy_colour_helpers_equal_the_differentiable_ops():
    # The layers keep NumPy forms (no gradient needed; dg.ops.image's Tensor composites
    # are ~20x slower on a small batch); they must give the ops' numbers.
    from deepgrad.layers.augmentation_color import _hsv_to_rgb, _rgb_to_hsv, rgb_to_grayscale
    from deepgrad.layers.augmentation_mix import gaussian_blur

    x = np.random.default_rng(5).uniform(0, 1, (3, 5, 6, 3)).astype("float32")
    np.testing.assert_array_equal(rgb_to_grayscale(x), dg.ops.image.rgb_to_grayscale(x).data)
    hsv = np.stack(_rgb_to_hsv(x), axis=-1)
    np.testing.assert_array_equal(hsv, dg.ops.image.rgb_to_hsv(x).data)
    np.testing.assert_array_equal(_hsv_to_rgb(*np.moveaxis(hsv, -1, 0)),
                                  dg.ops.image.hsv_to_rgb(hsv).data)
    np.testing.assert_allclose(gaussian_blur(x, (5, 5), (0.7, 1.3)),
                               dg.ops.image.gaussian_blur(x, (5, 5), (0.7, 1.3)).data,
                               atol=1e-6)


def test_elastic_transform_draws_and_clips():
    x = np.random.default_rng(4).uniform(0, 255, (3, 16, 16, 2)).astype("float32")
    layer = L.RandomElasticTransform((1, 1), scale=(0.5, 0.5), seed=2)
    out = layer(x).data
    assert out.shape == x.shape and (out != x).any()
    assert out.min() >= 0 and out.max() <= 255
    np.testing.assert_array_equal(L.RandomElasticTransform((1, 1), scale=(0.5, 0.5),
                                                           seed=2)(x).data, out)
    assert (L.RandomElasticTransform(scale=0.0)(x).data == x).all()  # Keras: nothing to do
    params = layer.transformation(x, np.random.default_rng(0))
    assert params["apply_transform"].all() and params["distortion_factor"] == 0.5


def test_perspective_moves_corners_as_keras():
    layer = L.RandomPerspective(scale=0.4)
    params = layer.transformation(np.zeros((500, 6, 8, 1)), np.random.default_rng(0))
    start, end = params["start_points"], params["end_points"]
    assert start[0].tolist() == [[0, 0], [7, 0], [0, 5], [7, 5]]
    moved = end[params["apply_perspective"]] - start[params["apply_perspective"]]
    assert np.abs(moved[:, 1:] / start[params["apply_perspective"]][:, 1:].clip(1)).max() <= 0.2
    assert 0.4 < params["apply_perspective"].mean() < 0.6  # factor 1.0: probability ~ U(0, 1)
    with pytest.raises(ValueError, match=r"RandomPerspective .*`scale` must be in \[0, 1\]"):
        L.RandomPerspective(scale=2)
