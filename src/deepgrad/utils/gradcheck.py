"""Check an op's analytic gradients against central finite differences.

This is how every op in deepgrad is tested, and how a learner can check their own
layer: run it in float64, perturb each input element by ``±eps``, and compare.

>>> import deepgrad as dg
>>> x = np.random.default_rng(0).normal(size=(3, 4))
>>> gradient_check(lambda t: (t * t).sum(), [x])
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from deepgrad.tensor import Tensor

__all__ = ["gradient_check", "numerical_gradient"]


def numerical_gradient(
    fn: Callable, inputs: Sequence[np.ndarray], index: int, weights: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference gradient of ``sum(fn(*inputs) * weights)`` w.r.t. ``inputs[index]``.

    >>> numerical_gradient(lambda t: t * t, [np.array([3.0])], 0, np.array([1.0])).round(6)
    array([6.])
    """
    arrays = [np.array(a, dtype=np.float64) for a in inputs]
    target = arrays[index]
    grad = np.zeros_like(target)
    flat, gflat = target.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        plus = float((_value(fn, arrays) * weights).sum())
        flat[i] = saved - eps
        minus = float((_value(fn, arrays) * weights).sum())
        flat[i] = saved
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def _value(fn: Callable, arrays: Sequence[np.ndarray]) -> np.ndarray:
    out = fn(*[Tensor(a) for a in arrays])
    return np.asarray(out.data if isinstance(out, Tensor) else out, dtype=np.float64)


def gradient_check(
    fn: Callable,
    inputs: Sequence,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    check: Sequence[int] | None = None,
    seed: int = 0,
    raise_on_failure: bool = True,
) -> bool:
    """Compare backward against central differences in float64, for every input.

    The output is reduced with fixed random weights, so every output element matters.

    Args:
        fn: a function of Tensors returning a Tensor.
        inputs: arrays (converted to float64).
        eps: finite-difference step.
        atol, rtol: tolerances for ``np.allclose``.
        check: indices of the inputs to check (all by default).
        seed: seed for the output weights.
        raise_on_failure: raise AssertionError with the worst mismatch instead of returning False.

    Returns:
        True when all checked gradients match.

    >>> gradient_check(lambda a, b: a @ b, [np.ones((2, 3)), np.ones((3, 2))])
    True
    """
    arrays = [np.array(a, dtype=np.float64) for a in inputs]
    check = range(len(arrays)) if check is None else check
    tensors = [Tensor(a, requires_grad=i in check) for i, a in enumerate(arrays)]
    out = fn(*tensors)
    weights = np.random.default_rng(seed).normal(size=out.shape)
    (out * Tensor(weights)).sum().backward()
    for i in check:
        analytic = tensors[i].grad if tensors[i].grad is not None else np.zeros_like(arrays[i])
        numeric = numerical_gradient(fn, arrays, i, weights, eps)
        if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
            if raise_on_failure:
                worst = np.unravel_index(np.argmax(np.abs(analytic - numeric)), numeric.shape)
                raise AssertionError(
                    f"gradient_check: input {i} (shape {arrays[i].shape}) differs at {worst}: "
                    f"analytic {analytic[worst]:.8g}, numeric {numeric[worst]:.8g}"
                )
            return False
    return True
