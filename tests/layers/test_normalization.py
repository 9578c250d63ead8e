"""BatchNormalization and LayerNormalization: Keras semantics, PyTorch, finite differences."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils import gradient_check

import torch_reference as tr

BN = dg.layers.BatchNormalization
LN = dg.layers.LayerNormalization
rng = np.random.default_rng(0)


def test_weights_in_keras_order_and_trainability():
    bn = BN()
    bn(np.zeros((2, 5, 5, 3), dtype="float32"))
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in bn.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in bn.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert all(w.shape == (3,) and w.dtype == np.float32 for w in bn.weights)
    assert bn.count_params() == 12
    bare = BN(center=False, scale=False)
    bare(np.zeros((2, 3), dtype="float32"))
    assert [w.name for w in bare.weights] == ["moving_mean", "moving_variance"]


def test_training_uses_batch_statistics_and_updates_moving_ones_keras_rule():
    x = rng.normal(2.0, 3.0, size=(16, 4, 4, 3)).astype("float32")
    bn = BN(momentum=0.9)
    out = bn(x, training=True)
    assert out.dtype == np.float32
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))  # biased, as Keras 3
    np.testing.assert_allclose(out.data, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(bn.moving_mean.data, 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.data, 0.9 + 0.1 * var, rtol=1e-5)
    assert bn.moving_mean.dtype == np.float32


def test_inference_uses_moving_statistics_and_changes_nothing():
    bn = BN(epsilon=0.0)
    x = rng.normal(size=(8, 3)).astype("float32")
    bn(x)
    bn.set_weights([np.full(3, 2.0), np.full(3, 1.0), np.array([1.0, 2, 3]), np.full(3, 4.0)])
    before = [w.copy() for w in bn.get_weights()]
    for training in (None, False):
        out = bn(x, training=training)
        np.testing.assert_allclose(out.data, 2 * (x - [1, 2, 3]) / 2 + 1, rtol=1e-6)
    for a, b in zip(before, bn.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_frozen_layer_runs_in_inference_mode_even_when_training():
    bn = BN()
    x = rng.normal(5.0, 2.0, size=(8, 3)).astype("float32")
    bn.trainable = False
    out = bn(x, training=True)
    np.testing.assert_allclose(out.data, x / np.sqrt(1 + 1e-3), rtol=1e-6)
    np.testing.assert_array_equal(bn.moving_mean.data, 0)


def test_fit_updates_moving_stats_but_predict_and_evaluate_do_not():
    model = dg.Sequential([dg.layers.Dense(4, input_shape=(3,)), BN(), dg.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = rng.normal(size=(32, 3)).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")
    bn = model.layers[1]
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.data, 0)
    np.testing.assert_array_equal(bn.moving_variance.data, 1)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert np.abs(bn.moving_mean.data).sum() > 0
    stats = [w.copy() for w in bn.get_weights()[2:]]
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    for a, b in zip(stats, bn.get_weights()[2:], strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("axis", [-1, 1])
def test_batch_norm_layer_gradients_float64(training, axis):
    """Input, gamma and beta gradients through the layer against central differences."""
    x = rng.normal(size=(4, 3, 2))
    bn = BN(axis=axis, dtype="float64")
    bn(x)
    channels = x.shape[axis]
    bn.set_weights([rng.normal(size=channels), rng.normal(size=channels),
                    rng.normal(size=channels), rng.uniform(0.5, 2, channels)])
    frozen = [w.copy() for w in bn.get_weights()[2:]]
    variables = bn.gamma, bn.beta

    def fn(t, gamma, beta):
        bn.gamma, bn.beta = gamma, beta
        out = bn(t, training=training)
        # Moving statistics must not drift while the finite differences run.
        bn.moving_mean.data[...], bn.moving_variance.data[...] = frozen
        return out

    gradient_check(fn, [x, rng.normal(size=channels), rng.normal(size=channels)],
                   atol=1e-6, rtol=1e-5)
    bn.gamma, bn.beta = variables


def test_layer_norm_matches_formula_and_gradients():
    x = rng.normal(size=(3, 4, 5))
    ln = LN(axis=[1, 2], dtype="float64")
    out = ln(x)
    assert [w.shape for w in ln.weights] == [(4, 5), (4, 5)]
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out.data, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-10)
    ln.set_weights([rng.normal(size=(4, 5)), rng.normal(size=(4, 5))])
    gradient_check(lambda t: ln(t), [x], atol=1e-6, rtol=1e-5)
    assert LN()(np.ones((2, 3), dtype="float32")).dtype == np.float32


def test_config_round_trip():
    bn = BN(axis=1, momentum=0.9, epsilon=1e-5, center=False, gamma_regularizer="l2")
    clone = BN.from_config(bn.get_config())
    assert clone.get_config() == bn.get_config()
    ln = LN(axis=[1, 2], epsilon=1e-6, scale=False)
    assert LN.from_config(ln.get_config()).get_config() == ln.get_config()
    bn(np.zeros((2, 3, 4), dtype="float32"))
    assert len(bn.losses) == 1


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match="momentum"):
        BN(momentum=1.5)
    with pytest.raises(ValueError, match="epsilon"):
        LN(epsilon=-1)
    bn = BN(name="bn")
    bn(np.zeros((2, 4, 4, 3), dtype="float32"))
    with pytest.raises(ValueError, match="BatchNormalization 'bn'.*3.*got shape"):
        bn(np.zeros((2, 4, 4, 5), dtype="float32"))
    with pytest.raises(ValueError, match="out of range"):
        BN(axis=3)(np.zeros((2, 3), dtype="float32"))


def test_batch_norm_matches_torch_forward_grads_and_running_stats():
    """Float64; tolerance 1e-10. torch's running_var uses the unbiased batch variance."""
    torch = tr.import_torch()
    F = torch.nn.functional
    x = rng.normal(1.0, 2.0, size=(8, 5, 5, 3))
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    bn = BN(momentum=0.9, epsilon=1e-3, dtype="float64")
    bn(x)
    bn.set_weights([gamma, beta, np.zeros(3), np.ones(3)])
    running_mean, running_var = torch.zeros(3, dtype=torch.float64), torch.ones(3).double()

    def forward(t, weight, bias):
        return tr.channels_last(F.batch_norm(tr.channels_first(t), running_mean, running_var,
                                             weight, bias, training=True, momentum=0.1,
                                             eps=1e-3))

    tr.compare(lambda t: bn(t, training=True), forward, [x], params=[bn.gamma, bn.beta],
               atol=1e-10, rtol=0)
    np.testing.assert_allclose(bn.moving_mean.numpy(), running_mean.numpy(), atol=1e-12)
    n = x.size // 3
    torch_part = running_var.numpy() - 0.9  # 0.1 * unbiased variance
    np.testing.assert_allclose(bn.moving_variance.numpy() - 0.9, torch_part * (n - 1) / n,
                               atol=1e-12)
    teval = F.batch_norm(torch.from_numpy(np.moveaxis(x, -1, 1)), running_mean, running_var,
                         torch.from_numpy(gamma), torch.from_numpy(beta), eps=1e-3)
    # Inference differs only through the running variance (biased vs unbiased).
    assert not np.allclose(bn(x).data, np.moveaxis(teval.numpy(), 1, -1), atol=1e-6)


def test_batch_norm_inference_matches_torch_eval():
    F = tr.import_torch().nn.functional
    x = rng.normal(size=(4, 6, 3))
    stats = [rng.normal(size=3), rng.normal(size=3), rng.normal(size=3), rng.uniform(1, 2, 3)]
    bn = BN(dtype="float64")
    bn(x)
    bn.set_weights(stats)
    mean, variance = (tr.import_torch().from_numpy(a) for a in stats[2:])

    def forward(t, weight, bias):
        return tr.channels_last(F.batch_norm(tr.channels_first(t), mean, variance, weight, bias,
                                             eps=1e-3))

    tr.compare(bn, forward, [x], params=[bn.gamma, bn.beta], atol=1e-12, rtol=0)


def test_layer_norm_matches_torch():
    F = tr.import_torch().nn.functional
    x = rng.normal(size=(4, 6, 5))
    ln = LN(dtype="float64")
    ln(x)
    ln.set_weights([rng.normal(size=5), rng.normal(size=5)])
    tr.compare(ln, lambda t, weight, bias: F.layer_norm(t, (5,), weight, bias, eps=1e-3), [x],
               params=[ln.gamma, ln.beta], atol=1e-12, rtol=0, grad_atol=1e-10)
