"""Activation functions with Keras 3 names and signatures, built from ``deepgrad.ops``.

Every activation takes a Tensor (or anything array-like) and returns a Tensor, and is
differentiable through the ops it is made of. :func:`get` resolves a Keras name
(``"relu"``, ``"softmax"``, ...), ``None`` or a callable; :func:`serialize` gives the
name back, so a layer's config can store it.

>>> import deepgrad as dg
>>> act = dg.activations.get("relu")
>>> act(dg.Tensor([-1.0, 2.0]))
Tensor([0., 2.], dtype=float32)
>>> dg.activations.serialize(act)
'relu'
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from numpy.typing import ArrayLike

from deepgrad import ops, registry
from deepgrad.tensor import Tensor, as_tensor

__all__ = [
    "relu", "leaky_relu", "relu6", "elu", "selu", "softplus", "softsign", "silu", "swish",
    "gelu", "tanh", "sigmoid", "exponential", "hard_sigmoid", "hard_silu", "hard_swish",
    "linear", "mish", "softmax", "log_softmax", "celu", "glu", "hard_shrink", "hard_tanh",
    "log_sigmoid", "soft_shrink", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus",
    "tanh_shrink", "threshold", "get", "serialize", "deserialize",
]

Activation = Callable[[Tensor], Tensor]


def relu(
    x: Tensor | ArrayLike,
    negative_slope: float = 0.0,
    max_value: float | None = None,
    threshold: float = 0.0,
) -> Tensor:
    """Rectified linear unit, with Keras's optional leak, ceiling and threshold.

    With the defaults this is ``max(x, 0)``. Otherwise: ``max_value`` for
    ``x >= max_value``, ``x`` for ``threshold < x < max_value``, and
    ``negative_slope * (x - threshold)`` below the threshold.

    Args:
        x: input tensor.
        negative_slope: slope below the threshold.
        max_value: optional saturation value.
        threshold: values at or below it are damped (or zeroed).

    Returns:
        A tensor of the same shape and dtype.

    >>> relu(Tensor([-10.0, -5.0, 0.0, 5.0, 10.0]))
    Tensor([ 0.,  0.,  0.,  5., 10.], dtype=float32)
    >>> relu(Tensor([-10.0, -5.0, 0.0, 5.0, 10.0]), negative_slope=0.5, max_value=5.0)
    Tensor([-5. , -2.5,  0. ,  5. ,  5. ], dtype=float32)
    """
    x = as_tensor(x)
    if negative_slope == 0 and max_value is None and threshold == 0:
        return ops.relu(x)
    out = ops.where(x.data > threshold, x, 0.0)
    if max_value is not None:
        out = ops.clip(out, 0.0, max_value)
    if negative_slope != 0:
        out = out - negative_slope * ops.relu(threshold - x)
    return out


def leaky_relu(x: Tensor | ArrayLike, negative_slope: float = 0.2) -> Tensor:
    """``x`` for ``x > 0``, else ``negative_slope * x`` (Keras's default slope is 0.2).

    >>> leaky_relu(Tensor([-1.0, 2.0]))
    Tensor([-0.2,  2. ], dtype=float32)
    """
    return ops.leaky_relu(x, negative_slope=negative_slope)


def relu6(x: Tensor | ArrayLike) -> Tensor:
    """``min(max(x, 0), 6)``.

    >>> relu6(Tensor([-1.0, 3.0, 9.0]))
    Tensor([0., 3., 6.], dtype=float32)
    """
    return ops.relu6(x)


def elu(x: Tensor | ArrayLike, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: ``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    >>> elu(Tensor([-1.0, 1.0]))
    Tensor([-0.6321,  1.    ], dtype=float32)
    """
    return ops.elu(x, alpha=alpha)


def selu(x: Tensor | ArrayLike) -> Tensor:
    """Scaled exponential linear unit (the self-normalising constants of Klambauer et al.).

    >>> selu(Tensor([1.0]))
    Tensor([1.0507], dtype=float32)
    """
    return ops.selu(x)


def softplus(x: Tensor | ArrayLike) -> Tensor:
    """``log(exp(x) + 1)``, without overflow.

    >>> softplus(Tensor([0.0]))
    Tensor([0.6931], dtype=float32)
    """
    return ops.softplus(x)


def softsign(x: Tensor | ArrayLike) -> Tensor:
    """``x / (abs(x) + 1)``.

    >>> softsign(Tensor([1.0]))
    Tensor([0.5], dtype=float32)
    """
    return ops.softsign(x)


def silu(x: Tensor | ArrayLike) -> Tensor:
    """Sigmoid linear unit (swish): ``x * sigmoid(x)``.

    >>> silu(Tensor([0.0, 1.0]))
    Tensor([0.    , 0.7311], dtype=float32)
    """
    return ops.silu(x)


swish = silu


def gelu(x: Tensor | ArrayLike, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit ``x * Phi(x)``; ``approximate=True`` uses the tanh form.

    Keras's activation defaults to the exact (erf) form.

    >>> gelu(Tensor([1.0]))
    Tensor([0.8413], dtype=float32)
    """
    return ops.gelu(x, approximate=approximate)


def tanh(x: Tensor | ArrayLike) -> Tensor:
    """Hyperbolic tangent.

    >>> tanh(Tensor([0.0]))
    Tensor([0.], dtype=float32)
    """
    return ops.tanh(x)


def sigmoid(x: Tensor | ArrayLike) -> Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``.

    >>> sigmoid(Tensor([0.0]))
    Tensor([0.5], dtype=float32)
    """
    return ops.sigmoid(x)


def exponential(x: Tensor | ArrayLike) -> Tensor:
    """``exp(x)``.

    >>> exponential(Tensor([0.0]))
    Tensor([1.], dtype=float32)
    """
    return ops.exponential(x)


def hard_sigmoid(x: Tensor | ArrayLike) -> Tensor:
    """Piecewise-linear sigmoid, Keras 3's ``relu6(x + 3) / 6``.

    >>> hard_sigmoid(Tensor([-4.0, 0.0, 4.0]))
    Tensor([0. , 0.5, 1. ], dtype=float32)
    """
    return ops.hard_sigmoid(x)


def hard_silu(x: Tensor | ArrayLike) -> Tensor:
    """Hard SiLU (hard swish): ``x * hard_sigmoid(x)``.

    >>> hard_silu(Tensor([-4.0, 0.0, 4.0]))
    Tensor([-0.,  0.,  4.], dtype=float32)
    """
    x = as_tensor(x)
    return x * ops.hard_sigmoid(x)


hard_swish = hard_silu


def linear(x: Tensor | ArrayLike) -> Tensor:
    """The identity: returns ``x`` unchanged (as a Tensor).

    >>> linear(Tensor([-1.0, 2.0]))
    Tensor([-1.,  2.], dtype=float32)
    """
    return as_tensor(x)


def mish(x: Tensor | ArrayLike) -> Tensor:
    """Mish: ``x * tanh(softplus(x))``.

    >>> mish(Tensor([1.0]))
    Tensor([0.8651], dtype=float32)
    """
    x = as_tensor(x)
    return x * ops.tanh(ops.softplus(x))


def _warn_if_single_class(x: Tensor, axis: int, name: str) -> None:
    if isinstance(axis, int) and x.ndim and x.shape[axis] == 1:
        warnings.warn(
            f"{name}: applied over axis {axis} of a tensor of shape {x.shape}; that axis "
            "has size 1, so the result is always "
            f"{'1' if name == 'softmax' else '0'}. Did you mean sigmoid (one output unit) "
            "or more output units?",
            UserWarning,
            stacklevel=3,
        )


def softmax(x: Tensor | ArrayLike, axis: int = -1) -> Tensor:
    """Softmax along ``axis``: ``exp(x) / sum(exp(x))``, computed stably.

    Warns (as Keras does) when ``axis`` has size 1: the output is then always 1.

    Args:
        x: input tensor (logits).
        axis: the axis the probabilities sum to one over.

    Returns:
        A tensor of the same shape whose slices along ``axis`` sum to 1.

    >>> softmax(Tensor([[0.0, 0.0, 0.0, 0.0]]))
    Tensor([[0.25, 0.25, 0.25, 0.25]], dtype=float32)
    """
    x = as_tensor(x)
    _warn_if_single_class(x, axis, "softmax")
    return ops.softmax(x, axis=axis)


def log_softmax(x: Tensor | ArrayLike, axis: int = -1) -> Tensor:
    """Logarithm of the softmax along ``axis``: ``x - logsumexp(x)``.

    >>> log_softmax(Tensor([[0.0, 0.0]]))
    Tensor([[-0.6931, -0.6931]], dtype=float32)
    """
    x = as_tensor(x)
    _warn_if_single_class(x, axis, "log_softmax")
    return ops.log_softmax(x, axis=axis)


# One explicit table: name -> function. Aliases come after the canonical name, so
# serialize() returns the canonical one (swish -> 'silu', as Keras does).
# Keras 3's newer activations are the ops themselves (same names and signatures, each
# with its docstring, example and gradient row in deepgrad.ops).
celu = ops.celu
glu = ops.glu
hard_shrink = ops.hard_shrink
hard_tanh = ops.hard_tanh
log_sigmoid = ops.log_sigmoid
soft_shrink = ops.soft_shrink
sparse_plus = ops.sparse_plus
sparse_sigmoid = ops.sparse_sigmoid
sparsemax = ops.sparsemax
squareplus = ops.squareplus
tanh_shrink = ops.tanh_shrink
threshold = ops.threshold

_ACTIVATIONS: dict[str, Activation] = {
    "relu": relu,
    "leaky_relu": leaky_relu,
    "relu6": relu6,
    "elu": elu,
    "selu": selu,
    "softplus": softplus,
    "softsign": softsign,
    "silu": silu,
    "swish": silu,
    "gelu": gelu,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "exponential": exponential,
    "hard_sigmoid": hard_sigmoid,
    "hard_silu": hard_silu,
    "hard_swish": hard_silu,
    "linear": linear,
    "mish": mish,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "celu": celu,
    "glu": glu,
    "hard_shrink": hard_shrink,
    "hard_tanh": hard_tanh,
    "log_sigmoid": log_sigmoid,
    "soft_shrink": soft_shrink,
    "sparse_plus": sparse_plus,
    "sparse_sigmoid": sparse_sigmoid,
    "sparsemax": sparsemax,
    "squareplus": squareplus,
    "tanh_shrink": tanh_shrink,
    "threshold": threshold,
}
_NAMES: dict[Callable, str] = {}
for _name, _fn in _ACTIVATIONS.items():
    _NAMES.setdefault(_fn, _name)
_CATALOG = registry.Catalog("activations", "activation", Callable, _ACTIVATIONS)


def get(identifier: str | Callable | None) -> Callable:
    """Return the activation function for a Keras name, ``None`` or a callable.

    Args:
        identifier: a name such as ``"relu"``, ``None`` (the identity, ``linear``),
            or any callable (returned as is).

    Returns:
        A function from Tensor to Tensor.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
        TypeError: for anything else.

    >>> get("relu") is relu, get(None) is linear, get(tanh) is tanh
    (True, True, True)
    >>> get("rleu")
    Traceback (most recent call last):
    ...
    ValueError: Unknown activation: 'rleu'. Valid names: ...
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        # A registered function, or one in a custom-object scope (load_model's
        # custom_objects), is found by name too.
        fn = _CATALOG.find(identifier)
        if not callable(fn):
            raise _CATALOG.unknown(identifier)
        return fn
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(
        "activations.get: `identifier` must be a name, None or a callable. "
        f"Received: {identifier!r} of type {type(identifier).__name__}"
    )


def serialize(activation: Callable | None) -> str:
    """Return the name under which :func:`get` finds ``activation``.

    Built-in activations give their Keras name (aliases give the canonical one:
    ``swish`` gives ``'silu'``); another named function gives its ``__name__``.

    Raises:
        TypeError: for a callable without a name.

    >>> serialize(swish), serialize(None)
    ('silu', 'linear')
    """
    if activation is None:
        return "linear"
    name = _NAMES.get(activation)
    if name is not None:
        return name
    if registry.is_registered(activation):
        return registry.get_registered_name(activation)
    name = getattr(activation, "__name__", None)
    if not isinstance(name, str) or name == "<lambda>":
        raise TypeError(
            "activations.serialize: cannot name this activation; use a built-in name or a "
            f"named function. Received: {activation!r}"
        )
    return name


def deserialize(config: str | dict) -> Callable:
    """Inverse of :func:`serialize`: accepts a name or Keras's ``{'config': name}`` form.

    >>> deserialize("gelu") is gelu
    True
    """
    if isinstance(config, dict):
        name = config.get("config", config.get("class_name"))
        return get(name if isinstance(name, str) else None)
    return get(config)

