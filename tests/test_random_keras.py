"""dg.random's Keras names: SeedGenerator and the categorical, dropout, gamma, binomial
and beta draws, against Keras 3.15's documented behaviour (and its NumPy backend's
rules: rate 1 drops everything, ``None`` in ``noise_shape`` takes the input's size)."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import random as dgr


def test_seed_generator_advances_and_repeats():
    """Keras: an int seed gives the same values each call; a SeedGenerator gives new
    values each call, the same sequence from the same seed."""
    gen = dgr.SeedGenerator(42)
    first, second = dgr.normal((3,), seed=gen), dgr.normal((3,), seed=gen)
    assert not np.array_equal(first, second)
    again = dgr.SeedGenerator(42)
    np.testing.assert_array_equal(dgr.normal((3,), seed=again), first)
    np.testing.assert_array_equal(dgr.normal((3,), seed=again), second)
    np.testing.assert_array_equal(dgr.uniform((3,), seed=7), dgr.uniform((3,), seed=7))


def test_seed_generator_state_is_keras_seed_and_counter():
    gen = dgr.SeedGenerator(7)
    assert gen.next().tolist() == [7, 0]
    assert gen.state.tolist() == [7, 1]
    gen.next(ordered=False)  # Keras: (state + 1) * 5387 % 933199
    assert gen.state.tolist() == [(7 + 1) * 5387 % 933199, (1 + 1) * 5387 % 933199]


def test_seed_generator_without_seed_follows_set_random_seed():
    dg.utils.set_random_seed(3)
    a = dgr.normal((4,), seed=dgr.SeedGenerator())
    dg.utils.set_random_seed(3)
    b = dgr.normal((4,), seed=dgr.SeedGenerator())
    np.testing.assert_array_equal(a, b)


def test_seed_generator_config_round_trip_and_names():
    gen = dgr.SeedGenerator(5, name="mine")
    assert gen.get_config() == {"seed": 5, "name": "mine"}
    copy = dgr.SeedGenerator.from_config(gen.get_config())
    np.testing.assert_array_equal(dgr.normal((2,), seed=copy),
                                  dgr.normal((2,), seed=dgr.SeedGenerator(5)))
    assert dgr.SeedGenerator(1).name.startswith("seed_generator")


@pytest.mark.parametrize("seed", [-1, 1.5, "1", True])
def test_seed_generator_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match=r"SeedGenerator: `seed` must be an int >= 0 or None"):
        dgr.SeedGenerator(seed)


def test_seed_generator_rejects_unknown_arguments():
    with pytest.raises(ValueError, match=r"SeedGenerator: unrecognized keyword arguments: "
                                         r"\['backend'\]"):
        dgr.SeedGenerator(1, backend="jax")


@pytest.mark.parametrize("draw", [
    lambda seed: dgr.normal((2,), seed=seed),
    lambda seed: dgr.gamma((2,), 1.0, seed=seed),
    lambda seed: dgr.categorical([[0.0, 0.0]], 2, seed=seed),
])
def test_a_seed_that_is_neither_int_nor_generator_is_refused(draw):
    with pytest.raises(ValueError, match=r"random\.\w+: `seed` must be None, an int or a "
                                         r"dg\.random\.SeedGenerator\. Received: seed=1\.5"):
        draw(1.5)


def test_categorical_shape_dtype_and_frequencies():
    logits = np.log([[0.2, 0.3, 0.5], [0.9, 0.05, 0.05]])
    samples = dgr.categorical(logits, 20000, seed=0)
    assert samples.shape == (2, 20000) and samples.dtype == np.int32
    for row, expected in zip(samples, np.exp(logits)):
        np.testing.assert_allclose(np.bincount(row, minlength=3) / 20000, expected, atol=0.01)
    assert dgr.categorical(logits, 2, dtype="int64", seed=0).dtype == np.int64
    assert (dgr.categorical([[0.0, -np.inf]], 50, seed=1) == 0).all()


def test_categorical_needs_2d_logits():
    with pytest.raises(ValueError, match=r"random\.categorical: `logits` must be 2-D, "
                                         r"\(batch_size, num_classes\)\. "
                                         r"Received: logits\.shape=\(3,\)"):
        dgr.categorical([0.0, 1.0, 2.0], 2)


def test_dropout_rates_scale_and_noise_shape():
    x = np.ones((200, 50), "float32")
    out = dgr.dropout(x, 0.25, seed=0)
    assert out.dtype == np.float32
    assert set(np.unique(out).tolist()) == {0.0, np.float32(1 / 0.75)}
    assert abs(out.mean() - 1.0) < 0.02
    assert dgr.dropout(x, 0.0) is x
    assert not dgr.dropout(x, 1.0, seed=0).any()  # Keras: rate 1 gives zeros
    shared = dgr.dropout(x, 0.5, noise_shape=(None, 1), seed=0)  # one draw per row
    assert (shared == shared[:, :1]).all() and shared.shape == x.shape
    with pytest.raises(ValueError, match=r"random\.dropout: `rate` must be in \[0, 1\]"):
        dgr.dropout(x, 1.5)


def test_dropout_of_a_tensor_is_differentiable():
    x = dg.Tensor(np.ones((4, 6), "float32"), requires_grad=True)
    out = dgr.dropout(x, 0.5, seed=dgr.SeedGenerator(1))
    dg.ops.sum(out).backward()
    np.testing.assert_array_equal(x.grad, out.data)  # d(sum(x * mask))/dx = mask


def test_gamma_binomial_beta_moments():
    g = dgr.gamma((40000,), 2.5, seed=0)
    assert g.dtype == np.float32
    assert g.mean() == pytest.approx(2.5, rel=0.02) and g.var() == pytest.approx(2.5, rel=0.05)
    b = dgr.binomial((40000,), counts=10, probabilities=0.3, seed=0)
    assert b.dtype == np.float32 and b.mean() == pytest.approx(3.0, rel=0.02)
    assert np.array_equal(b, np.round(b)) and b.min() >= 0 and b.max() <= 10
    bt = dgr.beta((40000,), 2.0, 3.0, dtype="float64", seed=0)
    assert bt.dtype == np.float64 and bt.mean() == pytest.approx(0.4, rel=0.02)


@pytest.mark.parametrize("draw", [
    lambda: dgr.gamma((2,), 1.0, dtype="int32"),
    lambda: dgr.binomial((2,), 3, 0.5, dtype="int32"),
    lambda: dgr.beta((2,), 1.0, 1.0, dtype="int32"),
])
def test_float_only_draws_refuse_integer_dtypes(draw):
    with pytest.raises(ValueError, match=r"`dtype` must be a float type.*Received: "
                                         r"dtype='int32'"):
        draw()


def test_shuffle_accepts_a_seed_generator():
    gen = dgr.SeedGenerator(0)
    a, b = dgr.shuffle(np.arange(20), seed=gen), dgr.shuffle(np.arange(20), seed=gen)
    assert sorted(a.tolist()) == list(range(20)) and not np.array_equal(a, b)
