"""Saving and loading: model files, weights files, and custom objects.

``dg.saving.load_model`` / ``save_model`` work on ``.deepgrad`` (or ``.keras``) files;
custom layers, losses and metrics are found by name through ``custom_objects``,
``custom_object_scope`` or :func:`register_keras_serializable`.

>>> import deepgrad as dg
>>> @dg.saving.register_keras_serializable(package="Docs")
... class Half(dg.layers.Layer):
...     def call(self, inputs):
...         return inputs * 0.5
>>> dg.saving.get_registered_name(Half)
'Docs>Half'
"""

from __future__ import annotations

from deepgrad.saving.registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
]

_FROM_MODELS = {"load_model", "save_model", "load_weights", "save_weights"}


def __getattr__(name: str):
    # deepgrad.models.saving imports this package's modules, so it loads on first use.
    if name in _FROM_MODELS:
        from deepgrad.models import saving

        return getattr(saving, name)
    raise AttributeError(f"module 'deepgrad.saving' has no attribute {name!r}")
