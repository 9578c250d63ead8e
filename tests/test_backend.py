"""dg.backend: Keras's ``keras.backend`` names, with Keras 3.15's results (TensorFlow
backend) for the same calls."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import config

KERAS_BACKEND_NAMES = (
    "backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format",
    "is_float_dtype", "is_int_dtype", "is_keras_tensor", "result_type", "set_epsilon",
    "set_floatx", "set_image_data_format", "standardize_dtype",
)


def test_every_keras_backend_name_is_the_one_deepgrad_object():
    assert sorted(dg.backend.__all__) == sorted(KERAS_BACKEND_NAMES)
    assert dg.backend.epsilon is config.epsilon
    assert dg.backend.clear_session is dg.utils.clear_session
    assert dg.backend.standardize_dtype is dg.utils.standardize_dtype
    assert dg.backend.backend() == "numpy"


def test_get_uid_shares_the_layer_name_counters():
    """Keras 3.15: after Dense 'dense', get_uid('dense') is 2, the next Dense is
    'dense_2', and a new prefix counts 1, 2."""
    dg.backend.clear_session()
    assert dg.layers.Dense(1).name == "dense"
    assert dg.backend.get_uid("dense") == 2
    assert dg.layers.Dense(1).name == "dense_2"
    assert (dg.backend.get_uid("foo"), dg.backend.get_uid("foo")) == (1, 2)
    dg.backend.clear_session()
    assert dg.backend.get_uid("foo") == 1
    with pytest.raises(TypeError, match="get_uid: `prefix` must be a string"):
        dg.backend.get_uid(3)


def test_clear_session_resets_the_session_switches_not_the_settings():
    """Keras 3.15 after clear_session: safe mode unset, filtering True, flash attention
    None, interactive logging True; epsilon and max_epochs kept."""
    config.enable_unsafe_deserialization()
    config.disable_traceback_filtering()
    config.disable_flash_attention()
    config.disable_interactive_logging()
    config.set_epsilon(1e-3)
    config.set_max_epochs(3)
    try:
        dg.backend.clear_session(free_memory=False)
        assert config.in_safe_mode()
        assert config.is_traceback_filtering_enabled() is True
        assert config.is_flash_attention_enabled() is None
        assert config.is_interactive_logging_enabled() is True
        assert (config.epsilon(), config.max_epochs()) == (1e-3, 3)
    finally:
        config.set_epsilon(1e-7)
        config.set_max_epochs(None)


def test_clear_session_keeps_seeded_weights():
    """Keras 3.15: the kernel drawn after set_random_seed(1); clear_session() equals the
    one drawn after set_random_seed(1) alone."""
    def kernel():
        layer = dg.layers.Dense(2)
        layer.build((None, 3))
        return layer.kernel.numpy()

    dg.utils.set_random_seed(1)
    first = kernel()
    dg.utils.set_random_seed(1)
    dg.backend.clear_session()
    np.testing.assert_array_equal(first, kernel())


@pytest.mark.parametrize("dtype, is_float, is_int", [
    ("bfloat16", True, False), ("float64", True, False), (float, True, False),
    (None, True, False), ("uint8", False, True), (int, False, True), (np.int64, False, True),
    ("bool", False, False), ("complex64", False, False), ("string", False, False),
])
def test_dtype_predicates_match_keras(dtype, is_float, is_int):
    assert dg.backend.is_float_dtype(dtype) is is_float
    assert dg.backend.is_int_dtype(dtype) is is_int


def test_dtype_predicates_reject_unknown_dtypes():
    with pytest.raises(ValueError, match="Invalid dtype"):
        dg.backend.is_float_dtype("float8")


def test_is_keras_tensor():
    assert dg.backend.is_keras_tensor(dg.Input((2,)))
    assert not dg.backend.is_keras_tensor(np.ones(2))
    assert not dg.backend.is_keras_tensor(dg.Tensor(np.ones(2)))
