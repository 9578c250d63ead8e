"""dg.ops against real Keras 3.15 (TensorFlow backend) on the same inputs: values, shapes
and dtypes of every call in tests/fixtures/keras_ops_cases.py that Keras answers
(recorded by tests/fixtures/make_keras_ops_parity.py, so no Keras is needed here)."""

import importlib.util
import json
import pathlib
import warnings

import numpy as np
import pytest

from deepgrad import ops
from deepgrad.tensor import Tensor

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures"
_spec = importlib.util.spec_from_file_location("keras_ops_cases",
                                               FIXTURES / "keras_ops_cases.py")
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)

_saved = np.load(FIXTURES / "keras_ops_parity.npz")
KERAS = {}
for _key, _dtype, _offset, _shape in json.loads(str(_saved["index"])):
    _size = int(np.prod(_shape))
    KERAS[_key] = _saved[f"values_{_dtype}"][_offset:_offset + _size].reshape(_shape)
CALLS = cases.calls()

# Where deepgrad gives another answer than Keras on TensorFlow, on purpose (each one is
# said in the op's docstring or in kernels/affine.py).
_SINGLE_ARRAY_STACK = ("NumPy (and deepgrad) stack the rows of a single array; Keras's TF "
                       "backend returns the array")
_SHRINK_OF_INTS = ("Keras casts the threshold to the integer dtype (0.5 becomes 0); "
                   "deepgrad computes in floatx")
_MAP_REFLECT = ("Keras 3.15's TF map_coordinates reads a coordinate in (-1, -0.5) of "
                "'reflect' as index 1 (mirror); deepgrad follows the documented "
                "(d c b a | a b c d | d c b a), index 0")
KNOWN_DIFFERENCES = {
    "rot90:x2": "Keras's TF rot90(x, k=2) of a non-square matrix is not a rotation; "
                "deepgrad is NumPy's",
    "hstack:x": _SINGLE_ARRAY_STACK, "hstack:p": _SINGLE_ARRAY_STACK,
    "hstack:i": _SINGLE_ARRAY_STACK, "hstack:b": _SINGLE_ARRAY_STACK,
    "hstack:v": _SINGLE_ARRAY_STACK, "hstack:s": _SINGLE_ARRAY_STACK,
    "vstack:v": _SINGLE_ARRAY_STACK,
    "soft_shrink:i": _SHRINK_OF_INTS, "soft_shrink:b": _SHRINK_OF_INTS,
    "soft_shrink:ii": _SHRINK_OF_INTS, "soft_shrink:i3": _SHRINK_OF_INTS,
    "histogram:v": "counts are NumPy's int64; Keras's TF backend gives float32",
    "map_coordinates_reflect_0": _MAP_REFLECT, "map_coordinates_reflect_1": _MAP_REFLECT,
}
# Eigenvectors and singular vectors are defined up to sign (LAPACK's and TF's differ).
SIGN_FREE = ("eigh:", "svd:", "qr:")
# Tolerances where the two compute differently on purpose.
TOLERANCES = {
    "resize_bicubic": 1e-3,  # JAX's renormalised taps at the borders, TF clamps
    "resize_lanczos": 1e-5,
}


def _keras_outputs(key: str) -> list[np.ndarray]:
    out, position = [], 0
    while f"{key}|{position}" in KERAS:
        out.append(KERAS[f"{key}|{position}"])
        position += 1
    return out


def _groups() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for key in CALLS:
        if f"{key}|0" in KERAS:
            groups.setdefault(key.split(":")[0], []).append(key)
    return groups


GROUPS = _groups()


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_same_answers_as_keras(group):
    for key in GROUPS[group]:
        if key in KNOWN_DIFFERENCES:
            continue
        namespace, name, args, kwargs = CALLS[key]
        fn = getattr(ops.image if namespace == "image" else ops, name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # log of negatives, as Keras
            result = fn(*[Tensor(a) if isinstance(a, np.ndarray) else a for a in args],
                        **kwargs)
        leaves = result if isinstance(result, (tuple, list)) else [result]
        got = [np.asarray(leaf.data if isinstance(leaf, Tensor) else leaf) for leaf in leaves]
        want = _keras_outputs(key)
        assert len(got) == len(want), f"{key}: {len(got)} outputs, Keras {len(want)}"
        tolerance = next((t for prefix, t in TOLERANCES.items() if key.startswith(prefix)),
                         1e-5)
        for g, w in zip(got, want):
            assert g.shape == w.shape, f"{key}: shape {g.shape}, Keras {w.shape}"
            assert g.dtype == w.dtype, f"{key}: dtype {g.dtype}, Keras {w.dtype}"
            if key.startswith(SIGN_FREE):
                g, w = np.abs(g), np.abs(w)
            np.testing.assert_allclose(g, w, rtol=max(tolerance, 1e-4), atol=tolerance,
                                       equal_nan=True, err_msg=key)


def test_the_fixture_covers_the_calls():
    assert len(KERAS) > 1000 and str(_saved["keras_version"]).startswith("3.")
