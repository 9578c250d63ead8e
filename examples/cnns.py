# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---
"""CNNs: the course CNN on Fashion-MNIST, what it learned, big networks, and inverted images.

The course's CNN trained on Fashion-MNIST, its first-layer filters and the feature maps
of one image drawn, its predictions as probability bars; VGG16 and ResNet50 built, with
their parameter counts; and the inversion experiment: the trained network sees the same
test images with black and white swapped, and its accuracy collapses, although a
person reads them as easily.

Run: python examples/cnns.py [--quick] [--out DIR]
As a notebook: jupytext --to notebook examples/cnns.py
Figures (in examples/figures/): cnns_filters.png, cnns_feature_maps.png,
cnns_predictions.png, cnns_inverted.png
"""

# %%
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

import deepgrad as dg  # noqa: E402

# %% [markdown]
# Settings: `--quick` (2,000 images, one epoch, the small forms of VGG16 and ResNet50;
# the test suite runs it) and `--out`, the folder for the pictures.

# %%
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="small data, one epoch (seconds)")
parser.add_argument("--out", help="folder for the PNGs (default: examples/figures)")
args, _ = parser.parse_known_args()  # a notebook kernel adds arguments of its own
quick = args.quick
here = Path(globals().get("__file__", "examples/cnns.py")).resolve().parent
out_dir = Path(args.out) if args.out else here / "figures"
out_dir.mkdir(parents=True, exist_ok=True)
results: dict = {}

# %% [markdown]
# ## 1. The data (Fashion-MNIST; the 8x8 digits if it is not installed)

# %%
try:
    (x_train, y_train), (x_test, y_test) = dg.datasets.fashion_mnist.load_data(download=False)
    names = list(dg.datasets.fashion_mnist.CLASS_NAMES)
except (FileNotFoundError, OSError) as missing:
    from sklearn.datasets import load_digits

    print(f"Fashion-MNIST is not on this machine ({type(missing).__name__}); using the "
          f"8x8 digits instead. To get it: sudo apt-get install dataset-fashion-mnist")
    digits = load_digits()
    images = (digits.images * 255 / 16).astype(np.uint8)
    x_train, y_train, x_test, y_test = images[:1400], digits.target[:1400], images[1400:], \
        digits.target[1400:]
    names = [str(d) for d in range(10)]
train_limit, test_limit = (2000, 500) if quick else (len(x_train), len(x_test))
x_train = x_train[:train_limit, :, :, None].astype(np.float32) / 255
x_test = x_test[:test_limit, :, :, None].astype(np.float32) / 255
y_train, y_test = y_train[:train_limit], y_test[:test_limit]
print(f"{len(x_train)} training and {len(x_test)} test images of {x_train.shape[1:]}")

# %% [markdown]
# ## 2. The course CNN
# Conv2D(32, 5) -> MaxPooling2D -> Conv2D(64, 5) -> MaxPooling2D -> Flatten ->
# Dense(1024) -> Dropout(0.5) -> Dense(10, softmax).

# %%
dg.utils.set_random_seed(0)
model = dg.Sequential([
    dg.layers.Input(x_train.shape[1:]),
    dg.layers.Conv2D(32, 5, padding="same", activation="relu", name="conv1"),
    dg.layers.MaxPooling2D(2, name="pool1"),
    dg.layers.Conv2D(64, 5, padding="same", activation="relu", name="conv2"),
    dg.layers.MaxPooling2D(2, name="pool2"),
    dg.layers.Flatten(),
    dg.layers.Dense(1024, activation="relu"),
    dg.layers.Dropout(0.5),
    dg.layers.Dense(10, activation="softmax"),
], name="course_cnn")
model.summary()
model.compile(dg.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, epochs=1 if quick else 5, batch_size=128,
          validation_data=(x_test, y_test), verbose=0 if quick else 2)
results["accuracy"] = model.evaluate(x_test, y_test, verbose=0)[1]
print(f"test accuracy {results['accuracy']:.3f}")

# %% [markdown]
# ## 3. Inside: the first layer's filters, one image's feature maps, the probabilities

# %%
dg.visualization.plot_filters(model.get_layer("conv1"), path=out_dir / "cnns_filters.png")
dg.visualization.plot_feature_maps(model, "conv1", x_test[0], max_maps=32,
                                   path=out_dir / "cnns_feature_maps.png")
probabilities = model.predict(x_test[:6], verbose=0)
dg.visualization.plot_predictions(x_test[:6], probabilities, names, true_labels=y_test[:6],
                                  top_k=5, path=out_dir / "cnns_predictions.png")

# %% [markdown]
# ## 4. VGG16 and ResNet50: built, counted
# Random weights (nothing downloads). The full networks take 224x224x3 images; in quick
# mode only their convolutional bases are built, on 32x32 images.

# %%
for build, full_count in ((dg.applications.VGG16, 138_357_544),
                          (dg.applications.ResNet50, 25_636_712)):
    if quick:
        big = build(weights=None, include_top=False, input_shape=(32, 32, 3))
    else:
        big = build(weights=None)
    count = big.count_params()
    results[big.name] = count
    print(f"{big.name}: {len(big.layers)} layers, {count:,} parameters"
          + ("" if quick else f" (Keras: {full_count:,})"))
    del big

# %% [markdown]
# ## 5. The inversion experiment
# Swap black and white (`1 - x`). A person still sees a shirt; the network, which never
# saw a light background, does not.

# %%
inverted = 1.0 - x_test
results["inverted_accuracy"] = model.evaluate(inverted, y_test, verbose=0)[1]
print(f"accuracy: original {results['accuracy']:.3f}, inverted "
      f"{results['inverted_accuracy']:.3f}")
dg.visualization.plot_predictions(inverted[:6], model.predict(inverted[:6], verbose=0), names,
                                  true_labels=y_test[:6], top_k=5,
                                  path=out_dir / "cnns_inverted.png")
