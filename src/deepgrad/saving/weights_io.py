"""Match a file's weights to a model's: validate everything, then read, then assign.

:func:`match` compares the shapes and dtypes a file declares with the model's weights
before any data is read, and nothing is assigned until every weight has been checked, so
a file that does not fit costs no memory and leaves the model as it was. Errors name the
layer, the weight, and both shapes.

>>> import deepgrad as dg
>>> model = dg.Sequential([dg.layers.Dense(2, input_shape=(3,))])
>>> arrays, labels = collect(model)
>>> sorted(arrays), labels["layers/dense/vars/0"]
(['layers/dense/vars/0', 'layers/dense/vars/1'], 'dense/kernel')
>>> assign(model, {k: v + 1 for k, v in arrays.items()}, where="demo")
>>> bool((model.get_weights()[1] == 1).all())
True
"""

from __future__ import annotations

import warnings

import numpy as np

from deepgrad.formats.errors import FileFormatError
from deepgrad.layers.base import Layer
from deepgrad.saving.weight_paths import WeightEntry, walk
from deepgrad.tensor import Tensor, Variable

__all__ = ["OwnLoad", "collect", "match", "set_values", "assign", "require_built"]


def require_built(model: Layer, who: str) -> list[WeightEntry]:
    """Return the model's weight entries; fail clearly if it has none because unbuilt.

    Raises:
        ValueError: if the model is not built.
    """
    return _built_walk(model, who)[0]


def _built_walk(model: Layer, who: str) -> tuple[list[WeightEntry], list]:
    """:func:`~deepgrad.saving.weight_paths.walk`, with :func:`require_built`'s check."""
    entries, layers = walk(model)
    if not entries and not model.built:
        raise ValueError(
            f"{who}: model '{model.name}' is not built, so it has no weights yet. To fix, "
            "give the first layer `input_shape=` (or start with dg.Input), or call the "
            "model on a batch of data first."
        )
    return entries, layers


def _overrides(layer: Layer, method: str) -> bool:
    return getattr(type(layer), method) is not getattr(Layer, method)


def _vars_key(path: str, name: str) -> str:
    return f"{path}/vars/{name}" if path else f"vars/{name}"


def _saved_array(layer: Layer, name, value) -> np.ndarray:
    """A copy of what ``layer.save_own_variables`` put in its store under ``name``."""
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': save_own_variables must use non-empty "
            f"string keys without '/'. Received: {name!r}"
        )
    array = np.array(value.data if isinstance(value, Tensor) else value, copy=True)
    if array.dtype.kind not in "biuf":
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': save_own_variables stored {name!r} as "
            f"{array.dtype} data; deepgrad's files hold numbers (bool, int, float) only."
        )
    return array


def collect(model: Layer) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Return ``({key: array copy}, {key: label})`` for every weight of ``model``: each
    layer's ``save_own_variables`` store, under ``<layer path>/vars/<store key>``.

    Raises:
        NotImplementedError: for a layer with ``save_assets`` (deepgrad's files have no
            assets, and its state would be lost).
        ValueError: for a store key or value deepgrad's files cannot hold.

    >>> collect(dg.Sequential())
    ({}, {})
    """
    entries, layers = walk(model)
    names = {entry.key: entry.label for entry in entries}
    arrays, labels = {}, {}
    for path, layer in layers:
        if callable(getattr(layer, "save_assets", None)):
            raise NotImplementedError(
                f"{type(layer).__name__} '{layer.name}' defines save_assets: deepgrad's "
                "files have no assets, so that state would be lost. Keep it in arrays "
                "(save_own_variables / load_own_variables) or in get_config instead."
            )
        store: dict = {}
        layer.save_own_variables(store)
        for name, value in store.items():
            key = _vars_key(path, name)
            arrays[key] = _saved_array(layer, name, value)
            labels[key] = names.get(key, f"{layer.name}/{name}")
    return arrays, labels


class OwnLoad:
    """A weight that goes to its layer's own ``load_own_variables`` (a class that overrides
    it) rather than to a variable: the store key ``name`` of ``layer``."""

    __slots__ = ("layer", "name")

    def __init__(self, layer: Layer, name: str) -> None:
        self.layer, self.name = layer, name


def _describe(entries: list[WeightEntry], layer_path: str) -> str:
    layer = entries[0].layer
    return f"layer '{layer.name}' ({type(layer).__name__}, at '{layer_path}')"


Spec = tuple[tuple[int, ...], np.dtype]


def match(
    model: Layer,
    specs: dict[str, Spec],
    where: str,
    skip_mismatch: bool = False,
    file_labels: dict[str, str] | None = None,
    cast_floats: bool = False,
    who: str = "load_weights",
    part: str = "",
) -> list[tuple[str, Variable]]:
    """Check a file's weights, by shape and dtype alone, against the model's.

    Nothing is read or assigned: a caller reads only the weights this returns, so a file
    that does not fit costs no memory.

    Args:
        model: the model to load into.
        specs: key (as :func:`~deepgrad.saving.weight_paths.weight_entries`) to the file's
            ``(shape, dtype)`` for it.
        where: the file's name, for messages.
        skip_mismatch: skip the layers that do not match (with a warning) instead of
            failing; weights for layers the model lacks are ignored then.
        file_labels: the file's own names for its keys, for messages.
        cast_floats: accept a floating-point array of another precision (Keras files).
        who: the calling function's name, for messages.
        part: the part of the file holding the weights, for messages.

    Returns:
        ``(key, variable)`` for every weight to read and assign.

    Raises:
        FileFormatError: naming every layer whose weights are missing, extra, or differ in
            shape or dtype.
    """
    entries, layers = _built_walk(model, who)
    own_loads = [(path, layer) for path, layer in layers
                 if _overrides(layer, "load_own_variables")]
    custom = {path for path, _ in own_loads}
    by_layer: dict[str, list[WeightEntry]] = {}
    for entry in entries:
        if entry.layer_path not in custom:
            by_layer.setdefault(entry.layer_path, []).append(entry)
    problems: list[str] = []
    bad_layers: set[str] = set()
    pairs = []
    for layer_path, group in by_layer.items():
        if not any(entry.key in specs for entry in group):
            shapes = ", ".join(f"'{e.label}' {e.variable.shape}" for e in group)
            problems.append(
                f"{_describe(group, layer_path)}: the file has no weights for this layer "
                f"(expected {shapes})"
            )
            bad_layers.add(layer_path)
            continue
        for entry in group:
            spec = specs.get(entry.key)
            variable = entry.variable
            if spec is None:
                found = sorted(k for k in specs if k.startswith(layer_path + "/vars/"))
                problems.append(
                    f"{_describe(group, layer_path)}: weight '{entry.label}' "
                    f"(shape {variable.shape}) is missing from the file"
                    + (f"; the file has {len(found)} weights for this layer, the model "
                       f"{len(group)}" if found else "")
                )
                bad_layers.add(layer_path)
                continue
            shape, dtype = spec
            if tuple(shape) != variable.shape:
                problems.append(
                    f"{_describe(group, layer_path)}: weight '{entry.label}' has shape "
                    f"{variable.shape} in the model but {tuple(shape)} in the file"
                )
                bad_layers.add(layer_path)
                continue
            if dtype != variable.data.dtype and not (
                cast_floats and dtype.kind == "f" and variable.data.dtype.kind == "f"
            ):
                problems.append(
                    f"{_describe(group, layer_path)}: weight '{entry.label}' has dtype "
                    f"{variable.data.dtype} in the model but {dtype} in the file. To "
                    f"fix, build the model with dtype='{dtype}'"
                )
                bad_layers.add(layer_path)
                continue
            pairs.append((layer_path, entry.key, variable))
    known = {entry.key for entry in entries}
    for path, layer in own_loads:  # the layer's own load takes what the file has for it
        prefix = _vars_key(path, "")
        for key in specs:
            name = key[len(prefix):]
            if key.startswith(prefix) and "/" not in name:
                known.add(key)
                pairs.append((path, key, OwnLoad(layer, name)))
    extra = [k for k in specs if k not in known]
    if extra and not skip_mismatch:
        labels = file_labels or {}
        shown = ", ".join(
            f"'{k:.80}'" + (f" ({labels[k]:.80})" if isinstance(labels.get(k), str) else "")
            for k in extra[:6]
        )
        more = f" and {len(extra) - 6} more" if len(extra) > 6 else ""
        problems.append(
            f"the file has {len(extra)} weights that model '{model.name}' lacks: "
            f"{shown}{more} (a different architecture?)"
        )
    if problems:
        message = (f"the weights do not match model '{model.name}':\n  - "
                   + "\n  - ".join(problems))
        if not skip_mismatch:
            raise FileFormatError(where, part, message + "\nNothing was loaded.")
        warnings.warn(f"{who}: {where}: {message}\nThese layers were skipped "
                      "(skip_mismatch=True).", stacklevel=4)
    return [(key, variable) for layer_path, key, variable in pairs
            if layer_path not in bad_layers]


def set_values(pairs: list[tuple[str, Variable | OwnLoad]],
               arrays: dict[str, np.ndarray]) -> None:
    """Assign ``arrays[key]`` to each variable of :func:`match`'s pairs (cast to its dtype),
    then give each layer that loads its own weights its store (``load_own_variables``)."""
    stores: dict[int, tuple[Layer, dict]] = {}
    for key, target in pairs:
        array = arrays[key]
        if isinstance(target, OwnLoad):
            stores.setdefault(id(target.layer), (target.layer, {}))[1][target.name] = array
        elif array is not target.data:
            target.assign(array.astype(target.data.dtype, copy=False))
    for layer, store in stores.values():
        layer.load_own_variables(store)


def assign(
    model: Layer,
    arrays: dict[str, np.ndarray],
    where: str,
    skip_mismatch: bool = False,
    file_labels: dict[str, str] | None = None,
    cast_floats: bool = False,
    who: str = "load_weights",
) -> None:
    """Check ``arrays`` against the model's weights, then assign them all.

    Arguments as :func:`match`.

    Raises:
        FileFormatError: naming every layer whose weights are missing, extra, or differ in
            shape or dtype; nothing is assigned then.
    """
    specs = {key: (array.shape, array.dtype) for key, array in arrays.items()}
    set_values(match(model, specs, where, skip_mismatch, file_labels, cast_floats, who), arrays)
