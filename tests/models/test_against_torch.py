"""Dense, the cross-entropies and a whole Adam training step against PyTorch, same weights."""

import numpy as np
import pytest

import deepgrad as dg

import torch_reference as tr


def test_dense_forward_and_gradients_match_torch():
    """Values and the gradients of the input, the kernel and the bias (float64)."""
    torch = tr.import_torch()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 5))
    layer = dg.layers.Dense(4, activation="relu", dtype="float64",
                            bias_initializer="random_normal")
    layer(x)  # builds the weights
    tr.compare(layer, lambda t, kernel, bias: torch.relu(t @ kernel + bias), [x],
               params=[layer.kernel, layer.bias], atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("from_logits", [True, False])
def test_sparse_cross_entropy_matches_torch(from_logits):
    torch = tr.import_torch()
    rng = np.random.default_rng(1)
    z, labels = rng.normal(size=(6, 4)), rng.integers(0, 4, 6)
    if from_logits:
        loss = dg.losses.SparseCategoricalCrossentropy(from_logits=True)
        tr.compare(lambda t: loss(labels, t),
                   lambda t: torch.nn.functional.cross_entropy(t, torch.from_numpy(labels)),
                   [z], atol=1e-14, rtol=1e-12, grad_atol=1e-14, grad_rtol=1e-10)
    else:
        loss = dg.losses.SparseCategoricalCrossentropy()
        tr.compare(lambda t: loss(labels, dg.ops.softmax(t)),
                   lambda t: torch.nn.functional.cross_entropy(t, torch.from_numpy(labels)),
                   [z], atol=1e-14, rtol=1e-12, grad_atol=1e-14, grad_rtol=1e-10)


def test_categorical_and_binary_cross_entropy_match_torch():
    torch = tr.import_torch()
    F = torch.nn.functional
    rng = np.random.default_rng(1)
    z, labels = rng.normal(size=(6, 4)), rng.integers(0, 4, 6)
    one_hot = dg.utils.to_categorical(labels, 4).astype("float64")
    cat = dg.losses.CategoricalCrossentropy(from_logits=True)
    tr.compare(lambda t: cat(one_hot, t),
               lambda t: F.cross_entropy(t, torch.from_numpy(labels)), [z], atol=1e-14,
               rtol=1e-12, grad_atol=1e-14, grad_rtol=1e-10)
    p, targets = 1 / (1 + np.exp(-z)), rng.uniform(0, 1, z.shape)
    # Keras clips probabilities to [1e-7, 1 - 1e-7]; none of these is near the clip.
    bce = dg.losses.BinaryCrossentropy()
    tr.compare(lambda t: bce(targets, t),
               lambda t: F.binary_cross_entropy(t, torch.from_numpy(targets)), [p],
               atol=1e-14, rtol=1e-12, grad_atol=1e-14, grad_rtol=1e-10)


def test_one_adam_training_step_matches_torch():
    """The iris network, identical weights, one fit step: same loss and same new weights.

    Tolerance: float64 throughout; Adam's epsilon sits inside the square root's bias
    correction in Keras but outside in PyTorch, so a negligible epsilon (1e-30) is used
    to compare the rule itself (see tests/optimizers for the epsilon placement).
    """
    torch = tr.import_torch()
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
        for layer, linear in zip(model.layers, [net[0], net[2], net[4]], strict=True):
            linear.weight.copy_(torch.from_numpy(layer.kernel.data.T.copy()))
            linear.bias.copy_(torch.from_numpy(layer.bias.data))
    opt = torch.optim.Adam(net.parameters(), lr=0.01, eps=1e-30)
    loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y))
    opt.zero_grad()
    loss.backward()
    opt.step()
    ours = model.train_on_batch(x, y)
    assert ours == pytest.approx(loss.item(), rel=1e-12)
    for layer, linear in zip(model.layers, [net[0], net[2], net[4]], strict=True):
        np.testing.assert_allclose(layer.kernel.data, linear.weight.detach().numpy().T,
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(layer.bias.data, linear.bias.detach().numpy(),
                                   rtol=1e-9, atol=1e-12)
