"""ResNet (He et al., 2015): Keras's ResNet50, ResNet101 and ResNet152, and ResNet18/34.

ResNet50/101/152 are Keras's ``keras.applications.resnet`` layer for layer (names such as
``conv1_conv``, ``conv2_block1_0_conv``, ``conv5_block3_out``, biases in every
convolution, batch-norm epsilon 1.001e-5), so Keras's weights files load into them. They
differ only in the number of bottleneck blocks per stage. :mod:`resnet_v2` builds the
pre-activation variants on the same stem and head (:func:`resnet_body`).

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

from collections.abc import Callable

from deepgrad import layers
from deepgrad.applications import builders
from deepgrad.applications.imagenet_utils import (
    caffe_preprocess_input as preprocess_input,
)
from deepgrad.applications.imagenet_utils import decode_predictions
from deepgrad.models.model import Model

__all__ = ["ResNet50", "ResNet101", "ResNet152", "ResNet18", "ResNet34", "preprocess_input",
           "decode_predictions", "resnet_body"]

EPSILON = 1.001e-5  # Keras's ResNets
_BASIC_EPSILON = 1e-5  # torchvision's default
_FILTERS = (64, 128, 256, 512)


def _bottleneck_block(x, filters: int, stride: int = 1, conv_shortcut: bool = True, name=""):
    """Keras's ``residual_block_v1``: 1x1, 3x3, 1x1 (4 * filters), stride on the first 1x1."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=3, epsilon=EPSILON,
                                             name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=EPSILON, name=f"{name}_3_bn")(x)
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


def _bottleneck_stack(x, filters: int, blocks: int, stage: int, name: str):
    """Keras's ``stack_residual_blocks_v1``: the first block strides (but in conv2)."""
    x = _bottleneck_block(x, filters, stride=1 if stage == 2 else 2, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = _bottleneck_block(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def _basic_stack(x, filters: int, blocks: int, stage: int, name: str):
    for i in range(1, blocks + 1):
        stride = 2 if i == 1 and stage != 2 else 1
        x = _basic_block(x, filters, stride=stride, name=f"{name}_block{i}")
    return x


def resnet_body(img_input, blocks, stack: Callable, *, preact: bool, use_bias: bool,
                epsilon: float = EPSILON):
    """Keras's ``ResNet`` between the input and the top: stem, four stages, post-norm.

    Args:
        img_input: the image input.
        blocks: blocks per stage (conv2 to conv5).
        stack: ``stack(x, filters, blocks, stage, name)`` builds one stage.
        preact: pre-activation (v2): no batch norm after the stem's convolution, one
            (``post_bn``, ``post_relu``) after the last stage instead.
        use_bias: whether the stem's convolution has a bias.
        epsilon: the stem's batch-norm epsilon.

    >>> import deepgrad as dg
    >>> resnet_body(dg.Input((32, 32, 3)), (1, 1, 1, 1), _bottleneck_stack, preact=False,
    ...             use_bias=True).shape
    (None, 1, 1, 2048)
    """
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = layers.BatchNormalization(axis=3, epsilon=epsilon, name="conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, count) in enumerate(zip(_FILTERS, blocks), start=2):
        x = stack(x, filters, count, stage, f"conv{stage}")
    if preact:
        x = layers.BatchNormalization(axis=3, epsilon=epsilon, name="post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    return x


def resnet(who: str, args, *, blocks, stack: Callable = _bottleneck_stack,
           preact: bool = False, basic: bool = False) -> Model:
    """Build a ResNet of ``blocks`` per stage: Keras's ``ResNet`` (v1 and v2) and the
    basic-block ResNet18/34, for the public builders (``args``: their arguments).

    >>> from types import SimpleNamespace
    >>> args = SimpleNamespace(include_top=False, weights=None, input_tensor=None,
    ...     input_shape=(32, 32, 3), pooling="avg", classes=1000, classifier_activation=None,
    ...     name="tiny_resnet")
    >>> resnet("TinyResNet", args, blocks=(1, 1, 1, 1)).output.shape
    (None, 2048)
    """
    if basic and args.weights == "imagenet":
        raise ValueError(
            f"{who}: no ImageNet weights are published for {who} in Keras's format, so "
            "weights='imagenet' is not available. Pass weights=None (random initialization) "
            f"or the path of a weights file (for example converted from torchvision's "
            f"{who.lower()}), or use ResNet50."
        )
    img_input, inputs, weights_path = builders.start(
        who, args, builders.keras_weights_file(who.lower(), args.include_top, "resnet"))
    x = resnet_body(img_input, blocks, _basic_stack if basic else stack, preact=preact,
                    use_bias=not basic, epsilon=_BASIC_EPSILON if basic else EPSILON)
    x = builders.top_or_pooling(x, args, top_name="avg_pool", avg_name="avg_pool",
                                max_name="max_pool")
    return builders.finish(inputs, x, args.name, weights_path, who)


def _doc(who: str, blocks, count: int) -> str:
    example = f""">>> {who}(weights=None, include_top=False, input_shape=(32, 32, 3)).output.shape
(None, 1, 1, 2048)""" if who == "ResNet50" else builders.size_error_example(who)
    return builders.builder_doc(
        f"Build {who} (bottleneck blocks {', '.join(map(str, blocks))}; {count:,} parameters "
        "with the top).", example, top="``avg_pool`` and ``predictions``")


ResNet50 = builders.keras_builder(resnet, "ResNet50", "resnet50",
                                  _doc("ResNet50", (3, 4, 6, 3), 25_636_712), __name__,
                                  blocks=(3, 4, 6, 3))
ResNet101 = builders.keras_builder(resnet, "ResNet101", "resnet101",
                                   _doc("ResNet101", (3, 4, 23, 3), 44_707_176), __name__,
                                   blocks=(3, 4, 23, 3))
ResNet152 = builders.keras_builder(resnet, "ResNet152", "resnet152",
                                   _doc("ResNet152", (3, 8, 36, 3), 60_419_944), __name__,
                                   blocks=(3, 8, 36, 3))

_NO_IMAGENET = tuple((arg, None if arg == "weights" else default)
                     for arg, default in builders.KERAS_ARGS)
_NO_KERAS_FILE = ("``weights`` defaults to None: Keras publishes no ImageNet file for it. "
                  "Its blocks are basic (two 3x3 convolutions), as in torchvision.")
ResNet18 = builders.keras_builder(resnet, "ResNet18", "resnet18", builders.builder_doc(
    "Build ResNet18 (basic blocks 2, 2, 2, 2; 11,689,512 trainable parameters).",
    """>>> model = ResNet18(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3))
>>> model.output.shape
(None, 512)""", top="``avg_pool`` and ``predictions``", extra=_NO_KERAS_FILE,
    args=_NO_IMAGENET), __name__, args=_NO_IMAGENET, blocks=(2, 2, 2, 2), basic=True)
ResNet34 = builders.keras_builder(resnet, "ResNet34", "resnet34", builders.builder_doc(
    "Build ResNet34 (basic blocks 3, 4, 6, 3; 21,797,672 trainable parameters).",
    """>>> ResNet34(weights=None, include_top=False, input_shape=(32, 32, 3)).output.shape
(None, 1, 1, 512)""", top="``avg_pool`` and ``predictions``", extra=_NO_KERAS_FILE,
    args=_NO_IMAGENET), __name__, args=_NO_IMAGENET, blocks=(3, 4, 6, 3), basic=True)
__test__ = {b.__name__: b for b in (ResNet50, ResNet101, ResNet152, ResNet18, ResNet34)}
