"""Custom objects for saving: ``register_keras_serializable`` and ``custom_object_scope``.

A saved model names each class; loading finds the class again by looking, in order, in
the ``custom_objects`` passed to ``load_model``, the active ``custom_object_scope``\\ s,
the classes and functions registered with :func:`register_keras_serializable`, and
deepgrad's own classes. Nothing is ever imported by a name read from a file.

>>> import deepgrad as dg
>>> @register_keras_serializable(package="Demo")
... class Twice(dg.layers.Layer):
...     def call(self, inputs):
...         return inputs * 2
>>> get_registered_name(Twice), get_registered_object("Demo>Twice") is Twice
('Demo>Twice', True)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = [
    "register_keras_serializable",
    "custom_object_scope",
    "CustomObjectScope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
]

_GLOBAL_OBJECTS: dict[str, Any] = {}
_GLOBAL_NAMES: dict[Any, str] = {}
_scopes = threading.local()


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable:
    """Register a class or function so that saved models can find it by name when loading.

    The registered name is ``"<package>>name"`` (``name`` defaults to the class's or
    function's ``__name__``), as in Keras.

    Args:
        package: a namespace for the name, e.g. your project's name.
        name: the name to register under; the object's ``__name__`` by default.

    Returns:
        A decorator that registers its argument and returns it unchanged.

    Raises:
        ValueError: if ``package`` contains ``'>'``, or a class without ``get_config``
            is registered.

    >>> @register_keras_serializable(package="Demo", name="double_it")
    ... def double(x):
    ...     return x * 2
    >>> get_registered_name(double)
    'Demo>double_it'
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(
            "register_keras_serializable: `package` must be a string without '>'. "
            f"Received: package={package!r}"
        )

    def decorator(obj):
        registered = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"register_keras_serializable: cannot register {obj.__name__}: it has no "
                "get_config() method, so it could not be saved."
            )
        _GLOBAL_OBJECTS[registered] = obj
        _GLOBAL_NAMES[obj] = registered
        return obj

    return decorator


def get_registered_name(obj: Any) -> str:
    """Return the name ``obj`` is registered under, or its ``__name__`` if not registered.

    >>> get_registered_name(len)
    'len'
    """
    return _GLOBAL_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


def is_registered(obj: Any) -> bool:
    """Whether ``obj`` was registered with :func:`register_keras_serializable`.

    >>> is_registered(len)
    False
    """
    return obj in _GLOBAL_NAMES


def get_custom_objects() -> dict[str, Any]:
    """Return the global dict of registered objects (name to object); edits take effect.

    >>> isinstance(get_custom_objects(), dict)
    True
    """
    return _GLOBAL_OBJECTS


class CustomObjectScope:
    """Within ``with custom_object_scope({...}):``, loading also finds these objects by name.

    >>> class Thing: ...
    >>> with custom_object_scope({"Thing": Thing}):
    ...     get_registered_object("Thing") is Thing
    True
    >>> get_registered_object("Thing") is None
    True
    """

    def __init__(self, *custom_objects: dict[str, Any] | None):
        self.objects: dict[str, Any] = {}
        for objects in custom_objects:
            self.objects.update(objects or {})

    def __enter__(self) -> CustomObjectScope:
        _stack().append(self.objects)
        return self

    def __exit__(self, *exc_info) -> None:
        _stack().pop()


custom_object_scope = CustomObjectScope


def _stack() -> list[dict[str, Any]]:
    if not hasattr(_scopes, "stack"):
        _scopes.stack = []
    return _scopes.stack


def get_registered_object(
    name: str | None, custom_objects: dict[str, Any] | None = None,
    module_objects: dict[str, Any] | None = None,
) -> Any:
    """Find an object by name: custom_objects, the scopes, the registry, then module_objects.

    Args:
        name: a registered name (``"Custom>MyLayer"``) or a plain class/function name.
        custom_objects: extra name-to-object dict that takes precedence.
        module_objects: the built-in objects to fall back on.

    Returns:
        The object, or None if no source has it.

    >>> get_registered_object("Nothing", module_objects={"Nothing": 0})
    0
    """
    if name is None:
        return None
    for source in [custom_objects or {}, *reversed(_stack()), _GLOBAL_OBJECTS]:
        if name in source:
            return source[name]
    return (module_objects or {}).get(name)


def resolve(
    class_name: str, registered_name: str | None, custom_objects: dict[str, Any] | None,
    module_objects: dict[str, Any] | None = None,
) -> Any:
    """Find a saved object's class or function by its registered name, then its class name.

    A user's ``custom_objects`` may key it by either name; deepgrad's own objects
    (``module_objects``) are only matched by class name.

    >>> resolve("Dense", None, None, {"Dense": "the class"})
    'the class'
    """
    for name in (registered_name, class_name):
        found = get_registered_object(name, custom_objects)
        if found is not None:
            return found
    return (module_objects or {}).get(class_name)


def from_class_config(
    config: Any, module: str, kind: str, lookup: Callable[[str], Any],
    valid_names: Callable[[], str],
) -> Any:
    """Build an object from ``{"class_name": ..., "config": {...}}`` with its ``from_config``.

    The body of the ``deserialize`` functions of initializers, regularizers, losses and
    metrics, which differ only in how they find a class by name.

    Args:
        config: the dict to read.
        module: the public module, first word of the malformed-dict message (``"losses"``).
        kind: what is built, named in the unknown-name message (``"loss"``).
        lookup: returns the class for a name, or None.
        valid_names: returns the valid names as text, listed when ``lookup`` finds nothing.

    Raises:
        ValueError: for a malformed dict or an unknown class name.

    >>> class Point(dict):
    ...     from_config = classmethod(lambda cls, config: cls(config))
    >>> from_class_config({"class_name": "Point", "config": {"x": 1}}, "demo", "point",
    ...                   {"Point": Point}.get, lambda: "Point")
    {'x': 1}
    >>> from_class_config({"class_name": "Line"}, "demo", "point", {}.get, lambda: "Point")
    Traceback (most recent call last):
    ...
    ValueError: Unknown point: 'Line'. Valid names: Point.
    """
    class_name = config.get("class_name") if isinstance(config, dict) else None
    if not isinstance(class_name, str):
        raise ValueError(
            f"{module}.deserialize: expected a dict with 'class_name' and 'config'. "
            f"Received: {config!r}"
        )
    cls = lookup(class_name)
    if cls is None:
        raise ValueError(f"Unknown {kind}: {class_name!r}. Valid names: {valid_names()}.")
    return cls.from_config(dict(config.get("config") or {}))


def _a(name: str) -> str:
    return f"{'an' if name[0] in 'AEIOU' else 'a'} {name}"


def get_object(
    identifier: Any, base: type, module: str, kind: str, lookup: Callable[[str], Any],
    valid_names: Callable[[], str],
) -> Any:
    """Resolve a Keras identifier to an object of class ``base``: the body of ``get`` in
    initializers and regularizers.

    ``None`` and ``base`` instances come back as they are; a name is looked up (a class is
    instantiated with no arguments, a registered instance returned); a dict goes through
    :func:`from_class_config`; a ``base`` subclass is instantiated; another callable is
    returned as it is.

    Args:
        identifier: what the user passed.
        base: the class of the objects resolved (``Initializer``).
        module, kind, lookup, valid_names: as in :func:`from_class_config`.

    Raises:
        ValueError: for an unknown name.
        TypeError: for anything else.

    >>> class Shape:
    ...     pass
    >>> class Square(Shape):
    ...     pass
    >>> type(get_object("square", Shape, "shapes", "shape", {"square": Square}.get,
    ...                 lambda: "square")).__name__
    'Square'
    >>> get_object(3, Shape, "shapes", "shape", {}.get, lambda: "square")
    Traceback (most recent call last):
    ...
    TypeError: shapes.get: `identifier` must be a Shape, a name, a config dict or a callable. Received: 3 of type int
    """  # noqa: E501
    if identifier is None or isinstance(identifier, base):
        return identifier
    if isinstance(identifier, str):
        cls = lookup(identifier)
        if isinstance(cls, base):
            return cls
        if cls is None:
            raise ValueError(f"Unknown {kind}: {identifier!r}. Valid names: {valid_names()}.")
        return cls()
    if isinstance(identifier, dict):
        return from_class_config(identifier, module, kind, lookup, valid_names)
    if isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()
    if callable(identifier) and not isinstance(identifier, type):
        return identifier
    raise TypeError(
        f"{module}.get: `identifier` must be {_a(base.__name__)}, a name, a config dict or a "
        f"callable. Received: {identifier!r} of type {type(identifier).__name__}"
    )


def serialize_object(obj: Any, base: type, module: str) -> dict[str, Any]:
    """``{"class_name": ..., "config": ...}`` for an object of class ``base``, as Keras
    stores it; registered classes are named ``"Package>Name"``.

    >>> class Shape:
    ...     def get_config(self):
    ...         return {"sides": 4}
    >>> serialize_object(Shape(), Shape, "shapes")
    {'class_name': 'Shape', 'config': {'sides': 4}}
    """
    if not isinstance(obj, base):
        raise TypeError(
            f"{module}.serialize: expected {_a(base.__name__)}. "
            f"Received: {obj!r} of type {type(obj).__name__}"
        )
    return {"class_name": get_registered_name(type(obj)), "config": obj.get_config()}
