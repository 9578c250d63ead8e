"""One full training step of the course CNN against PyTorch on identical weights."""

import numpy as np
import pytest

import deepgrad as dg

torch = pytest.importorskip("torch", reason="PyTorch is the reference; pip install '.[test]'")
L = dg.layers


def course_cnn(dtype):
    return dg.Sequential([
        L.Input((28, 28, 1)),
        L.Conv2D(32, 5, padding="same", activation="relu", dtype=dtype),
        L.MaxPooling2D(2, dtype=dtype),
        L.Conv2D(64, 5, padding="same", activation="relu", dtype=dtype),
        L.MaxPooling2D(2, dtype=dtype),
        L.Flatten(dtype=dtype),
        L.Dense(1024, activation="relu", dtype=dtype),
        L.Dropout(0.0, dtype=dtype),
        L.Dense(10, dtype=dtype),
    ], dtype=dtype)


def torch_twin(model):
    """The same network in NCHW with the same weights: conv kernels (kh, kw, in, out) ->
    (out, in, kh, kw); the first Dense reads Keras's (h, w, c) flattening, PyTorch's is
    (c, h, w), so its rows are reordered."""
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 1024), nn.ReLU(), nn.Linear(1024, 10),
    ).double()
    conv1, conv2, dense1, dense2 = (l for l in model.layers if l.weights)
    with torch.no_grad():
        for ours, theirs in [(conv1, net[0]), (conv2, net[3])]:
            theirs.weight.copy_(torch.from_numpy(ours.kernel.numpy().transpose(3, 2, 0, 1).copy()))
            theirs.bias.copy_(torch.from_numpy(ours.bias.numpy()))
        k = dense1.kernel.numpy().reshape(7, 7, 64, 1024).transpose(2, 0, 1, 3).reshape(3136, 1024)
        net[7].weight.copy_(torch.from_numpy(k.T.copy()))
        net[7].bias.copy_(torch.from_numpy(dense1.bias.numpy()))
        net[9].weight.copy_(torch.from_numpy(dense2.kernel.numpy().T.copy()))
        net[9].bias.copy_(torch.from_numpy(dense2.bias.numpy()))
    return net, (conv1, conv2, dense1, dense2)


def assert_adam_step_matches(ours, before, theirs, lr=1e-3):
    """Weights after one Adam step (epsilon 1e-30), ours against PyTorch's, within 1e-9.

    With that epsilon the first step moves each weight by ``lr * sign(gradient)``, so a
    gradient that PyTorch computes as exactly zero and we as 1e-17 (the Winograd
    convolution's rounding, see deepgrad.kernels.winograd) moves by 0 in one and by
    ``lr`` in the other. Weights whose PyTorch gradient is below 1e-12 are therefore
    only required to move by at most ``lr``; all others must match.
    """
    tiny = np.abs(theirs.grad.numpy()) < 1e-12
    expected = theirs.detach().numpy()
    np.testing.assert_allclose(ours[~tiny], expected[~tiny], atol=1e-9)
    assert np.all(np.abs(ours[tiny] - before[tiny]) <= lr * (1 + 1e-9))


def test_course_cnn_training_step_matches_torch():
    """Same loss and the same weights after one Adam step.

    float64 throughout; Dropout(0.0) because the two frameworks draw different masks; Adam's
    epsilon is 1e-30 in both, as Keras and PyTorch place it differently (see
    tests/optimizers). Tolerance: 1e-10 relative on the loss, 1e-9 absolute on weights
    (see assert_adam_step_matches for gradients that are zero up to rounding).
    """
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (16, 28, 28, 1))
    y = rng.integers(0, 10, 16)
    model = course_cnn("float64")
    model.compile(dg.optimizers.Adam(1e-3, epsilon=1e-30),
                  dg.losses.SparseCategoricalCrossentropy(from_logits=True))
    net, layers = torch_twin(model)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-30)
    # PyTorch's layout of every weight, before the step: (ours, PyTorch's parameter).
    conv1, conv2, dense1, dense2 = layers
    pairs = [
        (lambda: conv1.kernel.numpy().transpose(3, 2, 0, 1), net[0].weight),
        (lambda: conv1.bias.numpy(), net[0].bias),
        (lambda: conv2.kernel.numpy().transpose(3, 2, 0, 1), net[3].weight),
        (lambda: conv2.bias.numpy(), net[3].bias),
        (lambda: dense1.kernel.numpy().reshape(7, 7, 64, 1024).transpose(2, 0, 1, 3)
         .reshape(3136, 1024).T, net[7].weight),
        (lambda: dense2.kernel.numpy().T, net[9].weight),
    ]
    before = [ours().copy() for ours, _ in pairs]

    tx = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
    loss_t = torch.nn.functional.cross_entropy(net(tx), torch.from_numpy(y))
    optimizer.zero_grad()
    loss_t.backward()
    optimizer.step()
    loss = model.train_on_batch(x, y)

    np.testing.assert_allclose(loss, loss_t.item(), rtol=1e-10)
    for (ours, theirs), start in zip(pairs, before, strict=True):
        assert_adam_step_matches(ours(), start, theirs)


def test_course_cnn_float32_forward_matches_torch():
    """The default float32 model: logits within 1e-4 of PyTorch's on the same weights."""
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (4, 28, 28, 1)).astype(np.float32)
    model = course_cnn("float32")
    net, _ = torch_twin(model)
    expected = net.float()(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).detach().numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-4)
