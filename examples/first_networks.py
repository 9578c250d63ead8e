# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---
"""First networks: iris, Fashion-MNIST with every optimizer, and circles in a circle.

The iris network trained from arrays and from a ``dg.data.Dataset``; a dense network on
Fashion-MNIST trained with each optimizer the course names (SGD, momentum, Nesterov,
RMSprop, Adagrad, Adam, Nadam), their training curves side by side; the
circle-in-a-circle problem, where a linear model fails and a small network succeeds,
with both decision boundaries drawn.

Run: python examples/first_networks.py [--quick] [--out DIR]
As a notebook: jupytext --to notebook examples/first_networks.py
Figures (in examples/figures/): first_networks_optimizers.png,
first_networks_circles_linear.png, first_networks_circles_network.png
"""

# %%
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from sklearn.datasets import make_circles  # noqa: E402

import deepgrad as dg  # noqa: E402

# %% [markdown]
# Settings: `--quick` (small data, few epochs; the test suite runs it) and `--out`, the
# folder for the pictures. In a notebook the defaults apply.

# %%
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="small data, few epochs (seconds)")
parser.add_argument("--out", help="folder for the PNGs (default: examples/figures)")
args, _ = parser.parse_known_args()  # a notebook kernel adds arguments of its own
quick = args.quick
here = Path(globals().get("__file__", "examples/first_networks.py")).resolve().parent
out_dir = Path(args.out) if args.out else here / "figures"
out_dir.mkdir(parents=True, exist_ok=True)
results: dict = {}

# %% [markdown]
# ## 1. The iris network, from arrays and from a Dataset
# Four measurements in, three species out: Dense(10, relu) -> Dense(10, relu) ->
# Dense(3, softmax). `fit` takes NumPy arrays, or a `dg.data.Dataset` that shuffles and
# batches them itself.

# %%
(x_train, y_train), (x_test, y_test) = dg.datasets.iris.load_data(test_split=0.25, seed=42)


def iris_network():
    model = dg.Sequential([dg.layers.Dense(10, activation="relu", input_shape=(4,)),
                           dg.layers.Dense(10, activation="relu"),
                           dg.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


epochs = 100 if quick else 500
dg.utils.set_random_seed(42)
model = iris_network()
model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
results["iris_arrays"] = model.evaluate(x_test, y_test, verbose=0)[1]

dg.utils.set_random_seed(42)
train_set = (dg.data.Dataset.from_tensor_slices((x_train, y_train))
             .shuffle(len(x_train), seed=0).batch(32))
model = iris_network()
model.fit(train_set, epochs=epochs, verbose=0)
results["iris_dataset"] = model.evaluate(x_test, y_test, verbose=0)[1]
print(f"iris test accuracy: from arrays {results['iris_arrays']:.3f}, "
      f"from a Dataset {results['iris_dataset']:.3f}")

# %% [markdown]
# ## 2. Fashion-MNIST: one dense network, seven optimizers
# 784 pixels -> Dense(128, relu) -> Dense(10, softmax), the same initial weights for
# every optimizer. The course's learning rates: 0.01 for the SGD family and Adagrad,
# 0.001 for the adaptive ones. (Without the Fashion-MNIST files the example says so and
# uses scikit-learn's 8x8 digits.)

# %%
try:
    (f_train, g_train), (f_test, g_test) = dg.datasets.fashion_mnist.load_data(download=False)
    data_name = "Fashion-MNIST"
except (FileNotFoundError, OSError) as missing:
    from sklearn.datasets import load_digits

    print(f"Fashion-MNIST is not on this machine ({type(missing).__name__}); using the "
          f"8x8 digits instead. To get it: sudo apt-get install dataset-fashion-mnist")
    digits = load_digits()
    images = (digits.images * 255 / 16).astype(np.uint8)
    f_train, g_train, f_test, g_test = images[:1400], digits.target[:1400], images[1400:], \
        digits.target[1400:]
    data_name = "digits"
limit, test_limit = (2000, 500) if quick else (len(f_train), len(f_test))
f_train = f_train[:limit].reshape(len(f_train[:limit]), -1).astype(np.float32) / 255
f_test = f_test[:test_limit].reshape(len(f_test[:test_limit]), -1).astype(np.float32) / 255
g_train, g_test = g_train[:limit], g_test[:test_limit]

optimizers = {
    "SGD": lambda: dg.optimizers.SGD(0.01),
    "momentum": lambda: dg.optimizers.SGD(0.01, momentum=0.9),
    "Nesterov": lambda: dg.optimizers.SGD(0.01, momentum=0.9, nesterov=True),
    "RMSprop": lambda: dg.optimizers.RMSprop(0.001),
    "Adagrad": lambda: dg.optimizers.Adagrad(0.01),
    "Adam": lambda: dg.optimizers.Adam(0.001),
    "Nadam": lambda: dg.optimizers.Nadam(0.001),
}
dg.utils.set_random_seed(0)
template = dg.Sequential([dg.layers.Dense(128, activation="relu",
                                          input_shape=(f_train.shape[1],)),
                          dg.layers.Dense(10, activation="softmax")])
start = template.get_weights()
histories = {}
for name, make in optimizers.items():
    model = dg.models.clone_model(template)
    model.set_weights(start)
    model.compile(make(), "sparse_categorical_crossentropy", metrics=["accuracy"])
    histories[name] = model.fit(f_train, g_train, epochs=2 if quick else 10, batch_size=64,
                                validation_data=(f_test, g_test), verbose=0)
    results[f"{data_name} {name}"] = histories[name].history["val_accuracy"][-1]
    print(f"{data_name} {name:<9} test accuracy {results[f'{data_name} {name}']:.3f}")
dg.visualization.plot_history(histories, title=f"{data_name}: one network, seven optimizers",
                              path=out_dir / "first_networks_optimizers.png")

# %% [markdown]
# ## 3. A circle inside a circle
# No straight line separates the inner ring from the outer one, so logistic regression
# (one Dense unit with a sigmoid) stays near chance; eight hidden ReLU units bend the
# boundary around the inner ring.

# %%
points, rings = make_circles(n_samples=400 if quick else 1000, noise=0.08, factor=0.4,
                              random_state=0)
points = points.astype(np.float32)
for name, hidden in (("linear", []), ("network", [dg.layers.Dense(8, activation="relu")])):
    dg.utils.set_random_seed(1)
    model = dg.Sequential([dg.layers.Input((2,)), *hidden,
                           dg.layers.Dense(1, activation="sigmoid")])
    model.compile(dg.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    model.fit(points, rings, epochs=40 if quick else 150, batch_size=32, verbose=0)
    results[f"circles {name}"] = model.evaluate(points, rings, verbose=0)[1]
    print(f"circles, {name:<7}: accuracy {results[f'circles {name}']:.3f}")
    dg.visualization.plot_decision_boundary(
        model, points, rings, class_names=["outer", "inner"],
        title=f"{name}: accuracy {results[f'circles {name}']:.2f}",
        path=out_dir / f"first_networks_circles_{name}.png")
