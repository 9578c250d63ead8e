"""Any saveable object to JSON and back: Keras's ``serialize_keras_object`` and
``deserialize_keras_object``.

An object is written as Keras 3 writes it: ``{"module", "class_name", "config",
"registered_name"}``; a layer or model as :mod:`deepgrad.saving.serialization` describes
it; a function or a class by its (registered) name under ``class_name`` ``"function"`` or
``"__class__"``; lists and dicts element by element. Reading looks a name up in the
``custom_objects`` given, the active custom-object scopes and the registered objects,
then among the public objects of the deepgrad module named by ``module`` (``losses``,
``metrics``, ...). Nothing is ever imported by a name read from a file.

>>> import deepgrad as dg
>>> spec = serialize_keras_object(dg.losses.Huber(delta=2.0))
>>> spec["module"], spec["class_name"], spec["config"]["delta"]
('deepgrad.losses.classes', 'Huber', 2.0)
>>> deserialize_keras_object(spec).delta
2.0
>>> deserialize_keras_object(serialize_keras_object(dg.activations.relu)) is dg.activations.relu
True
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

import numpy as np

from deepgrad import (
    activations,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
)
from deepgrad.layers.base import Layer
from deepgrad.optimizers import schedules
from deepgrad.registry import get_registered_name, get_registered_object, is_registered
from deepgrad.saving.serialization import deserialize_layer, serialize_layer, to_json

__all__ = ["serialize_keras_object", "deserialize_keras_object"]

# The modules whose public objects a file may name, most specific first.
_HOMES: tuple[ModuleType, ...] = (
    schedules, optimizers, activations, initializers, regularizers, losses,
    metrics, layers, models,
)


def serialize_keras_object(obj: Any) -> Any:
    """Return the JSON-ready description of ``obj``, as Keras's function of this name does.

    Args:
        obj: a layer or model, a loss, metric, optimizer, initializer... (anything with
            ``get_config``), a named function or a class, None, a number (NumPy's too) or
            a string, or a list or dict of these.

    Raises:
        TypeError: for an object that cannot be described (a lambda, an object without
            ``get_config``).

    >>> serialize_keras_object([None, 2, dg.activations.gelu])
    [None, 2, {'module': 'deepgrad.activations', 'class_name': 'function', 'config': 'gelu'}]
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (np.generic, np.ndarray)):
        return to_json(obj, "serialize_keras_object")
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, Layer):
        return serialize_layer(obj)
    if isinstance(obj, type) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
        name = get_registered_name(obj)
        if name == "<lambda>":
            raise TypeError("serialize_keras_object: a lambda has no name to save it by. "
                            "To fix, use a def function and register it.")
        kind = "__class__" if isinstance(obj, type) else "function"
        return {"module": obj.__module__, "class_name": kind, "config": name}
    if hasattr(obj, "get_config"):
        cls = type(obj)
        return {
            "module": cls.__module__,
            "class_name": cls.__name__,
            "config": to_json(obj.get_config(), f"{cls.__name__} {obj!r}"),
            "registered_name": get_registered_name(cls) if is_registered(cls) else None,
        }
    raise TypeError(
        f"serialize_keras_object: cannot save {obj!r} of type {type(obj).__name__}. To fix, "
        "use a name, a built-in object, or a class or function registered with "
        "@dg.saving.register_keras_serializable()."
    )


def _home(module: Any) -> ModuleType | None:
    """The deepgrad module whose public objects ``module`` (read from a file) may name."""
    if not isinstance(module, str):
        return None
    for home in _HOMES:
        if module == home.__name__ or module.startswith(home.__name__ + "."):
            return home
    return None


def _builtin(name: Any, module: Any) -> Any:
    """A public class or function of deepgrad's module ``module``, by name, or None."""
    home = _home(module)
    if home is None or not isinstance(name, str) or name.startswith("_"):
        return None
    found = getattr(home, name, None)
    own = getattr(found, "__module__", "") or ""
    if (isinstance(found, type) or inspect.isfunction(found)) and own.startswith("deepgrad."):
        return found
    return None


def _unknown(what: str, name: Any, module: Any) -> ValueError:
    return ValueError(
        f"deserialize_keras_object: unknown {what} {name!r} (saved from module {module!r}). "
        f"To fix, pass custom_objects={{{name!r}: ...}} or register it with "
        "@dg.saving.register_keras_serializable()."
    )


def deserialize_keras_object(config: Any, custom_objects: dict[str, Any] | None = None
                             ) -> Any:
    """Rebuild what :func:`serialize_keras_object` described.

    Args:
        config: its output (or a name, a number, a list or dict of these).
        custom_objects: your own classes and functions by name.

    Raises:
        ValueError: for a name found nowhere, or a malformed entry.

    >>> deserialize_keras_object({"module": "deepgrad.losses", "class_name": "function",
    ...                           "config": "no_such_loss"})
    Traceback (most recent call last):
    ...
    ValueError: deserialize_keras_object: unknown function 'no_such_loss' (saved from ...
    """
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, list):
        return [deserialize_keras_object(item, custom_objects) for item in config]
    if not isinstance(config, dict):
        raise ValueError(f"deserialize_keras_object: cannot read {config!r}.")
    if "class_name" not in config:
        return {k: deserialize_keras_object(v, custom_objects) for k, v in config.items()}
    class_name, module = config["class_name"], config.get("module")
    if class_name in ("function", "__class__"):
        name = config.get("config")
        found = get_registered_object(name, custom_objects) or _builtin(name, module)
        if found is None:
            raise _unknown("function" if class_name == "function" else "class", name, module)
        return found
    found = (get_registered_object(config.get("registered_name"), custom_objects)
             or get_registered_object(class_name, custom_objects)
             or _builtin(class_name, module))
    if not isinstance(found, type):
        raise _unknown("class", config.get("registered_name") or class_name, module)
    if issubclass(found, Layer):
        return deserialize_layer(config, custom_objects)
    arguments = dict(config.get("config") or {})
    if issubclass(found, optimizers.Optimizer):
        return found.from_config(arguments, custom_objects=custom_objects)
    return found.from_config(arguments)
