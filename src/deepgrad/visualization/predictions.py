"""What a classifier says: ``plot_predictions`` (images beside their class probabilities)
and ``plot_decision_boundary`` (the regions a 2-D classifier draws).

Example (it needs matplotlib, so the tests run it, not the doctests)::

    dg.visualization.plot_predictions(x_test[:6], model.predict(x_test[:6]), names,
                                      true_labels=y_test[:6], path="predictions.png")
"""

from __future__ import annotations

import numpy as np

from deepgrad.visualization._matplotlib import finish, pyplot, to_display

__all__ = ["plot_decision_boundary", "plot_predictions"]


def plot_predictions(images, probabilities, class_names, *, true_labels=None,
                     top_k: int | None = None, cols: int = 2, scale: float = 2.2,
                     path=None, show: bool = False):
    """Each image beside a bar chart of its class probabilities (the course's tables).

    The predicted class's bar is blue, or green/red when ``true_labels`` says whether
    it is right; the true class's bar is outlined.

    Args:
        images: ``(n, height, width, channels)`` or ``(n, height, width)``.
        probabilities: ``(n, classes)``, e.g. ``model.predict(images)``.
        class_names: one name per class.
        true_labels: the true class indices, to mark right and wrong predictions.
        top_k: draw only the ``top_k`` most probable classes per image.
        cols: image-and-bars pairs per row.
        scale: inches per panel.
        path: save the figure there (and close it).
        show: ``plt.show()`` the figure.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: counts of images, rows of probabilities, names or labels disagree.
    """
    who = "plot_predictions"
    pictures = np.asarray(images)
    probs = np.asarray(probabilities, dtype=np.float64)
    names = [str(n) for n in class_names]
    if probs.ndim != 2 or probs.shape[0] != len(pictures) or probs.shape[1] != len(names):
        raise ValueError(f"{who}: `probabilities` must have shape ({len(pictures)}, "
                         f"{len(names)}): one row per image, one column per class name. "
                         f"Received: probabilities.shape={probs.shape}")
    truth = None if true_labels is None else np.asarray(true_labels).reshape(-1).astype(int)
    if truth is not None and len(truth) != len(pictures):
        raise ValueError(f"{who}: `true_labels` must hold one label per image ({len(pictures)})."
                         f" Received: {len(truth)}")
    plt = pyplot(who)
    k = len(names) if top_k is None else max(1, min(top_k, len(names)))
    rows = -(-len(pictures) // cols)
    fig, axes = plt.subplots(rows, 2 * cols, figsize=(2 * cols * scale, rows * scale),
                             squeeze=False, layout="constrained",
                             gridspec_kw={"width_ratios": [1, 1.3] * cols})
    for axis in axes.flat:
        axis.axis("off")
    for i, (picture, row) in enumerate(zip(pictures, probs)):
        image_axis, bar_axis = axes[i // cols, 2 * (i % cols)], axes[i // cols, 2 * (i % cols) + 1]
        shown, cmap = to_display(picture)
        image_axis.imshow(shown, cmap=cmap or "gray")
        guess = int(np.argmax(row))
        right = None if truth is None else guess == truth[i]
        color = "tab:blue" if right is None else ("tab:green" if right else "tab:red")
        label = f"{names[guess]} {100 * row[guess]:.0f}%"
        if truth is not None:
            label += f"\n(true: {names[truth[i]]})"
        image_axis.set_title(label, fontsize=8, color=color)
        order = np.argsort(-row, kind="stable")[:k][::-1]
        bars = bar_axis.barh(range(k), row[order], color="lightgray")
        bar_axis.axis("on")
        bar_axis.set_xlim(0, 1)
        bar_axis.set_yticks(range(k), [names[j] for j in order], fontsize=7)
        bar_axis.tick_params(axis="x", labelsize=7)
        for bar, j in zip(bars, order):
            if j == guess:
                bar.set_color(color)
            if truth is not None and j == truth[i]:
                bar.set_edgecolor("black")
                bar.set_linewidth(1.2)
    return finish(plt, fig, path, show)


def _class_scores(model, points: np.ndarray) -> np.ndarray:
    """The model's output on ``points`` as ``(n, classes)`` probabilities or scores."""
    if hasattr(model, "predict_proba"):
        out = model.predict_proba(points)
    elif hasattr(model, "predict") and hasattr(model, "layers"):
        out = model.predict(points, verbose=0)
    elif hasattr(model, "predict"):
        out = model.predict(points)
    else:
        out = model(points)
    out = np.asarray(getattr(out, "numpy", lambda: out)(), dtype=np.float64)
    return out.reshape(len(points), -1)


def plot_decision_boundary(model, x, y=None, *, resolution: int = 200, margin: float = 0.5,
                           class_names=None, title: str | None = None, scale: float = 4.5,
                           path=None, show: bool = False):
    """Colour the plane by the class a 2-D classifier predicts, with the data on top.

    For one output (a sigmoid) the colour is the probability and the 0.5 contour is the
    boundary; for several outputs the colour is the most probable class.

    Args:
        model: a deepgrad model, a scikit-learn classifier (``predict_proba`` or
            ``predict``), or a function from ``(n, 2)`` points to scores.
        x: the points, ``(n, 2)``.
        y: their classes (colours the points), optional.
        resolution: grid points along each axis.
        margin: space around the data, in the data's units.
        class_names: names for the legend.
        title: the figure's title.
        scale: the figure's size in inches.
        path: save the figure there (and close it).
        show: ``plt.show()`` the figure.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: ``x`` that is not ``(n, 2)``.
    """
    who = "plot_decision_boundary"
    points = np.asarray(x, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"{who}: `x` must have shape (n, 2): two input features. "
                         f"Received: x.shape={points.shape}")
    plt = pyplot(who)
    low, high = points.min(axis=0) - margin, points.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], resolution),
                         np.linspace(low[1], high[1], resolution))
    grid_points = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)
    scores = _class_scores(model, grid_points)
    fig, axis = plt.subplots(figsize=(scale, scale), layout="constrained")
    if scores.shape[1] == 1:
        surface = scores[:, 0].reshape(gx.shape)
        filled = axis.contourf(gx, gy, surface, levels=20, cmap="RdBu_r", alpha=0.6)
        axis.contour(gx, gy, surface, levels=[0.5], colors="black", linewidths=1.5)
        fig.colorbar(filled, ax=axis, shrink=0.8, label="P(class 1)")
    else:
        regions = scores.argmax(axis=1).reshape(gx.shape)
        levels = np.arange(scores.shape[1] + 1) - 0.5
        axis.contourf(gx, gy, regions, levels=levels, cmap="tab10", vmin=0, vmax=9, alpha=0.35)
    if y is None:
        axis.scatter(points[:, 0], points[:, 1], s=12, c="black")
    else:
        labels = np.asarray(y).reshape(-1).astype(int)
        for cls in np.unique(labels):
            name = class_names[cls] if class_names is not None else f"class {cls}"
            chosen = labels == cls
            axis.scatter(points[chosen, 0], points[chosen, 1], s=12, label=name,
                         color=plt.get_cmap("tab10")(cls % 10), edgecolors="black",
                         linewidths=0.3)
        axis.legend(fontsize=8)
    axis.set_xlim(low[0], high[0])
    axis.set_ylim(low[1], high[1])
    if title:
        axis.set_title(title)
    return finish(plt, fig, path, show)
