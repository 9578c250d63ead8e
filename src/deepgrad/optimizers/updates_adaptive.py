"""Update rules of Adadelta, Adamax, Ftrl, Lion and schedule-free AdamW, as pure
functions on arrays.

Like those of ``updates.py``: each updates ``param`` and its slots in place,
elementwise, in the parameter's dtype, with Keras 3's formulas and order of operations
(``keras/src/optimizers/{adadelta,adamax,ftrl,lion,schedule_free_adamw}.py``);
step-dependent scalars are computed once in Python and cast. Being elementwise, each
runs on the optimizer's flat buckets as well as on one variable.

>>> import numpy as np
>>> w, m = np.array([1.0, -1.0], np.float32), np.zeros(2, np.float32)
>>> lion_update(w, np.array([0.3, -2.0], np.float32), m, lr=0.1, beta_1=0.9, beta_2=0.99)
>>> w  # Lion moves every weight by exactly lr, against the sign of its update
array([ 0.9, -0.9], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from deepgrad.optimizers.updates import _scalar

__all__ = ["adadelta_update", "adamax_update", "ftrl_update", "lion_update",
           "schedule_free_adamw_update"]


def adadelta_update(
    param: np.ndarray,
    grad: np.ndarray,
    accumulated_grad: np.ndarray,
    accumulated_delta: np.ndarray,
    *,
    lr: float,
    rho: float,
    epsilon: float,
) -> None:
    """Adadelta (Zeiler, 2012), Keras's form, in place.

    ``E[g2] = rho * E[g2] + (1 - rho) * g**2``;
    ``delta = -sqrt(E[dx2] + eps) * g / sqrt(E[g2] + eps)``;
    ``E[dx2] = rho * E[dx2] + (1 - rho) * delta**2``; ``param += lr * delta``.

    Args:
        param: the parameter array, updated in place.
        grad: its gradient.
        accumulated_grad: running mean of squared gradients, in place.
        accumulated_delta: running mean of squared updates, in place.
        lr: learning rate (Keras keeps one, unlike the paper).
        rho: decay rate of the running means.
        epsilon: small constant inside the square roots.

    >>> w = np.array([1.0], np.float32)
    >>> eg, ex = np.zeros(1, np.float32), np.zeros(1, np.float32)
    >>> adadelta_update(w, np.array([1.0], np.float32), eg, ex, lr=1.0, rho=0.95, epsilon=1e-7)
    >>> w  # 1 - sqrt(1e-7) / sqrt(0.05 + 1e-7)
    array([0.99858576], dtype=float32)
    """
    dtype = param.dtype
    rho_, one_minus_rho = _scalar(rho, dtype), _scalar(1 - rho, dtype)
    epsilon_ = _scalar(epsilon, dtype)
    accumulated_grad *= rho_
    accumulated_grad += one_minus_rho * np.square(grad)
    delta = np.sqrt(accumulated_delta + epsilon_)
    delta *= grad
    delta /= np.sqrt(accumulated_grad + epsilon_)
    np.negative(delta, out=delta)
    accumulated_delta *= rho_
    accumulated_delta += one_minus_rho * np.square(delta)
    delta *= _scalar(lr, dtype)
    param += delta


def adamax_update(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    u: np.ndarray,
    step: int,
    *,
    lr: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
) -> None:
    """Adamax (Kingma and Ba, 2014, section 7), Keras's form, in place.

    ``m += (g - m) * (1 - beta_1)``; ``u = max(beta_2 * u, |g|)``;
    ``param -= lr * m / ((1 - beta_1**step) * (u + epsilon))``.

    Args:
        param: the parameter array, updated in place.
        grad: its gradient.
        m: first-moment slot, in place.
        u: exponentially weighted infinity norm, in place.
        step: 1-based number of this update.
        lr: learning rate.
        beta_1: decay rate of the first moment.
        beta_2: decay rate of the infinity norm.
        epsilon: small constant added to ``u``.

    >>> w = np.array([1.0], np.float32)
    >>> m, u = np.zeros(1, np.float32), np.zeros(1, np.float32)
    >>> adamax_update(w, np.array([2.0], np.float32), m, u, 1, lr=0.1, beta_1=0.9,
    ...               beta_2=0.999, epsilon=1e-7)
    >>> w  # the first step moves by about lr
    array([0.9], dtype=float32)
    """
    dtype = param.dtype
    delta = grad - m
    delta *= _scalar(1 - beta_1, dtype)
    m += delta
    np.maximum(u * _scalar(beta_2, dtype), np.abs(grad), out=u)
    step_ = m * _scalar(lr, dtype)
    denominator = u + _scalar(epsilon, dtype)
    denominator *= _scalar(1 - beta_1**step, dtype)
    step_ /= denominator
    param -= step_


def ftrl_update(
    param: np.ndarray,
    grad: np.ndarray,
    accumulator: np.ndarray,
    linear: np.ndarray,
    *,
    lr: float,
    learning_rate_power: float,
    l1_regularization_strength: float,
    l2_regularization_strength: float,
    l2_shrinkage_regularization_strength: float,
    beta: float,
) -> None:
    """FTRL-Proximal (McMahan et al., 2013), Keras's form, in place.

    With ``p = -learning_rate_power`` and ``n`` the accumulator::

        g_s = g + 2 * l2_shrinkage * w;  n_new = n + g**2
        linear += g_s - (n_new**p - n**p) / lr * w
        w = (clip(linear, -l1, l1) - linear) / (n_new**p / lr + 2 * (l2 + beta / (2 lr)))

    Args:
        param: the parameter array, replaced in place.
        grad: its gradient.
        accumulator: running sum of squared gradients (starts at
            ``initial_accumulator_value``), in place.
        linear: the linear term, in place.
        lr: learning rate.
        learning_rate_power: <= 0; -0.5 is the usual square-root schedule.
        l1_regularization_strength, l2_regularization_strength,
        l2_shrinkage_regularization_strength, beta: >= 0, as Keras's ``Ftrl``.

    >>> w = np.array([0.0], np.float32)
    >>> n, z = np.full(1, 0.1, np.float32), np.zeros(1, np.float32)
    >>> ftrl_update(w, np.array([1.0], np.float32), n, z, lr=0.1, learning_rate_power=-0.5,
    ...             l1_regularization_strength=0.0, l2_regularization_strength=0.0,
    ...             l2_shrinkage_regularization_strength=0.0, beta=0.0)
    >>> w  # -z / (sqrt(n) / lr) = -1 / (sqrt(1.1) / 0.1)
    array([-0.09534626], dtype=float32)
    """
    dtype = param.dtype
    power = _scalar(-learning_rate_power, dtype)
    lr_ = _scalar(lr, dtype)
    l2 = l2_regularization_strength + beta / (2.0 * lr)
    grad_to_use = grad + _scalar(2 * l2_shrinkage_regularization_strength, dtype) * param
    new_accumulator = accumulator + np.square(grad)
    new_power = np.power(new_accumulator, power)
    change = new_power - np.power(accumulator, power)
    change /= lr_
    change *= param
    linear += grad_to_use - change
    quadratic = new_power / lr_
    quadratic += _scalar(2 * l2, dtype)
    l1 = l1_regularization_strength
    clipped = np.clip(linear, _scalar(-l1, dtype), _scalar(l1, dtype))
    clipped -= linear
    np.divide(clipped, quadratic, out=param)
    accumulator[...] = new_accumulator


def lion_update(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    *,
    lr: float,
    beta_1: float,
    beta_2: float,
) -> None:
    """Lion (Chen et al., 2023), Keras's form, in place.

    ``param -= lr * sign(beta_1 * m + (1 - beta_1) * g)``, then
    ``m = beta_2 * m + (1 - beta_2) * g``.

    Args:
        param: the parameter array, updated in place.
        grad: its gradient.
        m: momentum slot, in place.
        lr: learning rate (usually 3-10 times smaller than Adam's).
        beta_1: interpolation factor of the update direction.
        beta_2: decay rate of the momentum.

    >>> w, m = np.array([0.0], np.float32), np.array([-1.0], np.float32)
    >>> lion_update(w, np.array([1.0], np.float32), m, lr=0.5, beta_1=0.9, beta_2=0.99)
    >>> w, m  # the momentum wins the sign
    (array([0.5], dtype=float32), array([-0.98], dtype=float32))
    """
    dtype = param.dtype
    beta_1_, beta_2_ = _scalar(beta_1, dtype), _scalar(beta_2, dtype)
    direction = m * beta_1_
    direction += grad * (dtype.type(1) - beta_1_)
    np.sign(direction, out=direction)
    direction *= _scalar(lr, dtype)
    param -= direction
    m *= beta_2_
    m += grad * (dtype.type(1) - beta_2_)


def schedule_free_adamw_update(
    param: np.ndarray,
    grad: np.ndarray,
    z: np.ndarray,
    v: np.ndarray,
    step: int,
    *,
    lr: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
    warmup_steps: int = 0,
) -> None:
    """Schedule-free AdamW (Defazio et al., 2024), Keras's form, in place.

    The parameter holds ``y``, an interpolation between the base sequence ``z`` (the
    ``momentum`` slot, starting at the parameter's initial value) and the running
    average ``x``::

        v += (g**2 - v) * (1 - beta_2);  z_old = z
        z -= lr * g / (sqrt(v / (1 - beta_2**step)) + epsilon)
        x = (y - (1 - beta_1) * z_old) / beta_1;  x = (1 - 1/step) * x + z / step
        y = (1 - beta_1) * z + beta_1 * x

    With ``warmup_steps``, ``lr`` grows linearly over them.

    Args:
        param: the parameter (``y``), updated in place.
        grad: its gradient (at ``y``).
        z: the base sequence (Keras's ``momentum`` slot), in place.
        v: second-moment slot, in place.
        step: 1-based number of this update.
        lr: learning rate.
        beta_1: the interpolation between ``z`` and ``x``.
        beta_2: decay rate of the second moment.
        epsilon: small constant in the denominator.
        warmup_steps: steps of linear warmup of ``lr``.

    >>> w = np.array([1.0], np.float32); z = w.copy(); v = np.zeros(1, np.float32)
    >>> schedule_free_adamw_update(w, np.array([2.0], np.float32), z, v, 1, lr=0.1,
    ...                            beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    >>> z, w  # z takes an Adam-sized step; y = 0.1 * z + 0.9 * x with x = z at step 1
    (array([0.9], dtype=float32), array([0.9], dtype=float32))
    """
    dtype = param.dtype
    if warmup_steps > 0:
        lr = lr * min(step / warmup_steps, 1.0)
    beta_1_ = _scalar(beta_1, dtype)
    one_minus_beta_1 = dtype.type(1) - beta_1_
    z_old = z.copy()
    delta = np.square(grad)
    delta -= v
    delta *= dtype.type(1) - _scalar(beta_2, dtype)
    v += delta
    denominator = np.sqrt(v / _scalar(1 - beta_2**step, dtype))
    denominator += _scalar(epsilon, dtype)
    step_ = grad * _scalar(lr, dtype)
    step_ /= denominator
    z -= step_
    weight = _scalar(1.0 / step, dtype)
    x = param - one_minus_beta_1 * z_old
    x /= beta_1_
    x *= dtype.type(1) - weight
    x += weight * z
    x *= beta_1_
    x += one_minus_beta_1 * z
    param[...] = x
