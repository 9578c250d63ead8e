"""Architecture to JSON and back: layers, Sequential, functional and subclassed models.

Each object is written as Keras 3 writes it: ``{"module", "class_name", "config",
"registered_name", "build_config"}``, where ``config`` is ``get_config()``. A functional
model's config lists its layers with their ``inbound_nodes`` (the calls that connect
them) and names its inputs and outputs by ``[layer name, node index, tensor index]``.

>>> import deepgrad as dg
>>> model = dg.Sequential([dg.layers.Dense(2, input_shape=(3,), name="d")])
>>> spec = serialize_model(model)
>>> spec["class_name"], spec["config"]["layers"][0]["class_name"]
('Sequential', 'Dense')
>>> deserialize_model(spec).get_layer("d").units
2
"""

from __future__ import annotations

import functools

import numpy as np

from deepgrad import layers, tree
from deepgrad.layers.base import Layer
from deepgrad.layers.keras_tensor import KerasTensor
from deepgrad.layers.lambda_layer import Lambda
from deepgrad.models.functional import KERAS_TENSOR, functional_from_config
from deepgrad.models.model import Model
from deepgrad.models.sequential import Sequential
from deepgrad.registry import get_registered_name, is_registered, resolve
from deepgrad.tensor import no_grad

__all__ = ["serialize_layer", "deserialize_layer", "deserialize_graph_layer",
           "serialize_model", "deserialize_model",
           "to_json", "build_model_from_config", "functional_config"]


def to_json(value, where: str):
    """Return ``value`` with NumPy scalars/arrays and tuples turned into JSON types.

    Raises:
        TypeError: naming ``where`` for a value JSON cannot hold.

    >>> to_json({"a": (np.float32(1.5), None)}, "demo")
    {'a': [1.5, None]}
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [to_json(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v, where) for k, v in value.items()}
    if isinstance(value, np.dtype):
        return value.name
    raise TypeError(
        f"{where}: cannot save a value of type {type(value).__name__} ({value!r}) in the "
        "config. To fix, make get_config() return plain numbers, strings, lists and dicts "
        "(serialize objects, e.g. with dg.initializers.serialize)."
    )


@functools.cache
def _builtin_layers() -> dict[str, type]:
    """deepgrad's own layer classes by name (built once: a 10,000-layer config asked 10,000
    times, 4.6 s of its 21 s load)."""
    found = {n: getattr(layers, n) for n in dir(layers)}
    found.update({"Sequential": Sequential, "Model": Model, "Functional": Model})
    return {n: c for n, c in found.items() if isinstance(c, type) and issubclass(c, Layer)}


def _shape_json(shapes):
    return tree.map_shape_structure(lambda shape: [None if s is None else int(s) for s in shape],
                                    shapes)


def _header(obj: Layer, class_name: str | None = None) -> dict:
    cls = type(obj)
    return {
        "module": cls.__module__,
        "class_name": class_name or cls.__name__,
        "registered_name": get_registered_name(cls) if is_registered(cls) else None,
    }


def serialize_layer(layer: Layer) -> dict:
    """Return the JSON-ready description of a layer (a model is described by its graph).

    Raises:
        ValueError: for a ``Lambda`` layer of an anonymous lambda (code cannot be saved safely).

    >>> serialize_layer(dg.layers.Dropout(0.5, name="drop"))["config"]["rate"]
    0.5
    """
    if isinstance(layer, Model):
        return serialize_model(layer)
    if isinstance(layer, Lambda) and not layer.saveable:
        raise ValueError(
            f"Lambda '{layer.name}': an anonymous lambda cannot be saved in a model file (it "
            "would have to be run from the file when loading). To fix, define the function "
            "with `def` and register it with @dg.saving.register_keras_serializable() (the "
            "Lambda is then saved by the function's name), write a small Layer subclass, or "
            "use save_weights()."
        )
    spec = _header(layer)
    spec["config"] = to_json(layer.get_config(), f"{type(layer).__name__} '{layer.name}'")
    if layer.built and layer._build_shapes is not None:
        spec["build_config"] = {"input_shape": _shape_json(layer._build_shapes)}
    return spec


def _resolve_class(spec: dict, custom_objects) -> type:
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(f"load_model: a layer entry must have a 'class_name'. Got: {spec!r}")
    cls = resolve(spec["class_name"], spec.get("registered_name"), custom_objects,
                  _builtin_layers())
    if cls is None:
        name = spec.get("registered_name") or spec["class_name"]
        raise ValueError(
            f"load_model: unknown layer class {name!r} (saved from module "
            f"'{spec.get('module')}'). To fix, pass custom_objects={{{spec['class_name']!r}: "
            f"{spec['class_name']}}} to load_model, or decorate the class with "
            "@dg.saving.register_keras_serializable()."
        )
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"load_model: {spec['class_name']!r} resolved to {cls!r}, not a Layer.")
    return cls


def deserialize_layer(spec: dict, custom_objects=None) -> Layer:
    """Create a layer (or a nested model) from :func:`serialize_layer`'s output.

    >>> deserialize_layer(serialize_layer(dg.layers.Dense(3, name="x"))).units
    3
    """
    cls = _resolve_class(spec, custom_objects)
    if issubclass(cls, Model):
        return deserialize_model(spec, custom_objects)
    config = dict(spec.get("config") or {})
    try:
        return cls.from_config(config)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"load_model: could not recreate layer '{config.get('name')}' of class "
            f"{cls.__name__} from its config: {error}. To fix, make get_config() return every "
            "constructor argument (and from_config accept them)."
        ) from error


def deserialize_graph_layer(spec: dict, custom_objects=None) -> Layer:
    """A functional model's layer from its entry: :func:`deserialize_layer`, then the
    entry's ``name`` where the layer's own config has none (a custom ``get_config`` that
    returns only its arguments, as keras.io's saving guide writes), so that the saved calls,
    which name their layers, find it. Keras keys the calls by the entry's name too but
    leaves such a layer a fresh name; deepgrad gives it the saved one.

    >>> spec = {**serialize_layer(dg.layers.Dense(3)), "name": "head"}
    >>> del spec["config"]["name"]
    >>> deserialize_graph_layer(spec).name
    'head'
    """
    layer = deserialize_layer(spec, custom_objects)
    saved = spec.get("name")
    if saved and "name" not in (spec.get("config") or {}):
        layer.name = saved
    return layer


# -- functional graphs --------------------------------------------------------------------
def _node_indices(graph) -> dict[int, int]:
    counts: dict[int, int] = {}
    index = {}
    for tensor in graph.inputs:
        index[id(tensor.history[0])] = 0
    for node in graph.nodes:
        index[id(node)] = counts.get(id(node.layer), 0)
        counts[id(node.layer)] = index[id(node)] + 1
    return index


def _history(tensor: KerasTensor, index: dict[int, int]) -> list:
    node, position = tensor.history
    return [node.layer.name, index[id(node)], position]


def _encode(value, index: dict[int, int], where: str):
    """A layer call's arguments for the config: each KerasTensor as Keras 3 marks it."""

    def encode(leaf):
        if not isinstance(leaf, KerasTensor):
            return leaf
        return {"class_name": KERAS_TENSOR, "config": {
            "shape": list(leaf.shape), "dtype": leaf.dtype,
            "keras_history": _history(leaf, index)}}

    return to_json(tree.map_structure(encode, value), where)


def _encode_histories(structure, index: dict[int, int]):
    """The model's inputs or outputs as ``[layer name, node index, tensor index]`` lists."""
    return to_json(tree.map_structure(lambda t: _history(t, index), structure), "the graph")


def functional_config(model) -> dict:
    """A functional model's config: its layers with their calls, its inputs and outputs."""
    graph = model._graph
    index = _node_indices(graph)
    nodes_of: dict[int, list] = {}
    for node in graph.nodes:
        nodes_of.setdefault(id(node.layer), []).append(node)
    layers = []
    for layer in graph.layers:
        spec = serialize_layer(layer)
        spec["name"] = layer.name
        where = f"{type(layer).__name__} '{layer.name}'"
        spec["inbound_nodes"] = [
            {"args": _encode([node.inputs, *node.args], index, where),
             "kwargs": _encode(dict(node.kwargs), index, where)}
            for node in nodes_of.get(id(layer), [])
        ]
        layers.append(spec)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": _encode_histories(graph.input_structure, index),
        "output_layers": _encode_histories(graph.output_structure, index),
    }


# -- models -------------------------------------------------------------------------------
def serialize_model(model) -> dict:
    """Return the JSON-ready description of a Sequential, functional or subclassed model."""
    if isinstance(model, Sequential):
        spec = _header(model)
        base = model.get_config()
        spec["config"] = {
            "name": model.name, "trainable": model.trainable,
            "layers": [serialize_layer(layer) for layer in model.layers],
        }
        if base.get("input_shape") is not None:
            spec["config"]["input_shape"] = _shape_json(base["input_shape"])
            spec["config"]["input_dtype"] = model._input_dtype
        if base.get("input_name") is not None:
            spec["config"]["input_name"] = base["input_name"]
        return spec
    if model._graph is not None:
        spec = _header(model, "Functional" if type(model).__name__ == "Model" else None)
        spec["config"] = functional_config(model)
        return spec
    spec = _header(model)
    spec["config"] = to_json(model.get_config(), f"{type(model).__name__} '{model.name}'")
    if model.built and model._build_shapes is not None:
        spec["build_config"] = {"input_shape": _shape_json(model._build_shapes)}
    return spec




def build_model_from_config(model, build_config: dict | None) -> None:
    """Create a subclassed model's weights by running it once on zeros of the saved shape."""
    if not build_config or model.built and model.weights:
        return
    shape = tree.map_shape_structure(tuple, build_config["input_shape"])
    zeros = tree.map_shape_structure(
        lambda s: np.zeros(tuple(1 if d is None else d for d in s), dtype=model.dtype), shape)
    try:
        with no_grad():
            model(zeros, training=False)
    except Exception as error:
        raise ValueError(
            f"load_model: could not build model '{model.name}' for inputs of shape {shape} "
            f"to create its weights: {error}"
        ) from error


def deserialize_model(spec: dict, custom_objects=None):
    """Create a model from :func:`serialize_model`'s output (weights are not loaded)."""
    cls = _resolve_class(spec, custom_objects)
    config = dict(spec.get("config") or {})
    if issubclass(cls, Sequential):
        return cls.from_config(config, custom_objects)
    if "input_layers" in config and "output_layers" in config:
        return functional_from_config(
            cls, config, lambda spec: deserialize_graph_layer(spec, custom_objects))
    if cls is Model:
        raise ValueError("load_model: a plain Model entry needs 'input_layers' and "
                         "'output_layers' (the file is inconsistent).")
    try:
        model = cls.from_config(config)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"load_model: could not recreate model '{config.get('name')}' of class "
            f"{cls.__name__} from its config {config}: {error}. To fix, override get_config() "
            "to return the constructor's arguments (and from_config if needed)."
        ) from error
    build_model_from_config(model, spec.get("build_config"))
    return model
