"""The export tests' check: the ONNX file is valid and ONNX Runtime gives ``predict``'s
numbers, for a batch of 1 and of 7."""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the test extra installs onnx (pip install -e '.[test]')")
ort = pytest.importorskip("onnxruntime", reason="the test extra installs onnxruntime")

import deepgrad as dg  # noqa: E402


def _session(proto):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # the test machine is shared; results do not depend on it
    return ort.InferenceSession(proto.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def random_inputs(model, batch: int, seed: int = 0, low=-1.0, high=1.0, integers=None):
    """One array per model input, of the input's shape with ``batch`` rows."""
    rng = np.random.default_rng(seed)
    if model._graph is not None:
        specs = [(t.shape, t.dtype) for t in model._graph.inputs]
    else:  # a subclassed model: the shape it was built for
        specs = [(model._build_shapes, "float32")]
    arrays = []
    for model_shape, dtype in specs:
        shape = (batch,) + tuple(model_shape[1:])
        if integers is not None:
            arrays.append(rng.integers(0, integers, shape).astype(dtype))
        else:
            arrays.append(rng.uniform(low, high, shape).astype(dtype))
    return arrays


def check_onnx(model, make_inputs=random_inputs, batches=(1, 7), opset_version=None,
               tolerance=1e-5):
    """Export, ``check_model(full_check=True)``, and compare ONNX Runtime with ``predict``:
    every output within ``tolerance`` times its largest absolute value. Returns the proto."""
    proto = dg.export.onnx_model(model, opset_version=opset_version)
    onnx.checker.check_model(proto, full_check=True)
    session = _session(proto)
    names = [i.name for i in session.get_inputs()]
    for batch in batches:
        arrays = make_inputs(model, batch)
        feed = dict(zip(names, arrays))
        expected = model.predict(arrays if len(arrays) > 1 else arrays[0], verbose=0)
        expected = expected if isinstance(expected, list) else [expected]
        got = session.run(None, feed)
        assert len(got) == len(expected)
        for ours, theirs in zip(got, expected):
            theirs = np.asarray(theirs)
            assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
            scale = max(float(np.abs(theirs).max()), 1e-30)
            error = float(np.abs(ours.astype(np.float64) - theirs).max())
            assert error <= tolerance * scale, f"batch {batch}: error {error:.3g} of {scale:.3g}"
    return proto


@pytest.fixture
def onnx_check():
    return check_onnx


@pytest.fixture
def onnx_inputs():
    return random_inputs
