# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---
"""Regularisation: dropout, L1/L2, batch normalisation, gradient clipping, vanishing gradients.

A network much larger than its data (300 of scikit-learn's digits) learns the training
set by heart; dropout, an L2 or L1 penalty and batch normalisation each narrow the gap
between training and test accuracy. Gradient clipping keeps a too-large learning rate
from blowing up. A deep sigmoid network's gradients fade layer by layer towards the
input, while the same depth with ReLU and He initialisation keeps them alive: the
per-layer gradient norms are plotted.

Run: python examples/regularisation.py [--quick] [--out DIR]
As a notebook: jupytext --to notebook examples/regularisation.py
Figures (in examples/figures/): regularisation_curves.png, regularisation_gradients.png
"""

# %%
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

import deepgrad as dg  # noqa: E402

# %% [markdown]
# Settings: `--quick` (fewer epochs; the test suite runs it) and `--out`, the folder for
# the pictures. In a notebook the defaults apply.

# %%
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="fewer epochs (seconds)")
parser.add_argument("--out", help="folder for the PNGs (default: examples/figures)")
args, _ = parser.parse_known_args()  # a notebook kernel adds arguments of its own
quick = args.quick
here = Path(globals().get("__file__", "examples/regularisation.py")).resolve().parent
out_dir = Path(args.out) if args.out else here / "figures"
out_dir.mkdir(parents=True, exist_ok=True)
results: dict = {}

# %% [markdown]
# ## 1. Overfitting, and four ways to fight it
# 300 training images, 256-256 hidden units: about 83,000 weights for 300 examples.

# %%
digits_x, digits_y = load_digits(return_X_y=True)
digits_x = (digits_x / 16).astype(np.float32)
x_train, y_train = digits_x[:300], digits_y[:300]
x_test, y_test = digits_x[1000:], digits_y[1000:]


def network(kind: str) -> dg.Sequential:
    penalty = {"L2": dg.regularizers.L2(1e-3), "L1": dg.regularizers.L1(1e-4)}.get(kind)
    layers = [dg.layers.Input((64,))]
    for _ in range(2):
        layers.append(dg.layers.Dense(256, kernel_regularizer=penalty,
                                      use_bias=kind != "batch norm"))
        if kind == "batch norm":
            layers.append(dg.layers.BatchNormalization())
        layers.append(dg.layers.Activation("relu"))
        if kind == "dropout":
            layers.append(dg.layers.Dropout(0.5))
    layers.append(dg.layers.Dense(10, activation="softmax"))
    return dg.Sequential(layers, name=kind.replace(" ", "_"))


histories = {}
for kind in ("none", "dropout", "L2", "L1", "batch norm"):
    dg.utils.set_random_seed(0)
    model = network(kind)
    model.compile(dg.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    histories[kind] = model.fit(x_train, y_train, epochs=15 if quick else 60, batch_size=32,
                                validation_data=(x_test, y_test), verbose=0)
    train_accuracy = model.evaluate(x_train, y_train, verbose=0)[1]
    test_accuracy = histories[kind].history["val_accuracy"][-1]
    results[kind] = (train_accuracy, test_accuracy)
    print(f"{kind:<10}  train accuracy {train_accuracy:.3f}  test accuracy {test_accuracy:.3f}"
          f"  gap {train_accuracy - test_accuracy:+.3f}")
dg.visualization.plot_history(histories, metrics=["loss", "accuracy"],
                              title="300 digits, 83,000 weights",
                              path=out_dir / "regularisation_curves.png")

# %% [markdown]
# ## 2. Gradient clipping
# Linear regression of the digit's value on raw pixels (0 to 16, not scaled), plain SGD
# with learning rate 0.001: each step overshoots more than the last and the loss grows
# to infinity (deepgrad's `fit` stops there and says why). `clipnorm=10` rescales each
# gradient to norm at most 10 before the step, and the same learning rate converges.

# %%
raw_x, raw_y = load_digits(return_X_y=True)
raw_x, raw_y = raw_x[:300].astype(np.float32), raw_y[:300].astype(np.float32)
for clip in (None, 10.0):
    dg.utils.set_random_seed(0)
    model = dg.Sequential([dg.layers.Input((64,)), dg.layers.Dense(1)])
    model.compile(dg.optimizers.SGD(0.001, clipnorm=clip), "mse")
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # the overflow is the lesson
            history = model.fit(raw_x, raw_y, epochs=20, batch_size=32, verbose=0)
        first, results[f"clipnorm={clip}"] = history.history["loss"][0], \
            history.history["loss"][-1]
        print(f"SGD(0.001, clipnorm={clip}): loss {first:.1f} after one epoch, "
              f"{results[f'clipnorm={clip}']:.1f} after 20")
    except FloatingPointError as error:
        results[f"clipnorm={clip}"] = float("inf")
        print(f"SGD(0.001, clipnorm={clip}): {str(error).split('. ')[0]}")

# %% [markdown]
# ## 3. Vanishing gradients
# Ten sigmoid layers: the sigmoid's slope is at most 1/4, so each layer multiplies the
# gradient by a small number on its way back. The gradient norm of each layer's kernel,
# from the output (right) to the input (left), for sigmoid and for ReLU with He
# initialisation.

# %%
def deep(activation: str, initializer: str) -> dg.Sequential:
    return dg.Sequential([dg.layers.Input((64,))]
                         + [dg.layers.Dense(32, activation=activation,
                                            kernel_initializer=initializer)
                            for _ in range(10)]
                         + [dg.layers.Dense(10, activation="softmax")])


norms = {}
loss_fn = dg.losses.SparseCategoricalCrossentropy()
for activation, initializer in (("sigmoid", "glorot_uniform"), ("relu", "he_normal")):
    dg.utils.set_random_seed(0)
    model = deep(activation, initializer)
    with dg.GradientTape() as tape:
        loss = loss_fn(y_train[:128], model(x_train[:128], training=True))
    kernels = [layer.kernel for layer in model.layers]
    grads = tape.gradient(loss, kernels)
    norms[activation] = [float(np.linalg.norm(g)) for g in grads]
    results[f"gradient ratio {activation}"] = norms[activation][0] / norms[activation][-1]
    print(f"{activation:<8} first-layer / last-layer gradient norm: "
          f"{results[f'gradient ratio {activation}']:.2e}")
fig, axis = plt.subplots(figsize=(6, 3.5), layout="constrained")
for activation, values in norms.items():
    axis.semilogy(range(1, len(values) + 1), values, "o-", label=activation)
axis.set(xlabel="layer (1 = next to the input)", ylabel="gradient norm of the kernel",
         title="vanishing gradients: 11 dense layers")
axis.legend()
fig.savefig(out_dir / "regularisation_gradients.png", dpi=80)
plt.close(fig)
