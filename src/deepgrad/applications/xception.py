"""Xception (Chollet, 2017), laid out and named as Keras's Xception.

An entry flow of strided blocks with 1x1 projection shortcuts, a middle flow of eight
blocks of three 728-filter separable convolutions with identity shortcuts, and an exit
flow. Layer names are Keras's (``block1_conv1`` ... ``block14_sepconv2_act``); as in
Keras, the shortcut convolutions, their batch norms and the ``Add`` layers take
automatic names (``conv2d``, ``batch_normalization``, ``add``...). Batch norms use
Keras's defaults. The default input is 299x299x3, the minimum 71x71. Inputs are scaled to
``[-1, 1]`` (:func:`preprocess_input`, tf mode).

>>> base = Xception(weights=None, include_top=False, input_shape=(71, 71, 3))
>>> base.output.shape
(None, 3, 3, 2048)
"""

from __future__ import annotations

from deepgrad import layers
from deepgrad.applications import builders
from deepgrad.applications.imagenet_utils import decode_predictions
from deepgrad.applications.imagenet_utils import tf_preprocess_input as preprocess_input
from deepgrad.models.model import Model

__all__ = ["Xception", "preprocess_input", "decode_predictions"]


def _sepconv_bn(x, filters: int, name: str):
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=-1, name=f"{name}_bn")(x)


def _shortcut(x, filters: int):
    residual = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return layers.BatchNormalization(axis=-1)(residual)


def _strided_block(x, block: int, filters: tuple[int, int], first_relu: bool = True):
    """Two separable convolutions and a strided max pool, added to a 1x1 projection."""
    residual = _shortcut(x, filters[1])
    if first_relu:
        x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _sepconv_bn(x, filters[0], f"block{block}_sepconv1")
    x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = _sepconv_bn(x, filters[1], f"block{block}_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.Add()([x, residual])


def _xception(who: str, args) -> Model:
    img_input, inputs, weights_path = builders.start(
        who, args, builders.keras_weights_file("xception", args.include_top, "xception"),
        default_size=299, min_size=71)

    # Entry flow.
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=-1, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=-1, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)
    x = _strided_block(x, 2, (128, 128), first_relu=False)
    x = _strided_block(x, 3, (256, 256))
    x = _strided_block(x, 4, (728, 728))

    # Middle flow.
    for block in range(5, 13):
        residual = x
        for conv in (1, 2, 3):
            x = layers.Activation("relu", name=f"block{block}_sepconv{conv}_act")(x)
            x = _sepconv_bn(x, 728, f"block{block}_sepconv{conv}")
        x = layers.Add()([x, residual])

    # Exit flow.
    x = _strided_block(x, 13, (728, 1024))
    for conv, filters in ((1, 1536), (2, 2048)):
        x = _sepconv_bn(x, filters, f"block14_sepconv{conv}")
        x = layers.Activation("relu", name=f"block14_sepconv{conv}_act")(x)

    # Keras names the top's pooling 'avg_pool' but leaves pooling="avg"/"max" unnamed.
    x = builders.top_or_pooling(x, args, top_name="avg_pool")
    return builders.finish(inputs, x, args.name, weights_path, who)


Xception = builders.keras_builder(_xception, "Xception", "xception", builders.builder_doc(
    "Build Xception (22,910,480 parameters with the top).",
    """>>> Xception(weights=None, include_top=False, input_shape=(64, 64, 3))
Traceback (most recent call last):
...
ValueError: Input size must be at least 71x71; Received: input_shape=(64, 64, 3)""",
    default_size=299, min_size=71, top="``avg_pool`` and ``predictions``"), __name__)
__test__ = {"Xception": Xception}
