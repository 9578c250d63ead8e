"""Loading takes memory proportional to the model: at most twice the tensors a file declares.

Measured as the growth of the peak resident size (Linux's VmHWM, reset through
/proc/self/clear_refs) in a forked child, so C allocations (HDF5) count too. The model
holds 5 MB of weights and 10 MB of Adam slots.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import deepgrad as dg

from bounded import run_bounded

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="peak memory is read from Linux's /proc/self/status")


def _status(field: str) -> int:
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) * 1024 for line in handle if line.startswith(field))


def _peak_growth(load) -> int:
    import gc

    gc.collect()
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # the peak becomes the current size
    start = _status("VmRSS:")
    load()
    return _status("VmHWM:") - start


def _model():
    return dg.Sequential([dg.layers.Dense(1250, input_shape=(1000,)), dg.layers.Dense(4)])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("memory")
    model = _model()
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((2, 1000), "float32"), np.ones((2, 4), "float32"), verbose=0)
    paths = {suffix: folder / f"m.{suffix}"
             for suffix in ("deepgrad", "weights.safetensors", "weights.h5")}
    model.save(paths["deepgrad"])
    model.save_weights(paths["weights.safetensors"])
    if "h5py" in sys.modules or _has_h5py():
        model.save_weights(paths["weights.h5"])
    weights = sum(w.nbytes for w in model.get_weights())
    return paths, weights


def _has_h5py() -> bool:
    try:
        import h5py  # noqa: F401
    except ImportError:
        return False
    return True


def test_load_model_within_twice_the_declared_tensors(files):
    paths, weights = files
    declared = 3 * weights  # the weights and Adam's two slots
    assert os.path.getsize(paths["deepgrad"]) > declared
    result = run_bounded(lambda: _peak_growth(lambda: dg.models.load_model(paths["deepgrad"])),
                         memory_mb=400)
    assert result.outcome == "ok", result
    assert int(result.value) <= 2 * declared, (int(result.value) >> 20, declared >> 20)


@pytest.mark.parametrize("suffix", ["weights.safetensors", "weights.h5"])
def test_load_weights_within_the_declared_tensors(files, suffix):
    paths, weights = files
    if suffix == "weights.h5" and not paths[suffix].exists():
        pytest.skip("h5py writes the .weights.h5 file; pip install '.[test]'")
    model = _model()
    result = run_bounded(lambda: _peak_growth(lambda: model.load_weights(paths[suffix])),
                         memory_mb=400)
    assert result.outcome == "ok", result
    assert int(result.value) <= weights + (4 << 20), (int(result.value) >> 20, weights >> 20)
