# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---
"""From scratch: gradients by hand, then the same numbers from deepgrad's tape.

Linear regression with hand-derived gradients, then with ``dg.GradientTape`` (the
gradients are equal); logistic regression on "is it too hot?" and on the digits; a
two-layer network in plain NumPy, then the same network in deepgrad with the same
weights, giving the same outputs and gradients.

Run: python examples/from_scratch.py [--quick] [--out DIR]
As a notebook: jupytext --to notebook examples/from_scratch.py
Figures (in examples/figures/): from_scratch_linear.png, from_scratch_too_hot.png
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
# Settings: `--quick` (fewer steps; the test suite runs it) and `--out`, the folder for
# the pictures. In a notebook the defaults apply.

# %%
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="fewer steps (seconds)")
parser.add_argument("--out", help="folder for the PNGs (default: examples/figures)")
args, _ = parser.parse_known_args()  # a notebook kernel adds arguments of its own
quick = args.quick
here = Path(globals().get("__file__", "examples/from_scratch.py")).resolve().parent
out_dir = Path(args.out) if args.out else here / "figures"
out_dir.mkdir(parents=True, exist_ok=True)
results: dict = {}
rng = np.random.default_rng(0)
dg.utils.set_random_seed(0)

# %% [markdown]
# ## 1. Linear regression, gradients by hand
# The model is $\hat y = w x + b$ and the loss the mean squared error
# $L = \frac1n\sum_i(\hat y_i - y_i)^2$. Its derivatives:
# $\partial L/\partial w = \frac2n\sum_i(\hat y_i - y_i)\,x_i$ and
# $\partial L/\partial b = \frac2n\sum_i(\hat y_i - y_i)$.

# %%
x = rng.uniform(-1, 1, 100).astype(np.float32)
y = (3 * x + 2 + rng.normal(0, 0.2, 100)).astype(np.float32)


def hand_gradients(w, b):
    error = w * x + b - y
    return 2 * np.mean(error * x), 2 * np.mean(error), np.mean(error**2)


w, b, learning_rate = np.float32(0.0), np.float32(0.0), 0.1
losses = []
for _ in range(50 if quick else 200):
    grad_w, grad_b, loss = hand_gradients(w, b)
    w, b = w - learning_rate * grad_w, b - learning_rate * grad_b
    losses.append(float(loss))
print(f"by hand: w = {w:.3f}, b = {b:.3f} (the data: w = 3, b = 2), loss {losses[-1]:.4f}")
results["hand"] = (float(w), float(b))

# %% [markdown]
# ## 2. The same with `dg.GradientTape`
# The tape records the operations and sends the gradient back: no derivative written by
# hand, and at every step it equals the hand-derived one.

# %%
w_var, b_var = dg.Variable(np.float32(0.0)), dg.Variable(np.float32(0.0))
largest_difference = 0.0
for _ in range(50 if quick else 200):
    with dg.GradientTape() as tape:
        loss = dg.ops.mean(dg.ops.square(w_var * x + b_var - y))
    grad_w, grad_b = tape.gradient(loss, [w_var, b_var])
    by_hand = hand_gradients(w_var.numpy(), b_var.numpy())[:2]
    largest_difference = max(largest_difference, abs(grad_w - by_hand[0]),
                             abs(grad_b - by_hand[1]))
    w_var.assign_sub(learning_rate * grad_w)
    b_var.assign_sub(learning_rate * grad_b)
print(f"tape:    w = {float(w_var.numpy()):.3f}, b = {float(b_var.numpy()):.3f}; largest "
      f"difference from the hand-derived gradient: {largest_difference:.2e}")
results["tape"] = (float(w_var.numpy()), float(b_var.numpy()))
results["tape_vs_hand"] = float(largest_difference)

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
left.scatter(x, y, s=8, label="data")
grid = np.linspace(-1, 1, 2)
left.plot(grid, w * grid + b, "r", label=f"fit: {w:.2f} x + {b:.2f}")
left.legend()
left.set_title("linear regression")
right.plot(losses)
right.set(title="loss by gradient descent", xlabel="step", yscale="log")
fig.savefig(out_dir / "from_scratch_linear.png", dpi=80)
plt.close(fig)

# %% [markdown]
# ## 3. Logistic regression: "is it too hot?"
# One input, the temperature; the answer is yes above about 28 degrees, with some
# disagreement near it. $p = \sigma(w t + b)$, the loss is the cross-entropy, and its
# gradient is $(p - y)\,t$: the same form as linear regression.

# %%
temperature = rng.uniform(10, 40, 200).astype(np.float32)
too_hot = (temperature + rng.normal(0, 2, 200) > 28).astype(np.float32)
t = (temperature - 25) / 10  # standardised: gradient descent likes inputs near 0


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


w, b = 0.0, 0.0
for _ in range(300 if quick else 2000):
    p = sigmoid(w * t + b)
    w -= 1.0 * np.mean((p - too_hot) * t)
    b -= 1.0 * np.mean(p - too_hot)
threshold = 25 - 10 * b / w  # where p = 0.5
accuracy = np.mean((sigmoid(w * t + b) > 0.5) == too_hot)
print(f"too hot above {threshold:.1f} degrees; training accuracy {accuracy:.3f}")
results["too_hot_threshold"], results["too_hot_accuracy"] = float(threshold), float(accuracy)
fig, axis = plt.subplots(figsize=(5, 3.5), layout="constrained")
axis.scatter(temperature, too_hot, s=8, alpha=0.5, label="answers")
grid = np.linspace(10, 40, 200)
axis.plot(grid, sigmoid(w * (grid - 25) / 10 + b), "r", label="P(too hot)")
axis.set(xlabel="temperature", title="is it too hot?")
axis.legend()
fig.savefig(out_dir / "from_scratch_too_hot.png", dpi=80)
plt.close(fig)

# %% [markdown]
# ## 4. Logistic regression on the digits (softmax, ten classes)
# The same rule with a matrix: $\nabla_W = X^\top(P - Y)/n$ where $P$ holds the softmax
# probabilities and $Y$ the one-hot labels.

# %%
digits_x, digits_y = load_digits(return_X_y=True)
digits_x = (digits_x / 16).astype(np.float32)
train, test = slice(0, 1400), slice(1400, None)
one_hot = dg.utils.to_categorical(digits_y, 10)
W, c = np.zeros((64, 10), np.float32), np.zeros(10, np.float32)
for _ in range(100 if quick else 500):
    logits = digits_x[train] @ W + c
    P = np.exp(logits - logits.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    W -= 0.5 * digits_x[train].T @ (P - one_hot[train]) / 1400
    c -= 0.5 * (P - one_hot[train]).mean(0)
digits_accuracy = np.mean(np.argmax(digits_x[test] @ W + c, 1) == digits_y[test])
print(f"softmax regression on the digits: test accuracy {digits_accuracy:.3f}")
results["digits_accuracy"] = float(digits_accuracy)

# %% [markdown]
# ## 5. A network in plain NumPy, and the same network in deepgrad
# 64 inputs, 32 ReLU units, 10 softmax outputs. Backpropagation by hand:
# $\delta_2 = (P - Y)/n$, $\nabla W_2 = H^\top\delta_2$,
# $\delta_1 = (\delta_2 W_2^\top)\odot[H > 0]$, $\nabla W_1 = X^\top\delta_1$.
# Then a `dg.Sequential` with the same weights: same outputs, same gradients.

# %%
W1 = rng.normal(0, 0.2, (64, 32)).astype(np.float32)
b1 = np.zeros(32, np.float32)
W2 = rng.normal(0, 0.2, (32, 10)).astype(np.float32)
b2 = np.zeros(10, np.float32)
batch_x, batch_y = digits_x[:64], one_hot[:64]

hidden = np.maximum(batch_x @ W1 + b1, 0)
logits = hidden @ W2 + b2
P = np.exp(logits - logits.max(1, keepdims=True))
P /= P.sum(1, keepdims=True)
numpy_loss = -np.mean(np.sum(batch_y * np.log(P), axis=1))
delta2 = (P - batch_y) / len(batch_x)
delta1 = (delta2 @ W2.T) * (hidden > 0)
numpy_grads = [batch_x.T @ delta1, delta1.sum(0), hidden.T @ delta2, delta2.sum(0)]

model = dg.Sequential([dg.layers.Dense(32, activation="relu", input_shape=(64,)),
                       dg.layers.Dense(10, activation="softmax")])
model.set_weights([W1, b1, W2, b2])
with dg.GradientTape() as tape:
    probabilities = model(batch_x)
    loss = dg.losses.CategoricalCrossentropy()(batch_y, probabilities)
tape_grads = tape.gradient(loss, model.trainable_weights)
output_difference = float(np.abs(probabilities.numpy() - P).max())
gradient_difference = max(float(np.abs(a - g).max()) for a, g in zip(numpy_grads, tape_grads))
print(f"NumPy loss {numpy_loss:.6f}, deepgrad loss {float(loss):.6f}; largest difference: "
      f"outputs {output_difference:.1e}, gradients {gradient_difference:.1e}")
results["network_output_difference"] = output_difference
results["network_gradient_difference"] = gradient_difference
