"""Compile settings to JSON and back: optimizer, loss(es), loss weights, metrics.

Names stay names; built-in loss and metric objects are saved by class and config; a
function is saved by its (registered) name and found again when loading, through
``custom_objects``, the registry, or deepgrad's own functions.

>>> import deepgrad as dg
>>> model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
>>> model.compile(optimizer=dg.optimizers.SGD(0.1), loss=dg.losses.Huber(delta=2.0),
...               metrics=["mae"])
>>> config = serialize_compile(model)
>>> config["loss"]["class_name"], config["metrics"]
('Huber', ['mae'])
>>> compile_from_config(model, config); model.compiled_loss.losses[0].delta
2.0
"""

from __future__ import annotations

from typing import Any

from deepgrad import optimizers
from deepgrad.registry import resolve
from deepgrad.saving.objects import deserialize_keras_object, serialize_keras_object
from deepgrad.saving.serialization import to_json

__all__ = ["serialize_compile", "compile_from_config"]


def _serialize(value: Any, kind: str):
    """Serialize a loss or metric identifier (or a list/dict of them)."""
    try:
        return serialize_keras_object(value)
    except TypeError as error:
        raise TypeError(f"compile: cannot save the {kind}: {error}") from None


def serialize_compile(model) -> dict | None:
    """Return the model's compile settings as JSON-ready data (None if not compiled)."""
    if not getattr(model, "compiled", False):
        return None
    args = getattr(model, "_compile_config", None) or {"loss": model.loss}
    optimizer = model.optimizer
    if type(optimizer) in optimizers.serialization.OPTIMIZERS.values():
        optimizer_config = optimizers.serialize(optimizer)
    else:
        optimizer_config = _serialize(optimizer, "optimizer")
    return {
        "optimizer": optimizer_config,
        "loss": _serialize(args.get("loss"), "loss"),
        "loss_weights": to_json(args.get("loss_weights"), "compile: loss_weights"),
        "metrics": _serialize(args.get("metrics"), "metric"),
        "weighted_metrics": _serialize(args.get("weighted_metrics"), "metric"),
    }


def _deserialize(value: Any, kind: str, custom_objects):
    try:
        return deserialize_keras_object(value, custom_objects)
    except ValueError as error:
        raise ValueError(
            f"load_model: cannot restore the {kind} of the compile settings: {error} Or load "
            "with compile=False."
        ) from None


def compile_from_config(model, config: dict, custom_objects=None) -> None:
    """Compile ``model`` with settings saved by :func:`serialize_compile`."""
    spec = config["optimizer"]
    cls = resolve(spec.get("class_name"), spec.get("registered_name"), custom_objects)
    if cls is not None:
        optimizer = cls.from_config(dict(spec.get("config") or {}))
    else:
        optimizer = optimizers.deserialize(spec, custom_objects=custom_objects)
    model.compile(
        optimizer=optimizer,
        loss=_deserialize(config.get("loss"), "loss", custom_objects),
        loss_weights=config.get("loss_weights"),
        metrics=_deserialize(config.get("metrics"), "metrics", custom_objects),
        weighted_metrics=_deserialize(
            config.get("weighted_metrics"), "weighted_metrics", custom_objects
        ),
    )
