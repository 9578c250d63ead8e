"""normalize, Config, the symbolic-tensor helpers, pack/unpack, split_dataset, Progbar."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils import (
    Config,
    Progbar,
    get_source_inputs,
    normalize,
    pack_x_y_sample_weight,
    split_dataset,
    standardize_dtype,
    unpack_x_y_sample_weight,
)
from deepgrad.utils.gradcheck import gradient_check


@pytest.mark.parametrize("axis, order", [(-1, 2), (0, 2), (1, 1), (None, 2)])
def test_normalize_numpy_as_keras(axis, order):
    x = np.random.default_rng(0).normal(size=(4, 3))
    x[2] = 0.0
    norms = np.linalg.norm(x, order, axis)
    norms = np.where(np.atleast_1d(norms) == 0, 1, norms)
    expected = x / np.expand_dims(norms, -1 if axis is None else axis)
    np.testing.assert_allclose(normalize(x, axis, order), expected, rtol=1e-12)
    assert not np.isnan(normalize(x, axis, order)).any()


@pytest.mark.parametrize("order", [1, 2])
def test_normalize_tensor_values_and_gradient(order):
    x = np.random.default_rng(1).normal(size=(3, 4))
    out = normalize(dg.Tensor(x), axis=-1, order=order)
    np.testing.assert_allclose(out.data, normalize(x, -1, order), rtol=1e-12)
    weights = np.random.default_rng(2).normal(size=(3, 4))
    assert gradient_check(
        lambda t: dg.ops.sum(dg.ops.multiply(normalize(t, axis=-1, order=order),
                                             dg.Tensor(weights))), [x])
    with pytest.raises(ValueError, match="order 1 or 2 along one axis"):
        normalize(dg.Tensor(x), order=3)


def test_config_behaves_like_keras():
    config = Config(learning_rate=0.1)
    config.seed = 3
    config["momentum"] = 0.9
    assert config.as_dict() == {"learning_rate": 0.1, "seed": 3, "momentum": 0.9}
    assert json.loads(config.to_json())["seed"] == 3 and len(config) == 3
    assert list(config) == ["learning_rate", "momentum", "seed"] and "seed" in config
    config.freeze()
    for change in (lambda: setattr(config, "seed", 4), lambda: config.update(a=1),
                   lambda: config.pop("seed"), lambda: config.__setitem__("a", 1)):
        with pytest.raises(ValueError, match="frozen"):
            change()
    config.unfreeze()
    config.update(seed=5)
    assert config.seed == 5 and not config.frozen
    with pytest.raises(AttributeError, match="Did you mean 'momentum'"):
        _ = config.momentom


def test_symbolic_helpers():
    a, b = dg.Input((3,), name="a"), dg.Input((3,), name="b")
    shared = dg.layers.Dense(3)
    out = dg.layers.Add()([shared(a), shared(b)])
    assert get_source_inputs(out) == [a, b]
    assert get_source_inputs(a) == [a]
    assert dg.utils.is_keras_tensor(out) and not dg.utils.is_keras_tensor(np.zeros(3))
    assert [standardize_dtype(d) for d in (None, bool, int, "float64", np.uint8, "string")] == \
        ["float32", "bool", "int32", "float64", "uint8", "string"]
    with pytest.raises(ValueError, match="Invalid dtype: .object"):
        standardize_dtype(object)


def test_pack_and_unpack():
    assert pack_x_y_sample_weight(1) == 1 and pack_x_y_sample_weight((1, 2)) == ((1, 2),)
    assert pack_x_y_sample_weight(1, 2) == (1, 2)
    assert unpack_x_y_sample_weight((1, 2, 3)) == (1, 2, 3)
    assert unpack_x_y_sample_weight(5) == (5, None, None)
    with pytest.raises(ValueError, match="Data is expected to be in format"):
        unpack_x_y_sample_weight((1, 2, 3, 4))


def test_split_dataset_sizes_structures_and_shuffle():
    x, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    left, right = split_dataset((x, y), left_size=0.75)  # rounded: 8 and 2
    assert [int(b) for _, b in left] == list(range(8)) and [int(b) for _, b in right] == [8, 9]
    left, right = split_dataset({"a": y}, left_size=3, right_size=2)
    assert [int(e["a"]) for e in right] == [3, 4]
    left, right = split_dataset(y, right_size=0.3, shuffle=True, seed=4)
    taken = sorted(int(v) for v in left) + sorted(int(v) for v in right)
    assert len(list(right)) == 3 and sorted(taken) == list(range(10))
    assert [int(v) for v in left] != sorted(int(v) for v in left)  # shuffled
    from_dataset, _ = split_dataset(dg.data.Dataset.from_tensor_slices(y), left_size=2)
    assert [int(v) for v in from_dataset] == [0, 1]
    for bad in ({"left_size": 1.5}, {"left_size": 11}, {"left_size": 6, "right_size": 6}):
        with pytest.raises(ValueError, match="split_dataset"):
            split_dataset(y, **bad)


def test_progbar_keras_arguments(capsys):
    bar = Progbar(3, width=10, verbose=2, stateful_metrics=["acc"])
    bar.update(1, [("loss", 3.0), ("acc", 0.1)])
    bar.add(2, [("loss", 0.0), ("acc", 0.7)])  # reaches the target: finalized
    out = capsys.readouterr().out
    assert out.startswith("3/3 - ") and "loss: 1.0000" in out and "acc: 0.7000" in out


def test_disable_interactive_logging_routes_to_logging(capsys, caplog):
    dg.utils.disable_interactive_logging()
    try:
        model = dg.Sequential([dg.layers.Dense(1, input_shape=(2,))])
        model.compile("sgd", "mse")
        with caplog.at_level(logging.INFO, logger="deepgrad"):
            model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=2, verbose=1)
    finally:
        dg.utils.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    messages = [r.getMessage() for r in caplog.records]
    assert "Epoch 2/2" in messages and sum(m.startswith("1/1 - ") for m in messages) == 2
