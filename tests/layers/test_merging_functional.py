"""The functional merging helpers (dg.layers.add ... dot) and Dot's batch dot over any
rank. Keras's own numbers for Dot: tests/layers/test_keras_layer_parity.py."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils import gradient_check

L = dg.layers
rng = np.random.default_rng(0)

HELPERS = [
    (L.add, L.Add, np.add),
    (L.subtract, L.Subtract, np.subtract),
    (L.multiply, L.Multiply, np.multiply),
    (L.average, L.Average, lambda a, b: (a + b) / 2),
    (L.maximum, L.Maximum, np.maximum),
    (L.minimum, L.Minimum, np.minimum),
]


@pytest.mark.parametrize("helper,cls,reference", HELPERS, ids=[h[1].__name__ for h in HELPERS])
def test_helper_builds_the_layer_in_a_model(helper, cls, reference):
    a, b = dg.Input(shape=(3,)), dg.Input(shape=(3,))
    model = dg.Model([a, b], helper([a, b], name="merge"))
    assert isinstance(model.get_layer("merge"), cls)
    x, y = rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(model.predict([x, y], verbose=0), reference(x, y), rtol=1e-6)


def test_concatenate_and_dot_take_their_axes():
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 5))
    assert L.concatenate([a, b]).shape == (2, 3, 9)
    assert L.concatenate([a, a], axis=1).shape == (2, 6, 4)
    np.testing.assert_allclose(L.dot([a, a]).data, np.einsum("bij,bkj->bik", a, a), rtol=1e-5)
    np.testing.assert_allclose(L.dot([a, b], axes=1).data, np.einsum("bji,bjk->bik", a, b),
                               rtol=1e-5)


def test_dot_float64_finite_differences():
    layer = L.Dot(axes=(1, 2), normalize=True, dtype="float64")
    x, y = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 3))
    assert layer([x, y]).shape == (2, 4, 5)
    assert gradient_check(lambda a, b: layer([a, b]), [x, y], atol=1e-7, rtol=1e-6)


def test_dot_errors():
    with pytest.raises(ValueError, match=r"Dot: `axes` must be an int or a pair of ints"):
        L.Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match=r"Dot 'd': the sizes on axes \(1, 1\) must match"):
        L.Dot(axes=1, name="d")([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match=r"batch axis 0 cannot be one"):
        L.Dot(axes=0)([np.ones((2, 3)), np.ones((2, 3))])
