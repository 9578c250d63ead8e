"""Saving and loading models, the tier above :mod:`deepgrad.models` (Keras's ``keras.saving``).

``load_model`` / ``save_model`` work on ``.deepgrad`` (or ``.keras``) files and
``load_weights`` / ``save_weights`` on weights files; the bytes are read and written by
:mod:`deepgrad.formats`, below. Custom layers, losses and metrics are found by name through
``custom_objects``, ``custom_object_scope`` or :func:`register_keras_serializable`. A
file that is damaged, altered or of another kind fails with :class:`FileFormatError` (a
``ValueError``) naming the file and the part at fault.

>>> import deepgrad as dg
>>> @dg.saving.register_keras_serializable(package="Docs")
... class Half(dg.layers.Layer):
...     def call(self, inputs):
...         return inputs * 0.5
>>> dg.saving.get_registered_name(Half)
'Docs>Half'
"""

from __future__ import annotations

from deepgrad.formats.errors import FileFormatError
from deepgrad.registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from deepgrad.saving.objects import deserialize_keras_object, serialize_keras_object
from deepgrad.saving.saving_api import load_model, load_weights, save_model, save_weights

__all__ = [
    "CustomObjectScope",
    "FileFormatError",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]
