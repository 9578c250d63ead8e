# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---
"""Do networks understand? The fast gradient sign attack on a trained CNN.

Nudge every pixel by at most epsilon in the direction that raises the loss (the sign of
the loss's gradient with respect to the input, which ``GradientTape`` gives like any
other gradient): changes a person barely sees turn right answers wrong. Accuracy against
epsilon is plotted, with example images and the network's new beliefs.

Run: python examples/adversarial.py [--quick] [--out DIR]
As a notebook: jupytext --to notebook examples/adversarial.py
Figures (in examples/figures/): adversarial_accuracy.png, adversarial_examples.png
"""

# %%
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import deepgrad as dg  # noqa: E402

# %% [markdown]
# Settings: `--quick` (a smaller CNN trained briefly; the test suite runs it) and `--out`.

# %%
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="small data, short training")
parser.add_argument("--out", help="folder for the PNGs (default: examples/figures)")
args, _ = parser.parse_known_args()  # a notebook kernel adds arguments of its own
quick = args.quick
here = Path(globals().get("__file__", "examples/adversarial.py")).resolve().parent
out_dir = Path(args.out) if args.out else here / "figures"
out_dir.mkdir(parents=True, exist_ok=True)
results: dict = {}

# %% [markdown]
# ## 1. A CNN trained on Fashion-MNIST (the digits if it is not installed)

# %%
try:
    (x_train, y_train), (x_test, y_test) = dg.datasets.fashion_mnist.load_data(download=False)
    names = list(dg.datasets.fashion_mnist.CLASS_NAMES)
except (FileNotFoundError, OSError) as missing:
    from sklearn.datasets import load_digits

    print(f"Fashion-MNIST is not on this machine ({type(missing).__name__}); using the "
          f"digits instead. To get it: sudo apt-get install dataset-fashion-mnist")
    digits = load_digits()
    images = (digits.images * 255 / 16).astype(np.uint8)
    x_train, y_train, x_test, y_test = images[:1400], digits.target[:1400], images[1400:], \
        digits.target[1400:]
    names = [str(d) for d in range(10)]
train_limit, test_limit = (3000, 500) if quick else (len(x_train), 2000)
x_train = x_train[:train_limit, :, :, None].astype(np.float32) / 255
x_test = x_test[:test_limit, :, :, None].astype(np.float32) / 255
y_train, y_test = y_train[:train_limit], y_test[:test_limit]

dg.utils.set_random_seed(0)
width = 16 if quick else 32
model = dg.Sequential([
    dg.layers.Input(x_train.shape[1:]),
    dg.layers.Conv2D(width, 3, padding="same", activation="relu"), dg.layers.MaxPooling2D(),
    dg.layers.Conv2D(2 * width, 3, padding="same", activation="relu"),
    dg.layers.MaxPooling2D(), dg.layers.Flatten(),
    dg.layers.Dense(128, activation="relu"), dg.layers.Dense(10, activation="softmax"),
])
model.compile(dg.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, epochs=2 if quick else 5, batch_size=64, verbose=0)

# %% [markdown]
# ## 2. The attack
# $x_{adv} = \mathrm{clip}(x + \epsilon\,\mathrm{sign}(\nabla_x L(f(x), y)), 0, 1)$:
# one gradient per image, taken with respect to the image instead of the weights.

# %%
loss_fn = dg.losses.SparseCategoricalCrossentropy()


def fgsm(images, labels, epsilon):
    pixels = dg.Variable(images)
    with dg.GradientTape() as tape:
        loss = loss_fn(labels, model(pixels))
    return np.clip(images + epsilon * np.sign(tape.gradient(loss, pixels)), 0, 1)


epsilons = [0.0, 0.01, 0.02, 0.05, 0.1, 0.2]
accuracy = []
for epsilon in epsilons:
    attacked = fgsm(x_test, y_test, epsilon)
    accuracy.append(float(np.mean(np.argmax(model.predict(attacked, verbose=0), 1) == y_test)))
    print(f"epsilon {epsilon:<5} accuracy {accuracy[-1]:.3f}")
results["accuracy"] = dict(zip(epsilons, accuracy))
# The same size of change in a random direction, for comparison.
random_noise = np.clip(x_test + 0.1 * np.sign(np.random.default_rng(0).normal(
    size=x_test.shape)), 0, 1).astype(np.float32)
results["random_0.1"] = float(np.mean(np.argmax(model.predict(random_noise, verbose=0), 1)
                                      == y_test))
print(f"random signs of size 0.1 instead: accuracy {results['random_0.1']:.3f}")

fig, axis = plt.subplots(figsize=(5, 3.5), layout="constrained")
axis.plot(epsilons, accuracy, "o-", label="fast gradient sign")
axis.axhline(results["random_0.1"], color="gray", ls="--", label="random signs, 0.1")
axis.set(xlabel="epsilon (largest change of a pixel, 0..1)", ylabel="test accuracy",
         title="accuracy under attack", ylim=(0, 1))
axis.legend()
fig.savefig(out_dir / "adversarial_accuracy.png", dpi=80)
plt.close(fig)

# %% [markdown]
# ## 3. What the network now believes, at epsilon 0.05

# %%
attacked = fgsm(x_test[:6], y_test[:6], 0.05)
dg.visualization.plot_predictions(attacked, model.predict(attacked, verbose=0), names,
                                  true_labels=y_test[:6], top_k=4,
                                  path=out_dir / "adversarial_examples.png")
