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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "register_keras_serializable",
    "custom_object_scope",
    "CustomObjectScope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "Catalog",
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


def _a(name: str) -> str:
    return f"{'an' if name[0] in 'AEIOU' else 'a'} {name}"


@dataclass(frozen=True)
class Catalog:
    """One module's names: the explicit dictionary that its ``get`` and ``deserialize``
    resolve strings through, and the one way to serialize its objects.

    Activations, initializers, regularizers, losses, metrics, optimizers and learning-rate
    schedules each keep one Catalog. A name is looked up in the ``custom_objects`` given,
    the active :class:`CustomObjectScope`\\ s and the registered objects first (as Keras
    does), then in ``names``; an unknown name fails with the valid ones listed.

    Args:
        module: the public module, first word of messages (``"initializers"``).
        kind: what the names stand for, in messages (``"initializer"``).
        base: the class of the module's objects (``Initializer``).
        names: the one explicit table, name to class (or function, or instance).
        listed: the names an error lists; by default the table's lower-case names (or
            all, if none is lower case).
        casefold: match names case-insensitively (the table's keys are lower case), as
            Keras does for optimizers.
        not_by_name: wrapper classes whose instances hold any Python function and so
            cannot be rebuilt from a config: :meth:`serialize` refuses them (not their
            subclasses, which pass their own function).

    >>> class Shape:
    ...     def __init__(self, sides=4):
    ...         self.sides = sides
    ...     def get_config(self):
    ...         return {"sides": self.sides}
    ...     @classmethod
    ...     def from_config(cls, config):
    ...         return cls(**config)
    >>> shapes = Catalog("shapes", "shape", Shape, {"square": Shape, "Shape": Shape})
    >>> shapes.deserialize(shapes.serialize(Shape(3))).sides
    3
    >>> shapes.get("circle")
    Traceback (most recent call last):
    ...
    ValueError: Unknown shape: 'circle'. Valid names: square.
    """

    module: str
    kind: str
    base: type
    names: Mapping[str, Any]
    listed: tuple[str, ...] = ()
    casefold: bool = False
    not_by_name: tuple[type, ...] = ()

    def find(self, name: str, custom_objects: dict[str, Any] | None = None) -> Any:
        """The object for ``name`` (custom and registered objects first), or None.

        >>> Catalog("demo", "thing", object, {"one": 1}).find("one")
        1
        """
        found = get_registered_object(name, custom_objects)
        if found is not None:
            return found
        return self.names.get(name.lower() if self.casefold else name)

    def lookup(self, name: str, custom_objects: dict[str, Any] | None = None) -> Any:
        """The object for ``name``, as :meth:`find`.

        Raises:
            ValueError: for an unknown name, listing the valid ones.
        """
        found = self.find(name, custom_objects)
        if found is None:
            raise self.unknown(name)
        return found

    def valid_names(self) -> str:
        """The names an error lists, sorted and comma-separated."""
        listed = self.listed or tuple(n for n in self.names if n == n.lower()) or tuple(self.names)
        return ", ".join(sorted(listed))

    def unknown(self, name: Any) -> ValueError:
        """The error for a name that :meth:`find` does not know."""
        hint = " (case-insensitive)" if self.casefold else ""
        return ValueError(f"Unknown {self.kind}: {name!r}. Valid names{hint}: "
                          f"{self.valid_names()}.")

    def class_for(self, config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
        """The class named by a ``{"class_name": ..., "config": {...}}`` dict.

        Raises:
            ValueError: for a malformed dict or an unknown class name.
        """
        class_name = config.get("class_name") if isinstance(config, dict) else None
        if not isinstance(class_name, str):
            raise ValueError(
                f"{self.module}.deserialize: expected a dict with 'class_name' and 'config'. "
                f"Received: {config!r}"
            )
        return self.lookup(class_name, custom_objects)

    def deserialize(self, config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
        """Build an object from ``{"class_name": ..., "config": {...}}`` with its
        ``from_config``: the inverse of :meth:`serialize`.

        Raises:
            ValueError: for a malformed dict or an unknown class name.
        """
        cls = self.class_for(config, custom_objects)
        return cls.from_config(dict(config.get("config") or {}))

    def serialize(self, obj: Any) -> dict[str, Any]:
        """``{"class_name": ..., "config": ...}`` for an object of class ``base``, as Keras
        stores it; a registered class is named ``"Package>Name"``.

        Raises:
            TypeError: for an object of another class, or of a ``not_by_name`` class.
        """
        if not isinstance(obj, self.base):
            raise TypeError(
                f"{self.module}.serialize: expected {_a(self.base.__name__)}. "
                f"Received: {obj!r} of type {type(obj).__name__}"
            )
        cls = type(obj)
        if cls in self.not_by_name:
            raise TypeError(
                f"{self.module}.serialize: a {cls.__name__} holds a Python function, so it "
                f"cannot be serialized by name (only built-in {self.base.__name__} classes "
                "and your own can). To fix, write a subclass with get_config() and register "
                f"it with @dg.saving.register_keras_serializable(). Received: {obj!r}"
            )
        return {"class_name": get_registered_name(cls), "config": obj.get_config()}

    def get(self, identifier: Any) -> Any:
        """Resolve a Keras identifier to an object of class ``base``: the body of ``get``
        in initializers and regularizers.

        ``None`` and ``base`` instances come back as they are; a name is looked up (a
        class is instantiated with no arguments, a registered instance returned); a dict
        goes through :meth:`deserialize`; a ``base`` subclass is instantiated; another
        callable is returned as it is.

        Raises:
            ValueError: for an unknown name.
            TypeError: for anything else.

        >>> Catalog("shapes", "shape", str, {}).get(3)
        Traceback (most recent call last):
        ...
        TypeError: shapes.get: `identifier` must be a str, a name, a config dict or a callable. Received: 3 of type int
        """  # noqa: E501
        base = self.base
        if identifier is None or isinstance(identifier, base):
            return identifier
        if isinstance(identifier, str):
            found = self.lookup(identifier)
            return found if isinstance(found, base) else found()
        if isinstance(identifier, dict):
            return self.deserialize(identifier)
        if isinstance(identifier, type) and issubclass(identifier, base):
            return identifier()
        if callable(identifier) and not isinstance(identifier, type):
            return identifier
        raise TypeError(
            f"{self.module}.get: `identifier` must be {_a(base.__name__)}, a name, a config "
            f"dict or a callable. Received: {identifier!r} of type {type(identifier).__name__}"
        )
