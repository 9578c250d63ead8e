"""The shape of a model file's ``config.json``, checked before any of it is used.

A config that parses as JSON can still hold a number where a dict belongs or miss the
model entirely; code reading it would then fail with a ``TypeError`` or ``KeyError`` from
deep inside. :func:`check_config` walks the parts the loader reads itself (the model's
layer entries, the compile settings, the training state) and fails with a
:class:`~deepgrad.formats.errors.FileFormatError` naming the entry. What each layer's own
``config`` holds is the layer's business: its constructor validates it, and the loader
turns what it raises into the same error.

>>> check_config({"model": {"class_name": "Sequential", "config": 1.5}}, "m.deepgrad")
Traceback (most recent call last):
...
deepgrad.formats.errors.FileFormatError: m.deepgrad: config.json: model.config must be a dict.
Received: 1.5
"""

from __future__ import annotations

from deepgrad.formats.errors import FileFormatError

__all__ = ["check_config"]

_PART = "config.json"


def _fail(where: str, path: str, expected: str, value) -> FileFormatError:
    return FileFormatError(where, _PART, f"{path} must be {expected}. Received: {value!r:.120}")


def _optional_str(spec: dict, key: str, path: str, where: str) -> None:
    if spec.get(key) is not None and not isinstance(spec[key], str):
        raise _fail(where, f"{path}.{key}", "a string or null", spec[key])


def _is_int(value) -> bool:
    return type(value) is int


def _check_shape(shape, path: str, where: str) -> None:
    """A shape, or a nested list/dict of shapes: lists of non-negative ints and nulls."""
    stack = [(shape, path)]
    while stack:
        value, at = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, f"{at}[{k!r}]") for k, v in value.items())
        elif isinstance(value, list) and value and any(isinstance(v, (list, dict))
                                                       for v in value):
            stack.extend((v, f"{at}[{i}]") for i, v in enumerate(value))
        elif not isinstance(value, list) or not all(
            v is None or (_is_int(v) and v >= 0) for v in value
        ):
            raise _fail(where, at, "a shape (a list of non-negative ints and nulls)", value)


def _check_layer(spec, path: str, where: str, pending: list) -> None:
    if not isinstance(spec, dict):
        raise _fail(where, path, "a dict with 'class_name' and 'config'", spec)
    if not isinstance(spec.get("class_name"), str):
        raise _fail(where, f"{path}.class_name", "a string", spec.get("class_name"))
    for key in ("module", "registered_name", "name"):
        _optional_str(spec, key, path, where)
    config = spec.get("config", {})
    if config is not None and not isinstance(config, dict):
        raise _fail(where, f"{path}.config", "a dict", config)
    build = spec.get("build_config")
    if build is not None:
        if not isinstance(build, dict):
            raise _fail(where, f"{path}.build_config", "a dict", build)
        if build.get("input_shape") is not None:
            _check_shape(build["input_shape"], f"{path}.build_config.input_shape", where)
    nodes = spec.get("inbound_nodes", [])
    if not isinstance(nodes, list) or not all(
        isinstance(n, dict) or isinstance(n, list) for n in nodes
    ):
        raise _fail(where, f"{path}.inbound_nodes", "a list of nodes", nodes)
    config = config or {}
    if "layers" in config:
        layers = config["layers"]
        if not isinstance(layers, list):
            raise _fail(where, f"{path}.config.layers", "a list of layer entries", layers)
        pending.extend((layer, f"{path}.config.layers[{i}]") for i, layer in enumerate(layers))
    for key in ("input_layers", "output_layers"):
        if key in config and not isinstance(config[key], (list, dict)):
            raise _fail(where, f"{path}.config.{key}", "a list", config[key])
    if config.get("input_shape") is not None:
        _check_shape(config["input_shape"], f"{path}.config.input_shape", where)
    if config.get("name") is not None and not isinstance(config["name"], str):
        raise _fail(where, f"{path}.config.name", "a string", config["name"])


def _check_compile(compile_config, where: str) -> None:
    if compile_config is None:
        return
    if not isinstance(compile_config, dict):
        raise _fail(where, "compile_config", "a dict or null", compile_config)
    if "optimizer" not in compile_config:
        return  # a model class's own get_compile_config (its compile_from_config reads it)
    optimizer = compile_config["optimizer"]
    if not isinstance(optimizer, (dict, str)):
        raise _fail(where, "compile_config.optimizer", "a dict or a name", optimizer)
    if isinstance(optimizer, dict):
        if not isinstance(optimizer.get("class_name"), str):
            raise _fail(where, "compile_config.optimizer.class_name", "a string",
                        optimizer.get("class_name"))
        if optimizer.get("config") is not None and not isinstance(optimizer["config"], dict):
            raise _fail(where, "compile_config.optimizer.config", "a dict", optimizer["config"])
        _optional_str(optimizer, "registered_name", "compile_config.optimizer", where)
    weights = compile_config.get("loss_weights")
    if weights is not None and not isinstance(weights, (int, float, list, dict)):
        raise _fail(where, "compile_config.loss_weights", "numbers", weights)


def _check_training_state(state, where: str) -> None:
    if state is None:
        return
    if not isinstance(state, dict):
        raise _fail(where, "training_state", "a dict or null", state)
    epoch = state.get("epoch")
    if epoch is not None and not (_is_int(epoch) and epoch >= 0):
        raise _fail(where, "training_state.epoch", "a non-negative int or null", epoch)
    if state.get("random_state") is not None and not isinstance(state["random_state"], dict):
        raise _fail(where, "training_state.random_state", "a dict or null",
                    state["random_state"])
    generators = state.get("layer_random_states")
    if generators is not None and not (isinstance(generators, dict) and all(
        isinstance(v, dict) for v in generators.values()
    )):
        raise _fail(where, "training_state.layer_random_states",
                    "a dict of generator states", generators)


def check_config(config, where: str) -> None:
    """Check the structure of a model file's parsed ``config.json``.

    Args:
        config: the parsed document.
        where: the file, for messages.

    Raises:
        FileFormatError: naming the first entry that has the wrong type or is missing.
    """
    if not isinstance(config, dict):
        raise _fail(where, "the document", "a dict", config)
    if "model" not in config:
        raise FileFormatError(where, _PART, "has no 'model' entry.")
    for key in ("deepgrad_version", "numpy_version", "python_version"):
        _optional_str(config, key, "the document", where)
    pending = [(config["model"], "model")]
    while pending:
        spec, path = pending.pop()
        _check_layer(spec, path, where, pending)
    _check_compile(config.get("compile_config"), where)
    _check_training_state(config.get("training_state"), where)
