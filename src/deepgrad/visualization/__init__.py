"""Pictures: Keras 3's ``keras.visualization`` and the figures an introductory course draws.

Keras 3's names and arguments: :func:`draw_bounding_boxes`,
:func:`draw_segmentation_masks` (arrays, NumPy and Pillow only),
:func:`plot_image_gallery`, :func:`plot_bounding_box_gallery`,
:func:`plot_segmentation_mask_gallery`. And the course's: :func:`plot_history`
(training curves), :func:`plot_filters` and :func:`plot_feature_maps` (inside a CNN),
:func:`plot_predictions` (probabilities beside each image) and
:func:`plot_decision_boundary` (a 2-D classifier's regions).

Every ``plot_*`` function returns the matplotlib figure; ``path=`` saves it as a PNG.
matplotlib is the optional extra ``pip install 'deepgrad[plot]'``; without it these
functions raise an ImportError that says so.

>>> import numpy as np
>>> import deepgrad as dg
>>> masks = np.zeros((1, 4, 4), np.int64)
>>> dg.visualization.draw_segmentation_masks(np.zeros((1, 4, 4, 3)), masks).shape
(1, 4, 4, 3)
"""

from deepgrad.visualization.draw import draw_bounding_boxes, draw_segmentation_masks
from deepgrad.visualization.gallery import (
    plot_bounding_box_gallery,
    plot_image_gallery,
    plot_segmentation_mask_gallery,
)
from deepgrad.visualization.inside import plot_feature_maps, plot_filters
from deepgrad.visualization.predictions import plot_decision_boundary, plot_predictions
from deepgrad.visualization.training import plot_history

__all__ = [
    "draw_bounding_boxes",
    "draw_segmentation_masks",
    "plot_bounding_box_gallery",
    "plot_decision_boundary",
    "plot_feature_maps",
    "plot_filters",
    "plot_history",
    "plot_image_gallery",
    "plot_predictions",
    "plot_segmentation_mask_gallery",
]
