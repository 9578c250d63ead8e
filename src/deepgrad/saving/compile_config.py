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

import inspect
from typing import Any

from deepgrad.registry import get_registered_name, is_registered, resolve
from deepgrad.saving.serialization import to_json

__all__ = ["serialize_compile", "compile_from_config"]


def _object(obj: Any, kind: str) -> dict:
    cls = type(obj)
    return {
        "module": cls.__module__,
        "class_name": cls.__name__,
        "registered_name": get_registered_name(cls) if is_registered(cls) else None,
        "config": to_json(obj.get_config(), f"compile: {kind} {cls.__name__}"),
    }


def _serialize(value: Any, kind: str):
    """Serialize a loss or metric identifier (or a list/dict of them)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize(v, kind) for v in value]
    if isinstance(value, dict):
        return {k: _serialize(v, kind) for k, v in value.items()}
    if isinstance(value, type):
        return {"class_name": "__class__", "config": get_registered_name(value),
                "module": value.__module__}
    if inspect.isfunction(value) or inspect.isbuiltin(value):
        return {"class_name": "function", "config": get_registered_name(value),
                "module": value.__module__}
    if hasattr(value, "get_config"):
        return _object(value, kind)
    raise TypeError(
        f"compile: cannot save the {kind} {value!r}. To fix, use a name, a built-in "
        "object, or a class or function registered with "
        "@dg.saving.register_keras_serializable()."
    )


def serialize_compile(model) -> dict | None:
    """Return the model's compile settings as JSON-ready data (None if not compiled)."""
    from deepgrad import optimizers

    if not getattr(model, "compiled", False):
        return None
    args = getattr(model, "_compile_config", None) or {"loss": model.loss}
    optimizer = model.optimizer
    if type(optimizer) in optimizers.serialization.OPTIMIZERS.values():
        optimizer_config = optimizers.serialize(optimizer)
    else:
        optimizer_config = _object(optimizer, "optimizer")
    return {
        "optimizer": optimizer_config,
        "loss": _serialize(args.get("loss"), "loss"),
        "loss_weights": to_json(args.get("loss_weights"), "compile: loss_weights"),
        "metrics": _serialize(args.get("metrics"), "metric"),
    }


def _deserialize(value: Any, kind: str, custom_objects):
    from deepgrad import losses, metrics

    module = losses if kind == "loss" else metrics
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, list):
        return [_deserialize(v, kind, custom_objects) for v in value]
    if not isinstance(value, dict):
        raise ValueError(f"load_model: invalid {kind} entry in the compile config: {value!r}")
    if "class_name" not in value:
        return {k: _deserialize(v, kind, custom_objects) for k, v in value.items()}
    class_name = value["class_name"]
    if class_name in ("function", "__class__"):
        name = value.get("config")
        own = {k: v for k, v in vars(module).items()
               if callable(v) and getattr(v, "__module__", "").startswith(module.__name__)}
        found = resolve(name, name, custom_objects, own)
        if found is None:
            raise ValueError(
                f"load_model: unknown {kind} {name!r} (from module '{value.get('module')}'). "
                f"To fix, pass custom_objects={{{name!r}: ...}}, register it with "
                "@dg.saving.register_keras_serializable(), or load with compile=False."
            )
        return found
    cls = resolve(class_name, value.get("registered_name"), custom_objects)
    if cls is None:
        return module.deserialize({"class_name": class_name, "config": value.get("config")})
    return cls.from_config(dict(value.get("config") or {}))


def compile_from_config(model, config: dict, custom_objects=None) -> None:
    """Compile ``model`` with settings saved by :func:`serialize_compile`."""
    from deepgrad import optimizers

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
        metrics=_deserialize(config.get("metrics"), "metric", custom_objects),
    )
