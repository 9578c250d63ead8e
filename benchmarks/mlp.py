"""Small models on a CPU: deepgrad's fit against a plain PyTorch loop and scikit-learn.

Measures, side by side in one process, and prints ratios (higher is better for deepgrad):
1. the course's iris network (4-10-10-3, Adam, sparse categorical cross-entropy, accuracy
   metric) training step inside ``fit`` at batch 32, against a hand-written NumPy loop with
   the same Adam update (the floor for a NumPy framework) and a plain PyTorch loop;
2. a 784-128-10 MLP epoch over 60,000 Fashion-MNIST images at batch 128 with Adam,
   against a plain PyTorch loop and scikit-learn's MLPClassifier with the same settings.

Runs twice: as the environment is, and with OPENBLAS_CORETYPE unset (see README).

    python benchmarks/mlp.py            # both BLAS settings
    python benchmarks/mlp.py --child    # one run, current environment
    python benchmarks/mlp.py --child --cpu-time   # CPU time of all threads (shared machine)
    BENCH_THREADS=1 python benchmarks/mlp.py --child --cpu-time   # every framework on one thread

On a loaded machine, CPU time with two BLAS threads mostly counts OpenBLAS's (and PyTorch's
OpenMP) workers spinning while they wait for a core: compare on one thread there.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np
from common import (
    SETTLE,
    blas_label,
    interleaved,
    print_row,
    run_both_blas_settings,
    torch_or_none,
)

import deepgrad as dg


def iris_data():
    (x, y), _ = dg.datasets.iris.load_data(test_split=0.25, seed=0)
    return x.astype(np.float32), y


def deepgrad_iris(x, y, epochs, metrics=("accuracy",)):
    dg.utils.set_random_seed(0)
    model = dg.Sequential([
        dg.layers.Dense(10, activation="relu", input_shape=(4,)),
        dg.layers.Dense(10, activation="relu"),
        dg.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=list(metrics))
    return lambda: model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)


def numpy_iris(x, y, epochs, batch_size=32, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """The iris network's training written by hand in NumPy: the floor for a NumPy
    framework. Glorot-uniform weights, a shuffle per epoch, ReLU layers, softmax
    cross-entropy, Keras's Adam update (epsilon outside the square root, bias-corrected
    step size), float32 throughout; no metrics, no callbacks."""
    rng = np.random.default_rng(0)
    sizes = (4, 10, 10, 3)
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6 / (a + b))
        params += [rng.uniform(-limit, limit, (a, b)).astype(np.float32), np.zeros(b, np.float32)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    n = len(x)

    def run():
        step = 0
        for _ in range(epochs):
            order = rng.permutation(n)
            for i in range(0, n, batch_size):
                idx = order[i:i + batch_size]
                xb, yb = x[idx], y[idx]
                w1, b1, w2, b2, w3, b3 = params
                h1 = np.maximum(xb @ w1 + b1, 0)
                h2 = np.maximum(h1 @ w2 + b2, 0)
                z = h2 @ w3 + b3
                z -= z.max(axis=1, keepdims=True)
                p = np.exp(z)
                p /= p.sum(axis=1, keepdims=True)
                p[np.arange(len(yb)), yb] -= 1
                dz = p / np.float32(len(yb))
                d2 = (dz @ w3.T) * (h2 > 0)
                d1 = (d2 @ w2.T) * (h1 > 0)
                grads = [xb.T @ d1, d1.sum(0), h1.T @ d2, d2.sum(0), h2.T @ dz, dz.sum(0)]
                step += 1
                alpha = lr * np.sqrt(1 - beta_2 ** step) / (1 - beta_1 ** step)
                for p_, g, m_, v_ in zip(params, grads, m, v, strict=True):
                    m_ += (g - m_) * (1 - beta_1)
                    v_ += (g * g - v_) * (1 - beta_2)
                    p_ -= np.float32(alpha) * m_ / (np.sqrt(v_) + eps)

    return run


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


def floor_mlp(x, y, batch_size=128, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """The floor for a NumPy framework: only the arithmetic every step of the epoch must
    do, in NumPy, with nothing around it: gather the shuffled batch, the five products
    (forward, the kernels' gradients, the hidden layer's gradient) and Keras's Adam over
    the 101,770 weights (its twelve array passes, one call per array, on buffers kept
    between steps). No bias, activation, loss, metric or Python framework: those cost
    every framework more, so an epoch of any NumPy framework takes at least this long."""
    rng = np.random.default_rng(0)
    w1 = rng.uniform(-0.08, 0.08, (784, 128)).astype(np.float32)
    w2 = rng.uniform(-0.2, 0.2, (128, 10)).astype(np.float32)
    params = [w1, np.zeros(128, np.float32), w2, np.zeros(10, np.float32)]
    grads = [np.zeros_like(p) for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    n = len(x)
    h = np.empty((batch_size, 128), np.float32)
    z = np.empty((batch_size, 10), np.float32)
    dh = np.empty((batch_size, 128), np.float32)
    one_minus_1, one_minus_2 = np.array(1 - beta_1, np.float32), np.array(1 - beta_2, np.float32)
    eps_ = np.array(eps, np.float32)

    def run():
        order = rng.permutation(n)
        step = 0
        for i in range(0, n, batch_size):
            xb = x.take(order[i:i + batch_size], axis=0)
            hb, zb, dhb = h[:len(xb)], z[:len(xb)], dh[:len(xb)]
            np.matmul(xb, w1, out=hb)
            np.matmul(hb, w2, out=zb)
            # (the loss's gradient would be written into zb here)
            np.matmul(hb.T, zb, out=grads[2])
            np.matmul(zb, w2.T, out=dhb)
            np.matmul(xb.T, dhb, out=grads[0])
            step += 1
            alpha = np.array(lr * np.sqrt(1 - beta_2**step) / (1 - beta_1**step), np.float32)
            for p_, g, m_, v_ in zip(params, grads, m, v):
                delta = g - m_
                delta *= one_minus_1
                m_ += delta
                np.multiply(g, g, out=delta)
                delta -= v_
                delta *= one_minus_2
                v_ += delta
                denominator = np.sqrt(v_)
                denominator += eps_
                np.multiply(m_, alpha, out=delta)
                delta /= denominator
                p_ -= delta

    return run


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
    if os.environ.get("BENCH_THREADS"):  # deepgrad, NumPy's BLAS (scikit-learn) and PyTorch
        dg.config.set_num_threads(int(os.environ["BENCH_THREADS"]))
    clock = time.process_time if "--cpu-time" in sys.argv else time.perf_counter
    print(f"[{blas_label()}, BLAS threads {dg.config.get_num_threads()}, "
          f"{'CPU' if '--cpu-time' in sys.argv else 'wall'} time]")
    torch = torch_or_none()
    x, y = iris_data()
    epochs = 100
    steps = epochs * int(np.ceil(len(x) / 32))
    fns = {"deepgrad": deepgrad_iris(x, y, epochs),
           "deepgrad, no metric": deepgrad_iris(x, y, epochs, metrics=[]),
           "numpy": numpy_iris(x, y, epochs)}
    if torch is not None:
        fns["torch"] = torch_mlp(torch, [4, 10, 10, 3], x, y, 32, epochs)
    t = interleaved(fns, repeats=5, clock=clock, settle_for=SETTLE)
    us = {k: v / steps * 1e6 for k, v in t.items()}
    print(f"iris step inside fit (batch 32): deepgrad {us['deepgrad']:.1f} us/step "
          f"({us['deepgrad, no metric']:.1f} without the accuracy metric)")
    print_row("iris step vs a hand-written NumPy loop, same Adam (us/step)", us["deepgrad"],
              us["numpy"], "us/step", higher_is_better=False)
    print_row("  the same, fit without the accuracy metric", us["deepgrad, no metric"],
              us["numpy"], "us/step", higher_is_better=False)
    if torch is not None:
        print_row("iris training step vs plain PyTorch loop (us/step)", us["deepgrad"],
                  us["torch"], "us/step", higher_is_better=False)

    x, y, source = fashion_flat()
    fns = {"deepgrad": deepgrad_mlp(x, y), "sklearn": sklearn_mlp(x, y),
           "floor": floor_mlp(x, y)}
    if torch is not None:
        fns["torch"] = torch_mlp(torch, [784, 128, 10], x, y, 128, 1)
    t = interleaved(fns, repeats=3, clock=clock, settle_for=SETTLE)
    rate = {k: len(x) / v for k, v in t.items()}
    print(f"784-128-10 MLP, one epoch of {len(x):,} {source}, batch 128, Adam "
          f"(s an epoch: {', '.join(f'{k} {v:.3f}' for k, v in t.items())}):")
    if torch is not None:
        print_row("  vs plain PyTorch loop (samples/s)", rate["deepgrad"], rate["torch"],
                  "samples/s", higher_is_better=True)
    print_row("  vs scikit-learn MLPClassifier (samples/s)", rate["deepgrad"], rate["sklearn"],
              "samples/s", higher_is_better=True)
    fastest = max(v for k, v in rate.items() if k in ("torch", "sklearn"))
    print_row("  floor (gather, products, Adam alone) vs the fastest peer", rate["floor"],
              fastest, "samples/s", higher_is_better=True)
    print_row("  vs the floor (1.00x: nothing but the floor's arithmetic)", rate["deepgrad"],
              rate["floor"], "samples/s", higher_is_better=True)


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        sys.exit(run_both_blas_settings(__file__, []))
