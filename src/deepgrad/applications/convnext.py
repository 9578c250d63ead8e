"""ConvNeXt (Liu et al., 2022): Keras's ConvNeXtTiny, Small, Base, Large and XLarge.

A patchify stem (a 4x4 convolution of stride 4 and a layer norm, in a nested
``Sequential`` named ``{name}_stem``), four stages of ConvNeXt blocks separated by
downsampling blocks (layer norm and a 2x2 convolution of stride 2, nested ``Sequential``
models ``{name}_downsampling_block_{i}``), and a head of global pooling, layer norm and
``{name}_head_dense``. A block is a 7x7 convolution with one group per channel
(``Conv2D(groups=channels)``), a layer norm, two pointwise ``Dense`` layers around a GELU,
and a learned per-channel scale (:class:`LayerScale`) added to its input. Layer names
start with the model's ``name``, as in Keras.

The model normalizes its ``[0, 255]`` inputs itself (``include_preprocessing=True``: a
``Normalization`` by ImageNet's mean and variance in pixels), so :func:`preprocess_input`
returns its input unchanged.

Differences from Keras's layer list: Keras adds a block's input with the ``+`` operator,
which is an operation, not a layer; deepgrad adds with an ``Add`` layer (automatic name,
no weights). Keras's ``StochasticDepth`` layer is not built by any of its public
builders (their drop-path rate is 0, which gives the ``_identity`` activation instead),
so deepgrad has none.

>>> LayerScale(0.5, 3)(np.ones((1, 3), "float32")).data
array([[0.5, 0.5, 0.5]], dtype=float32)
"""

from __future__ import annotations

from deepgrad import layers
from deepgrad.applications import builders
from deepgrad.applications.imagenet_utils import decode_predictions
from deepgrad.applications.imagenet_utils import (
    passthrough_preprocess_input as preprocess_input,
)
from deepgrad.applications.local_files import KERAS_BASE_URL
from deepgrad.initializers import Constant
from deepgrad.layers.base import Layer
from deepgrad.models.model import Model
from deepgrad.models.sequential import Sequential
from deepgrad.registry import register_keras_serializable

__all__ = ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge",
           "LayerScale", "preprocess_input", "decode_predictions"]

_EPSILON = 1e-6
_IMAGENET_MEAN = (0.485 * 255, 0.456 * 255, 0.406 * 255)
_IMAGENET_VARIANCE = ((0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2)


@register_keras_serializable(package="deepgrad.applications")
class LayerScale(Layer):
    """Multiply the last axis by a learned vector ``gamma`` (Keras's ConvNeXt layer).

    Args:
        init_values: the initial value of every entry of ``gamma``.
        projection_dim: the size of the last axis.

    Weights: ``gamma (projection_dim,)``.

    >>> LayerScale(1e-6, 4).compute_output_shape((None, 7, 7, 4))
    (None, 7, 7, 4)
    """

    def __init__(self, init_values: float, projection_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.init_values = float(init_values)
        self.projection_dim = int(projection_dim)

    def build(self, input_shape) -> None:
        self.gamma = self.add_weight((self.projection_dim,), Constant(self.init_values),
                                     name="gamma")

    def call(self, inputs):
        return inputs * self.gamma

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "init_values": self.init_values,
                "projection_dim": self.projection_dim}


def _block(inputs, dim: int, name: str):
    """Keras's ``ConvNeXtBlock`` with drop-path rate 0 and layer scale 1e-6."""
    x = layers.Conv2D(dim, kernel_size=7, padding="same", groups=dim,
                      name=f"{name}_depthwise_conv")(inputs)
    x = layers.LayerNormalization(epsilon=_EPSILON, name=f"{name}_layernorm")(x)
    x = layers.Dense(4 * dim, name=f"{name}_pointwise_conv_1")(x)
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    x = layers.Dense(dim, name=f"{name}_pointwise_conv_2")(x)
    x = LayerScale(1e-6, dim, name=f"{name}_layer_scale")(x)
    x = layers.Activation("linear", name=f"{name}_identity")(x)
    return layers.Add()([inputs, x])


def _convnext(who: str, args, *, depths, dims) -> Model:
    # Keras names the file after the model's name; deepgrad after the default name.
    filename = f"{who.replace('ConvNeXt', 'convnext_').lower()}" \
               f"{'' if args.include_top else '_notop'}.h5"
    img_input, inputs, weights_path = builders.start(
        who, args, (filename, f"{KERAS_BASE_URL}convnext/{filename}"))
    name = args.name

    x = img_input
    if args.include_preprocessing and img_input.shape[-1] == 3:
        x = layers.Normalization(mean=list(_IMAGENET_MEAN), variance=list(_IMAGENET_VARIANCE),
                                 name=f"{name}_prestem_normalization")(x)
    x = Sequential([
        layers.Conv2D(dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
        layers.LayerNormalization(epsilon=_EPSILON, name=f"{name}_stem_layernorm"),
    ], name=f"{name}_stem")(x)
    for stage, (depth, dim) in enumerate(zip(depths, dims)):
        if stage:
            x = Sequential([
                layers.LayerNormalization(epsilon=_EPSILON,
                                          name=f"{name}_downsampling_layernorm_{stage - 1}"),
                layers.Conv2D(dim, kernel_size=2, strides=2,
                              name=f"{name}_downsampling_conv_{stage - 1}"),
            ], name=f"{name}_downsampling_block_{stage - 1}")(x)
        for j in range(depth):
            x = _block(x, dim, f"{name}_stage_{stage}_block_{j}")
    if args.include_top:
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=_EPSILON, name=f"{name}_head_layernorm")(x)
        x = layers.Dense(args.classes, activation=args.classifier_activation,
                         name=f"{name}_head_dense")(x)
    else:
        x = layers.LayerNormalization(epsilon=_EPSILON)(builders.pooling(x, args.pooling))
    return builders.finish(inputs, x, name, weights_path, who)


_ARGS = (("include_top", True), ("include_preprocessing", True),
         *builders.KERAS_ARGS[1:])


def _variant(size: str, depths, dims, count: int):
    who = f"ConvNeXt{size}"
    doc = builders.builder_doc(
        f"Build {who} (blocks {', '.join(map(str, depths))} of widths "
        f"{', '.join(map(str, dims))}; {count:,} parameters with the top).",
        builders.size_error_example(who), args=_ARGS,
        top="``{name}_head_gap``, ``_head_layernorm`` and ``_head_dense``",
        extra="Without the top, a layer norm follows the pooling (or the last stage), as in "
              "Keras.")
    return builders.keras_builder(_convnext, who, f"convnext_{size.lower()}", doc, __name__,
                                  args=_ARGS, depths=depths, dims=dims)


_DEPTHS = (3, 3, 27, 3)
ConvNeXtTiny = _variant("Tiny", (3, 3, 9, 3), (96, 192, 384, 768), 28_589_128)
ConvNeXtSmall = _variant("Small", _DEPTHS, (96, 192, 384, 768), 50_223_688)
ConvNeXtBase = _variant("Base", _DEPTHS, (128, 256, 512, 1024), 88_591_464)
ConvNeXtLarge = _variant("Large", _DEPTHS, (192, 384, 768, 1536), 197_767_336)
ConvNeXtXLarge = _variant("XLarge", _DEPTHS, (256, 512, 1024, 2048), 350_196_968)
__test__ = {b.__name__: b for b in (ConvNeXtTiny, ConvNeXtSmall, ConvNeXtBase, ConvNeXtLarge,
                                    ConvNeXtXLarge)}
