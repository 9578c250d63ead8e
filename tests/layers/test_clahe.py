"""ContrastLimitedAdaptiveHistogramEqualization: equal to real Keras 3.15 (fixture), runs
at inference, keeps integer inputs integer, and refuses bad arguments by name."""

import json
from pathlib import Path

import numpy as np
import pytest

import deepgrad as dg

CLAHE = dg.layers.ContrastLimitedAdaptiveHistogramEqualization
FIXTURE = np.load(Path(__file__).parents[1] / "fixtures" / "keras_clahe.npz")
SPEC = json.loads(FIXTURE["spec"].tobytes())


@pytest.mark.parametrize("name", sorted(SPEC))
def test_equal_to_keras(name):
    out = CLAHE(**SPEC[name])(FIXTURE[f"{name}/x"]).data
    expected = FIXTURE[f"{name}/y"]
    assert out.dtype == expected.dtype and out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-5)


def test_one_image_and_inference_mode():
    x = FIXTURE["default_uint8_like/x"]
    layer = CLAHE()
    batch = layer(x).data
    np.testing.assert_array_equal(layer(x[1]).data, batch[1])
    np.testing.assert_array_equal(layer(x, training=False).data, batch)


def test_the_clip_limit_bounds_the_stretch():
    """A low-contrast image is stretched more the higher the limit; no limit spreads it
    over almost the whole range."""
    x = np.random.default_rng(0).uniform(100, 120, (1, 32, 32, 1)).astype("float32")
    spread = [CLAHE(clip_limit=c)(x).data.std() for c in (2.0, 4.0)]
    assert x.std() < spread[0] < spread[1]
    free = CLAHE(clip_limit=0.0)(x).data
    assert free.min() < 10 and free.max() == 255


@pytest.mark.parametrize("kwargs, match", [
    ({"clip_limit": -1}, "clip_limit"),
    ({"tile_grid_size": (0, 2)}, "tile_grid_size"),
    ({"value_range": (1, 0)}, "value_range"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=rf"AdaptiveHistogramEqualization .*{match}"):
        CLAHE(**kwargs)


def test_bad_input_rank():
    with pytest.raises(ValueError, match="expected images of shape"):
        CLAHE()(np.zeros((4, 4), "float32"))
