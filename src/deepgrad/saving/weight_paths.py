"""Where each weight lives in a saved file: Keras 3's paths, such as ``layers/dense/vars/0``.

Keras 3 addresses a weight by walking the model: a Sequential or functional model's
layers go under ``layers/<snake_case class name>`` (numbered ``dense``, ``dense_1``... in
the model's order, so auto-generated layer names do not matter), a layer's own weights
under ``vars/<i>`` (trainable ones first, as created), and layers held in attributes under
the attribute's name (public attributes before private ones, alphabetically). deepgrad
uses the same paths in its ``.safetensors`` files and to read Keras's ``.weights.h5``.

>>> import deepgrad as dg
>>> model = dg.Sequential([dg.layers.Dense(2, input_shape=(3,)), dg.layers.Dense(1)])
>>> [(e.key, e.label) for e in weight_entries(model)]  # doctest: +NORMALIZE_WHITESPACE
[('layers/dense/vars/0', 'dense/kernel'), ('layers/dense/vars/1', 'dense/bias'),
 ('layers/dense_1/vars/0', 'dense_1/kernel'), ('layers/dense_1/vars/1', 'dense_1/bias')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deepgrad.layers.base import Layer
from deepgrad.models.model import Model
from deepgrad.models.sequential import Sequential
from deepgrad.tensor import Variable

__all__ = ["WeightEntry", "weight_entries", "layer_paths", "walk", "keras_snake_case"]


@dataclass(frozen=True)
class WeightEntry:
    """One weight: its path in a file, the Variable, the layer that owns it, a label."""

    key: str
    variable: Variable
    layer: Layer
    label: str

    @property
    def layer_path(self) -> str:
        """The key without ``/vars/<i>``: the layer's path in the file."""
        return self.key.rsplit("/vars/", 1)[0]


def keras_snake_case(name: str) -> str:
    """Keras's ``to_snake_case``: ``'Conv2D'`` gives ``'conv2d'``, ``'MaxPooling2D'`` gives
    ``'max_pooling2d'``.

    >>> keras_snake_case("BatchNormalization"), keras_snake_case("Conv2D")
    ('batch_normalization', 'conv2d')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def _is_graph_model(layer: Layer) -> bool:
    return isinstance(layer, Sequential) or (
        isinstance(layer, Model) and layer._graph is not None
    )


def _children(layer: Layer):
    """``(attribute name, value)`` pairs in the order Keras 3 visits them."""
    if _is_graph_model(layer):
        yield "layers", layer.layers
    # Only layers and containers can hold weights: filter before sorting (a 10,000-layer
    # model sorted every attribute name of every layer, 3 s of a 21 s load).
    names = [n for n, v in vars(layer).items() if not n.startswith("__")
             and isinstance(v, (Layer, list, tuple, dict))]
    if isinstance(layer, Model) and not _is_graph_model(layer):
        names.append("layers")  # Keras visits a subclassed model's `layers` property too
    for name in sorted(set(names), key=lambda n: "~" + n if n.startswith("_") else n):
        yield name, layer.layers if name == "layers" else vars(layer)[name]


def _walk(
    layer: Layer, path: str, out: list[WeightEntry], visited: set[int],
    layers: list[tuple[str, Layer]] | None = None,
) -> None:
    if id(layer) in visited:
        return
    visited.add(id(layer))
    if layers is not None:
        layers.append((path, layer))
    for i, variable in enumerate(layer._own_variables()):
        label = f"{layer.name}/{variable.name}" if variable.name else f"{layer.name}/{i}"
        out.append(WeightEntry(_join(path, "vars", str(i)), variable, layer, label))
    for attr, value in _children(layer):
        if isinstance(value, Layer):
            _walk(value, _join(path, attr), out, visited, layers)
        elif isinstance(value, (list, tuple, dict)):
            used: dict[str, int] = {}
            for item in value.values() if isinstance(value, dict) else value:
                if not isinstance(item, Layer):
                    continue
                name = keras_snake_case(type(item).__name__)
                if name in used:
                    used[name] += 1
                    name = f"{name}_{used[name]}"
                else:
                    used[name] = 0
                _walk(item, _join(path, attr, name), out, visited, layers)


def weight_entries(model: Layer) -> list[WeightEntry]:
    """Every weight of ``model`` (or of any layer) with its Keras 3 path, in saving order.

    Args:
        model: a model or layer.

    Returns:
        A list of :class:`WeightEntry`.

    >>> layer = dg.layers.Dense(2); _ = layer(np.ones((1, 3)))
    >>> [e.key for e in weight_entries(layer)]
    ['vars/0', 'vars/1']
    """
    return walk(model)[0]


def layer_paths(model: Layer) -> list[tuple[str, Layer]]:
    """Every layer under ``model`` (itself first, path ``''``) with its Keras 3 path.

    >>> model = dg.Sequential([dg.layers.Dense(2, input_shape=(3,))])
    >>> [(path, layer.name) for path, layer in layer_paths(model)]
    [('', 'sequential'), ('layers/dense', 'dense')]
    """
    return walk(model)[1]


def walk(model: Layer) -> tuple[list[WeightEntry], list[tuple[str, Layer]]]:
    """:func:`weight_entries` and :func:`layer_paths` from one walk over the model.

    >>> entries, layers = walk(dg.Sequential([dg.layers.Dense(2, input_shape=(3,))]))
    >>> len(entries), len(layers)
    (2, 2)
    """
    out: list[WeightEntry] = []
    found: list[tuple[str, Layer]] = []
    _walk(model, "", out, set(), found)
    return out, found
