"""``dg.ops.nn``: Keras 3's ``keras.ops.nn`` namespace, every name also in ``dg.ops``.

Activations, normalizations, convolutions and pools in Keras's signatures, the fused
cross-entropies and attention, one-hot encodings, CTC. The functions live in their
families' files; this module only gathers them under Keras's names.

>>> import deepgrad as dg
>>> dg.ops.nn.relu is dg.ops.relu
True
"""

from deepgrad.ops.activation import (
    binary_crossentropy,
    categorical_crossentropy,
    elu,
    gelu,
    hard_sigmoid,
    leaky_relu,
    log_softmax,
    relu6,
    selu,
    silu,
    softmax,
    softplus,
    softsign,
    sparse_categorical_crossentropy,
)
from deepgrad.ops.activation_extra import (
    celu,
    glu,
    hard_shrink,
    hard_silu,
    hard_swish,
    hard_tanh,
    log_sigmoid,
    soft_shrink,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    swish,
    tanh_shrink,
    threshold,
)
from deepgrad.ops.adaptive_pool import adaptive_average_pool, adaptive_max_pool
from deepgrad.ops.attention import dot_product_attention
from deepgrad.ops.conv_forms import (
    average_pool,
    conv,
    conv_transpose,
    depthwise_conv,
    max_pool,
    separable_conv,
)
from deepgrad.ops.ctc import ctc_loss
from deepgrad.ops.ctc_decode import ctc_decode
from deepgrad.ops.elementwise import relu, sigmoid
from deepgrad.ops.nn_misc import (
    batch_normalization,
    layer_normalization,
    moments,
    multi_hot,
    normalize,
    one_hot,
    polar,
    psnr,
)
from deepgrad.ops.normalization import rms_normalization
from deepgrad.ops.patches import depth_to_space, fold, space_to_depth, unfold

__all__ = [
    "adaptive_average_pool", "adaptive_max_pool", "average_pool", "batch_normalization",
    "binary_crossentropy", "categorical_crossentropy", "celu", "conv", "conv_transpose",
    "ctc_decode", "ctc_loss", "depth_to_space", "depthwise_conv", "dot_product_attention",
    "elu", "fold", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "layer_normalization", "leaky_relu", "log_sigmoid", "log_softmax",
    "max_pool", "moments", "multi_hot", "normalize", "one_hot", "polar", "psnr", "relu",
    "relu6", "rms_normalization", "selu", "separable_conv", "sigmoid", "silu",
    "soft_shrink", "softmax", "softplus", "softsign", "space_to_depth",
    "sparse_categorical_crossentropy", "sparse_plus", "sparse_sigmoid", "sparsemax",
    "squareplus", "swish", "tanh_shrink", "threshold", "unfold",
]
