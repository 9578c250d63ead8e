"""Optimizer update rules as pure functions on arrays, updated in place.

Each function takes a parameter array, its gradient and the optimizer's slot arrays
(momentum, velocity, ...) for that parameter, and updates ``param`` and the slots in
place. They know nothing about variables, clipping or schedules: the optimizer classes
in this package call them once per step on flat arrays that hold every parameter of a
model, so a step costs a dozen NumPy calls whatever the number of layers.

The formulas, and the order of the array operations, are Keras 3's
(``keras/src/optimizers/*.py``). Array arithmetic happens in the parameter's dtype (a
float32 model is never upcast). Step-dependent scalars such as Adam's bias correction
are computed once in Python floats and then cast to that dtype (Keras computes them
in float32; the two agree to within a rounding of the scalar). Scalars enter NumPy as
0-d arrays, which NumPy applies faster than Python or NumPy scalars.

``step`` is the 1-based number of the update being made (Keras's ``iterations + 1``).

>>> import numpy as np
>>> w = np.array([1.0, -2.0], dtype=np.float32)
>>> sgd_update(w, np.array([0.5, 0.5], dtype=np.float32), None, lr=0.1, momentum=0.0)
>>> w
array([ 0.95, -2.05], dtype=float32)
"""

from __future__ import annotations

import math

import numpy as np

from deepgrad.kernels.parallel import blockwise

__all__ = [
    "sgd_update", "adam_update", "adamw_update", "nadam_update", "nadam_momentum",
    "rmsprop_update", "adagrad_update", "apply_weight_decay", "ema_update",
]


def _scalar(value: float, dtype: np.dtype) -> np.ndarray:
    return np.array(value, dtype=dtype)


def sgd_update(
    param: np.ndarray,
    grad: np.ndarray,
    velocity: np.ndarray | None,
    *,
    lr: float,
    momentum: float,
    nesterov: bool = False,
) -> None:
    """Gradient descent, optionally with (Nesterov) momentum, in place.

    ``velocity = momentum * velocity - lr * grad``, then ``param += velocity``, or with
    Nesterov ``param += momentum * velocity - lr * grad``. Without momentum,
    ``param -= lr * grad``.

    Args:
        param: the parameter array, updated in place.
        grad: its gradient, same shape.
        velocity: the momentum slot, updated in place; ``None`` when ``momentum`` is 0.
        lr: the learning rate.
        momentum: the momentum factor in [0, 1].
        nesterov: whether to use Nesterov momentum.

    Raises:
        ValueError: if ``momentum`` is not 0 and ``velocity`` is None.

    >>> w = np.array([1.0], dtype=np.float32); vel = np.zeros(1, dtype=np.float32)
    >>> for _ in range(2):
    ...     sgd_update(w, np.array([1.0], dtype=np.float32), vel, lr=0.1, momentum=0.9)
    >>> w, vel
    (array([0.71], dtype=float32), array([-0.19], dtype=float32))
    """
    dtype = param.dtype
    scaled_grad = grad * _scalar(lr, dtype)
    if velocity is None:
        if momentum != 0:
            raise ValueError(
                f"sgd_update: `velocity` is required when momentum is not 0. "
                f"Received: momentum={momentum}, velocity=None"
            )
        param -= scaled_grad
        return
    momentum = _scalar(momentum, dtype)
    velocity *= momentum
    velocity -= scaled_grad
    if nesterov:
        step = velocity * momentum
        step -= scaled_grad
        param += step
    else:
        param += velocity


def adam_update(
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
    amsgrad: bool = False,
    vhat: np.ndarray | None = None,
) -> None:
    """Adam (Kingma and Ba), Keras's form, in place.

    ``m += (grad - m) * (1 - beta_1)``, ``v += (grad**2 - v) * (1 - beta_2)``,
    ``alpha = lr * sqrt(1 - beta_2**step) / (1 - beta_1**step)``, then
    ``param -= m * alpha / (sqrt(v) + epsilon)``. Epsilon is added to ``sqrt(v)``
    before the bias correction of ``v`` (PyTorch adds it after), Keras's "epsilon hat".

    Args:
        param: the parameter array, updated in place.
        grad: its gradient.
        m: first-moment slot, updated in place.
        v: second-moment slot, updated in place.
        step: 1-based number of this update.
        lr: learning rate.
        beta_1: decay rate of the first moment.
        beta_2: decay rate of the second moment.
        epsilon: small constant added to the denominator.
        amsgrad: use the running maximum of ``v`` (AMSGrad) in the denominator.
        vhat: that running maximum, updated in place; required when ``amsgrad``.

    Raises:
        ValueError: if ``amsgrad`` is set and ``vhat`` is None.

    >>> w = np.array([1.0], dtype=np.float32)
    >>> m, v = np.zeros(1, np.float32), np.zeros(1, np.float32)
    >>> adam_update(w, np.array([2.0], np.float32), m, v, 1, lr=0.1, beta_1=0.9,
    ...             beta_2=0.999, epsilon=1e-7)
    >>> w  # the first Adam step moves each weight by about lr
    array([0.9], dtype=float32)
    """
    if amsgrad and vhat is None:
        raise ValueError("adam_update: `vhat` is required when amsgrad=True.")
    dtype = param.dtype
    alpha = _scalar(lr * math.sqrt(1 - beta_2**step) / (1 - beta_1**step), dtype)
    one_minus_beta_1, one_minus_beta_2 = _scalar(1 - beta_1, dtype), _scalar(1 - beta_2, dtype)
    epsilon_ = _scalar(epsilon, dtype)

    def update(param, grad, m, v, vhat=None):
        delta = grad - m
        delta *= one_minus_beta_1
        m += delta
        delta = np.multiply(grad, grad, out=delta)
        delta -= v
        delta *= one_minus_beta_2
        v += delta
        if vhat is not None:
            np.maximum(vhat, v, out=vhat)
            v = vhat
        denominator = np.sqrt(v)
        denominator += epsilon_
        step_ = np.multiply(m, alpha, out=delta)
        step_ /= denominator
        param -= step_

    blockwise(update, (param, grad, m, v) + ((vhat,) if amsgrad else ()))


def apply_weight_decay(param: np.ndarray, *, lr: float, weight_decay: float) -> None:
    """Decoupled weight decay, Keras's form, in place: ``param -= param * weight_decay * lr``.

    Keras applies it to every variable, before the optimizer's own update, whenever an
    optimizer's ``weight_decay`` is set.

    Args:
        param: the parameter array, updated in place.
        lr: the learning rate of this step.
        weight_decay: the decay factor.

    >>> w = np.array([2.0], dtype=np.float32)
    >>> apply_weight_decay(w, lr=0.1, weight_decay=0.5); w
    array([1.9], dtype=float32)
    """
    decay = param * _scalar(weight_decay, param.dtype)
    decay *= _scalar(lr, param.dtype)
    param -= decay


def ema_update(average: np.ndarray, param: np.ndarray, *, momentum: float) -> None:
    """The moving average of the weights, Keras's form, in place:
    ``average = momentum * average + (1 - momentum) * param``.

    ``1 - momentum`` is taken in the parameter's dtype, as Keras does; a momentum of 0
    copies the parameter (the first step).

    Args:
        average: the average, updated in place.
        param: the parameter's current values.
        momentum: the weight of the old average, in [0, 1].

    >>> avg = np.zeros(1, np.float32)
    >>> ema_update(avg, np.array([1.0], np.float32), momentum=0.0); avg
    array([1.], dtype=float32)
    >>> ema_update(avg, np.array([3.0], np.float32), momentum=0.5); avg
    array([2.], dtype=float32)
    """
    dtype = param.dtype
    momentum_ = _scalar(momentum, dtype)
    average *= momentum_
    average += param * (dtype.type(1) - momentum_)


def adamw_update(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    step: int,
    *,
    lr: float,
    weight_decay: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
    amsgrad: bool = False,
    vhat: np.ndarray | None = None,
) -> None:
    """AdamW (Loshchilov and Hutter): weight decay decoupled from the gradient, then Adam.

    Args:
        param: the parameter array, updated in place.
        grad: its gradient.
        m: first-moment slot, updated in place.
        v: second-moment slot, updated in place.
        step: 1-based number of this update.
        lr: learning rate.
        weight_decay: decay factor, applied as ``param -= param * weight_decay * lr``.
        beta_1: decay rate of the first moment.
        beta_2: decay rate of the second moment.
        epsilon: small constant added to the denominator.
        amsgrad: use the running maximum of ``v`` (AMSGrad).
        vhat: that running maximum, updated in place; required when ``amsgrad``.

    >>> w = np.array([1.0], dtype=np.float32)
    >>> m, v = np.zeros(1, np.float32), np.zeros(1, np.float32)
    >>> adamw_update(w, np.array([0.0], np.float32), m, v, 1, lr=0.1, weight_decay=0.5,
    ...              beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    >>> w  # zero gradient: only the decay acts
    array([0.95], dtype=float32)
    """
    apply_weight_decay(param, lr=lr, weight_decay=weight_decay)
    adam_update(
        param, grad, m, v, step, lr=lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
        amsgrad=amsgrad, vhat=vhat,
    )


def nadam_momentum(step: int, beta_1: float) -> float:
    """Nadam's momentum schedule, Keras 3's form: ``beta_1 * (1 - 0.5 * 0.96**step)``.

    Keras 3 raises 0.96 to the step itself; Keras 2 and PyTorch use
    ``0.96 ** (0.004 * step)`` (PyTorch's ``momentum_decay=4e-3``).

    Args:
        step: 1-based step number.
        beta_1: the optimizer's ``beta_1``.

    Returns:
        The momentum coefficient ``u_step``.

    >>> round(nadam_momentum(1, 0.9), 12)
    0.468
    """
    return beta_1 * (1.0 - 0.5 * 0.96**step)


def nadam_update(
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
    u_product: float,
) -> None:
    """Nadam (Dozat): Adam with Nesterov momentum, Keras 3's form, in place.

    With ``u_t = nadam_momentum(step)`` and ``u_product`` the product
    ``u_1 * ... * u_t`` (this step's factor included; the optimizer keeps it, once for
    all parameters)::

        m += (grad - m) * (1 - beta_1);  v += (grad**2 - v) * (1 - beta_2)
        m_hat = u_{t+1} * m / (1 - u_product * u_{t+1}) + (1 - u_t) * grad / (1 - u_product)
        param -= m_hat * lr / (sqrt(v / (1 - beta_2**step)) + epsilon)

    Args:
        param: the parameter array, updated in place.
        grad: its gradient.
        m: first-moment slot, updated in place.
        v: second-moment slot, updated in place.
        step: 1-based number of this update.
        lr: learning rate.
        beta_1: decay rate of the first moment.
        beta_2: decay rate of the second moment.
        epsilon: small constant added to the denominator.
        u_product: product of the momentum schedule up to and including this step.

    >>> w = np.array([1.0], dtype=np.float32)
    >>> m, v = np.zeros(1, np.float32), np.zeros(1, np.float32)
    >>> nadam_update(w, np.array([2.0], np.float32), m, v, 1, lr=0.1, beta_1=0.9,
    ...              beta_2=0.999, epsilon=1e-7, u_product=nadam_momentum(1, 0.9))
    >>> w
    array([0.8937212], dtype=float32)
    """
    dtype = param.dtype
    u_t = nadam_momentum(step, beta_1)
    u_next = nadam_momentum(step + 1, beta_1)
    u_product = float(u_product)
    u_product_next = u_product * u_next
    delta = grad - m
    delta *= _scalar(1 - beta_1, dtype)
    m += delta
    delta = np.multiply(grad, grad, out=delta)
    delta -= v
    delta *= _scalar(1 - beta_2, dtype)
    v += delta
    m_hat = m * _scalar(u_next, dtype)
    m_hat /= _scalar(1 - u_product_next, dtype)
    grad_part = np.multiply(grad, _scalar(1 - u_t, dtype), out=delta)
    grad_part /= _scalar(1 - u_product, dtype)
    m_hat += grad_part
    denominator = np.divide(v, _scalar(1 - beta_2**step, dtype), out=grad_part)
    np.sqrt(denominator, out=denominator)
    denominator += _scalar(epsilon, dtype)
    m_hat *= _scalar(lr, dtype)
    m_hat /= denominator
    param -= m_hat


def rmsprop_update(
    param: np.ndarray,
    grad: np.ndarray,
    velocity: np.ndarray,
    *,
    lr: float,
    rho: float,
    epsilon: float,
    momentum: float = 0.0,
    momentum_buffer: np.ndarray | None = None,
    centered: bool = False,
    average_gradient: np.ndarray | None = None,
) -> None:
    """RMSprop (Hinton), Keras's form, in place.

    ``velocity = rho * velocity + (1 - rho) * grad**2``; the denominator is
    ``sqrt(velocity + epsilon)`` (epsilon inside the root, unlike PyTorch), or with
    ``centered`` ``sqrt(velocity - average_gradient**2 + epsilon)``. The increment
    ``lr * grad / denominator`` is subtracted, or accumulated into the momentum buffer
    (``buffer = momentum * buffer + increment``) which is subtracted.

    Args:
        param: the parameter array, updated in place.
        grad: its gradient.
        velocity: running mean of squared gradients, updated in place.
        lr: learning rate.
        rho: discount factor of the running means.
        epsilon: small constant added under the square root.
        momentum: momentum factor; 0 for none.
        momentum_buffer: momentum slot, updated in place; required when ``momentum > 0``.
        centered: divide by the estimated variance instead of the second moment.
        average_gradient: running mean of gradients, updated in place; required when
            ``centered``.

    Raises:
        ValueError: if a slot required by ``momentum`` or ``centered`` is None.

    >>> w = np.array([1.0], dtype=np.float32); vel = np.zeros(1, np.float32)
    >>> rmsprop_update(w, np.array([2.0], np.float32), vel, lr=0.01, rho=0.9, epsilon=1e-7)
    >>> w  # first step: lr / sqrt(1 - rho)
    array([0.96837723], dtype=float32)
    """
    if momentum > 0 and momentum_buffer is None:
        raise ValueError("rmsprop_update: `momentum_buffer` is required when momentum > 0.")
    if centered and average_gradient is None:
        raise ValueError("rmsprop_update: `average_gradient` is required when centered=True.")
    dtype = param.dtype
    rho_, one_minus_rho = _scalar(rho, dtype), _scalar(1 - rho, dtype)
    velocity *= rho_
    squared = np.multiply(grad, grad)
    squared *= one_minus_rho
    velocity += squared
    if centered:
        average_gradient *= rho_
        average_gradient += np.multiply(grad, one_minus_rho, out=squared)
        denominator = np.multiply(average_gradient, average_gradient, out=squared)
        np.subtract(velocity, denominator, out=denominator)
        denominator += _scalar(epsilon, dtype)
    else:
        denominator = np.add(velocity, _scalar(epsilon, dtype), out=squared)
    np.sqrt(denominator, out=denominator)
    increment = grad * _scalar(lr, dtype)
    increment /= denominator
    if momentum > 0:
        momentum_buffer *= _scalar(momentum, dtype)
        momentum_buffer += increment
        param -= momentum_buffer
    else:
        param -= increment


def adagrad_update(
    param: np.ndarray, grad: np.ndarray, accumulator: np.ndarray, *, lr: float, epsilon: float
) -> None:
    """Adagrad (Duchi et al.), Keras's form, in place.

    ``accumulator += grad**2``, then ``param -= lr * grad / sqrt(accumulator + epsilon)``
    (epsilon inside the root, unlike PyTorch).

    Args:
        param: the parameter array, updated in place.
        grad: its gradient.
        accumulator: running sum of squared gradients (Keras starts it at 0.1), in place.
        lr: learning rate.
        epsilon: small constant added under the square root.

    >>> w = np.array([1.0], dtype=np.float32); acc = np.full(1, 0.1, np.float32)
    >>> adagrad_update(w, np.array([0.3], np.float32), acc, lr=0.1, epsilon=0.0); w
    array([0.9], dtype=float32)
    """
    dtype = param.dtype
    squared = np.multiply(grad, grad)
    accumulator += squared
    denominator = np.add(accumulator, _scalar(epsilon, dtype), out=squared)
    np.sqrt(denominator, out=denominator)
    increment = grad * _scalar(lr, dtype)
    increment /= denominator
    param -= increment
