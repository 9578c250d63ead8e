"""EfficientNetV2 (Tan and Le, 2021): Keras's EfficientNetV2B0 to B3, S, M and L.

The first stages use fused blocks (``FusedMBConv``: one full convolution instead of the
1x1 expansion and the depthwise convolution), the later ones EfficientNet's blocks with
squeeze-and-excite (the depthwise convolution is ``dwconv2``, 'same'-padded); batch
norms use momentum 0.9. As in Keras, a block's stochastic-depth ``drop`` layer is a
``Dropout`` whose rate is the block's survival probability, so the first residual block
has none.

The model preprocesses its ``[0, 255]`` inputs itself (``include_preprocessing=True``):
B0 to B3 with ``Rescaling(1/255)`` and a ``Normalization`` by ImageNet's mean and
variance (no weights), S, M and L with ``Rescaling(1/128, offset=-1)``. So
:func:`preprocess_input` returns its input unchanged. (Keras decides between the two by
the model's ``name``, and looks its blocks up by it, so a renamed Keras model fails;
deepgrad decides by the variant.)

>>> base = EfficientNetV2B0(weights=None, include_top=False, input_shape=(32, 32, 3))
>>> base.output.shape, base.layers[-1].name
((None, 1, 1, 1280), 'top_activation')
"""

from __future__ import annotations

import math

from deepgrad import layers
from deepgrad.applications import builders
from deepgrad.applications.efficientnet import (
    CONV_KERNEL_INITIALIZER,
    conv_bn,
    efficientnet_top,
    residual,
    squeeze_excite,
)
from deepgrad.applications.imagenet_utils import decode_predictions
from deepgrad.applications.imagenet_utils import (
    passthrough_preprocess_input as preprocess_input,
)
from deepgrad.applications.local_files import KERAS_BASE_URL
from deepgrad.models.model import Model

__all__ = ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
           "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L", "preprocess_input",
           "decode_predictions"]

_MOMENTUM = 0.9
# (fused, repeats, filters in, filters out, expansion, stride) per stage; every kernel is
# 3x3, and the MBConv stages (not fused) have squeeze-and-excite.
_B = ((True, 1, 32, 16, 1, 1), (True, 2, 16, 32, 4, 2), (True, 2, 32, 48, 4, 2),
      (False, 3, 48, 96, 4, 2), (False, 5, 96, 112, 6, 1), (False, 8, 112, 192, 6, 2))
_STAGES = {
    "b": _B,
    "s": ((True, 2, 24, 24, 1, 1), (True, 4, 24, 48, 4, 2), (True, 4, 48, 64, 4, 2),
          (False, 6, 64, 128, 4, 2), (False, 9, 128, 160, 6, 1), (False, 15, 160, 256, 6, 2)),
    "m": ((True, 3, 24, 24, 1, 1), (True, 5, 24, 48, 4, 2), (True, 5, 48, 80, 4, 2),
          (False, 7, 80, 160, 4, 2), (False, 14, 160, 176, 6, 1),
          (False, 18, 176, 304, 6, 2), (False, 5, 304, 512, 6, 1)),
    "l": ((True, 4, 32, 32, 1, 1), (True, 7, 32, 64, 4, 2), (True, 7, 64, 96, 4, 2),
          (False, 10, 96, 192, 4, 2), (False, 19, 192, 224, 6, 1),
          (False, 25, 224, 384, 6, 2), (False, 7, 384, 640, 6, 1)),
}
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_VARIANCE = (0.229**2, 0.224**2, 0.225**2)


def _round_filters(filters: float, width: float) -> int:
    """EfficientNetV2's rounding: to a multiple of 8 (at least 8), without a 10% floor."""
    return int(max(8, int(filters * width + 4) // 8 * 8))


def _block(inputs, fused: bool, filters_in: int, filters_out: int, expand: int, strides: int,
           survival: float, name: str):
    """Keras's ``MBConvBlock`` and ``FusedMBConvBlock`` (without squeeze-and-excite in the
    fused one: no published configuration uses it)."""
    x, filters = inputs, filters_in * expand
    momentum = _MOMENTUM
    if fused:
        if expand != 1:
            x = conv_bn(x, filters, 3, f"{name}expand_conv", f"{name}expand_bn", "swish",
                        f"{name}expand_activation", strides=strides, momentum=momentum)
        x = conv_bn(x, filters_out, 1 if expand != 1 else 3, f"{name}project_conv",
                    f"{name}project_bn", strides=1 if expand != 1 else strides,
                    momentum=momentum)
        if expand == 1:
            x = layers.Activation("swish", name=f"{name}project_activation")(x)
    else:
        if expand != 1:
            x = conv_bn(x, filters, 1, f"{name}expand_conv", f"{name}expand_bn", "swish",
                        f"{name}expand_activation", momentum=momentum)
        x = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False,
                                   depthwise_initializer=CONV_KERNEL_INITIALIZER,
                                   name=f"{name}dwconv2")(x)
        x = layers.BatchNormalization(axis=3, momentum=momentum, name=f"{name}bn")(x)
        x = layers.Activation("swish", name=f"{name}activation")(x)
        x = squeeze_excite(x, filters_in, "swish", name)
        x = conv_bn(x, filters_out, 1, f"{name}project_conv", f"{name}project_bn",
                    momentum=momentum)
    return residual(x, inputs, survival, name, strides == 1 and filters_in == filters_out)


def _efficientnet_v2(who: str, args, *, variant: str, width: float, depth: float,
                     default_size: int) -> Model:
    filename = f"efficientnetv2-{variant}{'' if args.include_top else '_notop'}.h5"
    img_input, inputs, weights_path = builders.start(
        who, args, (filename, f"{KERAS_BASE_URL}efficientnet_v2/{filename}"),
        default_size=default_size)

    x = img_input
    if args.include_preprocessing:
        if variant.startswith("b") and img_input.shape[-1] == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=list(_IMAGENET_MEAN),
                                     variance=list(_IMAGENET_VARIANCE), axis=3)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)
    stages = _STAGES[variant[0]]
    x = conv_bn(x, _round_filters(stages[0][2], width), 3, "stem_conv", "stem_bn", "swish",
                "stem_activation", strides=2, momentum=_MOMENTUM)
    b, total = 0, float(sum(stage[1] for stage in stages))
    for i, (fused, repeats, filters_in, filters_out, expand, stride) in enumerate(stages):
        filters_in = _round_filters(filters_in, width)
        filters_out = _round_filters(filters_out, width)
        for j in range(int(math.ceil(depth * repeats))):
            x = _block(x, fused, filters_in if j == 0 else filters_out, filters_out, expand,
                       stride if j == 0 else 1, 0.2 * b / total, f"block{i + 1}{chr(j + 97)}_")
            b += 1
    x = efficientnet_top(x, args, _round_filters(1280, width), _MOMENTUM, 0.2)
    return builders.finish(inputs, x, args.name, weights_path, who)


_ARGS = (*builders.KERAS_ARGS, ("include_preprocessing", True))


def _variant(variant: str, width: float, depth: float, size: int, count: int, features: int):
    who = f"EfficientNetV2{variant.upper()}"
    doc = builders.builder_doc(
        f"Build {who} (width {width}, depth {depth}, {size}x{size} inputs; {count:,} "
        "parameters with the top).",
        builders.pooled_example(who, features, count), args=_ARGS, default_size=size,
        top="``avg_pool``, ``top_dropout`` and ``predictions``")
    return builders.keras_builder(_efficientnet_v2, who, f"efficientnetv2-{variant}", doc,
                                  __name__, args=_ARGS, variant=variant, width=width,
                                  depth=depth, default_size=size)


EfficientNetV2B0 = _variant("b0", 1.0, 1.0, 224, 7_200_312, 1280)
EfficientNetV2B1 = _variant("b1", 1.0, 1.1, 240, 8_212_124, 1280)
EfficientNetV2B2 = _variant("b2", 1.1, 1.2, 260, 10_178_374, 1408)
EfficientNetV2B3 = _variant("b3", 1.2, 1.4, 300, 14_467_622, 1536)
EfficientNetV2S = _variant("s", 1.0, 1.0, 384, 21_612_360, 1280)
EfficientNetV2M = _variant("m", 1.0, 1.0, 480, 54_431_388, 1280)
EfficientNetV2L = _variant("l", 1.0, 1.0, 480, 119_027_848, 1280)
__test__ = {b.__name__: b for b in (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2,
                                    EfficientNetV2B3, EfficientNetV2S, EfficientNetV2M,
                                    EfficientNetV2L)}
