"""Utilities: seeds, one-hot encoding, gradient checks, files, images, datasets, progress bars.

Keras 3's ``keras.utils`` names, plus deepgrad's gradient checks. Modules that need an
optional package (``plot_model``: pydot and graphviz) or Pillow load on first use.

>>> import deepgrad as dg
>>> dg.utils.to_categorical([0, 2], num_classes=3)
array([[1., 0., 0.],
       [0., 0., 1.]], dtype=float32)
"""

from __future__ import annotations

import importlib

import numpy as np

from deepgrad.layers.base import clear_session
from deepgrad.random import set_random_seed
from deepgrad.registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from deepgrad.utils.config import Config
from deepgrad.utils.data_utils import (
    pack_x_y_sample_weight,
    split_dataset,
    unpack_x_y_sample_weight,
)
from deepgrad.utils.file_utils import get_file
from deepgrad.utils.gradcheck import gradient_check, numerical_gradient
from deepgrad.utils.model_visualization import model_to_dot, plot_model
from deepgrad.utils.numerical_utils import normalize
from deepgrad.utils.progress import (
    Progbar,
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
from deepgrad.utils.py_dataset import PyDataset, Sequence
from deepgrad.utils.tensor_utils import get_source_inputs, is_keras_tensor, standardize_dtype

__all__ = [
    "Config",
    "CustomObjectScope",
    "FeatureSpace",
    "Progbar",
    "PyDataset",
    "Sequence",
    "array_to_img",
    "clear_session",
    "custom_object_scope",
    "disable_interactive_logging",
    "enable_interactive_logging",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "get_source_inputs",
    "gradient_check",
    "img_to_array",
    "is_interactive_logging_enabled",
    "is_keras_tensor",
    "load_img",
    "model_to_dot",
    "normalize",
    "numerical_gradient",
    "pack_x_y_sample_weight",
    "plot_model",
    "register_keras_serializable",
    "save_img",
    "set_random_seed",
    "split_dataset",
    "standardize_dtype",
    "to_categorical",
    "unpack_x_y_sample_weight",
    "image_dataset_from_directory",
    "audio_dataset_from_directory",
    "bounding_boxes",
    "pad_sequences",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "serialize_keras_object",
    "deserialize_keras_object",
]

# Image helpers need Pillow; load them on first use to keep `import deepgrad` fast.
_LAZY = {
    "load_img": "deepgrad.utils.image_io",
    "img_to_array": "deepgrad.utils.image_io",
    "array_to_img": "deepgrad.utils.image_io",
    "save_img": "deepgrad.utils.image_io",
    "image_dataset_from_directory": "deepgrad.utils.image_dataset",
    "audio_dataset_from_directory": "deepgrad.utils.audio_dataset",
    "text_dataset_from_directory": "deepgrad.utils.text_dataset",
    "timeseries_dataset_from_array": "deepgrad.utils.timeseries_dataset",
    "pad_sequences": "deepgrad.utils.sequence",
    # Above the layers (its preprocessors are layers): loaded on first use.
    "FeatureSpace": "deepgrad.utils.feature_space",
    # Keras exposes its serializer in keras.utils as well as keras.saving: the same
    # functions, found on first use, so importing utils does not load the saving tier.
    "serialize_keras_object": "deepgrad.saving.objects",
    "deserialize_keras_object": "deepgrad.saving.objects",
}


# Submodules with Keras's names, loaded on first use.
_SUBMODULES = {"bounding_boxes"}


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"deepgrad.utils.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'deepgrad.utils' has no attribute {name!r}")


def to_categorical(y, num_classes: int | None = None, dtype="float32") -> np.ndarray:
    """One-hot encode integer class labels, as Keras does.

    Args:
        y: integer labels, any shape (a trailing axis of size 1 is dropped).
        num_classes: number of classes; ``max(y) + 1`` by default.
        dtype: the output dtype.

    Returns:
        An array of shape ``y.shape + (num_classes,)``.

    Raises:
        ValueError: for negative, non-integer or too-large labels.

    >>> to_categorical([1, 0]).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    labels = np.asarray(y)
    if labels.dtype.kind == "f":
        if not np.all(np.mod(labels, 1) == 0):
            raise ValueError(
                "to_categorical: labels must be integers. Received non-integer values."
            )
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "iub":
        raise ValueError(f"to_categorical: labels must be integers. Received dtype {labels.dtype}.")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0. Received {labels.min()}.")
    top = int(labels.max()) + 1 if labels.size else 0
    if num_classes is None:
        num_classes = top
    elif top > num_classes:
        raise ValueError(
            f"to_categorical: label {top - 1} is out of range for num_classes={num_classes}."
        )
    out = np.zeros(labels.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return out
