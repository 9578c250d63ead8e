"""The pure update functions against plain re-implementations of Keras 3's formulas.

Each reference below is transcribed from keras/src/optimizers/<name>.py (``update_step``)
without in-place tricks, computed in float64. The functions under test run three steps
in float64 (must agree to rounding) and in float32 (must agree to float32 precision and
stay float32: no silent upcast).
"""

from __future__ import annotations

import numpy as np
import pytest

from deepgrad.optimizers import updates

SHAPE = (3, 4)
STEPS = 3


def _grads(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2.0, 2.0, SHAPE) for _ in range(STEPS)]


def _start(seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(SHAPE)


# -- Keras 3 formulas, transcribed ------------------------------------------------------
def keras_sgd(w, g, state, t, *, lr, momentum, nesterov):
    if momentum == 0:
        return w - g * lr
    m = state.get("m", np.zeros_like(w))
    m = m * momentum - g * lr
    state["m"] = m
    return w + (m * momentum - g * lr) if nesterov else w + m


def keras_adam(w, g, state, t, *, lr, beta_1, beta_2, epsilon, amsgrad=False):
    m = state.get("m", np.zeros_like(w))
    v = state.get("v", np.zeros_like(w))
    alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    m = m + (g - m) * (1 - beta_1)
    v = v + (np.square(g) - v) * (1 - beta_2)
    state["m"], state["v"] = m, v
    if amsgrad:
        v = np.maximum(state.get("vhat", np.zeros_like(w)), v)
        state["vhat"] = v
    return w - (m * alpha) / (np.sqrt(v) + epsilon)


def keras_adamw(w, g, state, t, *, lr, weight_decay, **adam):
    w = w - w * weight_decay * lr
    return keras_adam(w, g, state, t, lr=lr, **adam)


def keras_nadam(w, g, state, t, *, lr, beta_1, beta_2, epsilon):
    m = state.get("m", np.zeros_like(w))
    v = state.get("v", np.zeros_like(w))
    u_product = state.get("u_product", 1.0) * beta_1 * (1.0 - 0.5 * 0.96**t)
    state["u_product"] = u_product
    u_t = beta_1 * (1.0 - 0.5 * 0.96**t)
    u_t_1 = beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
    u_product_t_1 = u_product * u_t_1
    m = m + (g - m) * (1 - beta_1)
    v = v + (np.square(g) - v) * (1 - beta_2)
    state["m"], state["v"] = m, v
    m_hat = u_t_1 * m / (1 - u_product_t_1) + (1 - u_t) * g / (1 - u_product)
    v_hat = v / (1 - beta_2**t)
    return w - (m_hat * lr) / (np.sqrt(v_hat) + epsilon)


def keras_rmsprop(w, g, state, t, *, lr, rho, epsilon, momentum=0.0, centered=False):
    velocity = state.get("velocity", np.zeros_like(w))
    velocity = rho * velocity + (1 - rho) * np.square(g)
    state["velocity"] = velocity
    if centered:
        average = rho * state.get("average", np.zeros_like(w)) + (1 - rho) * g
        state["average"] = average
        denominator = velocity - np.square(average) + epsilon
    else:
        denominator = velocity + epsilon
    increment = lr * g / np.sqrt(denominator)
    if momentum > 0:
        buffer = momentum * state.get("buffer", np.zeros_like(w)) + increment
        state["buffer"] = buffer
        return w - buffer
    return w - increment


def keras_adagrad(w, g, state, t, *, lr, epsilon, initial_accumulator_value=0.1):
    accumulator = state.get("acc", np.full_like(w, initial_accumulator_value)) + np.square(g)
    state["acc"] = accumulator
    return w - lr * g / np.sqrt(accumulator + epsilon)


# -- drivers for the functions under test -----------------------------------------------
def run_sgd(w, grads, *, lr, momentum, nesterov):
    velocity = np.zeros_like(w) if momentum else None
    for g in grads:
        updates.sgd_update(w, g, velocity, lr=lr, momentum=momentum, nesterov=nesterov)


def run_adam(w, grads, *, amsgrad=False, **hyper):
    m, v, vhat = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        updates.adam_update(w, g, m, v, t, amsgrad=amsgrad, vhat=vhat, **hyper)


def run_adamw(w, grads, **hyper):
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        updates.adamw_update(w, g, m, v, t, **hyper)


def run_nadam(w, grads, *, beta_1, **hyper):
    m, v = np.zeros_like(w), np.zeros_like(w)
    u_product = 1.0
    for t, g in enumerate(grads, start=1):
        u_product *= updates.nadam_momentum(t, beta_1)
        updates.nadam_update(w, g, m, v, t, beta_1=beta_1, u_product=u_product, **hyper)


def run_rmsprop(w, grads, *, momentum=0.0, centered=False, **hyper):
    velocity, buffer, average = (np.zeros_like(w) for _ in range(3))
    for g in grads:
        updates.rmsprop_update(
            w, g, velocity, momentum=momentum, momentum_buffer=buffer, centered=centered,
            average_gradient=average, **hyper,
        )


def run_adagrad(w, grads, *, initial_accumulator_value=0.1, **hyper):
    accumulator = np.full_like(w, initial_accumulator_value)
    for g in grads:
        updates.adagrad_update(w, g, accumulator, **hyper)


CASES = [
    ("sgd", run_sgd, keras_sgd, dict(lr=0.1, momentum=0.0, nesterov=False)),
    ("sgd-momentum", run_sgd, keras_sgd, dict(lr=0.1, momentum=0.9, nesterov=False)),
    ("sgd-nesterov", run_sgd, keras_sgd, dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("adam", run_adam, keras_adam, dict(lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7)),
    ("adam-amsgrad", run_adam, keras_adam,
     dict(lr=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-7, amsgrad=True)),
    ("adamw", run_adamw, keras_adamw,
     dict(lr=0.01, weight_decay=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-7)),
    ("nadam", run_nadam, keras_nadam, dict(lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7)),
    ("rmsprop", run_rmsprop, keras_rmsprop, dict(lr=0.01, rho=0.9, epsilon=1e-7)),
    ("rmsprop-momentum-centered", run_rmsprop, keras_rmsprop,
     dict(lr=0.01, rho=0.8, epsilon=1e-7, momentum=0.5, centered=True)),
    ("adagrad", run_adagrad, keras_adagrad, dict(lr=0.1, epsilon=1e-7)),
]


def _reference(keras_fn, hyper) -> np.ndarray:
    w, state = _start(), {}
    for t, g in enumerate(_grads(), start=1):
        w = keras_fn(w, g, state, t, **hyper)
    return w


@pytest.mark.parametrize("name, run, keras_fn, hyper", CASES, ids=[c[0] for c in CASES])
def test_matches_keras_formula_float64(name, run, keras_fn, hyper):
    w = _start()
    run(w, _grads(), **hyper)
    np.testing.assert_allclose(w, _reference(keras_fn, hyper), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, run, keras_fn, hyper", CASES, ids=[c[0] for c in CASES])
def test_float32_stays_float32_and_agrees(name, run, keras_fn, hyper):
    w = _start().astype(np.float32)
    original = w
    run(w, [g.astype(np.float32) for g in _grads()], **hyper)
    assert w is original and w.dtype == np.float32
    np.testing.assert_allclose(w, _reference(keras_fn, hyper), rtol=2e-5, atol=2e-6)


def test_functions_update_slots_in_place():
    w, g = _start(), _grads()[0]
    m, v = np.zeros_like(w), np.zeros_like(w)
    updates.adam_update(w, g, m, v, 1, lr=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    np.testing.assert_allclose(m, 0.1 * g)
    np.testing.assert_allclose(v, 0.001 * g * g)


def test_nadam_momentum_is_keras3_schedule():
    # Keras 3 raises 0.96 to the step itself (Keras 2 / PyTorch: 0.96 ** (0.004 * t)).
    assert updates.nadam_momentum(1, 0.9) == pytest.approx(0.9 * (1 - 0.5 * 0.96))
    assert updates.nadam_momentum(10, 0.9) == pytest.approx(0.9 * (1 - 0.5 * 0.96**10))


def test_missing_slot_is_an_error():
    w, g = np.zeros(2), np.ones(2)
    with pytest.raises(ValueError, match="`velocity` is required"):
        updates.sgd_update(w, g, None, lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="`vhat` is required"):
        updates.adam_update(w, g, w.copy(), w.copy(), 1, lr=0.1, beta_1=0.9, beta_2=0.9,
                            epsilon=0.0, amsgrad=True)
    with pytest.raises(ValueError, match="`momentum_buffer` is required"):
        updates.rmsprop_update(w, g, w.copy(), lr=0.1, rho=0.9, epsilon=0.0, momentum=0.5)
    with pytest.raises(ValueError, match="`average_gradient` is required"):
        updates.rmsprop_update(w, g, w.copy(), lr=0.1, rho=0.9, epsilon=0.0, centered=True)


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("threads", [1, 2])
def test_blockwise_adam_equals_one_pass_bit_for_bit(monkeypatch, amsgrad, threads):
    import deepgrad as dg
    from deepgrad.kernels import parallel

    rng = np.random.default_rng(0)
    size = 10_007
    arrays = [rng.standard_normal(size).astype(np.float32) for _ in range(2)]
    slots = [np.abs(rng.standard_normal(size)).astype(np.float32) for _ in range(3)]

    def run(block: int) -> list[np.ndarray]:
        param, grad = (a.copy() for a in arrays)
        m, v, vhat = (s.copy() for s in slots)
        monkeypatch.setattr(parallel, "BLOCK", block)
        for step in (1, 2):
            updates.adam_update(param, grad, m, v, step, lr=1e-3, beta_1=0.9, beta_2=0.999,
                                epsilon=1e-7, amsgrad=amsgrad, vhat=vhat)
        return [param, m, v, vhat]

    whole = run(1 << 40)
    try:
        dg.config.set_num_threads(threads)
        blocked = run(1000)
    finally:
        dg.config.set_num_threads(None)
    for a, b in zip(whole, blocked, strict=True):
        np.testing.assert_array_equal(a, b)
