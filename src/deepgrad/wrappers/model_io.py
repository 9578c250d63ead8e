"""A model as the bytes of its ``.deepgrad`` file, and a fresh copy of a model from its config.

A fitted wrapper pickles its model as the bytes that ``model.save`` writes (a zip of
``config.json`` and ``weights.safetensors``), never as Python objects of the model;
unpickling builds the model from that config and those weights with ``load_model``.

>>> import deepgrad as dg
>>> model = dg.Sequential([dg.layers.Input((3,)), dg.layers.Dense(2)])
>>> model.compile(optimizer="adam", loss="mse")
>>> blob = model_to_bytes(model)
>>> blob[:2], type(model_from_bytes(blob)).__name__
(b'PK', 'Sequential')
"""

from __future__ import annotations

import os
import tempfile

__all__ = ["model_to_bytes", "model_from_bytes", "clone_model"]

_NAME = "model.deepgrad"


def model_to_bytes(model) -> bytes:
    """The bytes ``model.save`` writes: architecture, compile settings, weights, optimizer."""
    with tempfile.TemporaryDirectory(prefix="deepgrad-") as folder:
        path = os.path.join(folder, _NAME)
        model.save(path)
        with open(path, "rb") as handle:
            return handle.read()


def model_from_bytes(blob: bytes):
    """The model saved in ``blob`` (see :func:`model_to_bytes`), compiled as it was saved.

    Raises:
        ValueError: for bytes that are not an intact deepgrad model file.
    """
    from deepgrad.saving import load_model

    with tempfile.TemporaryDirectory(prefix="deepgrad-") as folder:
        path = os.path.join(folder, _NAME)
        with open(path, "wb") as handle:
            handle.write(blob)
        return load_model(path)


def clone_model(model):
    """A new model with ``model``'s architecture and compile settings and fresh weights.

    As Keras's wrappers do with ``keras.models.clone_model``: the layers are built again
    from their config, so their weights are drawn anew from the initializers (from the
    global generator, which the wrapper seeds from ``random_state``).

    Raises:
        ValueError: for a model that cannot be described by its config (a ``Lambda``).
    """
    from deepgrad.saving.compile_config import compile_from_config, serialize_compile
    from deepgrad.saving.serialization import deserialize_model, serialize_model

    copy = deserialize_model(serialize_model(model))
    compile_config = serialize_compile(model)
    if compile_config:
        compile_from_config(copy, compile_config)
    return copy
