"""The training step sums gradients straight into the optimizer's flat gradient buffer
(``tensor.grad(out=...)`` with ``Optimizer.gradient_buffers``): the same weights, bit for
bit, as copying them there, and no weight-sized gradient array besides the buffer."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.tensor import Tensor, grad

L = dg.layers


def shared_conv_model(seed=0):
    dg.utils.set_random_seed(seed)
    x = L.Input((8, 8, 2))
    conv = L.Conv2D(3, 3, padding="same", activation="relu")
    h = conv(L.Conv2D(3, 1)(x))
    h = conv(h)  # one layer used twice: its gradients are summed into the same buffer
    out = L.Dense(4)(L.Flatten()(L.BatchNormalization()(h)))
    model = dg.Model(x, out)
    model.compile(optimizer=dg.optimizers.Adam(1e-2), loss="mse")
    return model


def test_same_weights_as_copying_the_gradients(monkeypatch):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 8, 8, 2)).astype("f4"), rng.normal(size=(6, 4)).astype("f4")
    direct, copied = shared_conv_model(), shared_conv_model()
    monkeypatch.setattr(copied.optimizer, "gradient_buffers", lambda variables: None)
    for _ in range(3):
        direct.train_on_batch(x, y)
        copied.train_on_batch(x, y)
    for a, b in zip(direct.get_weights(), copied.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_apply_receives_the_buffers_themselves(monkeypatch):
    model = shared_conv_model()
    seen = {}
    apply = model.optimizer.apply

    def spy(grads, variables):
        seen["grads"] = list(grads)
        apply(grads, variables)

    monkeypatch.setattr(model.optimizer, "apply", spy)
    model.train_on_batch(np.ones((2, 8, 8, 2), "f4"), np.ones((2, 4), "f4"))
    buffers = model.optimizer.gradient_buffers(model.trainable_variables)
    assert all(g is b for g, b in zip(seen["grads"], buffers, strict=True))


def test_no_buffers_where_apply_needs_its_own_copy():
    w = dg.Variable(np.ones(3, "f4"))
    assert dg.optimizers.SGD(gradient_accumulation_steps=2).gradient_buffers([w]) is None
    assert dg.optimizers.SGD(loss_scale_factor=8.0).gradient_buffers([w]) is None
    opt = dg.optimizers.SGD()
    opt.build([w])
    assert opt.gradient_buffers([dg.Variable(np.ones(3, "f4"))]) is None  # not built with it


def test_grad_out_sums_in_place_and_leaves_misfits_alone():
    x = Tensor(np.array([1.0, 2.0], "f4"), requires_grad=True)
    y = Tensor(np.array([3.0], "f4"), requires_grad=True)
    buffer, wrong = np.full(2, 99.0, "f4"), np.zeros(5, "f4")
    gx, gy = grad((x * x).sum() + (x * 3.0).sum() + (y * y).sum(), [x, y], out=[buffer, wrong])
    assert gx is buffer
    np.testing.assert_array_equal(buffer, [5.0, 7.0])
    assert gy is not wrong and np.count_nonzero(wrong) == 0
    np.testing.assert_array_equal(gy, [6.0])
    with pytest.raises(ValueError, match="one array"):
        grad((x * x).sum(), [x, y], out=[buffer])
