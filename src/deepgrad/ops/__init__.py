"""Differentiable operations on Tensors: Keras 3's ``keras.ops``, one file per family.

Each op computes its output array and, beside it, the function that sends gradients
back; composite operations are written from these primitives and need no backward.
Every public op also runs on symbolic tensors of functional models (``ops/symbolic.py``).
The sub-namespaces are Keras's: ``dg.ops.nn``, ``dg.ops.image``, ``dg.ops.linalg``,
``dg.ops.numpy``. deepgrad's fused layer ops (``dense``, ``conv2d``, ``batch_norm_train``,
...) are here too, beside Keras's names.

>>> import deepgrad as dg
>>> dg.ops.relu(dg.Tensor([-1.0, 2.0]))
Tensor([0., 2.], dtype=float32)
"""

# Each family module lists its public names in ``__all__``; the star imports re-export
# exactly those (STYLE: explicit exports), and ``__all__`` below is their union.
from deepgrad.ops import (
    activation,
    activation_extra,
    binary,
    complex_values,
    control_flow,
    conv_forms,
    core,
    creation,
    decompositions,
    diagonals,
    einops,
    elementwise,
    fourier,
    indexing,
    joining,
    logic,
    nn_misc,
    patches,
    products,
    reduce,
    shaping,
    solvers,
    sorting,
    statistics,
    unary,
)
from deepgrad.ops.activation import *  # noqa: F403
from deepgrad.ops.activation_extra import *  # noqa: F403
from deepgrad.ops.adaptive_pool import adaptive_average_pool, adaptive_max_pool  # noqa: F401
from deepgrad.ops.attention import dot_product_attention  # noqa: F401
from deepgrad.ops.binary import *  # noqa: F403
from deepgrad.ops.complex_values import *  # noqa: F403
from deepgrad.ops.control_flow import *  # noqa: F403
from deepgrad.ops.conv_forms import *  # noqa: F403
from deepgrad.ops.convolution import (  # noqa: F401
    conv1d,
    conv2d,
    conv2d_max_pool,
    conv2d_transpose,
    depthwise_conv2d,
    separable_conv2d,
)
from deepgrad.ops.core import *  # noqa: F403
from deepgrad.ops.creation import *  # noqa: F403
from deepgrad.ops.ctc import ctc_loss  # noqa: F401
from deepgrad.ops.ctc_decode import ctc_decode  # noqa: F401
from deepgrad.ops.decompositions import *  # noqa: F403
from deepgrad.ops.diagonals import *  # noqa: F403
from deepgrad.ops.einops import *  # noqa: F403
from deepgrad.ops.elementwise import *  # noqa: F403
from deepgrad.ops.fourier import *  # noqa: F403
from deepgrad.ops.indexing import *  # noqa: F403
from deepgrad.ops.joining import *  # noqa: F403
from deepgrad.ops.logic import *  # noqa: F403
from deepgrad.ops.matmul import dense, matmul  # noqa: F401
from deepgrad.ops.nn_misc import *  # noqa: F403
from deepgrad.ops.normalization import batch_norm_train, layer_norm, rms_normalization  # noqa: F401
from deepgrad.ops.patches import *  # noqa: F403
from deepgrad.ops.pool import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d  # noqa: F401
from deepgrad.ops.products import *  # noqa: F403
from deepgrad.ops.reduce import *  # noqa: F403
from deepgrad.ops.shaping import *  # noqa: F403
from deepgrad.ops.solvers import *  # noqa: F403
from deepgrad.ops.sorting import *  # noqa: F403
from deepgrad.ops.statistics import *  # noqa: F403
from deepgrad.ops.unary import *  # noqa: F403

_FAMILIES = (
    activation, activation_extra, binary, complex_values, control_flow, conv_forms, core,
    creation, decompositions, diagonals, einops, elementwise, fourier, indexing, joining, logic,
    nn_misc, patches, products, reduce, shaping, solvers, sorting, statistics, unary,
)
_FUSED = [
    "adaptive_average_pool", "adaptive_max_pool", "avg_pool1d", "avg_pool2d",
    "batch_norm_train", "conv1d", "conv2d", "conv2d_max_pool", "conv2d_transpose",
    "ctc_decode", "ctc_loss", "dense", "depthwise_conv2d", "dot_product_attention",
    "layer_norm", "matmul", "max_pool1d", "max_pool2d", "rms_normalization",
    "separable_conv2d",
]
__all__ = sorted({name for family in _FAMILIES for name in family.__all__} | set(_FUSED))

# The Keras sub-namespaces, imported last: they gather names defined above.
from deepgrad.ops import image, linalg, nn, numpy  # noqa: E402, F401
