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

from deepgrad import layers
from deepgrad.applications import builders
from deepgrad.applications.imagenet_utils import (
    caffe_preprocess_input as preprocess_input,
)
from deepgrad.applications.imagenet_utils import decode_predictions
from deepgrad.models.model import Model

__all__ = ["VGG16", "VGG19", "preprocess_input", "decode_predictions"]

# Filters per block and convolutions per block.
_FILTERS = (64, 128, 256, 512, 512)
_DEPTHS = {"VGG16": (2, 2, 3, 3, 3), "VGG19": (2, 2, 4, 4, 4)}


def _vgg(who: str, args) -> Model:
    img_input, inputs, weights_path = builders.start(
        who, args, builders.keras_weights_file(who.lower(), args.include_top, who.lower()))
    x = img_input
    for block, (filters, depth) in enumerate(zip(_FILTERS, _DEPTHS[who]), start=1):
        for conv in range(1, depth + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{conv}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if args.include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(args.classes, activation=args.classifier_activation,
                         name="predictions")(x)
    else:
        x = builders.pooling(x, args.pooling)
    return builders.finish(inputs, x, args.name, weights_path, who)


_TOP = "``flatten``, ``fc1``, ``fc2`` (4096 units each) and ``predictions``"
VGG16 = builders.keras_builder(_vgg, "VGG16", "vgg16", builders.builder_doc(
    "Build VGG16: 13 convolutions and 3 dense layers (138,357,544 parameters).",
    """>>> VGG16(weights=None, include_top=False, input_shape=(180, 180, 3)).output.shape
(None, 5, 5, 512)""", top=_TOP), __name__)
VGG19 = builders.keras_builder(_vgg, "VGG19", "vgg19", builders.builder_doc(
    "Build VGG19: 16 convolutions and 3 dense layers (143,667,240 parameters).",
    """>>> model = VGG19(weights=None, include_top=False, pooling="max", input_shape=(32, 32, 3))
>>> model.output.shape
(None, 512)""", top=_TOP), __name__)
__test__ = {"VGG16": VGG16, "VGG19": VGG19}
