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
from contextlib import contextmanager

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
from deepgrad.formats.budget import building_from_file
from deepgrad.formats.errors import FileFormatError
from deepgrad.models.model import Model
from deepgrad.registry import custom_object_scope
from deepgrad.saving import schema
from deepgrad.saving.compile_config import compile_from_config, serialize_compile
from deepgrad.saving.objects import serialize_keras_object
from deepgrad.saving.serialization import deserialize_model, serialize_model
from deepgrad.saving.weight_paths import layer_paths, weight_entries
from deepgrad.saving.weights_io import collect, match, require_built, set_values
from deepgrad.tensor import Variable

__all__ = ["save_model", "load_model", "load_checkpoint", "save_weights", "load_weights"]

# The members of a model file, and the member holding a Keras 3 .keras file's weights.
_CONFIG, _WEIGHTS, _OPTIMIZER = "config.json", "weights.safetensors", "optimizer.safetensors"
_KERAS_WEIGHTS = "model.weights.h5"
_MEMBERS = (_CONFIG, _WEIGHTS, _OPTIMIZER)


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
    variables = optimizer._built_variables
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


def _compile_config(model) -> dict | None:
    """What ``model.save`` stores of the compile settings: deepgrad's own description, or
    a class's own ``get_compile_config`` serialized (as Keras's ``serialize_keras_object``
    does: functions by registered name, objects by class and config)."""
    if type(model).get_compile_config is Model.get_compile_config:
        return serialize_compile(model)
    if not getattr(model, "compiled", False):
        return None
    return serialize_keras_object(model.get_compile_config())


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
        "compile_config": _compile_config(model),
        "training_state": _training_state(model),
    }

    def produce() -> bytes:
        members = {_CONFIG: json.dumps(config, indent=1).encode(), _WEIGHTS: _weights_blob(model)}
        optimizer = _optimizer_blob(model)
        if optimizer is not None:
            members[_OPTIMIZER] = optimizer
        return archive.write_archive(members)

    write_atomic(filepath, produce, who="save", overwrite=overwrite)


@contextmanager
def _part(where: str, part: str):
    """Whatever reading ``part`` of the file raises becomes a FileFormatError naming it.

    The file is untrusted input: a value of the wrong type or range in it reaches layer
    constructors, optimizers and generators, whose own errors (TypeError, KeyError,
    OverflowError...) say what is wrong but not where; this names the file and the part.
    """
    try:
        yield
    except FileFormatError:
        raise
    except Exception as error:
        raise FileFormatError(where, part, f"{type(error).__name__}: {error}") from error


def _read_safetensors(stream, where: str, size: int, check=None, into=None):
    """Read a safetensors member: its header, ``check(header)``, then its data.

    ``check`` returns the keys to read (after comparing the header with what it needs),
    so no data is read for a file that does not fit.
    """
    header = safetensors_io.read_header(stream, where, size)
    keys = check(header) if check is not None else None
    arrays = safetensors_io.read_tensors(stream, header, where, keys=keys, into=into)
    stream.finish()
    return header, arrays


def _specs(header) -> dict:
    return {name: (info.shape, info.dtype.newbyteorder("="))
            for name, info in header.tensors.items()}


def _restore_optimizer(model, model_file, where: str) -> None:
    optimizer = model.optimizer
    part = f"{where}:{_OPTIMIZER}"

    def check(header):
        metadata = header.metadata
        if "variables" not in metadata:
            raise FileFormatError(where, _OPTIMIZER, "does not list its variables.")
        keys = jsonio.loads(metadata["variables"], where, f"{_OPTIMIZER}: its variables")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise FileFormatError(where, _OPTIMIZER, "does not list its variables.")
        entries = {e.key: e.variable for e in weight_entries(model)}
        unknown = [k for k in keys if k not in entries]
        if unknown:
            raise FileFormatError(where, _OPTIMIZER,
                                  f"names unknown weights {[k[:80] for k in unknown[:5]]}.")
        if len(set(keys)) != len(keys):
            raise FileFormatError(where, _OPTIMIZER, "lists a variable twice.")
        with _part(where, _OPTIMIZER):
            optimizer.build([entries[k] for k in keys])
            expected = optimizer.state_spec()
        found = _specs(header)
        wrong = sorted(name for name in set(found) | set(expected) if name != "learning_rate"
                       and found.get(name) != expected.get(name))
        if wrong:
            name = wrong[0]
            raise FileFormatError(
                where, _OPTIMIZER, f"the saved optimizer state does not fit: {name!r:.80} is "
                                   f"{found.get(name, 'missing')} in the file but "
                                   f"{expected.get(name, 'unknown')} for this optimizer."
            )
        return None

    with model_file.stream(_OPTIMIZER) as stream:
        _, state = _read_safetensors(stream, part, model_file.size(_OPTIMIZER), check)
    with _part(where, _OPTIMIZER):
        optimizer.set_state(state)


def _restore_training_state(model, state: dict | None, where: str) -> None:
    if not state:
        return
    part = "config.json: training_state"
    layers = dict(layer_paths(model))
    updates = []
    for key, value in (state.get("layer_random_states") or {}).items():
        path, _, attr = key.rpartition(":")
        generator = getattr(layers.get(path), attr, None)
        if isinstance(generator, np.random.Generator):
            updates.append((generator.bit_generator, value))
    if state.get("random_state") is not None:
        updates.append((dg_random.generator().bit_generator, state["random_state"]))
    with _part(where, part):
        for bit_generator, value in updates:  # every state is tried on a scratch copy first
            type(bit_generator)().state = value
    model._epoch = state.get("epoch")
    for bit_generator, value in updates:
        bit_generator.state = value


def load_model(filepath, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True):
    """Load a model saved by :func:`save_model` / ``model.save``.

    The file is read and verified before the model is returned: the zip, the manifest,
    each member's size and SHA-256, the format version, the structure of ``config.json``,
    and the names, shapes and dtypes of the weights, compared with the header of the
    weights before their data is read. The model is built within the bytes of weights the
    file holds (its weights start as zeros, and a config asking for more fails at once).
    With ``compile=True`` the model is compiled as it was saved, with the optimizer's
    state. For a checkpoint of a trained model the random generators are restored too and
    ``model._epoch`` is the epoch reached, so ``fit(..., initial_epoch=model._epoch)``
    continues bit-identically; otherwise loading leaves the global generator as it was.

    Args:
        filepath: the ``.deepgrad`` or ``.keras`` file.
        custom_objects: dict from name to your own layer, loss, metric or optimizer
            classes and functions (or register them with
            :func:`deepgrad.saving.register_keras_serializable`).
        compile: whether to compile the model as saved.
        safe_mode: accepted for Keras compatibility. Keras's ``safe_mode=False`` (and
            :func:`deepgrad.config.enable_unsafe_deserialization`) lets it rebuild an
            anonymous lambda from bytecode in the file; deepgrad files never hold code and
            deepgrad never runs code from a file, so loading is the same either way.

    Raises:
        FileNotFoundError: if there is no file.
        FileFormatError: (a ``ValueError``) for a file that is not an intact deepgrad model
            file, a newer format version, an unknown class, or weights that do not fit;
            the message names the file and the part at fault.

    >>> load_model("/no/such/file.deepgrad")
    Traceback (most recent call last):
    ...
    FileNotFoundError: load_model: no file at '/no/such/file.deepgrad'.
    """
    where = archive.check_file(filepath, "load_model")
    with archive.open_archive(where, where, allowed=_MEMBERS) as model_file:
        for name in (_CONFIG, _WEIGHTS):
            if name not in model_file.names:
                raise FileFormatError(where, "", f"the model file has no {name}.")
        config = jsonio.loads(model_file.read(_CONFIG, jsonio.MAX_BYTES), where, _CONFIG)
        archive.check_format(config, where)
        schema.check_config(config, where)
        with model_file.stream(_WEIGHTS) as stream:
            part = f"{where}:{_WEIGHTS}"
            header = safetensors_io.read_header(stream, part, model_file.size(_WEIGHTS))
            model = _build(config["model"], custom_objects, header.data_size, where)
            labels = _labels(header.metadata, where)
            pairs = match(model, _specs(header), where, file_labels=labels, who="load_model",
                          part=_WEIGHTS)
            into = {key: target.data for key, target in pairs if isinstance(target, Variable)}
            arrays = safetensors_io.read_tensors(stream, header, part,
                                                 keys=[key for key, _ in pairs], into=into)
            stream.finish()
        set_values(pairs, arrays)
        if compile and config.get("compile_config"):
            with custom_object_scope(custom_objects), _part(where, "config.json: "
                                                                   "compile_config"):
                if type(model).compile_from_config is Model.compile_from_config:
                    compile_from_config(model, config["compile_config"], custom_objects)
                else:  # the class's own (keras.io "Customizing saving")
                    model.compile_from_config(config["compile_config"])
            if _OPTIMIZER in model_file.names:
                _restore_optimizer(model, model_file, where)
    if compile:
        _restore_training_state(model, config.get("training_state"), where)
    return model


def load_checkpoint(model, filepath) -> None:
    """Restore a file written by ``model.save`` into ``model`` itself, to continue training.

    The weights, the optimizer's slots and step count, and the random generators (the
    global one and the layers' own) come back as they were saved, so training goes on
    bit-identically; ``model._epoch`` is the epoch reached. ``model`` must have the file's
    architecture and be compiled as it was. Everything is checked (as by
    :func:`load_model`) before the weights are assigned. ``BackupAndRestore`` resumes a
    killed ``fit`` with it, through ``Model._load_checkpoint`` (callbacks do not import
    this tier).

    Raises:
        FileNotFoundError: if there is no file.
        FileFormatError: (a ``ValueError``) for a damaged file or one whose weights or
            optimizer state do not fit ``model``.
    """
    where = archive.check_file(filepath, "load_checkpoint")
    with archive.open_archive(where, where, allowed=_MEMBERS) as model_file:
        for name in (_CONFIG, _WEIGHTS):
            if name not in model_file.names:
                raise FileFormatError(where, "", f"the model file has no {name}.")
        config = jsonio.loads(model_file.read(_CONFIG, jsonio.MAX_BYTES), where, _CONFIG)
        archive.check_format(config, where)
        schema.check_config(config, where)
        with model_file.stream(_WEIGHTS) as stream:
            part = f"{where}:{_WEIGHTS}"
            header = safetensors_io.read_header(stream, part, model_file.size(_WEIGHTS))
            pairs = match(model, _specs(header), where, file_labels=_labels(header.metadata,
                                                                              where),
                          who="load_checkpoint", part=_WEIGHTS)
            arrays = safetensors_io.read_tensors(stream, header, part,
                                                 keys=[key for key, _ in pairs])
            stream.finish()
        if _OPTIMIZER in model_file.names and getattr(model, "optimizer", None) is not None:
            _restore_optimizer(model, model_file, where)
    set_values(pairs, arrays)
    _restore_training_state(model, config.get("training_state"), where)


def _build(spec: dict, custom_objects, tensor_bytes: int, where: str):
    """Create the model a config describes, within the bytes of weights the file holds."""
    # Weights start as zeros while building from a file, so no random numbers are drawn;
    # the global generator is put back all the same, in case a layer draws in __init__.
    generator_state = dg_random.get_state()
    try:
        with custom_object_scope(custom_objects), _part(where, "config.json: model"), \
                building_from_file(tensor_bytes, where):
            return deserialize_model(spec, custom_objects)
    finally:
        dg_random.set_state(generator_state)


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
    The shapes and dtypes the file declares are compared with the model's weights before
    any data is read, only the weights the model has are read, and all are checked
    (with their checksum, when the file has one) before any is assigned.

    Args:
        model: a built model.
        filepath: the file.
        skip_mismatch: skip (with a warning) layers whose weights do not fit.

    Raises:
        FileNotFoundError: if there is no file.
        FileFormatError: (a ``ValueError``) for a file of another kind, a damaged one, or
            weights that do not fit (the message names each layer, weight and both shapes).
    """
    where = archive.check_file(filepath, "load_weights")
    require_built(model, "load_weights")
    head = archive.sniff(where)

    def load(specs, read, labels=None, cast=False, part=""):
        pairs = match(model, specs, where, skip_mismatch=skip_mismatch, file_labels=labels,
                      cast_floats=cast, part=part)
        set_values(pairs, read([key for key, _ in pairs]))

    if head.startswith(archive.HDF5_MAGIC):
        with h5_weights.WeightsFile(where, where) as weights:
            load(weights.specs, weights.read, cast=True)
    elif head.startswith(archive.ZIP_MAGIC):
        _load_weights_from_zip(model, where, load)
    else:
        with open(where, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            try:
                header = safetensors_io.read_header(stream, where, size)
            except safetensors_io.SafetensorsError as error:
                raise FileFormatError(
                    where, "", "not a weights file deepgrad reads (.weights.safetensors, "
                               f".weights.h5, .deepgrad or .keras): {error.detail}"
                ) from None
            load(_specs(header),
                 lambda keys: safetensors_io.read_tensors(stream, header, where, keys=keys),
                 _labels(header.metadata, where))


def _labels(metadata: dict[str, str], where: str) -> dict[str, str]:
    """The weights' own names (``dense/kernel``) that a weights member lists, for messages."""
    labels = jsonio.loads(metadata.get("labels", "{}"), where, "the weights' labels")
    return labels if isinstance(labels, dict) else {}


def _load_weights_from_zip(model, where: str, load) -> None:
    with archive.open_zip(where, where) as handle:
        names = handle.namelist()
        if _KERAS_WEIGHTS in names and archive.MANIFEST not in names:
            budget = 4 * sum(e.variable.data.nbytes for e in weight_entries(model)) + (64 << 20)
            with archive.member_file(handle, _KERAS_WEIGHTS, where, budget) as member, \
                    h5_weights.WeightsFile(member, f"{where}:{_KERAS_WEIGHTS}") as weights:
                load(weights.specs, weights.read, cast=True, part=_KERAS_WEIGHTS)
            return
    with archive.open_archive(where, where, allowed=_MEMBERS) as model_file:
        if _WEIGHTS not in model_file.names:
            raise FileFormatError(where, "", f"the model file has no {_WEIGHTS}.")
        with model_file.stream(_WEIGHTS) as stream:
            part = f"{where}:{_WEIGHTS}"
            header = safetensors_io.read_header(stream, part, model_file.size(_WEIGHTS))

            def read(keys):
                arrays = safetensors_io.read_tensors(stream, header, part, keys=keys)
                stream.finish()
                return arrays

            load(_specs(header), read, _labels(header.metadata, where), part=_WEIGHTS)
