"""Normalization ops: batch normalization (inference and training forms) and layer norm.

Each is one fused op with a hand-written backward. The training form of batch norm
normalises with the batch's own mean and (biased) variance and sends gradients through
them with the compact formula

    dx = gamma / sqrt(var + eps) * (g - mean(g) - x_hat * mean(g * x_hat))

taking the means over every axis but the channel axis; layer norm is the same formula
over the normalised axes of each sample, with ``g * gamma`` in place of ``g``. Float32
inputs stay float32 throughout.

>>> import deepgrad as dg
>>> x = dg.Tensor([[1.0, 10.0], [3.0, 30.0]], requires_grad=True)
>>> y, mean, var = batch_norm_train(x, None, None, epsilon=0.0)
>>> y.data
array([[-1., -1.],
       [ 1.,  1.]], dtype=float32)
>>> mean, var
(array([ 2., 20.], dtype=float32), array([  1., 100.], dtype=float32))
"""

from __future__ import annotations

import math

import numpy as np

from deepgrad import config
from deepgrad.kernels import activation as act
from deepgrad.kernels import norm as norm_kernels
from deepgrad.ops.symbolic import op
from deepgrad.tensor import Tensor, as_tensor, make_result, unbroadcast

__all__ = ["batch_normalization", "batch_norm_train", "layer_norm", "rms_normalization"]


def _normalize_axes(axis, ndim: int, name: str) -> tuple[int, ...]:
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= int(a) < ndim:
            raise ValueError(
                f"{name}: `axis` {a} is out of range for an input with {ndim} dimensions."
            )
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: `axis` has repeated entries. Received: axis={axis}")
    return tuple(sorted(out))


def _param(value, dtype: np.dtype) -> Tensor | None:
    """A gamma/beta/mean/variance argument as a Tensor (None stays None)."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value, dtype=dtype))


def _as(grad: np.ndarray, param: Tensor) -> np.ndarray:
    """A parameter's gradient in the parameter's own dtype (float32 gamma, float64 input)."""
    return grad if grad.dtype == param.dtype else grad.astype(param.dtype)


def _check_params(name: str, gamma, beta, pshape: tuple, where: str, x: Tensor) -> None:
    """Raise unless ``gamma`` and ``beta`` (each possibly None) have shape ``pshape``."""
    for label, p in (("gamma", gamma), ("beta", beta)):
        if p is not None and p.shape != pshape:
            raise ValueError(
                f"{name}: `{label}` must have shape {pshape} ({where} of x, shape "
                f"{x.shape}). Received shape {p.shape}."
            )


def _standardize(data: np.ndarray, axes: tuple[int, ...], per: float, epsilon: float):
    """``(x_hat, inv, mean, var)``: ``x_hat = (data - mean) * inv``, ``inv = 1 / sqrt(var + eps)``.

    The statistics are taken over ``axes`` (kept as size-1 axes); ``per`` is one over the
    count, a Python float so that float32 stays float32 (NumPy scalars would promote).
    """
    mean = np.add.reduce(data, axis=axes, keepdims=True) * per
    x_hat = data - mean
    var = np.add.reduce(x_hat * x_hat, axis=axes, keepdims=True) * per
    inv = 1.0 / np.sqrt(var + epsilon)
    x_hat *= inv
    return x_hat, inv, mean, var


def _scale_shift(x_hat: np.ndarray, gamma, beta, bshape: tuple):
    """``(y, gamma_b)``: ``y = x_hat * gamma + beta``, the parameters reshaped to ``bshape``.

    A None ``gamma`` multiplies by 1 (``gamma_b`` is then None), a None ``beta`` adds 0.
    """
    gamma_b = None if gamma is None else gamma.data.reshape(bshape)
    y = x_hat * gamma_b if gamma is not None else x_hat.copy()
    if beta is not None:
        y += beta.data.reshape(bshape)
    return y, gamma_b


def batch_normalization(
    x,
    mean,
    variance,
    offset=None,
    scale=None,
    epsilon: float = 1e-3,
    axis: int | None = None,
    *,
    activation: str | None = None,
) -> Tensor:
    """Normalize with given statistics: ``(x - mean) * scale / sqrt(variance + eps) + offset``.

    The inference form of batch norm, as ``tf.nn.batch_normalization``: the statistics are
    inputs, not computed from ``x``, and gradients reach every argument that needs them.

    Args:
        x: input tensor.
        mean, variance: statistics broadcastable to ``x`` (or 1-D along ``axis``).
        offset: optional ``beta``, broadcastable like ``mean``; None adds nothing.
        scale: optional ``gamma``, broadcastable like ``mean``; None multiplies by 1.
        epsilon: small float added to the variance.
        axis: None to broadcast the arguments with NumPy's rules (``tf.nn``); an int to
            lay 1-D arguments along that axis of ``x`` (``keras.ops.batch_normalization``).
        activation: None, ``'relu'`` or ``'relu6'``, applied to the result in the same
            pass (deepgrad's addition; Keras has no such argument).

    Per-channel arguments along the last axis take one pass over ``x``:
    ``x * (scale * inv) + (offset - mean * scale * inv)`` with ``inv = 1 / sqrt(variance +
    eps)``, as ``tf.nn.batch_normalization`` computes it.

    Returns:
        A tensor of ``x``'s shape.

    >>> batch_normalization(Tensor([[1.0, 4.0]]), Tensor([1.0, 2.0]), Tensor([4.0, 1.0]),
    ...                     epsilon=0.0).data
    array([[0., 2.]], dtype=float32)
    """
    x = as_tensor(x)
    name = "batch_normalization"
    args = [_param(a, x.dtype) for a in (mean, variance, offset, scale)]
    if args[0] is None or args[1] is None:
        raise ValueError(f"{name}: `mean` and `variance` are required.")
    arrays = [None if a is None else a.data for a in args]
    if axis is not None:
        (ax,) = _normalize_axes(axis, x.ndim, name)
        shape = [1] * x.ndim
        shape[ax] = x.shape[ax]
        for i, a in enumerate(arrays):
            if a is not None and a.ndim == 1:
                if a.shape[0] != x.shape[ax]:
                    raise ValueError(
                        f"{name}: expected 1-D arguments of length {x.shape[ax]} (dimension "
                        f"{ax} of x, shape {x.shape}). Received shape {a.shape}."
                    )
                arrays[i] = a.reshape(shape)
    mu, var, beta, gamma = arrays
    limits = act.bounds(activation, name)
    inv = 1.0 / np.sqrt(var + epsilon)
    factor = inv if gamma is None else gamma * inv
    channels = x.shape[-1] if x.ndim else 0
    if x.dtype.kind == "f" and all(
        a is None or (a.size == channels and a.shape[-1:] == (channels,) and a.dtype == x.dtype)
        for a in arrays
    ):
        # One pass, channels last: x * factor + (beta - mu * factor), TF's form.
        shift = -mu * factor if beta is None else beta - mu * factor
        out = norm_kernels.scale_shift(
            x.data, factor.reshape(channels).astype(x.dtype, copy=False),
            shift.reshape(channels).astype(x.dtype, copy=False), activation,
        )
    else:
        out = (x.data - mu) * factor
        if beta is not None:
            out += beta
        if limits is not None:
            act.apply(out, limits)
    parents = (x,) + tuple(a for a in args if a is not None)

    def backward(g):
        def reduced(grad, i):
            # Sum over broadcast axes in the shape the argument was used with, then
            # give it back in the shape it was passed in.
            return _as(unbroadcast(grad, arrays[i].shape).reshape(args[i].shape), args[i])

        if limits is not None:
            g = act.clip_grad(g, out, *limits)
        m, v, b, s = args
        grads = [unbroadcast(g * factor, x.shape) if x.requires_grad else None]
        grads.append(-reduced(g * factor, 0) if m.requires_grad else None)
        needs_centered = v.requires_grad or (s is not None and s.requires_grad)
        g_centered = g * (x.data - mu) if needs_centered else None
        if v.requires_grad:
            grads.append(reduced(g_centered * (-0.5 * factor * inv * inv), 1))
        else:
            grads.append(None)
        if b is not None:
            grads.append(reduced(g, 2) if b.requires_grad else None)
        if s is not None:
            grads.append(reduced(g_centered * inv, 3) if s.requires_grad else None)
        return tuple(grads)

    return make_result(out, parents, backward)


@op
def batch_norm_train(
    x, gamma=None, beta=None, axis: int = -1, epsilon: float = 1e-3, *,
    activation: str | None = None,
) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """Batch norm with the batch's statistics, over every axis except the channel ``axis``.

    ``y = gamma * (x - mean) / sqrt(var + epsilon) + beta``, where ``mean`` and the biased
    ``var`` (divided by the count, as Keras computes it) are taken per channel over the
    batch and spatial axes. The gradient flows through the statistics too. With the
    channels last, :mod:`deepgrad.kernels.norm` runs it in one pass for the statistics
    and one for the result (two for the backward pass), and keeps nothing but ``x``.

    Args:
        x: input of any rank, channels on ``axis`` (last by default: ``channels_last``).
        gamma: optional scale of shape ``(channels,)``; None means 1.
        beta: optional offset of shape ``(channels,)``; None means 0.
        axis: the channel axis, not reduced.
        epsilon: small float added to the variance.
        activation: None, ``'relu'`` or ``'relu6'``, applied to ``y`` in the same pass
            (deepgrad's addition, for a fused layer).

    Returns:
        ``(y, batch_mean, batch_var)``: the normalised tensor of ``x``'s shape, and the
        per-channel mean and biased variance as NumPy arrays of shape ``(channels,)``
        (plain statistics outside the graph, for the moving averages).

    Raises:
        ValueError: if ``gamma`` or ``beta`` does not match the channel count.

    >>> y, mean, var = batch_norm_train(Tensor(np.ones((4, 3))), epsilon=1e-3)
    >>> y.shape, mean.shape, float(np.abs(y.data).max())
    ((4, 3), (3,), 0.0)
    """
    x = as_tensor(x)
    name = "batch_norm_train"
    (ax,) = _normalize_axes(axis, x.ndim, name)
    limits = act.bounds(activation, name)
    channels = x.shape[ax]
    gamma, beta = _param(gamma, x.dtype), _param(beta, x.dtype)
    _check_params(name, gamma, beta, (channels,), f"dimension {ax}", x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    data = x.data if x.dtype == dtype else x.data.astype(dtype)
    parents = tuple(t for t in (x, gamma, beta) if t is not None)
    if ax != x.ndim - 1:
        y, mean, var, backward = _batch_norm_any_axis(
            data, gamma, beta, ax, epsilon, limits, x.requires_grad
        )
    else:
        mean, var = norm_kernels.moments(data)
        inv = (1.0 / np.sqrt(var.astype(np.float64) + epsilon)).astype(dtype)
        scale = inv if gamma is None else gamma.data.astype(dtype) * inv
        shift = -mean * scale if beta is None else beta.data.astype(dtype) - mean * scale
        y = norm_kernels.scale_shift(data, scale, shift, activation)
        # The output is kept for the activation's mask only: without one it is freed as
        # soon as its consumers are done with it (a ResNet block's residual sum).
        output = None if activation is None else y

        def backward(g):
            dx, dgamma, dbeta = norm_kernels.backward(
                data, g, mean, inv, None if gamma is None else gamma.data, x.requires_grad,
                activation, output,
            )
            return (dx,) + _param_grads(gamma, beta, dgamma, dbeta)

    return make_result(y, parents, backward), mean.reshape(channels), var.reshape(channels)


def _param_grads(gamma, beta, dgamma, dbeta) -> tuple:
    """The gradients of the present ``gamma`` and ``beta``, None where not needed."""
    grads = ()
    if gamma is not None:
        grads += (_as(dgamma, gamma) if gamma.requires_grad else None,)
    if beta is not None:
        grads += (_as(dbeta, beta) if beta.requires_grad else None,)
    return grads


def _batch_norm_any_axis(data, gamma, beta, ax: int, epsilon: float, limits, need_input: bool):
    """Training batch norm with the channels on any axis, in whole-array passes:
    ``(y, mean, var, backward)``."""
    channels = data.shape[ax]
    reduce_axes = tuple(i for i in range(data.ndim) if i != ax)
    bshape = tuple(channels if i == ax else 1 for i in range(data.ndim))
    per = 1.0 / max(math.prod(data.shape[i] for i in reduce_axes), 1)
    x_hat, inv, mean, var = _standardize(data, reduce_axes, per, epsilon)
    y, gamma_b = _scale_shift(x_hat, gamma, beta, bshape)
    if limits is not None:
        act.apply(y, limits)

    def backward(g):
        if limits is not None:
            g = act.clip_grad(g, y, *limits)
        tmp = g * x_hat
        sum_g_xhat = np.add.reduce(tmp, axis=reduce_axes, keepdims=True)
        sum_g = np.add.reduce(g, axis=reduce_axes, keepdims=True)
        dx = None
        if need_input:
            # dx = gamma * inv * (g - sum_g / n - x_hat * sum_g_xhat / n), in one buffer.
            np.multiply(x_hat, sum_g_xhat * per, out=tmp)
            tmp += sum_g * per
            np.subtract(g, tmp, out=tmp)
            tmp *= inv if gamma_b is None else gamma_b * inv
            dx = tmp
        return (dx,) + _param_grads(gamma, beta, sum_g_xhat.reshape(channels),
                                    sum_g.reshape(channels))

    return y, mean, var, backward


@op
def layer_norm(x, gamma=None, beta=None, axis=-1, epsilon: float = 1e-3,
               rms_scaling: bool = False) -> Tensor:
    """Normalize each sample over ``axis``: ``gamma * (x - mean) / sqrt(var + eps) + beta``.

    With ``rms_scaling=True`` it is Keras's deprecated form ``gamma * x / sqrt(var + eps)``:
    divided by the standard deviation but not centred, and no ``beta``.

    Args:
        x: input tensor.
        gamma: optional scale with the shape of ``x`` on the normalised axes (in increasing
            axis order), e.g. ``(features,)`` for ``axis=-1``; None means 1.
        beta: optional offset, shaped like ``gamma``; None means 0.
        axis: an int or a tuple of ints, the axes to normalise over.
        epsilon: small float added to the (biased) variance.
        rms_scaling: Keras's deprecated uncentred form (``beta`` must then be None).

    Returns:
        A tensor of ``x``'s shape.

    Raises:
        ValueError: if ``gamma`` or ``beta`` has the wrong shape.

    >>> layer_norm(Tensor([[1.0, 3.0]]), epsilon=0.0, rms_scaling=True).data
    array([[1., 3.]], dtype=float32)
    >>> layer_norm(Tensor([[1.0, 3.0], [0.0, 10.0]]), epsilon=0.0).data
    array([[-1.,  1.],
           [-1.,  1.]], dtype=float32)
    """
    x = as_tensor(x)
    name = "layer_norm"
    if rms_scaling:
        if beta is not None:
            raise ValueError(f"{name}: rms_scaling=True takes no `beta`.")
        return _scale_by_root(x, gamma, axis, epsilon, centred=True, name=name)
    axes = _normalize_axes(axis, x.ndim, name)
    pshape = tuple(x.shape[i] for i in axes)
    bshape = tuple(x.shape[i] if i in axes else 1 for i in range(x.ndim))
    other_axes = tuple(i for i in range(x.ndim) if i not in axes)
    gamma, beta = _param(gamma, x.dtype), _param(beta, x.dtype)
    _check_params(name, gamma, beta, pshape, f"the dimensions {axes}", x)
    per = 1.0 / max(math.prod(pshape), 1)
    x_hat, inv, _, _ = _standardize(x.data, axes, per, epsilon)
    y, gamma_b = _scale_shift(x_hat, gamma, beta, bshape)
    parents = tuple(t for t in (x, gamma, beta) if t is not None)

    def backward(g):
        grads = [None]
        if x.requires_grad:
            gx = g * gamma_b if gamma_b is not None else g
            tmp = gx * x_hat
            sum_gx_xhat = np.add.reduce(tmp, axis=axes, keepdims=True)
            sum_gx = np.add.reduce(gx, axis=axes, keepdims=True)
            np.multiply(x_hat, sum_gx_xhat * per, out=tmp)
            tmp += sum_gx * per
            np.subtract(gx, tmp, out=tmp)
            tmp *= inv
            grads[0] = tmp
        if gamma is not None:
            dgamma = np.add.reduce(g * x_hat, axis=other_axes).reshape(pshape)
            grads.append(_as(dgamma, gamma) if gamma.requires_grad else None)
        if beta is not None:
            dbeta = np.add.reduce(g, axis=other_axes).reshape(pshape)
            grads.append(_as(dbeta, beta) if beta.requires_grad else None)
        return tuple(grads)

    return make_result(y, parents, backward)


@op
def rms_normalization(x, scale=None, axis=-1, epsilon: float | None = None) -> Tensor:
    """``scale * x / sqrt(mean(x ** 2) + epsilon)`` over ``axis`` (Keras's
    ``keras.ops.rms_normalization``, PyTorch's ``F.rms_norm``).

    Args:
        x: input tensor.
        scale: optional factor: shaped like ``x`` on the normalised axes (fused), or
            anything that broadcasts against ``x`` (a number, as Keras allows); None means 1.
        axis: an int or a tuple of ints, the axes to normalise over.
        epsilon: small float added to the mean square; None is :func:`deepgrad.config.epsilon`
            (1e-7 unless set), as Keras.

    >>> rms_normalization(Tensor([[2.0, -2.0]]), epsilon=0.0).data
    array([[ 1., -1.]], dtype=float32)
    """
    x = as_tensor(x)
    if x.dtype.kind != "f":
        x = Tensor(x.data.astype(config.floatx()))
    epsilon = config.epsilon() if epsilon is None else epsilon
    axes = _normalize_axes(axis, x.ndim, "rms_normalization")
    if scale is not None and np.shape(getattr(scale, "data", scale)) != tuple(
            x.shape[i] for i in axes):
        from deepgrad.ops.elementwise import multiply

        plain = _scale_by_root(x, None, axis, epsilon, centred=False, name="rms_normalization")
        return multiply(plain, scale)
    return _scale_by_root(x, scale, axis, epsilon, centred=False, name="rms_normalization")


def _scale_by_root(x: Tensor, gamma, axis, epsilon: float, centred: bool, name: str) -> Tensor:
    """``gamma * x * inv`` with ``inv = 1 / sqrt(stat + eps)``, ``stat`` the variance
    (``centred``) or the mean square over ``axis``; one op with its backward.

    With ``c = x - mean`` (or ``x``) and ``n`` the count, ``d stat / dx = 2 c / n``, so
    ``dx = inv * gx - inv**3 * c * sum(gx * x) / n`` with ``gx = g * gamma``.
    """
    axes = _normalize_axes(axis, x.ndim, name)
    pshape = tuple(x.shape[i] for i in axes)
    bshape = tuple(x.shape[i] if i in axes else 1 for i in range(x.ndim))
    other_axes = tuple(i for i in range(x.ndim) if i not in axes)
    gamma = _param(gamma, x.dtype)
    _check_params(name, gamma, None, pshape, f"the dimensions {axes}", x)
    per = 1.0 / max(math.prod(pshape), 1)
    data = x.data
    centre = data - np.add.reduce(data, axis=axes, keepdims=True) * per if centred else data
    inv = 1.0 / np.sqrt(np.add.reduce(centre * centre, axis=axes, keepdims=True) * per
                        + epsilon)
    x_scaled = data * inv
    gamma_b = None if gamma is None else gamma.data.reshape(bshape)
    y = x_scaled if gamma_b is None else x_scaled * gamma_b
    parents = (x,) if gamma is None else (x, gamma)

    def backward(g):
        gx = g if gamma_b is None else g * gamma_b
        dx = None
        if x.requires_grad:
            total = np.add.reduce(gx * data, axis=axes, keepdims=True)
            dx = gx * inv - centre * (inv * inv * inv * total * per)
        if gamma is None:
            return (dx,)
        dgamma = np.add.reduce(g * x_scaled, axis=other_axes).reshape(pshape)
        return dx, _as(dgamma, gamma) if gamma.requires_grad else None

    return make_result(y, parents, backward)
