"""Issue 12's reproducers for behaviours fixed alongside other work (items 7 and 8): kept
here as the issue asks, each with what Keras 3 does."""

import numpy as np
import pytest

import deepgrad as dg


def test_dot_with_axes_on_3d_inputs():
    # item 7: Keras computes Dot(axes=(1, 2)) on 3-D inputs (a batched contraction)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 4)).astype("float32")
    b = rng.standard_normal((2, 5, 3)).astype("float32")
    out = dg.layers.Dot(axes=(1, 2))([a, b])
    np.testing.assert_allclose(out.data, np.einsum("bki,bjk->bij", a, b), rtol=1e-5)
    x, y = dg.Input((3, 4)), dg.Input((5, 3))
    assert dg.layers.Dot(axes=(1, 2))([x, y]).shape == (None, 4, 5)


def test_mse_matches_ranks_as_keras():
    # item 8: y of shape (n,) against an (n, 1) output is Keras's rank-matching case
    y = np.array([1.0, 2.0, 3.0, 4.0], "float32")
    pred = dg.Tensor(np.array([[1.5], [2.0], [2.0], [4.0]], "float32"))
    assert float(dg.losses.MeanSquaredError()(y, pred)) == pytest.approx(0.3125)
    model = dg.Sequential([dg.Input((2,)), dg.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 2), "float32"), y, verbose=0)


def test_mse_refuses_what_keras_would_broadcast_to_another_shape():
    # item 8: (2,) against (2, 2) would broadcast silently in Keras; deepgrad says so
    message = r"mean_squared_error: expected y_true with the shape of y_pred \(2, 2\)"
    with pytest.raises(ValueError, match=message):
        dg.losses.get("mse")(np.zeros(2), dg.Tensor(np.zeros((2, 2))))
