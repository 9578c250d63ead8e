"""VGG16 and VGG19 (Simonyan and Zisserman, 2015), laid out and named as in Keras.

Five blocks of 3x3 'same' convolutions with ReLU, each closed by 2x2 max pooling
(``block1_conv1`` ... ``block5_pool``); with the top, ``flatten``, ``fc1`` and ``fc2``
(4096 units each) and ``predictions``. Inputs are BGR images with ImageNet's mean pixel
subtracted: use :func:`preprocess_input` (caffe mode).

>>> base = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
>>> base.output.shape, base.count_params()
((None, 1, 1, 512), 14714688)
"""

from __future__ import annotations

import numpy as np

from deepgrad import layers
from deepgrad.applications import imagenet_utils
from deepgrad.applications.weights import load_application_weights
from deepgrad.models.model import Model

__all__ = ["VGG16", "VGG19", "preprocess_input"]

# Filters per block and convolutions per block.
_FILTERS = (64, 128, 256, 512, 512)
_DEPTHS = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}


def _vgg(
    who: str,
    include_top: bool,
    weights,
    input_tensor,
    input_shape,
    pooling,
    classes: int,
    classifier_activation,
    name: str,
) -> Model:
    imagenet_utils.check_common_args(
        who, weights, include_top, classes, pooling, classifier_activation
    )
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=224,
        min_size=32,
        require_flatten=include_top,
        weights=weights,
    )
    weights_path = imagenet_utils.resolve_keras_weights(who, weights, include_top, who.lower())

    img_input, inputs = imagenet_utils.image_input(who, input_tensor, input_shape)
    x = img_input
    for block, (filters, depth) in enumerate(zip(_FILTERS, _DEPTHS[who.lower()]), start=1):
        for conv in range(1, depth + 1):
            x = layers.Conv2D(
                filters,
                (3, 3),
                activation="relu",
                padding="same",
                name=f"block{block}_conv{conv}",
            )(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    model = Model(inputs, x, name=name)
    if weights_path is not None:
        load_application_weights(model, weights_path, who)
    return model


def VGG16(
    include_top: bool = True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes: int = 1000,
    classifier_activation="softmax",
    name: str = "vgg16",
) -> Model:
    """Build VGG16: 13 convolutions and 3 dense layers (138,357,544 parameters).

    Args:
        include_top: whether to include ``flatten``, ``fc1``, ``fc2`` and ``predictions``.
        weights: ``None`` (random), ``"imagenet"`` (Keras's file, from the local cache:
            see :func:`~deepgrad.applications.imagenet_utils.weights_search_dirs`), or the
            path of a weights file for ``model.load_weights``.
        input_tensor: optional KerasTensor to use as the image input.
        input_shape: ``(rows, cols, 3)``, at least 32x32; only free when ``include_top`` is
            False or ``weights`` is not ``"imagenet"``. Default ``(224, 224, 3)``, or
            ``(None, None, 3)`` without the top.
        pooling: without the top, ``None`` (4D output), ``"avg"`` or ``"max"`` (2D output).
        classes: number of classes of the classifier (1000 for ImageNet weights).
        classifier_activation: activation of ``predictions``; ``None`` gives logits.
        name: the model's name.

    Returns:
        A functional :class:`~deepgrad.Model`.

    Raises:
        ValueError: for bad arguments or input shapes (Keras's messages).
        WeightsNotFoundError: for ``weights="imagenet"`` when the file is not cached.

    >>> VGG16(weights=None, include_top=False, input_shape=(180, 180, 3)).output.shape
    (None, 5, 5, 512)
    """
    return _vgg("VGG16", include_top, weights, input_tensor, input_shape, pooling, classes,
                classifier_activation, name)


def VGG19(
    include_top: bool = True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes: int = 1000,
    classifier_activation="softmax",
    name: str = "vgg19",
) -> Model:
    """Build VGG19: 16 convolutions and 3 dense layers (143,667,240 parameters).

    The arguments are :func:`VGG16`'s.

    >>> VGG19(weights=None, include_top=False, pooling="max", input_shape=(32, 32, 3)).output.shape
    (None, 512)
    """
    return _vgg("VGG19", include_top, weights, input_tensor, input_shape, pooling, classes,
                classifier_activation, name)


def preprocess_input(x, data_format: str | None = None) -> np.ndarray:
    """Caffe-style preprocessing: RGB to BGR, then subtract ImageNet's mean pixel.

    >>> preprocess_input(np.zeros((1, 2, 2, 3), dtype="uint8"))[0, 0, 0]
    array([-103.939, -116.779, -123.68 ], dtype=float32)
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")
