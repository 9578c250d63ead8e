"""Keras's base Layer takes ``activity_regularizer`` for every layer; deepgrad refused it
where a layer's own signature did not name it (review6's finding: BatchNormalization)."""

import numpy as np

import deepgrad as dg


def test_a_batch_norm_and_a_flatten_add_their_output_penalties():
    bn = dg.layers.BatchNormalization(activity_regularizer="l2")
    flat = dg.layers.Flatten(activity_regularizer=dg.regularizers.L1(0.5))
    model = dg.Sequential([dg.Input((2, 2)), bn, flat])
    x = np.arange(8, dtype=np.float32).reshape(2, 2, 2)
    out = model(x).data
    normed = bn(x, training=False).data
    # divided by the batch size, as Keras's layers do
    expected = [0.01 * float((normed ** 2).sum()) / 2, 0.5 * float(np.abs(out).sum()) / 2]
    np.testing.assert_allclose([float(loss.data) for loss in model.losses], expected, rtol=1e-6)


def test_the_penalty_is_in_the_config_and_comes_back():
    layer = dg.layers.Flatten(activity_regularizer=dg.regularizers.L1(0.5))
    again = dg.layers.Flatten.from_config(layer.get_config())
    assert isinstance(again.activity_regularizer, dg.regularizers.L1)
    assert again.activity_regularizer.l1 == 0.5
    assert "activity_regularizer" not in dg.layers.Flatten().get_config()
