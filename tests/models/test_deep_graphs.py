"""Deep and long models (issue 13, item 6): no RecursionError, ``add`` in O(1) amortised,
a 10,000-layer config loads in seconds.

Was: a chain of 1,000 layers raised RecursionError in the functional graph (Sequential and
functional); 500 ``Sequential.add`` calls took 5.6 s as each rebuilt the whole graph; a
config of 10,000 layers hung.
"""

from __future__ import annotations

import json
import sys
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


def _python_calls(fn) -> int:
    """How many Python function calls ``fn()`` makes: a count of work, not a clock, so
    neither a loaded machine nor a slow container changes it."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        count += event == "call"

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


def test_sequential_add_is_amortised_constant_time():
    """An add to a long model costs what an add to a short one costs (not the length)."""
    model = dg.Sequential([dg.Input((2,))])

    def add_100():
        for _ in range(100):
            model.add(dg.layers.Dense(2))

    early = _python_calls(add_100)
    for _ in range(20):
        add_100()
    late = _python_calls(add_100)  # at 2,100 layers
    # O(n) per add would make the late adds cost about 20x the early ones.
    assert late < 1.5 * early, (early, late)


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
    start = time.process_time()  # CPU seconds: a loaded machine does not inflate them
    with pytest.raises(dg.saving.FileFormatError, match="do not match"):
        dg.models.load_model(path)  # 10,000 layers built, then the weights do not fit
    assert time.process_time() - start < 60  # about 5 s; the hang took forever
