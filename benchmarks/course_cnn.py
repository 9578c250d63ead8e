"""The course CNN, built the same way in deepgrad and in PyTorch, for the CNN benchmarks.

Conv2D(32, 5, same, relu) -> MaxPooling2D(2) -> Conv2D(64, 5, same, relu) -> MaxPooling2D(2)
-> Flatten -> Dense(1024, relu) -> Dropout(0.5) -> Dense(10); Adam(1e-3); sparse categorical
cross-entropy from logits; input 28x28x1.
"""

from __future__ import annotations

import numpy as np

import deepgrad as dg


def deepgrad_cnn(seed: int = 0):
    """The compiled course CNN in deepgrad (channels_last)."""
    dg.utils.clear_session()
    dg.utils.set_random_seed(seed)
    model = dg.Sequential([
        dg.layers.Input((28, 28, 1)),
        dg.layers.Conv2D(32, 5, padding="same", activation="relu"),
        dg.layers.MaxPooling2D(2),
        dg.layers.Conv2D(64, 5, padding="same", activation="relu"),
        dg.layers.MaxPooling2D(2),
        dg.layers.Flatten(),
        dg.layers.Dense(1024, activation="relu"),
        dg.layers.Dropout(0.5),
        dg.layers.Dense(10),
    ], name="course_cnn")
    model.compile(optimizer=dg.optimizers.Adam(1e-3),
                  loss=dg.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def torch_cnn(torch, seed: int = 0):
    """The same network in PyTorch's default layout (NCHW), with its Adam and loss."""
    torch.manual_seed(seed)
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 1024), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(1024, 10),
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    return net, optimizer, nn.CrossEntropyLoss()


def torch_train_step(torch, net, optimizer, loss_fn):
    """One training step of the PyTorch model on NCHW float32 tensors ``(x, y)``."""
    def step(x, y):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step


def training_flops_per_image(model) -> float:
    """Floating-point operations per image in a training step: 2 per multiply-accumulate, for the
    forward pass, the weight gradients and the input gradients (none for the first layer,
    whose input needs no gradient)."""
    from deepgrad.models.summary import _macs, layer_rows

    macs = [(_macs(layer, i, o) or 0) for layer, i, o in layer_rows(model)]
    first = next(m for m in macs if m)
    return 2.0 * (3 * sum(macs) - first)


def matmul_peak_gflops(size: int = 1536, repeats: int = 5) -> float:
    """The best float32 GEMM rate NumPy's BLAS reaches here, in GFLOP/s."""
    import time

    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best / 1e9
