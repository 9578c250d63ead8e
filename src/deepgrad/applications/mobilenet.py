"""MobileNet (Howard et al., 2017), laid out and named as Keras's ``MobileNet``.

A 3x3 convolution (``conv1``) and 13 depthwise separable blocks: a 3x3 depthwise
convolution (``conv_dw_{i}``) and a 1x1 pointwise one (``conv_pw_{i}``), each with batch
norm and ReLU6; strided blocks pad explicitly (``conv_pad_{i}``, one row and column at the
end). The top is Keras's: global pooling kept 4-D, ``dropout``, a 1x1 convolution
``conv_preds``, ``reshape_2`` and the ``predictions`` activation. ``alpha`` scales the
widths, ``depth_multiplier`` the depthwise convolutions. Inputs are scaled to ``[-1, 1]``
(:func:`preprocess_input`, tf mode).

>>> base = MobileNet(weights=None, include_top=False, alpha=0.25, input_shape=(32, 32, 3))
>>> base.output.shape, base.name
((None, 1, 1, 256), 'mobilenet_0.25_32')
"""

from __future__ import annotations

import warnings

from deepgrad import layers
from deepgrad.applications import builders
from deepgrad.applications.imagenet_utils import decode_predictions, obtain_input_shape
from deepgrad.applications.imagenet_utils import tf_preprocess_input as preprocess_input
from deepgrad.applications.local_files import KERAS_BASE_URL
from deepgrad.models.model import Model

__all__ = ["MobileNet", "preprocess_input", "decode_predictions", "check_alpha",
           "default_size", "imagenet_rows", "start_mobilenet"]

_IMAGENET_ALPHAS = {0.25: "2_5", 0.5: "5_0", 0.75: "7_5", 1.0: "1_0"}
_IMAGENET_ROWS = (128, 160, 192, 224)
# (pointwise filters, stride) of blocks 1 to 13.
_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)) + ((512, 1),) * 5 + (
    (1024, 2), (1024, 1))


def check_alpha(who: str, alpha) -> None:
    """``alpha`` must be a positive number.

    >>> check_alpha("MobileNet", 0)
    Traceback (most recent call last):
    ...
    ValueError: MobileNet: `alpha` must be a positive number. Received: alpha=0
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
        raise ValueError(f"{who}: `alpha` must be a positive number. Received: alpha={alpha!r}")


def default_size(input_shape, input_tensor, sizes) -> int:
    """Keras's rule: a square input of a size in ``sizes`` is the default size, else 224.

    >>> default_size((160, 160, 3), None, (128, 160)), default_size((100, 160, 3), None, (160,))
    (160, 224)
    """
    shape = input_shape if input_shape is not None else (
        input_tensor.shape[1:3] if input_tensor is not None else None
    )
    if shape is not None and len(shape) >= 2 and shape[0] == shape[1] and shape[0] in sizes:
        return shape[0]
    return 224


def imagenet_rows(who: str, alpha, alphas, rows, cols, sizes) -> int:
    """The rows of the ImageNet file to load: ``rows``, or 224 with Keras's warning.

    Raises:
        ValueError: for an ``alpha`` without published weights.

    >>> imagenet_rows("MobileNet", 0.5, (0.5, 1.0), 160, 160, (128, 160, 192, 224))
    160
    """
    if alpha not in alphas:
        raise ValueError(
            f"{who}: if imagenet weights are being loaded, alpha must be one of "
            f"{', '.join(f'`{a}`' for a in alphas)} only. Received: alpha={alpha}"
        )
    if rows != cols or rows not in sizes:
        warnings.warn(
            "`input_shape` is undefined or non-square, or `rows` is not in "
            f"{list(sizes)}. Weights for input shape (224, 224) will be loaded as the default.",
            stacklevel=3,
        )
        return 224
    return rows


def _conv_block(x, filters: int, name: str, strides=(1, 1), block_id=None):
    """A convolution (3x3 ``conv1``, or 1x1 pointwise), batch norm and ReLU6."""
    kernel = (3, 3) if block_id is None else (1, 1)
    x = layers.Conv2D(filters, kernel, padding="same", use_bias=False, strides=strides,
                      name=name)(x)
    x = layers.BatchNormalization(axis=-1, name=f"{name}_bn")(x)
    return layers.ReLU(6.0, name=f"{name}_relu")(x)


def _depthwise_conv_block(x, filters: int, depth_multiplier: int, strides: int, block_id: int):
    """Keras's ``_depthwise_conv_block``: depthwise 3x3 then pointwise 1x1."""
    if strides != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == 1 else "valid",
                               depth_multiplier=depth_multiplier, strides=strides,
                               use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    return _conv_block(x, filters, f"conv_pw_{block_id}", block_id=block_id)


def start_mobilenet(who: str, args, alphas, sizes, weights_file) -> tuple:
    """:func:`~deepgrad.applications.builders.start` for MobileNet and MobileNetV2, whose
    default size and ImageNet file depend on the input's rows.

    Args:
        who, args: the builder's name and arguments.
        alphas, sizes: the ``alpha`` values and square sizes Keras publishes weights for.
        weights_file: ``weights_file(rows) -> (file name, address)``.

    Returns:
        ``(img_input, model_inputs, rows, weights_path)``; ``rows`` is the file's (224
        when the input has no published weights), as in the model's default name.

    >>> from types import SimpleNamespace
    >>> args = SimpleNamespace(include_top=False, weights=None, input_tensor=None,
    ...     input_shape=(160, 160, 3), pooling=None, classes=1000,
    ...     classifier_activation="softmax", alpha=0.5)
    >>> start_mobilenet("MobileNet", args, (0.5,), (160,), lambda rows: ("f.h5", "u"))[2:]
    (160, None)
    """
    builders.check_common_args(who, args.weights, args.include_top, args.classes,
                               args.pooling, args.classifier_activation)
    check_alpha(who, args.alpha)
    input_shape = obtain_input_shape(
        args.input_shape, default_size=default_size(args.input_shape, args.input_tensor, sizes),
        min_size=32, require_flatten=args.include_top, weights=args.weights,
    )
    rows = input_shape[0]
    if args.weights == "imagenet":
        rows = imagenet_rows(who, args.alpha, alphas, rows, input_shape[1], sizes)
    weights_path = builders.resolve_weights(who, args.weights, *weights_file(rows))
    return (*builders.image_input(who, args.input_tensor, input_shape), rows, weights_path)


def _mobilenet(who: str, args) -> Model:
    if args.weights == "imagenet" and args.depth_multiplier != 1:
        raise ValueError(
            f"{who}: if imagenet weights are being loaded, depth multiplier must be 1.  "
            f"Received depth_multiplier={args.depth_multiplier}"
        )
    alpha = args.alpha

    def weights_file(rows):
        filename = (f"mobilenet_{_IMAGENET_ALPHAS.get(alpha, alpha)}_{rows}_tf"
                    f"{'' if args.include_top else '_no_top'}.h5")
        return filename, f"{KERAS_BASE_URL}mobilenet/{filename}"

    img_input, inputs, rows, weights_path = start_mobilenet(
        who, args, tuple(_IMAGENET_ALPHAS), _IMAGENET_ROWS, weights_file)
    x = _conv_block(img_input, int(32 * alpha), "conv1", strides=(2, 2))
    for block_id, (filters, strides) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, int(filters * alpha), args.depth_multiplier, strides,
                                  block_id)
    if args.include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(args.dropout, name="dropout")(x)
        x = layers.Conv2D(args.classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((args.classes,), name="reshape_2")(x)
        x = layers.Activation(activation=args.classifier_activation, name="predictions")(x)
    else:
        x = builders.pooling(x, args.pooling)
    return builders.finish(inputs, x, args.name or f"mobilenet_{alpha:0.2f}_{rows}",
                           weights_path, who)


_ARGS = (("input_shape", None), ("alpha", 1.0), ("depth_multiplier", 1), ("dropout", 1e-3),
         *(arg for arg in builders.KERAS_ARGS if arg[0] != "input_shape"))
MobileNet = builders.keras_builder(_mobilenet, "MobileNet", None, builders.builder_doc(
    "Build MobileNet (4,253,864 parameters for ``alpha=1.0`` with the top).",
    """>>> model = MobileNet(weights=None, alpha=0.5, input_shape=(128, 128, 3), classes=10)
>>> model.output.shape, model.get_layer("conv_preds").kernel.shape
((None, 10), (1, 1, 512, 10))""", args=_ARGS,
    top="the classifier (``dropout``, ``conv_preds``, ``predictions``)",
    arg_docs={"name": "the model's name; default ``mobilenet_{{alpha:0.2f}}_{{rows}}``.",
              "depth_multiplier": "the depthwise convolutions' multiplier (1 for ImageNet "
                                  "weights).",
              "dropout": "the dropout rate before ``conv_preds``."}), __name__, args=_ARGS)
__test__ = {"MobileNet": MobileNet}
