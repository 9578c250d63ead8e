"""Hyperparameter validation, the legacy ``lr=`` and ``decay=`` arguments, unknown kwargs."""

from __future__ import annotations

import re

import numpy as np
import pytest

from deepgrad import optimizers
from deepgrad.optimizers import schedules
from deepgrad.tensor import Variable

BAD_VALUES = [
    (optimizers.Adam, {"beta_1": 1.5},
     "Adam: `beta_1` must be in [0, 1). Received: beta_1=1.5"),
    (optimizers.Adam, {"beta_2": -0.1}, "Adam: `beta_2` must be in [0, 1). Received: beta_2=-0.1"),
    (optimizers.Adam, {"epsilon": -1e-7}, "Adam: `epsilon` must be in [0, inf)."),
    (optimizers.Nadam, {"beta_1": 1.0}, "Nadam: `beta_1` must be in [0, 1)."),
    (optimizers.SGD, {"momentum": 1.5}, "SGD: `momentum` must be in [0, 1]. Received: momentum"),
    (optimizers.SGD, {"momentum": -0.1}, "SGD: `momentum` must be in [0, 1]."),
    (optimizers.RMSprop, {"rho": 1.0}, "RMSprop: `rho` must be in [0, 1)."),
    (optimizers.RMSprop, {"momentum": 2.0}, "RMSprop: `momentum` must be in [0, 1]."),
    (optimizers.Adagrad, {"initial_accumulator_value": -0.1},
     "Adagrad: `initial_accumulator_value` must be in [0, inf)."),
    (optimizers.Adam, {"learning_rate": -0.001}, "Adam: `learning_rate` must be in [0, inf)."),
    (optimizers.Adam, {"learning_rate": float("nan")}, "Adam: `learning_rate` must be in"),
    (optimizers.Adam, {"weight_decay": -1.0}, "Adam: `weight_decay` must be in [0, inf)."),
    (optimizers.Adam, {"clipnorm": 0.0}, "Adam: `clipnorm` must be in (0, inf)."),
    (optimizers.SGD, {"clipvalue": -1.0}, "SGD: `clipvalue` must be in (0, inf)."),
    (optimizers.SGD, {"global_clipnorm": 0}, "SGD: `global_clipnorm` must be in (0, inf)."),
    (optimizers.Adam, {"clipnorm": 1.0, "global_clipnorm": 1.0},
     "Adam: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set."),
    (optimizers.Adam, {"clipnorm": 1.0, "clipvalue": 1.0}, "Adam: only one of"),
    (optimizers.AdamW, {"weight_decay": None}, "AdamW: `weight_decay` must be a float."),
]


@pytest.mark.parametrize("cls, kwargs, message", BAD_VALUES)
def test_bad_values_raise_value_error_naming_the_argument(cls, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        cls(**kwargs)


BAD_TYPES = [
    (optimizers.Adam, {"beta_1": "0.9"}, "Adam: `beta_1` must be a float. Received: beta_1='0.9'"),
    (optimizers.Adam, {"learning_rate": "fast"}, "Adam: `learning_rate` must be a float."),
    (optimizers.SGD, {"momentum": True}, "SGD: `momentum` must be a float."),
    (optimizers.SGD, {"nesterov": "yes"}, "SGD: `nesterov` must be a bool."),
    (optimizers.Adam, {"amsgrad": 1}, "Adam: `amsgrad` must be a bool."),
    (optimizers.RMSprop, {"centered": None}, "RMSprop: `centered` must be a bool."),
    (optimizers.Adam, {"name": 3}, "Adam: `name` must be a string."),
]


@pytest.mark.parametrize("cls, kwargs, message", BAD_TYPES)
def test_bad_types_raise_type_error(cls, kwargs, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        cls(**kwargs)


def test_unknown_keyword_lists_the_valid_ones():
    with pytest.raises(TypeError, match=re.escape(
        "Adam: unexpected keyword argument(s) `momentum`. Valid arguments: learning_rate, "
        "beta_1, beta_2, epsilon, amsgrad, weight_decay, clipnorm, clipvalue, "
        "global_clipnorm, name, use_ema, ema_momentum, ema_overwrite_frequency, "
        "loss_scale_factor, gradient_accumulation_steps (and the legacy aliases lr, decay)."
    )):
        optimizers.Adam(momentum=0.9)


def test_ints_are_accepted_as_floats():
    opt = optimizers.SGD(learning_rate=1, momentum=0)
    assert opt.get_config()["learning_rate"] == 1.0 and isinstance(opt.momentum, float)


def test_legacy_lr_alias_warns_and_sets_the_learning_rate():
    with pytest.warns(DeprecationWarning, match="`lr` argument is deprecated") as record:
        opt = optimizers.Adam(lr=0.01)
    assert opt.learning_rate == 0.01
    assert record[0].filename == __file__  # the warning points at the caller
    with pytest.warns(DeprecationWarning):
        assert optimizers.SGD(lr=0.5, momentum=0.9).learning_rate == 0.5
    with pytest.warns(DeprecationWarning):
        assert optimizers.AdamW(lr=0.02).learning_rate == 0.02


def test_lr_and_learning_rate_together_is_an_error():
    with pytest.raises(TypeError, match="both `learning_rate` and its legacy alias `lr`"):
        optimizers.Adam(learning_rate=0.001, lr=0.01)
    with pytest.raises(TypeError, match="both"):
        optimizers.SGD(0.1, lr=0.01)


def test_legacy_decay_is_keras2_inverse_time_decay():
    with pytest.warns(DeprecationWarning, match="`decay` argument is deprecated"):
        legacy = optimizers.SGD(learning_rate=0.1, decay=0.5)
    modern = optimizers.SGD(learning_rate=schedules.InverseTimeDecay(0.1, 1, 0.5))
    a, b = Variable(np.zeros(2)), Variable(np.zeros(2))
    for _ in range(3):
        legacy.apply([np.ones(2)], [a])
        modern.apply([np.ones(2)], [b])
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_allclose(a.numpy(), -(0.1 + 0.1 / 1.5 + 0.1 / 2.0))


def test_validation_happens_before_anything_is_built():
    with pytest.raises(ValueError, match=r"RMSprop: `rho` must be in \[0, 1\). Received: rho=-0.5"):
        optimizers.RMSprop(rho=-0.5)
