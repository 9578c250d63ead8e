"""The batch-norm kernels against the plain formulas: statistics (exact chunk merging,
float32 with a large mean), the wide-row view for any row count, chunks split anywhere,
fused activations, and the backward sums and input gradient."""

from __future__ import annotations

import numpy as np
import pytest

from deepgrad.kernels import norm
from deepgrad.kernels.norm import backward, moments, scale_shift, wide

rng = np.random.default_rng(0)

SHAPES = [(4, 5, 5, 3), (3, 7, 13), (2, 1, 1, 2000), (97, 16), (1, 1)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("chunk_bytes", [1, 4096, norm.CHUNK_BYTES])
def test_moments_match_numpy(shape, chunk_bytes, monkeypatch):
    monkeypatch.setattr(norm, "CHUNK_BYTES", chunk_bytes)
    x = rng.normal(size=shape) * 3 + 1
    mean, var = moments(x)
    axes = tuple(range(x.ndim - 1))
    np.testing.assert_allclose(mean, x.mean(axis=axes), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(var, x.var(axis=axes), rtol=1e-12, atol=1e-12)


def test_float32_moments_keep_the_variance_under_a_large_mean():
    # Sum-of-squares formulas lose the variance to cancellation here; deviations do not.
    x64 = 1000.0 + rng.normal(size=(64, 9, 9, 8))
    mean, var = moments(x64.astype(np.float32))
    assert mean.dtype == var.dtype == np.float32
    np.testing.assert_allclose(var, x64.astype(np.float32).astype(np.float64).var(axis=(0, 1, 2)),
                               rtol=1e-4)


def test_wide_rows_divide_the_row_count():
    for rows, channels in [(12, 100), (13, 100), (1, 5), (2000, 1)]:
        w, k = wide(np.zeros((rows, channels)))
        assert rows % k == 0 and w.shape == (rows // k, k * channels)
        assert k * channels <= max(norm.WIDE_ROW, channels)
    assert wide(np.zeros((13, 100)))[1] == 1  # a prime row count: plain rows


@pytest.mark.parametrize("activation, low, high", [(None, -np.inf, np.inf), ("relu", 0, np.inf),
                                                   ("relu6", 0, 6)])
@pytest.mark.parametrize("shape", SHAPES[:4])
def test_scale_shift_and_backward_match_the_formulas(activation, low, high, shape, monkeypatch):
    monkeypatch.setattr(norm, "CHUNK_BYTES", 2048)
    channels = shape[-1]
    x = rng.normal(size=shape) * 2 + 0.5
    gamma, beta = rng.normal(size=channels) * 4, rng.normal(size=channels)
    axes = tuple(range(x.ndim - 1))
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    inv = 1 / np.sqrt(var + 1e-3)
    x_hat = (x - mean) * inv
    pre = x_hat * gamma + beta
    y = scale_shift(x, gamma * inv, beta - mean * gamma * inv, activation)
    np.testing.assert_allclose(y, np.clip(pre, low, high), rtol=1e-12, atol=1e-12)

    g = rng.normal(size=shape)
    gm = g * ((pre > low) & (pre < high))
    n = x.size // channels
    want_dbeta, want_dgamma = gm.sum(axis=axes), (gm * x_hat).sum(axis=axes)
    want_dx = gamma * inv * (gm - want_dbeta / n - x_hat * want_dgamma / n)
    dx, dgamma, dbeta = backward(x, g, mean, inv, gamma, True, activation, y)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dgamma, want_dgamma, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dbeta, want_dbeta, rtol=1e-9, atol=1e-12)
    none, dgamma2, _ = backward(x, g, mean, inv, gamma, False, activation, y)
    assert none is None
    np.testing.assert_allclose(dgamma2, want_dgamma, rtol=1e-9, atol=1e-12)


def test_float32_stays_float32():
    x = rng.normal(size=(8, 6, 6, 24)).astype(np.float32)
    mean, var = moments(x)
    inv = (1 / np.sqrt(var + 1e-3)).astype(np.float32)
    y = scale_shift(x, inv, -mean * inv, "relu6")
    results = backward(x, np.ones_like(x), mean, inv, None, True, "relu6", y)
    assert y.dtype == np.float32 and all(a.dtype == np.float32 for a in results)


def test_activation_without_output_is_an_error():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="needs `output`"):
        backward(x, x, np.zeros(3), np.ones(3), None, activation="relu")
    with pytest.raises(ValueError, match="scale_shift: `activation` must be one of"):
        scale_shift(x, np.ones(3), np.zeros(3), "gelu")
