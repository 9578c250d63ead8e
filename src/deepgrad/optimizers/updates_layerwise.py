"""Update rules that see a whole variable: Lamb (a trust ratio of norms), Muon (an
orthogonalised matrix update) and Adafactor (factored second moments), as pure functions
on one variable's arrays.

They cannot run on the optimizer's flat buckets of several variables: their norms,
matrix products and row/column means are per variable, so their optimizers call them
once per variable, on arrays of its shape. Keras 3's formulas
(``keras/src/optimizers/{lamb,muon,adafactor}.py``).

>>> import numpy as np
>>> x = newton_schulz(np.array([[3.0, 0.0], [0.0, 1.0]]), steps=5)
>>> np.round(np.diag(x), 1)  # singular values pushed towards 1 (roughly: 0.7 to 1.2)
array([0.8, 1.1])
"""

from __future__ import annotations

import math

import numpy as np

from deepgrad.optimizers.updates import _scalar

__all__ = ["lamb_update", "newton_schulz", "muon_update", "adafactor_update"]

# Keras's coefficients of the quintic Newton-Schulz iteration (Keller Jordan's Muon).
MUON_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def lamb_update(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    step: int,
    *,
    lr: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
) -> None:
    """Lamb (You et al., 2019), Keras's form, in place, for one variable.

    Adam's direction ``r = m_hat / (sqrt(v_hat) + epsilon)`` scaled by the trust ratio
    ``||param|| / ||r||`` (1 if either norm is 0): ``param -= ratio * lr * r``.

    Args:
        param: one variable's values, updated in place.
        grad: its gradient.
        m: first-moment slot, in place.
        v: second-moment slot, in place.
        step: 1-based number of this update.
        lr: learning rate.
        beta_1: decay rate of the first moment.
        beta_2: decay rate of the second moment.
        epsilon: small constant added to ``sqrt(v_hat)``.

    >>> w = np.array([3.0, 4.0], np.float32)
    >>> m, v = np.zeros(2, np.float32), np.zeros(2, np.float32)
    >>> lamb_update(w, np.array([1.0, 0.0], np.float32), m, v, 1, lr=0.1, beta_1=0.9,
    ...             beta_2=0.999, epsilon=1e-7)
    >>> w  # r = (1, 0), ratio = 5: w[0] moves by 0.5
    array([2.5, 4. ], dtype=float32)
    """
    dtype = param.dtype
    delta = grad - m
    delta *= _scalar(1 - beta_1, dtype)
    m += delta
    delta = np.square(grad)
    delta -= v
    delta *= _scalar(1 - beta_2, dtype)
    v += delta
    direction = m / _scalar(1.0 - beta_1**step, dtype)
    denominator = np.sqrt(v / _scalar(1.0 - beta_2**step, dtype))
    denominator += _scalar(epsilon, dtype)
    direction /= denominator
    param_norm = np.sqrt(np.sum(np.square(param)))
    direction_norm = np.sqrt(np.sum(np.square(direction)))
    ratio = param_norm / direction_norm if param_norm > 0 and direction_norm > 0 else 1.0
    direction *= _scalar(ratio, dtype) * _scalar(lr, dtype)
    param -= direction


def newton_schulz(x: np.ndarray, steps: int,
                  coefficients: tuple[float, float, float] = MUON_COEFFICIENTS) -> np.ndarray:
    """Approximately orthogonalise a matrix: ``U V^T`` of its SVD, roughly (Muon's
    quintic Newton-Schulz iteration, Keras's form).

    The matrix (transposed to be wide) is scaled to Frobenius norm <= 1, then
    ``steps`` times ``A = X X^T; X = a X + (b A + c A A) X``.

    Args:
        x: a 2-D array (or a stack of them: the last two axes).
        steps: the number of iterations.
        coefficients: ``(a, b, c)``.

    Returns:
        A new array of ``x``'s shape.

    Raises:
        ValueError: for fewer than 2 dimensions.

    >>> newton_schulz(np.zeros((2, 3)), 5).shape
    (2, 3)
    """
    if x.ndim < 2:
        raise ValueError(f"newton_schulz: expected at least 2 dimensions. Received: "
                         f"shape={x.shape}")
    a, b, c = (x.dtype.type(k) for k in coefficients)
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = np.swapaxes(x, -1, -2)
    norm = np.sqrt(np.sum(np.square(x), axis=(-2, -1), keepdims=True))
    x = x / (norm + x.dtype.type(1e-7))
    for _ in range(steps):
        gram = x @ np.swapaxes(x, -1, -2)
        x = a * x + (b * gram + c * gram @ gram) @ x
    return np.swapaxes(x, -1, -2) if tall else x


def muon_update(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    *,
    lr: float,
    momentum: float,
    nesterov: bool,
    ns_steps: int,
    coefficients: tuple[float, float, float] = MUON_COEFFICIENTS,
    rms_rate: float | None = 0.2,
) -> None:
    """Muon (Jordan et al., 2024), Keras's form, in place, for one 2-D variable.

    ``m = momentum * m + g``; the direction is ``g + momentum * m`` (Nesterov) or
    ``m``, orthogonalised by :func:`newton_schulz`, and scaled as Moonlight does by
    ``sqrt(max(rows, cols)) * rms_rate`` (Liu et al., 2025) unless ``rms_rate`` is None:
    ``param -= lr * scale * O``.

    Args:
        param: a 2-D variable's values, updated in place.
        grad: its gradient.
        m: momentum slot, in place.
        lr: learning rate.
        momentum: momentum factor.
        nesterov: use Nesterov momentum.
        ns_steps: Newton-Schulz iterations.
        coefficients: ``(a, b, c)`` of the iteration.
        rms_rate: the Moonlight scale, or None.

    >>> w, m = np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32)
    >>> muon_update(w, np.eye(2, dtype=np.float32), m, lr=1.0, momentum=0.95,
    ...             nesterov=False, ns_steps=5, rms_rate=None)
    >>> np.round(w, 2)  # -orthogonalised identity
    array([[-1.11,  0.  ],
           [ 0.  , -1.11]], dtype=float32)
    """
    dtype = param.dtype
    m += grad + m * _scalar(momentum - 1, dtype)
    direction = grad + _scalar(momentum, dtype) * m if nesterov else m
    update = newton_schulz(direction, ns_steps, coefficients) * _scalar(lr, dtype)
    if rms_rate is not None:
        update *= _scalar(math.sqrt(max(param.shape[0], param.shape[1])) * rms_rate, dtype)
    param -= update


def _rms(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean(np.square(x)))


def adafactor_update(
    param: np.ndarray,
    grad: np.ndarray,
    v: np.ndarray,
    row: np.ndarray | None,
    col: np.ndarray | None,
    step: int,
    *,
    lr: float,
    beta_2_decay: float,
    epsilon_1: float,
    epsilon_2: float,
    clip_threshold: float,
    relative_step: bool,
) -> None:
    """Adafactor (Shazeer and Stern, 2018), Keras's form, in place, for one variable.

    The second moment of a matrix (the last two axes) is kept factored, as a running mean
    of its rows (``row``, shape ``param.shape[:-1]``) and of its columns (``col``, shape
    ``param.shape[:-2] + param.shape[-1:]``), decayed by ``1 - step ** beta_2_decay``;
    ``v = row / mean(row) * col``. A vector keeps ``v`` itself. Then
    ``u = g / sqrt(v)``, clipped to RMS ``clip_threshold``, and
    ``param -= max(epsilon_2, rms(param)) * min(lr, 1 / sqrt(step)) * u``.

    Args:
        param: one variable's values, updated in place.
        grad: its gradient.
        v: the second-moment estimate (variable's shape), in place.
        row, col: the factored moments for 2-D and larger variables, in place; None for
            vectors.
        step: 1-based number of this update.
        lr: learning rate.
        beta_2_decay: the decay exponent (negative).
        epsilon_1: added to the squared gradient.
        epsilon_2: the floor of the parameter scale.
        clip_threshold: the RMS the update is clipped to.
        relative_step: also cap ``lr`` by ``1 / sqrt(step)`` first (Keras does it twice
            when the learning rate is a float: the same cap, so no change).

    >>> w, v = np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)
    >>> row, col = np.zeros(2, np.float32), np.zeros(2, np.float32)
    >>> adafactor_update(w, np.ones((2, 2), np.float32), v, row, col, 1, lr=0.1,
    ...                  beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
    ...                  clip_threshold=1.0, relative_step=True)
    >>> w  # every weight moves by rms(w) * lr
    array([[0.9, 0.9],
           [0.9, 0.9]], dtype=float32)
    """
    dtype = param.dtype
    cap = 1.0 / math.sqrt(step)
    if relative_step:
        lr = min(lr, cap)
    scale = _scalar(max(epsilon_2, float(_rms(param))) * min(lr, cap), dtype)
    squared = np.square(grad)
    squared += _scalar(epsilon_1, dtype)
    beta = _scalar(1.0 - step**beta_2_decay, dtype)
    one_minus_beta = dtype.type(1) - beta
    if row is not None and col is not None:
        row *= beta
        row += one_minus_beta * squared.mean(axis=-1)
        col *= beta
        col += one_minus_beta * squared.mean(axis=-2)
        np.multiply((row / row.mean(axis=-1, keepdims=True))[..., None], col[..., None, :],
                    out=v)
    else:
        v *= beta
        v += one_minus_beta * squared
    update = grad / np.sqrt(v)
    update /= np.maximum(dtype.type(1), _rms(update) / _scalar(clip_threshold, dtype))
    update *= scale
    param -= update
