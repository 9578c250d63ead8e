"""Inception-ResNet-v2 (Szegedy et al., 2017), as Keras's ``InceptionResNetV2``.

The Inception-v3 stem, ``mixed_5b``, then 10 ``block35``, ``mixed_6a``, 20 ``block17``,
``mixed_7a`` and 10 ``block8`` residual inception blocks, and ``conv_7b``. Each block
concatenates its branches (``{block}_mixed``), projects them with a biased 1x1 convolution
(``{block}_conv``) and adds them, scaled, to its input: Keras's ``CustomScaleLayer``
(here :class:`CustomScaleLayer`, registered so saved models load), then a ReLU
(``{block}_ac``; none after ``block8_10``). Unnamed convolutions are Keras's
``conv2d_bn`` with automatic names. The default input is 299x299x3, the minimum 75x75.
Inputs are scaled to ``[-1, 1]`` (:func:`preprocess_input`, tf mode).

>>> layer = CustomScaleLayer(0.5)
>>> layer([np.ones((1, 2), "float32"), np.full((1, 2), 4.0, "float32")]).data
array([[3., 3.]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad import layers
from deepgrad.applications import builders
from deepgrad.applications.imagenet_utils import decode_predictions
from deepgrad.applications.imagenet_utils import tf_preprocess_input as preprocess_input
from deepgrad.applications.inception_v3 import conv2d_bn
from deepgrad.layers.base import Layer
from deepgrad.models.model import Model
from deepgrad.registry import register_keras_serializable

__all__ = ["InceptionResNetV2", "CustomScaleLayer", "preprocess_input", "decode_predictions"]


@register_keras_serializable(package="deepgrad.applications")
class CustomScaleLayer(Layer):
    """``inputs[0] + inputs[1] * scale``: Keras's residual scaling of InceptionResNetV2.

    Args:
        scale: the factor of the residual branch (0.17, 0.1, 0.2 or 1.0 in the model).

    Input shape: a list of two tensors of the same shape. Output shape: that shape.

    >>> CustomScaleLayer(0.1).compute_output_shape([(None, 8, 8, 4), (None, 8, 8, 4)])
    (None, 8, 8, 4)
    """

    def __init__(self, scale: float, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, inputs):
        return inputs[0] + inputs[1] * np.asarray(self.scale, inputs[1].dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale}


def _named(name):
    """InceptionResNetV2's layer names for :func:`conv2d_bn`: name, ``_bn``, ``_ac``."""
    return None if name is None else (name, f"{name}_bn", f"{name}_ac")


_BRANCHES = {  # per block type: branches of (filters, kernel) convolutions
    "block35": (((32, 1),), ((32, 1), (32, 3)), ((32, 1), (48, 3), (64, 3))),
    "block17": (((192, 1),), ((128, 1), (160, (1, 7)), (192, (7, 1)))),
    "block8": (((192, 1),), ((192, 1), (224, (1, 3)), (256, (3, 1)))),
}


def _block(x, scale: float, block_type: str, block_idx: int, activation="relu"):
    """Keras's ``inception_resnet_block``."""
    branches = []
    for convs in _BRANCHES[block_type]:
        branch = x
        for filters, kernel in convs:
            branch = conv2d_bn(branch, filters, kernel)
        branches.append(branch)
    block_name = f"{block_type}_{block_idx}"
    mixed = layers.Concatenate(axis=3, name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[3], 1, activation=None, use_bias=True,
                   name=_named(f"{block_name}_conv"))
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def _reduction(x, branches, name: str):
    """A strided stage: the given convolution branches and a 3x3 max pooling."""
    outputs = []
    for convs in branches:
        branch = x
        for i, (filters, kernel) in enumerate(convs, start=1):
            last = i == len(convs)
            branch = conv2d_bn(branch, filters, kernel, strides=2 if last else 1,
                               padding="valid" if last else "same")
        outputs.append(branch)
    outputs.append(layers.MaxPooling2D(3, strides=2, padding="valid")(x))
    return layers.Concatenate(axis=3, name=name)(outputs)


def _inception_resnet_v2(who: str, args) -> Model:
    img_input, inputs, weights_path = builders.start(
        who, args, builders.keras_weights_file("inception_resnet_v2", args.include_top,
                                               "inception_resnet_v2"),
        default_size=299, min_size=75)

    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)

    branch_0 = conv2d_bn(x, 96, 1)
    branch_1 = conv2d_bn(conv2d_bn(x, 48, 1), 64, 5)
    branch_2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1), 96, 3), 96, 3)
    branch_pool = conv2d_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1)
    x = layers.Concatenate(axis=3, name="mixed_5b")([branch_0, branch_1, branch_2, branch_pool])
    for block_idx in range(1, 11):
        x = _block(x, 0.17, "block35", block_idx)
    x = _reduction(x, (((384, 3),), ((256, 1), (256, 3), (384, 3))), "mixed_6a")
    for block_idx in range(1, 21):
        x = _block(x, 0.1, "block17", block_idx)
    x = _reduction(x, (((256, 1), (384, 3)), ((256, 1), (288, 3)),
                       ((256, 1), (288, 3), (320, 3))), "mixed_7a")
    for block_idx in range(1, 10):
        x = _block(x, 0.2, "block8", block_idx)
    x = _block(x, 1.0, "block8", 10, activation=None)
    x = conv2d_bn(x, 1536, 1, name=_named("conv_7b"))

    x = builders.top_or_pooling(x, args, top_name="avg_pool")
    return builders.finish(inputs, x, args.name, weights_path, who)


InceptionResNetV2 = builders.keras_builder(
    _inception_resnet_v2, "InceptionResNetV2", "inception_resnet_v2", builders.builder_doc(
        "Build InceptionResNetV2 (55,873,736 parameters with the top).",
        builders.size_error_example("InceptionResNetV2", 75),
        default_size=299, min_size=75, top="``avg_pool`` and ``predictions``"), __name__)
__test__ = {"InceptionResNetV2": InceptionResNetV2}
