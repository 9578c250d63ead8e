"""ResNet (He et al., 2015): Keras's ResNet50, and ResNet18/ResNet34 as deepgrad extras.

ResNet50 is Keras's ``keras.applications.ResNet50`` layer for layer (names such as
``conv1_conv``, ``conv2_block1_0_conv``, ``conv5_block3_out``, biases in every
convolution, batch-norm epsilon 1.001e-5), so Keras's weights files load into it.

ResNet18 and ResNet34 use "basic" blocks of two 3x3 convolutions, which Keras does not
ship. They follow torchvision's ``resnet18``/``resnet34`` (no convolution biases, as a
batch norm follows each convolution; epsilon 1e-5; symmetric padding before strided
convolutions), so weights converted from torchvision give the same outputs. Their
trainable parameter counts are torchvision's: 11,689,512 and 21,797,672 with the
1000-class top (``count_params()`` also counts the batch norms' moving statistics, which
torchvision keeps as buffers: 9,600 and 17,024 more).
Layer names follow Keras's scheme: ``conv{stage}_block{n}_{1,2}_conv``, ``..._bn``,
``..._relu``, ``_0_conv`` for a projection shortcut, ``..._add`` and ``..._out``.

Inputs are caffe-preprocessed (:func:`preprocess_input`), as for Keras's ResNet50.

>>> base = ResNet18(weights=None, include_top=False, input_shape=(32, 32, 3))
>>> base.output.shape
(None, 1, 1, 512)
"""

from __future__ import annotations

import numpy as np

from deepgrad import layers
from deepgrad.applications import imagenet_utils
from deepgrad.applications.weights import load_application_weights
from deepgrad.models.model import Model

__all__ = ["ResNet50", "ResNet18", "ResNet34", "preprocess_input"]

_BOTTLENECK_EPSILON = 1.001e-5  # Keras's ResNet50
_BASIC_EPSILON = 1e-5  # torchvision's default


def _bottleneck_block(x, filters: int, stride: int = 1, conv_shortcut: bool = True, name=""):
    """Keras's ``residual_block_v1``: 1x1, 3x3, 1x1 (4 * filters), stride on the first 1x1."""
    eps = _BOTTLENECK_EPSILON
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=3, epsilon=eps, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=eps, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=eps, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=eps, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def _basic_block(x, filters: int, stride: int = 1, name=""):
    """Two 3x3 convolutions; a 1x1 projection shortcut when the shape changes."""
    eps = _BASIC_EPSILON
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(
            filters, 1, strides=stride, use_bias=False, name=f"{name}_0_conv"
        )(x)
        shortcut = layers.BatchNormalization(axis=3, epsilon=eps, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    if stride == 1:
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_1_conv")(x)
    else:
        x = layers.ZeroPadding2D(padding=1, name=f"{name}_1_pad")(x)
        x = layers.Conv2D(filters, 3, strides=stride, use_bias=False, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=eps, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=eps, name=f"{name}_2_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def _stack(x, filters: int, blocks: int, stride1: int, name: str, basic: bool):
    for i in range(1, blocks + 1):
        stride = stride1 if i == 1 else 1
        block_name = f"{name}_block{i}"
        if basic:
            x = _basic_block(x, filters, stride=stride, name=block_name)
        else:
            x = _bottleneck_block(x, filters, stride=stride, conv_shortcut=i == 1, name=block_name)
    return x


def _resnet(who, blocks, basic, include_top, weights, input_tensor, input_shape, pooling,
            classes, classifier_activation, name) -> Model:
    imagenet_utils.check_common_args(
        who, weights, include_top, classes, pooling, classifier_activation
    )
    if basic and weights == "imagenet":
        raise ValueError(
            f"{who}: no ImageNet weights are published for {who} in Keras's format, so "
            "weights='imagenet' is not available. Pass weights=None (random initialization) "
            f"or the path of a weights file (for example converted from torchvision's "
            f"{who.lower()}), or use ResNet50."
        )
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, require_flatten=include_top, weights=weights
    )
    weights_path = imagenet_utils.resolve_keras_weights(who, weights, include_top, "resnet")

    img_input, inputs = imagenet_utils.image_input(who, input_tensor, input_shape)
    eps = _BASIC_EPSILON if basic else _BOTTLENECK_EPSILON
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=not basic, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=eps, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, count) in enumerate(zip((64, 128, 256, 512), blocks), start=2):
        x = _stack(x, filters, count, stride1=1 if stage == 2 else 2, name=f"conv{stage}",
                   basic=basic)
    x = imagenet_utils.top_or_pooling(
        x, include_top, pooling, classes, classifier_activation,
        top_name="avg_pool", avg_name="avg_pool", max_name="max_pool",
    )
    model = Model(inputs, x, name=name)
    if weights_path is not None:
        load_application_weights(model, weights_path, who)
    return model


def ResNet50(
    include_top: bool = True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes: int = 1000,
    classifier_activation="softmax",
    name: str = "resnet50",
) -> Model:
    """Build Keras's ResNet50 (bottleneck blocks 3, 4, 6, 3; 25,636,712 parameters).

    Args:
        include_top: whether to include ``avg_pool`` and the ``predictions`` layer.
        weights: ``None`` (random), ``"imagenet"`` (Keras's file from the local cache; see
            :func:`~deepgrad.applications.imagenet_utils.weights_search_dirs`; ResNet50
            only), or the path of a weights file for ``model.load_weights``.
        input_tensor: optional KerasTensor to use as the image input.
        input_shape: ``(rows, cols, 3)``, at least 32x32. Default ``(224, 224, 3)``, or
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

    >>> ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3)).output.shape
    (None, 1, 1, 2048)
    """
    return _resnet("ResNet50", (3, 4, 6, 3), False, include_top, weights, input_tensor,
                   input_shape, pooling, classes, classifier_activation, name)


def ResNet18(
    include_top: bool = True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes: int = 1000,
    classifier_activation="softmax",
    name: str = "resnet18",
) -> Model:
    """Build ResNet18 (basic blocks 2, 2, 2, 2; 11,689,512 trainable parameters).

    The arguments are :func:`ResNet50`'s; ``weights`` defaults to None, as no
    Keras-format ImageNet file exists for it.

    >>> model = ResNet18(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3))
    >>> model.output.shape
    (None, 512)
    """
    return _resnet("ResNet18", (2, 2, 2, 2), True, include_top, weights, input_tensor,
                   input_shape, pooling, classes, classifier_activation, name)


def ResNet34(
    include_top: bool = True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes: int = 1000,
    classifier_activation="softmax",
    name: str = "resnet34",
) -> Model:
    """Build ResNet34 (basic blocks 3, 4, 6, 3; 21,797,672 trainable parameters).

    The arguments are :func:`ResNet50`'s; ``weights`` defaults to None, as no
    Keras-format ImageNet file exists for it.

    >>> ResNet34(weights=None, include_top=False, input_shape=(32, 32, 3)).output.shape
    (None, 1, 1, 512)
    """
    return _resnet("ResNet34", (3, 4, 6, 3), True, include_top, weights, input_tensor,
                   input_shape, pooling, classes, classifier_activation, name)


def preprocess_input(x, data_format: str | None = None) -> np.ndarray:
    """Caffe-style preprocessing: RGB to BGR, then subtract ImageNet's mean pixel.

    >>> preprocess_input(np.full((2, 2, 3), 120.0)).shape
    (2, 2, 3)
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")
