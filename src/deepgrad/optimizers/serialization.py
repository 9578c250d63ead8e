"""Optimizers by name, class, instance or config: ``get``, ``serialize``, ``deserialize``.

>>> get("Adam").learning_rate
0.001
>>> deserialize(serialize(get("sgd"))).name
'SGD'
"""

from __future__ import annotations

from typing import Any

from deepgrad import registry
from deepgrad.optimizers.adadelta import Adadelta
from deepgrad.optimizers.adafactor import Adafactor
from deepgrad.optimizers.adagrad import Adagrad
from deepgrad.optimizers.adam import Adam, Adamax, AdamW, Nadam
from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.ftrl import Ftrl
from deepgrad.optimizers.lamb import Lamb
from deepgrad.optimizers.lion import Lion
from deepgrad.optimizers.loss_scale_optimizer import LossScaleOptimizer
from deepgrad.optimizers.multi_optimizer import MultiOptimizer
from deepgrad.optimizers.muon import Muon
from deepgrad.optimizers.rmsprop import RMSprop
from deepgrad.optimizers.schedule_free import ScheduleFreeAdamW
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
    "adadelta": Adadelta,
    "adafactor": Adafactor,
    "adamax": Adamax,
    "ftrl": Ftrl,
    "lion": Lion,
    "lamb": Lamb,
    "muon": Muon,
    "multioptimizer": MultiOptimizer,
    "schedulefreeadamw": ScheduleFreeAdamW,
    "lossscaleoptimizer": LossScaleOptimizer,
}

_CATALOG = registry.Catalog("optimizers", "optimizer", Optimizer, OPTIMIZERS, casefold=True)


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Return ``{"module", "class_name", "config"}`` describing ``optimizer`` (Keras's form).

    Args:
        optimizer: the optimizer.

    Returns:
        A JSON-friendly dict; no state (see :meth:`Optimizer.get_state`).

    >>> serialize(SGD(momentum=0.9))["config"]["momentum"]
    0.9
    """
    return {"module": "deepgrad.optimizers", **_CATALOG.serialize(optimizer)}


def deserialize(
    config: dict[str, Any], custom_objects: dict[str, type] | None = None
) -> Optimizer:
    """Create an optimizer from :func:`serialize`'s output (or a Keras 3 one).

    Built-in class names match case-insensitively, as in Keras; registered classes and
    ``custom_objects`` by their exact name.

    Args:
        config: dict with ``class_name`` and ``config``.
        custom_objects: extra optimizer (and schedule) classes by name.

    Raises:
        ValueError: for a malformed dict or an unknown class name.

    >>> deserialize({"class_name": "RMSprop", "config": {"rho": 0.8}}).rho
    0.8
    """
    cls = _CATALOG.class_for(config, custom_objects)
    return cls.from_config(dict(config.get("config") or {}), custom_objects=custom_objects)


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
    >>> get("adamix")
    Traceback (most recent call last):
    ...
    ValueError: Unknown optimizer: 'adamix'. Valid names (case-insensitive): adadelta, ...
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        found = _CATALOG.lookup(identifier)
        return found() if isinstance(found, type) else found
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise TypeError(
        "Could not interpret optimizer identifier: expected a name, a config dict, an "
        f"Optimizer class or instance. Received: {identifier!r}"
    )
