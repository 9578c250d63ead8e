"""``dg.ops.image``: Keras 3's ``keras.ops.image`` namespace (and TensorFlow's
``non_max_suppression``, which object-localisation code reaches for).

>>> import deepgrad as dg
>>> dg.ops.image.resize(dg.Tensor(np.ones((4, 4, 3))), (2, 2)).shape
(2, 2, 3)
"""

import numpy as np  # noqa: F401 - the docstring example uses it

from deepgrad.ops.image_filters import (
    crop_images,
    extract_patches,
    extract_patches_3d,
    gaussian_blur,
    hsv_to_rgb,
    non_max_suppression,
    pad_images,
    rgb_to_grayscale,
    rgb_to_hsv,
    sobel_edges,
    ssim,
)
from deepgrad.ops.image_sampling import (
    affine_transform,
    elastic_transform,
    map_coordinates,
    perspective_transform,
    resize,
    scale_and_translate,
)

__all__ = [
    "affine_transform", "crop_images", "elastic_transform", "extract_patches",
    "extract_patches_3d", "gaussian_blur", "hsv_to_rgb", "map_coordinates",
    "non_max_suppression", "pad_images", "perspective_transform", "resize",
    "rgb_to_grayscale", "rgb_to_hsv", "scale_and_translate", "sobel_edges", "ssim",
]
