"""The issue-16 layers against real Keras 3's answers, on Keras's own weights.

``tests/fixtures/make_keras_layer_parity.py`` ran each case through Keras 3 with
TensorFlow and wrote the inputs, Keras's weights and its outputs to
``keras_layer_parity.npz``; here the same deepgrad layer gets those weights and must
give the same outputs (float32 BLAS rounding apart).
"""

import json
import pathlib
import warnings

import numpy as np
import pytest

import deepgrad as dg

FIXTURE = pathlib.Path(__file__).parents[1] / "fixtures" / "keras_layer_parity.npz"
DATA = dict(np.load(FIXTURE, allow_pickle=False))
CASES = json.loads(str(DATA["cases"]))
ARRAYS = {k.split("/", 1)[1]: v for k, v in DATA.items() if k.startswith("array/")}


def _value(value):
    if isinstance(value, str) and value in ARRAYS:
        return ARRAYS[value]
    if isinstance(value, list):
        return [_value(v) for v in value]
    return value


def _run(layer, case):
    out = layer(*[_value(a) for a in case["args"]],
                **{k: _value(v) for k, v in case["kwargs"].items()})
    return list(out) if isinstance(out, (list, tuple)) else [out]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    case = CASES[name]
    with warnings.catch_warnings():  # rms_scaling=True warns, as in Keras
        warnings.simplefilter("ignore", UserWarning)
        layer = getattr(dg.layers, case["layer"])(**case["config"])
    if case["adapt"] is not None:
        layer.adapt(ARRAYS[case["adapt"]])
    _run(layer, case)  # builds the layer
    weights = [DATA[f"{name}/weight/{i}"] for i in range(case["weights"])]
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in weights]
    layer.set_weights(weights)
    outputs = _run(layer, case)
    assert len(outputs) == case["outputs"]
    for i, got in enumerate(outputs):
        expected = DATA[f"{name}/output/{i}"]
        got = np.asarray(got.data if isinstance(got, dg.Tensor) else got)
        assert got.shape == expected.shape, f"output {i}"
        assert got.dtype == expected.dtype, f"output {i}"
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-6, err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(got, expected, err_msg=f"output {i}")
