"""``predict`` on zero samples returns an empty result of the right shape (one row per
sample), through the convolution chunking, Flatten and the recurrent loops. (Keras 3.15
raises an UnboundLocalError there; ``fit`` and ``evaluate`` refuse zero samples with a clear
error, see test_bad_inputs.)"""

import numpy as np
import pytest

import deepgrad as dg

L = dg.layers

CASES = {
    "conv_pool_flatten_dense": ((28, 28, 1), lambda: [L.Conv2D(4, 3), L.MaxPooling2D(2),
                                                      L.Flatten(), L.Dense(2)], (0, 2)),
    "depthwise_bn_pool": ((12, 12, 3), lambda: [L.DepthwiseConv2D(3), L.BatchNormalization(),
                                               L.GlobalAveragePooling2D()], (0, 3)),
    "same_conv_then_1x1": ((12, 12, 8), lambda: [L.Conv2D(8, 5, padding="same"),
                                                 L.Conv2D(4, 1)], (0, 12, 12, 4)),
    "lstm": ((10, 4), lambda: [L.LSTM(3)], (0, 3)),
    "gru_sequences": ((10, 4), lambda: [L.GRU(3, return_sequences=True)], (0, 10, 3)),
    "bidirectional": ((10, 4), lambda: [L.Bidirectional(L.SimpleRNN(2))], (0, 4)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_predict_on_zero_samples_is_empty(name):
    shape, layers, expected = CASES[name]
    model = dg.Sequential([dg.Input(shape), *layers()])
    out = model.predict(np.zeros((0, *shape), np.float32), verbose=0)
    assert out.shape == expected and out.dtype == np.float32
