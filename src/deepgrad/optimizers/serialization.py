"""Optimizers by name, class, instance or config: ``get``, ``serialize``, ``deserialize``.

>>> get("Adam").learning_rate
0.001
>>> deserialize(serialize(get("sgd"))).name
'SGD'
"""

from __future__ import annotations

from typing import Any

from deepgrad.optimizers.adagrad import Adagrad
from deepgrad.optimizers.adam import Adam, AdamW, Nadam
from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.rmsprop import RMSprop
from deepgrad.optimizers.sgd import SGD

__all__ = ["get", "serialize", "deserialize"]

# The one place where names resolve; lower-case, as Keras matches them.
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adam": Adam,
    "adamw": AdamW,
    "nadam": Nadam,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
}


def _unknown(name: Any) -> ValueError:
    return ValueError(
        f"Unknown optimizer: {name!r}. Valid names are {sorted(OPTIMIZERS)} "
        "(case-insensitive), or pass an Optimizer instance or class."
    )


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Return ``{"module", "class_name", "config"}`` describing ``optimizer`` (Keras's form).

    Args:
        optimizer: the optimizer.

    Returns:
        A JSON-friendly dict; no state (see :meth:`Optimizer.get_state`).

    >>> serialize(SGD(momentum=0.9))["config"]["momentum"]
    0.9
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"serialize: expected an Optimizer. Received: {type(optimizer).__name__}"
        )
    return {
        "module": "deepgrad.optimizers",
        "class_name": type(optimizer).__name__,
        "config": optimizer.get_config(),
    }


def deserialize(
    config: dict[str, Any], custom_objects: dict[str, type] | None = None
) -> Optimizer:
    """Create an optimizer from :func:`serialize`'s output (or a Keras 3 one).

    Built-in class names match case-insensitively, as in Keras.

    Args:
        config: dict with ``class_name`` and ``config``.
        custom_objects: extra optimizer (and schedule) classes by name.

    Raises:
        ValueError: if the class name is unknown.

    >>> deserialize({"class_name": "RMSprop", "config": {"rho": 0.8}}).rho
    0.8
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "deserialize: expected a dict with 'class_name' and 'config'. "
            f"Received: {config!r}"
        )
    name = config["class_name"]
    custom_objects = custom_objects or {}
    cls = custom_objects.get(name) or OPTIMIZERS.get(str(name).lower())
    if cls is None:
        raise _unknown(name)
    return cls.from_config(dict(config.get("config", {})), custom_objects=custom_objects)


def get(identifier: str | dict | Optimizer | type[Optimizer] | None) -> Optimizer | None:
    """Resolve an optimizer from a name, config dict, class, or instance (returned as is).

    Args:
        identifier: ``"adam"`` (any case), ``{"class_name": ..., "config": ...}``, an
            Optimizer subclass (instantiated with its defaults), an instance, or None.

    Returns:
        An Optimizer, or None for None.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
        TypeError: for any other kind of identifier.

    >>> get("RMSprop").name
    'rmsprop'
    >>> get("adamax")
    Traceback (most recent call last):
    ...
    ValueError: Unknown optimizer: 'adamax'. Valid names are ['adagrad', 'adam', 'adamw', ...
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = OPTIMIZERS.get(identifier.lower())
        if cls is None:
            raise _unknown(identifier)
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise TypeError(
        "Could not interpret optimizer identifier: expected a name, a config dict, an "
        f"Optimizer class or instance. Received: {identifier!r}"
    )
