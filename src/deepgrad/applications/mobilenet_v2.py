"""MobileNetV2 (Sandler et al., 2018), laid out and named as Keras's MobileNetV2.

Inverted residual blocks: a 1x1 expansion (``block_{i}_expand``), a 3x3 depthwise
convolution (``block_{i}_depthwise``), a linear 1x1 projection (``block_{i}_project``),
and an ``Add`` when input and output shapes agree; ReLU6 throughout; batch norm with
epsilon 1e-3 and momentum 0.999. ``alpha`` scales the widths. Inputs are scaled to
``[-1, 1]`` (:func:`preprocess_input`, tf mode).

>>> base = MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3))
>>> base.output.shape, base.count_params()
((None, 1, 1, 1280), 2257984)
"""

from __future__ import annotations

import warnings

import numpy as np

from deepgrad import layers
from deepgrad.applications import imagenet_utils
from deepgrad.applications.imagenet_utils import KERAS_BASE_URL
from deepgrad.applications.weights import load_application_weights
from deepgrad.models.model import Model

__all__ = ["MobileNetV2", "preprocess_input"]

_IMAGENET_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
_IMAGENET_ROWS = (96, 128, 160, 192, 224)
# (filters, stride, expansion) of blocks 0 to 16.
_BLOCKS = (
    [(16, 1, 1)]
    + [(24, 2, 6), (24, 1, 6)]
    + [(32, 2, 6)] + [(32, 1, 6)] * 2
    + [(64, 2, 6)] + [(64, 1, 6)] * 3
    + [(96, 1, 6)] * 3
    + [(160, 2, 6)] + [(160, 1, 6)] * 2
    + [(320, 1, 6)]
)


def _make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``v`` to a multiple of ``divisor``, never going down by more than 10%."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _bn(name: str):
    return layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=name)


def _inverted_res_block(inputs, expansion: int, stride: int, alpha: float, filters: int,
                        block_id: int):
    in_channels = inputs.shape[-1]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same",
                          use_bias=False, activation=None, name=f"{prefix}expand")(x)
        x = _bn(f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        pad = imagenet_utils.correct_pad(x, 3)
        x = layers.ZeroPadding2D(padding=pad, name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None, use_bias=False,
                               padding="same" if stride == 1 else "valid",
                               name=f"{prefix}depthwise")(x)
    x = _bn(f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False,
                      activation=None, name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _default_size(input_shape, input_tensor) -> int:
    """Keras's rule: a square input of a size with published weights is the default size."""
    shape = input_shape if input_shape is not None else (
        input_tensor.shape[1:3] if input_tensor is not None else None
    )
    if shape is not None and len(shape) >= 2:
        rows, cols = shape[0], shape[1]
        if rows == cols and rows in _IMAGENET_ROWS:
            return rows
    return 224


def MobileNetV2(
    input_shape=None,
    alpha: float = 1.0,
    include_top: bool = True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes: int = 1000,
    classifier_activation="softmax",
    name: str | None = None,
) -> Model:
    """Build MobileNetV2 (3,538,984 parameters for ``alpha=1.0`` with the top).

    Args:
        input_shape: ``(rows, cols, 3)``, at least 32x32. Default ``(224, 224, 3)``, or
            ``(None, None, 3)`` without the top.
        alpha: width multiplier: below 1 fewer filters in each layer, above 1 more.
        include_top: whether to include global average pooling and ``predictions``.
        weights: ``None`` (random), ``"imagenet"`` (Keras's file from the local cache; see
            :func:`~deepgrad.applications.imagenet_utils.weights_search_dirs`), or the path
            of a weights file for ``model.load_weights``.
        input_tensor: optional KerasTensor to use as the image input.
        pooling: without the top, ``None`` (4D output), ``"avg"`` or ``"max"`` (2D output).
        classes: number of classes of the classifier (1000 for ImageNet weights).
        classifier_activation: activation of ``predictions``; ``None`` gives logits.
        name: the model's name; default ``f"mobilenetv2_{alpha:0.2f}_{rows}"``.

    Returns:
        A functional :class:`~deepgrad.Model`.

    Raises:
        ValueError: for bad arguments or input shapes (Keras's messages), or an ``alpha``
            without published weights when ``weights="imagenet"``.
        WeightsNotFoundError: for ``weights="imagenet"`` when the file is not cached.

    >>> model = MobileNetV2(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3))
    >>> model.name, model.output.shape
    ('mobilenetv2_1.00_32', (None, 1280))
    """
    who = "MobileNetV2"
    imagenet_utils.check_common_args(
        who, weights, include_top, classes, pooling, classifier_activation
    )
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
        raise ValueError(f"{who}: `alpha` must be a positive number. Received: alpha={alpha!r}")
    default_size = _default_size(input_shape, input_tensor)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32, require_flatten=include_top,
        weights=weights,
    )
    rows, cols = input_shape[0], input_shape[1]
    if weights == "imagenet":
        if alpha not in _IMAGENET_ALPHAS:
            raise ValueError(
                f"{who}: if imagenet weights are being loaded, alpha must be one of `0.35`, "
                f"`0.50`, `0.75`, `1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`"
            )
        if rows != cols or rows not in _IMAGENET_ROWS:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[96, 128, 160, 192, 224]. Weights for input shape (224, 224) will be "
                "loaded as the default.",
                stacklevel=2,
            )
    suffix = "" if include_top else "_no_top"
    filename = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{suffix}.h5"
    url = f"{KERAS_BASE_URL}mobilenet_v2/{filename}"
    weights_path = imagenet_utils.resolve_weights(who, weights, filename, url)
    img_input, inputs = imagenet_utils.image_input(who, input_tensor, input_shape)

    x = layers.Conv2D(_make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
                      padding="same", use_bias=False, name="Conv1")(img_input)
    x = _bn("bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, filters=filters, alpha=alpha, stride=stride,
                                expansion=expansion, block_id=block_id)
    # As in the paper, alpha widens the last convolution but never narrows it.
    last_block_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_block_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = _bn("Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    x = imagenet_utils.top_or_pooling(x, include_top, pooling, classes, classifier_activation)
    model = Model(inputs, x, name=name or f"mobilenetv2_{alpha:0.2f}_{rows}")
    if weights_path is not None:
        load_application_weights(model, weights_path, who)
    return model


def preprocess_input(x, data_format: str | None = None) -> np.ndarray:
    """Tf-style preprocessing: scale pixels from ``[0, 255]`` to ``[-1, 1]``.

    >>> preprocess_input(np.array([0.0, 255.0]))
    array([-1.,  1.])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
