"""Layers inside a layer's config (a recurrent layer's cell, a wrapper's layer), in Keras
3's nested form ``{"module", "class_name", "config", "registered_name", "build_config"}``.

Layers sit below the saving tier and cannot use its serializer, so the layers that hold
other layers describe them with these two functions; a model file stores the result
as it is. A sub-layer is found again by its registered name (``register_keras_serializable``
or ``custom_objects`` in scope) or among ``deepgrad.layers``. Models cannot be nested
this way (``TimeDistributed(model)`` is not saveable).

>>> import deepgrad as dg
>>> spec = serialize_sublayer(dg.layers.LSTMCell(3, name="cell"))
>>> spec["class_name"], spec["config"]["units"]
('LSTMCell', 3)
>>> deserialize_sublayer(spec).name
'cell'
"""

from __future__ import annotations

from deepgrad.layers.base import Layer
from deepgrad.registry import get_registered_name, is_registered, resolve

__all__ = ["serialize_sublayer", "deserialize_sublayer", "serialize", "deserialize"]


def _shape(shape):
    if isinstance(shape, (list, tuple)) and all(s is None or isinstance(s, int) for s in shape):
        return [None if s is None else int(s) for s in shape]
    return [_shape(s) for s in shape]


def serialize_sublayer(layer: Layer) -> dict:
    """The nested description of ``layer`` (its ``get_config()`` and build shape)."""
    cls = type(layer)
    if hasattr(layer, "_graph"):
        raise ValueError(
            f"{cls.__name__} '{layer.name}': a model inside a layer (such as "
            "TimeDistributed(model)) cannot be described in a config. To fix, wrap a layer, "
            "or save the weights only (save_weights)."
        )
    spec = {
        "module": cls.__module__,
        "class_name": cls.__name__,
        "config": layer.get_config(),
        "registered_name": get_registered_name(cls) if is_registered(cls) else None,
    }
    if layer.built and layer._build_shapes is not None:
        spec["build_config"] = {"input_shape": _shape(layer._build_shapes)}
    return spec


def deserialize_sublayer(spec, custom_objects: dict | None = None) -> Layer:
    """The layer described by :func:`serialize_sublayer` (a layer passes through).

    Raises:
        ValueError: for a description whose class cannot be found.
    """
    if isinstance(spec, Layer):
        return spec
    from deepgrad import layers

    builtins = {n: getattr(layers, n) for n in layers.__all__}
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(f"expected a layer description with a 'class_name'. Received: {spec!r}")
    cls = resolve(spec["class_name"], spec.get("registered_name"), custom_objects, builtins)
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        name = spec.get("registered_name") or spec["class_name"]
        raise ValueError(
            f"unknown layer class {name!r} in a nested layer config. To fix, decorate the "
            "class with @dg.saving.register_keras_serializable(), or pass it in "
            "custom_objects to load_model."
        )
    return cls.from_config(dict(spec.get("config") or {}))


def serialize(layer: Layer) -> dict:
    """A layer's description as a dict (Keras's ``keras.layers.serialize``).

    The form is Keras 3's: ``{"module", "class_name", "config", "registered_name"}``
    (plus ``"build_config"`` for a built layer).

    >>> import deepgrad as dg
    >>> serialize(dg.layers.Dense(2, name="d"))["config"]["units"]
    2
    """
    if not isinstance(layer, Layer):
        raise TypeError(f"serialize: expected a Layer. Received: {type(layer).__name__}")
    return serialize_sublayer(layer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Layer:
    """The layer a :func:`serialize` dict describes (Keras's ``keras.layers.deserialize``).

    Args:
        config: the description.
        custom_objects: classes by name, for layers of your own.

    Raises:
        ValueError: a description of something that is not a known layer.

    >>> import deepgrad as dg
    >>> deserialize(serialize(dg.layers.Dropout(0.3, name="drop"))).rate
    0.3
    """
    return deserialize_sublayer(config, custom_objects)
