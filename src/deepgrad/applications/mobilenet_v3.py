"""MobileNetV3 (Howard et al., 2019), Small and Large, as Keras's ``mobilenet_v3``.

Inverted residual blocks (``expanded_conv_{i}_expand``, ``_depthwise``, ``_project``) with
optional squeeze-and-excite (``_squeeze_excite_conv``, ``_squeeze_excite_mul``) and
hard-swish activations; ``minimalistic=True`` drops squeeze-and-excite, hard-swish and the
5x5 kernels. Batch norms use epsilon 1e-3 and momentum 0.999. The top is Keras's: a 4-D
global pooling, a 1x1 convolution ``conv_2`` (1024 or 1280 filters), dropout, a 1x1
convolution ``logits``, a flatten and the ``predictions`` activation.

The model rescales its inputs from ``[0, 255]`` to ``[-1, 1]`` itself (a ``Rescaling``
first layer; ``include_preprocessing=False`` removes it), so :func:`preprocess_input`
returns its input unchanged, as in Keras.

One difference from Keras's layer list: Keras computes the hard sigmoid of
squeeze-and-excite as ``ReLU(6.0)(x + 3.0) * (1 / 6)``, a ``ReLU`` layer between two
symbolic operations; deepgrad uses one ``Activation("hard_sigmoid")`` (the same
function, ``relu6(x + 3) / 6``). Neither has weights, so weights files are unaffected.

>>> model = MobileNetV3Small(weights=None, input_shape=(32, 32, 3), classes=10)
>>> model.output.shape, model.count_params()
((None, 10), 1540218)
"""

from __future__ import annotations

import warnings

from deepgrad import layers
from deepgrad.applications import builders
from deepgrad.applications.imagenet_utils import correct_pad, decode_predictions
from deepgrad.applications.imagenet_utils import (
    passthrough_preprocess_input as preprocess_input,
)
from deepgrad.applications.local_files import KERAS_BASE_URL
from deepgrad.applications.mobilenet import check_alpha
from deepgrad.applications.mobilenet_v2 import make_divisible
from deepgrad.models.model import Model

__all__ = ["MobileNetV3Small", "MobileNetV3Large", "preprocess_input", "decode_predictions"]

# Blocks as Keras's stack_fn writes them: (expansion, filters, kernel, stride, squeeze-and-
# excite, hard-swish); kernel None is 5 (3 when minimalistic), "se" and "hs" are dropped
# when minimalistic.
_SMALL = (
    (1, 16, 3, 2, True, False), (72 / 16, 24, 3, 2, False, False),
    (88 / 24, 24, 3, 1, False, False), (4, 40, None, 2, True, True),
    (6, 40, None, 1, True, True), (6, 40, None, 1, True, True), (3, 48, None, 1, True, True),
    (3, 48, None, 1, True, True), (6, 96, None, 2, True, True), (6, 96, None, 1, True, True),
    (6, 96, None, 1, True, True),
)
_LARGE = (
    (1, 16, 3, 1, False, False), (4, 24, 3, 2, False, False), (3, 24, 3, 1, False, False),
    (3, 40, None, 2, True, False), (3, 40, None, 1, True, False),
    (3, 40, None, 1, True, False), (6, 80, 3, 2, False, True), (2.5, 80, 3, 1, False, True),
    (2.3, 80, 3, 1, False, True), (2.3, 80, 3, 1, False, True), (6, 112, 3, 1, True, True),
    (6, 112, 3, 1, True, True), (6, 160, None, 2, True, True), (6, 160, None, 1, True, True),
    (6, 160, None, 1, True, True),
)
_BN = {"axis": -1, "epsilon": 1e-3, "momentum": 0.999}


def _activation(hard_swish: bool):
    """Keras's unnamed ``relu`` and ``hard_swish`` helpers."""
    return layers.Activation("hard_swish") if hard_swish else layers.ReLU()


def _se_block(inputs, filters: int, prefix: str):
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(
        inputs)
    x = layers.Conv2D(make_divisible(filters * 0.25), kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv_1")(x)
    x = layers.Activation("hard_sigmoid")(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters: int, kernel_size: int, stride: int, se: bool,
                        hard_swish: bool, block_id: int):
    shortcut, infilters = x, x.shape[-1]
    prefix = "expanded_conv_"
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(make_divisible(infilters * expansion), kernel_size=1, padding="same",
                          use_bias=False, name=f"{prefix}expand")(x)
        x = layers.BatchNormalization(**_BN, name=f"{prefix}expand_bn")(x)
        x = _activation(hard_swish)(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=correct_pad(x, kernel_size),
                                 name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride,
                               padding="same" if stride == 1 else "valid", use_bias=False,
                               name=f"{prefix}depthwise")(x)
    x = layers.BatchNormalization(**_BN, name=f"{prefix}depthwise_bn")(x)
    x = _activation(hard_swish)(x)
    if se:
        x = _se_block(x, make_divisible(infilters * expansion), prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False,
                      name=f"{prefix}project")(x)
    x = layers.BatchNormalization(**_BN, name=f"{prefix}project_bn")(x)
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def _input_shape(who: str, input_shape, input_tensor) -> tuple:
    """Keras's MobileNetV3 rule: any size of at least 32x32, ``(None, None, 3)`` by default."""
    if input_shape is None:
        input_shape = (None, None, 3) if input_tensor is None else tuple(input_tensor.shape[1:])
    input_shape = tuple(input_shape)
    if len(input_shape) != 3:
        raise ValueError(f"{who}: `input_shape` must be a tuple of three integers "
                         f"(rows, cols, channels). Received: input_shape={input_shape}")
    if input_tensor is not None and tuple(input_tensor.shape[1:]) != input_shape:
        raise ValueError(f"{who}: `input_shape` must match `input_tensor`'s shape. Received "
                         f"input_shape={input_shape}, input_tensor.shape={input_tensor.shape}")
    rows, cols = input_shape[:2]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; Received `input_shape={input_shape}`")
    return input_shape


def _mobilenet_v3(who: str, args, *, model_type: str, blocks, last_point_ch: int) -> Model:
    builders.check_common_args(who, args.weights, args.include_top, args.classes,
                               args.pooling, args.classifier_activation)
    alpha, minimalistic = args.alpha, args.minimalistic
    check_alpha(who, alpha)
    input_shape = _input_shape(who, args.input_shape, args.input_tensor)
    if args.weights == "imagenet":
        if (alpha not in (0.75, 1.0)) if not minimalistic else alpha != 1.0:
            raise ValueError(
                f"{who}: if imagenet weights are being loaded, alpha can be one of `0.75`, "
                "`1.0` for non minimalistic or `1.0` for minimalistic only."
            )
        if input_shape[0] != input_shape[1] or input_shape[0] != 224:
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not 224. "
                          "Weights for input shape (224, 224) will be loaded as the default.",
                          stacklevel=4)
    variant = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
    filename = f"weights_mobilenet_v3_{variant}{'' if args.include_top else '_no_top_v2'}.h5"
    weights_path = builders.resolve_weights(who, args.weights, filename,
                                            f"{KERAS_BASE_URL}mobilenet_v3/{filename}")
    img_input, inputs = builders.image_input(who, args.input_tensor, input_shape)

    x = img_input
    if args.include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False,
                      name="conv")(x)
    x = layers.BatchNormalization(**_BN, name="conv_bn")(x)
    x = _activation(not minimalistic)(x)
    for block_id, (expansion, filters, kernel, stride, se, hs) in enumerate(blocks):
        kernel = kernel or (3 if minimalistic else 5)
        x = _inverted_res_block(x, expansion, make_divisible(filters * alpha), kernel, stride,
                                se and not minimalistic, hs and not minimalistic, block_id)
    last_conv_ch = make_divisible(x.shape[-1] * 6)
    if alpha > 1.0:
        last_point_ch = make_divisible(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False,
                      name="conv_1")(x)
    x = layers.BatchNormalization(**_BN, name="conv_1_bn")(x)
    x = _activation(not minimalistic)(x)
    if args.include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True,
                          name="conv_2")(x)
        x = _activation(not minimalistic)(x)
        if args.dropout_rate > 0:
            x = layers.Dropout(args.dropout_rate)(x)
        x = layers.Conv2D(args.classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        x = layers.Activation(activation=args.classifier_activation, name="predictions")(x)
    else:
        x = builders.pooling(x, args.pooling, "avg_pool", "max_pool")
    return builders.finish(inputs, x, args.name, weights_path, who)


_ARGS = (("input_shape", None), ("alpha", 1.0), ("minimalistic", False), ("include_top", True),
         ("weights", "imagenet"), ("input_tensor", None), ("classes", 1000), ("pooling", None),
         ("dropout_rate", 0.2), ("classifier_activation", "softmax"),
         ("include_preprocessing", True))
_DOCS = {
    "input_shape": "``(rows, cols, 3)``, at least 32x32; ``(None, None, 3)`` by default (the "
                   "top needs no fixed size).",
    "alpha": "width multiplier (0.75 or 1.0 for ImageNet weights; 1.0 if minimalistic).",
    "minimalistic": "no squeeze-and-excite, hard-swish or 5x5 kernels.",
    "dropout_rate": "the dropout rate before ``logits``.",
}


def _builder(who: str, model_type: str, blocks, last_point_ch: int, count: int, example: str):
    doc = builders.builder_doc(
        f"Build {who} ({count:,} parameters for ``alpha=1.0`` with the top).", example,
        args=_ARGS, top="the classifier (``conv_2``, ``logits``, ``predictions``)",
        arg_docs=_DOCS)
    return builders.keras_builder(_mobilenet_v3, who, who, doc, __name__, args=_ARGS,
                                  model_type=model_type, blocks=blocks,
                                  last_point_ch=last_point_ch)


MobileNetV3Small = _builder("MobileNetV3Small", "small", _SMALL, 1024, 2_554_968, """\
>>> base = MobileNetV3Small(weights=None, include_top=False, pooling="avg")
>>> base.input.shape, base.output.shape
((None, None, None, 3), (None, 576))""")
MobileNetV3Large = _builder("MobileNetV3Large", "large", _LARGE, 1280, 5_507_432, """\
>>> base = MobileNetV3Large(weights=None, include_top=False)
>>> base.output.shape, base.count_params()
((None, None, None, 960), 2996352)""")
__test__ = {"MobileNetV3Small": MobileNetV3Small, "MobileNetV3Large": MobileNetV3Large}
