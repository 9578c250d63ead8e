"""MobileNetV2 (Sandler et al., 2018), laid out and named as Keras's MobileNetV2.

Inverted residual blocks: a 1x1 expansion (``block_{i}_expand``), a 3x3 depthwise
convolution (``block_{i}_depthwise``), a linear 1x1 projection (``block_{i}_project``),
and an ``Add`` when input and output shapes agree; ReLU6 throughout; batch norm with
epsilon 1e-3 and momentum 0.999. ``alpha`` scales the widths. Inputs are scaled to
``[-1, 1]`` (:func:`preprocess_input`, tf mode).

>>> base = MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3))
>>> base.output.shape, base.count_params()
((None, 1, 1, 1280), 2257984)
"""

from __future__ import annotations

from deepgrad import layers
from deepgrad.applications import builders
from deepgrad.applications.imagenet_utils import correct_pad, decode_predictions
from deepgrad.applications.imagenet_utils import tf_preprocess_input as preprocess_input
from deepgrad.applications.local_files import KERAS_BASE_URL
from deepgrad.applications.mobilenet import start_mobilenet
from deepgrad.models.model import Model

__all__ = ["MobileNetV2", "preprocess_input", "decode_predictions", "make_divisible"]

_IMAGENET_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
_IMAGENET_ROWS = (96, 128, 160, 192, 224)
# (filters, stride, expansion) of blocks 0 to 16.
_BLOCKS = (
    [(16, 1, 1)]
    + [(24, 2, 6), (24, 1, 6)]
    + [(32, 2, 6)] + [(32, 1, 6)] * 2
    + [(64, 2, 6)] + [(64, 1, 6)] * 3
    + [(96, 1, 6)] * 3
    + [(160, 2, 6)] + [(160, 1, 6)] * 2
    + [(320, 1, 6)]
)


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``v`` to a multiple of ``divisor``, never going down by more than 10%.

    Keras's ``_make_divisible`` (MobileNetV2) and ``_depth`` (MobileNetV3).

    >>> make_divisible(32 * 0.35), make_divisible(1280 * 1.3)
    (16, 1664)
    """
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _bn(name: str):
    return layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=name)


def _inverted_res_block(inputs, expansion: int, stride: int, alpha: float, filters: int,
                        block_id: int):
    in_channels = inputs.shape[-1]
    pointwise_filters = make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same",
                          use_bias=False, activation=None, name=f"{prefix}expand")(x)
        x = _bn(f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        pad = correct_pad(x, 3)
        x = layers.ZeroPadding2D(padding=pad, name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None, use_bias=False,
                               padding="same" if stride == 1 else "valid",
                               name=f"{prefix}depthwise")(x)
    x = _bn(f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False,
                      activation=None, name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _mobilenet_v2(who: str, args) -> Model:
    alpha = args.alpha

    def weights_file(rows):
        filename = (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
                    f"{'' if args.include_top else '_no_top'}.h5")
        return filename, f"{KERAS_BASE_URL}mobilenet_v2/{filename}"

    img_input, inputs, rows, weights_path = start_mobilenet(
        who, args, _IMAGENET_ALPHAS, _IMAGENET_ROWS, weights_file)
    x = layers.Conv2D(make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
                      padding="same", use_bias=False, name="Conv1")(img_input)
    x = _bn("bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, filters=filters, alpha=alpha, stride=stride,
                                expansion=expansion, block_id=block_id)
    # As in the paper, alpha widens the last convolution but never narrows it.
    last_block_filters = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_block_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = _bn("Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    x = builders.top_or_pooling(x, args)
    return builders.finish(inputs, x, args.name or f"mobilenetv2_{alpha:0.2f}_{rows}",
                           weights_path, who)


_ARGS = (("input_shape", None), ("alpha", 1.0),
         *(arg for arg in builders.KERAS_ARGS if arg[0] != "input_shape"))
MobileNetV2 = builders.keras_builder(_mobilenet_v2, "MobileNetV2", None, builders.builder_doc(
    "Build MobileNetV2 (3,538,984 parameters for ``alpha=1.0`` with the top).",
    """>>> model = MobileNetV2(weights=None, include_top=False, pooling="avg",
...     input_shape=(32, 32, 3))
>>> model.name, model.output.shape
('mobilenetv2_1.00_32', (None, 1280))""", args=_ARGS,
    arg_docs={"name": "the model's name; default ``mobilenetv2_{{alpha:0.2f}}_{{rows}}``."}),
    __name__, args=_ARGS)
__test__ = {"MobileNetV2": MobileNetV2}
