# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---
"""Classify and localise: a two-headed CNN says which shape is in the picture and where.

A generated dataset of 48x48 pictures, each holding one shape (a rectangle, an ellipse or
a triangle) of random size and place on a noisy background, with its class and its
bounding box. One convolutional base, two heads: a softmax over the three shapes and
four sigmoid outputs for the box (relative ``xyxy``), trained together with two losses.
The predicted boxes are drawn over the true ones, and scored by their IoU. (The
transfer-learning half of this topic is examples/transfer_learning.py.)

Run: python examples/localisation.py [--quick] [--out DIR]
As a notebook: jupytext --to notebook examples/localisation.py
Figures (in examples/figures/): localisation_boxes.png, localisation_history.png
"""

# %%
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

import deepgrad as dg  # noqa: E402

# %% [markdown]
# Settings: `--quick` (fewer pictures and epochs; the test suite runs it) and `--out`.

# %%
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="fewer pictures and epochs (seconds)")
parser.add_argument("--out", help="folder for the PNGs (default: examples/figures)")
args, _ = parser.parse_known_args()  # a notebook kernel adds arguments of its own
quick = args.quick
here = Path(globals().get("__file__", "examples/localisation.py")).resolve().parent
out_dir = Path(args.out) if args.out else here / "figures"
out_dir.mkdir(parents=True, exist_ok=True)
results: dict = {}

# %% [markdown]
# ## 1. A dataset of shapes with boxes
# Pillow draws each shape inside a random box; the box is the label's second half.

# %%
SIZE, SHAPES = 48, ["rectangle", "ellipse", "triangle"]


def make_shapes(count: int, seed: int):
    rng = np.random.default_rng(seed)
    images = np.empty((count, SIZE, SIZE, 1), np.float32)
    classes = rng.integers(0, 3, count)
    boxes = np.empty((count, 4), np.float32)
    for i, kind in enumerate(classes):
        w, h = rng.integers(12, 32, 2)
        x0, y0 = rng.integers(0, SIZE - w), rng.integers(0, SIZE - h)
        picture = Image.new("L", (SIZE, SIZE), 0)
        pen = ImageDraw.Draw(picture)
        corners = [x0, y0, x0 + w - 1, y0 + h - 1]
        if kind == 0:
            pen.rectangle(corners, fill=255)
        elif kind == 1:
            pen.ellipse(corners, fill=255)
        else:
            pen.polygon([(x0, y0 + h - 1), (x0 + w - 1, y0 + h - 1), (x0 + w // 2, y0)],
                        fill=255)
        noise = rng.normal(0, 25, (SIZE, SIZE))
        images[i, :, :, 0] = np.clip(np.asarray(picture) * 0.8 + 30 + noise, 0, 255) / 255
        boxes[i] = [x0 / SIZE, y0 / SIZE, (x0 + w) / SIZE, (y0 + h) / SIZE]
    return images, classes, boxes


count = 1200 if quick else 6000
x_train, c_train, b_train = make_shapes(count, seed=0)
x_test, c_test, b_test = make_shapes(300, seed=1)
print(f"{count} training and {len(x_test)} test pictures of {SIZE}x{SIZE}")

# %% [markdown]
# ## 2. One base, two heads
# The functional API: the base's features feed a classifier and a box regressor. Each
# head has its own loss; `fit` adds them (the box loss weighted 5x, as its MSE is small).

# %%
dg.utils.set_random_seed(0)
inputs = dg.layers.Input((SIZE, SIZE, 1))
h = dg.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
h = dg.layers.MaxPooling2D()(h)
h = dg.layers.Conv2D(32, 3, padding="same", activation="relu")(h)
h = dg.layers.MaxPooling2D()(h)
h = dg.layers.Conv2D(64, 3, padding="same", activation="relu")(h)
h = dg.layers.MaxPooling2D()(h)
h = dg.layers.Flatten()(h)
h = dg.layers.Dense(128, activation="relu")(h)
shape_head = dg.layers.Dense(3, activation="softmax", name="shape")(h)
box_head = dg.layers.Dense(4, activation="sigmoid", name="box")(h)
model = dg.Model(inputs, {"shape": shape_head, "box": box_head}, name="classify_and_localise")
model.compile(dg.optimizers.Adam(1e-3),
              loss={"shape": "sparse_categorical_crossentropy", "box": "mse"},
              loss_weights={"shape": 1.0, "box": 5.0},
              metrics={"shape": ["accuracy"]})
history = model.fit(x_train, {"shape": c_train, "box": b_train}, epochs=4 if quick else 20,
                    batch_size=32, validation_data=(x_test, {"shape": c_test, "box": b_test}),
                    verbose=0)
dg.visualization.plot_history(history, path=out_dir / "localisation_history.png")

# %% [markdown]
# ## 3. How good are the boxes? IoU, and the pictures
# The intersection over union of each predicted box with its true box
# (`dg.utils.bounding_boxes.compute_iou`); 0.5 is the usual bar for "found it".

# %%
predicted = model.predict(x_test, verbose=0)
shape_accuracy = float(np.mean(np.argmax(predicted["shape"], 1) == c_test))
iou = np.diag(dg.utils.bounding_boxes.compute_iou(predicted["box"], b_test, "rel_xyxy",
                                                  image_shape=(SIZE, SIZE, 1)))
results.update(shape_accuracy=shape_accuracy, mean_iou=float(iou.mean()),
               found=float(np.mean(iou > 0.5)))
print(f"shape accuracy {shape_accuracy:.3f}; box IoU mean {iou.mean():.3f}, "
      f"{100 * np.mean(iou > 0.5):.0f}% of boxes above 0.5")

shown = 8
gallery = np.repeat(x_test[:shown] * 255, 3, axis=-1)
mapping = dict(enumerate(SHAPES))
y_true = {"boxes": b_test[:shown, None], "labels": c_test[:shown, None]}
y_pred = {"boxes": predicted["box"][:shown, None],
          "labels": np.argmax(predicted["shape"][:shown], 1)[:, None],
          "confidences": predicted["shape"][:shown].max(1)[:, None]}
dg.visualization.plot_bounding_box_gallery(
    gallery, "rel_xyxy", y_true=y_true, y_pred=y_pred, prediction_mapping=mapping,
    line_thickness=1, font_scale=0.5, legend=True, rows=2, cols=4, scale=2.5,
    path=out_dir / "localisation_boxes.png", transparent=False, dpi=80)
