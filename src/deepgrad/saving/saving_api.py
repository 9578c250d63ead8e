"""Save and load whole models (``.deepgrad`` / ``.keras``) and weights on their own.

A model file is a zip (see :mod:`deepgrad.formats.archive`) holding ``config.json`` (the
architecture, compile settings, the format version and the deepgrad and NumPy versions
that wrote it, and for a trained model the epoch reached and the random generators'
states), ``weights.safetensors``, ``optimizer.safetensors`` (the optimizer's slots and
iteration count, so training resumes exactly) and ``manifest.json`` (SHA-256 of each
member). Weights alone go to ``.weights.safetensors`` or Keras 3's ``.weights.h5``.
Everything is read and checked before anything is assigned; files are written
atomically. No pickle anywhere.

>>> import os, tempfile
>>> import deepgrad as dg
>>> model = dg.Sequential([dg.layers.Dense(2, input_shape=(3,))])
>>> model.compile(optimizer="adam", loss="mse")
>>> path = os.path.join(tempfile.mkdtemp(), "model.deepgrad")
>>> model.save(path)
>>> restored = dg.models.load_model(path)
>>> x = np.ones((1, 3), dtype="float32")
>>> bool((restored.predict(x) == model.predict(x)).all())
True
"""

from __future__ import annotations

import json
import os
import platform

import numpy as np

import deepgrad
from deepgrad import random as dg_random
from deepgrad.formats import (
    MODEL_SUFFIXES,
    WEIGHTS_SUFFIXES,
    archive,
    h5_weights,
    jsonio,
    safetensors_io,
)
from deepgrad.formats.atomic import check_target, write_atomic
from deepgrad.registry import custom_object_scope
from deepgrad.saving.compile_config import compile_from_config, serialize_compile
from deepgrad.saving.serialization import deserialize_model, serialize_model
from deepgrad.saving.weight_paths import layer_paths, weight_entries
from deepgrad.saving.weights_io import assign, collect, require_built

__all__ = ["save_model", "load_model", "save_weights", "load_weights"]

# The members of a model file, and the member holding a Keras 3 .keras file's weights.
_CONFIG, _WEIGHTS, _OPTIMIZER = "config.json", "weights.safetensors", "optimizer.safetensors"
_KERAS_WEIGHTS = "model.weights.h5"


def _check_suffix(path: str, suffixes: tuple[str, ...], who: str, hint: str) -> None:
    if not path.endswith(suffixes):
        raise ValueError(
            f"{who}: the file name must end with {' or '.join(suffixes)}. Received: "
            f"filepath={path!r}. {hint}"
        )


def _weights_blob(model) -> bytes:
    arrays, labels = collect(model)
    return safetensors_io.dumps(
        arrays, metadata={"format": "deepgrad.weights", "labels": json.dumps(labels)}
    )


def _optimizer_blob(model) -> bytes | None:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not optimizer.built:
        return None
    keys = {id(e.variable): e.key for e in weight_entries(model)}
    variables = optimizer._storage.variables
    if any(id(v) not in keys for v in variables):
        return None  # the optimizer also trains variables outside this model
    return safetensors_io.dumps(
        optimizer.get_state(),
        metadata={"variables": json.dumps([keys[id(v)] for v in variables])},
    )


def _layer_generators(model) -> dict[str, dict]:
    """States of layers' own random generators (e.g. ``Dropout(seed=...)``)."""
    found = {}
    for path, layer in layer_paths(model):
        for attr, value in vars(layer).items():
            if isinstance(value, np.random.Generator):
                found[f"{path}:{attr}"] = value.bit_generator.state
    return found


def _training_state(model) -> dict | None:
    optimizer = getattr(model, "optimizer", None)
    epoch = getattr(model, "_epoch", None)
    if not epoch and not (optimizer is not None and optimizer.iterations):
        return None
    return {
        "epoch": epoch,
        "random_state": dg_random.get_state(),
        "layer_random_states": _layer_generators(model),
    }


def save_model(model, filepath, overwrite: bool = True) -> None:
    """Save the architecture, weights, compile settings and optimizer state to one file.

    Args:
        model: the model.
        filepath: a path ending in ``.deepgrad`` (or ``.keras``, as Keras users write it).
        overwrite: whether to replace an existing file.

    Raises:
        ValueError: for another suffix, or a layer that cannot be saved (``Lambda``).
        FileExistsError: if the file exists and ``overwrite`` is False.

    >>> save_model(dg.Sequential(), "model.h5")
    Traceback (most recent call last):
    ...
    ValueError: save: the file name must end with .deepgrad or .keras. Received: ...
    """
    filepath = os.fspath(filepath)
    _check_suffix(filepath, MODEL_SUFFIXES, "save",
                  "For the weights alone, use save_weights('name.weights.safetensors').")
    check_target(filepath, "save", overwrite)
    config = {
        "format": archive.FORMAT_NAME,
        "format_version": archive.FORMAT_VERSION,
        "deepgrad_version": deepgrad.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "model": serialize_model(model),
        "compile_config": serialize_compile(model),
        "training_state": _training_state(model),
    }

    def produce() -> bytes:
        members = {_CONFIG: json.dumps(config, indent=1).encode(), _WEIGHTS: _weights_blob(model)}
        optimizer = _optimizer_blob(model)
        if optimizer is not None:
            members[_OPTIMIZER] = optimizer
        return archive.write_archive(members)

    write_atomic(filepath, produce, who="save", overwrite=overwrite)


def _restore_optimizer(model, blob: bytes, where: str) -> None:
    state, metadata = safetensors_io.loads(blob, f"{where}:{_OPTIMIZER}")
    if "variables" not in metadata:
        raise ValueError(f"{where}: {_OPTIMIZER} does not list its variables.")
    keys = jsonio.loads(metadata["variables"], where, f"the variables listed in {_OPTIMIZER}")
    if not isinstance(keys, list):
        raise ValueError(f"{where}: {_OPTIMIZER} does not list its variables.")
    entries = {e.key: e.variable for e in weight_entries(model)}
    unknown = [k for k in keys if k not in entries]
    if unknown:
        raise ValueError(f"{where}: the optimizer state names unknown weights {unknown[:5]}.")
    model.optimizer.build([entries[k] for k in keys])
    try:
        model.optimizer.set_state(state)
    except ValueError as error:
        raise ValueError(f"{where}: the saved optimizer state does not fit: {error}") from None


def _restore_training_state(model, state: dict | None, where: str) -> None:
    if not state:
        return
    model._epoch = state.get("epoch")
    generators = state.get("layer_random_states") or {}
    layers = dict(layer_paths(model))
    for key, value in generators.items():
        path, _, attr = key.rpartition(":")
        generator = getattr(layers.get(path), attr, None)
        if isinstance(generator, np.random.Generator):
            generator.bit_generator.state = value
    if state.get("random_state") is not None:
        dg_random.set_state(state["random_state"])


def load_model(filepath, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True):
    """Load a model saved by :func:`save_model` / ``model.save``.

    The file is read and verified (zip, manifest, SHA-256, format version, names, shapes
    and dtypes) before the model is returned. With ``compile=True`` the model is compiled
    as it was saved, with the optimizer's state. For a checkpoint of a trained model the
    random generators are restored too and ``model._epoch`` is the epoch reached, so
    ``fit(..., initial_epoch=model._epoch)`` continues bit-identically; otherwise loading
    leaves the global generator as it was.

    Args:
        filepath: the ``.deepgrad`` or ``.keras`` file.
        custom_objects: dict from name to your own layer, loss, metric or optimizer
            classes and functions (or register them with
            :func:`deepgrad.saving.register_keras_serializable`).
        compile: whether to compile the model as saved.
        safe_mode: accepted for Keras compatibility; deepgrad files never hold code.

    Raises:
        FileNotFoundError: if there is no file.
        ValueError: for a file that is not an intact deepgrad model file, a newer
            format version, an unknown class, or weights that do not fit.

    >>> load_model("/no/such/file.deepgrad")
    Traceback (most recent call last):
    ...
    FileNotFoundError: load_model: no file at '/no/such/file.deepgrad'.
    """
    filepath = os.fspath(filepath)
    where = filepath
    members = archive.read_archive_bytes(archive.read_file(filepath, "load_model"), where)
    if _CONFIG not in members:
        raise ValueError(f"{where}: the model file has no {_CONFIG}.")
    config = jsonio.loads(members[_CONFIG], where, _CONFIG)
    archive.check_format(config, where)
    if _WEIGHTS not in members:
        raise ValueError(f"{where}: the model file has no {_WEIGHTS}.")
    weights, metadata = safetensors_io.loads(members[_WEIGHTS], f"{where}:{_WEIGHTS}")
    # Creating the layers draws initial weights that the file then replaces; put the
    # global generator back so that loading does not shift the user's random numbers.
    generator_state = dg_random.get_state()
    with custom_object_scope(custom_objects):
        try:
            model = deserialize_model(config["model"], custom_objects)
        finally:
            dg_random.set_state(generator_state)
        assign(model, weights, where, file_labels=_labels(metadata, where), who="load_model")
        if compile and config.get("compile_config"):
            compile_from_config(model, config["compile_config"], custom_objects)
            if _OPTIMIZER in members:
                _restore_optimizer(model, members[_OPTIMIZER], where)
    if compile:
        _restore_training_state(model, config.get("training_state"), where)
    return model


def save_weights(model, filepath, overwrite: bool = True) -> None:
    """Save only the weights: ``.weights.safetensors``, or Keras 3's ``.weights.h5``.

    Raises:
        ValueError: for another suffix, or a model that is not built.

    >>> save_weights(dg.Sequential(), "w.npz")
    Traceback (most recent call last):
    ...
    ValueError: save_weights: the file name must end with .weights.safetensors or ...
    """
    filepath = os.fspath(filepath)
    _check_suffix(filepath, WEIGHTS_SUFFIXES, "save_weights",
                  "To save the whole model, use model.save('name.deepgrad').")
    require_built(model, "save_weights")
    check_target(filepath, "save_weights", overwrite)
    if filepath.endswith(".h5"):
        h5_weights.require_h5py("save_weights")

        def produce() -> bytes:
            return h5_weights.dumps(collect(model)[0], [path for path, _ in layer_paths(model)])
    else:

        def produce() -> bytes:
            return _weights_blob(model)

    write_atomic(filepath, produce, who="save_weights", overwrite=overwrite)


def load_weights(model, filepath, skip_mismatch: bool = False) -> None:
    """Load weights into ``model`` from any deepgrad or Keras 3 weights-bearing file.

    The kind is read from the file's first bytes: a ``.weights.safetensors`` file, a
    ``.deepgrad`` model file, a Keras 3 ``.weights.h5`` or ``.keras`` file (h5py needed).
    All weights are checked before any is assigned.

    Args:
        model: a built model.
        filepath: the file.
        skip_mismatch: skip (with a warning) layers whose weights do not fit.

    Raises:
        FileNotFoundError: if there is no file.
        ValueError: for a file of another kind, or weights that do not fit (the message
            names each layer, weight and both shapes).
    """
    filepath = os.fspath(filepath)
    blob = archive.read_file(filepath, "load_weights")
    labels: dict[str, str] = {}
    cast = False
    if blob.startswith(archive.HDF5_MAGIC):
        arrays, cast = h5_weights.loads(blob, filepath), True
    elif blob.startswith(archive.ZIP_MAGIC):
        arrays, labels, cast = _weights_from_zip(blob, filepath)
    else:
        try:
            arrays, metadata = safetensors_io.loads(blob, filepath)
        except safetensors_io.SafetensorsError as error:
            raise ValueError(
                f"load_weights: {filepath!r} is not a weights file deepgrad reads "
                f"(.weights.safetensors, .weights.h5, .deepgrad or .keras): {error}"
            ) from None
        labels = _labels(metadata, filepath)
    assign(model, arrays, filepath, skip_mismatch=skip_mismatch, file_labels=labels,
           cast_floats=cast)


def _labels(metadata: dict[str, str], where: str) -> dict[str, str]:
    """The weights' own names (``dense/kernel``) that a weights member lists, for messages."""
    labels = jsonio.loads(metadata.get("labels", "{}"), where, "the weights' labels")
    return labels if isinstance(labels, dict) else {}


def _weights_from_zip(blob: bytes, where: str):
    members = archive.read_zip(blob, where)
    if _KERAS_WEIGHTS in members and archive.MANIFEST not in members:
        return h5_weights.loads(members[_KERAS_WEIGHTS], where), {}, True
    members = archive.check_members(members, where)
    if _WEIGHTS not in members:
        raise ValueError(f"{where}: the model file has no {_WEIGHTS}.")
    arrays, metadata = safetensors_io.loads(members[_WEIGHTS], f"{where}:{_WEIGHTS}")
    return arrays, _labels(metadata, where), False
