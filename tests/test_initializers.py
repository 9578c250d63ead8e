"""Initializers: Keras statistics and fan rules, seeding, dtypes, get/config round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import initializers as I
from deepgrad import random as dg_random

TRUNC = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]
BIG = (300, 500)  # 150k draws: sample std within ~0.5%


@pytest.mark.parametrize(
    "shape, fans",
    [((), (1, 1)), ((7,), (7, 7)), ((4, 10), (4, 10)), ((3, 3, 8, 16), (72, 144)),
     ((5, 2, 6), (10, 30)), ((2, 2, 2, 3, 4), (24, 32))],
)
def test_compute_fans_follows_keras(shape, fans):
    assert I.compute_fans(shape) == fans


def _limit_cases():
    fan_in, fan_out = BIG
    return [
        (I.GlorotUniform(seed=1), math.sqrt(6 / (fan_in + fan_out))),
        (I.HeUniform(seed=1), math.sqrt(6 / fan_in)),
        (I.LecunUniform(seed=1), math.sqrt(3 / fan_in)),
        (I.VarianceScaling(3.0, "fan_out", "uniform", seed=1), math.sqrt(9 / fan_out)),
    ]


@pytest.mark.parametrize("init, limit", _limit_cases())
def test_uniform_variance_scaling_limits_and_std(init, limit):
    w = init(BIG)
    assert w.dtype == np.float32 and w.shape == BIG
    assert w.min() >= -limit and w.max() <= limit
    assert w.max() > 0.99 * limit and w.min() < -0.99 * limit
    assert abs(float(w.mean())) < 0.01 * limit
    assert float(w.std()) == pytest.approx(limit / math.sqrt(3), rel=0.01)


def _normal_cases():
    fan_in, fan_out = BIG
    return [
        (I.GlorotNormal(seed=2), math.sqrt(2 / (fan_in + fan_out)), True),
        (I.HeNormal(seed=2), math.sqrt(2 / fan_in), True),
        (I.LecunNormal(seed=2), math.sqrt(1 / fan_in), True),
        (I.VarianceScaling(2.0, "fan_avg", "untruncated_normal", seed=2),
         math.sqrt(2 / ((fan_in + fan_out) / 2)), False),
    ]


@pytest.mark.parametrize("init, std, truncated", _normal_cases())
def test_normal_variance_scaling_std(init, std, truncated):
    w = init(BIG)
    # Truncated draws are rescaled so that the variance is still scale / fan.
    assert float(w.std()) == pytest.approx(std, rel=0.01)
    assert abs(float(w.mean())) < 0.01 * std
    if truncated:
        assert np.abs(w).max() <= 2 * std / TRUNC + 1e-6
    else:
        assert np.abs(w).max() > 2 * std / TRUNC


def test_conv_kernel_uses_receptive_field():
    w = I.HeNormal(seed=3)((3, 3, 64, 128))
    assert float(w.std()) == pytest.approx(math.sqrt(2 / (3 * 3 * 64)), rel=0.01)
    w = I.GlorotUniform(seed=3)((5, 5, 32, 64))
    limit = math.sqrt(6 / (25 * 32 + 25 * 64))
    assert w.max() <= limit and w.max() > 0.99 * limit


def test_random_normal_uniform_truncated_statistics():
    w = I.RandomNormal(mean=1.0, stddev=2.0, seed=0)(BIG)
    assert float(w.mean()) == pytest.approx(1.0, abs=0.02)
    assert float(w.std()) == pytest.approx(2.0, rel=0.01)

    w = I.RandomUniform(minval=-1.0, maxval=3.0, seed=0)(BIG)
    assert w.min() >= -1.0 and w.max() < 3.0
    assert float(w.mean()) == pytest.approx(1.0, abs=0.02)

    w = I.TruncatedNormal(mean=1.0, stddev=0.5, seed=0)(BIG)
    assert w.min() >= 0.0 and w.max() <= 2.0  # Keras 3 truncates at 2 stddev
    assert float(w.std()) == pytest.approx(0.5 * TRUNC, rel=0.01)
    assert float(w.mean()) == pytest.approx(1.0, abs=0.01)


def test_keras_default_arguments():
    assert I.RandomNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert I.RandomUniform().get_config() == {"minval": -0.05, "maxval": 0.05, "seed": None}
    assert I.TruncatedNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert I.VarianceScaling().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None}
    assert I.Constant().get_config() == {"value": 0.0}
    assert I.Orthogonal().get_config() == {"gain": 1.0, "seed": None}


def test_constant_zeros_ones():
    np.testing.assert_array_equal(I.Zeros()((2, 3)), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(I.Ones()((4,), dtype="int64"), np.ones(4, np.int64))
    np.testing.assert_array_equal(I.Constant(0.25)((2, 2)), np.full((2, 2), 0.25, np.float32))
    np.testing.assert_array_equal(I.Constant([1.0, 2.0])((3, 2)), [[1, 2]] * 3)
    with pytest.raises(ValueError, match=r"Constant: `value` of shape \(3,\) does not broadcast"):
        I.Constant([1.0, 2.0, 3.0])((2, 2))
    assert I.Constant(np.array([1.0, 2.0])).get_config() == {"value": [1.0, 2.0]}


@pytest.mark.parametrize("shape", [(6, 6), (20, 5), (5, 20), (3, 3, 4, 8)])
def test_orthogonal(shape):
    q = I.Orthogonal(gain=2.0, seed=0)(shape, dtype="float64")
    assert q.shape == shape
    flat = q.reshape(-1, shape[-1])
    if flat.shape[0] >= flat.shape[1]:
        np.testing.assert_allclose(flat.T @ flat, 4.0 * np.eye(flat.shape[1]), atol=1e-10)
    else:
        np.testing.assert_allclose(flat @ flat.T, 4.0 * np.eye(flat.shape[0]), atol=1e-10)


def test_orthogonal_and_identity_shape_errors():
    with pytest.raises(ValueError, match=r"Orthogonal: .*at least two dimensions.*\(5,\)"):
        I.Orthogonal()((5,))
    with pytest.raises(ValueError, match=r"Identity: can only initialize 2-D.*\(2, 2, 2\)"):
        I.Identity()((2, 2, 2))
    np.testing.assert_array_equal(I.Identity(gain=3.0)((2, 3)), 3 * np.eye(2, 3))


ALL_RANDOM = [
    I.GlorotUniform, I.GlorotNormal, I.HeNormal, I.HeUniform, I.LecunNormal, I.LecunUniform,
    I.TruncatedNormal, I.RandomNormal, I.RandomUniform, I.VarianceScaling, I.Orthogonal,
]


@pytest.mark.parametrize("cls", ALL_RANDOM)
def test_global_seed_makes_weights_bit_identical(cls):
    dg_random.set_random_seed(123)
    first = cls()((8, 6))
    second = cls()((8, 6))
    dg_random.set_random_seed(123)
    again = cls()((8, 6))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)  # the global generator moves on


@pytest.mark.parametrize("cls", ALL_RANDOM)
def test_int_seed_is_fixed_and_independent_of_the_global_seed(cls):
    init = cls(seed=7)
    a = init((8, 6))
    dg_random.set_random_seed(99)
    np.testing.assert_array_equal(a, init((8, 6)))  # Keras 3: same values on every call
    np.testing.assert_array_equal(a, cls(seed=7)((8, 6)))
    assert not np.array_equal(a, cls(seed=8)((8, 6)))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("cls", ALL_RANDOM)
def test_dtypes(cls, dtype):
    assert cls(seed=0)((4, 4), dtype=dtype).dtype == np.dtype(dtype)


def test_default_dtype_follows_floatx():
    from deepgrad import config

    config.set_floatx("float64")
    try:
        assert I.GlorotUniform(seed=0)((2, 2)).dtype == np.float64
        assert I.Zeros()((2,)).dtype == np.float64
    finally:
        config.set_floatx("float32")


def test_bad_arguments():
    with pytest.raises(ValueError, match="random initializers need a floating dtype"):
        I.HeNormal()((2, 2), dtype="int32")
    with pytest.raises(ValueError, match=r"GlorotUniform: `shape` must be a tuple of non-negative"):
        I.GlorotUniform()((2, -1))
    with pytest.raises(ValueError, match=r"`seed` must be None or a non-negative int"):
        I.HeNormal(seed=-1)
    with pytest.raises(ValueError, match=r"`seed` must be None or a non-negative int"):
        I.RandomNormal(seed=1.5)
    with pytest.raises(ValueError, match=r"VarianceScaling: `scale` must be a positive"):
        I.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match=r"`mode` must be one of fan_in, fan_out, fan_avg"):
        I.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match=r"`distribution` must be one of"):
        I.VarianceScaling(distribution="cauchy")
    assert I.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    assert I.HeNormal()(5).shape == (5,)


KERAS_NAMES = {
    "glorot_uniform": I.GlorotUniform, "glorot_normal": I.GlorotNormal,
    "he_normal": I.HeNormal, "he_uniform": I.HeUniform, "lecun_normal": I.LecunNormal,
    "lecun_uniform": I.LecunUniform, "truncated_normal": I.TruncatedNormal,
    "random_normal": I.RandomNormal, "random_uniform": I.RandomUniform, "zeros": I.Zeros,
    "ones": I.Ones, "constant": I.Constant, "orthogonal": I.Orthogonal, "identity": I.Identity,
    "variance_scaling": I.VarianceScaling, "uniform": I.RandomUniform,
    "normal": I.RandomNormal, "zero": I.Zeros, "one": I.Ones, "GlorotUniform": I.GlorotUniform,
    "HeNormal": I.HeNormal,
}


@pytest.mark.parametrize("name, cls", sorted(KERAS_NAMES.items()))
def test_get_by_keras_name(name, cls):
    assert type(I.get(name)) is cls


def test_get_objects_classes_dicts_callables():
    init = I.HeUniform(seed=1)
    assert I.get(init) is init
    assert I.get(None) is None
    assert type(I.get(I.Ones)) is I.Ones

    def custom(shape, dtype=None):
        return np.zeros(shape)

    assert I.get(custom) is custom
    got = I.get({"class_name": "TruncatedNormal", "config": {"stddev": 0.2, "seed": 4}})
    assert isinstance(got, I.TruncatedNormal) and got.stddev == 0.2 and got.seed == 4


def test_get_errors():
    with pytest.raises(ValueError, match=r"Unknown initializer: 'glorot_unifrom'\. Valid names: "
                                         r".*glorot_uniform.*he_normal"):
        I.get("glorot_unifrom")
    with pytest.raises(TypeError, match="initializers.get: `identifier` must be"):
        I.get(3.5)
    with pytest.raises(ValueError, match="expected a dict with 'class_name'"):
        I.deserialize({"config": {}})
    with pytest.raises(ValueError, match="Unknown initializer: 'Nope'"):
        I.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(TypeError, match="expected an Initializer"):
        I.serialize("he_normal")


@pytest.mark.parametrize("cls", I._CLASSES)
def test_config_round_trip(cls):
    init = cls(seed=5) if cls in ALL_RANDOM else cls()
    rebuilt = I.deserialize(I.serialize(init))
    assert type(rebuilt) is cls
    assert rebuilt.get_config() == init.get_config()
    np.testing.assert_array_equal(rebuilt((4, 4)), init((4, 4)))
    assert type(cls.from_config(init.get_config())) is cls
    assert repr(init).startswith(cls.__name__ + "(")


def test_base_class_is_abstract():
    with pytest.raises(NotImplementedError):
        I.Initializer()((2,))


def test_an_array_is_a_constant_initializer_as_in_keras():
    # issue 12 item 11: Keras's initializers.get takes the values directly
    values = np.arange(6, dtype="float64").reshape(3, 2)
    init = I.get(values)
    np.testing.assert_array_equal(init((3, 2), dtype="float32"), values)
    layer = dg.layers.Dense(2, kernel_initializer=values)
    layer.build((None, 3))
    np.testing.assert_array_equal(layer.kernel.numpy(), values)


@pytest.mark.parametrize("name, cls", [
    ("glorot_uniform", "GlorotUniform"), ("glorot_normal", "GlorotNormal"),
    ("he_normal", "HeNormal"), ("he_uniform", "HeUniform"), ("lecun_normal", "LecunNormal"),
    ("lecun_uniform", "LecunUniform"), ("random_normal", "RandomNormal"),
    ("random_uniform", "RandomUniform"), ("truncated_normal", "TruncatedNormal"),
    ("variance_scaling", "VarianceScaling"), ("zeros", "Zeros"), ("ones", "Ones"),
    ("constant", "Constant"), ("identity", "Identity"), ("orthogonal", "Orthogonal")])
def test_lowercase_names_are_keras_aliases_of_the_classes(name, cls):
    assert getattr(I, name) is getattr(I, cls)


def test_a_tensor_is_a_constant_initializer_as_in_keras():
    init = I.get(dg.ops.ones((5, 5)))  # Keras's docstring example
    assert init((5, 5)).tolist() == np.ones((5, 5)).tolist()
