"""Dense, the cross-entropies and a whole Adam training step against PyTorch, same weights."""

import numpy as np
import pytest

import deepgrad as dg

torch = pytest.importorskip("torch", reason="PyTorch is the reference; pip install '.[test]'")


def test_dense_forward_and_gradients_match_torch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 5))
    layer = dg.layers.Dense(4, activation="relu", dtype="float64")
    out = layer(x)
    tl = torch.nn.Linear(5, 4).double()
    with torch.no_grad():
        tl.weight.copy_(torch.from_numpy(layer.kernel.data.T.copy()))
        tl.bias.copy_(torch.from_numpy(layer.bias.data))
    tx = torch.from_numpy(x).requires_grad_(True)
    tout = torch.relu(tl(tx))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    w = rng.normal(size=out.shape)
    xt = dg.Tensor(x, requires_grad=True)
    (layer(xt) * dg.Tensor(w)).sum().backward()
    (tout * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.kernel.grad if layer.kernel.grad is not None else 0,
                               tl.weight.grad.numpy().T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("from_logits", [True, False])
def test_cross_entropies_match_torch(from_logits):
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6, 4))
    labels = rng.integers(0, 4, 6)
    tz = torch.from_numpy(z).requires_grad_(True)
    expected = torch.nn.functional.cross_entropy(tz, torch.from_numpy(labels))
    expected.backward()
    dz = dg.Tensor(z, requires_grad=True)
    if from_logits:
        loss = dg.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, dz)
    else:
        loss = dg.losses.SparseCategoricalCrossentropy()(labels, dg.ops.softmax(dz))
    loss.backward()
    np.testing.assert_allclose(float(loss.data), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(dz.grad, tz.grad.numpy(), rtol=1e-10, atol=1e-14)
    one_hot = dg.utils.to_categorical(labels, 4).astype("float64")
    cat = dg.losses.CategoricalCrossentropy(from_logits=True)(one_hot, dg.Tensor(z))
    np.testing.assert_allclose(float(cat.data), expected.item(), rtol=1e-12)
    p = 1 / (1 + np.exp(-z))
    t = rng.uniform(0, 1, z.shape)
    bce = dg.losses.BinaryCrossentropy()(t, dg.Tensor(p))
    tbce = torch.nn.functional.binary_cross_entropy(torch.from_numpy(p), torch.from_numpy(t))
    np.testing.assert_allclose(float(bce.data), tbce.item(), rtol=1e-6)


def test_one_adam_training_step_matches_torch():
    """The iris network, identical weights, one fit step: same loss and same new weights.

    Tolerance: float64 throughout; Adam's epsilon sits inside the square root's bias
    correction in Keras but outside in PyTorch, so a negligible epsilon (1e-30) is used
    to compare the rule itself (see tests/optimizers for the epsilon placement).
    """
    rng = np.random.default_rng(2)
    x = rng.normal(size=(32, 4))
    y = rng.integers(0, 3, 32)
    model = dg.Sequential([
        dg.layers.Dense(10, activation="relu", input_shape=(4,), dtype="float64"),
        dg.layers.Dense(10, activation="relu", dtype="float64"),
        dg.layers.Dense(3, activation="softmax", dtype="float64"),
    ], dtype="float64")
    model.compile(dg.optimizers.Adam(learning_rate=0.01, epsilon=1e-30),
                  "sparse_categorical_crossentropy")
    net = torch.nn.Sequential(torch.nn.Linear(4, 10), torch.nn.ReLU(), torch.nn.Linear(10, 10),
                              torch.nn.ReLU(), torch.nn.Linear(10, 3)).double()
    with torch.no_grad():
        for layer, linear in zip(model.layers, [net[0], net[2], net[4]]):
            linear.weight.copy_(torch.from_numpy(layer.kernel.data.T.copy()))
            linear.bias.copy_(torch.from_numpy(layer.bias.data))
    opt = torch.optim.Adam(net.parameters(), lr=0.01, eps=1e-30)
    loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y))
    opt.zero_grad()
    loss.backward()
    opt.step()
    ours = model.train_on_batch(x, y)
    assert ours == pytest.approx(loss.item(), rel=1e-12)
    for layer, linear in zip(model.layers, [net[0], net[2], net[4]]):
        np.testing.assert_allclose(layer.kernel.data, linear.weight.detach().numpy().T,
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(layer.bias.data, linear.bias.detach().numpy(),
                                   rtol=1e-9, atol=1e-12)
