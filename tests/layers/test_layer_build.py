"""Layer.build called by hand, as Keras allows: the layer is built, and its weights stay."""

import numpy as np
import pytest

import deepgrad as dg


@pytest.mark.xfail(strict=True, reason="deepgrad bug: Layer.build called directly does not set "
                   "`built` (Keras's build_wrapper does), so the first call builds again and "
                   "replaces the weights, including any set with set_weights in between")
def test_build_by_hand_marks_the_layer_built_and_keeps_its_weights():
    layer = dg.layers.Dense(4)
    layer.build((None, 5))
    assert layer.built
    kernel = np.arange(20, dtype="float32").reshape(5, 4)
    layer.set_weights([kernel, np.zeros(4, "float32")])
    layer(np.ones((2, 5), "float32"))
    np.testing.assert_array_equal(layer.kernel.numpy(), kernel)
