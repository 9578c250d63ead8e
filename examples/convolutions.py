# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---
"""Convolutions by hand and by deepgrad: worked examples, filters, backprop, a low-level CNN.

The course's 1-D and 2-D worked examples (with the correct values); convolution by NumPy
and SciPy against ``dg.nn.conv2d``; the sharpen and Sobel kernels on a real photograph;
the convolution's backpropagation formulas against the tape; the course's low-level CNN
written with ``GradientTape`` and ``dg.nn``; batch normalisation by hand against the
layer; and data augmentation (flips, rotations, shifts, noise) as a grid of images.

Run: python examples/convolutions.py [--quick] [--out DIR]
As a notebook: jupytext --to notebook examples/convolutions.py
Figures (in examples/figures/): convolutions_filters.png, convolutions_augmentation.png
"""

# %%
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.signal import correlate2d  # noqa: E402
from sklearn.datasets import load_digits, load_sample_image  # noqa: E402

import deepgrad as dg  # noqa: E402

# %% [markdown]
# Settings: `--quick` (fewer training steps; the test suite runs it) and `--out`, the
# folder for the pictures. In a notebook the defaults apply.

# %%
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="fewer training steps (seconds)")
parser.add_argument("--out", help="folder for the PNGs (default: examples/figures)")
args, _ = parser.parse_known_args()  # a notebook kernel adds arguments of its own
quick = args.quick
here = Path(globals().get("__file__", "examples/convolutions.py")).resolve().parent
out_dir = Path(args.out) if args.out else here / "figures"
out_dir.mkdir(parents=True, exist_ok=True)
results: dict = {}
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The course's worked examples
# Slide B along A, multiply and add: `len(A) - len(B) + 1` values. (The course text
# prints `[17, 22, 39, 44]`; its own rule gives `[32, 32, 44, 44]`.) In 2-D, the 3x3
# X-shaped kernel on a 5x5 binary image.

# %%
a = np.array([5, 3, 7, 5, 9, 7], np.float32)
b = np.array([1, 2, 3], np.float32)
by_hand = [float(a[i:i + 3] @ b) for i in range(len(a) - len(b) + 1)]
by_deepgrad = dg.nn.conv1d(a.reshape(1, 6, 1), b.reshape(3, 1, 1)).numpy().ravel()
print(f"1-D: by hand {by_hand}, dg.nn.conv1d {by_deepgrad.tolist()}")
results["conv1d"] = by_deepgrad.tolist()

image = np.array([[0, 1, 0, 0, 1], [1, 1, 0, 1, 0], [1, 1, 1, 0, 1], [0, 1, 0, 1, 0],
                  [0, 0, 1, 0, 0]], np.float32)
x_kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], np.float32)
out = dg.nn.conv2d(image.reshape(1, 5, 5, 1), x_kernel.reshape(3, 3, 1, 1)).numpy()[0, :, :, 0]
print(f"2-D: the X kernel on the 5x5 image:\n{out.astype(int)}")
results["conv2d"] = out.tolist()

# %% [markdown]
# ## 2. NumPy, SciPy and deepgrad agree
# Deep-learning "convolution" is cross-correlation (the kernel is not flipped):
# `scipy.signal.correlate2d(..., mode="valid")`, and a plain double loop.

# %%
picture = rng.normal(size=(12, 10)).astype(np.float32)
kernel = rng.normal(size=(3, 4)).astype(np.float32)
loops = np.array([[np.sum(picture[i:i + 3, j:j + 4] * kernel) for j in range(7)]
                  for i in range(10)])
scipy_out = correlate2d(picture, kernel, mode="valid")
deepgrad_out = dg.nn.conv2d(picture[None, :, :, None], kernel[:, :, None, None]).numpy()
results["numpy_vs_deepgrad"] = float(np.abs(loops - deepgrad_out[0, :, :, 0]).max())
results["scipy_vs_deepgrad"] = float(np.abs(scipy_out - deepgrad_out[0, :, :, 0]).max())
print(f"largest difference: loops {results['numpy_vs_deepgrad']:.1e}, "
      f"SciPy {results['scipy_vs_deepgrad']:.1e}")

# %% [markdown]
# ## 3. Sharpen and Sobel on a photograph
# scikit-learn ships two photographs; the grey version of one, 'same' padding.

# %%
photo = load_sample_image("china.jpg").mean(axis=2).astype(np.float32) / 255
kernels = {
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "Sobel (vertical edges)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "Sobel (horizontal edges)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
}
bank = np.stack([np.array(k, np.float32) for k in kernels.values()], axis=-1)[:, :, None, :]
filtered = dg.nn.conv2d(photo[None, :, :, None], bank, padding="SAME").numpy()[0]
fig, axes = plt.subplots(1, 4, figsize=(14, 3), layout="constrained")
axes[0].imshow(photo, cmap="gray")
axes[0].set_title("photograph")
for k, (axis, name) in enumerate(zip(axes[1:], kernels)):
    axis.imshow(np.clip(filtered[:, :, k], 0, 1) if k == 0 else np.abs(filtered[:, :, k]),
                cmap="gray")
    axis.set_title(name)
for axis in axes:
    axis.axis("off")
fig.savefig(out_dir / "convolutions_filters.png", dpi=70)
plt.close(fig)
results["sobel_mean"] = float(np.abs(filtered[:, :, 1]).mean())

# %% [markdown]
# ## 4. Backpropagation through a convolution
# For $Y = X \star K$ (valid cross-correlation) and an upstream gradient $G$:
# $\partial L/\partial K = X \star G$ (cross-correlate the input with the gradient) and
# $\partial L/\partial X = G * K$ (full convolution: pad $G$, flip $K$).

# %%
x = rng.normal(size=(7, 6)).astype(np.float64)
k = rng.normal(size=(3, 2)).astype(np.float64)
g = rng.normal(size=(5, 5)).astype(np.float64)
grad_k_formula = correlate2d(x, g, mode="valid")
grad_x_formula = correlate2d(np.pad(g, ((2, 2), (1, 1))), k[::-1, ::-1], mode="valid")
x_var, k_var = dg.Variable(x[None, :, :, None]), dg.Variable(k[:, :, None, None])
with dg.GradientTape() as tape:
    y = dg.nn.conv2d(x_var, k_var)
    loss = dg.ops.sum(y * g[None, :, :, None])  # so that dL/dY = G
grad_x, grad_k = tape.gradient(loss, [x_var, k_var])
results["backprop_kernel"] = float(np.abs(grad_k[:, :, 0, 0] - grad_k_formula).max())
results["backprop_input"] = float(np.abs(grad_x[0, :, :, 0] - grad_x_formula).max())
print(f"formulas against the tape (float64): kernel {results['backprop_kernel']:.1e}, "
      f"input {results['backprop_input']:.1e}")

# %% [markdown]
# ## 5. The course's low-level CNN: variables, `dg.nn` and a tape
# conv 3x3 (8 filters) -> ReLU -> max-pool 2 -> dense 10, on the 8x8 digits, with a
# training loop written out: forward, loss, gradients, SGD step.

# %%
digits = load_digits()
images = (digits.images / 16).astype(np.float32)[..., None]
labels = digits.target
train_x, train_y, test_x, test_y = images[:1400], labels[:1400], images[1400:], labels[1400:]
dg.utils.set_random_seed(0)
init = dg.initializers.HeNormal(seed=0)
w_conv = dg.Variable(init((3, 3, 1, 8)))
b_conv = dg.Variable(np.zeros(8, np.float32))
w_out = dg.Variable(dg.initializers.GlorotUniform(seed=1)((4 * 4 * 8, 10)))
b_out = dg.Variable(np.zeros(10, np.float32))
weights = [w_conv, b_conv, w_out, b_out]


def forward(batch):
    h = dg.nn.relu(dg.nn.conv2d(batch, w_conv, padding="SAME") + b_conv)
    h = dg.nn.max_pool2d(h, ksize=2, strides=2)
    return dg.ops.reshape(h, (-1, 4 * 4 * 8)) @ w_out + b_out


for _epoch in range(2 if quick else 10):
    order = rng.permutation(len(train_x))
    for start in range(0, len(order), 32):
        chosen = order[start:start + 32]
        with dg.GradientTape() as tape:
            logits = forward(train_x[chosen])
            loss = dg.ops.mean(dg.nn.sparse_softmax_cross_entropy_with_logits(
                train_y[chosen], logits))
        for variable, grad in zip(weights, tape.gradient(loss, weights)):
            variable.assign_sub(0.1 * grad)
accuracy = float(np.mean(np.argmax(forward(test_x).numpy(), 1) == test_y))
results["low_level_cnn"] = accuracy
print(f"low-level CNN on the digits: test accuracy {accuracy:.3f}")

# %% [markdown]
# ## 6. Batch normalisation by hand, against the layer
# In training: subtract the batch mean, divide by $\sqrt{\sigma^2 + \epsilon}$, scale by
# $\gamma$ and shift by $\beta$; the moving averages move by `1 - momentum`.

# %%
batch = rng.normal(3, 2, size=(16, 5)).astype(np.float32)
layer = dg.layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
layer.build((None, 5))
gamma, beta = rng.uniform(0.5, 2, 5).astype(np.float32), rng.normal(size=5).astype(np.float32)
layer.set_weights([gamma, beta, np.zeros(5, np.float32), np.ones(5, np.float32)])
by_layer = layer(batch, training=True).numpy()
mean, variance = batch.mean(0), batch.var(0)
by_hand = gamma * (batch - mean) / np.sqrt(variance + 1e-3) + beta
moving_mean = 0.9 * 0 + 0.1 * mean
results["batchnorm"] = float(np.abs(by_layer - by_hand).max())
results["batchnorm_moving_mean"] = float(np.abs(layer.moving_mean.numpy() - moving_mean).max())
print(f"batch norm by hand against the layer: outputs {results['batchnorm']:.1e}, "
      f"moving mean {results['batchnorm_moving_mean']:.1e}")

# %% [markdown]
# ## 7. Augmentation: the same digit, transformed at random
# Each row is one transformation applied 6 times: the preprocessing layers are active
# with `training=True`.

# %%
digit = np.repeat(images[2:3] * 255, 6, axis=0)  # a 2: not symmetric, flips show
augmenters = {
    "flip": dg.layers.RandomFlip("horizontal", seed=1),
    "rotate": dg.layers.RandomRotation(0.1, seed=2),
    "shift": dg.layers.RandomTranslation(0.2, 0.2, seed=3),
    "noise": dg.layers.GaussianNoise(40.0, seed=4),
}
rows = [np.clip(layer(digit, training=True).numpy(), 0, 255) for layer in augmenters.values()]
grid = np.concatenate(rows)
dg.visualization.plot_image_gallery(
    grid, rows=len(augmenters), cols=6, y_true=np.repeat(np.arange(len(augmenters)), 6),
    label_map=dict(enumerate(augmenters)), scale=1.2,
    path=out_dir / "convolutions_augmentation.png", transparent=False, dpi=70)
results["augmented_differs"] = [float(np.abs(r - digit).mean()) for r in rows]
