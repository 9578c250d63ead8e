"""Deep and long models (issue 13, item 6): no RecursionError, ``add`` in O(1) amortised,
a 10,000-layer config loads in seconds.

Was: a chain of 1,000 layers raised RecursionError in the functional graph (Sequential and
functional); 500 ``Sequential.add`` calls took 5.6 s as each rebuilt the whole graph; a
config of 10,000 layers hung.
"""

from __future__ import annotations

import json
import time
import zipfile

import numpy as np
import pytest

import deepgrad as dg

from hostile_files import members, rezip, with_manifest

DEPTH = 1_000


def _chain_sequential(depth: int) -> dg.Sequential:
    model = dg.Sequential([dg.Input((2,))])
    for _ in range(depth):
        model.add(dg.layers.Dense(2))
    return model


def _chain_functional(depth: int) -> dg.Model:
    inputs = x = dg.Input((2,))
    for _ in range(depth):
        x = dg.layers.Dense(2)(x)
    return dg.Model(inputs, x)


@pytest.mark.parametrize("build", [_chain_sequential, _chain_functional],
                         ids=["sequential", "functional"])
def test_a_chain_of_1000_layers_runs_trains_and_saves(tmp_path, build):
    model = build(DEPTH)
    x = np.ones((4, 2), "float32")
    out = model.predict(x, verbose=0)
    assert out.shape == (4, 2)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((4, 2), "float32"), epochs=1, verbose=0)
    model.summary(print_fn=lambda *_: None)
    path = tmp_path / "deep.deepgrad"
    model.save(path)
    restored = dg.models.load_model(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_sequential_add_is_amortised_constant_time():
    """Adds late in a long model cost about what early ones cost (not the model's length)."""
    model = dg.Sequential([dg.Input((2,))])
    times = []
    for _ in range(4):
        start = time.perf_counter()
        for _ in range(500):
            model.add(dg.layers.Dense(2))
        times.append(time.perf_counter() - start)
    # O(n) per add would make the last 500 adds cost 7x the first 500.
    assert times[-1] < 3 * times[0] + 0.05, times


def test_a_config_of_10000_layers_loads_in_seconds(tmp_path):
    path = tmp_path / "long.deepgrad"
    _chain_sequential(2).save(path)
    files = members(path)
    config = json.loads(files["config.json"])
    layer = config["model"]["config"]["layers"][-1]
    layers = []
    for i in range(10_000):
        spec = json.loads(json.dumps(layer))
        spec["config"]["name"] = f"d{i}"
        spec["config"]["units"] = 2
        layers.append(spec)
    config["model"]["config"]["layers"] = layers
    files["config.json"] = json.dumps(config).encode()
    rezip(path, with_manifest(files), {"weights.safetensors": zipfile.ZIP_STORED})
    start = time.perf_counter()
    with pytest.raises(dg.saving.FileFormatError, match="do not match"):
        dg.models.load_model(path)  # 10,000 layers built, then the weights do not fit
    assert time.perf_counter() - start < 60
