"""The layer check STYLE.md asks for, one call per layer: output shape, weight count and
shapes, config round trip, save/load round trip, one training step lowers the loss.

``pythonpath = ["tests"]`` in pyproject.toml makes this importable as ``layer_check``;
``tests/layers/test_layer_table.py`` runs it over a table with a row for every public
layer, so a new layer needs one row there:

>>> import layer_check
>>> layer_check.check_layer(layer_check.LayerCase(
...     lambda: dg.layers.Dense(3), (4,), (3,), weight_shapes=[(4, 3), (3,)]))
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import deepgrad as dg
from deepgrad.tensor import Tensor

BATCH = 4


@dataclass(frozen=True)
class LayerCase:
    """One row of the layer table.

    Args:
        make: builds a fresh, unbuilt layer.
        input_shape: the input's shape without the batch axis; a list of shapes for a
            layer that takes a list of inputs (the merging layers).
        output_shape: the output's shape without the batch axis.
        weight_shapes: the shapes of ``layer.weights``, in order.
        trainable: how many of those are trainable (default: all).
        inputs: ``inputs(rng)`` returns the batch (or list of batches) to call the layer on,
            when standard normal float32 values do not suit it (ids, pixels, strings).
        differentiable: whether gradients reach the input; checked for layers without
            trainable weights (the others are checked by the training step).
        lr: the SGD learning rate of the training step.
    """

    make: Callable[[], dg.layers.Layer]
    input_shape: tuple | list[tuple]
    output_shape: tuple
    weight_shapes: Sequence[tuple] = ()
    trainable: int | None = None
    inputs: Callable[[np.random.Generator], object] | None = None
    differentiable: bool = True
    lr: float = 0.01
    id: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.id or type(self.make()).__name__


def _batch(case: LayerCase, rng: np.random.Generator):
    if case.inputs is not None:
        return case.inputs(rng)
    if isinstance(case.input_shape, list):
        return [rng.normal(size=(BATCH, *s)).astype("float32") for s in case.input_shape]
    return rng.normal(size=(BATCH, *case.input_shape)).astype("float32")


def _input_dtype(array) -> str | None:
    kind = np.asarray(array).dtype.kind
    return {"i": "int64", "u": "int64", "U": "string", "O": "string"}.get(kind)


def _model(case: LayerCase, layer) -> dg.Model:
    shapes = case.input_shape if isinstance(case.input_shape, list) else [case.input_shape]
    sample = _batch(case, np.random.default_rng(0))
    samples = sample if isinstance(case.input_shape, list) else [sample]
    inputs = [dg.Input(shape=s, dtype=_input_dtype(a)) for s, a in zip(shapes, samples,
                                                                         strict=True)]
    outputs = layer(inputs if isinstance(case.input_shape, list) else inputs[0])
    return dg.Model(inputs if isinstance(case.input_shape, list) else inputs[0], outputs)


def _config_without_name(layer) -> dict:
    return {k: v for k, v in layer.get_config().items() if k != "name"}


def check_layer(case: LayerCase, folder: str | Path | None = None) -> None:
    """Run every check of the layer check on one row; raise AssertionError on the first miss.

    Args:
        case: the row.
        folder: where the model file of the save/load round trip goes (a temporary
            folder by default).
    """
    rng = np.random.default_rng(0)
    x = _batch(case, rng)
    expected = (BATCH, *case.output_shape)

    # Output shape: eager, symbolic (through a model) and compute_output_shape agree.
    layer = case.make()
    out = layer(x)
    assert tuple(out.shape) == expected, f"{layer.name}: output {out.shape}, expected {expected}"
    if isinstance(case.input_shape, list):
        batched = [(None, *s) for s in case.input_shape]
    else:
        batched = (None, *case.input_shape)
    assert tuple(layer.compute_output_shape(batched)) == (None, *case.output_shape)

    # Weights: count, shapes, order, trainability, count_params.
    shapes = [tuple(w.shape) for w in layer.weights]
    assert shapes == [tuple(s) for s in case.weight_shapes], f"{layer.name}: weights {shapes}"
    trainable = len(case.weight_shapes) if case.trainable is None else case.trainable
    assert len(layer.trainable_weights) == trainable
    assert len(layer.trainable_weights) + len(layer.non_trainable_weights) == len(shapes)
    assert layer.count_params() == sum(math.prod(s) for s in shapes)

    # Config round trip: the clone's config is the same and, given the same weights, it
    # computes the same (in inference, where random layers are the identity). Compared
    # once both are built: a nested layer's config includes its build config, as in Keras.
    clone = type(layer).from_config(layer.get_config())
    clone(x)
    assert _config_without_name(clone) == _config_without_name(layer), (
        f"{layer.name}: the config changed in a round trip through from_config")
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x, training=False).data, layer(x, training=False).data)

    # Save/load round trip through a model file.
    model = _model(case, case.make())
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = Path(tmp) / "layer.deepgrad"
        model.save(path)
        loaded = dg.models.load_model(path)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert _config_without_name(loaded.layers[-1]) == _config_without_name(model.layers[-1])

    if trainable:
        _check_training_step(case, model, x, rng)
    elif case.differentiable:
        _check_input_gradient(case, x)


def _check_training_step(case: LayerCase, model, x, rng) -> None:
    """One SGD step on a mean squared error lowers the loss and moves every trainable weight."""
    target = rng.normal(size=(BATCH, *case.output_shape)).astype("float32")
    model.compile(optimizer=dg.optimizers.SGD(case.lr), loss="mse")
    before = [w.numpy().copy() for w in model.trainable_weights]
    first = model.train_on_batch(x, target)  # the loss before the step
    second = model.train_on_batch(x, target)  # ... and after it
    assert second < first, f"{model.layers[-1].name}: loss {first} -> {second}"
    for weight, start in zip(model.trainable_weights, before, strict=True):
        assert not np.array_equal(weight.numpy(), start), f"{weight.path} did not move"


def _check_input_gradient(case: LayerCase, x) -> None:
    """A layer without weights passes a non-zero gradient to its input."""
    leaves = [Tensor(a, requires_grad=True) for a in (x if isinstance(x, list) else [x])]
    out = case.make()(leaves if isinstance(x, list) else leaves[0], training=True)
    weights = np.random.default_rng(1).normal(size=out.shape).astype(out.dtype)
    (out * Tensor(weights)).sum().backward()
    for leaf in leaves:
        assert leaf.grad is not None and np.any(leaf.grad != 0), "no gradient reached the input"
