"""ResNetV2 (He et al., 2016, "Identity Mappings in Deep Residual Networks"), as Keras's
``keras.applications.resnet_v2``: ResNet50V2, ResNet101V2 and ResNet152V2.

Pre-activation bottleneck blocks: batch norm and ReLU come before each block's
convolutions (``conv2_block1_preact_bn``), the stem has no batch norm, and ``post_bn``
and ``post_relu`` follow the last stage. As in Keras, each stage but the last strides in
its last block (an unnamed 1x1 max pooling strides the identity shortcut), the 3x3
convolution pads explicitly (``_2_pad``), and the ``_1_conv`` and ``_2_conv``
convolutions have no bias. Stem and head are :func:`deepgrad.applications.resnet.resnet`'s.
Inputs are scaled to ``[-1, 1]`` (:func:`preprocess_input`, tf mode).

>>> base = ResNet50V2(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3))
>>> base.output.shape
(None, 2048)
"""

from __future__ import annotations

from deepgrad import layers
from deepgrad.applications import builders
from deepgrad.applications.imagenet_utils import decode_predictions
from deepgrad.applications.imagenet_utils import tf_preprocess_input as preprocess_input
from deepgrad.applications.resnet import EPSILON, resnet

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input",
           "decode_predictions"]


def _block(x, filters: int, stride: int = 1, conv_shortcut: bool = False, name: str = ""):
    """Keras's ``residual_block_v2``."""
    preact = layers.BatchNormalization(axis=3, epsilon=EPSILON, name=f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = layers.BatchNormalization(axis=3, epsilon=EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, 3, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def _stack(x, filters: int, blocks: int, stage: int, name: str):
    """Keras's ``stack_residual_blocks_v2``: the last block strides (but in conv5)."""
    x = _block(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = _block(x, filters, name=f"{name}_block{i}")
    return _block(x, filters, stride=1 if stage == 5 else 2, name=f"{name}_block{blocks}")


def _doc(who: str, blocks, count: int) -> str:
    return builders.builder_doc(
        f"Build {who} (pre-activation bottleneck blocks {', '.join(map(str, blocks))}; "
        f"{count:,} parameters with the top).", builders.size_error_example(who),
        top="``avg_pool`` and ``predictions``")


_SETTINGS = {"stack": _stack, "preact": True}
ResNet50V2 = builders.keras_builder(resnet, "ResNet50V2", "resnet50v2",
                                    _doc("ResNet50V2", (3, 4, 6, 3), 25_613_800), __name__,
                                    blocks=(3, 4, 6, 3), **_SETTINGS)
ResNet101V2 = builders.keras_builder(resnet, "ResNet101V2", "resnet101v2",
                                     _doc("ResNet101V2", (3, 4, 23, 3), 44_675_560), __name__,
                                     blocks=(3, 4, 23, 3), **_SETTINGS)
ResNet152V2 = builders.keras_builder(resnet, "ResNet152V2", "resnet152v2",
                                     _doc("ResNet152V2", (3, 8, 36, 3), 60_380_648), __name__,
                                     blocks=(3, 8, 36, 3), **_SETTINGS)
__test__ = {b.__name__: b for b in (ResNet50V2, ResNet101V2, ResNet152V2)}
