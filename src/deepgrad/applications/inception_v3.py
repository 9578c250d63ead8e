"""Inception-v3 (Szegedy et al., 2016), laid out and named as Keras's ``InceptionV3``.

A stem of five convolutions and two max poolings, then eleven inception modules
concatenated as ``mixed0`` ... ``mixed10`` (``mixed9_0``/``mixed9_1`` inside the last two).
Every convolution is Keras's ``conv2d_bn``: a convolution without bias, a batch norm
without scale (``scale=False``) and a ReLU, all three with automatic names
(``conv2d``, ``batch_normalization``, ``activation``...), as in Keras. The default input
is 299x299x3, the minimum 75x75. Inputs are scaled to ``[-1, 1]``
(:func:`preprocess_input`, tf mode).

>>> base = InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3))
>>> base.output.shape, base.layers[-1].name
((None, 1, 1, 2048), 'mixed10')
"""

from __future__ import annotations

from deepgrad import layers
from deepgrad.applications import builders
from deepgrad.applications.imagenet_utils import decode_predictions
from deepgrad.applications.imagenet_utils import tf_preprocess_input as preprocess_input
from deepgrad.models.model import Model

__all__ = ["InceptionV3", "preprocess_input", "decode_predictions", "conv2d_bn"]


def conv2d_bn(x, filters: int, kernel_size, strides=1, padding: str = "same", name=None,
              activation="relu", use_bias: bool = False):
    """Keras's ``conv2d_bn`` of both Inception models: convolution without bias, batch
    norm without scale, activation (with ``use_bias=True``: the convolution alone, biased).

    ``name`` is None for automatic layer names (InceptionV3), or the three names
    ``(convolution, batch norm, activation)`` (InceptionResNetV2's ``name``, ``{name}_bn``,
    ``{name}_ac``).

    >>> import deepgrad as dg
    >>> conv2d_bn(dg.Input((9, 9, 3)), 8, (1, 7)).shape
    (None, 9, 9, 8)
    """
    conv_name, bn_name, act_name = name if isinstance(name, tuple) else (None, None, None)
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias,
                      name=conv_name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=3, scale=False, name=bn_name)(x)
    if activation is not None:
        x = layers.Activation(activation, name=act_name)(x)
    return x


def _mixed(branches, name=None):
    return layers.Concatenate(axis=3, name=name)(branches)


def _pool_branch(x, filters: int):
    x = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(x, filters, (1, 1))


def _module_a(x, pool_filters: int, name: str):
    """35x35: 1x1, 5x5, double 3x3 and pooled branches."""
    branch1x1 = conv2d_bn(x, 64, (1, 1))
    branch5x5 = conv2d_bn(conv2d_bn(x, 48, (1, 1)), 64, (5, 5))
    branch3x3dbl = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, (1, 1)), 96, (3, 3)), 96, (3, 3))
    return _mixed([branch1x1, branch5x5, branch3x3dbl, _pool_branch(x, pool_filters)], name)


def _module_c(x, filters: int, name: str):
    """17x17: factorized 7x7 convolutions (1x7 then 7x1) of ``filters`` channels inside."""
    branch1x1 = conv2d_bn(x, 192, (1, 1))
    branch7x7 = conv2d_bn(x, filters, (1, 1))
    branch7x7 = conv2d_bn(branch7x7, filters, (1, 7))
    branch7x7 = conv2d_bn(branch7x7, 192, (7, 1))
    branch7x7dbl = conv2d_bn(x, filters, (1, 1))
    for out, kernel in ((filters, (7, 1)), (filters, (1, 7)), (filters, (7, 1)), (192, (1, 7))):
        branch7x7dbl = conv2d_bn(branch7x7dbl, out, kernel)
    return _mixed([branch1x1, branch7x7, branch7x7dbl, _pool_branch(x, 192)], name)


def _module_e(x, index: int):
    """8x8: 3x3 convolutions split into parallel 1x3 and 3x1 ones."""
    branch1x1 = conv2d_bn(x, 320, (1, 1))
    branch3x3 = conv2d_bn(x, 384, (1, 1))
    branch3x3 = _mixed([conv2d_bn(branch3x3, 384, (1, 3)), conv2d_bn(branch3x3, 384, (3, 1))],
                       f"mixed9_{index}")
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 448, (1, 1)), 384, (3, 3))
    branch3x3dbl = _mixed([conv2d_bn(branch3x3dbl, 384, (1, 3)),
                           conv2d_bn(branch3x3dbl, 384, (3, 1))])
    return _mixed([branch1x1, branch3x3, branch3x3dbl, _pool_branch(x, 192)],
                  f"mixed{9 + index}")


def _inception_v3(who: str, args) -> Model:
    img_input, inputs, weights_path = builders.start(
        who, args, builders.keras_weights_file("inception_v3", args.include_top, "inception_v3"),
        default_size=299, min_size=75)

    x = conv2d_bn(img_input, 32, (3, 3), strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, (3, 3), padding="valid")
    x = conv2d_bn(x, 64, (3, 3))
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, (1, 1), padding="valid")
    x = conv2d_bn(x, 192, (3, 3), padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    for index, pool_filters in enumerate((32, 64, 64)):
        x = _module_a(x, pool_filters, f"mixed{index}")

    # mixed3: 35x35 to 17x17.
    branch3x3 = conv2d_bn(x, 384, (3, 3), strides=(2, 2), padding="valid")
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 64, (1, 1)), 96, (3, 3))
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, (3, 3), strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _mixed([branch3x3, branch3x3dbl, branch_pool], "mixed3")
    for index, filters in enumerate((128, 160, 160, 192), start=4):
        x = _module_c(x, filters, f"mixed{index}")

    # mixed8: 17x17 to 8x8.
    branch3x3 = conv2d_bn(conv2d_bn(x, 192, (1, 1)), 320, (3, 3), strides=(2, 2),
                          padding="valid")
    branch7x7x3 = conv2d_bn(conv2d_bn(conv2d_bn(x, 192, (1, 1)), 192, (1, 7)), 192, (7, 1))
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, (3, 3), strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _mixed([branch3x3, branch7x7x3, branch_pool], "mixed8")
    for index in (0, 1):
        x = _module_e(x, index)

    x = builders.top_or_pooling(x, args, top_name="avg_pool")
    return builders.finish(inputs, x, args.name, weights_path, who)


InceptionV3 = builders.keras_builder(_inception_v3, "InceptionV3", "inception_v3",
                                     builders.builder_doc(
    "Build InceptionV3 (23,851,784 parameters with the top).",
    builders.size_error_example("InceptionV3", 75),
    default_size=299, min_size=75, top="``avg_pool`` and ``predictions``"), __name__)
__test__ = {"InceptionV3": InceptionV3}
