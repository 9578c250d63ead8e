"""DenseNet (Huang et al., 2017): Keras's DenseNet121, DenseNet169 and DenseNet201.

A 7x7 stem, then four dense blocks separated by transition blocks (``pool2`` to
``pool4``: batch norm, ReLU, a 1x1 convolution halving the channels, 2x2 average pooling).
Each layer of a dense block (``conv{stage}_block{i}``) is batch norm, ReLU, a 1x1
convolution to 128 channels, batch norm, ReLU, a 3x3 convolution to 32 channels, and a
concatenation with its input; convolutions have no bias, batch norms epsilon 1.001e-5.
The three models differ in their layers per block. Inputs are torch-preprocessed
(:func:`preprocess_input`: scaled to ``[0, 1]``, then ImageNet's mean and std).

>>> base = DenseNet121(weights=None, include_top=False, input_shape=(32, 32, 3))
>>> base.output.shape, base.layers[-1].name
((None, 1, 1, 1024), 'relu')
"""

from __future__ import annotations

from deepgrad import layers
from deepgrad.applications import builders
from deepgrad.applications.imagenet_utils import decode_predictions
from deepgrad.applications.imagenet_utils import torch_preprocess_input as preprocess_input
from deepgrad.models.model import Model

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "preprocess_input",
           "decode_predictions"]

_EPSILON = 1.001e-5
_GROWTH_RATE = 32


def _bn_relu(x, name: str):
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def _conv_block(x, name: str):
    """One layer of a dense block: its 32 new channels concatenated to its input."""
    x1 = _bn_relu(x, f"{name}_0")
    x1 = layers.Conv2D(4 * _GROWTH_RATE, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = _bn_relu(x1, f"{name}_1")
    x1 = layers.Conv2D(_GROWTH_RATE, 3, padding="same", use_bias=False,
                       name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, x1])


def _transition_block(x, name: str):
    x = _bn_relu(x, name)
    x = layers.Conv2D(int(x.shape[3] * 0.5), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def _densenet(who: str, args, *, blocks) -> Model:
    img_input, inputs, weights_path = builders.start(
        who, args, builders.keras_weights_file(who.lower(), args.include_top, "densenet"))

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn_relu(x, "conv1")
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, start=2):
        for i in range(1, count + 1):
            x = _conv_block(x, f"conv{stage}_block{i}")
        if stage < 5:
            x = _transition_block(x, f"pool{stage}")
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = builders.top_or_pooling(x, args, top_name="avg_pool", avg_name="avg_pool",
                                max_name="max_pool")
    return builders.finish(inputs, x, args.name, weights_path, who)


def _variant(who: str, blocks, count: int, features: int):
    doc = builders.builder_doc(
        f"Build {who} (dense blocks of {', '.join(map(str, blocks))} layers; {count:,} "
        "parameters with the top).",
        builders.pooled_example(who, features, count), top="``avg_pool`` and ``predictions``")
    return builders.keras_builder(_densenet, who, who.lower(), doc, __name__, blocks=blocks)


DenseNet121 = _variant("DenseNet121", (6, 12, 24, 16), 8_062_504, 1024)
DenseNet169 = _variant("DenseNet169", (6, 12, 32, 32), 14_307_880, 1664)
DenseNet201 = _variant("DenseNet201", (6, 12, 48, 32), 20_242_984, 1920)
__test__ = {b.__name__: b for b in (DenseNet121, DenseNet169, DenseNet201)}
