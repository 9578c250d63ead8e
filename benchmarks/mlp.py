"""Small models on a CPU: deepgrad's fit against a plain PyTorch loop and scikit-learn.

Measures, side by side in one process, and prints ratios (higher is better for deepgrad):
1. the course's iris network (4-10-10-3, Adam, sparse categorical cross-entropy, accuracy
   metric) training step inside ``fit`` at batch 32, against a plain PyTorch loop;
2. a 784-128-10 MLP epoch over 60,000 Fashion-MNIST images at batch 128 with Adam,
   against a plain PyTorch loop and scikit-learn's MLPClassifier with the same settings.

Runs twice: as the environment is, and with OPENBLAS_CORETYPE unset (see README).

    python benchmarks/mlp.py            # both BLAS settings
    python benchmarks/mlp.py --child    # one run, current environment
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
from common import blas_label, interleaved, print_row, run_both_blas_settings, torch_or_none

import deepgrad as dg


def iris_data():
    (x, y), _ = dg.datasets.iris.load_data(test_split=0.25, seed=0)
    return x.astype(np.float32), y


def deepgrad_iris(x, y, epochs):
    dg.utils.set_random_seed(0)
    model = dg.Sequential([
        dg.layers.Dense(10, activation="relu", input_shape=(4,)),
        dg.layers.Dense(10, activation="relu"),
        dg.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return lambda: model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)


def torch_mlp(torch, sizes, x, y, batch_size, epochs):
    torch.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    X, Y = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    n = len(X)

    def run():
        for _ in range(epochs):
            perm = torch.randperm(n)
            for i in range(0, n, batch_size):
                idx = perm[i:i + batch_size]
                opt.zero_grad()
                loss = loss_fn(net(X[idx]), Y[idx])
                loss.backward()
                opt.step()

    return run


def fashion_flat():
    try:
        (x, y), _ = dg.datasets.fashion_mnist.load_data(download=False)
        source = "Fashion-MNIST"
    except OSError:
        rng = np.random.default_rng(0)
        x, y = rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8), rng.integers(0, 10, 60000)
        source = "random images (Fashion-MNIST not installed)"
    return (x.reshape(len(x), -1) / np.float32(255)).astype(np.float32), y.astype(np.int64), source


def deepgrad_mlp(x, y):
    dg.utils.set_random_seed(0)
    model = dg.Sequential([
        dg.layers.Dense(128, activation="relu", input_shape=(784,)),
        dg.layers.Dense(10),
    ])
    model.compile(optimizer="adam",
                  loss=dg.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return lambda: model.fit(x, y, batch_size=128, epochs=1, verbose=0)


def sklearn_mlp(x, y):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    def run():
        clf = MLPClassifier(hidden_layer_sizes=(128,), solver="adam", batch_size=128,
                            learning_rate_init=1e-3, alpha=0.0, max_iter=1, shuffle=True,
                            random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(x, y)

    return run


def child() -> None:
    print(f"[{blas_label()}, BLAS threads {dg.config.get_num_threads()}]")
    torch = torch_or_none()
    x, y = iris_data()
    epochs = 100
    steps = epochs * int(np.ceil(len(x) / 32))
    fns = {"deepgrad": deepgrad_iris(x, y, epochs)}
    if torch is not None:
        fns["torch"] = torch_mlp(torch, [4, 10, 10, 3], x, y, 32, epochs)
    t = interleaved(fns, repeats=5)
    us = {k: v / steps * 1e6 for k, v in t.items()}
    print(f"iris step inside fit (batch 32): deepgrad {us['deepgrad']:.1f} us/step")
    if torch is not None:
        print_row("iris training step vs plain PyTorch loop (us/step)", us["deepgrad"],
                  us["torch"], "us/step", higher_is_better=False)

    x, y, source = fashion_flat()
    fns = {"deepgrad": deepgrad_mlp(x, y), "sklearn": sklearn_mlp(x, y)}
    if torch is not None:
        fns["torch"] = torch_mlp(torch, [784, 128, 10], x, y, 128, 1)
    t = interleaved(fns, repeats=3)
    rate = {k: len(x) / v for k, v in t.items()}
    print(f"784-128-10 MLP, one epoch of {len(x):,} {source}, batch 128, Adam:")
    if torch is not None:
        print_row("  vs plain PyTorch loop (samples/s)", rate["deepgrad"], rate["torch"],
                  "samples/s", higher_is_better=True)
    print_row("  vs scikit-learn MLPClassifier (samples/s)", rate["deepgrad"], rate["sklearn"],
              "samples/s", higher_is_better=True)


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        sys.exit(run_both_blas_settings(__file__, []))
