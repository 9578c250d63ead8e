"""Losses with Keras 3 semantics: functions giving per-sample values, classes that reduce.

Functions (``mean_squared_error``, ``sparse_categorical_crossentropy``, ...) return one
loss value per sample. Classes (``MeanSquaredError``, ``SparseCategoricalCrossentropy``,
...) apply sample weights and a reduction (the batch mean by default). :func:`as_loss`
resolves what ``model.compile(loss=...)`` accepts: a Keras name, a class, an instance,
a config dict or a function, and always returns a :class:`Loss`; :func:`get` answers as
Keras's ``losses.get`` (a function name gives the function).

>>> import numpy as np
>>> import deepgrad as dg
>>> loss = dg.losses.as_loss("sparse_categorical_crossentropy")
>>> probs = dg.Tensor([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]], requires_grad=True)
>>> value = loss(np.array([0, 1]), probs)
>>> round(float(value.data), 4)
0.1643
>>> value.backward(); probs.grad.shape
(2, 3)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deepgrad import registry
from deepgrad.losses.base import (
    REDUCTIONS,
    Loss,
    LossFunctionWrapper,
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
)
from deepgrad.losses.circle import Circle, circle
from deepgrad.losses.classes import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from deepgrad.losses.ctc import CTC, ctc
from deepgrad.losses.focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
)
from deepgrad.losses.functions import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    kld,
    log_cosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from deepgrad.losses.generalized import (
    CategoricalGeneralizedCrossEntropy,
    categorical_generalized_cross_entropy,
)
from deepgrad.losses.overlap import Dice, Tversky, dice, tversky

__all__ = [
    "Loss", "LossFunctionWrapper", "REDUCTIONS", "reduce_weighted_values",
    "squeeze_or_expand_to_same_rank",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "Huber", "Hinge", "SquaredHinge", "CategoricalHinge",
    "KLDivergence", "Poisson", "CosineSimilarity", "LogCosh", "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy", "Dice", "Tversky", "CTC", "CategoricalGeneralizedCrossEntropy",
    "Circle",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "huber", "hinge", "squared_hinge", "categorical_hinge",
    "kl_divergence", "poisson", "cosine_similarity", "log_cosh", "mse", "mae", "mape", "msle",
    "kld", "binary_focal_crossentropy", "categorical_focal_crossentropy", "dice", "tversky",
    "ctc", "categorical_generalized_cross_entropy", "circle", "get", "as_loss",
    "serialize", "deserialize",
]

_CLASSES: tuple[type[Loss], ...] = (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, Huber, Hinge, SquaredHinge, CategoricalHinge, KLDivergence,
    Poisson, CosineSimilarity, LogCosh, BinaryFocalCrossentropy, CategoricalFocalCrossentropy,
    Dice, Tversky, CTC, CategoricalGeneralizedCrossEntropy, Circle,
)

# One explicit table. A function name resolves to the class that wraps the function;
# ``get`` then names the instance after the string, as Keras's compile() does.
_FUNCTION_NAMES: dict[str, type[Loss]] = {
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "MAE": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "BCE": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "huber": Huber, "hinge": Hinge, "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge,
    "kl_divergence": KLDivergence, "kld": KLDivergence, "KLD": KLDivergence,
    "poisson": Poisson, "cosine_similarity": CosineSimilarity, "log_cosh": LogCosh,
    "logcosh": LogCosh, "binary_focal_crossentropy": BinaryFocalCrossentropy,
    "categorical_focal_crossentropy": CategoricalFocalCrossentropy, "dice": Dice,
    "tversky": Tversky, "ctc": CTC,
    "categorical_generalized_cross_entropy": CategoricalGeneralizedCrossEntropy,
    "circle": Circle,
}
_CLASS_NAMES: dict[str, type[Loss]] = {cls.__name__: cls for cls in _CLASSES}
_FUNCTIONS: dict[Callable, type[Loss]] = {
    mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    binary_crossentropy: BinaryCrossentropy, categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy, huber: Huber,
    hinge: Hinge, squared_hinge: SquaredHinge, categorical_hinge: CategoricalHinge,
    kl_divergence: KLDivergence, poisson: Poisson, cosine_similarity: CosineSimilarity,
    log_cosh: LogCosh, binary_focal_crossentropy: BinaryFocalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy, dice: Dice,
    tversky: Tversky, ctc: CTC,
    categorical_generalized_cross_entropy: CategoricalGeneralizedCrossEntropy,
    circle: Circle,
}


_FUNCTION_OF: dict[type[Loss], Callable] = {cls: fn for fn, cls in _FUNCTIONS.items()}

_CATALOG = registry.Catalog("losses", "loss", Loss, {**_FUNCTION_NAMES, **_CLASS_NAMES},
                            not_by_name=(LossFunctionWrapper,))


def as_loss(identifier: str | dict | Loss | type | Callable | None) -> Loss | None:
    """Resolve what ``compile(loss=...)`` accepts into a :class:`Loss` (None stays None).

    Args:
        identifier: a :class:`Loss` (returned as is); a Loss class (instantiated); a
            Keras name: a function name such as ``"mse"`` or
            ``"sparse_categorical_crossentropy"`` (gives the matching class, named after
            the string) or a class name such as ``"MeanSquaredError"``; a config dict
            ``{"class_name": ..., "config": {...}}``; or a function
            ``fn(y_true, y_pred) -> per-sample losses`` (built-in ones give their class,
            others a :class:`LossFunctionWrapper`).

    Returns:
        A Loss, or None.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
        TypeError: for anything else.

    A function name gives a Loss object (the object ``compile()`` builds from it in
    Keras); :func:`get` gives the function itself, as Keras's ``losses.get``.

    >>> as_loss("mse")
    MeanSquaredError(name='mse', reduction='sum_over_batch_size')
    >>> as_loss(CategoricalCrossentropy).name
    'categorical_crossentropy'
    >>> as_loss("sparse_categorical_crossentropie")
    Traceback (most recent call last):
    ...
    ValueError: Unknown loss: 'sparse_categorical_crossentropie'. Valid names: ...
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        found = _CATALOG.lookup(identifier)
        if isinstance(found, type):
            return found(name=identifier) if identifier in _FUNCTION_NAMES else found()
        return as_loss(found)  # a registered Loss instance or function
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier) and not isinstance(identifier, type):
        cls = _FUNCTIONS.get(identifier)
        if cls is not None:
            return cls(name=identifier.__name__)
        return LossFunctionWrapper(identifier)
    raise TypeError(
        "losses: `identifier` must be a Loss, a name, a config dict or a function. "
        f"Received: {identifier!r} of type {type(identifier).__name__}"
    )


def get(identifier: str | dict | Loss | type | Callable | None) -> Loss | Callable | None:
    """Keras's ``losses.get``: a function name gives the loss function, a class name or a
    class an instance, a config dict its Loss; a Loss or a function is returned as is.

    ``compile(loss=...)`` resolves through :func:`as_loss`, which always gives a Loss.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
        TypeError: for anything that is not a loss.

    >>> get("mean_squared_error") is mean_squared_error
    True
    >>> get("MeanSquaredError")
    MeanSquaredError(name='mean_squared_error', reduction='sum_over_batch_size')
    """
    if isinstance(identifier, str) and identifier in _FUNCTION_NAMES:
        return _FUNCTION_OF[_FUNCTION_NAMES[identifier]]
    if identifier is None or isinstance(identifier, (str, dict, type)):
        return as_loss(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(
        "losses.get: `identifier` must be a Loss, a name, a config dict or a function. "
        f"Received: {identifier!r} of type {type(identifier).__name__}"
    )


def serialize(loss: Loss) -> dict[str, Any]:
    """Return ``{"class_name": ..., "config": ...}`` for a loss object, as Keras stores it
    (a registered class is named ``"Package>Name"``).

    Raises:
        TypeError: for anything but a Loss, or a :class:`LossFunctionWrapper` (its
            function cannot be saved by name).

    >>> serialize(BinaryCrossentropy(from_logits=True))["config"]["from_logits"]
    True
    """
    return _CATALOG.serialize(loss)


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Loss:
    """Inverse of :func:`serialize`; ``custom_objects`` maps names to your own classes.

    Raises:
        ValueError: for an unknown class name or a malformed dict.

    >>> deserialize(serialize(Huber(delta=2.0))).delta
    2.0
    """
    return _CATALOG.deserialize(config, custom_objects)

