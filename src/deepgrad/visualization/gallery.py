"""Keras 3's galleries: images in a grid, with labels, boxes or segmentation masks.

Names and arguments are Keras 3's (``keras.visualization``). Where Keras returns
nothing, deepgrad returns the matplotlib figure (saved to ``path`` and closed when a
path is given, shown when ``show`` is true, as Keras), and it shows every image: Keras
computes ``cols = rows // ...`` and may leave some out.

Example (it needs matplotlib, so the tests run it, not the doctests)::

    fig = dg.visualization.plot_image_gallery(x_test[:16], y_true=y_test[:16],
                                              label_map=dict(enumerate(names)), show=False)
"""

from __future__ import annotations

import math

import numpy as np

from deepgrad import config
from deepgrad.visualization._matplotlib import finish, pyplot, to_display
from deepgrad.visualization.draw import (
    _batch4,
    _channels_last,
    draw_bounding_boxes,
    draw_segmentation_masks,
)

__all__ = ["plot_bounding_box_gallery", "plot_image_gallery", "plot_segmentation_mask_gallery"]


def _scaled(images: np.ndarray, value_range) -> np.ndarray:
    """Keras's value-range transform to 0..255, as uint8 for ``imshow``."""
    low, high = (float(v) for v in value_range)
    scaled = (images.astype(np.float32) - low) / (high - low) * 255.0
    return np.clip(scaled, 0, 255).astype(np.uint8)


def plot_image_gallery(images, y_true=None, y_pred=None, label_map: dict | None = None,
                       rows: int | None = None, cols: int | None = None,
                       value_range=(0, 255), scale: float = 2, path=None,
                       show: bool | None = None, transparent: bool = True, dpi: int = 60,
                       legend_handles=None, data_format: str | None = None):
    """Show a batch of images in a grid, titled with their labels and predictions.

    Args:
        images: ``(batch, height, width, channels)``.
        y_true: true class indices, one per image (needs ``label_map``).
        y_pred: predicted class indices, one per image (needs ``label_map``).
        label_map: class index to name.
        rows: grid rows; about the square root of the batch by default.
        cols: grid columns; enough for every image by default.
        value_range: the images' range, e.g. ``(0, 255)`` or ``(0, 1)``.
        scale: inches per image.
        path: save the figure there (and close it) instead of showing it.
        show: ``plt.show()`` the figure; by default when no ``path`` is given.
        transparent: a transparent background when saving.
        dpi: resolution when saving.
        legend_handles: matplotlib patches for a legend below the grid.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: ``path`` with ``show=True``, labels without ``label_map``, or images
            not of rank 4.
        ImportError: matplotlib is missing (the extra ``deepgrad[plot]``).
    """
    who = "plot_image_gallery"
    plt = pyplot(who)
    if path is not None and show:
        raise ValueError(f"{who}: pass either `path` (save) or `show=True` (display), not both.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError(f"{who}: `y_true` or `y_pred` need a `label_map` (class index to name).")
    show = show if show is not None else path is None
    array = _channels_last(_batch4(images, who), data_format, who)
    batch = len(array)
    rows = rows or math.ceil(math.sqrt(batch))
    cols = cols or math.ceil(batch / rows)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * scale, rows * scale), squeeze=False,
                             frameon=False, layout="tight")
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    shown = _scaled(array[: rows * cols], value_range)
    labels = [None if y is None else np.asarray(y).reshape(-1) for y in (y_true, y_pred)]
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= len(shown):
            continue
        picture, cmap = to_display(shown[index])
        axis.imshow(picture, cmap=cmap, vmin=0, vmax=255)
        parts = [f"{prefix}: {label_map.get(int(y[index]), 'Unknown')}"
                 for prefix, y in zip(("Label", "Pred"), labels)
                 if y is not None and index < len(y)]
        if parts:
            axis.set_title("  ".join(parts), fontsize=8)
    return finish(plt, fig, path, show, pad_inches=0, bbox_inches="tight",
                  transparent=transparent, dpi=dpi)


def plot_bounding_box_gallery(images, bounding_box_format: str, y_true=None, y_pred=None,
                              value_range=(0, 255), true_color=(0, 188, 212),
                              pred_color=(255, 235, 59), line_thickness: int = 2,
                              font_scale: float = 1.0, text_thickness=None,
                              class_mapping: dict | None = None,
                              ground_truth_mapping: dict | None = None,
                              prediction_mapping: dict | None = None, legend: bool = False,
                              legend_handles=None, rows=None, cols=None,
                              data_format: str | None = None, **kwargs):
    """A gallery of images with true boxes (cyan) and predicted boxes (yellow) drawn.

    Args:
        images: ``(batch, height, width, channels)``.
        bounding_box_format: the boxes' format (see ``dg.utils.bounding_boxes``).
        y_true: a dict of true ``boxes`` and ``labels`` (as ``draw_bounding_boxes``).
        y_pred: a dict of predicted ``boxes``, ``labels`` and optional ``confidences``.
        value_range: the images' range.
        true_color: RGB of the true boxes.
        pred_color: RGB of the predicted boxes.
        line_thickness: line width in pixels.
        font_scale: text size.
        text_thickness: kept for Keras compatibility.
        class_mapping: class id to name for both kinds of boxes.
        ground_truth_mapping: overrides ``class_mapping`` for the true boxes.
        prediction_mapping: overrides ``class_mapping`` for the predictions.
        legend: add a legend naming the two colours.
        legend_handles: your own legend patches instead.
        rows: grid rows.
        cols: grid columns.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: passed to :func:`plot_image_gallery` (``path``, ``show``, ``scale``...).

    Returns:
        The matplotlib figure.
    """
    who = "plot_bounding_box_gallery"
    pyplot(who)
    from matplotlib import patches

    if legend and legend_handles:
        raise ValueError(f"{who}: pass `legend` or `legend_handles`, not both.")
    array = _channels_last(_batch4(images, who), data_format, who)
    drawn = _scaled(array, value_range)  # draw on 0..255 so colours are exact
    common = {"bounding_box_format": bounding_box_format, "line_thickness": line_thickness,
              "text_thickness": text_thickness or line_thickness, "font_scale": font_scale}
    if y_true is not None:
        drawn = draw_bounding_boxes(drawn, y_true, color=true_color,
                                    class_mapping=ground_truth_mapping or class_mapping, **common)
    if y_pred is not None:
        drawn = draw_bounding_boxes(drawn, y_pred, color=pred_color,
                                    class_mapping=prediction_mapping or class_mapping, **common)
    if legend:
        legend_handles = [
            patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
            patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction"),
        ]
    return plot_image_gallery(drawn, value_range=(0, 255), legend_handles=legend_handles,
                              rows=rows, cols=cols, **kwargs)


def plot_segmentation_mask_gallery(images, num_classes: int, value_range=(0, 255),
                                   y_true=None, y_pred=None, color_mapping: dict | None = None,
                                   blend: bool = True, alpha: float = 0.8,
                                   ignore_index: int = -1, data_format: str | None = None,
                                   **kwargs):
    """One row per image: the image, then its true mask, then its predicted mask.

    Args:
        images: ``(batch, height, width, 3)``.
        num_classes: the number of classes.
        value_range: the images' range.
        y_true: true masks ``(batch, height, width[, 1])``.
        y_pred: predicted masks, the same shape.
        color_mapping: class to RGB colour.
        blend: blend colours with the image (``alpha``) or paint them over.
        alpha: the colour's weight when blending.
        ignore_index: a class left unpainted.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: passed to :func:`plot_image_gallery`.

    Returns:
        The matplotlib figure.
    """
    who = "plot_segmentation_mask_gallery"
    pyplot(who)
    array = _channels_last(_batch4(images, who), data_format, who)
    shown = _scaled(array, value_range)
    columns = [shown]
    for masks in (y_true, y_pred):
        if masks is None:
            continue
        masks = np.asarray(masks).astype(np.int32)
        if config.standardize_data_format(data_format, who) == "channels_first" \
                and masks.ndim == 4:
            masks = masks.transpose(0, 2, 3, 1)
        painted = draw_segmentation_masks(shown, masks, num_classes=num_classes,
                                          color_mapping=color_mapping, alpha=alpha,
                                          blend=blend, ignore_index=ignore_index)
        columns.append(np.clip(painted, 0, 255).astype(np.uint8))
    gallery = np.stack(columns, axis=1).reshape(-1, *shown.shape[1:])
    return plot_image_gallery(gallery, value_range=(0, 255), rows=len(shown),
                              cols=len(columns), **kwargs)
