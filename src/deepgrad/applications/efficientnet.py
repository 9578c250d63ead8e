"""EfficientNet (Tan and Le, 2019): Keras's EfficientNetB0 to EfficientNetB7.

Mobile inverted bottleneck blocks (``block{stage}{letter}_``: ``expand_conv``, ``dwconv``,
squeeze-and-excite ``se_squeeze`` ... ``se_excite``, ``project_conv``, and ``drop`` and
``add`` when the shape is kept) with swish activations, scaled in width, depth and input
size from B0 to B7 (compound scaling). Kernels use Keras's variance-scaling initializers.

The model preprocesses its ``[0, 255]`` inputs itself: ``Rescaling(1/255)`` and a
``Normalization`` layer whose mean and variance come with the ImageNet weights (with
``weights="imagenet"`` a further ``Rescaling`` divides by the square root of ImageNet's
standard deviation, as in Keras). So :func:`preprocess_input` returns its input unchanged.

>>> base = EfficientNetB0(weights=None, include_top=False, input_shape=(32, 32, 3))
>>> base.output.shape, [layer.name for layer in base.layers[1:4]]
((None, 1, 1, 1280), ['rescaling', 'normalization', 'stem_conv_pad'])
"""

from __future__ import annotations

import math

from deepgrad import layers
from deepgrad.applications import builders
from deepgrad.applications.imagenet_utils import correct_pad, decode_predictions
from deepgrad.applications.imagenet_utils import (
    passthrough_preprocess_input as preprocess_input,
)
from deepgrad.applications.mobilenet_v2 import make_divisible
from deepgrad.models.model import Model

__all__ = ["EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3",
           "EfficientNetB4", "EfficientNetB5", "EfficientNetB6", "EfficientNetB7",
           "preprocess_input", "decode_predictions", "CONV_KERNEL_INITIALIZER",
           "DENSE_KERNEL_INITIALIZER", "squeeze_excite", "conv_bn", "residual", "efficientnet_top"]

CONV_KERNEL_INITIALIZER = {"class_name": "VarianceScaling", "config": {
    "scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"}}
DENSE_KERNEL_INITIALIZER = {"class_name": "VarianceScaling", "config": {
    "scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"}}
_IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)
_WEIGHTS_URL = "https://storage.googleapis.com/keras-applications/"
# (kernel, repeats, filters in, filters out, expansion, stride) of B0's seven stages; all
# have squeeze-and-excite (ratio 0.25) and identity shortcuts.
_STAGES = (
    (3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2), (3, 1, 192, 320, 6, 1),
)


def squeeze_excite(x, filters_in: int, activation: str, name: str):
    """Squeeze-and-excite of EfficientNet and EfficientNetV2 (ratio 0.25 of ``filters_in``).

    >>> import deepgrad as dg
    >>> squeeze_excite(dg.Input((4, 4, 16)), 8, "swish", "demo_").shape
    (None, 4, 4, 16)
    """
    filters = x.shape[-1]
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = layers.Reshape((1, 1, filters), name=f"{name}se_reshape")(se)
    se = layers.Conv2D(max(1, int(filters_in * 0.25)), 1, padding="same",
                       activation=activation, kernel_initializer=CONV_KERNEL_INITIALIZER,
                       name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid",
                       kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_expand")(se)
    return layers.Multiply(name=f"{name}se_excite")([x, se])


def conv_bn(x, filters: int, kernel_size, name: str, bn_name: str, activation=None,
            act_name=None, strides=1, momentum: float = 0.99):
    """A convolution without bias (Keras's initializer, 'same'), batch norm, activation.

    >>> import deepgrad as dg
    >>> conv_bn(dg.Input((8, 8, 3)), 4, 3, "c", "c_bn", "swish", "c_act", strides=2).shape
    (None, 4, 4, 4)
    """
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, name=name)(x)
    x = layers.BatchNormalization(axis=3, momentum=momentum, name=bn_name)(x)
    if activation is not None:
        x = layers.Activation(activation, name=act_name)(x)
    return x


def residual(x, inputs, drop_rate: float, name: str, identity: bool):
    """A block's identity shortcut (when ``identity``: stride 1, as many filters out as
    in): stochastic depth as a ``Dropout`` of whole samples (``drop``), then ``add``.

    >>> import deepgrad as dg
    >>> a, b = dg.Input((4, 4, 8)), dg.Input((4, 4, 8))
    >>> residual(a, b, 0.1, "demo_", True).shape, residual(a, b, 0.1, "demo_", False) is a
    ((None, 4, 4, 8), True)
    """
    if not identity:
        return x
    if drop_rate > 0:
        x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.Add(name=f"{name}add")([x, inputs])


def efficientnet_top(x, args, filters: int, momentum: float, dropout_rate: float):
    """``top_conv``, ``top_bn``, ``top_activation``, then the classifier or a pooling.

    >>> import deepgrad as dg
    >>> from types import SimpleNamespace
    >>> args = SimpleNamespace(include_top=False, pooling="avg")
    >>> efficientnet_top(dg.Input((2, 2, 8)), args, 16, 0.99, 0.2).shape
    (None, 16)
    """
    x = conv_bn(x, filters, 1, "top_conv", "top_bn", "swish", "top_activation",
                momentum=momentum)
    if args.include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        return layers.Dense(args.classes, activation=args.classifier_activation,
                            kernel_initializer=DENSE_KERNEL_INITIALIZER, name="predictions")(x)
    return builders.pooling(x, args.pooling, "avg_pool", "max_pool")


def _block(inputs, activation: str, drop_rate: float, name: str, filters_in: int,
           filters_out: int, kernel_size: int, strides: int, expand_ratio: int):
    """Keras's ``block``: expansion, depthwise (padded explicitly when strided), SE, projection."""
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = conv_bn(x, filters, 1, f"{name}expand_conv", f"{name}expand_bn", activation,
                    f"{name}expand_activation")
    if strides == 2:
        x = layers.ZeroPadding2D(padding=correct_pad(x, kernel_size), name=f"{name}dwconv_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=strides,
                               padding="valid" if strides == 2 else "same", use_bias=False,
                               depthwise_initializer=CONV_KERNEL_INITIALIZER,
                               name=f"{name}dwconv")(x)
    x = layers.BatchNormalization(axis=3, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    x = squeeze_excite(x, filters_in, activation, name)
    x = conv_bn(x, filters_out, 1, f"{name}project_conv", f"{name}project_bn")
    return residual(x, inputs, drop_rate, name, strides == 1 and filters_in == filters_out)


def _efficientnet(who: str, args, *, width: float, depth: float, default_size: int,
                  dropout_rate: float) -> Model:
    # Keras names the file after the model's name; deepgrad after the default name, so a
    # renamed model still finds its weights.
    filename = f"{who.lower()}{'' if args.include_top else '_notop'}.h5"
    img_input, inputs, weights_path = builders.start(
        who, args, (filename, _WEIGHTS_URL + filename), default_size=default_size)

    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=3)(x)
    if args.weights == "imagenet":
        x = layers.Rescaling([1.0 / math.sqrt(stddev) for stddev in _IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(padding=correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(make_divisible(32 * width), 3, strides=2, padding="valid", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, name="stem_conv")(x)
    x = layers.BatchNormalization(axis=3, name="stem_bn")(x)
    x = layers.Activation("swish", name="stem_activation")(x)

    repeats = [int(math.ceil(depth * stage[1])) for stage in _STAGES]
    b, total = 0, float(sum(repeats))
    for i, ((kernel, _, filters_in, filters_out, expand, stride), count) in enumerate(
            zip(_STAGES, repeats)):
        filters_in, filters_out = make_divisible(filters_in * width), make_divisible(
            filters_out * width)
        for j in range(count):
            x = _block(x, "swish", 0.2 * b / total, f"block{i + 1}{chr(j + 97)}_",
                       filters_in if j == 0 else filters_out, filters_out, kernel,
                       stride if j == 0 else 1, expand)
            b += 1
    x = efficientnet_top(x, args, make_divisible(1280 * width), 0.99, dropout_rate)
    return builders.finish(inputs, x, args.name, weights_path, who)


def _variant(who: str, width: float, depth: float, size: int, dropout: float, count: int,
             features: int):
    doc = builders.builder_doc(
        f"Build {who} (width {width}, depth {depth}, {size}x{size} inputs; {count:,} "
        "parameters with the top).",
        builders.pooled_example(who, features, count), default_size=size,
        top=f"``avg_pool``, ``top_dropout`` (rate {dropout}) and ``predictions``")
    return builders.keras_builder(_efficientnet, who, who.lower(), doc, __name__, width=width,
                                  depth=depth, default_size=size, dropout_rate=dropout)


EfficientNetB0 = _variant("EfficientNetB0", 1.0, 1.0, 224, 0.2, 5_330_571, 1280)
EfficientNetB1 = _variant("EfficientNetB1", 1.0, 1.1, 240, 0.2, 7_856_239, 1280)
EfficientNetB2 = _variant("EfficientNetB2", 1.1, 1.2, 260, 0.3, 9_177_569, 1408)
EfficientNetB3 = _variant("EfficientNetB3", 1.2, 1.4, 300, 0.3, 12_320_535, 1536)
EfficientNetB4 = _variant("EfficientNetB4", 1.4, 1.8, 380, 0.4, 19_466_823, 1792)
EfficientNetB5 = _variant("EfficientNetB5", 1.6, 2.2, 456, 0.4, 30_562_527, 2048)
EfficientNetB6 = _variant("EfficientNetB6", 1.8, 2.6, 528, 0.5, 43_265_143, 2304)
EfficientNetB7 = _variant("EfficientNetB7", 2.0, 3.1, 600, 0.5, 66_658_687, 2560)
__test__ = {b.__name__: b for b in (EfficientNetB0, EfficientNetB1, EfficientNetB2,
                                    EfficientNetB3, EfficientNetB4, EfficientNetB5,
                                    EfficientNetB6, EfficientNetB7)}
