# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---
"""Auto-encoders: dense, convolutional and denoising, and a 2-D latent space.

A network trained to give back its input through a narrow middle learns a short code
for each picture. A dense auto-encoder with a 2-number code, whose codes for the test
images are plotted coloured by class (similar clothes land together although no label
was used); a convolutional one (``Conv2D`` down, ``Conv2DTranspose`` up); and the same
convolutional network trained to remove noise: noisy picture in, clean picture out.

Run: python examples/autoencoders.py [--quick] [--out DIR]
As a notebook: jupytext --to notebook examples/autoencoders.py
Figures (in examples/figures/): autoencoders_reconstructions.png,
autoencoders_latent_space.png
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
# Settings: `--quick` (2,000 images, few epochs; the test suite runs it) and `--out`.

# %%
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="small data, few epochs (seconds)")
parser.add_argument("--out", help="folder for the PNGs (default: examples/figures)")
args, _ = parser.parse_known_args()  # a notebook kernel adds arguments of its own
quick = args.quick
here = Path(globals().get("__file__", "examples/autoencoders.py")).resolve().parent
out_dir = Path(args.out) if args.out else here / "figures"
out_dir.mkdir(parents=True, exist_ok=True)
results: dict = {}

# %% [markdown]
# ## 1. Fashion-MNIST (the digits, padded to 16x16, if it is not installed)

# %%
try:
    (x_train, y_train), (x_test, y_test) = dg.datasets.fashion_mnist.load_data(download=False)
    names = list(dg.datasets.fashion_mnist.CLASS_NAMES)
except (FileNotFoundError, OSError) as missing:
    from sklearn.datasets import load_digits

    print(f"Fashion-MNIST is not on this machine ({type(missing).__name__}); using the "
          f"digits instead. To get it: sudo apt-get install dataset-fashion-mnist")
    digits = load_digits()
    images = np.pad(digits.images * 255 / 16, ((0, 0), (4, 4), (4, 4))).astype(np.uint8)
    x_train, y_train, x_test, y_test = images[:1400], digits.target[:1400], images[1400:], \
        digits.target[1400:]
    names = [str(d) for d in range(10)]
train_limit, test_limit = (2000, 500) if quick else (len(x_train), len(x_test))
x_train = x_train[:train_limit, :, :, None].astype(np.float32) / 255
x_test = x_test[:test_limit, :, :, None].astype(np.float32) / 255
y_test = y_test[:test_limit]
side = x_train.shape[1]
pixels = side * side
epochs = 3 if quick else 20
rng = np.random.default_rng(0)


def train(model, inputs, targets):
    model.compile(dg.optimizers.Adam(2e-3), "binary_crossentropy")
    model.fit(inputs, targets, epochs=epochs, batch_size=64, verbose=0)
    return model


# %% [markdown]
# ## 2. Dense, with a 2-number code
# pixels -> 256 -> 64 -> **2** -> 64 -> 256 -> pixels. The encoder is the first half.

# %%
dg.utils.set_random_seed(0)
encoder = dg.Sequential([dg.layers.Input((side, side, 1)), dg.layers.Flatten(),
                         dg.layers.Dense(256, activation="relu"),
                         dg.layers.Dense(64, activation="relu"),
                         dg.layers.Dense(2, name="code")], name="encoder")
decoder = dg.Sequential([dg.layers.Input((2,)), dg.layers.Dense(64, activation="relu"),
                         dg.layers.Dense(256, activation="relu"),
                         dg.layers.Dense(pixels, activation="sigmoid"),
                         dg.layers.Reshape((side, side, 1))], name="decoder")
dense_ae = train(dg.Sequential([encoder, decoder], name="dense_autoencoder"), x_train, x_train)
codes = encoder.predict(x_test, verbose=0)

# %% [markdown]
# ## 3. Convolutional: Conv2D down, Conv2DTranspose up

# %%
def conv_autoencoder(name):
    return dg.Sequential([
        dg.layers.Input((side, side, 1)),
        dg.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu"),
        dg.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        dg.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
        dg.layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),
        dg.layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
    ], name=name)


dg.utils.set_random_seed(1)
conv_ae = train(conv_autoencoder("conv_autoencoder"), x_train, x_train)

# %% [markdown]
# ## 4. Denoising: noisy in, clean out

# %%
def noisy(x):
    return np.clip(x + rng.normal(0, 0.3, x.shape), 0, 1).astype(np.float32)


dg.utils.set_random_seed(2)
denoiser = train(conv_autoencoder("denoising_autoencoder"), noisy(x_train), x_train)
noisy_test = noisy(x_test)

# %% [markdown]
# ## 5. How close are the reconstructions? The pictures

# %%
outputs = {"dense (2-number code)": dense_ae.predict(x_test, verbose=0),
           "convolutional": conv_ae.predict(x_test, verbose=0),
           "denoised": denoiser.predict(noisy_test, verbose=0)}
for name, output in outputs.items():
    results[name] = float(np.mean((output - x_test) ** 2))
results["noisy input"] = float(np.mean((noisy_test - x_test) ** 2))
for name in ("noisy input", *outputs):
    print(f"mean squared error against the clean test images, {name:<22} {results[name]:.4f}")
rows = {"input": x_test, "noisy input": noisy_test, **outputs}
fig, axes = plt.subplots(len(rows), 8, figsize=(8 * 1.1, len(rows) * 1.2), layout="constrained")
for r, (name, images) in enumerate(rows.items()):
    for c in range(8):
        axes[r, c].imshow(images[c, :, :, 0], cmap="gray", vmin=0, vmax=1)
        axes[r, c].axis("off")
    axes[r, 0].set_title(name, fontsize=8, loc="left")
fig.savefig(out_dir / "autoencoders_reconstructions.png", dpi=80)
plt.close(fig)

fig, axis = plt.subplots(figsize=(6, 5), layout="constrained")
points = axis.scatter(codes[:, 0], codes[:, 1], c=y_test, cmap="tab10", s=6)
handles = [plt.Line2D([], [], marker="o", ls="", color=points.cmap(points.norm(k)))
           for k in range(10)]
axis.legend(handles, names, fontsize=7, loc="best")
axis.set_title("the dense auto-encoder's 2-number codes, coloured by class")
fig.savefig(out_dir / "autoencoders_latent_space.png", dpi=80)
plt.close(fig)
centroids = np.array([codes[y_test == k].mean(0) for k in range(10)])
spread = np.mean([np.linalg.norm(codes[y_test == k] - centroids[k], axis=1).mean()
                  for k in range(10)])
results["latent_separation"] = float(np.linalg.norm(centroids[:, None] - centroids[None],
                                                    axis=-1).mean() / spread)
print(f"latent space: distance between class centres / spread within a class "
      f"{results['latent_separation']:.2f}")
