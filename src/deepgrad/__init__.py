"""deepgrad: a Keras-shaped deep-learning framework on NumPy.

>>> import deepgrad as dg
>>> model = dg.Sequential([dg.layers.Dense(3, activation="softmax", input_shape=(4,))])
>>> model.output_shape
(None, 3)
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Submodules load on first use so that `import deepgrad` stays fast; the heavy
# optional parts (scikit-learn, Pillow, tqdm) are imported only where needed.
_SUBMODULES = {
    "activations",
    "applications",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "data",
    "datasets",
    "distribution",
    "export",
    "image",
    "initializers",
    "kernels",
    "layers",
    "losses",
    "math",
    "metrics",
    "mixed_precision",
    "models",
    "nn",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "strings",
    "tensor",
    "tree",
    "utils",
    "visualization",
    "wrappers",
    "cli",
}
_ATTRIBUTES = {
    "Tensor": "deepgrad.tensor",
    "Variable": "deepgrad.tensor",
    "GradientTape": "deepgrad.tensor",
    "no_grad": "deepgrad.tensor",
    "Sequential": "deepgrad.models",
    "Model": "deepgrad.models",
    "Input": "deepgrad.layers",
    # Keras 3's top-level base classes
    "Layer": "deepgrad.layers",
    "InputSpec": "deepgrad.layers",
    "KerasTensor": "deepgrad.layers",
    "Loss": "deepgrad.losses",
    "Metric": "deepgrad.metrics",
    "Optimizer": "deepgrad.optimizers",
    "Initializer": "deepgrad.initializers",
    "Regularizer": "deepgrad.regularizers",
    "name_scope": "deepgrad.scopes",
    "DTypePolicy": "deepgrad.mixed_precision",
    # tf.TensorSpec (tf.data.Dataset.from_generator's output_signature)
    "TensorSpec": "deepgrad.data",
}
# TensorFlow's top-level names that course code calls (dg.float32, dg.reshape, ...), from
# deepgrad.tf_style (whose __all__ this is), listed here so that `import deepgrad` loads nothing.
_TF_STYLE_NAMES = (
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
    "string", "reshape", "matmul", "transpose", "expand_dims", "squeeze", "stack", "concat",
    "cast", "reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "argmax", "argmin",
    "equal", "not_equal", "constant", "convert_to_tensor", "zeros", "ones", "zeros_like",
    "ones_like", "square", "sqrt", "exp", "log", "abs", "maximum", "minimum", "add",
    "subtract", "multiply", "divide", "clip_by_value", "where", "shape", "range", "function",
    "newaxis", "one_hot",
)
_ATTRIBUTES.update(dict.fromkeys(_TF_STYLE_NAMES, "deepgrad.tf_style"))

__all__ = sorted(_SUBMODULES | set(_ATTRIBUTES) | {"__version__", "version"})


def version() -> str:
    """deepgrad's version, as ``keras.version()`` gives Keras's.

    >>> import deepgrad as dg
    >>> dg.version() == dg.__version__
    True
    """
    return __version__


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f"deepgrad.{name}")
        globals()[name] = module
        return module
    if name in _ATTRIBUTES:
        value = getattr(importlib.import_module(_ATTRIBUTES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'deepgrad' has no attribute {name!r}")


def __dir__():
    return __all__
