"""One member of each application family against Keras 3 on equal weights.

``tests/fixtures/make_keras_applications_fixture.py`` built each model below with the real
Keras (no top, ``pooling="avg"``, a small input), set every weight to seeded values
(``tests/fixtures/application_weights.py``, shared with this test) and recorded the
first 32 features of the output for two seeded images. Here deepgrad's model gets the
same weights, layer by layer in order, and must give the same output: this checks what
the layer lists cannot, such as each activation, the preprocessing layers, the padding,
the grouped convolution of ConvNeXt and the residual scales. Float32 sums in another
order differ in the last bits, so outputs agree to 1e-3 relative and 1e-4 of the largest
feature absolute.
"""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import applications as apps

from application_reference import fixture_module, keras_reference

weights_module = fixture_module("application_weights")


@pytest.fixture
def zero_initialized(monkeypatch):
    """Start from zeros instead of random weights (all of them are overwritten)."""
    monkeypatch.setattr(dg.initializers, "get",
                        lambda identifier: lambda shape, dtype=None: np.zeros(shape, dtype))


@pytest.mark.parametrize("builder_name", list(keras_reference()["outputs"]))
def test_output_matches_keras_on_equal_weights(builder_name, zero_initialized):
    entry = keras_reference()["outputs"][builder_name]
    size = entry["size"]
    model = getattr(apps, builder_name)(weights=None, include_top=False, pooling="avg",
                                        input_shape=(size, size, 3), **entry["kwargs"])
    ours = [layer for layer in model.layers if layer.weights]
    values = [v for v in weights_module.seeded_weights(entry["specs"]) if v]
    assert len(ours) == len(values)
    for layer, arrays in zip(ours, values, strict=True):
        layer.set_weights(arrays)
    images = weights_module.seeded_images((2, size, size, 3))
    expected = np.asarray(entry["output"], "float32")
    got = model.predict(images, verbose=0)
    assert got.shape == (2, model.output.shape[-1])
    got = got[:, :expected.shape[1]]  # the fixture keeps the first features
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4 * np.abs(expected).max())
