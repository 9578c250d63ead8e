# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---
"""The ship finder: tell ship tiles from sea tiles, then find the ships in a large scene.

The course's ships-in-satellite-imagery project. ``dg.datasets.shipsnet.load_data()``
reads the real tiles (80x80x3, ship or no ship) and scenes when they are on this machine;
otherwise this example generates a look-alike set (ships as bright elongated shapes on a
sea texture, and sea tiles with specks or ships cut off at the edge) and says so.
Baselines first (DummyClassifier, LogisticRegression), then a small CNN on the tiles.
Then the scene: every 80x80 window by ``dg.image.sliding_windows`` (a strided view, no
copies until a batch is taken), and the same CNN run fully convolutionally over the whole
scene in one call; the detections merged with ``dg.image.non_max_suppression`` and drawn,
with the heat map of ship probabilities.

Run: python examples/ship_finder.py [--quick] [--out DIR] [--data DIR]
As a notebook: jupytext --to notebook examples/ship_finder.py
Figures (in examples/figures/): ship_finder_tiles.png, ship_finder_detections.png,
ship_finder_heatmap.png
"""

# %%
from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from sklearn.dummy import DummyClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

import deepgrad as dg  # noqa: E402

# %% [markdown]
# Settings: `--quick` (a small look-alike set, a small scene; the test suite runs it),
# `--out` (the folder for the pictures) and `--data` (a folder holding shipsnet.json).

# %%
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="small data and scene (seconds)")
parser.add_argument("--out", help="folder for the PNGs (default: examples/figures)")
parser.add_argument("--data", help="folder holding shipsnet.json and scenes/")
args, _ = parser.parse_known_args()  # a notebook kernel adds arguments of its own
quick = args.quick
here = Path(globals().get("__file__", "examples/ship_finder.py")).resolve().parent
out_dir = Path(args.out) if args.out else here / "figures"
out_dir.mkdir(parents=True, exist_ok=True)
results: dict = {}
TILE = 80

# %% [markdown]
# ## 1. The tiles: the real ones, or a look-alike set
# The look-alike: a sea texture (smooth noise in blue-green), ships as bright rotated
# rectangles 30 to 50 pixels long. Three kinds of "no ship" tiles, as in the real set:
# open sea, sea with bright specks or a bright round patch, and ships cut off by the
# tile's edge.

# %%
def sea(height: int, width: int, rng) -> np.ndarray:
    coarse = rng.normal(0, 1, (height // 16 + 2, width // 16 + 2, 3)).astype(np.float32)
    smooth = np.stack([np.asarray(Image.fromarray(coarse[:, :, c]).resize(
        (width, height), Image.BILINEAR)) for c in range(3)], axis=-1)
    base = np.array([45, 75, 90], np.float32)
    return np.clip(base + 12 * smooth + rng.normal(0, 6, (height, width, 3)), 0, 255)


def add_ship(image: np.ndarray, cx: float, cy: float, rng) -> None:
    length, beam = rng.uniform(30, 50), rng.uniform(7, 12)
    angle = rng.uniform(0, np.pi)
    along, across = np.array([np.cos(angle), np.sin(angle)]), np.array([-np.sin(angle),
                                                                        np.cos(angle)])
    corners = [tuple(np.array([cx, cy]) + a * length / 2 * along + b * beam / 2 * across)
               for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    mask = Image.new("L", (image.shape[1], image.shape[0]), 0)
    ImageDraw.Draw(mask).polygon(corners, fill=255)
    alpha = np.asarray(mask, np.float32)[:, :, None] / 255
    hull = np.array([rng.uniform(170, 240)] * 3, np.float32)
    image[:] = image * (1 - alpha) + hull * alpha


def look_alike_tiles(count: int, rng) -> tuple[np.ndarray, np.ndarray]:
    images = np.empty((count, TILE, TILE, 3), np.uint8)
    labels = (rng.uniform(size=count) < 0.25).astype(np.uint8)  # a quarter are ships
    for i, label in enumerate(labels):
        tile = sea(TILE, TILE, rng)
        kind = rng.integers(0, 4)
        if label:
            add_ship(tile, *rng.uniform(35, 45, 2), rng)
        elif kind == 1:
            for x, y in rng.uniform(5, 75, (rng.integers(1, 4), 2)):
                tile[int(y) - 2:int(y) + 2, int(x) - 2:int(x) + 2] = rng.uniform(150, 230)
        elif kind == 3:  # a bright round patch (foam, a buoy, a cloud): bright, not long
            radius = rng.uniform(6, 11)
            yy, xx = np.mgrid[:TILE, :TILE]
            cx, cy = rng.uniform(30, 50, 2)
            blob = (np.hypot(xx - cx, yy - cy) < radius)[:, :, None]
            tile[:] = np.where(blob, rng.uniform(170, 240), tile)
        elif kind == 2:
            side = rng.integers(0, 4)
            offset = rng.uniform(-5, 5)
            cx, cy = [(offset + 40, -5), (offset + 40, 85), (-5, offset + 40),
                      (85, offset + 40)][side]
            add_ship(tile, cx, cy, rng)
        images[i] = tile
    return images, labels


def look_alike_scene(height: int, width: int, ships: int, rng):
    scene = sea(height, width, rng)
    centres = []
    while len(centres) < ships:
        c = rng.uniform(50, [width - 50, height - 50])
        if all(np.hypot(*(c - d)) > 90 for d in centres):
            centres.append(c)
            add_ship(scene, *c, rng)
    return scene.astype(np.uint8), np.array(centres)


rng = np.random.default_rng(0)
try:
    data = dg.datasets.shipsnet.load_data(args.data)
    tiles, labels, real = data.images, data.labels, True
    print(f"shipsnet: {len(tiles)} real tiles, {int(labels.sum())} with a ship; "
          f"{len(data.scenes)} scenes")
except dg.datasets.DatasetNotFoundError as missing:
    print("shipsnet.json is not on this machine (dg.datasets.shipsnet.load_data() says "
          "where to put it), so this run uses a generated LOOK-ALIKE set: ships drawn on a "
          "synthetic sea. The numbers below are about it, not about the real imagery.")
    del missing
    tiles, labels = look_alike_tiles(800 if quick else 4000, rng)
    real = False
results["real_data"] = real
order = rng.permutation(len(tiles))
split = int(0.8 * len(tiles))
train, test = order[:split], order[split:]
x_train, y_train = tiles[train].astype(np.float32) / 255, labels[train]
x_test, y_test = tiles[test].astype(np.float32) / 255, labels[test]
shown = np.concatenate([np.flatnonzero(y_test == 1)[:4], np.flatnonzero(y_test == 0)[:4]])
dg.visualization.plot_image_gallery(
    tiles[test][shown], y_true=y_test[shown], label_map={0: "no ship", 1: "ship"}, rows=2,
    cols=4, scale=1.6, path=out_dir / "ship_finder_tiles.png", transparent=False, dpi=70)

# %% [markdown]
# ## 2. Baselines
# Always "no ship" is right three times in four. A logistic regression on the tiles
# shrunk to 20x20 (the mean of each 4x4 block) sees brightness, not shape.

# %%
def shrink(x):
    return x.reshape(len(x), 20, 4, 20, 4, 3).mean(axis=(2, 4)).reshape(len(x), -1)


dummy = DummyClassifier(strategy="most_frequent").fit(shrink(x_train), y_train)
logistic = LogisticRegression(max_iter=500).fit(shrink(x_train), y_train)
results["dummy"] = dummy.score(shrink(x_test), y_test)
results["logistic"] = logistic.score(shrink(x_test), y_test)
print(f"accuracy: always 'no ship' {results['dummy']:.3f}, logistic regression "
      f"{results['logistic']:.3f}")

# %% [markdown]
# ## 3. A small CNN, built to run on any image size
# Only convolutions and pooling, ending in an 8x8 convolution (the "dense" layer) and a
# 1x1 convolution with a sigmoid: on an 80x80 tile it gives one probability; on a whole
# scene, one probability for every 80x80 window 8 pixels apart (the product of the three
# pooling strides), in one call.

# %%
dg.utils.set_random_seed(0)
body = [dg.layers.Conv2D(16, 3, activation="relu"), dg.layers.MaxPooling2D(2),
        dg.layers.Conv2D(32, 3, activation="relu"), dg.layers.MaxPooling2D(2),
        dg.layers.Conv2D(32, 3, activation="relu"), dg.layers.MaxPooling2D(2),
        dg.layers.Conv2D(64, 8, activation="relu"), dg.layers.Dropout(0.3),
        dg.layers.Conv2D(1, 1, activation="sigmoid")]
tile_model = dg.Sequential([dg.layers.Input((TILE, TILE, 3)), *body,
                            dg.layers.Reshape((1,))], name="ship_cnn")
tile_model.compile(dg.optimizers.Adam(1e-3), "binary_crossentropy", metrics=["accuracy"])
tile_model.fit(x_train, y_train, epochs=5 if quick else 15, batch_size=32, verbose=0,
               validation_data=(x_test, y_test))
results["cnn"] = tile_model.evaluate(x_test, y_test, verbose=0)[1]
print(f"CNN accuracy on the test tiles {results['cnn']:.3f}")
scene_model = dg.Sequential([dg.layers.Input((None, None, 3)), *body], name="ship_scanner")

# %% [markdown]
# ## 4. Search a scene, two ways
# Sliding windows: `dg.image.sliding_windows(scene, 80, stride)` is a view of every
# window; batches of it go through `predict`. Fully convolutional: the scene goes through
# the same layers once. At stride 8 both give the same probabilities.

# %%
if real and data.scenes:
    name, scene_path = next(iter(data.scenes.items()))
    scene = dg.datasets.shipsnet.load_scene(scene_path)
    if quick:
        scene = scene[:320, :320]
    true_centres = None
    print(f"scene {name}: {scene.shape[1]}x{scene.shape[0]}")
else:
    size = (320, 320) if quick else (1500, 1500)
    scene, true_centres = look_alike_scene(*size, ships=3 if quick else 12, rng=rng)
    print(f"look-alike scene {size[1]}x{size[0]} with {len(true_centres)} ships")
pixels = scene.astype(np.float32) / 255

stride = 8
start = time.perf_counter()
windows = dg.image.sliding_windows(pixels, TILE, stride)
rows, cols = windows.shape[:2]
flat = windows.reshape(rows * cols, TILE, TILE, 3)  # the view, reshaped: still no copy
window_probs = np.concatenate([tile_model.predict(flat[i:i + 256], verbose=0)
                               for i in range(0, len(flat), 256)]).reshape(rows, cols)
sliding_seconds = time.perf_counter() - start
start = time.perf_counter()
heat = scene_model.predict(pixels[None], verbose=0)[0, :, :, 0]
fcn_seconds = time.perf_counter() - start
results["fcn_vs_sliding"] = float(np.abs(heat[:rows, :cols] - window_probs).max())
print(f"{rows * cols} windows: sliding {sliding_seconds:.2f} s, fully convolutional "
      f"{fcn_seconds:.2f} s; largest difference {results['fcn_vs_sliding']:.1e}")

# %% [markdown]
# ## 5. Keep the confident windows, merge overlapping ones, draw them
# Windows with P(ship) above 0.9 become boxes; non-maximum suppression keeps the most
# probable of each overlapping group (IoU above 0.3).

# %%
ys, xs = np.nonzero(heat > 0.9)
scores = heat[ys, xs]
boxes = np.stack([xs * stride, ys * stride, xs * stride + TILE, ys * stride + TILE], 1)
keep = dg.image.non_max_suppression(boxes, scores, max_output_size=100, iou_threshold=0.3,
                                    bounding_box_format="xyxy")
found = boxes[keep]
results["detections"] = len(found)
if true_centres is not None:
    truth = np.concatenate([true_centres - TILE / 2, true_centres + TILE / 2], axis=1)
    iou = dg.utils.bounding_boxes.compute_iou(found, truth, "xyxy") if len(found) else \
        np.zeros((0, len(truth)))
    results["recall"] = float(np.mean(iou.max(axis=0, initial=0) > 0.3))
    results["precision"] = float(np.mean(iou.max(axis=1, initial=0) > 0.3)) if len(found) \
        else 0.0
    print(f"{len(found)} detections: {100 * results['recall']:.0f}% of the ships found, "
          f"{100 * results['precision']:.0f}% of the detections are ships")
else:
    print(f"{len(found)} detections")
drawn = dg.visualization.draw_bounding_boxes(
    scene[None], {"boxes": found[None], "labels": np.zeros((1, len(found)), int),
                  "confidences": heat[ys, xs][keep][None]},
    "xyxy", class_mapping={0: "ship"}, color=(255, 60, 60), line_thickness=3,
    font_scale=1.2)[0]
fig, axis = plt.subplots(figsize=(8, 8 * scene.shape[0] / scene.shape[1]), layout="constrained")
axis.imshow(drawn)
axis.set_title(f"{len(found)} ships found")
axis.axis("off")
fig.savefig(out_dir / "ship_finder_detections.png", dpi=80)
plt.close(fig)
fig, axis = plt.subplots(figsize=(8, 8 * scene.shape[0] / scene.shape[1]), layout="constrained")
axis.imshow(scene)
first = TILE / 2 - stride / 2  # cell (i, j) is centred on its window's centre
extent = (first, first + stride * heat.shape[1], first + stride * heat.shape[0], first)
shown_heat = axis.imshow(heat, cmap="inferno", alpha=0.55, extent=extent, vmin=0, vmax=1)
fig.colorbar(shown_heat, ax=axis, shrink=0.7, label="P(ship) of the window centred here")
axis.axis("off")
fig.savefig(out_dir / "ship_finder_heatmap.png", dpi=80)
plt.close(fig)
