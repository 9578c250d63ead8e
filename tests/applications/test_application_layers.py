"""The layers Keras defines inside its applications: ConvNeXt's ``LayerScale`` and
InceptionResNetV2's ``CustomScaleLayer``, through the layer table's checks (shapes,
weights, config and save/load round trips, a training step), and a whole model with both
saved and loaded (they are registered, so ``load_model`` finds them)."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.applications.convnext import LayerScale
from deepgrad.applications.inception_resnet_v2 import CustomScaleLayer
from deepgrad.utils import gradient_check

from layer_check import LayerCase, check_layer

CASES = [
    LayerCase(lambda: LayerScale(0.5, 4), (3, 4), (3, 4), [(4,)]),
    LayerCase(lambda: CustomScaleLayer(0.17), [(2, 3), (2, 3)], (2, 3)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_checks(case, tmp_path):
    check_layer(case, tmp_path)


def test_values_and_gradients():
    np.testing.assert_allclose(LayerScale(2.0, 3)(np.ones((1, 3), "float32")).data, [[2, 2, 2]])
    layer = CustomScaleLayer(0.1)
    assert gradient_check(lambda a, b: layer([a, b]), [np.ones((2, 3)), np.ones((2, 3))])


def test_model_with_both_saves_and_loads(tmp_path):
    x = dg.Input((4, 4, 2))
    y = dg.layers.Conv2D(2, 1)(x)
    y = CustomScaleLayer(0.2)([x, y])
    model = dg.Model(x, LayerScale(1e-6, 2, name="scale")(y))
    model.save(tmp_path / "m.deepgrad")
    loaded = dg.saving.load_model(tmp_path / "m.deepgrad")
    data = np.random.default_rng(0).normal(size=(2, 4, 4, 2)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), model.predict(data, verbose=0))
    assert type(loaded.get_layer("scale")) is LayerScale
