"""dg.mixed_precision: Keras's dtype-policy names (see the module for where deepgrad differs)."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import mixed_precision


@pytest.fixture(autouse=True)
def _restore_policy():
    yield
    mixed_precision.set_global_policy(None)


def _trained(policy):
    if policy is not None:
        mixed_precision.set_global_policy(policy)
    dg.utils.set_random_seed(3)
    inputs = dg.Input((6,))
    x = dg.layers.Dense(8, activation="relu")(inputs)
    outputs = dg.layers.Activation("softmax", dtype="float32")(dg.layers.Dense(3)(x))
    model = dg.Model(inputs, outputs)  # the layout of Keras's mixed precision guide
    model.compile("rmsprop", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    model.fit(rng.random((32, 6), np.float32), rng.integers(0, 3, 32), epochs=2, verbose=0)
    return model


def test_a_mixed_policy_warns_and_trains_in_float32():
    with pytest.warns(UserWarning, match="computes in float32"):
        mixed = _trained("mixed_float16")
    assert mixed_precision.global_policy().name == "mixed_float16"
    assert mixed.layers[1].dtype_policy.compute_dtype == "float32"
    mixed_precision.set_global_policy(None)
    plain = _trained(None)
    for a, b in zip(mixed.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_plain_policy_sets_the_type_of_new_layers():
    assert mixed_precision.global_policy() == mixed_precision.Policy("float32")
    mixed_precision.set_dtype_policy(mixed_precision.DTypePolicy("float64"))
    layer = dg.layers.Dense(2)
    assert (layer.dtype, layer.compute_dtype, layer.variable_dtype) == ("float64",) * 3
    assert mixed_precision.dtype_policy().get_config() == {"name": "float64"}
    mixed_precision.set_global_policy(None)
    assert dg.layers.Dense(2).dtype == "float32"


@pytest.mark.parametrize("policy, message", [
    ("bfloat16", "NumPy has no bfloat16"),
    ("float8", "must be one of"),
    (16, "a policy name, a DTypePolicy or None"),
])
def test_bad_policies_fail_clearly(policy, message):
    with pytest.raises(ValueError, match=message):
        mixed_precision.set_global_policy(policy)
    assert mixed_precision.global_policy().name == "float32"
